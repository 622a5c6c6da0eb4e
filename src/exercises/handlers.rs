use actix_web::{HttpRequest, HttpResponse, get, post, web};
use rand::Rng;
use uuid::Uuid;

use super::play::{Player, checkpoint_steps, end_of_stage, opening};
use super::repo::{self, Exercise, NewDecisionRow, NewEvent, Team};
use super::score::{DecisionFact, Expected, Stage, score};
use super::types::*;
use crate::audit::Recorder;
use crate::auth::Actor;
use crate::auth::policy::{Action, acting_agency, authorize};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::ValidJson;
use crate::scenario::format::{Action as Step, Scenario};
use crate::scenario::replay::{Progress, steps_until};
use crate::state::AppState;
use crate::users::repo::UserRecord;
use crate::validation::text;
use crate::vocabulary::{Agency, Role};

/// Most teams an exercise may have.
pub const MAX_TEAMS: u32 = 12;

/// Longest scenario a request may carry (the bundled ones are under 21,000 characters): even
/// written as JSON escapes, it stays inside the body limit.
pub const MAX_SCENARIO_CHARS: usize = 50_000;

fn not_found() -> ApiError {
    ApiError::NotFound("no exercise with this id".into())
}

/// The exercise and its scenario, if `actor` may see it: facilitators see every exercise, a
/// trainee only their own team's (anyone else finds none).
async fn visible(state: &AppState, actor: &Actor, id: Uuid) -> ApiResult<(Exercise, Scenario)> {
    let exercise = repo::find(&state.db, id).await?.ok_or_else(not_found)?;
    if actor.role() != Role::Facilitator {
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

fn parse(source: &str) -> Result<Scenario, String> {
    crate::scenario::check::check(source).map_err(|issues| {
        issues
            .iter()
            .take(5)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Where the whole exercise stands.
struct Standing {
    state: ExerciseState,
    released: usize,
    clock: Option<chrono::DateTime<chrono::Utc>>,
}

async fn standing(db: &sqlx::PgPool, exercise: Uuid) -> ApiResult<Standing> {
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
fn expectations(scenario: &Scenario) -> Vec<Expected<'_>> {
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

fn child_of(progress: &Progress) -> Option<Uuid> {
    progress.child_id.as_deref().and_then(|c| c.parse().ok())
}

/// The checkpoint released last, as the room sees it (`number` 0: none yet).
fn checkpoint_view(scenario: &Scenario, number: usize) -> Option<CheckpointView> {
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

async fn scores_of(
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
async fn view(
    db: &sqlx::PgPool,
    actor: &Actor,
    exercise: &Exercise,
    scenario: &Scenario,
) -> ApiResult<ExerciseView> {
    view_of(db, actor, exercise, scenario, true).await
}

/// [`view`], with the teams' scores (facilitators) only when `scored`.
async fn view_of(
    db: &sqlx::PgPool,
    actor: &Actor,
    exercise: &Exercise,
    scenario: &Scenario,
    scored: bool,
) -> ApiResult<ExerciseView> {
    let standing = standing(db, exercise.id).await?;
    let checkpoints = checkpoint_steps(scenario);
    let facilitator = actor.role() == Role::Facilitator;
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

/// A password to read out or print: four groups of four letters and digits, none easily confused.
fn generated_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY346789";
    let mut rng = rand::rng();
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

fn credentials_csv(teams: &[CreatedTeam]) -> ApiResult<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["team", "agency", "username", "password"])
        .map_err(ApiError::internal)?;
    for team in teams {
        for a in &team.accounts {
            out.write_record([
                a.team.to_string(),
                a.agency.as_str().to_string(),
                a.username.clone(),
                a.password.clone(),
            ])
            .map_err(ApiError::internal)?;
        }
    }
    let bytes = out.into_inner().map_err(ApiError::internal)?;
    String::from_utf8(bytes).map_err(ApiError::internal)
}

fn player(req: &HttpRequest, state: &web::Data<AppState>, actor: &Actor) -> ApiResult<Player> {
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
async fn for_each_team<'a, T>(
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
async fn exclusive(
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

/// Create an exercise (facilitators): a scenario, bundled (`scenario`) or given whole
/// (`scenario_yaml`), for 1 to 12 teams. The service creates each team's four trainees (one per
/// agency) and the scenario's actors, and opens each team's own child record. The trainees'
/// passwords are in this answer only, also as `credentials_csv`.
#[utoipa::path(
    tag = "exercises",
    operation_id = "createExercise",
    request_body = NewExercise,
    responses(
        (status = 201, description = "The exercise, its teams and every trainee's credentials", body = CreatedExercise),
        (status = 403, description = "Not a facilitator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/exercises")]
#[tracing::instrument(name = "create_exercise", skip_all, fields(user_id = %actor.id()))]
pub async fn create_exercise(
    state: web::Data<AppState>,
    req: HttpRequest,
    actor: Actor,
    recorder: Recorder,
    body: ValidJson<NewExercise>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::RunExercise)?;
    let body = body.0;
    let name = text("name", &body.name, 1, 200)?;
    if !(1..=MAX_TEAMS).contains(&body.teams) {
        return Err(ApiError::validation(
            "teams",
            format!("must be between 1 and {MAX_TEAMS}"),
        ));
    }
    let (scenario_name, source) = match (&body.scenario, &body.scenario_yaml) {
        (Some(named), None) => {
            let source = crate::scenario::bundled(named).ok_or_else(|| {
                ApiError::validation(
                    "scenario",
                    format!(
                        "no bundled scenario of this name; there are: {}",
                        crate::scenario::BUNDLED
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            (
                named.trim_end_matches(".yaml").to_string(),
                source.to_string(),
            )
        }
        (None, Some(yaml)) => {
            if yaml.chars().count() > MAX_SCENARIO_CHARS {
                return Err(ApiError::validation(
                    "scenario_yaml",
                    format!("at most {MAX_SCENARIO_CHARS} characters"),
                ));
            }
            if yaml.contains('\0') {
                return Err(ApiError::validation(
                    "scenario_yaml",
                    "must not contain NUL",
                ));
            }
            (String::new(), yaml.clone())
        }
        _ => {
            return Err(ApiError::validation(
                "scenario",
                "give `scenario` (a bundled scenario's name) or `scenario_yaml`, not both",
            ));
        }
    };
    let field = if body.scenario.is_some() {
        "scenario"
    } else {
        "scenario_yaml"
    };
    let scenario = parse(&source).map_err(|detail| ApiError::validation(field, detail))?;
    if let Some((key, _)) = scenario.actors.iter().find(|(_, a)| {
        !(1..=200).contains(&a.display_name.chars().count())
            || a.display_name.trim().is_empty()
            || a.display_name.contains('\0')
    }) {
        return Err(ApiError::validation(
            field,
            format!("actor `{key}`: `display_name` must be 1 to 200 characters, without NUL"),
        ));
    }
    if scenario.name.contains('\0') || scenario.name.chars().count() > 200 {
        return Err(ApiError::validation(
            field,
            "`name` must be at most 200 characters, without NUL",
        ));
    }
    if checkpoint_steps(&scenario).is_empty() {
        return Err(ApiError::validation(
            field,
            "the scenario has no checkpoint to release",
        ));
    }
    let scenario_name = if scenario_name.is_empty() {
        scenario.name.clone()
    } else {
        scenario_name
    };

    let id = Uuid::new_v4();
    let code = id.simple().to_string()[..6].to_string();
    let mut teams = Vec::new();
    let mut hashes = Vec::new();
    for number in 1..=body.teams {
        let mut accounts = Vec::new();
        for agency in Agency::ALL {
            let password = generated_password();
            hashes.push(
                crate::auth::password::hash(password.clone())
                    .await
                    .map_err(ApiError::internal)?,
            );
            accounts.push(TraineeAccount {
                team: number,
                agency: *agency,
                username: format!("{code}-t{number}-{}", agency.as_str()),
                password,
            });
        }
        teams.push(CreatedTeam {
            id: Uuid::new_v4(),
            number,
            accounts,
        });
    }
    let created = CreatedExercise {
        id,
        name: name.clone(),
        scenario: scenario_name.clone(),
        credentials_csv: credentials_csv(&teams)?,
        teams,
    };
    let created = recorder
        .write(async |tx| {
            repo::insert_exercise(
                tx,
                id,
                &name,
                &scenario_name,
                &source,
                body.mode,
                actor.id(),
            )
            .await?;
            let mut hashes = hashes.iter();
            let mut answer = created.clone();
            for team in &mut answer.teams {
                team.id =
                    repo::insert_team(tx, id, i32::try_from(team.number).unwrap_or(0)).await?;
                for a in &team.accounts {
                    let display_name = format!("Team {} {}", team.number, a.agency.label());
                    let user = crate::users::repo::insert(
                        &mut *tx,
                        &UserRecord {
                            username: &a.username,
                            display_name: &display_name,
                            agency: Some(a.agency),
                            role: Role::Practitioner,
                            password_hash: hashes.next().map_or("!", String::as_str),
                        },
                    )
                    .await?;
                    repo::join_team(tx, user.id, team.id, None).await?;
                }
                for (key, actor) in &scenario.actors {
                    // A username takes letters, digits, `.`, `_` and `-` only.
                    let key_part: String = key
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() || c == '.' || c == '_' {
                                c
                            } else {
                                '-'
                            }
                        })
                        .collect();
                    let mut username = format!("{code}-t{}-a-{key_part}", team.number);
                    username.truncate(64);
                    // No password: only the service acts as the scenario's actors.
                    let user = crate::users::repo::insert(
                        &mut *tx,
                        &UserRecord {
                            username: &username,
                            display_name: &actor.display_name,
                            agency: actor.agency,
                            role: actor.role,
                            password_hash: "!",
                        },
                    )
                    .await?;
                    repo::join_team(tx, user.id, team.id, Some(key)).await?;
                }
            }
            let event = NewEvent {
                exercise: id,
                kind: "created",
                team: None,
                checkpoints: 0,
                clock: None,
                mode: body.mode,
                by: actor.id(),
            };
            repo::insert_event(tx, &event).await?;
            Ok((answer, id))
        })
        .await?;
    // Each team's record is opened now, by the scenario's own first steps (under the exercise's
    // lock, as any stage: a first advance waits for it).
    let _lock = exclusive(&state.db, id).await?;
    let player = player(&req, &state, &actor)?;
    let teams = repo::teams(&state.db, id).await?;
    let until = opening(&scenario);
    for_each_team(&teams, async |team| {
        if let Err(error) = player
            .play(&scenario, team, Progress::default(), until, body.mode)
            .await
        {
            tracing::warn!(%error, team = team.number, "opening a team's record failed; the first stage will");
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Exercises, without scores (`GET /exercises/{id}` has them): a facilitator sees every one; a
/// trainee their own.
#[utoipa::path(
    tag = "exercises",
    operation_id = "listExercises",
    responses((status = 200, description = "Newest first", body = ExerciseList))
)]
#[get("/exercises")]
#[tracing::instrument(name = "list_exercises", skip_all, fields(user_id = %actor.id()))]
pub async fn list_exercises(
    state: web::Data<AppState>,
    actor: Actor,
) -> ApiResult<web::Json<ExerciseList>> {
    let mut items = Vec::new();
    for exercise in repo::all(&state.db).await? {
        match visible(&state, &actor, exercise.id).await {
            Ok((exercise, scenario)) => {
                items.push(view_of(&state.db, &actor, &exercise, &scenario, false).await?)
            }
            Err(ApiError::NotFound(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(web::Json(ExerciseList { items }))
}

/// One exercise: its state, scenario clock, the checkpoint released last with its question, and
/// its teams (a trainee sees their own team only; a facilitator every team with its score).
#[utoipa::path(
    tag = "exercises",
    operation_id = "getExercise",
    params(("exercise_id" = Uuid, Path, description = "The exercise's id")),
    responses(
        (status = 200, description = "The exercise", body = ExerciseView),
        (status = 404, description = "No such exercise, or not the caller's", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/exercises/{exercise_id}")]
#[tracing::instrument(name = "get_exercise", skip_all, fields(user_id = %actor.id()))]
pub async fn get_exercise(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<ExerciseView>> {
    let (exercise, scenario) = visible(&state, &actor, path.into_inner()).await?;
    Ok(web::Json(
        view(&state.db, &actor, &exercise, &scenario).await?,
    ))
}

/// The exercise, for a stage change by a facilitator: its lock held (see `exclusive`), then where
/// it stands read, so that two changes never act on the same state.
async fn facilitated(
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
    let team = (actor.role() != Role::Facilitator)
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
                crate::picture::handlers::draw(
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
    let document = super::debrief::render(&super::debrief::Room {
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

/// The facilitator's page for an exercise: its teams with progress and score, links to each
/// team's timeline and debrief, and buttons to advance, reset and end. It holds no data: its
/// script reads the exercise with the signed-in facilitator's token.
#[utoipa::path(
    tag = "exercises",
    operation_id = "getExercisePage",
    security(()),
    params(("exercise_id" = Uuid, Path, description = "The exercise's id")),
    responses((status = 200, description = "The page", content_type = "text/html", body = String))
)]
#[get("/exercises/{exercise_id}")]
pub async fn exercise_page(_path: web::Path<Uuid>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("assets/exercise.html"))
}

/// The facilitator page's script.
#[utoipa::path(
    tag = "exercises",
    operation_id = "getExerciseScript",
    security(()),
    responses((status = 200, description = "The script", content_type = "text/javascript", body = String))
)]
#[get("/assets/exercise.js")]
pub async fn exercise_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("assets/exercise.js"))
}
