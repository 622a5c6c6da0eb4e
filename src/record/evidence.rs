//! The evidence a rule or a clock cites: an entry of the record, named by id, type, agency, kind and
//! time.

use super::snapshot::{CheckFact, ContactFact, EventFact, PersonFact, ProcessFact};
use crate::combined::types::{EntryType, Evidence};

pub fn contact_evidence(c: &ContactFact) -> Evidence {
    Evidence {
        entry_id: c.id,
        entry_type: EntryType::Contact,
        agency: c.agency,
        kind: c.fields.kind.as_str().to_string(),
        occurred_at: c.at(),
    }
}

pub fn process_evidence(p: &ProcessFact) -> Evidence {
    let record_type = p.details.record_type();
    Evidence {
        entry_id: p.id,
        entry_type: record_type.into(),
        agency: p.agency,
        kind: record_type.as_str().into(),
        occurred_at: p.at,
    }
}

/// A change of `record`'s state.
pub fn event_evidence(record: &ProcessFact, event: &EventFact) -> Evidence {
    Evidence {
        entry_id: event.id,
        entry_type: EntryType::ProcessEvent,
        agency: event.agency,
        kind: format!(
            "{}_{}",
            record.details.record_type().as_str(),
            event.details.event_type().as_str()
        ),
        occurred_at: event.at,
    }
}

pub fn person_evidence(p: &PersonFact) -> Evidence {
    Evidence {
        entry_id: p.id,
        entry_type: EntryType::Person,
        agency: p.agency,
        kind: "person".into(),
        occurred_at: p.at,
    }
}

pub fn check_evidence(c: &CheckFact) -> Evidence {
    Evidence {
        entry_id: c.id,
        entry_type: EntryType::Check,
        agency: c.agency,
        kind: "background_check".into(),
        occurred_at: c.at,
    }
}
