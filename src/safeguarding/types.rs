//! The process records and their events: what each says is declared once here, stored as it is
//! (`details`), shown as it is, and read by the clocks and the rules.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::pagination::{Listed, Page};
use crate::vocabulary::{
    ActionOwner, ActionStatus, Agency, AssessmentOutcome, ChallengeResponse, ConcernCategory,
    ConcernLevel, ConferenceDecision, ConferenceType, EnquiryConclusion, EventType, PlanCategory,
    RecordState, RecordType, ReferralDecision, Referrer, StrategyOutcome, ThresholdAdvice,
    Visibility,
};

/// What a process record says, by record type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "record_type", rename_all = "snake_case")]
pub enum Details {
    /// A concern referred to another agency.
    Referral {
        referrer: Referrer,
        /// The referring agency; `null` for a lay referrer.
        from_agency: Option<Agency>,
        /// The agency that receives, acknowledges and decides it.
        to_agency: Agency,
        summary: String,
        concern_level: Option<ConcernLevel>,
        concern_categories: Vec<ConcernCategory>,
    },
    /// A strategy discussion, convened by social care.
    StrategyDiscussion {
        /// The agencies that took part.
        agencies: Vec<Agency>,
        outcome: StrategyOutcome,
        /// Agreed actions.
        actions: Vec<String>,
        summary: String,
        /// The referral it was held on, if any.
        referral_id: Option<Uuid>,
    },
    /// A section 47 enquiry, started by a strategy discussion.
    #[serde(rename = "section_47_enquiry")]
    Section47Enquiry { strategy_discussion_id: Uuid },
    /// An assessment, started by a referral decision.
    Assessment { referral_id: Uuid },
    /// A child protection conference.
    Conference {
        conference_type: ConferenceType,
        /// The agencies present.
        agencies: Vec<Agency>,
        decision: ConferenceDecision,
        /// The plan's category, for a decision of `plan`.
        category: Option<PlanCategory>,
        summary: String,
    },
    /// A core group meeting of the agencies working the plan.
    CoreGroup {
        agencies: Vec<Agency>,
        summary: String,
    },
    /// A child protection plan, made at an initial conference.
    Plan {
        conference_id: Uuid,
        category: PlanCategory,
    },
    /// One action of a plan.
    PlanAction {
        plan_id: Uuid,
        description: String,
        owner: ActionOwner,
        /// Due at the end of this day.
        due_date: NaiveDate,
    },
    /// Council legal advice on the threshold for care proceedings.
    LegalPlanningMeeting {
        advice: ThresholdAdvice,
        summary: String,
    },
    /// One agency's challenge of another's entry or decision (a contact's opinion or concern
    /// level, a referral's decision, a conference's decision, a legal advice), raised at a level
    /// of the escalation procedure: 1 practitioners, 2 managers, 3 senior managers, 4 the
    /// safeguarding partnership.
    Challenge {
        /// The agency whose entry is challenged: it answers.
        challenged_agency: Agency,
        /// The entry challenged: a contact or a process record of the child's.
        entry_id: Uuid,
        /// What it is: a contact's kind or a record's type.
        entry_kind: String,
        concern: String,
        level: u8,
    },
    /// An agency brought in to work the case by a user of an involved agency (or a facilitator),
    /// with the reason: from then on it is involved with the child and reads the record.
    Involvement {
        /// The agency brought in.
        brought_in: Agency,
        reason: String,
    },
}

impl Details {
    pub fn record_type(&self) -> RecordType {
        match self {
            Details::Referral { .. } => RecordType::Referral,
            Details::StrategyDiscussion { .. } => RecordType::StrategyDiscussion,
            Details::Section47Enquiry { .. } => RecordType::Section47Enquiry,
            Details::Assessment { .. } => RecordType::Assessment,
            Details::Conference { .. } => RecordType::Conference,
            Details::CoreGroup { .. } => RecordType::CoreGroup,
            Details::Plan { .. } => RecordType::Plan,
            Details::PlanAction { .. } => RecordType::PlanAction,
            Details::LegalPlanningMeeting { .. } => RecordType::LegalPlanningMeeting,
            Details::Challenge { .. } => RecordType::Challenge,
            Details::Involvement { .. } => RecordType::Involvement,
        }
    }

