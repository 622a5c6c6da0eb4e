//! The scenario file format, documented in scenarios/README.md and scenarios/scenario.schema.json.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::vocabulary::{Agency, Role};
use crate::vocabulary::{CheckOutcome, ChildStatus, SharingMode};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    /// The child record, as `POST /api/v1/children` takes it.
    pub child: Map<String, Value>,
    /// Who acts, by a short key used in the steps.
    pub actors: BTreeMap<String, Actor>,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// Absent for a facilitator.
    pub agency: Option<Agency>,
    pub role: Role,
    /// How the room knows them: "Hospital paediatrician", "Social worker".
    pub display_name: String,
}

/// A scenario time: RFC 3339, or a date alone (taken as noon UTC, for dates the source gives only
/// approximately).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScenarioTime(pub DateTime<Utc>);

impl<'de> Deserialize<'de> for ScenarioTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_time(&text).map(ScenarioTime).ok_or_else(|| {
            serde::de::Error::custom(format!("`{text}` is not a time: give RFC 3339 (2007-06-28T10:00:00Z) or a date (2007-06-28)"))
        })
    }
}

pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").ok().map(|d| {
                d.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default())
                    .and_utc()
            })
        })
}

#[derive(Debug, Deserialize)]
pub struct Step {
    pub at: ScenarioTime,
    /// The source gives this date only roughly.
    #[serde(default)]
    pub approximate: bool,
    /// The actor's key; not needed for checkpoints and sharing-mode switches (the facilitator's).
    pub actor: Option<String>,
    /// Where in the source this comes from, or a remark for the trainer.
    pub note: Option<String>,
    #[serde(flatten)]
    pub action: Action,
}

/// What a step does: exactly one of these keys.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Open the child record (from `child`); the first step that touches the record.
    CreateChild(Empty),
    /// A person, as `POST /people` takes it, plus an optional `ref` for later checks.
    AddPerson(Map<String, Value>),
    RecordCheck(CheckStep),
    /// A contact, as `POST /contacts` takes it (without `occurred_at`: the step's `at`), plus an
    /// optional `ref` for later amendments.
    LogContact(Map<String, Value>),
    AmendContact(AmendStep),
    ChangeStatus(StatusStep),
    SetSharingMode(ModeStep),
    Checkpoint(CheckpointStep),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckStep {
    /// The `ref` of an earlier `add_person`.
    pub person: String,
    pub outcome: CheckOutcome,
    pub summary: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmendStep {
    /// The `ref` of an earlier `log_contact`.
    pub contact: String,
    pub reason: String,
    pub changes: Map<String, Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusStep {
    pub status: ChildStatus,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeStep {
    pub mode: SharingMode,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointStep {
    pub title: String,
    /// What to ask the room.
    pub question: Option<String>,
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::CreateChild(_) => "create_child",
            Action::AddPerson(_) => "add_person",
            Action::RecordCheck(_) => "record_check",
            Action::LogContact(_) => "log_contact",
            Action::AmendContact(_) => "amend_contact",
            Action::ChangeStatus(_) => "change_status",
            Action::SetSharingMode(_) => "set_sharing_mode",
            Action::Checkpoint(_) => "checkpoint",
        }
    }
}

/// A body with the step's `ref` taken out.
pub fn without_ref(body: &Map<String, Value>) -> (Option<String>, Map<String, Value>) {
    let mut body = body.clone();
    let reference = body
        .remove("ref")
        .and_then(|v| v.as_str().map(str::to_string));
    (reference, body)
}
