//! Indicator 11: a health opinion of non-accidental injury, or a contact recording an injury at
//! concern level `high` or above, with no strategy discussion in the 3 working days after it. It
//! holds when the third working day ends.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};
use crate::record::working_days::working_days_after;
use crate::vocabulary::{Agency, ConcernLevel, Opinion};

pub struct NoStrategyDiscussionAfterNai;

fn calls_for_a_discussion(c: &ContactFact) -> bool {
    (c.agency == Agency::Health && c.fields.opinion == Some(Opinion::NonAccidentalInjurySuspected))
        || (c.has_injuries()
            && c.fields
                .concern_level
                .is_some_and(|l| l >= ConcernLevel::High))
}

impl Indicator for NoStrategyDiscussionAfterNai {
    fn code(&self) -> &'static str {
        "no_strategy_discussion_after_nai"
    }
    fn title(&self) -> &'static str {
        "No strategy discussion after a suspected non-accidental injury"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Convene a strategy discussion with police and health now."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let discussions: Vec<_> = s.strategy_discussions().collect();
        let days = config.strategy_discussion_working_days;
        let unanswered: Vec<_> = s
            .contacts
            .iter()
            .filter(|c| calls_for_a_discussion(c))
            .filter_map(|c| {
                let end = working_days_after(c.at(), days);
                let held = discussions.iter().any(|d| *d >= c.at() && *d <= end);
                (!held && end <= s.horizon).then_some((end, c))
            })
            .collect();
        let first = unanswered.iter().map(|(end, _)| *end).min()?;
        Some(Finding {
            first_held_at: first,
            evidence: unanswered
                .iter()
                .filter(|(end, _)| *end == first)
                .map(|(_, c)| contact_evidence(c))
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::record::working_days::end_of;
    use crate::vocabulary::{ContactKind, StrategyOutcome};
    use chrono::{Duration, NaiveDate, TimeZone, Utc};

    fn friday_before_christmas() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2006, 12, 22, 11, 0, 0).unwrap()
    }

    fn nai() -> ContactFact {
        opinion(
            contact(
                Agency::Health,
                friday_before_christmas(),
                ContactKind::HospitalAttendance,
            ),
            Opinion::NonAccidentalInjurySuspected,
        )
    }

    #[test]
    fn holds_at_the_end_of_the_third_working_day_across_christmas() {
        let end = end_of(NaiveDate::from_ymd_opt(2006, 12, 29).unwrap());
        let f = NoStrategyDiscussionAfterNai
            .evaluate(&snapshot(end, vec![nai()]), &RuleConfig::default())
            .unwrap();
        assert_eq!(f.first_held_at, end);
        assert!(
            NoStrategyDiscussionAfterNai
                .evaluate(
                    &snapshot(end - Duration::seconds(1), vec![nai()]),
                    &RuleConfig::default()
                )
                .is_none()
        );
    }

    #[test]
    fn a_discussion_inside_the_window_answers_it_and_one_after_does_not() {
        let end = end_of(NaiveDate::from_ymd_opt(2006, 12, 29).unwrap());
        for (when, holds) in [(end, false), (end + Duration::microseconds(1), true)] {
            let s = with_process(
                snapshot(end + Duration::days(10), vec![nai()]),
                vec![discussion(when, StrategyOutcome::NoEnquiry)],
            );
            assert_eq!(
                NoStrategyDiscussionAfterNai
                    .evaluate(&s, &RuleConfig::default())
                    .is_some(),
                holds
            );
        }
        // A serious injury by any agency calls for one too; a police opinion alone does not.
        let injury = level(
            injured(contact(
                Agency::SocialCare,
                friday_before_christmas(),
                ContactKind::HomeVisit,
            )),
            ConcernLevel::High,
        );
        assert!(
            NoStrategyDiscussionAfterNai
                .evaluate(&snapshot(end, vec![injury]), &RuleConfig::default())
                .is_some()
        );
        let police = opinion(
            call(Agency::Police, friday_before_christmas()),
            Opinion::NonAccidentalInjurySuspected,
        );
        assert!(
            NoStrategyDiscussionAfterNai
                .evaluate(&snapshot(end, vec![police]), &RuleConfig::default())
                .is_none()
        );
    }

    #[test]
    fn health_alone_cannot_see_social_cares_discussion() {
        let end = end_of(NaiveDate::from_ymd_opt(2006, 12, 29).unwrap());
        let s = with_process(
            snapshot(end + Duration::days(10), vec![nai()]),
            vec![discussion(end, StrategyOutcome::NoEnquiry)],
        );
        assert!(
            NoStrategyDiscussionAfterNai
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
        assert!(
            NoStrategyDiscussionAfterNai
                .evaluate(&s.only(Agency::Health), &RuleConfig::default())
                .is_some()
        );
    }
}