    /// The agency that must act on this record besides its own, and so always sees it in full: the
    /// one a referral is made to, the one that answers for a plan action, the one challenged, the
    /// one brought in.
    pub fn party(&self) -> Option<Agency> {
        match self {
            Details::Referral { to_agency, .. } => Some(*to_agency),
            Details::PlanAction { owner, .. } => Some(owner.answering_agency()),
            Details::Challenge {
                challenged_agency, ..
            } => Some(*challenged_agency),
            Details::Involvement { brought_in, .. } => Some(*brought_in),
            _ => None,
        }
    }

    /// The record this one came from or belongs to.
    pub fn parent(&self) -> Option<Uuid> {
        match self {
            Details::StrategyDiscussion { referral_id, .. } => *referral_id,
            Details::Section47Enquiry {
                strategy_discussion_id,
            } => Some(*strategy_discussion_id),
            Details::Assessment { referral_id } => Some(*referral_id),
            Details::Plan { conference_id, .. } => Some(*conference_id),
            Details::PlanAction { plan_id, .. } => Some(*plan_id),
            _ => None,
        }
    }
}

/// A change of a process record's state, by event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventDetails {
    /// The receiving agency acknowledged a referral.
    Acknowledged {},
    /// The receiving agency decided a referral.
    Decided {
        decision: ReferralDecision,
        reason: String,
    },
    /// A section 47 enquiry concluded.
    Concluded {
        conclusion: EnquiryConclusion,
        reason: String,
    },
    /// An assessment was completed.
    Completed {
        outcome: AssessmentOutcome,
        summary: String,
    },
    /// A plan action was marked done or not done.
    Marked { status: ActionStatus, note: String },
    /// The challenged agency answered a challenge.
    Responded {
        response: ChallengeResponse,
        reason: String,
    },
}

impl EventDetails {
    pub fn event_type(&self) -> EventType {
        match self {
            EventDetails::Acknowledged {} => EventType::Acknowledged,
            EventDetails::Decided { .. } => EventType::Decided,
            EventDetails::Concluded { .. } => EventType::Concluded,
            EventDetails::Completed { .. } => EventType::Completed,
            EventDetails::Marked { .. } => EventType::Marked,
            EventDetails::Responded { .. } => EventType::Responded,
        }
    }
}

/// A change of a process record's state, with who made it and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProcessEvent {
    pub id: Uuid,
    /// Whose entry the change is: the receiving agency's for a referral, the owning agency's for a
    /// plan action (social care's for the carers'), social care's otherwise.
    pub agency: Agency,
    pub author_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    #[serde(flatten)]
    pub details: EventDetails,
}

/// Another process record this one started or holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RelatedRecord {
    pub record_type: RecordType,
    pub id: Uuid,
}

/// A process record as it stood at `as_of` (or now): what it says, its state and its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProcessRecord {
    pub id: Uuid,
    pub child_id: Uuid,
    /// Whose entry it is: the recording agency's.
    pub agency: Agency,
    pub author_id: Uuid,
    /// Scenario time: a referral's receipt, a meeting's date, a record's start.
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    #[serde(flatten)]
    pub details: Details,
    /// `restricted`: in full for the recording agency (and the agency a referral is made to, or
    /// that owns a plan action) and facilitators; other agencies see a stub.
    pub visibility: Visibility,
    pub state: RecordState,
    /// Every change of its state, oldest first.
    pub history: Vec<ProcessEvent>,
    /// What it started or holds: a referral's assessment, a strategy discussion's enquiry, a
    /// conference's plan, a plan's actions.
    pub related: Vec<RelatedRecord>,
}

impl crate::audit::identified::Identified for ProcessRecord {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// What another agency sees of a restricted process record: that it exists, whose, when and what
/// it is, so that they know whom to ask. Nothing else: the contract says so, so that a stub and a
/// full record are told apart by their shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessStub {
    pub id: Uuid,
    pub record_type: RecordType,
    pub agency: Agency,
    pub occurred_at: DateTime<Utc>,
    /// Always `true`.
    pub restricted: bool,
}

