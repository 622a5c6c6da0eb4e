//! The safeguarding process under `/children/{child_id}`: referrals and their decisions, strategy
//! discussions, section 47 enquiries, assessments, conferences, core groups, plans and their
//! actions, legal planning meetings, and the statutory clocks (`/timescales`).
//!
//! A record is written once; every change of its state is an event appended to it, under a lock
//! on the record so that two changes cannot both pass the same check.

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::{self, EventRow, NewEvent, NewRecord, RecordRow};
use super::types::*;
use crate::audit::Recorder;
use crate::auth::Actor;
use crate::auth::policy::{Action, Sight, acting_agency, authorize, sight, siloed_to};
use crate::children::Child;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::{Cursor, Page, PageParams};
use crate::state::AppState;
use crate::validation::{self, text};
use crate::vocabulary::{
    ActionStatus, Agency, ChildStatus, ConferenceDecision, ConferenceType, EventType, RecordState,
    RecordType, ReferralDecision, Referrer, StrategyOutcome, Visibility,
};

/// A moment after every entry (scenario times are validated to years 0001–9999).
fn beyond_any_entry() -> DateTime<Utc> {
    super::working_days::end_of(
        chrono::NaiveDate::MAX
            .min(chrono::NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date")),
    )
}

/// Whether `actor` sees an agency's entries on this child's record.
fn sees(actor: &Actor, child: &Child, agency: Agency) -> bool {
    sight(actor, child.sharing_mode, agency, Visibility::Shared) != Sight::Hidden
}

/// How much of this record `actor` sees: in full as one of its agency's entries of its visibility,
/// and always in full for the agency a referral is made to or that owns a plan action.
fn record_sight(actor: &Actor, child: &Child, row: &RecordRow) -> Sight {
    let by = |agency| sight(actor, child.sharing_mode, agency, row.visibility);
    match row.details.0.party().map(by) {
        Some(Sight::Full) => Sight::Full,
        _ => by(row.agency),
    }
}

fn visible(actor: &Actor, child: &Child, row: &RecordRow) -> bool {
    record_sight(actor, child, row) != Sight::Hidden
}

/// The child's record of this type and id as `actor` may see it, or 404.
async fn find(
    state: &AppState,
    actor: &Actor,
    child: &Child,
    record_type: RecordType,
    id: Uuid,
) -> ApiResult<RecordRow> {
    repo::find(&state.db, child.id, record_type, id)
        .await?
        .filter(|row| visible(actor, child, row))
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no {} with this id on this record",
                record_type.as_str().replace('_', " ")
            ))
        })
}

/// Where a record stands given its events (and, for a plan, whether a review ended it).
fn state_of(details: &Details, events: &[EventRow], plan_ended: bool) -> RecordState {
    let has = |t: EventType| events.iter().any(|e| e.details.0.event_type() == t);
    match details {
        Details::Referral { .. } if has(EventType::Decided) => RecordState::Decided,
        Details::Referral { .. } if has(EventType::Acknowledged) => RecordState::Acknowledged,
        Details::Referral { .. } => RecordState::Received,
        Details::Section47Enquiry { .. } if has(EventType::Concluded) => RecordState::Concluded,
        Details::Section47Enquiry { .. } => RecordState::Open,
        Details::Assessment { .. } if has(EventType::Completed) => RecordState::Completed,
        Details::Assessment { .. } => RecordState::InProgress,
        Details::Plan { .. } if plan_ended => RecordState::Ended,
        Details::Plan { .. } => RecordState::Active,
        Details::PlanAction { .. } => {
            let marks = events.iter().filter_map(|e| match &e.details.0 {
                EventDetails::Marked { status, .. } => Some(*status),
                _ => None,
            });
            let mut state = RecordState::Open;
            for status in marks {
                state = match status {
                    ActionStatus::Done => return RecordState::Done,
                    ActionStatus::NotDone => RecordState::NotDone,
                };
            }
            state
        }
        Details::Challenge { .. } if has(EventType::Responded) => RecordState::Answered,
        Details::Challenge { .. } => RecordState::Open,
        _ => RecordState::Held,
    }
}

/// The records as `actor` is shown them at `horizon`: each with its changes of state made by then
/// by agencies whose entries `actor` sees, what it started by then and its state then.
async fn shown(
    db: &mut PgConnection,
    actor: &Actor,
    child: &Child,
    rows: Vec<RecordRow>,
    horizon: DateTime<Utc>,
) -> ApiResult<Vec<ProcessEntry>> {
    let child_id = child.id;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut events = repo::events_of(&mut *db, &ids).await?;
    events.retain(|e| e.occurred_at <= horizon && sees(actor, child, e.agency));
    let related = repo::related(&mut *db, &ids, horizon).await?;
    let plans_end = if rows
        .iter()
        .any(|r| matches!(r.details.0, Details::Plan { .. }))
    {
        plan_endings(&mut *db, child_id, horizon).await?
    } else {
        Vec::new()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            if record_sight(actor, child, &row) != Sight::Full {
                return ProcessEntry::Stub(ProcessStub {
                    id: row.id,
                    record_type: row.details.0.record_type(),
                    agency: row.agency,
                    occurred_at: row.occurred_at,
                    restricted: true,
                });
            }
            let own: Vec<EventRow> = events
                .iter()
                .filter(|e| e.record_id == row.id)
                .cloned()
                .collect();
            let ended = plans_end.iter().any(|end| *end >= row.occurred_at);
            ProcessEntry::Full(Box::new(ProcessRecord {
                id: row.id,
                child_id: row.child_id,
                agency: row.agency,
                author_id: row.author_id,
                occurred_at: row.occurred_at,
                recorded_at: row.recorded_at,
                visibility: row.visibility,
                state: state_of(&row.details.0, &own, ended),
                history: own.iter().map(EventRow::event).collect(),
                related: related
                    .iter()
                    .filter(|r| r.0 == row.id)
                    .map(|r| RelatedRecord {
                        record_type: r.1,
                        id: r.2,
                    })
                    .collect(),
                details: row.details.0,
            }))
        })
        .collect())
}

