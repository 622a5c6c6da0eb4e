//! Playing a scenario through the REST API, as each actor, step by step. The steps are played
//! through a [`Transport`]: over the network as a plain client that logs in, creates or reuses
//! accounts and records everything as any user would (`mash scenario replay`), or by the service
//! itself into an exercise team's record (`crate::exercises::play`), through the same routes,
//! checks and audit events.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde_json::{Value, json};

use super::format::{Action, Actor, Scenario};
use super::steps::{
    self, CheckpointReport, Playing, Progress, ReplayError, Said, Transport, id_of,
};
use crate::vocabulary::SharingMode;

pub struct Options {
    pub base_url: String,
    pub facilitator: (String, String),
    pub until: Option<DateTime<Utc>>,
    pub step: bool,
    pub mode: Option<SharingMode>,
    pub json: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub child_id: Option<String>,
    pub steps_played: usize,
    pub checkpoints: Vec<CheckpointReport>,
}

impl Report {
    /// The checkpoints at which the record did not show what the scenario expected.
    pub fn unexpected(&self) -> Vec<&CheckpointReport> {
        self.checkpoints.iter().filter(|c| !c.as_expected).collect()
    }
}

/// Over the network, with a session per actor.
struct Http {
    client: Client,
    admin: Session,
    actors: BTreeMap<String, Session>,
}

