//! The steps of a scenario as they are played: each kind's request and what it remembers, in
//! `record`, `process` and `checkpoint`, over what every step is played with (`Playing`) and what a
//! play carries from step to step (`Progress`).

pub mod checkpoint;
pub mod process;
pub mod record;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What every step is played with: how it reaches the service, as whom (`token`: the scenario's
/// actor, `None` the facilitator), when, on which record (`base`, its path) and who the room is
/// told acted.
pub struct Playing<'a, T> {
    pub transport: &'a T,
    pub token: Option<&'a str>,
    pub at: DateTime<Utc>,
    pub base: &'a str,
    pub who: &'a str,
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

/// Where a play of a scenario into one record stands: the record, the next step, the names the
/// played steps gave, and what the last checkpoint showed. Kept between stages of an exercise.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    pub child_id: Option<String>,
    pub next_step: usize,
    /// Checkpoints passed.
    pub checkpoints: usize,
    pub(crate) people: BTreeMap<String, String>,
    pub(crate) contacts: BTreeMap<String, String>,
    /// What the process steps named: referrals, assessments, enquiries, plans, challenges.
    pub(crate) records: BTreeMap<String, String>,
    /// Plan actions, with their plan.
    pub(crate) plan_actions: BTreeMap<String, (String, String)>,
    pub(crate) held_before: BTreeSet<String>,
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

impl<T: Transport> Playing<'_, T> {
    /// POSTs `body` to `path` under the record, as the step's actor: the service's answer.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value, ReplayError> {
        let path = format!("{}{path}", self.base);
        let (answer, _) = self
            .transport
            .call(Method::POST, &path, self.token, Some(body), None)
            .await?;
        Ok(answer)
    }

    /// GETs `path` under the record, as the step's actor.
    pub async fn get(&self, path: &str) -> Result<Value, ReplayError> {
        let path = format!("{}{path}", self.base);
        let (answer, _) = self
            .transport
            .call(Method::GET, &path, self.token, None, None)
            .await?;
        Ok(answer)
    }
}

/// The id in a server's answer: a missing one is the server's error, never an empty path segment.
pub fn id_of(answer: &Value, what: &str) -> Result<String, ReplayError> {
    answer["id"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| ReplayError::new(format!("the server answered a {what} without an id")))
}

/// The id of the record of `record_type` that `answer` started (an assessment, an enquiry, a plan).
pub fn related(answer: &Value, record_type: &str) -> Result<String, ReplayError> {
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
pub fn named(refs: &BTreeMap<String, String>, name: &str) -> Result<String, ReplayError> {
    refs.get(name)
        .cloned()
        .ok_or_else(|| ReplayError::new(format!("no earlier step named `{name}`")))
}