/// When reviews ended the child's plans, up to `horizon`.
async fn plan_endings(
    db: impl sqlx::PgExecutor<'_>,
    child_id: Uuid,
    horizon: DateTime<Utc>,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    Ok(repo::conferences(db, child_id)
        .await?
        .into_iter()
        .filter(|(at, decision)| *at <= horizon && *decision == ConferenceDecision::PlanEnds)
        .map(|(at, _)| at)
        .collect())
}

async fn shown_one(
    db: &mut PgConnection,
    actor: &Actor,
    child: &Child,
    row: RecordRow,
) -> ApiResult<ProcessRecord> {
    // Whoever changes a record sees it in full.
    match shown(db, actor, child, vec![row], beyond_any_entry())
        .await?
        .pop()
    {
        Some(ProcessEntry::Full(record)) => Ok(*record),
        _ => Err(ApiError::internal(anyhow::anyhow!(
            "a record its writer may not see"
        ))),
    }
}

/// The `occurred_at` of a change of a record's state: a scenario time, and not before the record.
fn event_time(
    at: DateTime<Utc>,
    child: &Child,
    row: &RecordRow,
    what: &str,
) -> ApiResult<DateTime<Utc>> {
    validation::check_scenario_time("occurred_at", at, child.date_of_birth)?;
    if at < row.occurred_at {
        return Err(ApiError::validation(
            "occurred_at",
            format!(
                "{what} cannot come before the {} itself ({})",
                row.details.0.record_type().as_str().replace('_', " "),
                row.occurred_at.to_rfc3339()
            ),
        ));
    }
    Ok(at)
}

/// Distinct agencies, at least one.
fn agencies(mut list: Vec<Agency>) -> ApiResult<Vec<Agency>> {
    list.sort();
    list.dedup();
    if list.is_empty() {
        return Err(ApiError::validation("agencies", "name at least one agency"));
    }
    Ok(list)
}

