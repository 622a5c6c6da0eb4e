//! Indicator 5: An opinion of non-accidental injury from health while social care's latest concern level is
//! `medium` or lower, or a legal outcome of no action or insufficient evidence after it. Both sides
//! must be on record.

use chrono::{DateTime, Utc};

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};
use crate::vocabulary::Agency;
use crate::vocabulary::{ConcernLevel, ContactOutcome, Opinion};

pub struct ProfessionalDisagreement;

fn no_action(c: &ContactFact) -> bool {
    c.agency == Agency::Legal
        && matches!(
            c.fields.outcome,
            Some(
                ContactOutcome::NoFurtherAction
                    | ContactOutcome::InsufficientEvidence
                    | ContactOutcome::ThresholdForCareNotMet
            )
        )
}

/// The moment `nai` is contradicted, and by which entry, if it ever is.
fn contradiction<'a>(
    s: &'a Snapshot,
    nai: &ContactFact,
) -> Option<(DateTime<Utc>, &'a ContactFact)> {
    let social_care_levels: Vec<&ContactFact> = s
        .contacts
        .iter()
        .filter(|c| c.agency == Agency::SocialCare && c.fields.concern_level.is_some())
        .collect();
    let low = |c: &ContactFact| {
        c.fields
            .concern_level
            .is_some_and(|l| l <= ConcernLevel::Medium)
    };
    // Social care's level already standing when the opinion was given…
    let standing = social_care_levels
        .iter()
        .rev()
        .find(|c| c.at() <= nai.at())
        .filter(|c| low(c))
        .map(|c| (nai.at(), *c));
    // …or set low afterwards, or a legal decision of no action afterwards.
    let later = s
        .contacts
        .iter()
        .filter(|c| c.at() >= nai.at())
        .find(|c| (c.agency == Agency::SocialCare && low(c)) || no_action(c))
        .map(|c| (c.at(), c));
    standing.into_iter().chain(later).min_by_key(|(at, _)| *at)
}

impl Indicator for ProfessionalDisagreement {
    fn code(&self) -> &'static str {
        "professional_disagreement"
    }
    fn title(&self) -> &'static str {
        "Doctors suspect non-accidental injury; others do not act"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Escalate the disagreement: a case conference with the doctors, social care and legal advisers."
    }

    fn evaluate(&self, s: &Snapshot, _: &RuleConfig) -> Option<Finding> {
        let pairs: Vec<(DateTime<Utc>, &ContactFact, &ContactFact)> = s
            .contacts
            .iter()
            .filter(|c| {
                c.agency == Agency::Health
                    && c.fields.opinion == Some(Opinion::NonAccidentalInjurySuspected)
            })
            .filter_map(|nai| contradiction(s, nai).map(|(at, other)| (at, nai, other)))
            .collect();
        let first_held_at = pairs.iter().map(|(at, _, _)| *at).min()?;
        // The evidence is the disagreement that held first.
        let mut evidence: Vec<_> = pairs
            .iter()
            .filter(|(at, _, _)| *at == first_held_at)
            .flat_map(|(_, a, b)| [contact_evidence(a), contact_evidence(b)])
            .collect();
        evidence.sort_by_key(|e| (e.occurred_at, e.entry_id));
        evidence.dedup();
        Some(Finding {
            first_held_at,
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;

    fn nai(at: DateTime<Utc>) -> ContactFact {
        opinion(call(Health, at), Opinion::NonAccidentalInjurySuspected)
    }

    #[test]
    fn holds_against_a_low_social_care_level_or_a_legal_no_action() {
        let cfg = RuleConfig::default();
        let standing = vec![
            level(call(SocialCare, day(0)), ConcernLevel::Medium),
            nai(day(10)),
        ];
        assert_eq!(
            ProfessionalDisagreement
                .evaluate(&snapshot(day(99), standing), &cfg)
                .unwrap()
                .first_held_at,
            day(10)
        );
        let later = vec![
            nai(day(10)),
            level(call(SocialCare, day(20)), ConcernLevel::Low),
        ];
        assert_eq!(
            ProfessionalDisagreement
                .evaluate(&snapshot(day(99), later), &cfg)
                .unwrap()
                .first_held_at,
            day(20)
        );
        let legal = vec![
            nai(day(10)),
            outcome(call(Legal, day(40)), ContactOutcome::InsufficientEvidence),
        ];
        let f = ProfessionalDisagreement
            .evaluate(&snapshot(day(99), legal), &cfg)
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(40), 2));
    }

    #[test]
    fn agreement_or_one_side_alone_is_a_miss() {
        let cfg = RuleConfig::default();
        assert!(
            ProfessionalDisagreement
                .evaluate(&snapshot(day(99), vec![nai(day(10))]), &cfg)
                .is_none()
        );
        let agrees = vec![
            level(call(SocialCare, day(0)), ConcernLevel::High),
            nai(day(10)),
        ];
        assert!(
            ProfessionalDisagreement
                .evaluate(&snapshot(day(99), agrees), &cfg)
                .is_none()
        );
        let before = vec![
            outcome(call(Legal, day(5)), ContactOutcome::NoFurtherAction),
            nai(day(10)),
        ];
        assert!(
            ProfessionalDisagreement
                .evaluate(&snapshot(day(99), before), &cfg)
                .is_none()
        );
    }
}
