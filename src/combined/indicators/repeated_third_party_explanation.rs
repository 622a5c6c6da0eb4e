//! Indicator 4: Two or more injuries explained as caused by another child.

use super::{Finding, Indicator, RuleConfig, contact_evidence};
use crate::combined::snapshot::Snapshot;
use crate::combined::types::Severity;
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

    fn evaluate(&self, s: &Snapshot, _: &RuleConfig) -> Option<Finding> {
        let explained: Vec<_> = s
            .contacts
            .iter()
            .filter(|c| c.explained_by(ExplanationCategory::AnotherChild))
            .collect();
        // The evidence is the first two: what made it hold.
        Some(Finding {
            first_held_at: explained.get(1)?.at(),
            evidence: explained
                .iter()
                .take(2)
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
}