fn list_of_text(field: &str, items: &[String], max_items: usize) -> ApiResult<Vec<String>> {
    if items.len() > max_items {
        return Err(ApiError::validation(
            field,
            format!("at most {max_items} items"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, t)| text(&format!("{field}[{i}]"), t, 1, 500))
        .collect()
}

async fn insert(
    tx: &mut PgConnection,
    child: &Child,
    (agency, visibility): (Agency, Visibility),
    actor: &Actor,
    occurred_at: DateTime<Utc>,
    details: Details,
) -> sqlx::Result<RecordRow> {
    repo::insert(
        tx,
        &NewRecord {
            child_id: child.id,
            agency,
            visibility,
            author_id: actor.id(),
            occurred_at,
            details,
        },
    )
    .await
}

/// Records one process record in its own audited transaction, and answers 201 with it as `actor`
/// sees it.
async fn record_one(
    recorder: Recorder,
    child: &Child,
    (agency, visibility): (Agency, Visibility),
    actor: &Actor,
    occurred_at: DateTime<Utc>,
    details: Details,
) -> ApiResult<HttpResponse> {
    let record = recorder
        .write(async |tx| {
            let row = insert(tx, child, (agency, visibility), actor, occurred_at, details).await?;
            let id = row.id;
            Ok((shown_one(tx, actor, child, row).await?, id))
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}

/// A change of a record's state, by `actor` as `agency`.
struct Change<'a> {
    child: &'a Child,
    row: &'a RecordRow,
    agency: Agency,
    actor: &'a Actor,
    occurred_at: DateTime<Utc>,
    details: EventDetails,
}

/// Appends the change to its record (locked first), after `check` has passed on the record's
/// events so far, then runs `then` in the same transaction, and answers with the record as it now
/// stands.
async fn append(
    recorder: Recorder,
    change: Change<'_>,
    check: impl Fn(&[EventRow]) -> ApiResult<()>,
    then: impl AsyncFnOnce(&mut PgConnection) -> ApiResult<()>,
) -> ApiResult<HttpResponse> {
    let Change {
        child,
        row,
        agency,
        actor,
        occurred_at,
        details,
    } = change;
    let record = recorder
        .write(async |tx| {
            let locked = repo::lock(&mut *tx, child.id, row.details.0.record_type(), row.id)
                .await?
                .ok_or_else(|| ApiError::NotFound("no such record".into()))?;
            check(&repo::events_of(&mut *tx, &[locked.id]).await?)?;
            repo::insert_event(
                &mut *tx,
                &NewEvent {
                    record_id: locked.id,
                    child_id: child.id,
                    agency,
                    author_id: actor.id(),
                    occurred_at,
                    details: &details,
                },
            )
            .await?;
            then(&mut *tx).await?;
            Ok((shown_one(tx, actor, child, locked).await?, row.id))
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}

fn already(events: &[EventRow], t: EventType, what: &str) -> ApiResult<()> {
    if events.iter().any(|e| e.details.0.event_type() == t) {
        return Err(ApiError::Conflict(format!("this {what}")));
    }
    Ok(())
}

/// A page of the child's records of one type, as `actor` may see them, as of `as_of`.
async fn list(
    state: &AppState,
    actor: &Actor,
    child_id: Uuid,
    record_type: RecordType,
    parent: Option<Uuid>,
    params: ProcessListParams,
) -> ApiResult<ProcessRecordPage> {
    let window = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .window()?;
    let child = crate::sharing::readable(state, actor, child_id).await?;
    let horizon = params.as_of.unwrap_or(beyond_any_entry());
    let only = siloed_to(actor, child.sharing_mode);
    let rows = repo::list(
        &state.db,
        child.id,
        record_type,
        parent,
        only,
        horizon,
        &window,
    )
    .await?;
    let page = Page::of(rows, window.limit, |r| Cursor {
        at: r.occurred_at,
        id: r.id,
    });
    let mut conn = state.db.acquire().await?;
    Ok(Page {
        items: shown(&mut conn, actor, &child, page.items, horizon).await?,
        next_cursor: page.next_cursor,
    })
}

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
    let child = crate::sharing::readable(&state, &actor, child_id).await?;
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

/// Make a referral (`referrer: professional`, as the caller's agency, to another agency), or log
/// one received from a lay referrer (by the receiving agency).
#[utoipa::path(
    tag = "process",
    operation_id = "createReferral",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewReferral,
    responses((status = 201, description = "Recorded", body = ProcessRecord))
)]
#[post("/children/{child_id}/referrals")]
#[tracing::instrument(name = "create_referral", skip_all, fields(user_id = %actor.id()))]
pub async fn create_referral(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewReferral>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    let visibility = b.visibility.unwrap_or(Visibility::Shared);
    let to = b.to_agency;
    let professional = b.referrer == Referrer::Professional;
    let agency = acting_agency(
        &actor,
        if professional {
            Action::MakeReferral { to }
        } else {
            Action::LogLayReferral { to }
        },
    )?;
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
    validation::check_scenario_time("occurred_at", b.occurred_at, child.date_of_birth)?;
    let mut categories = b.concern_categories;
    categories.sort();
    categories.dedup();
    let details = Details::Referral {
        referrer: b.referrer,
        from_agency: professional.then_some(agency),
        to_agency: to,
        summary: text("summary", &b.summary, 1, 4000)?,
        concern_level: b.concern_level,
        concern_categories: categories,
    };
    record_one(
        recorder,
        &child,
        (agency, visibility),
        &actor,
        b.occurred_at,
        details,
    )
    .await
}

/// Read one referral: what it says, where it stands and its history (or, restricted by another
/// agency, its stub).
#[utoipa::path(
    tag = "process",
    operation_id = "getReferral",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("referral_id" = Uuid, Path, description = "The referral's id"),
        crate::combined::types::AsOfParams
    ),
    responses((status = 200, description = "The referral: in full, or a stub of another agency's restricted one", body = ProcessEntry))
)]
#[get("/children/{child_id}/referrals/{referral_id}")]
#[tracing::instrument(name = "get_referral", skip_all, fields(user_id = %actor.id()))]
pub async fn get_referral(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
    query: ValidQuery<crate::combined::types::AsOfParams>,
) -> ApiResult<web::Json<ProcessEntry>> {
    let (child_id, referral_id) = path.into_inner();
    let child = crate::sharing::readable(&state, &actor, child_id).await?;
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

/// The receiving agency acknowledges a referral (once, before or without deciding it).
#[utoipa::path(
    tag = "process",
    operation_id = "acknowledgeReferral",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("referral_id" = Uuid, Path, description = "The referral's id"),
    ),
    request_body = NewAcknowledgement,
    responses((status = 201, description = "Acknowledged: the referral as it now stands", body = ProcessRecord))
)]
#[post("/children/{child_id}/referrals/{referral_id}/acknowledgement")]
#[tracing::instrument(name = "acknowledge_referral", skip_all, fields(user_id = %actor.id()))]
pub async fn acknowledge_referral(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<NewAcknowledgement>,
) -> ApiResult<HttpResponse> {
    let (child_id, referral_id) = path.into_inner();
    let child = crate::children::reachable(&state.db, &actor, child_id).await?;
    let row = find(&state, &actor, &child, RecordType::Referral, referral_id).await?;
    let Details::Referral { to_agency, .. } = row.details.0 else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a referral without its details"
        )));
    };
    let agency = acting_agency(
        &actor,
        Action::DecideReferral {
            receiving: to_agency,
        },
    )?;
    let at = event_time(body.0.occurred_at, &child, &row, "an acknowledgement")?;
    append(
        recorder,
        Change {
            child: &child,
            row: &row,
            agency,
            actor: &actor,
            occurred_at: at,
            details: EventDetails::Acknowledged {},
        },
        |events| {
            already(
                events,
                EventType::Acknowledged,
                "referral has already been acknowledged",
            )?;
            already(
                events,
                EventType::Decided,
                "referral has already been decided",
            )
        },
        async |_| Ok(()),
    )
    .await
}

