//! Playing a scenario through the REST API, as each actor, step by step. The steps are played
//! through a [`Transport`]: over the network as a plain client that logs in, creates or reuses
//! accounts and records everything as any user would (`mash scenario replay`), or by the service
//! itself into an exercise team's record (`crate::exercises::play`), through the same routes,
//! checks and audit events.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Write};

use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::format::{Action, Actor, Scenario, conference_parts, take, without_ref};
use crate::vocabulary::SharingMode;

pub struct Options {
    pub base_url: String,
    pub facilitator: (String, String),
    pub until: Option<DateTime<Utc>>,
    pub step: bool,
    pub mode: Option<SharingMode>,
    pub json: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckpointReport {
    pub title: String,
    pub at: DateTime<Utc>,
    pub headline: String,
    /// Indicators that hold now and did not at the checkpoint before.
    pub new_indicators: Vec<String>,
    /// The statutory clocks that were overdue or met late by then.
    pub missed_clocks: Vec<MissedClock>,
    /// Every indicator the combined record showed by then.
    pub indicators: Vec<String>,
    /// What the scenario expected it to show, if it says; `as_expected` is whether it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<Vec<String>>,
    pub as_expected: bool,
}

/// A statutory clock that ran out before anything met it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MissedClock {
    pub clock: String,
    /// What started it: a record type or a contact's kind.
    pub started_by: String,
    pub started_at: String,
    pub due_at: String,
    /// `overdue` or `met_late`.
    pub state: String,
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

/// A step the server refused, or a server that could not be reached.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ReplayError {
    pub message: String,
    /// The service answered and refused the step itself (a 4xx other than 401 and 429): what
    /// the record holds already does not allow it. Anything else (no answer, a lapsed token, a
    /// 5xx) says nothing about the step.
    pub refused: bool,
}

impl ReplayError {
    pub fn new(message: impl Into<String>) -> Self {
        ReplayError {
            message: message.into(),
            refused: false,
        }
    }

    /// The service's answer `status` to a step, as an error.
    pub fn answered(status: u16, message: impl Into<String>) -> Self {
        ReplayError {
            message: message.into(),
            refused: (400..500).contains(&status) && status != 401 && status != 429,
        }
    }
}

