//! An in-memory snapshot of one child's record as one reader may see it in full, up to a moment.
//! Everything the combined views compute is a pure function of this.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::contacts::types::ContactFields;
use crate::safeguarding::types::{Details, EventDetails};
use crate::vocabulary::Agency;
use crate::vocabulary::{
    Attendance, CheckOutcome, ChildStatus, ConcernLevel, ContactKind, ExplanationCategory,
    Relationship,
};

/// A contact as it stood at the snapshot's horizon (amendments made by then applied).
#[derive(Debug, Clone)]
pub struct ContactFact {
    pub id: Uuid,
    pub agency: Agency,
    pub recorded_at: DateTime<Utc>,
    pub amended: bool,
    pub fields: ContactFields,
}

impl ContactFact {
    pub fn at(&self) -> DateTime<Utc> {
        self.fields.occurred_at
    }
    pub fn has_injuries(&self) -> bool {
        !self.fields.injuries.is_empty()
    }
    /// A visit or appointment: the child is expected to be there.
    pub fn is_visit(&self) -> bool {
        self.fields.kind.expects_child_present()
    }
    /// Recorded as seen: `child_seen: true`, or brought (`attended`) and not recorded unseen.
    pub fn child_seen(&self) -> bool {
        self.fields.child_seen == Some(true)
            || (self.fields.attendance == Some(Attendance::Attended)
                && self.fields.child_seen != Some(false))
    }
    /// Recorded as not seen: `child_seen: false`, or kept away (not brought, cancelled, no access).
    pub fn child_unseen(&self) -> bool {
        self.fields.child_seen == Some(false)
            || self.fields.attendance.is_some_and(Attendance::kept_away)
    }
    /// Concern level `low` or above.
    pub fn concern_bearing(&self) -> bool {
        self.fields
            .concern_level
            .is_some_and(|l| l >= ConcernLevel::Low)
    }
    pub fn explained_by(&self, category: ExplanationCategory) -> bool {
        self.fields
            .explanation
            .as_ref()
            .is_some_and(|e| e.category == category)
    }
}

#[derive(Debug, Clone)]
pub struct PersonFact {
    pub id: Uuid,
    pub agency: Agency,
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub name: String,
    pub relationship: Relationship,
    pub lives_in_household: bool,
    pub identity_verified: bool,
}

impl PersonFact {
    /// Siblings and other children are not the adults the household rule is about.
    pub fn is_adult(&self) -> bool {
        !matches!(
            self.relationship,
            Relationship::Sibling | Relationship::OtherChild
        )
    }
}

#[derive(Debug, Clone)]
pub struct CheckFact {
    pub id: Uuid,
    pub person_id: Uuid,
    pub agency: Agency,
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub outcome: CheckOutcome,
    pub summary: String,
}

/// A process record (a referral, a meeting, a plan, ...) with the changes of its state made by the
/// snapshot's horizon.
#[derive(Debug, Clone)]
pub struct ProcessFact {
    pub id: Uuid,
    pub agency: Agency,
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub details: Details,
    pub events: Vec<EventFact>,
}

#[derive(Debug, Clone)]
pub struct EventFact {
    pub id: Uuid,
    pub agency: Agency,
    pub at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub details: EventDetails,
}

impl ProcessFact {
    /// The first event of this record that `pick` accepts.
    pub fn first<'a, T>(
        &'a self,
        pick: impl Fn(&'a EventDetails) -> Option<T>,
    ) -> Option<(T, &'a EventFact)> {
        self.events
            .iter()
            .find_map(|e| pick(&e.details).map(|t| (t, e)))
    }
}

#[derive(Debug, Clone, Copy)]
pub struct StatusFact {
    pub status: ChildStatus,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The moment the snapshot is taken at: `as_of`, or now.
    pub horizon: DateTime<Utc>,
    /// The child's, as the record holds it (known to every reader of the record).
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// In scenario-time order (ties by recording time). Shared, as many readers may see the same.
    pub contacts: Arc<Vec<ContactFact>>,
    pub people: Arc<Vec<PersonFact>>,
    pub checks: Arc<Vec<CheckFact>>,
    /// Status changes in order of taking effect; before the first, the status is `none`.
    pub statuses: Arc<Vec<StatusFact>>,
    /// The process records, in scenario-time order.
    pub process: Arc<Vec<ProcessFact>>,
}

impl Snapshot {
    /// What `agency` could see from its own entries and people alone (the child's status is
    /// known to all).
    pub fn only(&self, agency: Agency) -> Snapshot {
        Snapshot {
            horizon: self.horizon,
            date_of_birth: self.date_of_birth,
            contacts: Arc::new(
                self.contacts
                    .iter()
                    .filter(|c| c.agency == agency)
                    .cloned()
                    .collect(),
            ),
            people: Arc::new(
                self.people
                    .iter()
                    .filter(|p| p.agency == agency)
                    .cloned()
                    .collect(),
            ),
            checks: Arc::new(
                self.checks
                    .iter()
                    .filter(|c| c.agency == agency)
                    .cloned()
                    .collect(),
            ),
            statuses: self.statuses.clone(),
            // A record is its recording agency's entry; each change of its state is the entry of
            // the agency that made it.
            process: Arc::new(
                self.process
                    .iter()
                    .filter(|p| p.agency == agency)
                    .map(|p| ProcessFact {
                        events: p
                            .events
                            .iter()
                            .filter(|e| e.agency == agency)
                            .cloned()
                            .collect(),
                        ..p.clone()
                    })
                    .collect(),
            ),
        }
    }

    /// What each agency could see alone.
    pub fn alone(&self) -> Vec<(Agency, Snapshot)> {
        Agency::ALL.iter().map(|a| (*a, self.only(*a))).collect()
    }

    /// The same entries seen from another moment, sharing them.
    pub fn at(&self, horizon: DateTime<Utc>) -> Snapshot {
        Snapshot {
            horizon,
            ..self.clone()
        }
    }

    /// The moments of every strategy discussion on the record: the process's own, and contacts of
    /// that kind.
    pub fn strategy_discussions(&self) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        self.process
            .iter()
            .filter(|p| matches!(p.details, Details::StrategyDiscussion { .. }))
            .map(|p| p.at)
            .chain(
                self.contacts
                    .iter()
                    .filter(|c| c.fields.kind == ContactKind::StrategyDiscussion)
                    .map(|c| c.at()),
            )
    }

    /// The start of the child's date of birth, if the record has one.
    pub fn born_at(&self) -> Option<DateTime<Utc>> {
        self.date_of_birth
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
    }

    /// Whether the child was at least `years` old at `at` (by the calendar: the birthday itself
    /// counts); `None` when the record has no date of birth.
    pub fn aged_at_least(&self, years: u32, at: DateTime<Utc>) -> Option<bool> {
        let born = self.date_of_birth?;
        let birthday = born
            .checked_add_months(chrono::Months::new(years.saturating_mul(12)))
            .unwrap_or(chrono::NaiveDate::MAX);
        Some(at.date_naive() >= birthday)
    }

    pub fn status_at(&self, at: DateTime<Utc>) -> ChildStatus {
        self.statuses
            .iter()
            .take_while(|s| s.at <= at)
            .last()
            .map_or(ChildStatus::None, |s| s.status)
    }
}