/// A process record as the caller may see it: in full, or as a stub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ProcessEntry {
    Full(Box<ProcessRecord>),
    Stub(ProcessStub),
}

/// A page of process records: in full, or stubs.
pub type ProcessRecordPage = Page<ProcessEntry>;

impl Listed for ProcessEntry {
    const PAGE: &'static str = "ProcessRecordPage";
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProcessListParams {
    /// Only what had happened by then, each in the state it was in then (RFC 3339, scenario
    /// time); default now.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub as_of: Option<DateTime<Utc>>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

fn shared_with_social_care() -> Agency {
    Agency::SocialCare
}

/// A referral: made by the caller's agency (`referrer: professional`), or logged by the receiving
/// agency on behalf of a lay referrer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2006-12-11T12:00:00Z", "referrer": "professional",
    "to_agency": "social_care", "summary": "GP found bruising to the face and chest",
    "concern_level": "high", "concern_categories": ["physical_injury"]}))]
pub struct NewReferral {
    /// When the receiving agency received it.
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    pub referrer: Referrer,
    /// The receiving agency; social care unless given.
    #[serde(default = "shared_with_social_care")]
    pub to_agency: Agency,
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
    pub concern_level: Option<ConcernLevel>,
    #[serde(default)]
    pub concern_categories: Vec<ConcernCategory>,
    /// `restricted`: in full for the recording agency (and the receiving agency of a referral) and
    /// facilitators; other agencies see a stub. Default `shared`.
    pub visibility: Option<Visibility>,
}

/// A referral's acknowledgement by the receiving agency.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2006-12-11T15:00:00Z"}))]
pub struct NewAcknowledgement {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
}

/// The receiving agency's decision on a referral, with its reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2006-12-12T10:00:00Z", "decision": "strategy_discussion",
    "reason": "Unexplained bruising to a baby's face"}))]
pub struct NewDecision {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    pub decision: ReferralDecision,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// A strategy discussion, recorded by social care.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2006-12-13T10:00:00Z", "agencies": ["social_care", "police", "health"],
    "outcome": "section_47_enquiry", "actions": ["Police to interview the mother"],
    "summary": "Joint investigation agreed"}))]
pub struct NewStrategyDiscussion {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    /// The agencies that took part (social care among them).
    #[schema(min_items = 1, max_items = 4)]
    pub agencies: Vec<Agency>,
    pub outcome: StrategyOutcome,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub actions: Vec<String>,
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
    /// The referral it was held on, if any.
    pub referral_id: Option<Uuid>,
    /// `restricted`: in full for the recording agency (and the receiving agency of a referral) and
    /// facilitators; other agencies see a stub. Default `shared`.
    pub visibility: Option<Visibility>,
}

/// How a section 47 enquiry concluded.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2007-01-20T10:00:00Z", "conclusion": "substantiated_continuing_risk",
    "reason": "Injuries consistent with physical abuse"}))]
pub struct NewConclusion {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    pub conclusion: EnquiryConclusion,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// An assessment's completion.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2007-02-10T10:00:00Z", "outcome": "child_in_need_services",
    "summary": "Mother to attend parenting classes"}))]
pub struct NewCompletion {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    pub outcome: AssessmentOutcome,
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
}

/// An action of a child protection plan.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Mother to take the child to nursery daily", "owner": "carers",
    "due_date": "2007-01-31"}))]
pub struct NewPlanAction {
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    pub owner: ActionOwner,
    /// Due at the end of this day.
    #[serde(deserialize_with = "crate::validation::dates::day")]
    pub due_date: NaiveDate,
}

/// A plan action added to a plan after the conference.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2007-01-05T10:00:00Z", "description": "Health visitor to weigh the child fortnightly",
    "owner": "health", "due_date": "2007-02-28"}))]
pub struct NewLaterPlanAction {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    pub owner: ActionOwner,
    /// Due at the end of this day.
    #[serde(deserialize_with = "crate::validation::dates::day")]
    pub due_date: NaiveDate,
}

impl NewLaterPlanAction {
    pub fn action(&self) -> NewPlanAction {
        NewPlanAction {
            description: self.description.clone(),
            owner: self.owner,
            due_date: self.due_date,
        }
    }
}

