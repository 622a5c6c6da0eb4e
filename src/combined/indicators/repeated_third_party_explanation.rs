//! Indicator 4: Two or more injuries explained as caused by another child.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::Snapshot;
use crate::vocabulary::ExplanationCategory;

pub struct RepeatedThirdPartyExplanation;

impl Indicator for RepeatedThirdPartyExplanation {
    fn code(&self) -> &'static str {
        "repeated_third_party_explanation"
    }
    fn title(&self) -> &'static str {
        "The same \"another child did it\" explanation, again"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Test the explanation: identify the other child and check the account against the injuries."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let explained: Vec<_> = s
            .contacts
            .iter()
            .filter(|c| c.explained_by(ExplanationCategory::AnotherChild))
            .collect();
        // The evidence is the first few: what made it hold.
        let minimum = config.third_party_explanations_minimum;
        Some(Finding {
            first_held_at: explained.get(minimum.checked_sub(1)?)?.at(),
            evidence: explained
                .iter()
                .take(minimum)
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
    fn holds_at_the_second_another_child_explanation() {
        let a = explained(
            injured(call(Health, day(0))),
            ExplanationCategory::AnotherChild,
        );
        let b = explained(
            injured(call(Police, day(150))),
            ExplanationCategory::AnotherChild,
        );
        let f = RepeatedThirdPartyExplanation
            .evaluate(&snapshot(day(200), vec![a, b]), &RuleConfig::default())
            .unwrap();
        assert_eq!(f.first_held_at, day(150));
        assert_eq!(f.evidence.len(), 2);
    }

    #[test]
    fn one_such_explanation_or_other_explanations_are_a_miss() {
        let a = explained(
            injured(call(Health, day(0))),
            ExplanationCategory::AnotherChild,
        );
        let b = explained(injured(call(Health, day(5))), ExplanationCategory::Accident);
        assert!(
            RepeatedThirdPartyExplanation
                .evaluate(&snapshot(day(200), vec![a, b]), &RuleConfig::default())
                .is_none()
        );
    }

    #[test]
    fn a_changed_minimum_waits_for_that_many_explanations() {
        let cfg = RuleConfig {
            third_party_explanations_minimum: 3,
            ..RuleConfig::default()
        };
        let mut contacts: Vec<_> = [0, 100, 300]
            .into_iter()
            .map(|d| {
                explained(
                    injured(call(Health, day(d))),
                    ExplanationCategory::AnotherChild,
                )
            })
            .collect();
        let f = RepeatedThirdPartyExplanation
            .evaluate(&snapshot(day(400), contacts.clone()), &cfg)
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(300), 3));
        contacts.pop();
        assert!(
            RepeatedThirdPartyExplanation
                .evaluate(&snapshot(day(400), contacts), &cfg)
                .is_none()
        );
    }
}
