//! Meetings and their decisions: strategy discussions (which may start a section 47 enquiry),
//! child protection conferences (which make and end plans and set the child's status), core
//! groups and legal planning meetings.

use actix_web::{HttpResponse, post, web};
use uuid::Uuid;

use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, acting_agency};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::safeguarding::shown::shown_one;
use crate::safeguarding::types::*;
use crate::safeguarding::write::{agencies, insert, list_of_text, plan_in_force, record_one};
use crate::safeguarding::{process, repo};
use crate::state::AppState;
use crate::validation::{self, text};
use crate::vocabulary::{RecordType, Visibility};

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
    let outcome = process::conference(b.conference_type, b.decision, b.category, b.actions.len())?;
    let details = Details::Conference {
        conference_type: b.conference_type,
        agencies: agencies(b.agencies)?,
        decision: b.decision,
        category: outcome.plan,
        summary: text("summary", &b.summary, 1, 4000)?,
    };
    // Checked for shape before anything is written; the plan's id is filled in below.
    for (i, action) in b.actions.iter().enumerate() {
        process::plan_action(action, Uuid::nil(), at, &format!("actions[{i}]."))?;
    }
    let entry = (agency, visibility);
    let record = recorder
        .write(async |tx| {
            // One conference at a time per child: whether a plan is in force decides what may be.
            repo::lock_child_process(&mut *tx, child.id).await?;
            let in_force = plan_in_force(&mut *tx, child.id, at).await?;
            process::conference_may_sit(b.conference_type, b.decision, in_force)?;
            let row = insert(tx, &child, entry, &actor, at, details).await?;
            if let Some(category) = outcome.plan {
                let plan = Details::Plan {
                    conference_id: row.id,
                    category,
                };
                let plan = insert(tx, &child, entry, &actor, at, plan).await?;
                for (i, action) in b.actions.iter().enumerate() {
                    let details =
                        process::plan_action(action, plan.id, at, &format!("actions[{i}]."))?;
                    insert(tx, &child, entry, &actor, at, details).await?;
                }
            }
            if let Some(status) = outcome.status {
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
