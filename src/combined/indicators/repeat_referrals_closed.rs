//! Indicator 18 ("start again"): three or more referrals within 365 days, each earlier one decided
//! `no_further_action` before the next one arrived, with no strategy discussion between them. Holds at
//! the third's arrival.

use super::rule::{Finding, Indicator};
use crate::combined::types::{Evidence, Severity};
use crate::record::evidence::{event_evidence, process_evidence};
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{EventFact, ProcessFact, Snapshot};
use crate::safeguarding::types::{Details, EventDetails};
use crate::vocabulary::ReferralDecision;

pub struct RepeatReferralsClosed;

/// The referrals on the record, in the order they arrived.
pub(super) fn referrals(s: &Snapshot) -> Vec<&ProcessFact> {
    s.process
        .iter()
        .filter(|p| matches!(p.details, Details::Referral { .. }))
        .collect()
}

/// A referral's decision, and the event that recorded it, if one was made by the snapshot's horizon.
pub(super) fn decision(referral: &ProcessFact) -> Option<(ReferralDecision, &EventFact)> {
    referral.events.iter().find_map(|e| match e.details {
        EventDetails::Decided { decision, .. } => Some((decision, e)),
        _ => None,
    })
}

/// The referrals and their decisions, as evidence in time order.
pub(super) fn referral_evidence(group: &[&ProcessFact]) -> Vec<Evidence> {
    let mut evidence: Vec<Evidence> = group
        .iter()
        .flat_map(|r| {
            std::iter::once(process_evidence(r))
                .chain(decision(r).map(|(_, e)| event_evidence(r, e)))
        })
        .collect();
    evidence.sort_by_key(|e| (e.occurred_at, e.entry_id));
    evidence
}

impl Indicator for RepeatReferralsClosed {
    fn code(&self) -> &'static str {
        "repeat_referrals_closed"
    }
    fn title(&self) -> &'static str {
        "Referral after referral closed, each as if it were the first"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Read the referrals together, not one at a time: hold a strategy discussion on the whole \
         history, and have a manager review why each was closed."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let referrals = referrals(s);
        let n = config.repeat_referrals_minimum.max(2);
        let discussions: Vec<_> = s.strategy_discussions().collect();
        referrals.windows(n).find_map(|group| {
            let (first, last) = (group[0], group[n - 1]);
            let closed_in_turn = group.windows(2).all(|pair| {
                decision(pair[0]).is_some_and(|(d, e)| {
                    d == ReferralDecision::NoFurtherAction && e.at < pair[1].at
                })
            });
            let discussed = discussions
                .iter()
                .any(|&at| first.at <= at && at <= last.at);
            (last.at - first.at <= config.repeat_referrals_window && closed_in_turn && !discussed)
                .then(|| Finding {
                    first_held_at: last.at,
                    evidence: referral_evidence(group),
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::{Referrer, StrategyOutcome};
    use chrono::{DateTime, Duration, Utc};

    fn closed(at: DateTime<Utc>, after: Duration, how: ReferralDecision) -> ProcessFact {
        let mut r = referral(Health, at, Referrer::Professional);
        r.events.push(event(
            at + after,
            EventDetails::Decided {
                decision: how,
                reason: "r".into(),
            },
        ));
        r
    }

    fn nfa(at: DateTime<Utc>) -> ProcessFact {
        closed(at, Duration::days(1), ReferralDecision::NoFurtherAction)
    }

    #[test]
    fn three_closed_in_turn_within_a_year_hold_at_the_third_arrival() {
        let third = referral(Police, day(365), Referrer::Professional);
        let s = with_process(
            snapshot(day(500), vec![]),
            vec![nfa(day(0)), nfa(day(100)), third],
        );
        let f = RepeatReferralsClosed
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(365), 5));
        // Social care decides them all, but health and police made them: no one agency holds all.
        for agency in [Health, Police, SocialCare] {
            assert!(
                RepeatReferralsClosed
                    .evaluate(&s.only(agency), &RuleConfig::default())
                    .is_none()
            );
        }
    }

    #[test]
    fn too_far_apart_decided_late_otherwise_or_discussed_is_quiet() {
        let cfg = RuleConfig::default();
        let quiet = |process: Vec<ProcessFact>| {
            RepeatReferralsClosed
                .evaluate(&with_process(snapshot(day(900), vec![]), process), &cfg)
                .is_none()
        };
        let third = || referral(Police, day(200), Referrer::Professional);
        assert!(quiet(vec![
            nfa(day(0)),
            nfa(day(100)),
            referral(
                Police,
                day(365) + Duration::seconds(1),
                Referrer::Professional
            )
        ]));
        // Decided only after the next arrived: the next was not read as a repeat.
        assert!(quiet(vec![
            closed(
                day(0),
                Duration::days(150),
                ReferralDecision::NoFurtherAction
            ),
            nfa(day(100)),
            third()
        ]));
        assert!(quiet(vec![
            nfa(day(0)),
            closed(day(100), Duration::days(1), ReferralDecision::EarlyHelp),
            third()
        ]));
        assert!(quiet(vec![
            nfa(day(0)),
            nfa(day(100)),
            discussion(day(150), StrategyOutcome::NoEnquiry),
            third()
        ]));
        assert!(quiet(vec![nfa(day(0)), nfa(day(100))]));
        let fewer = RuleConfig {
            repeat_referrals_minimum: 2,
            ..RuleConfig::default()
        };
        let s = with_process(snapshot(day(900), vec![]), vec![nfa(day(0)), nfa(day(100))]);
        assert_eq!(
            RepeatReferralsClosed
                .evaluate(&s, &fewer)
                .unwrap()
                .first_held_at,
            day(100)
        );
    }
}