/// The receiving agency decides a referral, once, with its reason. Social care's decision of
/// `child_in_need_assessment` or `strategy_discussion` starts an assessment.
#[utoipa::path(
    tag = "process",
    operation_id = "decideReferral",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("referral_id" = Uuid, Path, description = "The referral's id"),
    ),
    request_body = NewDecision,
    responses(
        (status = 201, description = "Decided: the referral as it now stands", body = ProcessRecord),
        (status = 409, description = "Already decided", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/referrals/{referral_id}/decision")]
#[tracing::instrument(name = "decide_referral", skip_all, fields(user_id = %actor.id()))]
pub async fn decide_referral(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<NewDecision>,
) -> ApiResult<HttpResponse> {
    let (child_id, referral_id) = path.into_inner();
    let b = body.0;
    let child = crate::children::reachable(&state.db, &actor, child_id).await?;
    let row = find(&state, &actor, &child, RecordType::Referral, referral_id).await?;
    let Details::Referral { to_agency, .. } = row.details.0 else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a referral without its details"
        )));
    };
    let agency = acting_agency(
        &actor,
        Action::DecideReferral {
            receiving: to_agency,
        },
    )?;
    let at = event_time(b.occurred_at, &child, &row, "a decision")?;
    let reason = text("reason", &b.reason, 1, 2000)?;
    // Assessing a child's needs is social care's: its decisions to do so start one.
    let starts_assessment = to_agency == Agency::SocialCare
        && matches!(
            b.decision,
            ReferralDecision::ChildInNeedAssessment | ReferralDecision::StrategyDiscussion
        );
    append(
        recorder,
        Change {
            child: &child,
            row: &row,
            agency,
            actor: &actor,
            occurred_at: at,
            details: EventDetails::Decided {
                decision: b.decision,
                reason,
            },
        },
        |events| {
            already(
                events,
                EventType::Decided,
                "referral has already been decided",
            )
        },
        async |tx| {
            if starts_assessment {
                insert(
                    tx,
                    &child,
                    (Agency::SocialCare, row.visibility),
                    &actor,
                    at,
                    Details::Assessment {
                        referral_id: row.id,
                    },
                )
                .await?;
            }
            Ok(())
        },
    )
    .await
}

