//! What the teams decided and how they did: decisions at checkpoints, the decisions log, the
//! scores and the room's debrief.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, acting_agency, authorize, sees_every_team};
use crate::error::{ApiError, ApiResult, Problem};
use crate::exercises::play::checkpoint_steps;
use crate::exercises::repo::{self, NewDecisionRow};
use crate::exercises::service::{child_of, not_found, scores_of, standing, visible};
use crate::exercises::types::*;
use crate::extract::ValidJson;
use crate::scenario::format::Action as Step;
use crate::state::AppState;
use crate::validation::text;

/// Record the team's decision at the checkpoint released last (trainees): what is to be done, by
/// which agency (the trainee's own unless given), why, and on which entries of the team's record.
#[utoipa::path(
    tag = "exercises",
    operation_id = "createExerciseDecision",
    params(("exercise_id" = Uuid, Path, description = "The exercise's id")),
    request_body = NewExerciseDecision,
    responses(
        (status = 201, description = "The decision", body = Decision),
        (status = 409, description = "No checkpoint released yet, or the exercise has ended", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/exercises/{exercise_id}/decisions")]
#[tracing::instrument(name = "create_exercise_decision", skip_all, fields(user_id = %actor.id()))]
pub async fn create_decision(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewExerciseDecision>,
) -> ApiResult<HttpResponse> {
    let (exercise, _) = visible(&state, &actor, path.into_inner()).await?;
    let own = acting_agency(&actor, Action::RecordExerciseDecision)?;
    let team = actor.user.team_id.ok_or_else(not_found)?;
    let standing = standing(&state.db, exercise.id).await?;
    if standing.state == ExerciseState::Ended {
        return Err(ApiError::Conflict("the exercise has ended".into()));
    }
    if standing.released == 0 {
        return Err(ApiError::Conflict(
            "no checkpoint has been released yet".into(),
        ));
    }
    let body = body.0;
    let what = text("what", &body.what, 1, 2000)?;
    let why = text("why", &body.why, 1, 2000)?;
    if body.relied_on.len() > 100 {
        return Err(ApiError::validation("relied_on", "at most 100 entries"));
    }
    let progress = repo::progress(&state.db, team).await?.unwrap_or_default();
    let child = child_of(&progress)
        .ok_or_else(|| ApiError::Conflict("the team's record is not open yet".into()))?;
    // A team reset to an earlier checkpoint decides at its own checkpoint.
    let checkpoint = standing.released.min(progress.checkpoints);
    if checkpoint == 0 {
        return Err(ApiError::Conflict(
            "no checkpoint has been released to the team yet".into(),
        ));
    }
    let foreign = repo::foreign_entries(&state.db, child, &body.relied_on).await?;
    if let Some(id) = foreign.first() {
        return Err(ApiError::validation(
            "relied_on",
            format!("{id} is not an entry of the team's record"),
        ));
    }
    let row = NewDecisionRow {
        team,
        child,
        checkpoint,
        agency: body.agency.unwrap_or(own),
        what: &what,
        why: &why,
        relied_on: &body.relied_on,
        author: actor.id(),
    };
    let decision = recorder
        .create(async |tx| repo::insert_decision(tx, &row).await)
        .await?;
    Ok(HttpResponse::Created().json(decision))
}

/// The decisions log: every team's for a facilitator, the caller's team's for a trainee.
#[utoipa::path(
    tag = "exercises",
    operation_id = "listExerciseDecisions",
    params(("exercise_id" = Uuid, Path, description = "The exercise's id")),
    responses((status = 200, description = "Oldest first", body = DecisionLog))
)]
#[get("/exercises/{exercise_id}/decisions")]
#[tracing::instrument(name = "list_exercise_decisions", skip_all, fields(user_id = %actor.id()))]
pub async fn list_decisions(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<DecisionLog>> {
    let (exercise, _) = visible(&state, &actor, path.into_inner()).await?;
    let team = (!sees_every_team(&actor))
        .then_some(actor.user.team_id)
        .flatten();
    let items = repo::decisions(&state.db, exercise.id, team).await?;
    Ok(web::Json(DecisionLog { items }))
}

/// Every team against every expectation of the scenario (facilitators): met, met late (half the
/// points), missed, open (not due yet) or not released.
#[utoipa::path(
    tag = "exercises",
    operation_id = "getExerciseScores",
    params(("exercise_id" = Uuid, Path, description = "The exercise's id")),
    responses((status = 200, description = "The expectations table", body = Scores))
)]
#[get("/exercises/{exercise_id}/scores")]
#[tracing::instrument(name = "get_exercise_scores", skip_all, fields(user_id = %actor.id()))]
pub async fn get_scores(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<Scores>> {
    authorize(&actor, Action::RunExercise)?;
    let (exercise, scenario) = visible(&state, &actor, path.into_inner()).await?;
    let standing = standing(&state.db, exercise.id).await?;
    Ok(web::Json(
        scores_of(&state.db, &exercise, &scenario, &standing).await?,
    ))
}

/// The room's debrief (facilitators): one self-contained HTML document with the expectations
/// table (team × expectation), each team's gap report headline at each checkpoint side by side,
/// the decisions log, and each team's picture and gap report as of the exercise's clock.
#[utoipa::path(
    tag = "exercises",
    operation_id = "getExerciseDebrief",
    params(("exercise_id" = Uuid, Path, description = "The exercise's id")),
    responses((status = 200, description = "The debrief", content_type = "text/html", body = String))
)]
#[get("/exercises/{exercise_id}/debrief")]
#[tracing::instrument(name = "get_exercise_debrief", skip_all, fields(user_id = %actor.id()))]
pub async fn get_exercise_debrief(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::RunExercise)?;
    let (exercise, scenario) = visible(&state, &actor, path.into_inner()).await?;
    let standing = standing(&state.db, exercise.id).await?;
    let scores = scores_of(&state.db, &exercise, &scenario, &standing).await?;
    let all_headlines = repo::headlines(&state.db, exercise.id).await?;
    let decisions = repo::decisions(&state.db, exercise.id, None).await?;
    let mut teams = Vec::new();
    for team in repo::teams(&state.db, exercise.id).await? {
        let progress = repo::progress(&state.db, team.id)
            .await?
            .unwrap_or_default();
        let drawn = match child_of(&progress) {
            Some(child) => Some(
                crate::picture::drawn::draw(
                    &state,
                    &actor,
                    child,
                    standing.clock,
                    crate::picture::model::Lens::Shared,
                )
                .await?,
            ),
            None => None,
        };
        teams.push((team, child_of(&progress), drawn));
    }
    // Each team's current record's: a record a reset replaced is not the team's any more.
    let headlines: Vec<(i32, i32, String)> = all_headlines
        .into_iter()
        .filter(|(number, _, _, child)| {
            teams
                .iter()
                .any(|(t, current, _)| t.number == *number && *current == Some(*child))
        })
        .map(|(number, checkpoint, headline, _)| (number, checkpoint, headline))
        .collect();
    let checkpoints: Vec<(usize, String)> = checkpoint_steps(&scenario)
        .iter()
        .enumerate()
        .filter_map(|(i, s)| match &scenario.steps[*s].action {
            Step::Checkpoint(c) => Some((i + 1, c.title.clone())),
            _ => None,
        })
        .collect();
    let document = crate::exercises::debrief::render(&crate::exercises::debrief::Room {
        exercise: &exercise,
        state: standing.state,
        clock: standing.clock,
        released: standing.released,
        checkpoints: &checkpoints,
        scores: &scores,
        headlines: &headlines,
        decisions: &decisions,
        teams: &teams,
    });
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"exercise-{}.html\"", exercise.id),
        ))
        .body(document))
}
