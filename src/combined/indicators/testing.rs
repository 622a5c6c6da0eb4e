//! Builders for snapshots in the rules' unit tests.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use uuid::Uuid;

use crate::contacts::types::{ContactFields, Examination, Explanation, Injury};
use crate::record::snapshot::{
    CheckFact, ContactFact, EventFact, PersonFact, ProcessFact, Snapshot, StatusFact,
};
use crate::safeguarding::types::{Details, EventDetails};
use crate::vocabulary::Agency;
use crate::vocabulary::*;

/// Day `n` of the scenario, at noon.
pub fn day(n: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2007, 1, 1, 12, 0, 0).unwrap() + Duration::days(n)
}

pub fn contact(agency: Agency, at: DateTime<Utc>, kind: ContactKind) -> ContactFact {
    ContactFact {
        id: Uuid::new_v4(),
        agency,
        recorded_at: at,
        amended: false,
        fields: ContactFields::new(at, kind, "s"),
    }
}

pub fn call(agency: Agency, at: DateTime<Utc>) -> ContactFact {
    contact(agency, at, ContactKind::PhoneCall)
}

pub fn injured(mut c: ContactFact) -> ContactFact {
    c.fields.injuries.push(Injury {
        body_location: "face".into(),
        injury_type: InjuryType::Bruise,
        description: None,
    });
    c
}

pub fn level(mut c: ContactFact, level: ConcernLevel) -> ContactFact {
    c.fields.concern_level = Some(level);
    c
}

pub fn opinion(mut c: ContactFact, opinion: Opinion) -> ContactFact {
    c.fields.opinion = Some(opinion);
    c
}

pub fn outcome(mut c: ContactFact, outcome: ContactOutcome) -> ContactFact {
    c.fields.outcome = Some(outcome);
    c
}

pub fn explained(mut c: ContactFact, category: ExplanationCategory) -> ContactFact {
    c.fields.explanation = Some(Explanation {
        given_by: "mother".into(),
        category,
        text: None,
    });
    c
}

pub fn examined(mut c: ContactFact, completed: bool) -> ContactFact {
    c.fields.examination = Some(Examination {
        completed,
        reason_incomplete: None,
    });
    c
}

pub fn person(
    agency: Agency,
    at: DateTime<Utc>,
    relationship: Relationship,
    verified: bool,
) -> PersonFact {
    PersonFact {
        id: Uuid::new_v4(),
        agency,
        at,
        recorded_at: at,
        name: "someone".into(),
        relationship,
        lives_in_household: true,
        identity_verified: verified,
    }
}

pub fn check(person: &PersonFact, at: DateTime<Utc>) -> CheckFact {
    CheckFact {
        id: Uuid::new_v4(),
        person_id: person.id,
        agency: Agency::Police,
        at,
        recorded_at: at,
        outcome: CheckOutcome::NoTrace,
        summary: "checked".into(),
    }
}

/// A snapshot at `horizon` of these contacts (sorted as the loader sorts them).
pub fn snapshot(horizon: DateTime<Utc>, mut contacts: Vec<ContactFact>) -> Snapshot {
    contacts.sort_by_key(|c| (c.at(), c.recorded_at));
    Snapshot {
        horizon,
        date_of_birth: None,
        contacts: Arc::new(contacts),
        people: Arc::default(),
        checks: Arc::default(),
        statuses: Arc::default(),
        process: Arc::default(),
    }
}

pub fn with_status(mut s: Snapshot, status: ChildStatus, at: DateTime<Utc>) -> Snapshot {
    Arc::make_mut(&mut s.statuses).push(StatusFact { status, at });
    s
}

pub fn process(agency: Agency, at: DateTime<Utc>, details: Details) -> ProcessFact {
    ProcessFact {
        id: Uuid::new_v4(),
        agency,
        at,
        recorded_at: at,
        details,
        events: Vec::new(),
    }
}

/// A change of a process record's state, by social care unless changed.
pub fn event(at: DateTime<Utc>, details: EventDetails) -> EventFact {
    EventFact {
        id: Uuid::new_v4(),
        agency: Agency::SocialCare,
        at,
        recorded_at: at,
        details,
    }
}

/// A referral to social care, recorded by `agency`.
pub fn referral(agency: Agency, at: DateTime<Utc>, referrer: Referrer) -> ProcessFact {
    process(
        agency,
        at,
        Details::Referral {
            referrer,
            from_agency: (referrer == Referrer::Professional).then_some(agency),
            to_agency: Agency::SocialCare,
            summary: "s".into(),
            concern_level: None,
            concern_categories: Vec::new(),
        },
    )
}

pub fn discussion(at: DateTime<Utc>, outcome: StrategyOutcome) -> ProcessFact {
    process(
        Agency::SocialCare,
        at,
        Details::StrategyDiscussion {
            agencies: vec![Agency::SocialCare, Agency::Police],
            outcome,
            actions: Vec::new(),
            summary: "s".into(),
            referral_id: None,
        },
    )
}

pub fn conference(
    at: DateTime<Utc>,
    conference_type: ConferenceType,
    decision: ConferenceDecision,
) -> ProcessFact {
    process(
        Agency::SocialCare,
        at,
        Details::Conference {
            conference_type,
            agencies: vec![Agency::SocialCare],
            decision,
            category: None,
            summary: "s".into(),
        },
    )
}

/// The snapshot with these process records too, in order.
pub fn with_process(mut s: Snapshot, process: Vec<ProcessFact>) -> Snapshot {
    Arc::make_mut(&mut s.process).extend(process);
    Arc::make_mut(&mut s.process).sort_by_key(|p| (p.at, p.recorded_at));
    s
}
