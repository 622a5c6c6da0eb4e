//! The exercise as a service over the database, for the handlers: finding an exercise its caller
//! may see, where it stands, each team's stage and score, the view of it, and the lock and the
//! player that stage changes go through.

use actix_web::{HttpRequest, web};
use uuid::Uuid;

use super::play::{Player, checkpoint_steps};
use super::repo::{self, Exercise, Team};
use super::score::{DecisionFact, Expected, Stage, score};
use super::types::*;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, authorize, sees_every_team};
use crate::error::{ApiError, ApiResult};
use crate::scenario::format::{Action as Step, Scenario};
use crate::scenario::steps::Progress;
use crate::state::AppState;

pub fn not_found() -> ApiError {
    ApiError::NotFound("no exercise with this id".into())
}

/// The exercise and its scenario, if `actor` may see it: facilitators see every exercise, a
/// trainee only their own team's (anyone else finds none).
pub async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<(Exercise, Scenario)> {
    let exercise = repo::find(&state.db, id).await?.ok_or_else(not_found)?;
    if !sees_every_team(actor) {
        let team = match actor.user.team_id {
            Some(team) => repo::team(&state.db, team).await?,
            None => None,
        };
        if team.is_none_or(|t| t.exercise_id != id) {
            return Err(not_found());
        }
    }
    // Checked in full when the exercise was created: read, not checked again.
    let scenario: Scenario = yaml_serde::from_str(&exercise.scenario_source)
        .map_err(|e| ApiError::internal(anyhow::anyhow!("stored scenario: {e}")))?;
    Ok((exercise, scenario))
}

/// Where the whole exercise stands.
pub struct Standing {
    pub state: ExerciseState,
    pub released: usize,
    pub clock: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn standing(db: &sqlx::PgPool, exercise: Uuid) -> ApiResult<Standing> {
    let event = repo::stage(db, exercise).await?;
    let released = event
        .as_ref()
        .map_or(0, |e| usize::try_from(e.checkpoints).unwrap_or(0));
    let clock = event.as_ref().and_then(|e| e.clock);
    let state = if event.as_ref().is_some_and(|e| e.kind == "ended") {
        ExerciseState::Ended
    } else if repo::ever_advanced(db, exercise).await? {
        ExerciseState::Running
    } else {
        ExerciseState::Ready
    };
    Ok(Standing {
        state,
        released,
        clock,
    })
}

/// Every expectation of the scenario, with its checkpoint's number and time.
pub fn expectations(scenario: &Scenario) -> Vec<Expected<'_>> {
    let mut out = Vec::new();
    let mut number = 0;
    for step in &scenario.steps {
        if let Step::Checkpoint(c) = &step.action {
            number += 1;
            for e in c.expectations.iter().flatten() {
                out.push(Expected {
                    checkpoint: number,
                    at: step.at.0,
                    expectation: e,
                });
            }
        }
    }
    out
}

pub fn child_of(progress: &Progress) -> Option<Uuid> {
    progress.child_id.as_deref().and_then(|c| c.parse().ok())
}

/// The checkpoint released last, as the room sees it (`number` 0: none yet).
pub fn checkpoint_view(scenario: &Scenario, number: usize) -> Option<CheckpointView> {
    let step = *checkpoint_steps(scenario).get(number.checked_sub(1)?)?;
    match &scenario.steps[step].action {
        Step::Checkpoint(c) => Some(CheckpointView {
            number,
            title: c.title.clone(),
            question: c.question.clone(),
            at: scenario.steps[step].at.0,
        }),
        _ => None,
    }
}

/// Where one team stands: a team reset to an earlier checkpoint is there, with that
/// checkpoint's time for its clock, until the next stage catches it up.
fn team_stage(scenario: &Scenario, standing: &Standing, reached: usize) -> Stage {
    if reached < standing.released {
        Stage {
            released: reached,
            clock: checkpoint_view(scenario, reached).map(|c| c.at),
            ended: standing.state == ExerciseState::Ended,
        }
    } else {
        Stage {
            released: standing.released,
            clock: standing.clock,
            ended: standing.state == ExerciseState::Ended,
        }
    }
}