/// A child protection conference. An initial conference decides `plan` (with `category`, and the
/// plan's `actions`) or `no_plan`; a review decides `plan_continues` or `plan_ends`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2006-12-22T10:00:00Z", "conference_type": "initial",
    "agencies": ["social_care", "police", "health"], "decision": "plan", "category": "physical_abuse",
    "summary": "Registered under physical abuse", "actions": [{"description": "Mother to take the child to nursery daily",
    "owner": "carers", "due_date": "2007-01-31"}]}))]
pub struct NewConference {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    pub conference_type: ConferenceType,
    #[schema(min_items = 1, max_items = 4)]
    pub agencies: Vec<Agency>,
    pub decision: ConferenceDecision,
    pub category: Option<PlanCategory>,
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
    /// The plan's actions, for a decision of `plan`.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub actions: Vec<NewPlanAction>,
    /// `restricted`: in full for the recording agency (and the receiving agency of a referral) and
    /// facilitators; other agencies see a stub. Default `shared`.
    pub visibility: Option<Visibility>,
}

/// A core group meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2007-01-05T10:00:00Z", "agencies": ["social_care", "health"],
    "summary": "Nursery attendance poor"}))]
pub struct NewCoreGroup {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    #[schema(min_items = 1, max_items = 4)]
    pub agencies: Vec<Agency>,
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
    /// `restricted`: in full for the recording agency (and the receiving agency of a referral) and
    /// facilitators; other agencies see a stub. Default `shared`.
    pub visibility: Option<Visibility>,
}

/// A plan action marked done or not done, by the agency that owns it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2007-02-01T10:00:00Z", "status": "not_done",
    "note": "The child attended nursery twice in four weeks"}))]
pub struct NewMark {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    pub status: ActionStatus,
    #[schema(min_length = 1, max_length = 2000)]
    pub note: String,
}

/// A legal planning meeting, recorded by legal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2007-07-25T10:00:00Z", "advice": "threshold_not_met",
    "summary": "Not enough evidence for care proceedings"}))]
pub struct NewLegalPlanningMeeting {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    pub advice: ThresholdAdvice,
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
    /// `restricted`: in full for the recording agency (and the receiving agency of a referral) and
    /// facilitators; other agencies see a stub. Default `shared`.
    pub visibility: Option<Visibility>,
}

/// Bringing an agency in to work the case, with the reason (a lead practitioner asks legal for
/// advice): by a user of an involved agency, or a facilitator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"agency": "legal", "reason": "Advice on the threshold for care proceedings"}))]
pub struct NewInvolvement {
    /// The agency brought in.
    pub agency: Agency,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    /// Scenario time; default now.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub occurred_at: Option<DateTime<Utc>>,
}

