//! Indicator 19: two or more referrals from lay referrers (`family`, `friend`, `public`, `anonymous`,
//! `child`) within 180 days, each decided `no_further_action` or `early_help` with no strategy
//! discussion. Holds at the second decision.

use super::repeat_referrals_closed::{decision, referral_evidence, referrals};
use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ProcessFact, Snapshot};
use crate::safeguarding::types::Details;
use crate::vocabulary::{ReferralDecision, Referrer};

pub struct LayConcernsDiscounted;

/// A referral from someone who is not a professional, decided without a strategy discussion's
/// threshold: no further action, or early help.
fn lay_and_discounted(r: &ProcessFact) -> bool {
    let lay = matches!(&r.details, Details::Referral { referrer, .. } if *referrer != Referrer::Professional);
    lay && decision(r).is_some_and(|(d, _)| {
        matches!(
            d,
            ReferralDecision::NoFurtherAction | ReferralDecision::EarlyHelp
        )
    })
}

impl Indicator for LayConcernsDiscounted {
    fn code(&self) -> &'static str {
        "lay_concerns_discounted"
    }
    fn title(&self) -> &'static str {
        "Concerns from family and neighbours discounted"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn recommended_action(&self) -> &'static str {
        "Speak to the people who raised the concerns, weigh them with what the agencies hold, and \
         have a manager decide whether a strategy discussion is needed."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let discounted: Vec<&ProcessFact> = referrals(s)
            .into_iter()
            .filter(|r| lay_and_discounted(r))
            .collect();
        let discussions: Vec<_> = s.strategy_discussions().collect();
        discounted
            .windows(config.lay_referrals_minimum.max(1))
            .filter_map(|group| {
                let first = group[0];
                let last = group[group.len() - 1];
                let decided = group
                    .iter()
                    .filter_map(|r| decision(r).map(|(_, e)| e.at))
                    .max()?;
                let discussed = discussions
                    .iter()
                    .any(|&at| first.at <= at && at <= decided);
                (last.at - first.at <= config.lay_referrals_window && !discussed).then(|| Finding {
                    first_held_at: decided,
                    evidence: referral_evidence(group),
                })
            })
            .min_by_key(|f| f.first_held_at)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::safeguarding::types::EventDetails;
    use crate::users::Agency::*;
    use crate::vocabulary::StrategyOutcome;
    use chrono::{DateTime, Duration, Utc};

    fn lay(at: DateTime<Utc>, who: Referrer, how: ReferralDecision) -> ProcessFact {
        let mut r = referral(SocialCare, at, who);
        r.events.push(event(
            at + Duration::days(2),
            EventDetails::Decided {
                decision: how,
                reason: "r".into(),
            },
        ));
        r
    }

    #[test]
    fn two_lay_referrals_discounted_within_180_days_hold_at_the_second_decision() {
        let s = with_process(
            snapshot(day(500), vec![]),
            vec![
                lay(day(0), Referrer::Family, ReferralDecision::NoFurtherAction),
                lay(day(180), Referrer::Public, ReferralDecision::EarlyHelp),
            ],
        );
        let f = LayConcernsDiscounted
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(182), 4));
        // Social care logs and decides both: it sees this alone; police does not.
        assert!(
            LayConcernsDiscounted
                .evaluate(&s.only(SocialCare), &RuleConfig::default())
                .is_some()
        );
        assert!(
            LayConcernsDiscounted
                .evaluate(&s.only(Police), &RuleConfig::default())
                .is_none()
        );
    }

    #[test]
    fn too_far_apart_professional_acted_on_or_discussed_is_quiet() {
        let cfg = RuleConfig::default();
        let quiet = |process: Vec<ProcessFact>| {
            LayConcernsDiscounted
                .evaluate(&with_process(snapshot(day(900), vec![]), process), &cfg)
                .is_none()
        };
        let first = || {
            lay(
                day(0),
                Referrer::Anonymous,
                ReferralDecision::NoFurtherAction,
            )
        };
        assert!(quiet(vec![
            first(),
            lay(
                day(180) + Duration::seconds(1),
                Referrer::Friend,
                ReferralDecision::NoFurtherAction
            )
        ]));
        assert!(quiet(vec![
            first(),
            lay(
                day(50),
                Referrer::Professional,
                ReferralDecision::NoFurtherAction
            )
        ]));
        assert!(quiet(vec![
            first(),
            lay(
                day(50),
                Referrer::Child,
                ReferralDecision::ChildInNeedAssessment
            )
        ]));
        assert!(quiet(vec![
            first(),
            discussion(day(30), StrategyOutcome::NoEnquiry),
            lay(day(50), Referrer::Child, ReferralDecision::NoFurtherAction)
        ]));
        // Undecided by the horizon: not yet discounted.
        let undecided = referral(SocialCare, day(50), Referrer::Family);
        assert!(quiet(vec![first(), undecided]));
    }
}
