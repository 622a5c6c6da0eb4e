//! Referrals: made or logged, acknowledged and decided by the receiving agency (`process::change`
//! says what a decision starts).

use actix_web::{HttpResponse, post, web};
use uuid::Uuid;

use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, acting_agency};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::safeguarding::shown::find;
use crate::safeguarding::types::*;
use crate::safeguarding::write::{Change, append, event_time, record_one};
use crate::state::AppState;
use crate::validation::{self, text};
use crate::vocabulary::{RecordType, Referrer, Visibility};

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
    let (row, agency) = receiving(&state, &actor, &child, referral_id).await?;
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
    let (row, agency) = receiving(&state, &actor, &child, referral_id).await?;
    let at = event_time(b.occurred_at, &child, &row, "a decision")?;
    let reason = text("reason", &b.reason, 1, 2000)?;
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
    )
    .await
}

/// The referral, and the agency its receiver acts as: only the receiving agency acknowledges or
/// decides it.
async fn receiving(
    state: &AppState,
    actor: &Actor,
    child: &crate::children::Child,
    referral_id: Uuid,
) -> ApiResult<(
    crate::safeguarding::repo::RecordRow,
    crate::vocabulary::Agency,
)> {
    let row = find(state, actor, child, RecordType::Referral, referral_id).await?;
    let Details::Referral { to_agency, .. } = row.details.0 else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a referral without its details"
        )));
    };
    let agency = acting_agency(
        actor,
        Action::DecideReferral {
            receiving: to_agency,
        },
    )?;
    Ok((row, agency))
}
