//! The service plays an exercise's scenario into each team's record itself: the same engine as
//! `mash scenario replay`, its requests sent to the service's own app in memory (no network), as
//! each team's actors and the facilitator, so every step passes the same checks and leaves the same
//! audit events as if a person had sent it.

use std::collections::BTreeMap;

use actix_service::boxed::{BoxFuture, BoxService};
use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header;
use actix_web::web;
use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use super::repo::{self, Team};
use crate::error::{ApiError, ApiResult};
use crate::scenario::format::{Action, Scenario};
use crate::scenario::replay;
use crate::scenario::steps::{Progress, ReplayError, Said, Transport};
use crate::state::AppState;
use crate::vocabulary::SharingMode;

/// The step indices of the scenario's checkpoints, in order.
pub fn checkpoint_steps(scenario: &Scenario) -> Vec<usize> {
    scenario
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.action, Action::Checkpoint(_)))
        .map(|(i, _)| i)
        .collect()
}

/// The step after the `number`-th checkpoint (0: the step after the record is opened).
pub fn end_of_stage(scenario: &Scenario, number: usize) -> usize {
    match number {
        0 => opening(scenario),
        n => checkpoint_steps(scenario)
            .get(n - 1)
            .map_or(scenario.steps.len(), |i| i + 1),
    }
}

/// The steps up to and including the one that opens the record.
pub fn opening(scenario: &Scenario) -> usize {
    scenario
        .steps
        .iter()
        .position(|s| matches!(s.action, Action::CreateChild(_)))
        .map_or(0, |i| i + 1)
}

/// The service's own app, ready to take requests in memory.
pub struct InMemory<S> {
    service: S,
    /// The facilitator's bearer token (the one that asked for the stage).
    facilitator: String,
    /// Each actor's token, by the scenario's key.
    actors: BTreeMap<String, String>,
}

