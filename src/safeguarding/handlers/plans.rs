//! Plans' actions: added while the plan is in force, and marked by the agency that answers for
//! each.

use actix_web::{HttpResponse, post, web};
use uuid::Uuid;

use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, acting_agency, authorize};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::safeguarding::shown::{find, shown_one};
use crate::safeguarding::types::*;
use crate::safeguarding::write::{Change, append, event_time, insert, plan_in_force};
use crate::safeguarding::{process, repo};
use crate::state::AppState;
use crate::validation::text;
use crate::vocabulary::RecordType;

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
    let details = process::plan_action(&b.action(), plan.id, at, "")?;
    let record = recorder
        .write(async |tx| {
            repo::lock_child_process(&mut *tx, child.id).await?;
            process::action_may_be_added(plan.id, plan_in_force(&mut *tx, child.id, at).await?)?;
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
    )
    .await
}
