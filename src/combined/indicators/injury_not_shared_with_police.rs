//! Indicator 2: A health or social care contact records an injury with concern `high` or above, or an opinion
//! of non-accidental injury, and no police entry exists in the 7 days after it. It holds once the
//! 7 days have run out.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};
use crate::vocabulary::Agency;
use crate::vocabulary::{ConcernLevel, Opinion};

pub struct InjuryNotSharedWithPolice;

fn serious(c: &ContactFact) -> bool {
    matches!(c.agency, Agency::Health | Agency::SocialCare)
        && ((c.has_injuries()
            && c.fields
                .concern_level
                .is_some_and(|l| l >= ConcernLevel::High))
            || c.fields.opinion == Some(Opinion::NonAccidentalInjurySuspected))
}

impl Indicator for InjuryNotSharedWithPolice {
    fn code(&self) -> &'static str {
        "injury_not_shared_with_police"
    }
    fn title(&self) -> &'static str {
        "Serious injury not shared with police"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Refer the injury to the police child abuse investigation team now."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let window = config.police_notification_window;
        let unshared: Vec<&ContactFact> = s
            .contacts
            .iter()
            .filter(|c| serious(c) && c.at() + window <= s.horizon)
            .filter(|c| {
                !s.contacts.iter().any(|p| {
                    p.agency == Agency::Police && p.at() >= c.at() && p.at() <= c.at() + window
                })
            })
            .collect();
        // The evidence is what made it hold first: the injuries whose week ran out then.
        let first_held_at = unshared.iter().map(|c| c.at() + window).min()?;
        Some(Finding {
            first_held_at,
            evidence: unshared
                .iter()
                .filter(|c| c.at() + window == first_held_at)
                .map(|c| contact_evidence(c))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::ContactKind;

    fn admission() -> ContactFact {
        level(
            injured(contact(Health, day(0), ContactKind::HospitalAdmission)),
            ConcernLevel::High,
        )
    }

    #[test]
    fn holds_seven_days_after_an_unshared_serious_injury() {
        let f = InjuryNotSharedWithPolice
            .evaluate(
                &snapshot(day(30), vec![admission()]),
                &RuleConfig::default(),
            )
            .unwrap();
        assert_eq!(f.first_held_at, day(7));
        let nai = opinion(
            call(SocialCare, day(3)),
            Opinion::NonAccidentalInjurySuspected,
        );
        let f = InjuryNotSharedWithPolice
            .evaluate(&snapshot(day(30), vec![nai]), &RuleConfig::default())
            .unwrap();
        assert_eq!(f.first_held_at, day(10));
    }

    #[test]
    fn a_police_entry_within_seven_days_or_an_unfinished_window_is_a_miss() {
        let cfg = RuleConfig::default();
        let shared = vec![admission(), call(Police, day(7))];
        assert!(
            InjuryNotSharedWithPolice
                .evaluate(&snapshot(day(30), shared), &cfg)
                .is_none()
        );
        let late = vec![admission(), call(Police, day(8))];
        assert!(
            InjuryNotSharedWithPolice
                .evaluate(&snapshot(day(30), late), &cfg)
                .is_some()
        );
        // As of day 6 the seven days have not run out.
        assert!(
            InjuryNotSharedWithPolice
                .evaluate(&snapshot(day(6), vec![admission()]), &cfg)
                .is_none()
        );
        let medium = level(injured(call(Health, day(0))), ConcernLevel::Medium);
        assert!(
            InjuryNotSharedWithPolice
                .evaluate(&snapshot(day(30), vec![medium]), &cfg)
                .is_none()
        );
    }
}
