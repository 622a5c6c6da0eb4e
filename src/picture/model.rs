//! What the picture shows, before it is drawn: one lane per agency, a marker per entry the reader
//! may see, a line per indicator at its `first_held_at`, and a span per missed clock. A pure
//! function of the views the API already computes, so the SVG, the page and the debrief agree with
//! the chronology, the gap report and the timescales.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use crate::combined::indicators::INDICATORS;
use crate::combined::types::{ChronologyItem, EntryType, IndicatorReport};
use crate::safeguarding::timescales::ClockReport;
use crate::vocabulary::{Agency, ClockName, ClockState, ConcernLevel};

/// What a marker's shape says: the kind of entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Contact,
    Person,
    Check,
    Referral,
    /// A strategy discussion, conference, core group or legal planning meeting.
    Meeting,
    PlanAction,
    /// Another process record, or a change of one's state (a decision, a conclusion).
    Process,
    /// One agency's challenge of another's entry or decision.
    Challenge,
}

impl Shape {
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Contact => "contact",
            Shape::Person => "person",
            Shape::Check => "check",
            Shape::Referral => "referral",
            Shape::Meeting => "meeting",
            Shape::PlanAction => "plan_action",
            Shape::Process => "process",
            Shape::Challenge => "challenge",
        }
    }

    pub const ALL: [Shape; 8] = [
        Shape::Contact,
        Shape::Person,
        Shape::Check,
        Shape::Referral,
        Shape::Meeting,
        Shape::PlanAction,
        Shape::Process,
        Shape::Challenge,
    ];

    fn of(item: &ChronologyItem) -> Shape {
        match item.entry_type {
            EntryType::Contact => Shape::Contact,
            EntryType::Person => Shape::Person,
            EntryType::Check => Shape::Check,
            EntryType::Referral => Shape::Referral,
            EntryType::StrategyDiscussion
            | EntryType::Conference
            | EntryType::CoreGroup
            | EntryType::LegalPlanningMeeting => Shape::Meeting,
            EntryType::PlanAction => Shape::PlanAction,
            EntryType::Challenge => Shape::Challenge,
            EntryType::ProcessEvent if item.kind == "challenge_responded" => Shape::Challenge,
            EntryType::ProcessEvent if item.kind == "plan_action_marked" => Shape::PlanAction,
            EntryType::Section47Enquiry
            | EntryType::Assessment
            | EntryType::Plan
            | EntryType::Involvement
            | EntryType::ProcessEvent => Shape::Process,
        }
    }
}

/// One entry on its agency's lane.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub id: Uuid,
    pub agency: Agency,
    pub at: DateTime<Utc>,
    pub shape: Shape,
    pub kind: String,
    pub concern: Option<ConcernLevel>,
    pub injuries: usize,
    /// Another agency's restricted entry: a stub, with no summary.
    pub restricted: bool,
    /// What hovering or focusing it says.
    pub label: String,
}

/// An indicator, drawn where it first held.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorLine {
    /// Its rule's number in docs/domain.md.
    pub rule: usize,
    pub code: String,
    pub title: String,
    pub at: DateTime<Utc>,
    /// The lanes holding its evidence.
    pub lanes: Vec<Agency>,
    /// No single agency's own entries showed it.
    pub combined_only: bool,
}

/// A statutory clock that ran out: red from its due moment until it was met (or until `as_of`).
#[derive(Debug, Clone, PartialEq)]
pub struct MissedClock {
    pub clock: ClockName,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Met, but late; otherwise still overdue at `as_of`.
    pub met_late: bool,
}

/// Whose picture: the reader's own sight, or one agency's siloed view of the same moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lens {
    Shared,
    Siloed(Agency),
}

