//! Indicator 14: an injury recorded when the child is under 182 days old (the contact's `occurred_at`
//! less than 182 days after the date of birth), or on a contact that records the child as not
//! independently mobile. Holds at that contact. ("Those who don't cruise rarely bruise.")

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};

pub struct InjuryToNonMobileInfant;

/// Whether the child could not have come by the injury moving about on their own.
fn not_mobile(s: &Snapshot, c: &ContactFact, config: &RuleConfig) -> bool {
    c.fields.independently_mobile == Some(false)
        || s.born_at()
            .is_some_and(|born| c.at() < born + config.non_mobile_age)
}

impl Indicator for InjuryToNonMobileInfant {
    fn code(&self) -> &'static str {
        "injury_to_non_mobile_infant"
    }
    fn title(&self) -> &'static str {
        "An injury to a baby who cannot yet move about"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Treat any bruise on a child who is not independently mobile as possible abuse: refer to \
         social care and police the same day, and arrange a child protection medical."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let c = s
            .contacts
            .iter()
            .find(|c| c.has_injuries() && not_mobile(s, c, config))?;
        Some(Finding {
            first_held_at: c.at(),
            evidence: vec![contact_evidence(c)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use chrono::Duration;

    /// Born at the start of day 0 (2007-01-01).
    fn born(mut s: Snapshot) -> Snapshot {
        s.date_of_birth = Some(day(0).date_naive());
        s
    }

    #[test]
    fn an_injury_before_182_days_holds_at_the_contact() {
        let birth = day(0) - Duration::hours(12);
        let last_moment = birth + Duration::days(182) - Duration::seconds(1);
        let s = born(snapshot(day(400), vec![injured(call(Health, last_moment))]));
        let f = InjuryToNonMobileInfant
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!(f.first_held_at, last_moment);
        assert_eq!(f.evidence.len(), 1);
    }

    #[test]
    fn at_182_days_or_with_no_injury_or_no_birth_date_it_is_quiet() {
        let birth = day(0) - Duration::hours(12);
        let cfg = RuleConfig::default();
        let at_182 = born(snapshot(
            day(400),
            vec![injured(call(Health, birth + Duration::days(182)))],
        ));
        assert!(InjuryToNonMobileInfant.evaluate(&at_182, &cfg).is_none());
        let uninjured = born(snapshot(day(400), vec![call(Health, day(10))]));
        assert!(InjuryToNonMobileInfant.evaluate(&uninjured, &cfg).is_none());
        let unknown_age = snapshot(day(400), vec![injured(call(Health, day(10)))]);
        assert!(
            InjuryToNonMobileInfant
                .evaluate(&unknown_age, &cfg)
                .is_none()
        );
    }

    #[test]
    fn an_older_child_recorded_as_not_mobile_holds_and_mobility_unrecorded_does_not() {
        let cfg = RuleConfig::default();
        let mut immobile = injured(call(Police, day(300)));
        immobile.fields.independently_mobile = Some(false);
        let mut mobile = injured(call(Police, day(250)));
        mobile.fields.independently_mobile = Some(true);
        let s = born(snapshot(day(400), vec![mobile, immobile]));
        assert_eq!(
            InjuryToNonMobileInfant
                .evaluate(&s, &cfg)
                .unwrap()
                .first_held_at,
            day(300)
        );
        // A younger window set by a deployment moves the line.
        let shorter = RuleConfig {
            non_mobile_age: Duration::days(30),
            ..RuleConfig::default()
        };
        let s = born(snapshot(day(400), vec![injured(call(Health, day(40)))]));
        assert!(InjuryToNonMobileInfant.evaluate(&s, &cfg).is_some());
        assert!(InjuryToNonMobileInfant.evaluate(&s, &shorter).is_none());
    }

    #[test]
    fn one_agency_alone_sees_its_own_injury() {
        let s = born(snapshot(day(400), vec![injured(call(Health, day(20)))]));
        let cfg = RuleConfig::default();
        assert!(
            InjuryToNonMobileInfant
                .evaluate(&s.only(Health), &cfg)
                .is_some()
        );
        assert!(
            InjuryToNonMobileInfant
                .evaluate(&s.only(Police), &cfg)
                .is_none()
        );
    }
}
