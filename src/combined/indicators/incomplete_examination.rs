//! Indicator 6: A health examination not completed, with no completed one in the 14 days after. It holds once
//! the 14 days have run out.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};
use crate::vocabulary::Agency;

pub struct IncompleteExamination;

fn has_examination(c: &ContactFact, completed: bool) -> bool {
    c.agency == Agency::Health
        && c.fields
            .examination
            .as_ref()
            .is_some_and(|e| e.completed == completed)
}

impl Indicator for IncompleteExamination {
    fn code(&self) -> &'static str {
        "incomplete_examination"
    }
    fn title(&self) -> &'static str {
        "Examination left incomplete"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn recommended_action(&self) -> &'static str {
        "Arrange a full examination (a child protection medical) without delay."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let window = config.examination_follow_up_window;
        let open: Vec<&ContactFact> = s
            .contacts
            .iter()
            .filter(|c| has_examination(c, false) && c.at() + window <= s.horizon)
            .filter(|c| {
                !s.contacts.iter().any(|d| {
                    has_examination(d, true) && d.at() > c.at() && d.at() <= c.at() + window
                })
            })
            .collect();
        // The evidence is the examination whose fortnight ran out first.
        let first_held_at = open.iter().map(|c| c.at() + window).min()?;
        Some(Finding {
            first_held_at,
            evidence: open
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

    #[test]
    fn holds_fourteen_days_after_an_incomplete_examination() {
        let s = snapshot(day(30), vec![examined(call(Health, day(1)), false)]);
        assert_eq!(
            IncompleteExamination
                .evaluate(&s, &RuleConfig::default())
                .unwrap()
                .first_held_at,
            day(15)
        );
    }

    #[test]
    fn a_completed_follow_up_or_an_unfinished_window_is_a_miss() {
        let cfg = RuleConfig::default();
        let followed = vec![
            examined(call(Health, day(1)), false),
            examined(call(Health, day(15)), true),
        ];
        assert!(
            IncompleteExamination
                .evaluate(&snapshot(day(30), followed), &cfg)
                .is_none()
        );
        let too_late = vec![
            examined(call(Health, day(1)), false),
            examined(call(Health, day(16)), true),
        ];
        assert!(
            IncompleteExamination
                .evaluate(&snapshot(day(30), too_late), &cfg)
                .is_some()
        );
        assert!(
            IncompleteExamination
                .evaluate(
                    &snapshot(day(14), vec![examined(call(Health, day(1)), false)]),
                    &cfg
                )
                .is_none()
        );
        assert!(
            IncompleteExamination
                .evaluate(
                    &snapshot(day(30), vec![examined(call(SocialCare, day(1)), false)]),
                    &cfg
                )
                .is_none()
        );
    }
}