/// A strategy discussion (social care). An outcome of `section_47_enquiry` starts the enquiry.
#[utoipa::path(
    tag = "process",
    operation_id = "createStrategyDiscussion",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewStrategyDiscussion,
    responses((status = 201, description = "Recorded", body = ProcessRecord))
)]
#[post("/children/{child_id}/strategy-discussions")]
#[tracing::instrument(name = "create_strategy_discussion", skip_all, fields(user_id = %actor.id()))]
pub async fn create_strategy_discussion(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewStrategyDiscussion>,
) -> ApiResult<HttpResponse> {
    let agency = acting_agency(&actor, Action::RecordSocialCareProcess)?;
    let b = body.0;
    let visibility = b.visibility.unwrap_or(Visibility::Shared);
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
    validation::check_scenario_time("occurred_at", b.occurred_at, child.date_of_birth)?;
    if let Some(referral) = b.referral_id {
        let known = repo::find(&state.db, child.id, RecordType::Referral, referral).await?;
        if known.is_none_or(|r| r.occurred_at > b.occurred_at) {
            return Err(ApiError::validation(
                "referral_id",
                "no referral with this id was received on this record by then",
            ));
        }
    }
    let details = Details::StrategyDiscussion {
        agencies: agencies(b.agencies)?,
        outcome: b.outcome,
        actions: list_of_text("actions", &b.actions, 50)?,
        summary: text("summary", &b.summary, 1, 4000)?,
        referral_id: b.referral_id,
    };
    let record = recorder
        .write(async |tx| {
            let row = insert(
                tx,
                &child,
                (agency, visibility),
                &actor,
                b.occurred_at,
                details,
            )
            .await?;
            if b.outcome == StrategyOutcome::Section47Enquiry {
                insert(
                    tx,
                    &child,
                    (agency, visibility),
                    &actor,
                    b.occurred_at,
                    Details::Section47Enquiry {
                        strategy_discussion_id: row.id,
                    },
                )
                .await?;
            }
            let id = row.id;
            Ok((shown_one(tx, &actor, &child, row).await?, id))
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}

/// A section 47 enquiry's conclusion (social care), once.
#[utoipa::path(
    tag = "process",
    operation_id = "concludeSection47Enquiry",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("enquiry_id" = Uuid, Path, description = "The enquiry's id"),
    ),
    request_body = NewConclusion,
    responses(
        (status = 201, description = "Concluded: the enquiry as it now stands", body = ProcessRecord),
        (status = 409, description = "Already concluded", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/section-47-enquiries/{enquiry_id}/conclusion")]
#[tracing::instrument(name = "conclude_enquiry", skip_all, fields(user_id = %actor.id()))]
pub async fn conclude_enquiry(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<NewConclusion>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    concluding_once(
        &state,
        &actor,
        recorder,
        path.into_inner(),
        RecordType::Section47Enquiry,
        b.occurred_at,
        || {
            Ok(EventDetails::Concluded {
                conclusion: b.conclusion,
                reason: text("reason", &b.reason, 1, 2000)?,
            })
        },
    )
    .await
}

/// An assessment's completion (social care), once.
#[utoipa::path(
    tag = "process",
    operation_id = "completeAssessment",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("assessment_id" = Uuid, Path, description = "The assessment's id"),
    ),
    request_body = NewCompletion,
    responses(
        (status = 201, description = "Completed: the assessment as it now stands", body = ProcessRecord),
        (status = 409, description = "Already completed", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/assessments/{assessment_id}/completion")]
#[tracing::instrument(name = "complete_assessment", skip_all, fields(user_id = %actor.id()))]
pub async fn complete_assessment(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<NewCompletion>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    concluding_once(
        &state,
        &actor,
        recorder,
        path.into_inner(),
        RecordType::Assessment,
        b.occurred_at,
        || {
            Ok(EventDetails::Completed {
                outcome: b.outcome,
                summary: text("summary", &b.summary, 1, 4000)?,
            })
        },
    )
    .await
}

/// Social care ends a record once: an enquiry's conclusion, an assessment's completion.
async fn concluding_once(
    state: &AppState,
    actor: &Actor,
    recorder: Recorder,
    (child_id, record_id): (Uuid, Uuid),
    record_type: RecordType,
    occurred_at: DateTime<Utc>,
    details: impl FnOnce() -> ApiResult<EventDetails>,
) -> ApiResult<HttpResponse> {
    let agency = acting_agency(actor, Action::RecordSocialCareProcess)?;
    let child = crate::children::reachable(&state.db, actor, child_id).await?;
    let row = find(state, actor, &child, record_type, record_id).await?;
    let at = event_time(occurred_at, &child, &row, "its end")?;
    let details = details()?;
    let event = details.event_type();
    append(
        recorder,
        Change {
            child: &child,
            row: &row,
            agency,
            actor,
            occurred_at: at,
            details,
        },
        |events| {
            already(
                events,
                event,
                &format!(
                    "{} is already {}",
                    record_type.as_str().replace('_', " "),
                    event.as_str()
                ),
            )
        },
        async |_| Ok(()),
    )
    .await
}

/// The plan in force at `at`, if any: made by the latest initial conference by then that decided
/// one, unless a review since ended it.
async fn plan_in_force(
    tx: &mut PgConnection,
    child_id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    let mut in_force = None;
    for row in repo::of_type(&mut *tx, child_id, RecordType::Conference).await? {
        if row.occurred_at > at {
            break;
        }
        match row.details.0 {
            Details::Conference {
                decision: ConferenceDecision::Plan,
                ..
            } => in_force = Some(row.id),
            Details::Conference {
                decision: ConferenceDecision::PlanEnds,
                ..
            } => in_force = None,
            _ => {}
        }
    }
    Ok(match in_force {
        // The plan the conference made.
        Some(conference) => repo::of_type(&mut *tx, child_id, RecordType::Plan)
            .await?
            .into_iter()
            .find(|p| matches!(p.details.0, Details::Plan { conference_id, .. } if conference_id == conference))
            .map(|p| p.id),
        None => None,
    })
}

fn plan_action(
    action: &NewPlanAction,
    plan_id: Uuid,
    at: DateTime<Utc>,
    field: &str,
) -> ApiResult<Details> {
    if action.due_date < at.date_naive() {
        return Err(ApiError::validation(
            format!("{field}due_date"),
            "an action cannot be due before it was agreed",
        ));
    }
    Ok(Details::PlanAction {
        plan_id,
        description: text(&format!("{field}description"), &action.description, 1, 500)?,
        owner: action.owner,
        due_date: action.due_date,
    })
}

/// A child protection conference (social care). An initial conference's `plan` makes the plan,
/// with its actions, and puts the child on it from `occurred_at`; a review's `plan_ends` takes the
/// child off it.
#[utoipa::path(
    tag = "process",
    operation_id = "createConference",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewConference,
    responses(
        (status = 201, description = "Recorded", body = ProcessRecord),
        (status = 409, description = "A plan is already in force (initial), or none is (review)", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/conferences")]
#[tracing::instrument(name = "create_conference", skip_all, fields(user_id = %actor.id()))]
pub async fn create_conference(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewConference>,
) -> ApiResult<HttpResponse> {
    let agency = acting_agency(&actor, Action::RecordSocialCareProcess)?;
    let b = body.0;
    let visibility = b.visibility.unwrap_or(Visibility::Shared);
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
    let at = b.occurred_at;
    validation::check_scenario_time("occurred_at", at, child.date_of_birth)?;
    let fits = match b.conference_type {
        ConferenceType::Initial => {
            matches!(
                b.decision,
                ConferenceDecision::Plan | ConferenceDecision::NoPlan
            )
        }
        ConferenceType::Review => matches!(
            b.decision,
            ConferenceDecision::PlanContinues | ConferenceDecision::PlanEnds
        ),
    };
    if !fits {
        return Err(ApiError::validation(
            "decision",
            "an initial conference decides `plan` or `no_plan`; a review `plan_continues` or `plan_ends`",
        ));
    }
    let makes_plan = b.decision == ConferenceDecision::Plan;
    let category = match (makes_plan, b.category) {
        (true, None) => {
            return Err(ApiError::validation(
                "category",
                "a plan is made under a category",
            ));
        }
        (false, Some(_)) => {
            return Err(ApiError::validation(
                "category",
                "only a decision of `plan` has a category",
            ));
        }
        (_, category) => category,
    };
    if !makes_plan && !b.actions.is_empty() {
        return Err(ApiError::validation(
            "actions",
            "only a decision of `plan` has actions; add them to the plan later",
        ));
    }
    if b.actions.len() > 50 {
        return Err(ApiError::validation("actions", "at most 50 actions"));
    }
    let details = Details::Conference {
        conference_type: b.conference_type,
        agencies: agencies(b.agencies)?,
        decision: b.decision,
        category,
        summary: text("summary", &b.summary, 1, 4000)?,
    };
    // Checked for shape before anything is written; the plan's id is filled in below.
    for (i, action) in b.actions.iter().enumerate() {
        plan_action(action, Uuid::nil(), at, &format!("actions[{i}]."))?;
    }
    let record = recorder
        .write(async |tx| {
            // One conference at a time per child: whether a plan is in force decides what may be.
            repo::lock_child_process(&mut *tx, child.id).await?;
            let in_force = plan_in_force(&mut *tx, child.id, at).await?;
            match (b.conference_type, in_force) {
                (ConferenceType::Initial, Some(_)) if makes_plan => {
                    return Err(ApiError::Conflict(
                        "the child is already on a child protection plan: hold a review conference"
                            .into(),
                    ));
                }
                (ConferenceType::Review, None) => {
                    return Err(ApiError::Conflict(
                        "the child is on no child protection plan to review".into(),
                    ));
                }
                _ => {}
            }
            let row = insert(tx, &child, (agency, visibility), &actor, at, details).await?;
            if let (true, Some(category)) = (makes_plan, category) {
                let plan = insert(
                    tx,
                    &child,
                    (agency, visibility),
                    &actor,
                    at,
                    Details::Plan {
                        conference_id: row.id,
                        category,
                    },
                )
                .await?;
                for (i, action) in b.actions.iter().enumerate() {
                    let details = plan_action(action, plan.id, at, &format!("actions[{i}]."))?;
                    insert(tx, &child, (agency, visibility), &actor, at, details).await?;
                }
            }
            let status = match b.decision {
                ConferenceDecision::Plan | ConferenceDecision::PlanContinues => {
                    Some(ChildStatus::ChildProtectionPlan)
                }
                ConferenceDecision::PlanEnds => Some(ChildStatus::ChildInNeed),
                ConferenceDecision::NoPlan => None,
            };
            if let Some(status) = status {
                crate::children::repo::record_status_change(
                    &mut *tx,
                    child.id,
                    status,
                    at,
                    actor.id(),
                )
                .await?;
                crate::children::repo::settle_status(&mut *tx, child.id).await?;
            }
            let id = row.id;
            Ok((shown_one(tx, &actor, &child, row).await?, id))
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}

/// A core group meeting (social care).
#[utoipa::path(
    tag = "process",
    operation_id = "createCoreGroup",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewCoreGroup,
    responses((status = 201, description = "Recorded", body = ProcessRecord))
)]
#[post("/children/{child_id}/core-groups")]
#[tracing::instrument(name = "create_core_group", skip_all, fields(user_id = %actor.id()))]
pub async fn create_core_group(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewCoreGroup>,
) -> ApiResult<HttpResponse> {
    let agency = acting_agency(&actor, Action::RecordSocialCareProcess)?;
    let b = body.0;
    let visibility = b.visibility.unwrap_or(Visibility::Shared);
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
    validation::check_scenario_time("occurred_at", b.occurred_at, child.date_of_birth)?;
    let details = Details::CoreGroup {
        agencies: agencies(b.agencies)?,
        summary: text("summary", &b.summary, 1, 4000)?,
    };
    record_one(
        recorder,
        &child,
        (agency, visibility),
        &actor,
        b.occurred_at,
        details,
    )
    .await
}

/// Add an action to a plan in force (social care).
#[utoipa::path(
    tag = "process",
    operation_id = "createPlanAction",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("plan_id" = Uuid, Path, description = "The plan's id"),
    ),
    request_body = NewLaterPlanAction,
    responses(
        (status = 201, description = "Added", body = ProcessRecord),
        (status = 409, description = "The plan was not in force then", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/plans/{plan_id}/actions")]
#[tracing::instrument(name = "create_plan_action", skip_all, fields(user_id = %actor.id()))]
pub async fn create_plan_action(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<NewLaterPlanAction>,
) -> ApiResult<HttpResponse> {
    let agency = acting_agency(&actor, Action::RecordSocialCareProcess)?;
    let (child_id, plan_id) = path.into_inner();
    let b = body.0;
    let child = crate::children::reachable(&state.db, &actor, child_id).await?;
    let plan = find(&state, &actor, &child, RecordType::Plan, plan_id).await?;
    let at = event_time(b.occurred_at, &child, &plan, "an action")?;
    let details = plan_action(&b.action(), plan.id, at, "")?;
    let record = recorder
        .write(async |tx| {
            repo::lock_child_process(&mut *tx, child.id).await?;
            if plan_in_force(&mut *tx, child.id, at).await? != Some(plan.id) {
                return Err(ApiError::Conflict(
                    "the plan was not in force at `occurred_at`".into(),
                ));
            }
            let row = insert(tx, &child, (agency, plan.visibility), &actor, at, details).await?;
            let id = row.id;
            Ok((shown_one(tx, &actor, &child, row).await?, id))
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}

/// Mark a plan action `done` or `not_done`, with a note: by the agency that owns it (social care
/// for the carers'). An action may be marked `not_done` and later `done`; nothing after `done`.
#[utoipa::path(
    tag = "process",
    operation_id = "markPlanAction",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("plan_id" = Uuid, Path, description = "The plan's id"),
        ("action_id" = Uuid, Path, description = "The action's id"),
    ),
    request_body = NewMark,
    responses(
        (status = 201, description = "Marked: the action as it now stands", body = ProcessRecord),
        (status = 409, description = "Already done", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/plans/{plan_id}/actions/{action_id}/marks")]
#[tracing::instrument(name = "mark_plan_action", skip_all, fields(user_id = %actor.id()))]
pub async fn mark_plan_action(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid, Uuid)>,
    body: ValidJson<NewMark>,
) -> ApiResult<HttpResponse> {
    let (child_id, plan_id, action_id) = path.into_inner();
    let b = body.0;
    let child = crate::children::reachable(&state.db, &actor, child_id).await?;
    authorize(&actor, Action::ReadChild)?;
    // The owning agency sees its action (`record_sight`) even where it cannot see social care's
    // other entries.
    let row = find(&state, &actor, &child, RecordType::PlanAction, action_id).await?;
    if !matches!(row.details.0, Details::PlanAction { plan_id: p, .. } if p == plan_id) {
        return Err(ApiError::NotFound(
            "no plan action with this id on this plan".into(),
        ));
    }
    let Details::PlanAction { owner, .. } = row.details.0 else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a plan action without its details"
        )));
    };
    let agency = acting_agency(&actor, Action::MarkPlanAction { owner })?;
    let at = event_time(b.occurred_at, &child, &row, "a mark")?;
    let details = EventDetails::Marked {
        status: b.status,
        note: text("note", &b.note, 1, 2000)?,
    };
    append(
        recorder,
        Change {
            child: &child,
            row: &row,
            agency,
            actor: &actor,
            occurred_at: at,
            details,
        },
        |events| {
            let done = events.iter().any(|e| {
                matches!(
                    e.details.0,
                    EventDetails::Marked {
                        status: ActionStatus::Done,
                        ..
                    }
                )
            });
            if done {
                return Err(ApiError::Conflict(
                    "this action has already been marked done".into(),
                ));
            }
            if let Some(last) = events.iter().map(|e| e.occurred_at).max()
                && at < last
            {
                return Err(ApiError::validation(
                    "occurred_at",
                    format!(
                        "the action was last marked at {}: a mark comes after it",
                        last.to_rfc3339()
                    ),
                ));
            }
            Ok(())
        },
        async |_| Ok(()),
    )
    .await
}

/// A legal planning meeting with the threshold advice (legal).
#[utoipa::path(
    tag = "process",
    operation_id = "createLegalPlanningMeeting",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewLegalPlanningMeeting,
    responses((status = 201, description = "Recorded", body = ProcessRecord))
)]
#[post("/children/{child_id}/legal-planning-meetings")]
#[tracing::instrument(name = "create_legal_planning_meeting", skip_all, fields(user_id = %actor.id()))]
pub async fn create_legal_planning_meeting(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewLegalPlanningMeeting>,
) -> ApiResult<HttpResponse> {
    let agency = acting_agency(&actor, Action::RecordLegalPlanning)?;
    let b = body.0;
    let visibility = b.visibility.unwrap_or(Visibility::Shared);
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
    validation::check_scenario_time("occurred_at", b.occurred_at, child.date_of_birth)?;
    let details = Details::LegalPlanningMeeting {
        advice: b.advice,
        summary: text("summary", &b.summary, 1, 4000)?,
    };
    record_one(
        recorder,
        &child,
        (agency, visibility),
        &actor,
        b.occurred_at,
        details,
    )
    .await
}

/// The entry a challenge names: whose it is, what it is, and who may see it.
#[derive(sqlx::FromRow)]
struct Challenged {
    agency: Agency,
    visibility: Visibility,
    kind: String,
    /// The agency a referral is made to, which sees it in full.
    party: Option<Agency>,
    occurred_at: DateTime<Utc>,
}

/// Challenge another agency's entry or decision on this record: a contact (its opinion or concern
/// level) or a process record (a referral and its decision, a conference's decision, a legal
/// advice), at a level of the escalation procedure. The challenged agency answers; unanswered, it
/// escalates a level each time its response falls due (`/timescales`, clock `challenge_response`).
#[utoipa::path(
    tag = "process",
    operation_id = "createChallenge",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewChallenge,
    responses((status = 201, description = "Raised", body = ProcessRecord))
)]
#[post("/children/{child_id}/challenges")]
#[tracing::instrument(name = "create_challenge", skip_all, fields(user_id = %actor.id()))]
pub async fn create_challenge(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewChallenge>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    // A challenge needs sight of the entry: only an involved agency (or one under break-glass).
    let child = crate::sharing::readable(&state, &actor, path.into_inner()).await?;
    validation::check_scenario_time("occurred_at", b.occurred_at, child.date_of_birth)?;
    if !(1..=4).contains(&b.level) {
        return Err(ApiError::validation(
            "level",
            "1 (practitioners), 2 (managers), 3 (senior managers) or 4 (the safeguarding partnership)",
        ));
    }
    let concern = text("concern", &b.concern, 1, 4000)?;
    let no_entry = || {
        ApiError::validation(
            "entry_id",
            "no contact or process record with this id on this record that you may see",
        )
    };
    let entry: Challenged = sqlx::query_as(
        "SELECT agency, visibility, kind, NULL::text AS party, occurred_at FROM contacts
          WHERE id = $1 AND child_id = $2
         UNION ALL
         SELECT agency, visibility, record_type, details ->> 'to_agency', occurred_at FROM process_records
          WHERE id = $1 AND child_id = $2 AND record_type <> 'challenge'",
    )
    .bind(b.entry_id)
    .bind(child.id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(no_entry)?;
    let seen = |agency| sight(&actor, child.sharing_mode, agency, entry.visibility) == Sight::Full;
    if !(seen(entry.agency) || entry.party.is_some_and(seen)) {
        return Err(no_entry());
    }
    // A referral is challenged for its decision: the receiving agency's.
    let challenged = entry.party.unwrap_or(entry.agency);
    let agency = acting_agency(&actor, Action::Challenge { of: challenged })?;
    if b.occurred_at < entry.occurred_at {
        return Err(ApiError::validation(
            "occurred_at",
            "a challenge cannot come before the entry it challenges",
        ));
    }
    let visibility = b.visibility.unwrap_or(Visibility::Shared);
    let details = Details::Challenge {
        challenged_agency: challenged,
        entry_id: b.entry_id,
        entry_kind: entry.kind,
        concern,
        level: b.level,
    };
    record_one(
        recorder,
        &child,
        (agency, visibility),
        &actor,
        b.occurred_at,
        details,
    )
    .await
}

/// The challenged agency's answer, once: `upheld` (the entry stands), `decision_changed`,
/// `escalated` (taken to the next level by agreement) or `withdrawn`, with its reason.
#[utoipa::path(
    tag = "process",
    operation_id = "respondToChallenge",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("challenge_id" = Uuid, Path, description = "The challenge's id"),
    ),
    request_body = NewChallengeResponse,
    responses(
        (status = 201, description = "Answered: the challenge as it now stands", body = ProcessRecord),
        (status = 409, description = "Already answered", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/challenges/{challenge_id}/response")]
#[tracing::instrument(name = "respond_to_challenge", skip_all, fields(user_id = %actor.id()))]
pub async fn respond_to_challenge(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<NewChallengeResponse>,
) -> ApiResult<HttpResponse> {
    let (child_id, challenge_id) = path.into_inner();
    let b = body.0;
    let child = crate::children::reachable(&state.db, &actor, child_id).await?;
    let row = find(&state, &actor, &child, RecordType::Challenge, challenge_id).await?;
    let Details::Challenge {
        challenged_agency, ..
    } = row.details.0
    else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a challenge without its details"
        )));
    };
    let agency = acting_agency(
        &actor,
        Action::RespondToChallenge {
            challenged: challenged_agency,
        },
    )?;
    let at = event_time(b.occurred_at, &child, &row, "an answer")?;
    let reason = text("reason", &b.reason, 1, 2000)?;
    append(
        recorder,
        Change {
            child: &child,
            row: &row,
            agency,
            actor: &actor,
            occurred_at: at,
            details: EventDetails::Responded {
                response: b.response,
                reason,
            },
        },
        |events| {
            already(
                events,
                EventType::Responded,
                "challenge has already been answered",
            )
        },
        async |_| Ok(()),
    )
    .await
}