impl Transport for Http {
    async fn call(
        &self,
        method: Method,
        path: &str,
        as_actor: Option<&str>,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<(Value, Option<String>), ReplayError> {
        let session = as_actor
            .and_then(|k| self.actors.get(k))
            .unwrap_or(&self.admin);
        self.client
            .call_with(method, path, Some(session), body, if_match)
            .await
    }
}

struct Client {
    http: reqwest::Client,
    base: String,
}

/// One user's login. Access tokens are short-lived and a replay stepped through by hand can
/// outlast one, so a refused token is renewed by logging in again, once, and the request resent.
struct Session {
    username: String,
    password: String,
    token: std::sync::Mutex<String>,
}

impl Session {
    fn token(&self) -> String {
        self.token.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Client {
    async fn call(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
        body: Option<&Value>,
    ) -> Result<(Value, Option<String>), ReplayError> {
        self.call_with(method, path, session, body, None).await
    }

    /// A token for `username`.
    async fn log_in(&self, username: &str, password: &str) -> Result<String, ReplayError> {
        let path = "/api/v1/auth/login";
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .map_err(|e| ReplayError::new(format!("POST {path}: {e}")))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(ReplayError::new(problem_text(
                "POST",
                path,
                status.as_u16(),
                &body,
                &text,
            )));
        }
        body["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ReplayError::new("login answered no token"))
    }

    /// Sends one request; a non-2xx answer becomes an error carrying the server's problem detail.
    async fn call_with(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> Result<(Value, Option<String>), ReplayError> {
        let mut renewed = false;
        let response = loop {
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.base));
            if let Some(s) = session {
                request = request.bearer_auth(s.token());
            }
            if let Some(b) = body {
                request = request.json(b);
            }
            if let Some(tag) = if_match {
                request = request.header("If-Match", tag);
            }
            let response = request
                .send()
                .await
                .map_err(|e| ReplayError::new(format!("{method} {path}: {e}")))?;
            match session {
                Some(s) if response.status() == StatusCode::UNAUTHORIZED && !renewed => {
                    let token = self.log_in(&s.username, &s.password).await?;
                    *s.token.lock().unwrap_or_else(|e| e.into_inner()) = token;
                    renewed = true;
                }
                _ => break response,
            }
        };
        let status = response.status();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = response.text().await.unwrap_or_default();
        settle(method.as_str(), path, status.as_u16(), etag, &text)
    }
}

/// What a transport makes of the service's answer to a step: its JSON and `ETag` when it
/// succeeded, else an error carrying the problem's title and detail.
pub fn settle(
    method: &str,
    path: &str,
    status: u16,
    etag: Option<String>,
    text: &str,
) -> Result<(Value, Option<String>), ReplayError> {
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    if (200..300).contains(&status) {
        return Ok((value, etag));
    }
    Err(ReplayError::answered(
        status,
        problem_text(method, path, status, &value, text),
    ))
}

fn problem_text(method: &str, path: &str, status: u16, problem: &Value, raw: &str) -> String {
    match (problem["title"].as_str(), problem["detail"].as_str()) {
        (Some(title), Some(detail)) => {
            format!("{method} {path}: {status} {title}: {detail}")
        }
        _ => format!(
            "{method} {path}: {status}: {}",
            raw.chars().take(300).collect::<String>()
        ),
    }
}

fn username_for(key: &str, actor: &Actor) -> String {
    let agency = actor.agency.map_or("facilitator", |a| a.as_str());
    let mut name = format!("scn_{key}_{agency}");
    name.truncate(64);
    name
}

/// Creates the actor's account, or takes over an existing one of the same name with a fresh password.
async fn account(
    client: &Client,
    admin: &Session,
    key: &str,
    actor: &Actor,
) -> Result<Session, ReplayError> {
    let username = username_for(key, actor);
    let password = format!("replay-{}", uuid::Uuid::new_v4());
    let body = json!({"username": username, "password": password, "display_name": actor.display_name,
                      "agency": actor.agency, "role": actor.role});
    match client
        .call(Method::POST, "/api/v1/users", Some(admin), Some(&body))
        .await
    {
        Ok(_) => {}
        Err(e) if e.message.contains(" 409 ") => {
            let existing = find_user(client, admin, &username).await?;
            if existing["agency"] != json!(actor.agency) || existing["role"] != json!(actor.role) {
                return Err(ReplayError::new(format!(
                    "user `{username}` exists with another agency or role"
                )));
            }
            let id = id_of(&existing, "user")?;
            client
                .call(
                    Method::PATCH,
                    &format!("/api/v1/users/{id}"),
                    Some(admin),
                    Some(&json!({"password": password, "disabled": false})),
                )
                .await?;
        }
        Err(e) => return Err(e),
    }
    login(client, &username, &password).await
}

async fn find_user(client: &Client, admin: &Session, username: &str) -> Result<Value, ReplayError> {
    let mut path = "/api/v1/users?limit=500".to_string();
    loop {
        let (page, _) = client.call(Method::GET, &path, Some(admin), None).await?;
        if let Some(user) = page["items"].as_array().into_iter().flatten().find(|u| {
            u["username"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(username))
        }) {
            return Ok(user.clone());
        }
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/users?limit=500&cursor={c}"),
            None => {
                return Err(ReplayError::new(format!(
                    "user `{username}` exists but could not be found"
                )));
            }
        }
    }
}

async fn login(client: &Client, username: &str, password: &str) -> Result<Session, ReplayError> {
    let token = client.log_in(username, password).await?;
    Ok(Session {
        username: username.to_string(),
        password: password.to_string(),
        token: std::sync::Mutex::new(token),
    })
}

fn date(at: DateTime<Utc>, approximate: bool) -> String {
    let day = at.format("%Y-%m-%d").to_string();
    if approximate {
        format!("{day} (approx.)")
    } else {
        day
    }
}

/// Plays `scenario` over the network, writing each step's line (unless `--json`) to `out`.
pub async fn replay(
    scenario: &Scenario,
    options: &Options,
    out: &mut (dyn Write + Send),
) -> Result<Report, ReplayError> {
    let client = Client {
        http: reqwest::Client::new(),
        base: options.base_url.trim_end_matches('/').to_string(),
    };
    let admin = login(&client, &options.facilitator.0, &options.facilitator.1).await?;
    let mut actors = BTreeMap::new();
    for (key, actor) in &scenario.actors {
        actors.insert(key.clone(), account(&client, &admin, key, actor).await?);
    }
    let base = client.base.clone();
    let http = Http {
        client,
        admin,
        actors,
    };

    let until = steps_until(scenario, 0, options.until);
    let bar = if options.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(until as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut say = |said: Said| {
        if options.json {
            return;
        }
        let line = match said {
            Said::Step(n, total, line) => {
                bar.inc(1);
                format!("[{n:>3}/{total}] {line}")
            }
            Said::Line(line) => line,
            Said::Checkpoint => {
                bar.inc(1);
                if options.step {
                    bar.suspend(|| {
                        eprint!("Press Enter to go on… ");
                        let _ = std::io::stdin().lock().read_line(&mut String::new());
                    });
                }
                return;
            }
        };
        bar.suspend(|| {
            let _ = writeln!(out, "{line}");
        });
    };
    say(Said::Line(format!(
        "Replaying \"{}\": {} steps against {base}",
        scenario.name, until
    )));
    let mut progress = Progress::default();
    let checkpoints = play(
        scenario,
        until,
        &http,
        &mut progress,
        options.mode,
        false,
        &mut say,
    )
    .await?;
    bar.finish_and_clear();
    let report = Report {
        child_id: progress.child_id.clone(),
        steps_played: progress.next_step,
        checkpoints: checkpoints.into_iter().map(|(_, c)| c).collect(),
    };
    say(Said::Line(format!(
        "Replayed {} steps; child record {}",
        report.steps_played,
        report.child_id.as_deref().unwrap_or("-")
    )));
    if let Some(child) = &report.child_id {
        say(Said::Line(format!(
            "Its timeline: {base}/children/{child}/timeline"
        )));
    }
    Ok(report)
}

/// The index of the first step after `from` that falls after `until` (every step's, without it).
pub fn steps_until(scenario: &Scenario, from: usize, until: Option<DateTime<Utc>>) -> usize {
    from + scenario
        .steps
        .iter()
        .skip(from)
        .take_while(|s| until.is_none_or(|u| s.at.0 <= u))
        .count()
}

/// Plays the steps of `scenario` from `progress.next_step` up to (not including) `until` through
/// `transport`, carrying `progress` on; a new record is switched to `mode` when one is given.
/// Answers what each checkpoint passed showed, with its index (from 0). A step the service
/// refuses stops the play, unless `skip_refused` (an exercise, where trainees' own entries may
/// have done what a step would): then it is said and passed over. Any other failure stops the play
/// with `progress` at the step that failed.
pub async fn play<T: Transport>(
    scenario: &Scenario,
    until: usize,
    transport: &T,
    progress: &mut Progress,
    mode: Option<SharingMode>,
    skip_refused: bool,
    say: &mut dyn FnMut(Said),
) -> Result<Vec<(usize, CheckpointReport)>, ReplayError> {
    let total = until.min(scenario.steps.len());
    let mut reached = Vec::new();
    while progress.next_step < total {
        let n = progress.next_step;
        let checkpoint = matches!(scenario.steps[n].action, Action::Checkpoint(_));
        match play_step(scenario, n, total, transport, progress, mode, say).await {
            Ok(Some(report)) => reached.push((progress.checkpoints, report)),
            Ok(None) => {}
            Err(refused) if skip_refused && refused.refused => say(Said::Step(
                n + 1,
                total,
                format!("step passed over: {refused}"),
            )),
            Err(failed) => return Err(failed),
        }
        // A checkpoint is passed even when what the record showed could not be read.
        if checkpoint {
            progress.checkpoints += 1;
        }
        progress.next_step += 1;
    }
    Ok(reached)
}

/// Plays step `n`; a checkpoint answers what the record showed.
async fn play_step<T: Transport>(
    scenario: &Scenario,
    n: usize,
    total: usize,
    transport: &T,
    progress: &mut Progress,
    mode: Option<SharingMode>,
    say: &mut dyn FnMut(Said),
) -> Result<Option<CheckpointReport>, ReplayError> {
    let step = &scenario.steps[n];
    let at = step.at.0;
    let when = date(at, step.approximate);
    let token = step.actor.as_deref();
    let who = step
        .actor
        .as_ref()
        .and_then(|k| scenario.actors.get(k))
        .map_or("Facilitator", |a| a.display_name.as_str());
    // Only `create_child` comes before the child exists (the checker sees to it).
    let child = progress.child_id.clone().unwrap_or_default();
    let base = format!("/api/v1/children/{child}");
    let p = Playing {
        transport,
        token,
        at,
        base: &base,
        who,
    };
    let line = match &step.action {
        Action::CreateChild(_) => steps::record::create_child(&p, progress, scenario, mode).await?,
        Action::AddPerson(body) => steps::record::add_person(&p, progress, body).await?,
        Action::RecordCheck(check) => steps::record::record_check(&p, progress, check).await?,
        Action::LogContact(body) => steps::record::log_contact(&p, progress, body).await?,
        Action::AmendContact(amend) => steps::record::amend_contact(&p, progress, amend).await?,
        Action::ChangeStatus(change) => steps::record::change_status(&p, change).await?,
        Action::SetSharingMode(change) => steps::record::set_sharing_mode(&p, change).await?,
        Action::BreakGlass(step) => steps::record::break_glass(&p, step).await?,
        Action::BringIn(step) => steps::record::bring_in(&p, step).await?,
        Action::MakeReferral(body) => steps::process::make_referral(&p, progress, body).await?,
        Action::AcknowledgeReferral(step) => {
            steps::process::acknowledge_referral(&p, progress, step).await?
        }
        Action::DecideReferral(step) => steps::process::decide_referral(&p, progress, step).await?,
        Action::StrategyDiscussion(body) => {
            steps::process::strategy_discussion(&p, progress, body).await?
        }
        Action::ConcludeEnquiry(step) => {
            steps::process::conclude_enquiry(&p, progress, step).await?
        }
        Action::CompleteAssessment(step) => {
            steps::process::complete_assessment(&p, progress, step).await?
        }
        Action::Conference(body) => steps::process::conference(&p, progress, body).await?,
        Action::CoreGroup(body) => steps::process::core_group(&p, body).await?,
        Action::AddPlanAction(body) => steps::process::add_plan_action(&p, progress, body).await?,
        Action::MarkPlanAction(step) => {
            steps::process::mark_plan_action(&p, progress, step).await?
        }
        Action::LegalPlanningMeeting(body) => {
            steps::process::legal_planning_meeting(&p, body).await?
        }
        Action::Challenge(step) => steps::process::challenge(&p, progress, step).await?,
        Action::RespondToChallenge(step) => {
            steps::process::respond_to_challenge(&p, progress, step).await?
        }
        Action::Checkpoint(checkpoint) => {
            let report =
                steps::checkpoint::checkpoint(&p, progress, checkpoint, &when, say).await?;
            return Ok(Some(report));
        }
    };
    say(Said::Step(n + 1, total, format!("{when}  {line}")));
    Ok(None)
}
