//! A stored record narrowed to what one reader may see in full at one moment, and the whole of it
//! as kept between requests.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};

use super::chronology::{Position, StubFact, chronology};
use super::settings::RuleConfig;
use super::snapshot::{
    CheckFact, ContactFact, EventFact, PersonFact, ProcessFact, Snapshot, StatusFact,
};
use super::stored::StoredRecord;
use crate::auth::policy::Sight;
use crate::combined::types::{ChronologyItem, EntryType, GapSummary, IndicatorReport};
use crate::vocabulary::Agency;
use crate::vocabulary::Visibility;

/// A record as read, with the whole of it as a reader who sees everything in full sees it once
/// every entry and amendment has taken effect.
pub struct KeptRecord {
    pub stored: StoredRecord,
    pub whole: Snapshot,
    /// The whole chronology, in order.
    pub chronology: Arc<Vec<(Position, ChronologyItem)>>,
    /// When the last entry or amendment takes effect: a view at or after it sees the whole.
    pub settled_at: DateTime<Utc>,
    /// When the last of the whole's clocks falls due: the gap report may change until then.
    last_due: DateTime<Utc>,
    /// The whole's gap report once every rule's window has closed, made when first asked for.
    settled_report: OnceLock<(Vec<IndicatorReport>, GapSummary)>,
    /// Each agency and visibility the record's entries come with (people and checks count as
    /// shared): all a reader's sight of the record depends on.
    sources: BTreeSet<(Agency, Visibility)>,
    /// The agencies involved with the child.
    pub involved: BTreeSet<Agency>,
}

impl KeptRecord {
    pub fn new(stored: StoredRecord, config: &RuleConfig) -> KeptRecord {
        let (whole, _) = narrow(&stored, DateTime::<Utc>::MAX_UTC, |_, _| Sight::Full);
        let sources = stored
            .contacts
            .iter()
            .map(|c| (c.row.agency, c.row.visibility))
            .chain(stored.people.iter().map(|p| (p.agency, Visibility::Shared)))
            .chain(stored.checks.iter().map(|c| (c.agency, Visibility::Shared)))
            .chain(stored.process.iter().flat_map(|p| {
                std::iter::once((p.row.agency, p.row.visibility))
                    .chain(p.events.iter().map(|e| (e.agency, Visibility::Shared)))
            }))
            .collect();
        let chronology = Arc::new(chronology(&whole, &[]));
        let settled_at = stored
            .contacts
            .iter()
            .flat_map(|c| {
                std::iter::once(c.row.fields.occurred_at)
                    .chain(c.amendments.iter().map(|a| a.occurred_at))
            })
            .chain(whole.contacts.iter().map(|c| c.at()))
            .chain(stored.people.iter().map(|p| p.occurred_at))
            .chain(stored.checks.iter().map(|c| c.occurred_at))
            .chain(stored.statuses.iter().map(|s| s.at))
            .chain(stored.process.iter().flat_map(|p| {
                std::iter::once(p.row.occurred_at).chain(p.events.iter().map(|e| e.occurred_at))
            }))
            .max()
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let last_due = crate::record::clocks::clocks(&whole, config)
            .iter()
            .map(|c| c.due_at)
            .max()
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        KeptRecord {
            involved: crate::auth::policy::involved(&stored.involvement()),
            stored,
            whole,
            last_due,
            chronology,
            settled_at,
            settled_report: OnceLock::new(),
            sources,
        }
    }

    /// The whole's gap report at `horizon`, as `report` makes one of a snapshot and what each agency
    /// could see alone: the one kept, once no rule's window is still open.
    pub fn gap_report(
        &self,
        horizon: DateTime<Utc>,
        config: &RuleConfig,
        report: impl Fn(&Snapshot, &[(Agency, Snapshot)]) -> (Vec<IndicatorReport>, GapSummary),
    ) -> (Vec<IndicatorReport>, GapSummary) {
        let after = |at: DateTime<Utc>| {
            at.checked_add_signed(config.longest_window())
                .unwrap_or(DateTime::<Utc>::MAX_UTC)
        };
        let settled = after(self.settled_at).max(after(self.last_due));
        let report_at = |at| {
            // What each agency could see alone is made when asked for, not kept: it would hold
            // every entry a second time.
            let whole = self.whole.at(at);
            report(&whole, &whole.alone())
        };
        if horizon < settled {
            return report_at(horizon);
        }
        self.settled_report
            .get_or_init(|| report_at(settled))
            .clone()
    }

    /// Whether a reader with this sight sees every entry in full.
    pub fn seen_whole_by(&self, sight_of: impl Fn(Agency, Visibility) -> Sight) -> bool {
        self.sources
            .iter()
            .all(|&(agency, visibility)| sight_of(agency, visibility) == Sight::Full)
    }
}

