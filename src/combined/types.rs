//! What the combined views answer.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::pagination::{Listed, Page};
use crate::per_agency::{AgencyCounts, AgencyFlags};
use crate::vocabulary::Agency;
use crate::vocabulary::{ConcernCategory, ConcernLevel};

/// What an entry on the timeline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryType {
    /// An agency contact.
    Contact,
    /// A person linked to the child was recorded.
    Person,
    /// A background check on a person was recorded.
    Check,
    /// A referral to another agency.
    Referral,
    StrategyDiscussion,
    Section47Enquiry,
    Assessment,
    /// A child protection conference.
    Conference,
    /// A core group meeting.
    CoreGroup,
    /// A child protection plan.
    Plan,
    /// An action of a child protection plan.
    PlanAction,
    LegalPlanningMeeting,
    /// One agency's challenge of another's entry or decision.
    Challenge,
    /// An agency brought in to work the case.
    Involvement,
    /// A change of a process record's state: a referral acknowledged or decided, an enquiry
    /// concluded, an assessment completed, a plan action marked.
    ProcessEvent,
}

impl From<crate::vocabulary::RecordType> for EntryType {
    fn from(t: crate::vocabulary::RecordType) -> Self {
        use crate::vocabulary::RecordType as R;
        match t {
            R::Referral => EntryType::Referral,
            R::StrategyDiscussion => EntryType::StrategyDiscussion,
            R::Section47Enquiry => EntryType::Section47Enquiry,
            R::Assessment => EntryType::Assessment,
            R::Conference => EntryType::Conference,
            R::CoreGroup => EntryType::CoreGroup,
            R::Plan => EntryType::Plan,
            R::PlanAction => EntryType::PlanAction,
            R::LegalPlanningMeeting => EntryType::LegalPlanningMeeting,
            R::Challenge => EntryType::Challenge,
            R::Involvement => EntryType::Involvement,
        }
    }
}

/// An entry the indicator rests on; follow `entry_id` to read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Evidence {
    pub entry_id: Uuid,
    pub entry_type: EntryType,
    pub agency: Agency,
    /// The contact's kind, `person` / `background_check`, a process record's type, or what changed
    /// a process record's state (`referral_decided`, `plan_action_marked`, ...).
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Medium,
    High,
}

/// A warning sign that held on the record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IndicatorReport {
    #[schema(example = "repeated_third_party_explanation")]
    pub code: String,
    pub title: String,
    pub severity: Severity,
    /// Always `true`: only indicators that held are listed.
    pub holds: bool,
    /// The earliest scenario time at which it held.
    pub first_held_at: DateTime<Utc>,
    pub evidence: Vec<Evidence>,
    /// The agencies whose entries are in the evidence.
    pub agencies: Vec<Agency>,
    /// Could that agency have seen this indicator from its own entries alone?
    pub visible_to_single_agency: AgencyFlags,
    /// Why it holds, in plain English, built from the evidence as the reader sees it.
    #[schema(
        example = "The child has not been seen at visit after visit. On 2007-03-01 social care recorded a home visit: no one let the visitor in. … It first held on 2007-05-30, and no single agency's own entries showed it: only the combined record did."
    )]
    pub explanation: String,
    pub recommended_action: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GapSummary {
    /// Indicators that held on the record as the caller sees it.
    pub combined: usize,
    /// Of those, how many each agency could have seen alone.
    pub by_agency_alone: AgencyCounts,
    /// Of those, how many no single agency could have seen.
    pub only_visible_combined: usize,
    #[schema(
        example = "7 indicators on the combined record; police alone could see 1, health 2, social care 1, legal 0."
    )]
    pub headline: String,
}

/// The gap report: the warning signs of docs/domain.md that held, computed over exactly the entries
/// the caller may see in full.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GapReport {
    pub child_id: Uuid,
    /// The moment the report looks from; `null` for now.
    pub as_of: Option<DateTime<Utc>>,
    pub indicators: Vec<IndicatorReport>,
    pub summary: GapSummary,
    /// The rules' windows and thresholds this report used, by name (`mash rules` says what each
    /// means), and which of them this deployment changed from the defaults.
    pub settings: RuleSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RuleSettings {
    #[schema(example = json!({"several_agencies_window": 90, "unseen_minimum": 3}))]
    pub values: std::collections::BTreeMap<String, i64>,
    pub changed_from_default: Vec<String>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfParams {
    /// Only what had happened by then (RFC 3339, scenario time), amendments included; default now.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub as_of: Option<DateTime<Utc>>,
}

/// One line of the chronology.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChronologyItem {
    pub entry_type: EntryType,
    pub id: Uuid,
    pub agency: Agency,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: Option<DateTime<Utc>>,
    /// The contact's kind, `person` / `background_check`, a process record's type, or what changed
    /// a process record's state (`referral_decided`, `plan_action_marked`, ...).
    pub kind: String,
    /// `null` for another agency's restricted entry.
    pub summary: Option<String>,
    pub concern_level: Option<ConcernLevel>,
    pub injury_count: usize,
    /// The contact has amendments (made by `as_of`).
    pub amended: bool,
    /// Another agency's restricted contact: only that it exists is shown.
    pub restricted: bool,
}

/// A page of the chronology.
pub type ChronologyPage = Page<ChronologyItem>;

impl Listed for ChronologyItem {
    const PAGE: &'static str = "ChronologyPage";
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChronologyParams {
    /// Only what had happened by then (RFC 3339, scenario time); default now.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub as_of: Option<DateTime<Utc>>,
    /// Only this agency's entries.
    pub agency: Option<Agency>,
    /// Only entries that occurred at or after this time.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub from: Option<DateTime<Utc>>,
    /// Only entries that occurred at or before this time.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub to: Option<DateTime<Utc>>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The latest entry of an agency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LatestEntry {
    pub id: Uuid,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
}

/// Concerns recorded by one agency, or by all together: its contacts and the referrals it made
/// with a concern level.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConcernTotals {
    /// Contacts recorded, and referrals carrying a concern.
    pub entries: usize,
    pub highest_concern_level: Option<ConcernLevel>,
    /// Entries naming each concern category.
    pub by_category: BTreeMap<ConcernCategory, usize>,
    /// Injuries recorded, across all contacts.
    pub injuries: usize,
    pub latest_entry: Option<LatestEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AgencyConcerns {
    pub agency: Agency,
    #[serde(flatten)]
    pub totals: ConcernTotals,
}

/// Each agency's concerns, and the whole record's, over the contacts the caller may see in full.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConcernSummary {
    pub child_id: Uuid,
    pub as_of: Option<DateTime<Utc>>,
    pub agencies: Vec<AgencyConcerns>,
    pub total: ConcernTotals,
}
