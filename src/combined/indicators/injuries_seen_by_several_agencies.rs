//! Indicator 1: Injuries recorded by two or more agencies (a setting) within 90 days of each other.

use chrono::{DateTime, Utc};

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};
use crate::vocabulary::Agency;

pub struct InjuriesSeenBySeveralAgencies;

impl Indicator for InjuriesSeenBySeveralAgencies {
    fn code(&self) -> &'static str {
        "injuries_seen_by_several_agencies"
    }
    fn title(&self) -> &'static str {
        "Injuries seen by more than one agency"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Hold a multi-agency strategy discussion: put the injuries each agency saw side by side."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let injured: Vec<&ContactFact> = s.contacts.iter().filter(|c| c.has_injuries()).collect();
        let window = config.several_agencies_window;
        // Each agency's injury times, in order (the snapshot is sorted), for binary search.
        let times = |agency: Agency| -> Vec<DateTime<Utc>> {
            injured
                .iter()
                .filter(|c| c.agency == agency)
                .map(|c| c.at())
                .collect()
        };
        let by_agency: Vec<(Agency, Vec<DateTime<Utc>>)> =
            Agency::ALL.iter().map(|a| (*a, times(*a))).collect();
        // How many agencies recorded an injury in the window that ends at `at`.
        let agencies_by = |at: DateTime<Utc>| {
            by_agency
                .iter()
                .filter(|(_, ts)| {
                    let i = ts.partition_point(|t| *t < at - window);
                    ts.get(i).is_some_and(|t| *t <= at)
                })
                .count()
        };
        // It first holds when the last agency needed records an injury; what made it hold are
        // the injuries of the window that ends there (not every injury since, which only grows).
        let minimum = config.several_agencies_minimum;
        let first = injured.iter().find(|c| agencies_by(c.at()) >= minimum)?;
        let held = first.at();
        Some(Finding {
            first_held_at: held,
            evidence: injured
                .iter()
                .filter(|c| c.at() >= held - window && c.at() <= held)
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

    #[test]
    fn the_evidence_is_the_window_in_which_it_first_held() {
        let before = injured(call(Police, day(-200)));
        let a = injured(call(Health, day(0)));
        let b = injured(call(SocialCare, day(30)));
        let later: Vec<_> = (1..20)
            .map(|n| injured(call(if n % 2 == 0 { Health } else { Police }, day(100 + n))))
            .collect();
        let mut contacts = vec![before, a.clone(), b.clone()];
        contacts.extend(later);
        let f = InjuriesSeenBySeveralAgencies
            .evaluate(&snapshot(day(400), contacts), &RuleConfig::default())
            .unwrap();
        assert_eq!(f.first_held_at, day(30));
        let ids: Vec<_> = f.evidence.iter().map(|e| e.entry_id).collect();
        assert_eq!(ids, vec![a.id, b.id], "only the injuries that made it hold");
    }

    #[test]
    fn holds_when_two_agencies_record_injuries_within_90_days() {
        let a = injured(call(Health, day(0)));
        let b = injured(call(SocialCare, day(90)));
        let f = InjuriesSeenBySeveralAgencies
            .evaluate(
                &snapshot(day(200), vec![a.clone(), b.clone()]),
                &RuleConfig::default(),
            )
            .unwrap();
        assert_eq!(f.first_held_at, day(90));
        assert_eq!(
            f.evidence.iter().map(|e| e.entry_id).collect::<Vec<_>>(),
            vec![a.id, b.id]
        );
    }

    #[test]
    fn a_day_outside_the_window_or_one_agency_is_a_miss() {
        let cfg = RuleConfig::default();
        let far = vec![
            injured(call(Health, day(0))),
            injured(call(SocialCare, day(91))),
        ];
        assert!(
            InjuriesSeenBySeveralAgencies
                .evaluate(&snapshot(day(200), far), &cfg)
                .is_none()
        );
        let one_agency = vec![
            injured(call(Health, day(0))),
            injured(call(Health, day(10))),
        ];
        assert!(
            InjuriesSeenBySeveralAgencies
                .evaluate(&snapshot(day(200), one_agency), &cfg)
                .is_none()
        );
        let no_injury = vec![injured(call(Health, day(0))), call(Police, day(10))];
        assert!(
            InjuriesSeenBySeveralAgencies
                .evaluate(&snapshot(day(200), no_injury), &cfg)
                .is_none()
        );
    }

    #[test]
    fn with_three_agencies_required_it_holds_at_the_third_within_the_window() {
        let cfg = RuleConfig {
            several_agencies_minimum: 3,
            ..RuleConfig::default()
        };
        let a = injured(call(Health, day(0)));
        let b = injured(call(SocialCare, day(30)));
        let c = injured(call(Police, day(90)));
        let f = InjuriesSeenBySeveralAgencies
            .evaluate(
                &snapshot(day(200), vec![a.clone(), b.clone(), c.clone()]),
                &cfg,
            )
            .unwrap();
        assert_eq!(f.first_held_at, day(90));
        assert_eq!(f.evidence.len(), 3);
        // The third a day outside the first's window: two agencies at a time, never three.
        let late = injured(call(Police, day(91)));
        assert!(
            InjuriesSeenBySeveralAgencies
                .evaluate(&snapshot(day(200), vec![a, b, late]), &cfg)
                .is_none()
        );
    }
}