/// Bring an agency in to work the case: a user of an agency involved with the child (or a
/// facilitator) names the agency and the reason. From then on that agency is involved: it reads the
/// record, and is alerted that it was brought in. The entry is on the chronology like any other.
#[utoipa::path(
    tag = "process",
    operation_id = "createInvolvement",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewInvolvement,
    responses(
        (status = 201, description = "Brought in", body = ProcessRecord),
        (status = 409, description = "The agency is involved already", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/involvements")]
#[tracing::instrument(name = "create_involvement", skip_all, fields(user_id = %actor.id()))]
pub async fn create_involvement(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewInvolvement>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    authorize(&actor, Action::ReadChild)?;
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
    let reason = text("reason", &b.reason, 1, 2000)?;
    let at = b.occurred_at.unwrap_or_else(Utc::now);
    validation::check_scenario_time("occurred_at", at, child.date_of_birth)?;
    let member = crate::auth::policy::team_member(&actor, child.team_id);
    // Whose entry it is: the agency that brought the other in (a facilitator has none, so the
    // entry is the agency's own).
    let by = actor.agency().unwrap_or(b.agency);
    let details = Details::Involvement {
        brought_in: b.agency,
        reason,
    };
    let record = recorder
        .write(async |tx| {
            // Two agencies bringing the same one in at once: one of them finds it involved.
            repo::lock_child_process(&mut *tx, child.id).await?;
            let involved = involved_now(&mut *tx, &child).await?;
            crate::auth::policy::may_bring_in(&actor, member, &involved, b.agency).map_err(
                |d| {
                    if involved.contains(&b.agency) {
                        ApiError::Conflict(d.0.into_owned())
                    } else {
                        d.into()
                    }
                },
            )?;
            let row = insert(tx, &child, (by, Visibility::Shared), &actor, at, details).await?;
            let id = row.id;
            Ok((shown_one(tx, &actor, &child, row).await?, id))
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}

/// The agencies involved with the child as the database holds it now, read in the caller's
/// transaction (after its lock), not from the cache.
async fn involved_now(
    tx: &mut PgConnection,
    child: &Child,
) -> sqlx::Result<std::collections::BTreeSet<Agency>> {
    let creator: Option<Agency> =
        sqlx::query_scalar("SELECT u.agency FROM users u WHERE u.id = $1")
            .bind(child.created_by)
            .fetch_one(&mut *tx)
            .await?;
    let records: Vec<sqlx::types::Json<Details>> = sqlx::query_scalar(
        "SELECT details FROM process_records WHERE child_id = $1
            AND record_type IN ('referral', 'strategy_discussion', 'conference', 'core_group',
                                'challenge', 'involvement')",
    )
    .bind(child.id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(crate::auth::policy::involved(
        &crate::combined::repo::involvement_of(creator, records.iter().map(|d| &d.0)),
    ))
}
