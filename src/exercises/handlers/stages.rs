//! A running exercise's stages: advance, reset (the room or one team) and end, each under the
//! exercise's lock.

use actix_web::{HttpRequest, HttpResponse, post, web};
use uuid::Uuid;

use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::error::{ApiError, ApiResult, Problem};
use crate::exercises::play::{checkpoint_steps, end_of_stage};
use crate::exercises::repo::{self, NewEvent, Team};
use crate::exercises::service::{checkpoint_view, child_of, facilitated, for_each_team, player};
use crate::exercises::types::*;
use crate::extract::ValidJson;
use crate::scenario::replay::steps_until;
use crate::scenario::steps::Progress;
use crate::state::AppState;

/// Release the next stage (facilitators): the service plays the scenario's steps up to the next
/// checkpoint (or every step up to `until`) into every team's record, as the scenario's actors,
/// and each team sees the checkpoint's question. `mode` switches every record's sharing mode
/// once the stage is played.
#[utoipa::path(
    tag = "exercises",
    operation_id = "advanceExercise",
    params(("exercise_id" = Uuid, Path, description = "The exercise's id")),
    request_body = Advance,
    responses(
        (status = 201, description = "The stage released (`GET` the exercise for where it stands)", body = StageChange),
        (status = 409, description = "Ended, every checkpoint released already, or another change under way", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/exercises/{exercise_id}/advance")]
#[tracing::instrument(name = "advance_exercise", skip_all, fields(user_id = %actor.id()))]
pub async fn advance_exercise(
    state: web::Data<AppState>,
    req: HttpRequest,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<Advance>,
) -> ApiResult<HttpResponse> {
    let (exercise, scenario, standing, _lock) =
        facilitated(&state, &actor, path.into_inner()).await?;
    let checkpoints = checkpoint_steps(&scenario);
    let until = match body.0.until {
        Some(at) => {
            if standing.clock.is_some_and(|c| at <= c) {
                return Err(ApiError::validation(
                    "until",
                    "must be later than the exercise's clock",
                ));
            }
            steps_until(&scenario, 0, Some(at))
        }
        None if standing.released >= checkpoints.len() => {
            return Err(ApiError::Conflict(
                "every checkpoint has been released; end the exercise or reset it".into(),
            ));
        }
        None => end_of_stage(&scenario, standing.released + 1),
    };
    let released = checkpoints.iter().filter(|s| **s < until).count();
    let clock = match body.0.until {
        Some(at) => Some(at),
        None => until.checked_sub(1).map(|i| scenario.steps[i].at.0),
    };
    let player = player(&req, &state, &actor)?;
    let mode = match body.0.mode {
        Some(m) => Some(m),
        None => repo::last_mode(&state.db, exercise.id)
            .await?
            .or(exercise.mode),
    };
    let teams = repo::teams(&state.db, exercise.id).await?;
    for_each_team(&teams, async |team| {
        let progress = repo::progress(&state.db, team.id)
            .await?
            .unwrap_or_default();
        let progress = if progress.next_step < until {
            player.play(&scenario, team, progress, until, mode).await?
        } else {
            progress
        };
        if let (Some(m), Some(child)) = (body.0.mode, child_of(&progress)) {
            player.set_mode(child, m).await?;
        }
        Ok(())
    })
    .await?;
    let change = recorder
        .create(async |tx| {
            let event = NewEvent {
                exercise: exercise.id,
                kind: "advanced",
                team: None,
                checkpoints: released.max(standing.released),
                clock,
                mode: body.0.mode,
                by: actor.id(),
            };
            repo::insert_event(tx, &event).await
        })
        .await?;
    Ok(HttpResponse::Created().json(change))
}

/// Put the exercise, or one team (`team`), back to a checkpoint (0: the start). Each team reset
/// gets a new record, played by the service up to that checkpoint; its old record and the audit
/// trail keep everything that happened.
#[utoipa::path(
    tag = "exercises",
    operation_id = "resetExercise",
    params(("exercise_id" = Uuid, Path, description = "The exercise's id")),
    request_body = Reset,
    responses(
        (status = 201, description = "The reset (`GET` the exercise for where it stands)", body = StageChange),
        (status = 409, description = "Ended, or another change under way", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/exercises/{exercise_id}/reset")]
#[tracing::instrument(name = "reset_exercise", skip_all, fields(user_id = %actor.id()))]
pub async fn reset_exercise(
    state: web::Data<AppState>,
    req: HttpRequest,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<Reset>,
) -> ApiResult<HttpResponse> {
    let (exercise, scenario, standing, _lock) =
        facilitated(&state, &actor, path.into_inner()).await?;
    let to = body.0.checkpoint;
    if to > standing.released {
        return Err(ApiError::validation(
            "checkpoint",
            format!(
                "at most the checkpoints released so far ({})",
                standing.released
            ),
        ));
    }
    let teams = repo::teams(&state.db, exercise.id).await?;
    let chosen: Vec<&Team> = match body.0.team {
        None => teams.iter().collect(),
        Some(n) => {
            let one: Vec<&Team> = teams
                .iter()
                .filter(|t| u32::try_from(t.number).ok() == Some(n))
                .collect();
            if one.is_empty() {
                return Err(ApiError::validation(
                    "team",
                    format!("the exercise has teams 1 to {}", teams.len()),
                ));
            }
            one
        }
    };
    let player = player(&req, &state, &actor)?;
    let mode = repo::last_mode(&state.db, exercise.id)
        .await?
        .or(exercise.mode);
    let until = end_of_stage(&scenario, to);
    let replaced: Vec<Uuid> = for_each_team(chosen.iter().copied(), async |team| {
        let old = repo::progress(&state.db, team.id)
            .await?
            .as_ref()
            .and_then(child_of);
        let played = player
            .play(&scenario, team, Progress::default(), until, mode)
            .await?;
        if child_of(&played).is_none() {
            return Err(ApiError::Conflict(format!(
                "team {}'s new record could not be opened",
                team.number
            )));
        }
        Ok(old)
    })
    .await?
    .into_iter()
    .flatten()
    .collect();
    // A team reset puts that team alone back; the room's clock and checkpoint stay.
    let team = body.0.team.and(chosen.first().map(|t| t.id));
    let (checkpoints, clock) = (to, checkpoint_view(&scenario, to).map(|c| c.at));
    let change = recorder
        .create(async |tx| {
            // The replaced records leave the teams' workspaces; facilitators keep them.
            for child in &replaced {
                crate::children::repo::retire(&mut *tx, *child).await?;
            }
            let event = NewEvent {
                exercise: exercise.id,
                kind: "reset",
                team,
                checkpoints,
                clock,
                mode: None,
                by: actor.id(),
            };
            repo::insert_event(tx, &event).await
        })
        .await?;
    Ok(HttpResponse::Created().json(change))
}

/// End the exercise: every trainee's account is disabled and signed out; the records stay, readable
/// to facilitators, and the scores are final.
#[utoipa::path(
    tag = "exercises",
    operation_id = "endExercise",
    params(("exercise_id" = Uuid, Path, description = "The exercise's id")),
    responses(
        (status = 201, description = "The end", body = StageChange),
        (status = 409, description = "Ended already", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/exercises/{exercise_id}/end")]
#[tracing::instrument(name = "end_exercise", skip_all, fields(user_id = %actor.id()))]
pub async fn end_exercise(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let (exercise, _, standing, _lock) = facilitated(&state, &actor, path.into_inner()).await?;
    let change = recorder
        .create(async |tx| {
            repo::disable_members(tx, exercise.id).await?;
            let event = NewEvent {
                exercise: exercise.id,
                kind: "ended",
                team: None,
                checkpoints: standing.released,
                clock: standing.clock,
                mode: None,
                by: actor.id(),
            };
            repo::insert_event(tx, &event).await
        })
        .await?;
    Ok(HttpResponse::Created().json(change))
}
