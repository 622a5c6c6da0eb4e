//! A trainer can read why: each indicator's explanation, one paragraph of plain English built from
//! its evidence as the reader sees it ("On 2007-06-04 health recorded a hospital attendance with an
//! injury (bruise to the face) …; by then social care's latest concern level was medium."). No free
//! text of an entry is repeated: only what the record says in its own fixed words.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::rule::Finding;
use crate::per_agency::AgencyFlags;
use crate::record::snapshot::{ContactFact, Snapshot};
use crate::safeguarding::types::{Details, EventDetails};
use crate::vocabulary::{Agency, Attendance, ExplanationCategory, Relationship};

fn words(s: &str) -> String {
    s.replace('_', " ")
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// "a home visit", "an arrest".
fn a(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// "the mother's partner", "a lodger": a person by their relationship to the child.
fn relationship(r: Relationship) -> String {
    match r {
        Relationship::Mother => "the mother".into(),
        Relationship::Father => "the father".into(),
        Relationship::MothersPartner => "the mother's partner".into(),
        Relationship::FathersPartner => "the father's partner".into(),
        other => a(&words(other.as_str())),
    }
}

/// What a contact recorded, in the record's own fixed words.
fn describe_contact(c: &ContactFact) -> String {
    let f = &c.fields;
    let mut what = a(&words(f.kind.as_str()));
    let injuries: Vec<String> = f
        .injuries
        .iter()
        .map(|i| {
            format!(
                "{} to the {}",
                words(i.injury_type.as_str()),
                i.body_location
            )
        })
        .collect();
    if !injuries.is_empty() {
        let noun = if injuries.len() == 1 {
            "an injury"
        } else {
            "injuries"
        };
        what += &format!(" with {noun} ({})", injuries.join(", "));
    }
    let mut notes = Vec::new();
    match f.announced {
        Some(true) => notes.push("announced".to_string()),
        Some(false) => notes.push("unannounced".to_string()),
        None => {}
    }
    match f.attendance {
        Some(Attendance::WasNotBrought) => notes.push("the child was not brought".into()),
        Some(Attendance::CancelledByCarer) => notes.push("the carer cancelled".into()),
        Some(Attendance::NoAccess) => notes.push("no one let the visitor in".into()),
        Some(Attendance::Attended) | None => {}
    }
    match f.child_seen {
        Some(true) => notes.push("the child was seen".into()),
        Some(false) => notes.push("the child was not seen".into()),
        None => {}
    }
    if f.appearance_obscured == Some(true) {
        notes.push("the child's appearance was obscured".into());
    }
    if f.child_spoken_to_alone == Some(false) {
        notes.push("the child was not spoken to alone".into());
    }
    if f.independently_mobile == Some(false) {
        notes.push("the child was not yet independently mobile".into());
    }
    if let Some(e) = &f.explanation {
        notes.push(
            match e.category {
                ExplanationCategory::Accident => "the injury was explained as an accident",
                ExplanationCategory::SelfInflicted => "the injury was explained as self-inflicted",
                ExplanationCategory::AnotherChild => {
                    "the injury was explained as caused by another child"
                }
                ExplanationCategory::Adult => "the injury was explained as caused by an adult",
                ExplanationCategory::NoneGiven => "no explanation was given for the injury",
            }
            .into(),
        );
    }
    if let Some(o) = f.opinion {
        notes.push(format!("opinion: {}", words(o.as_str())));
    }
    if let Some(e) = &f.examination
        && !e.completed
    {
        notes.push("the examination was not completed".into());
    }
    if let Some(p) = f.plan_compliance {
        notes.push(format!("the plan was {}", words(p.as_str())));
    }
    if let Some(l) = f.concern_level {
        notes.push(format!("concern level {}", l.as_str()));
    }
    if !notes.is_empty() {
        what += &format!(": {}", notes.join("; "));
    }
    what
}

fn process(details: &Details) -> String {
    match details {
        Details::Referral {
            referrer,
            to_agency,
            ..
        } => format!(
            "a referral to {} (referrer: {})",
            to_agency.label(),
            words(referrer.as_str())
        ),
        Details::Challenge {
            challenged_agency,
            entry_kind,
            level,
            ..
        } => format!(
            "a challenge to {}'s {} at level {level}",
            challenged_agency.label(),
            words(entry_kind)
        ),
        other => a(&words(other.record_type().as_str())),
    }
}

fn event(details: &EventDetails) -> String {
    match details {
        EventDetails::Acknowledged {} => "the acknowledgement of a referral".into(),
        EventDetails::Decided { decision, .. } => {
            format!("a referral decision: {}", words(decision.as_str()))
        }
        EventDetails::Concluded { conclusion, .. } => {
            format!(
                "a section 47 enquiry's conclusion: {}",
                words(conclusion.as_str())
            )
        }
        EventDetails::Completed { outcome, .. } => {
            format!("an assessment's completion: {}", words(outcome.as_str()))
        }
        EventDetails::Marked { status, .. } => {
            format!("a plan action marked {}", words(status.as_str()))
        }
        EventDetails::Responded { response, .. } => {
            format!("an answer to a challenge: {}", words(response.as_str()))
        }
    }
}

/// The paragraph for `finding` of the indicator titled `title`, over `s` as the reader sees it.
pub fn explain(s: &Snapshot, title: &str, finding: &Finding, visible: &AgencyFlags) -> String {
    let wanted: HashSet<Uuid> = finding.evidence.iter().map(|e| e.entry_id).collect();
    let mut found: HashMap<Uuid, String> = HashMap::new();
    for c in s.contacts.iter().filter(|c| wanted.contains(&c.id)) {
        found.insert(c.id, describe_contact(c));
    }
    for p in s.process.iter() {
        if wanted.contains(&p.id) {
            found.insert(p.id, process(&p.details));
        }
        for e in p.events.iter().filter(|e| wanted.contains(&e.id)) {
            found.insert(e.id, event(&e.details));
        }
    }
    for p in s.people.iter().filter(|p| wanted.contains(&p.id)) {
        let verified = if p.identity_verified {
            "identity verified"
        } else {
            "identity not verified"
        };
        let home = if p.lives_in_household {
            "living in the household"
        } else {
            "not living in the household"
        };
        found.insert(
            p.id,
            format!("{} ({home}, {verified})", relationship(p.relationship)),
        );
    }
    for c in s.checks.iter().filter(|c| wanted.contains(&c.id)) {
        found.insert(
            c.id,
            format!("a background check: {}", words(c.outcome.as_str())),
        );
    }
    let mut text = format!("{title}.");
    for e in &finding.evidence {
        let what = found
            .get(&e.entry_id)
            .cloned()
            .unwrap_or_else(|| a(&words(&e.kind)));
        text += &format!(
            " On {} {} recorded {what}.",
            date(e.occurred_at),
            e.agency.label()
        );
    }
    // Each agency's latest concern level by then, as the reader sees the record.
    let levels: Vec<String> = Agency::ALL
        .iter()
        .filter_map(|agency| {
            s.contacts
                .iter()
                .filter(|c| c.agency == *agency && c.at() <= finding.first_held_at)
                .filter_map(|c| c.fields.concern_level)
                .next_back()
                .map(|l| {
                    format!(
                        "{}'s latest concern level was {}",
                        agency.label(),
                        l.as_str()
                    )
                })
        })
        .collect();
    if !levels.is_empty() {
        text += &format!(" By then {}.", levels.join("; "));
    }
    text += &format!(" It first held on {}", date(finding.first_held_at));
    let alone: Vec<&str> = Agency::ALL
        .iter()
        .filter(|a| visible.get(**a))
        .map(|a| a.label())
        .collect();
    text += &if alone.is_empty() {
        ", and no single agency's own entries showed it: only the combined record did.".to_string()
    } else {
        format!(
            "; {} could have seen it from its own entries alone.",
            alone.join(" and ")
        )
    };
    text
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::record::evidence::contact_evidence;
    use crate::vocabulary::{ConcernLevel, ContactKind};

    #[test]
    fn the_paragraph_names_each_entry_the_levels_by_then_and_who_could_see_it() {
        let mut hidden = contact(Agency::Health, day(3), ContactKind::ClinicAppointment);
        hidden.fields.attendance = Some(Attendance::WasNotBrought);
        let mut bruise = level(
            injured(contact(Agency::SocialCare, day(5), ContactKind::HomeVisit)),
            ConcernLevel::Medium,
        );
        bruise.fields.summary = "Mother says he fell off the sofa".into();
        let later = level(call(Agency::Police, day(9)), ConcernLevel::High);
        let s = snapshot(day(20), vec![hidden.clone(), bruise.clone(), later]);
        let finding = Finding {
            first_held_at: day(5),
            evidence: vec![contact_evidence(&hidden), contact_evidence(&bruise)],
        };
        let text = explain(&s, "A title", &finding, &AgencyFlags::default());
        assert_eq!(
            text,
            "A title. On 2007-01-04 health recorded a clinic appointment: the child was not brought. \
             On 2007-01-06 social care recorded a home visit with an injury (bruise to the face): \
             concern level medium. By then social care's latest concern level was medium. It first \
             held on 2007-01-06, and no single agency's own entries showed it: only the combined \
             record did."
        );
        let mut health = AgencyFlags::default();
        health.set(Agency::Health, true);
        assert!(
            explain(&s, "T", &finding, &health)
                .ends_with("; health could have seen it from its own entries alone.")
        );
        // The free text of an entry is never repeated.
        assert!(!text.contains("sofa"));
    }
}
