//! Reading the process: each record type's list, a plan's actions, and one referral.

use actix_web::{get, web};
use uuid::Uuid;

use crate::auth::actor::Actor;
use crate::combined::types::AsOfParams;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidQuery;
use crate::safeguarding::shown::{beyond_any_entry, find, list, shown};
use crate::safeguarding::types::*;
use crate::state::AppState;
use crate::vocabulary::RecordType;

macro_rules! lister {
    ($name:ident, $path:literal, $op:literal, $record_type:expr, $what:literal) => {
        #[doc = concat!("The child's ", $what, ", in scenario-time order, each as it stood at `as_of`.")]
        #[utoipa::path(
            tag = "process",
            operation_id = $op,
            params(("child_id" = Uuid, Path, description = "The child record's id"), ProcessListParams),
            responses((status = 200, description = concat!("A page of ", $what), body = ProcessRecordPage))
        )]
        #[get($path)]
        #[tracing::instrument(name = $op, skip_all, fields(user_id = %actor.id()))]
        pub async fn $name(
            state: web::Data<AppState>,
            actor: Actor,
            path: web::Path<Uuid>,
            query: ValidQuery<ProcessListParams>,
        ) -> ApiResult<web::Json<ProcessRecordPage>> {
            list(&state, &actor, path.into_inner(), $record_type, None, query.0)
                .await
                .map(web::Json)
        }
    };
}

lister!(
    list_referrals,
    "/children/{child_id}/referrals",
    "listReferrals",
    RecordType::Referral,
    "referrals"
);
lister!(
    list_strategy_discussions,
    "/children/{child_id}/strategy-discussions",
    "listStrategyDiscussions",
    RecordType::StrategyDiscussion,
    "strategy discussions"
);
lister!(
    list_enquiries,
    "/children/{child_id}/section-47-enquiries",
    "listSection47Enquiries",
    RecordType::Section47Enquiry,
    "section 47 enquiries"
);
lister!(
    list_assessments,
    "/children/{child_id}/assessments",
    "listAssessments",
    RecordType::Assessment,
    "assessments"
);
lister!(
    list_conferences,
    "/children/{child_id}/conferences",
    "listConferences",
    RecordType::Conference,
    "child protection conferences"
);
lister!(
    list_core_groups,
    "/children/{child_id}/core-groups",
    "listCoreGroups",
    RecordType::CoreGroup,
    "core group meetings"
);
lister!(
    list_plans,
    "/children/{child_id}/plans",
    "listPlans",
    RecordType::Plan,
    "child protection plans"
);
lister!(
    list_challenges,
    "/children/{child_id}/challenges",
    "listChallenges",
    RecordType::Challenge,
    "challenges"
);
lister!(
    list_involvements,
    "/children/{child_id}/involvements",
    "listInvolvements",
    RecordType::Involvement,
    "involvements (agencies brought in)"
);
lister!(
    list_legal_planning_meetings,
    "/children/{child_id}/legal-planning-meetings",
    "listLegalPlanningMeetings",
    RecordType::LegalPlanningMeeting,
    "legal planning meetings"
);

/// A plan's actions, in the order they were agreed, each as it stood at `as_of`.
#[utoipa::path(
    tag = "process",
    operation_id = "listPlanActions",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("plan_id" = Uuid, Path, description = "The plan's id"),
        ProcessListParams
    ),
    responses((status = 200, description = "A page of the plan's actions", body = ProcessRecordPage))
)]
#[get("/children/{child_id}/plans/{plan_id}/actions")]
#[tracing::instrument(name = "list_plan_actions", skip_all, fields(user_id = %actor.id()))]
pub async fn list_plan_actions(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
    query: ValidQuery<ProcessListParams>,
) -> ApiResult<web::Json<ProcessRecordPage>> {
    let (child_id, plan_id) = path.into_inner();
    let child = crate::record::open(&state, &actor, child_id).await?.child;
    find(&state, &actor, &child, RecordType::Plan, plan_id).await?;
    list(
        &state,
        &actor,
        child_id,
        RecordType::PlanAction,
        Some(plan_id),
        query.0,
    )
    .await
    .map(web::Json)
}

/// Read one referral: what it says, where it stands and its history (or, restricted by another
/// agency, its stub).
#[utoipa::path(
    tag = "process",
    operation_id = "getReferral",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("referral_id" = Uuid, Path, description = "The referral's id"),
        AsOfParams
    ),
    responses((status = 200, description = "The referral: in full, or a stub of another agency's restricted one", body = ProcessEntry))
)]
#[get("/children/{child_id}/referrals/{referral_id}")]
#[tracing::instrument(name = "get_referral", skip_all, fields(user_id = %actor.id()))]
pub async fn get_referral(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
    query: ValidQuery<AsOfParams>,
) -> ApiResult<web::Json<ProcessEntry>> {
    let (child_id, referral_id) = path.into_inner();
    let child = crate::record::open(&state, &actor, child_id).await?.child;
    let row = find(&state, &actor, &child, RecordType::Referral, referral_id).await?;
    let horizon = query.0.as_of.unwrap_or(beyond_any_entry());
    if row.occurred_at > horizon {
        return Err(ApiError::NotFound(
            "the referral had not been received by `as_of`".into(),
        ));
    }
    let mut conn = state.db.acquire().await?;
    shown(&mut conn, &actor, &child, vec![row], horizon)
        .await?
        .pop()
        .map(web::Json)
        .ok_or_else(|| ApiError::NotFound("no such referral".into()))
}