impl Lens {
    pub fn as_str(self) -> &'static str {
        match self {
            Lens::Shared => "shared",
            Lens::Siloed(agency) => agency.as_str(),
        }
    }

    pub fn describe(self) -> String {
        match self {
            Lens::Shared => "the shared record".into(),
            Lens::Siloed(agency) => format!("what {} alone held", agency.label()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub child_name: String,
    pub as_of: DateTime<Utc>,
    pub lens: Lens,
    /// The time along the bottom: the same whatever `as_of`, so that moving it redraws in place.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub markers: Vec<Marker>,
    pub indicators: Vec<IndicatorLine>,
    pub missed_clocks: Vec<MissedClock>,
}

/// The first moment of `at`'s month.
fn month_start(at: DateTime<Utc>) -> DateTime<Utc> {
    let first = NaiveDate::from_ymd_opt(at.year(), at.month(), 1).unwrap_or(at.date_naive());
    Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The first moment of the month after `at`'s.
pub fn next_month(at: DateTime<Utc>) -> DateTime<Utc> {
    let (y, m) = if at.month() == 12 {
        (at.year() + 1, 1)
    } else {
        (at.year(), at.month() + 1)
    };
    let first = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(at.date_naive());
    Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The axis for a record whose entries span `first..=last`: whole months around them.
pub fn axis(
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
    as_of: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = first.unwrap_or(as_of - Duration::days(30));
    let last = last.unwrap_or(as_of).max(first);
    (month_start(first), next_month(last))
}

fn label(item: &ChronologyItem) -> String {
    let when = item.occurred_at.format("%Y-%m-%d");
    let what = item.kind.replace('_', " ");
    let who = item.agency.label();
    match (&item.summary, item.restricted) {
        (_, true) => format!("{when} {who}: {what} (restricted)"),
        (Some(summary), _) => format!("{when} {who}: {what}: {summary}"),
        (None, _) => format!("{when} {who}: {what}"),
    }
}

impl Picture {
    pub fn new(
        child_name: String,
        as_of: DateTime<Utc>,
        lens: Lens,
        (start, end): (DateTime<Utc>, DateTime<Utc>),
        chronology: &[ChronologyItem],
        indicators: &[IndicatorReport],
        clocks: &[ClockReport],
    ) -> Picture {
        let markers = chronology
            .iter()
            .map(|item| Marker {
                id: item.id,
                agency: item.agency,
                at: item.occurred_at,
                shape: Shape::of(item),
                kind: item.kind.clone(),
                concern: item.concern_level,
                injuries: item.injury_count,
                restricted: item.restricted,
                label: label(item),
            })
            .collect();
        let indicators = indicators
            .iter()
            .map(|i| {
                let flags = &i.visible_to_single_agency;
                IndicatorLine {
                    rule: INDICATORS
                        .iter()
                        .position(|r| r.code() == i.code)
                        .map_or(0, |n| n + 1),
                    code: i.code.clone(),
                    title: i.title.clone(),
                    at: i.first_held_at,
                    lanes: i.agencies.clone(),
                    combined_only: !flags.any(),
                }
            })
            .collect();
        let missed_clocks = clocks
            .iter()
            .filter_map(|c| match c.state {
                ClockState::Overdue => Some(MissedClock {
                    clock: c.clock,
                    from: c.due_at,
                    to: as_of,
                    met_late: false,
                }),
                ClockState::MetLate => Some(MissedClock {
                    clock: c.clock,
                    from: c.due_at,
                    to: c.met_by.as_ref().map_or(as_of, |m| m.occurred_at),
                    met_late: true,
                }),
                _ => None,
            })
            .collect();
        Picture {
            child_name,
            as_of,
            lens,
            start,
            end,
            markers,
            indicators,
            missed_clocks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
    }

    #[test]
    fn the_axis_covers_whole_months_around_the_entries() {
        let (start, end) = axis(
            Some(at(2020, 1, 27)),
            Some(at(2020, 12, 22)),
            at(2026, 1, 1),
        );
        assert_eq!(start, Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap());
        // An empty record: the month before `as_of`.
        let (start, end) = axis(None, None, at(2020, 3, 15));
        assert_eq!(start, Utc.with_ymd_and_hms(2020, 2, 1, 0, 0, 0).unwrap());
        assert_eq!(end, Utc.with_ymd_and_hms(2020, 4, 1, 0, 0, 0).unwrap());
    }

    fn item(entry_type: EntryType, kind: &str) -> ChronologyItem {
        ChronologyItem {
            entry_type,
            id: Uuid::new_v4(),
            agency: Agency::SocialCare,
            occurred_at: at(2020, 1, 1),
            recorded_at: None,
            kind: kind.into(),
            summary: Some("Visit".into()),
            concern_level: Some(ConcernLevel::High),
            injury_count: 1,
            amended: false,
            restricted: false,
        }
    }

    #[test]
    fn each_kind_of_entry_has_its_shape_and_a_stub_says_nothing() {
        assert_eq!(
            Shape::of(&item(EntryType::Contact, "home_visit")),
            Shape::Contact
        );
        assert_eq!(
            Shape::of(&item(EntryType::Conference, "conference")),
            Shape::Meeting
        );
        assert_eq!(
            Shape::of(&item(EntryType::ProcessEvent, "plan_action_marked")),
            Shape::PlanAction
        );
        assert_eq!(
            Shape::of(&item(EntryType::ProcessEvent, "referral_decided")),
            Shape::Process
        );
        let mut stub = item(EntryType::Contact, "home_visit");
        stub.summary = None;
        stub.restricted = true;
        assert_eq!(
            label(&stub),
            "2020-01-01 social care: home visit (restricted)"
        );
        assert_eq!(
            label(&item(EntryType::Contact, "home_visit")),
            "2020-01-01 social care: home visit: Visit"
        );
    }
}