impl<S, B> Transport for InMemory<S>
where
    S: Service<
            actix_http::Request,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
    B: actix_web::body::MessageBody,
{
    async fn call(
        &self,
        method: Method,
        path: &str,
        as_actor: Option<&str>,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<(Value, Option<String>), ReplayError> {
        let token = as_actor
            .and_then(|k| self.actors.get(k))
            .unwrap_or(&self.facilitator);
        let method = actix_web::http::Method::from_bytes(method.as_str().as_bytes())
            .map_err(|e| ReplayError::new(e.to_string()))?;
        let mut request = actix_web::test::TestRequest::default()
            .method(method.clone())
            .uri(path)
            .insert_header((header::AUTHORIZATION, format!("Bearer {token}")));
        if let Some(body) = body {
            request = request.set_json(body);
        }
        if let Some(tag) = if_match {
            request = request.insert_header((header::IF_MATCH, tag));
        }
        let (status, etag, bytes) = match self.service.call(request.to_request()).await {
            Ok(response) => {
                let status = response.status();
                let etag = response
                    .headers()
                    .get(header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let bytes = actix_web::body::to_bytes(response.into_body())
                    .await
                    .map_err(|_| {
                        ReplayError::new(format!("{method} {path}: the answer could not be read"))
                    })?;
                (status, etag, bytes)
            }
            Err(error) => {
                let response = error.error_response();
                let status = response.status();
                let bytes = actix_web::body::to_bytes(response.into_body())
                    .await
                    .unwrap_or_default();
                (status, None, bytes)
            }
        };
        replay::settle(
            method.as_str(),
            path,
            status.as_u16(),
            etag,
            &String::from_utf8_lossy(&bytes),
        )
    }
}

/// The service's app, taking requests in memory.
pub type App = BoxService<actix_http::Request, ServiceResponse<BoxBody>, actix_web::Error>;

/// Builds the service's own app (every route behind the same middleware) to send requests to in
/// memory. Given by `startup`, which alone knows how the app is put together.
pub struct Loopback(pub Box<dyn Fn() -> BoxFuture<Result<App, ()>> + Send + Sync>);

/// What the service needs to play into the teams' records.
pub struct Player {
    pub state: web::Data<AppState>,
    pub loopback: web::Data<Loopback>,
    /// The facilitator who asked for the stage: the scenario's facilitator steps are theirs.
    pub facilitator: crate::users::User,
}

/// How long the sessions the service opens for a play last at most.
const PLAY_SESSION: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The sessions a play acts through, ended when it is done.
struct Sessions {
    facilitator: String,
    actors: BTreeMap<String, String>,
    opened: Vec<Uuid>,
}

impl Player {
    /// The service's app, built to take requests in memory.
    async fn app(&self) -> ApiResult<App> {
        (self.loopback.0)()
            .await
            .map_err(|()| ApiError::internal(anyhow::anyhow!("the app could not be built")))
    }

    /// A session of the play's own for the facilitator and each of `team`'s actors (none when no
    /// team is given): the play never depends on how long the facilitator's own token has left.
    async fn open_sessions(&self, team: Option<&Team>) -> ApiResult<Sessions> {
        let db = &self.state.db;
        let mut conn = db.acquire().await?;
        let mut users = Vec::new();
        if let Some(team) = team {
            for (key, user_id) in repo::actors(&mut *conn, team.id).await? {
                let Some(user) = crate::users::repo::find_by_id(&mut *conn, user_id).await? else {
                    continue;
                };
                // The scenario acts through these accounts; one switched off stops the play
                // before it starts, not half-way.
                if user.disabled {
                    return Err(ApiError::Conflict(format!(
                        "the scenario's actor `{key}` acts as user {} ({}), which is disabled: enable it (PATCH /api/v1/users/{})",
                        user.username, user.id, user.id
                    )));
                }
                users.push((key, user));
            }
        }
        let mut opened = Vec::new();
        let (session, _) =
            crate::auth::session::start(&mut conn, self.facilitator.id, PLAY_SESSION).await?;
        opened.push(session);
        let facilitator = self
            .state
            .tokens
            .issue(&self.facilitator, session)
            .map_err(ApiError::internal)?;
        let mut actors = BTreeMap::new();
        for (key, user) in users {
            let (session, _) =
                crate::auth::session::start(&mut conn, user.id, PLAY_SESSION).await?;
            opened.push(session);
            actors.insert(
                key,
                self.state
                    .tokens
                    .issue(&user, session)
                    .map_err(ApiError::internal)?,
            );
        }
        Ok(Sessions {
            facilitator,
            actors,
            opened,
        })
    }

    async fn close_sessions(&self, sessions: &Sessions) -> ApiResult<()> {
        for session in &sessions.opened {
            crate::auth::session::end(
                &self.state.db,
                *session,
                crate::auth::session::EndReason::Logout,
            )
            .await?;
        }
        Ok(())
    }

    /// Switches a team's record to `mode`, as the facilitator, through the same route as by hand.
    pub async fn set_mode(&self, child: Uuid, mode: SharingMode) -> ApiResult<()> {
        let sessions = self.open_sessions(None).await?;
        let transport = InMemory {
            service: self.app().await?,
            facilitator: sessions.facilitator.clone(),
            actors: BTreeMap::new(),
        };
        let switched = transport
            .call(
                Method::PUT,
                &format!("/api/v1/children/{child}/sharing-mode"),
                None,
                Some(&serde_json::json!({ "mode": mode })),
                None,
            )
            .await;
        self.close_sessions(&sessions).await?;
        switched.map_err(|e| ApiError::Conflict(format!("switching the mode: {e}")))?;
        Ok(())
    }

    /// Plays `scenario` into `team`'s record from `progress` up to step `until`, as the team's
    /// actors. Where it got to is kept after every step, so a play cut off (the request's time
    /// limit, a lost database) is taken up where it stopped, never played twice; what each
    /// checkpoint showed is kept as it is passed. A new record (no `progress.child_id` yet) is
    /// opened and switched to `mode` when given.
    pub async fn play(
        &self,
        scenario: &Scenario,
        team: &Team,
        mut progress: Progress,
        until: usize,
        mode: Option<SharingMode>,
    ) -> ApiResult<Progress> {
        let db = &self.state.db;
        let sessions = self.open_sessions(Some(team)).await?;
        let transport = InMemory {
            service: self.app().await?,
            facilitator: sessions.facilitator.clone(),
            actors: sessions.actors.clone(),
        };
        let mut passed_over = Vec::new();
        let mut say = |said: Said| {
            if let Said::Step(_, _, line) = said
                && line.starts_with("step passed over: ")
            {
                passed_over.push(line);
            }
        };
        let mut failed = None;
        while progress.next_step < until.min(scenario.steps.len()) {
            let one = progress.next_step + 1;
            let played = replay::play(
                scenario,
                one,
                &transport,
                &mut progress,
                mode,
                true,
                &mut say,
            )
            .await;
            let child = progress
                .child_id
                .as_deref()
                .and_then(|c| c.parse::<Uuid>().ok());
            match (played, child) {
                (Ok(reached), Some(child)) => {
                    for (index, report) in &reached {
                        repo::insert_checkpoint(
                            db,
                            team.id,
                            child,
                            *index,
                            &report.headline,
                            &report.indicators,
                        )
                        .await?;
                    }
                    repo::insert_play(db, team.id, child, &progress).await?;
                }
                // Nothing to keep before the record is opened.
                (Ok(_), None) => {}
                (Err(e), _) => {
                    failed = Some(e.message);
                    break;
                }
            }
        }
        self.close_sessions(&sessions).await?;
        if let Some(why) = failed {
            return Err(ApiError::Unavailable {
                detail: format!(
                    "team {}'s record could not be played to the stage ({why}); what was played is kept: try again",
                    team.number
                ),
                retry_after_secs: 2,
            });
        }
        // Steps the service refused (a trainee's entry had done it already, say).
        if !passed_over.is_empty() {
            tracing::info!(team = team.number, steps = ?passed_over, "scenario steps passed over");
        }
        Ok(progress)
    }
}
