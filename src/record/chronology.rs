//! The merged chronology: every entry the reader may see, all agencies together, in scenario-time
//! order (ties by recording time), with other agencies' restricted contacts as stubs in place.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::snapshot::Snapshot;
use crate::combined::types::{ChronologyItem, EntryType};
use crate::vocabulary::Agency;

/// What a reader knows of another agency's restricted entry (a contact or a process record).
#[derive(Debug, Clone)]
pub struct StubFact {
    pub id: Uuid,
    pub agency: Agency,
    pub entry_type: EntryType,
    /// The contact's kind, or the process record's type.
    pub kind: &'static str,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// Where an item stands in the order; also the page cursor (sealed like every cursor: the
/// recording time of another agency's restricted contact is not the reader's).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Position {
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub id: Uuid,
}

/// Every visible entry, in order, each with its position.
pub fn chronology(snapshot: &Snapshot, stubs: &[StubFact]) -> Vec<(Position, ChronologyItem)> {
    let mut items =
        Vec::with_capacity(snapshot.contacts.len() + stubs.len() + snapshot.people.len());
    for c in snapshot.contacts.iter() {
        let f = &c.fields;
        items.push((
            Position {
                occurred_at: f.occurred_at,
                recorded_at: c.recorded_at,
                id: c.id,
            },
            ChronologyItem {
                entry_type: EntryType::Contact,
                id: c.id,
                agency: c.agency,
                occurred_at: f.occurred_at,
                recorded_at: Some(c.recorded_at),
                kind: f.kind.as_str().into(),
                summary: Some(f.summary.clone()),
                concern_level: f.concern_level,
                injury_count: f.injuries.len(),
                amended: c.amended,
                restricted: false,
            },
        ));
    }
    for s in stubs {
        items.push((
            Position {
                occurred_at: s.occurred_at,
                recorded_at: s.recorded_at,
                id: s.id,
            },
            ChronologyItem {
                entry_type: s.entry_type,
                id: s.id,
                agency: s.agency,
                occurred_at: s.occurred_at,
                recorded_at: None,
                kind: s.kind.into(),
                summary: None,
                concern_level: None,
                injury_count: 0,
                amended: false,
                restricted: true,
            },
        ));
    }
    for p in snapshot.people.iter() {
        let household = if p.lives_in_household {
            "lives in the household"
        } else {
            "does not live in the household"
        };
        let verified = if p.identity_verified {
            "identity verified"
        } else {
            "identity not verified"
        };
        items.push((
            Position {
                occurred_at: p.at,
                recorded_at: p.recorded_at,
                id: p.id,
            },
            ChronologyItem {
                entry_type: EntryType::Person,
                id: p.id,
                agency: p.agency,
                occurred_at: p.at,
                recorded_at: Some(p.recorded_at),
                kind: "person".into(),
                summary: Some(format!(
                    "{} ({}): {household}, {verified}",
                    p.name,
                    p.relationship.as_str()
                )),
                concern_level: None,
                injury_count: 0,
                amended: false,
                restricted: false,
            },
        ));
    }
    for c in snapshot.checks.iter() {
        let about = snapshot
            .people
            .iter()
            .find(|p| p.id == c.person_id)
            .map_or("a person", |p| p.name.as_str());
        items.push((
            Position {
                occurred_at: c.at,
                recorded_at: c.recorded_at,
                id: c.id,
            },
            ChronologyItem {
                entry_type: EntryType::Check,
                id: c.id,
                agency: c.agency,
                occurred_at: c.at,
                recorded_at: Some(c.recorded_at),
                kind: "background_check".into(),
                summary: Some(format!(
                    "Check on {about}: {}. {}",
                    c.outcome.as_str(),
                    c.summary
                )),
                concern_level: None,
                injury_count: 0,
                amended: false,
                restricted: false,
            },
        ));
    }
    for p in snapshot.process.iter() {
        let record_type = p.details.record_type();
        items.push((
            Position {
                occurred_at: p.at,
                recorded_at: p.recorded_at,
                id: p.id,
            },
            ChronologyItem {
                entry_type: record_type.into(),
                id: p.id,
                agency: p.agency,
                occurred_at: p.at,
                recorded_at: Some(p.recorded_at),
                kind: record_type.as_str().into(),
                summary: Some(p.details.summary()),
                concern_level: p.details.concern().map(|(level, _)| level),
                injury_count: 0,
                amended: false,
                restricted: false,
            },
        ));
        for e in &p.events {
            items.push((
                Position {
                    occurred_at: e.at,
                    recorded_at: e.recorded_at,
                    id: e.id,
                },
                ChronologyItem {
                    entry_type: EntryType::ProcessEvent,
                    id: e.id,
                    agency: e.agency,
                    occurred_at: e.at,
                    recorded_at: Some(e.recorded_at),
                    kind: format!(
                        "{}_{}",
                        record_type.as_str(),
                        e.details.event_type().as_str()
                    ),
                    summary: Some(e.details.summary()),
                    concern_level: None,
                    injury_count: 0,
                    amended: false,
                    restricted: false,
                },
            ));
        }
    }
    items.sort_by_key(|(position, _)| *position);
    items
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::combined::indicators::testing::*;
    use crate::vocabulary::ContactKind;

    #[test]
    fn entries_of_every_kind_merge_in_time_order() {
        let mut s = snapshot(
            day(99),
            vec![call(Agency::Health, day(2)), call(Agency::Police, day(0))],
        );
        let p = person(
            Agency::SocialCare,
            day(1),
            crate::vocabulary::Relationship::MothersPartner,
            false,
        );
        Arc::make_mut(&mut s.checks).push(check(&p, day(3)));
        Arc::make_mut(&mut s.people).push(p);
        let stub = StubFact {
            id: Uuid::new_v4(),
            agency: Agency::Legal,
            entry_type: EntryType::Contact,
            kind: ContactKind::LegalAdvice.as_str(),
            occurred_at: day(4),
            recorded_at: day(4),
        };
        let items: Vec<_> = chronology(&s, &[stub])
            .into_iter()
            .map(|(_, i)| (i.agency, i.entry_type, i.restricted))
            .collect();
        assert_eq!(
            items,
            vec![
                (Agency::Police, EntryType::Contact, false),
                (Agency::SocialCare, EntryType::Person, false),
                (Agency::Health, EntryType::Contact, false),
                (Agency::Police, EntryType::Check, false),
                (Agency::Legal, EntryType::Contact, true),
            ]
        );
    }

    #[test]
    fn positions_round_trip_as_cursors() {
        use crate::pagination::{decode, encode};
        let p = Position {
            occurred_at: day(1),
            recorded_at: day(2),
            id: Uuid::new_v4(),
        };
        assert_eq!(decode::<Position>(&encode(&p)).unwrap(), p);
        assert!(decode::<Position>("nope").is_err());
    }
}