/// `record` as seen up to `horizon` by a reader whose sight of an agency's entry of some
/// visibility is `sight_of`: contacts in full (amendments made by then applied) or as stubs.
pub fn narrow(
    record: &StoredRecord,
    horizon: DateTime<Utc>,
    sight_of: impl Fn(Agency, Visibility) -> Sight,
) -> (Snapshot, Vec<StubFact>) {
    let mut contacts = Vec::new();
    let mut stubs = Vec::new();
    for stored in &record.contacts {
        let row = &stored.row;
        let seen = sight_of(row.agency, row.visibility);
        if seen == Sight::Hidden {
            continue;
        }
        // Only the amendments made by the horizon: a view as of a moment shows the contact as it
        // stood then, and so does a stub of it.
        let amendments = stored
            .amendments
            .iter()
            .filter(|a| a.occurred_at <= horizon)
            .cloned()
            .collect();
        let contact = row.clone().into_contact(amendments);
        if contact.current.occurred_at > horizon {
            continue;
        }
        if seen == Sight::Stub {
            stubs.push(StubFact {
                id: row.id,
                agency: row.agency,
                entry_type: EntryType::Contact,
                kind: contact.current.kind.as_str(),
                occurred_at: contact.current.occurred_at,
                recorded_at: row.recorded_at,
            });
        } else {
            contacts.push(ContactFact {
                id: row.id,
                agency: row.agency,
                recorded_at: row.recorded_at,
                amended: contact.amended,
                fields: contact.current,
            });
        }
    }
    // Amendments may have moved a contact in time.
    contacts.sort_by_key(|c| (c.at(), c.recorded_at, c.id));
    let visible = |agency| sight_of(agency, Visibility::Shared) == Sight::Full;
    let people: Vec<PersonFact> = record
        .people
        .iter()
        .filter(|p| p.occurred_at <= horizon && visible(p.agency))
        .map(|p| PersonFact {
            id: p.id,
            agency: p.agency,
            at: p.occurred_at,
            recorded_at: p.recorded_at,
            name: p.name.clone(),
            relationship: p.relationship,
            lives_in_household: p.lives_in_household,
            identity_verified: p.identity_verified,
        })
        .collect();
    let checks: Vec<CheckFact> = record
        .checks
        .iter()
        .filter(|c| c.occurred_at <= horizon && visible(c.agency))
        .map(|c| CheckFact {
            id: c.id,
            person_id: c.person_id,
            agency: c.agency,
            at: c.occurred_at,
            recorded_at: c.recorded_at,
            outcome: c.outcome,
            summary: c.summary.clone(),
        })
        .collect();
    // A process record is seen as its agency's entries of its visibility are, and in full by the
    // agency a referral is made to or that owns a plan action; a stub of it shows on the chronology
    // only.
    let record_sight = |p: &crate::record::stored::StoredProcess| {
        crate::auth::policy::record_sight(
            &sight_of,
            p.row.agency,
            p.row.visibility,
            p.row.details.0.party(),
        )
    };
    for p in record
        .process
        .iter()
        .filter(|p| p.row.occurred_at <= horizon)
    {
        if record_sight(p) == Sight::Stub {
            let record_type = p.row.details.0.record_type();
            stubs.push(StubFact {
                id: p.row.id,
                agency: p.row.agency,
                entry_type: record_type.into(),
                kind: record_type.as_str(),
                occurred_at: p.row.occurred_at,
                recorded_at: p.row.recorded_at,
            });
        }
    }
    let process: Vec<ProcessFact> = record
        .process
        .iter()
        .filter(|p| p.row.occurred_at <= horizon && record_sight(p) == Sight::Full)
        .map(|p| ProcessFact {
            id: p.row.id,
            agency: p.row.agency,
            at: p.row.occurred_at,
            recorded_at: p.row.recorded_at,
            details: p.row.details.0.clone(),
            // Each change of its state is the entry of the agency that made it.
            events: p
                .events
                .iter()
                .filter(|e| e.occurred_at <= horizon && visible(e.agency))
                .map(|e| EventFact {
                    id: e.id,
                    agency: e.agency,
                    at: e.occurred_at,
                    recorded_at: e.recorded_at,
                    details: e.details.0.clone(),
                })
                .collect(),
        })
        .collect();
    let statuses: Vec<StatusFact> = record
        .statuses
        .iter()
        .filter(|s| s.at <= horizon)
        .map(|s| StatusFact {
            status: s.status,
            at: s.at,
        })
        .collect();
    (
        Snapshot {
            horizon,
            date_of_birth: record.date_of_birth,
            contacts: Arc::new(contacts),
            people: Arc::new(people),
            checks: Arc::new(checks),
            statuses: Arc::new(statuses),
            process: Arc::new(process),
        },
        stubs,
    )
}
