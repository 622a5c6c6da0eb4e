//! Exercises: created with their teams' trainees, listed, read, and the facilitator's page.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use uuid::Uuid;

use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, authorize};
use crate::error::{ApiError, ApiResult, Problem};
use crate::exercises::play::opening;
use crate::exercises::repo;
use crate::exercises::service::{for_each_team, player, view, view_of, visible};
use crate::exercises::setup::{credentials_csv, provision, setup, trainees};
use crate::exercises::types::*;
use crate::extract::ValidJson;
use crate::scenario::steps::Progress;
use crate::state::AppState;

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
    let setup = setup(&body)?;
    let id = Uuid::new_v4();
    let code = id.simple().to_string()[..6].to_string();
    let (teams, hashes) = trainees(&code, body.teams).await?;
    let created = CreatedExercise {
        id,
        name: setup.name.clone(),
        scenario: setup.scenario_name.clone(),
        credentials_csv: credentials_csv(&teams)?,
        teams,
    };
    let created = recorder
        .write(async |tx| {
            let answer = provision(
                tx,
                &setup,
                &created,
                (&code, &hashes),
                (body.mode, actor.id()),
            )
            .await?;
            Ok((answer, id))
        })
        .await?;
    // Each team's record is opened now, by the scenario's own first steps (under the exercise's
    // lock, as any stage: a first advance waits for it).
    let _lock = crate::exercises::service::exclusive(&state.db, id).await?;
    let player = player(&req, &state, &actor)?;
    let teams = repo::teams(&state.db, id).await?;
    let scenario = &setup.scenario;
    let until = opening(scenario);
    for_each_team(&teams, async |team| {
        if let Err(error) = player
            .play(scenario, team, Progress::default(), until, body.mode)
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
        .body(include_str!("../assets/exercise.html"))
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
        .body(include_str!("../assets/exercise.js"))
}