/// How `team`, whose record stands at `progress`, has done against the expectations.
async fn team_score(
    db: &sqlx::PgPool,
    scenario: &Scenario,
    team: &Team,
    progress: &Progress,
    expected: &[Expected<'_>],
    standing: &Standing,
) -> ApiResult<TeamScore> {
    let child = child_of(progress);
    let entries = match child {
        Some(child) => repo::trainee_entries(db, team.id, child).await?,
        None => Vec::new(),
    };
    let history = repo::clocks(db, team.exercise_id, team.id).await?;
    // Decisions about a record a reset replaced do not count for the new one.
    let decisions: Vec<DecisionFact> = repo::decisions(db, team.exercise_id, Some(team.id))
        .await?
        .into_iter()
        .filter(|d| Some(d.child_id) == child)
        .map(|d| DecisionFact {
            checkpoint: usize::try_from(d.checkpoint).unwrap_or(0),
            agency: d.agency,
            recorded_at: d.recorded_at,
        })
        .collect();
    let stage = team_stage(scenario, standing, progress.checkpoints);
    let (score, results) = score(expected, &stage, &entries, &history, &decisions);
    Ok(TeamScore {
        team: u32::try_from(team.number).unwrap_or(0),
        team_id: team.id,
        score,
        results,
    })
}

pub async fn scores_of(
    db: &sqlx::PgPool,
    exercise: &Exercise,
    scenario: &Scenario,
    standing: &Standing,
) -> ApiResult<Scores> {
    let expected = expectations(scenario);
    let mut teams = Vec::new();
    for team in repo::teams(db, exercise.id).await? {
        let progress = repo::progress(db, team.id).await?.unwrap_or_default();
        teams.push(team_score(db, scenario, &team, &progress, &expected, standing).await?);
    }
    Ok(Scores {
        expectations: expected
            .iter()
            .map(|x| ExpectationView {
                id: x.expectation.id.clone(),
                checkpoint: x.checkpoint,
                expectation: x.expectation.clone(),
                due_at: x.due_at(),
            })
            .collect(),
        teams,
    })
}

/// The exercise as `actor` sees it: a facilitator every team with its score; a trainee their own.
pub async fn view(
    db: &sqlx::PgPool,
    actor: &Actor,
    exercise: &Exercise,
    scenario: &Scenario,
) -> ApiResult<ExerciseView> {
    view_of(db, actor, exercise, scenario, true).await
}

/// [`view`], with the teams' scores (facilitators) only when `scored`.
pub async fn view_of(
    db: &sqlx::PgPool,
    actor: &Actor,
    exercise: &Exercise,
    scenario: &Scenario,
    scored: bool,
) -> ApiResult<ExerciseView> {
    let standing = standing(db, exercise.id).await?;
    let checkpoints = checkpoint_steps(scenario);
    let facilitator = sees_every_team(actor);
    // A trainee sees their team's checkpoint (behind the room's after a reset of the team).
    let mut shown = standing.released;
    if let (false, Some(team)) = (facilitator, actor.user.team_id) {
        let reached = repo::progress(db, team).await?.map_or(0, |p| p.checkpoints);
        shown = shown.min(reached);
    }
    let checkpoint = checkpoint_view(scenario, shown);
    let expected = expectations(scenario);
    let mut teams = Vec::new();
    for team in repo::teams(db, exercise.id).await? {
        if !facilitator && actor.user.team_id != Some(team.id) {
            continue;
        }
        let progress = repo::progress(db, team.id).await?.unwrap_or_default();
        let child_id = child_of(&progress);
        let score = if facilitator && scored {
            let scored = team_score(db, scenario, &team, &progress, &expected, &standing).await?;
            Some(scored.score)
        } else {
            None
        };
        teams.push(TeamView {
            id: team.id,
            number: u32::try_from(team.number).unwrap_or(0),
            child_id,
            checkpoints_reached: progress.checkpoints,
            steps_played: progress.next_step,
            steps: scenario.steps.len(),
            score,
            timeline: child_id.map(|c| format!("/children/{c}/timeline")),
        });
    }
    Ok(ExerciseView {
        id: exercise.id,
        name: exercise.name.clone(),
        scenario: exercise.scenario_name.clone(),
        state: standing.state,
        clock: standing.clock,
        checkpoints_released: shown,
        checkpoint_count: checkpoints.len(),
        checkpoint,
        teams,
        created_at: exercise.created_at,
    })
}

pub fn player(req: &HttpRequest, state: &web::Data<AppState>, actor: &Actor) -> ApiResult<Player> {
    Ok(Player {
        state: state.clone(),
        loopback: req
            .app_data::<web::Data<super::play::Loopback>>()
            .cloned()
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("the loopback app is missing")))?,
        facilitator: actor.user.clone(),
    })
}

/// How many teams' records are played at once: the teams' records are independent, and each play
/// is a run of requests to the service's own app that waits mostly on the database.
const TEAMS_AT_ONCE: usize = 4;

/// Runs `each` for every team, a few at a time; the first failure is the answer.
pub async fn for_each_team<'a, T>(
    teams: impl IntoIterator<Item = &'a Team>,
    each: impl AsyncFn(&'a Team) -> ApiResult<T>,
) -> ApiResult<Vec<T>> {
    use futures_util::StreamExt;
    let each = &each;
    let done: Vec<ApiResult<T>> = futures_util::stream::iter(teams)
        .map(|team| each(team))
        .buffer_unordered(TEAMS_AT_ONCE)
        .collect()
        .await;
    done.into_iter().collect()
}

/// One stage change at a time per exercise: held for the length of a transaction that is never
/// committed, so a request cut off releases it.
pub async fn exclusive(
    db: &sqlx::PgPool,
    exercise: Uuid,
) -> ApiResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    let mut tx = db.begin().await?;
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 7))")
        .bind(exercise.to_string())
        .fetch_one(&mut *tx)
        .await?;
    if !got {
        return Err(ApiError::Conflict(
            "another change to this exercise is under way; try again when it is done".into(),
        ));
    }
    Ok(tx)
}

/// The exercise, for a stage change by a facilitator: its lock held (see `exclusive`), then where
/// it stands read, so that two changes never act on the same state.
pub async fn facilitated(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<(
    Exercise,
    Scenario,
    Standing,
    sqlx::Transaction<'static, sqlx::Postgres>,
)> {
    authorize(actor, Action::RunExercise)?;
    let (exercise, scenario) = visible(state, actor, id).await?;
    let lock = exclusive(&state.db, id).await?;
    let standing = standing(&state.db, id).await?;
    if standing.state == ExerciseState::Ended {
        return Err(ApiError::Conflict("the exercise has ended".into()));
    }
    Ok((exercise, scenario, standing, lock))
}