/// How steps reach the service: `as_actor` names the scenario's actor making the request, `None`
/// the facilitator.
pub trait Transport {
    fn call(
        &self,
        method: Method,
        path: &str,
        as_actor: Option<&str>,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> impl std::future::Future<Output = Result<(Value, Option<String>), ReplayError>>;
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

/// Where a play of a scenario into one record stands: the record, the next step, the names the
/// played steps gave, and what the last checkpoint showed. Kept between stages of an exercise.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    pub child_id: Option<String>,
    pub next_step: usize,
    /// Checkpoints passed.
    pub checkpoints: usize,
    people: BTreeMap<String, String>,
    contacts: BTreeMap<String, String>,
    /// What the process steps named: referrals, assessments, enquiries, plans, challenges.
    records: BTreeMap<String, String>,
    /// Plan actions, with their plan.
    plan_actions: BTreeMap<String, (String, String)>,
    held_before: BTreeSet<String>,
}

/// What a play tells the person watching.
pub enum Said {
    /// A step played: its number, of how many, and what it did.
    Step(usize, usize, String),
    /// Anything else (a checkpoint's lines).
    Line(String),
    /// A checkpoint's lines are all said.
    Checkpoint,
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

/// The id in a server's answer: a missing one is the server's error, never an empty path segment.
fn id_of(answer: &Value, what: &str) -> Result<String, ReplayError> {
    answer["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| ReplayError::new(format!("the server answered a {what} without an id")))
}

/// The id of the record of `record_type` that `answer` started (an assessment, an enquiry, a plan).
fn related(answer: &Value, record_type: &str) -> Result<String, ReplayError> {
    answer["related"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["record_type"] == record_type)
        .and_then(|r| r["id"].as_str())
        .map(str::to_string)
        .ok_or_else(|| ReplayError::new(format!("the server answered no {record_type} started")))
}

/// What a step refers to by a name an earlier step gave it (the checker makes sure there is one).
fn named(refs: &BTreeMap<String, String>, name: &str) -> Result<String, ReplayError> {
    refs.get(name)
        .cloned()
        .ok_or_else(|| ReplayError::new(format!("no earlier step named `{name}`")))
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
    let Progress {
        child_id,
        people,
        contacts,
        records,
        plan_actions,
        held_before,
        ..
    } = progress;
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
    let child = child_id.clone().unwrap_or_default();
    let base = format!("/api/v1/children/{child}");
    let line = match &step.action {
        Action::CreateChild(_) => {
            let (created, _) = transport
                .call(
                    Method::POST,
                    "/api/v1/children",
                    token,
                    Some(&Value::Object(scenario.child.clone())),
                    None,
                )
                .await?;
            let id = id_of(&created, "child record")?;
            *child_id = Some(id.clone());
            if let Some(mode) = mode {
                transport
                    .call(
                        Method::PUT,
                        &format!("/api/v1/children/{id}/sharing-mode"),
                        None,
                        Some(&json!({"mode": mode})),
                        None,
                    )
                    .await?;
            }
            format!("{who} opens the child record {id}")
        }
        Action::AddPerson(body) => {
            let (reference, mut body) = without_ref(body);
            body.insert("occurred_at".into(), json!(at));
            let (person, _) = transport
                .call(
                    Method::POST,
                    &format!("{base}/people"),
                    token,
                    Some(&Value::Object(body)),
                    None,
                )
                .await?;
            if let Some(r) = reference {
                people.insert(r, id_of(&person, "person")?);
            }
            format!(
                "{who} records {} ({})",
                person["name"].as_str().unwrap_or("a person"),
                person["relationship"].as_str().unwrap_or("")
            )
        }
        Action::RecordCheck(check) => {
            let person = named(people, &check.person)?;
            let body =
                json!({"outcome": check.outcome, "summary": check.summary, "occurred_at": at});
            transport
                .call(
                    Method::POST,
                    &format!("{base}/people/{person}/checks"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            format!(
                "{who} records a background check: {}",
                check.outcome.as_str()
            )
        }
        Action::LogContact(body) => {
            let (reference, mut body) = without_ref(body);
            body.insert("occurred_at".into(), json!(at));
            let (contact, _) = transport
                .call(
                    Method::POST,
                    &format!("{base}/contacts"),
                    token,
                    Some(&Value::Object(body)),
                    None,
                )
                .await?;
            if let Some(r) = reference {
                contacts.insert(r, id_of(&contact, "contact")?);
            }
            format!(
                "{who}: {}: {}",
                contact["kind"].as_str().unwrap_or(""),
                contact["summary"].as_str().unwrap_or("")
            )
        }
        Action::AmendContact(amend) => {
            let contact = named(contacts, &amend.contact)?;
            let body = json!({"reason": amend.reason, "changes": amend.changes, "occurred_at": at});
            transport
                .call(
                    Method::POST,
                    &format!("{base}/contacts/{contact}/amendments"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            format!("{who} amends a contact: {}", amend.reason)
        }
        Action::ChangeStatus(change) => {
            let (_, etag) = transport
                .call(Method::GET, &base, token, None, None)
                .await?;
            let body = json!({"status": change.status, "effective_at": at});
            transport
                .call(Method::PATCH, &base, token, Some(&body), etag.as_deref())
                .await?;
            format!("{who} sets the status to {}", change.status.as_str())
        }
        Action::SetSharingMode(change) => {
            transport
                .call(
                    Method::PUT,
                    &format!("{base}/sharing-mode"),
                    None,
                    Some(&json!({"mode": change.mode})),
                    None,
                )
                .await?;
            format!(
                "Facilitator switches the record to {}",
                change.mode.as_str()
            )
        }
        Action::MakeReferral(body) => {
            let (reference, mut body) = without_ref(body);
            body.insert("occurred_at".into(), json!(at));
            let (made, _) = transport
                .call(
                    Method::POST,
                    &format!("{base}/referrals"),
                    token,
                    Some(&Value::Object(body)),
                    None,
                )
                .await?;
            if let Some(r) = reference {
                records.insert(r, id_of(&made, "referral")?);
            }
            format!(
                "{who} refers to {}: {}",
                made["to_agency"].as_str().unwrap_or(""),
                made["summary"].as_str().unwrap_or("")
            )
        }
        Action::AcknowledgeReferral(step) => {
            let referral = named(records, &step.referral)?;
            transport
                .call(
                    Method::POST,
                    &format!("{base}/referrals/{referral}/acknowledgement"),
                    token,
                    Some(&json!({"occurred_at": at})),
                    None,
                )
                .await?;
            format!("{who} acknowledges the referral")
        }
        Action::DecideReferral(step) => {
            let referral = named(records, &step.referral)?;
            let body = json!({"occurred_at": at, "decision": step.decision, "reason": step.reason});
            let (decided, _) = transport
                .call(
                    Method::POST,
                    &format!("{base}/referrals/{referral}/decision"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            if let Some(name) = &step.assessment_ref {
                records.insert(name.clone(), related(&decided, "assessment")?);
            }
            format!("{who} decides the referral: {}", step.decision.as_str())
        }
        Action::StrategyDiscussion(body) => {
            let (reference, mut body) = without_ref(body);
            let enquiry = take(&mut body, "enquiry_ref");
            if let Some(r) = take(&mut body, "referral") {
                body.insert("referral_id".into(), json!(named(records, &r)?));
            }
            body.insert("occurred_at".into(), json!(at));
            let (held, _) = transport
                .call(
                    Method::POST,
                    &format!("{base}/strategy-discussions"),
                    token,
                    Some(&Value::Object(body)),
                    None,
                )
                .await?;
            if let Some(r) = reference {
                records.insert(r, id_of(&held, "strategy discussion")?);
            }
            if let Some(r) = enquiry {
                records.insert(r, related(&held, "section_47_enquiry")?);
            }
            format!(
                "{who} holds a strategy discussion: {}",
                held["outcome"].as_str().unwrap_or("")
            )
        }
        Action::ConcludeEnquiry(step) => {
            let enquiry = named(records, &step.enquiry)?;
            let body =
                json!({"occurred_at": at, "conclusion": step.conclusion, "reason": step.reason});
            transport
                .call(
                    Method::POST,
                    &format!("{base}/section-47-enquiries/{enquiry}/conclusion"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            format!(
                "{who} concludes the section 47 enquiry: {}",
                step.conclusion.as_str()
            )
        }
        Action::CompleteAssessment(step) => {
            let assessment = named(records, &step.assessment)?;
            let body = json!({"occurred_at": at, "outcome": step.outcome, "summary": step.summary});
            transport
                .call(
                    Method::POST,
                    &format!("{base}/assessments/{assessment}/completion"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            format!("{who} completes the assessment: {}", step.outcome.as_str())
        }
        Action::Conference(body) => {
            let (plan_name, action_names, mut body) = conference_parts(body);
            body.insert("occurred_at".into(), json!(at));
            let given = body.get("actions").cloned().unwrap_or(json!([]));
            let (held, _) = transport
                .call(
                    Method::POST,
                    &format!("{base}/conferences"),
                    token,
                    Some(&Value::Object(body)),
                    None,
                )
                .await?;
            if held["decision"] == "plan" {
                let plan = related(&held, "plan")?;
                let (listed, _) = transport
                    .call(
                        Method::GET,
                        &format!("{base}/plans/{plan}/actions?limit=500"),
                        token,
                        None,
                        None,
                    )
                    .await?;
                // Each named action is the stored one that says the same.
                for (name, action) in action_names
                    .iter()
                    .zip(given.as_array().into_iter().flatten())
                {
                    let Some(name) = name else { continue };
                    let same = listed["items"].as_array().into_iter().flatten().find(|a| {
                        ["description", "owner", "due_date"]
                            .iter()
                            .all(|k| a[k] == action[k])
                            && !plan_actions
                                .values()
                                .any(|(_, id)| a["id"].as_str() == Some(id))
                    });
                    let id = same
                        .map(|a| id_of(a, "plan action"))
                        .transpose()?
                        .ok_or_else(|| {
                            ReplayError::new(format!("the plan holds no action like `{name}`"))
                        })?;
                    plan_actions.insert(name.clone(), (plan.clone(), id));
                }
                if let Some(name) = plan_name {
                    records.insert(name, plan);
                }
            }
            format!(
                "{who}: {} child protection conference decides {}",
                held["conference_type"].as_str().unwrap_or(""),
                held["decision"].as_str().unwrap_or("")
            )
        }
        Action::CoreGroup(body) => {
            let mut body = body.clone();
            body.insert("occurred_at".into(), json!(at));
            transport
                .call(
                    Method::POST,
                    &format!("{base}/core-groups"),
                    token,
                    Some(&Value::Object(body)),
                    None,
                )
                .await?;
            format!("{who} holds a core group meeting")
        }
        Action::AddPlanAction(body) => {
            let (reference, mut body) = without_ref(body);
            let plan = named(records, &take(&mut body, "plan").unwrap_or_default())?;
            body.insert("occurred_at".into(), json!(at));
            let (added, _) = transport
                .call(
                    Method::POST,
                    &format!("{base}/plans/{plan}/actions"),
                    token,
                    Some(&Value::Object(body)),
                    None,
                )
                .await?;
            if let Some(r) = reference {
                plan_actions.insert(r, (plan, id_of(&added, "plan action")?));
            }
            format!(
                "{who} adds a plan action for {}: {}",
                added["owner"].as_str().unwrap_or(""),
                added["description"].as_str().unwrap_or("")
            )
        }
        Action::MarkPlanAction(step) => {
            let (plan, action) = plan_actions.get(&step.action).cloned().ok_or_else(|| {
                ReplayError::new(format!("no earlier plan action named `{}`", step.action))
            })?;
            let body = json!({"occurred_at": at, "status": step.status, "note": step.note});
            transport
                .call(
                    Method::POST,
                    &format!("{base}/plans/{plan}/actions/{action}/marks"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            format!(
                "{who} marks a plan action {}: {}",
                step.status.as_str(),
                step.note
            )
        }
        Action::Challenge(step) => {
            let entry = contacts
                .get(&step.entry)
                .or_else(|| records.get(&step.entry))
                .cloned()
                .ok_or_else(|| {
                    ReplayError::new(format!(
                        "no earlier contact or referral named `{}`",
                        step.entry
                    ))
                })?;
            let body = json!({"occurred_at": at, "entry_id": entry, "concern": step.concern,
                "level": step.level});
            let (raised, _) = transport
                .call(
                    Method::POST,
                    &format!("{base}/challenges"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            if let Some(r) = &step.reference {
                records.insert(r.clone(), id_of(&raised, "challenge")?);
            }
            format!(
                "{who} challenges {}'s {} at level {}: {}",
                raised["challenged_agency"]
                    .as_str()
                    .unwrap_or("")
                    .replace('_', " "),
                raised["entry_kind"]
                    .as_str()
                    .unwrap_or("")
                    .replace('_', " "),
                step.level,
                step.concern
            )
        }
        Action::RespondToChallenge(step) => {
            let challenge = named(records, &step.challenge)?;
            let body = json!({"occurred_at": at, "response": step.response, "reason": step.reason});
            transport
                .call(
                    Method::POST,
                    &format!("{base}/challenges/{challenge}/response"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            format!(
                "{who} answers the challenge: {}: {}",
                step.response.as_str().replace('_', " "),
                step.reason
            )
        }
        Action::BringIn(step) => {
            let body = json!({"agency": step.agency, "reason": step.reason, "occurred_at": at});
            transport
                .call(
                    Method::POST,
                    &format!("{base}/involvements"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            format!("{who} brings {} in: {}", step.agency.label(), step.reason)
        }
        Action::BreakGlass(step) => {
            let body = json!({"lawful_basis": step.lawful_basis, "reason": step.reason});
            transport
                .call(
                    Method::POST,
                    &format!("{base}/break-glass"),
                    token,
                    Some(&body),
                    None,
                )
                .await?;
            format!(
                "{who} breaks glass ({}): {}",
                step.lawful_basis.as_str().replace('_', " "),
                step.reason
            )
        }
        Action::LegalPlanningMeeting(body) => {
            let mut body = body.clone();
            body.insert("occurred_at".into(), json!(at));
            let (held, _) = transport
                .call(
                    Method::POST,
                    &format!("{base}/legal-planning-meetings"),
                    token,
                    Some(&Value::Object(body)),
                    None,
                )
                .await?;
            format!(
                "{who} holds a legal planning meeting: {}",
                held["advice"].as_str().unwrap_or("")
            )
        }
        Action::Checkpoint(checkpoint) => {
            let as_of = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let (gap, _) = transport
                .call(
                    Method::GET,
                    &format!("{base}/gap-report?as_of={as_of}"),
                    None,
                    None,
                    None,
                )
                .await?;
            let held: BTreeSet<String> = gap["indicators"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["code"].as_str().map(str::to_string))
                .collect();
            let new: Vec<String> = held.difference(held_before).cloned().collect();
            let expected: Option<BTreeSet<String>> = checkpoint
                .expect
                .as_ref()
                .map(|e| e.iter().cloned().collect());
            let as_expected = expected.as_ref().is_none_or(|e| *e == held);
            let headline = gap["summary"]["headline"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let (timescales, _) = transport
                .call(
                    Method::GET,
                    &format!("{base}/timescales?as_of={as_of}"),
                    None,
                    None,
                    None,
                )
                .await?;
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            let missed: Vec<MissedClock> = timescales["clocks"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|c| c["state"] == "overdue" || c["state"] == "met_late")
                .map(|c| MissedClock {
                    clock: text(&c["clock"]),
                    started_by: text(&c["started_by"]["kind"]),
                    started_at: text(&c["started_at"]),
                    due_at: text(&c["due_at"]),
                    state: text(&c["state"]),
                })
                .collect();
            say(Said::Line(format!(
                "\n== Checkpoint {}: {}",
                when, checkpoint.title
            )));
            if let Some(q) = &checkpoint.question {
                say(Said::Line(format!("   Ask the room: {q}")));
            }
            say(Said::Line(format!("   The combined record: {headline}")));
            say(Said::Line(if new.is_empty() {
                "   Nothing new since the last checkpoint.".to_string()
            } else {
                format!("   New since the last checkpoint: {}", new.join(", "))
            }));
            // Why each new one holds, and what to do, as the gap report words it.
            for indicator in gap["indicators"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|i| new.iter().any(|code| i["code"] == code.as_str()))
            {
                say(Said::Line(format!(
                    "     {}: {}",
                    text(&indicator["code"]),
                    text(&indicator["explanation"])
                )));
                say(Said::Line(format!(
                    "       What to do: {}",
                    text(&indicator["recommended_action"])
                )));
            }
            if let Some(expected) = &expected {
                if as_expected {
                    say(Said::Line("   As the scenario expects.".to_string()));
                } else {
                    let list = |set: Vec<&String>| {
                        if set.is_empty() {
                            "nothing".to_string()
                        } else {
                            set.into_iter().cloned().collect::<Vec<_>>().join(", ")
                        }
                    };
                    say(Said::Line(format!(
                        "   NOT as the scenario expects: missing {}; not expected {}.",
                        list(expected.difference(&held).collect()),
                        list(held.difference(expected).collect())
                    )));
                }
            }
            if missed.is_empty() {
                say(Said::Line(
                    "   No statutory clock missed so far.".to_string(),
                ));
            } else {
                say(Said::Line("   Statutory clocks missed so far:".to_string()));
                for m in &missed {
                    say(Said::Line(format!(
                        "     {}: started {} ({}), due {}, {}",
                        m.clock,
                        m.started_at.get(..10).unwrap_or_default(),
                        m.started_by.replace('_', " "),
                        m.due_at.get(..10).unwrap_or_default(),
                        m.state.replace('_', " ")
                    )));
                }
            }
            say(Said::Line(String::new()));
            let report = CheckpointReport {
                title: checkpoint.title.clone(),
                at,
                headline,
                new_indicators: new,
                missed_clocks: missed,
                indicators: held.iter().cloned().collect(),
                expected: expected.map(|e| e.into_iter().collect()),
                as_expected,
            };
            *held_before = held;
            say(Said::Checkpoint);
            return Ok(Some(report));
        }
    };
    say(Said::Step(n + 1, total, format!("{when}  {line}")));
    Ok(None)
}
