//! The scenario file format, documented in scenarios/README.md and scenarios/scenario.schema.json.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::vocabulary::{
    ActionStatus, AssessmentOutcome, CheckOutcome, ChildStatus, EnquiryConclusion,
    ReferralDecision, SharingMode,
};
use crate::vocabulary::{Agency, Role};

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
    /// A referral, as `POST /referrals` takes it (without `occurred_at`), plus `ref`.
    MakeReferral(Map<String, Value>),
    AcknowledgeReferral(AcknowledgeStep),
    DecideReferral(DecideStep),
    /// A strategy discussion, as `POST /strategy-discussions` takes it (without `occurred_at`;
    /// `referral` a `ref` instead of `referral_id`), plus `ref` and `enquiry_ref` for the enquiry it
    /// starts.
    StrategyDiscussion(Map<String, Value>),
    ConcludeEnquiry(ConcludeStep),
    CompleteAssessment(CompleteStep),
    /// A conference, as `POST /conferences` takes it (without `occurred_at`; each action may carry
    /// a `ref`), plus `plan_ref` for the plan it makes.
    Conference(Map<String, Value>),
    /// A core group meeting, as `POST /core-groups` takes it (without `occurred_at`).
    CoreGroup(Map<String, Value>),
    /// An action added to a plan: `plan` (a `plan_ref`), `ref`, and the body of
    /// `POST /plans/{id}/actions` without `occurred_at`.
    AddPlanAction(Map<String, Value>),
    MarkPlanAction(MarkStep),
    /// A legal planning meeting, as `POST /legal-planning-meetings` takes it (without `occurred_at`).
    LegalPlanningMeeting(Map<String, Value>),
    /// A challenge of an earlier contact or referral (its decision) of another agency.
    Challenge(ChallengeStep),
    /// The challenged agency's answer.
    RespondToChallenge(RespondStep),
    /// A user of an agency not involved with the child breaks glass to read the record.
    BreakGlass(BreakGlassStep),
    /// A user of an involved agency (or the facilitator) brings another agency in to the record.
    BringIn(BringInStep),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BringInStep {
    pub agency: crate::vocabulary::Agency,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassStep {
    pub lawful_basis: crate::vocabulary::LawfulBasis,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengeStep {
    /// Names the challenge for its answer.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    /// The `ref` of an earlier `log_contact` or `make_referral`.
    pub entry: String,
    pub concern: String,
    /// 1 practitioners, 2 managers, 3 senior managers, 4 the safeguarding partnership.
    pub level: u8,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RespondStep {
    /// The `ref` of an earlier `challenge`.
    pub challenge: String,
    pub response: crate::vocabulary::ChallengeResponse,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeStep {
    /// The `ref` of an earlier `make_referral`.
    pub referral: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideStep {
    pub referral: String,
    pub decision: ReferralDecision,
    pub reason: String,
    /// Names the assessment the decision starts (`child_in_need_assessment`, `strategy_discussion`).
    pub assessment_ref: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConcludeStep {
    /// The `enquiry_ref` of an earlier `strategy_discussion`.
    pub enquiry: String,
    pub conclusion: EnquiryConclusion,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteStep {
    /// The `assessment_ref` of an earlier `decide_referral`.
    pub assessment: String,
    pub outcome: AssessmentOutcome,
    pub summary: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkStep {
    /// The `ref` of an earlier plan action.
    pub action: String,
    pub status: ActionStatus,
    pub note: String,
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
    /// Every indicator the combined record shows by then (not only the new ones), by code: the
    /// replay says whether the service agrees.
    pub expect: Option<Vec<String>>,
    /// In an exercise, what a team should do once this checkpoint is released, each scored met,
    /// met late or missed.
    pub expectations: Option<Vec<Expectation>>,
}

/// Something a team should record after a checkpoint: an entry of `record` (by `agency`, of
/// `kind`, to `to_agency`, as given) dated within `within_days` scenario days of the checkpoint,
/// or a decision of the team's at the checkpoint.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Short and unique in the file: `police_check_partner`.
    pub id: String,
    /// What the room is told: "Police record a background check on the mother's partner".
    pub description: String,
    pub points: u32,
    pub record: ExpectedRecord,
    /// The agency that should record it (any, when absent).
    pub agency: Option<Agency>,
    /// For a contact: its kind.
    pub kind: Option<crate::vocabulary::ContactKind>,
    /// For a referral: the agency it goes to.
    pub to_agency: Option<Agency>,
    /// Scenario days after the checkpoint within which it counts as met; later is met late.
    #[serde(default = "default_within_days")]
    pub within_days: u32,
}

fn default_within_days() -> u32 {
    2
}

/// What an expectation asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpectedRecord {
    Contact,
    Person,
    Check,
    Referral,
    StrategyDiscussion,
    Conference,
    CoreGroup,
    LegalPlanningMeeting,
    Challenge,
    /// A decision the team records at the checkpoint (`POST /exercises/{id}/decisions`).
    Decision,
}

impl ExpectedRecord {
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectedRecord::Contact => "contact",
            ExpectedRecord::Person => "person",
            ExpectedRecord::Check => "check",
            ExpectedRecord::Referral => "referral",
            ExpectedRecord::StrategyDiscussion => "strategy_discussion",
            ExpectedRecord::Conference => "conference",
            ExpectedRecord::CoreGroup => "core_group",
            ExpectedRecord::LegalPlanningMeeting => "legal_planning_meeting",
            ExpectedRecord::Challenge => "challenge",
            ExpectedRecord::Decision => "decision",
        }
    }
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
            Action::MakeReferral(_) => "make_referral",
            Action::AcknowledgeReferral(_) => "acknowledge_referral",
            Action::DecideReferral(_) => "decide_referral",
            Action::StrategyDiscussion(_) => "strategy_discussion",
            Action::ConcludeEnquiry(_) => "conclude_enquiry",
            Action::CompleteAssessment(_) => "complete_assessment",
            Action::Conference(_) => "conference",
            Action::CoreGroup(_) => "core_group",
            Action::AddPlanAction(_) => "add_plan_action",
            Action::MarkPlanAction(_) => "mark_plan_action",
            Action::LegalPlanningMeeting(_) => "legal_planning_meeting",
            Action::Challenge(_) => "challenge",
            Action::RespondToChallenge(_) => "respond_to_challenge",
            Action::BreakGlass(_) => "break_glass",
            Action::BringIn(_) => "bring_in",
        }
    }
}

/// A body with the step's `ref` taken out.
pub fn without_ref(body: &Map<String, Value>) -> (Option<String>, Map<String, Value>) {
    let mut body = body.clone();
    let reference = take(&mut body, "ref");
    (reference, body)
}

/// Takes a name (a `ref` or a reference to one) out of a step's body.
pub fn take(body: &mut Map<String, Value>, key: &str) -> Option<String> {
    body.remove(key)
        .and_then(|v| v.as_str().map(str::to_string))
}

/// A conference's body with its `plan_ref` and its actions' `ref`s taken out: the plan's name, and
/// each action's name (or none) in the order given.
pub fn conference_parts(
    body: &Map<String, Value>,
) -> (Option<String>, Vec<Option<String>>, Map<String, Value>) {
    let mut body = body.clone();
    let plan = take(&mut body, "plan_ref");
    let mut names = Vec::new();
    if let Some(Value::Array(actions)) = body.get_mut("actions") {
        for action in actions.iter_mut() {
            names.push(action.as_object_mut().and_then(|a| take(a, "ref")));
        }
    }
    (plan, names, body)
}
