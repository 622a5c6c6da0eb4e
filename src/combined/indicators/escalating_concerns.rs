//! Indicator 8: At some moment, the 30 days before it hold more concern-bearing entries than the 30 days
//! before those, and at least three.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};

pub struct EscalatingConcerns;

impl Indicator for EscalatingConcerns {
    fn code(&self) -> &'static str {
        "escalating_concerns"
    }
    fn title(&self) -> &'static str {
        "Concerns are escalating"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn recommended_action(&self) -> &'static str {
        "Review the case across agencies: consider a strategy discussion and a child protection conference."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let w = config.escalation_window;
        let bearing: Vec<&ContactFact> =
            s.contacts.iter().filter(|c| c.concern_bearing()).collect();
        // The count can only rise at an entry, so those are the moments to look at (the last of
        // entries sharing one moment, so that all of them count).
        for (i, c) in bearing.iter().enumerate() {
            let moment = c.at();
            if bearing.get(i + 1).is_some_and(|n| n.at() == moment) {
                continue;
            }
            let recent_start = bearing.partition_point(|c| c.at() < moment - w);
            let previous_start = bearing.partition_point(|c| c.at() < moment - w - w);
            let recent = i + 1 - recent_start;
            let previous = recent_start - previous_start;
            if recent >= config.escalation_minimum && recent > previous {
                // What made it hold: the entries of both windows, compared.
                let evidence = bearing[previous_start..=i]
                    .iter()
                    .map(|c| contact_evidence(c))
                    .collect();
                return Some(Finding {
                    first_held_at: moment,
                    evidence,
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::ConcernLevel;

    fn concern(d: i64) -> ContactFact {
        level(call(Health, day(d)), ConcernLevel::Low)
    }

    #[test]
    fn holds_at_the_third_concern_within_thirty_days() {
        let s = snapshot(day(99), vec![concern(0), concern(10), concern(30)]);
        let f = EscalatingConcerns
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(30), 3));
    }

    #[test]
    fn the_evidence_is_the_two_windows_compared_when_it_first_held() {
        let s = snapshot(
            day(400),
            vec![
                concern(-100),
                concern(0),
                concern(35),
                concern(40),
                concern(45),
                concern(300),
            ],
        );
        let f = EscalatingConcerns
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        // At day 45: 35, 40 and 45 in the last 30 days against day 0 in the 30 before; neither
        // day -100 nor day 300 is part of it.
        assert_eq!((f.first_held_at, f.evidence.len()), (day(45), 4));
    }

    #[test]
    fn spread_out_or_no_more_than_before_is_a_miss() {
        let cfg = RuleConfig::default();
        // Three concerns, but never three within 30 days.
        assert!(
            EscalatingConcerns
                .evaluate(
                    &snapshot(day(99), vec![concern(0), concern(10), concern(31)]),
                    &cfg
                )
                .is_none()
        );
        // Three then three: the second three are no more than the first.
        let steady = vec![
            concern(0),
            concern(1),
            concern(2),
            concern(31),
            concern(32),
            concern(33),
        ];
        let f = EscalatingConcerns
            .evaluate(&snapshot(day(99), steady), &cfg)
            .unwrap();
        assert_eq!(
            f.first_held_at,
            day(2),
            "the first three already escalate from nothing"
        );
        let calm = vec![
            call(Health, day(0)),
            call(Health, day(1)),
            level(call(Health, day(2)), ConcernLevel::None),
        ];
        assert!(
            EscalatingConcerns
                .evaluate(&snapshot(day(99), calm), &cfg)
                .is_none()
        );
    }
}