fn agencies_text(agencies: &[Agency]) -> String {
    agencies
        .iter()
        .map(|a| a.label())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Details {
    /// What the meeting decided or the advice said, in the vocabulary's words.
    pub fn outcome(&self) -> Option<&'static str> {
        match self {
            Details::StrategyDiscussion { outcome, .. } => Some(outcome.as_str()),
            Details::Conference { decision, .. } => Some(decision.as_str()),
            Details::LegalPlanningMeeting { advice, .. } => Some(advice.as_str()),
            _ => None,
        }
    }

    /// One line for the chronology.
    pub fn summary(&self) -> String {
        match self {
            Details::Referral {
                referrer,
                from_agency,
                to_agency,
                summary,
                ..
            } => format!(
                "Referral from {} to {}: {summary}",
                from_agency.map_or(referrer.as_str(), |a| a.label()),
                to_agency.label()
            ),
            Details::StrategyDiscussion {
                agencies,
                outcome,
                summary,
                ..
            } => format!(
                "Strategy discussion ({}): {}. {summary}",
                agencies_text(agencies),
                outcome.as_str()
            ),
            Details::Section47Enquiry { .. } => "Section 47 enquiry started".into(),
            Details::Assessment { .. } => "Assessment started".into(),
            Details::Conference {
                conference_type,
                agencies,
                decision,
                category,
                summary,
            } => format!(
                "{} child protection conference ({}): {}{}. {summary}",
                match conference_type {
                    ConferenceType::Initial => "Initial",
                    ConferenceType::Review => "Review",
                },
                agencies_text(agencies),
                decision.as_str(),
                category.map_or(String::new(), |c| format!(" ({})", c.as_str()))
            ),
            Details::CoreGroup { agencies, summary } => {
                format!("Core group ({}): {summary}", agencies_text(agencies))
            }
            Details::Plan { category, .. } => {
                format!("Child protection plan ({})", category.as_str())
            }
            Details::PlanAction {
                description,
                owner,
                due_date,
                ..
            } => format!(
                "Plan action for {}, due {due_date}: {description}",
                owner.as_str()
            ),
            Details::LegalPlanningMeeting { advice, summary } => {
                format!("Legal planning meeting: {}. {summary}", advice.as_str())
            }
            Details::Challenge {
                challenged_agency,
                entry_kind,
                concern,
                level,
                ..
            } => format!(
                "Challenge to {}'s {} at level {level}: {concern}",
                challenged_agency.label(),
                entry_kind.replace('_', " ")
            ),
            Details::Involvement { brought_in, reason } => {
                format!("{} brought in: {reason}", brought_in.label())
            }
        }
    }

    /// The concern a referral carries.
    pub fn concern(&self) -> Option<(ConcernLevel, &[ConcernCategory])> {
        match self {
            Details::Referral {
                concern_level: Some(level),
                concern_categories,
                ..
            } => Some((*level, concern_categories)),
            _ => None,
        }
    }
}

impl EventDetails {
    /// What was decided or found, in the vocabulary's words: what a chronology's
    /// "decision/outcome" column holds.
    pub fn outcome(&self) -> Option<&'static str> {
        match self {
            EventDetails::Acknowledged {} => None,
            EventDetails::Decided { decision, .. } => Some(decision.as_str()),
            EventDetails::Concluded { conclusion, .. } => Some(conclusion.as_str()),
            EventDetails::Completed { outcome, .. } => Some(outcome.as_str()),
            EventDetails::Marked { status, .. } => Some(status.as_str()),
            EventDetails::Responded { response, .. } => Some(response.as_str()),
        }
    }

    /// One line for the chronology.
    pub fn summary(&self) -> String {
        match self {
            EventDetails::Acknowledged {} => "Referral acknowledged".into(),
            EventDetails::Decided { decision, reason } => {
                format!("Referral decided: {}. {reason}", decision.as_str())
            }
            EventDetails::Concluded { conclusion, reason } => format!(
                "Section 47 enquiry concluded: {}. {reason}",
                conclusion.as_str()
            ),
            EventDetails::Completed { outcome, summary } => {
                format!("Assessment completed: {}. {summary}", outcome.as_str())
            }
            EventDetails::Marked { status, note } => {
                format!("Plan action marked {}: {note}", status.as_str())
            }
            EventDetails::Responded { response, reason } => {
                format!("Challenge answered: {}. {reason}", response.as_str())
            }
        }
    }
}

/// A challenge of another agency's entry or decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2007-07-26T10:00:00Z", "entry_id": "7d1f1a2c-3b4e-4f5a-9b6c-7d8e9f0a1b2c",
    "concern": "Two doctors found non-accidental injury; the advice does not weigh their opinion", "level": 1}))]
pub struct NewChallenge {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    /// The contact or process record challenged, on this child's record, of another agency.
    pub entry_id: Uuid,
    #[schema(min_length = 1, max_length = 4000)]
    pub concern: String,
    /// Where it starts: 1 practitioners, 2 managers, 3 senior managers, 4 the safeguarding
    /// partnership.
    #[schema(minimum = 1, maximum = 4)]
    pub level: u8,
    /// `restricted`: in full for the two agencies and facilitators; others see a stub. Default
    /// `shared`.
    pub visibility: Option<Visibility>,
}

/// The challenged agency's answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"occurred_at": "2007-07-30T10:00:00Z", "response": "decision_changed",
    "reason": "Advice reconsidered with both medical opinions: threshold met"}))]
pub struct NewChallengeResponse {
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    pub response: ChallengeResponse,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}
