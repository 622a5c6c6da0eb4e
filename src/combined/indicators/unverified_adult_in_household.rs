//! Indicator 3: An adult who lives in the household has no verified identity or no background check on record.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::{check_evidence, person_evidence};
use crate::record::settings::RuleConfig;
use crate::record::snapshot::Snapshot;

pub struct UnverifiedAdultInHousehold;

impl Indicator for UnverifiedAdultInHousehold {
    fn code(&self) -> &'static str {
        "unverified_adult_in_household"
    }
    fn title(&self) -> &'static str {
        "Unverified adult living in the household"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Identify the adult, verify their identity, and ask police for a background check."
    }

    fn evaluate(&self, s: &Snapshot, _: &RuleConfig) -> Option<Finding> {
        // Held from the moment the person is on record unverified or unchecked.
        let unverified: Vec<_> = s
            .people
            .iter()
            .filter(|p| p.lives_in_household && p.is_adult())
            .filter(|p| {
                !p.identity_verified
                    || !s.checks.iter().any(|c| c.person_id == p.id && c.at <= p.at)
            })
            .collect();
        let first_held_at = unverified.iter().map(|p| p.at).min()?;
        let mut evidence: Vec<_> = unverified.iter().map(|p| person_evidence(p)).collect();
        evidence.extend(
            s.checks
                .iter()
                .filter(|c| unverified.iter().any(|p| p.id == c.person_id))
                .map(check_evidence),
        );
        Some(Finding {
            first_held_at,
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use std::sync::Arc;

    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::Relationship;

    #[test]
    fn holds_from_when_an_unverified_or_unchecked_adult_is_recorded() {
        let mut s = snapshot(day(100), vec![]);
        Arc::make_mut(&mut s.people).push(person(
            SocialCare,
            day(5),
            Relationship::MothersPartner,
            false,
        ));
        let f = UnverifiedAdultInHousehold
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!(f.first_held_at, day(5));
        // Verified but not yet checked when recorded: still held then, even if checked later.
        let mut s = snapshot(day(100), vec![]);
        let verified = person(Health, day(8), Relationship::Lodger, true);
        Arc::make_mut(&mut s.checks).push(check(&verified, day(20)));
        Arc::make_mut(&mut s.people).push(verified);
        assert_eq!(
            UnverifiedAdultInHousehold
                .evaluate(&s, &RuleConfig::default())
                .unwrap()
                .first_held_at,
            day(8)
        );
    }

    #[test]
    fn verified_and_checked_adults_and_children_are_a_miss() {
        let mut s = snapshot(day(100), vec![]);
        let adult = person(SocialCare, day(5), Relationship::MothersPartner, true);
        Arc::make_mut(&mut s.checks).push(check(&adult, day(5)));
        Arc::make_mut(&mut s.people).push(adult);
        Arc::make_mut(&mut s.people).push(person(SocialCare, day(5), Relationship::Sibling, false));
        let mut away = person(SocialCare, day(5), Relationship::Father, false);
        away.lives_in_household = false;
        Arc::make_mut(&mut s.people).push(away);
        assert!(
            UnverifiedAdultInHousehold
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
    }
}
