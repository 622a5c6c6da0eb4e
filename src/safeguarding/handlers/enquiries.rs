//! Section 47 enquiries and assessments, each ended once by social care.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, acting_agency};
use crate::error::ApiResult;
use crate::extract::ValidJson;
use crate::safeguarding::shown::find;
use crate::safeguarding::types::*;
use crate::safeguarding::write::{Change, append, event_time};
use crate::state::AppState;
use crate::validation::text;
use crate::vocabulary::RecordType;

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
    )
    .await
}
