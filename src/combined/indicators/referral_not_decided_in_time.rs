//! Indicator 10: a referral with no decision by the end of the next working day after its receipt.
//! It holds when that day ends.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::clocks::clocks;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::Snapshot;
use crate::vocabulary::ClockName;

pub struct ReferralNotDecidedInTime;

impl Indicator for ReferralNotDecidedInTime {
    fn code(&self) -> &'static str {
        "referral_not_decided_in_time"
    }
    fn title(&self) -> &'static str {
        "Referral not decided in time"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn recommended_action(&self) -> &'static str {
        "Decide the referral today, and tell the referrer what was decided."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        // The `referral_decision` clock, run out unmet.
        let late: Vec<_> = clocks(s, config)
            .into_iter()
            .filter(|c| c.clock == ClockName::ReferralDecision)
            .filter_map(|c| c.missed_by(s.horizon).map(|due| (due, c)))
            .collect();
        let first = late.iter().map(|(due, _)| *due).min()?;
        Some(Finding {
            first_held_at: first,
            evidence: late
                .into_iter()
                .filter(|(due, _)| *due == first)
                .map(|(_, c)| c.started_by)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::record::working_days::end_of;
    use crate::safeguarding::types::EventDetails;
    use crate::vocabulary::{Agency, ReferralDecision, Referrer};
    use chrono::{Duration, NaiveDate, TimeZone, Utc};

    fn thursday_before_easter() -> chrono::DateTime<Utc> {
        Utc.with_ymd_and_hms(2007, 4, 5, 15, 0, 0).unwrap()
    }

    #[test]
    fn holds_when_the_next_working_day_ends_undecided() {
        let due = end_of(NaiveDate::from_ymd_opt(2007, 4, 10).unwrap());
        let r = referral(
            Agency::Police,
            thursday_before_easter(),
            Referrer::Professional,
        );
        let s = with_process(snapshot(due, vec![]), vec![r.clone()]);
        let f = ReferralNotDecidedInTime
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!(f.first_held_at, due);
        assert_eq!(f.evidence[0].entry_id, r.id);
        // A moment before, the day has not ended: quiet.
        let s = with_process(
            snapshot(due - Duration::seconds(1), vec![]),
            vec![r.clone()],
        );
        assert!(
            ReferralNotDecidedInTime
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
        // Decided at the last moment: quiet; a moment after: holds.
        for (when, holds) in [(due, false), (due + Duration::microseconds(1), true)] {
            let mut decided = r.clone();
            decided.events.push(event(
                when,
                EventDetails::Decided {
                    decision: ReferralDecision::NoFurtherAction,
                    reason: "r".into(),
                },
            ));
            let s = with_process(snapshot(due + Duration::days(30), vec![]), vec![decided]);
            assert_eq!(
                ReferralNotDecidedInTime
                    .evaluate(&s, &RuleConfig::default())
                    .is_some(),
                holds
            );
        }
    }

    #[test]
    fn the_referrer_alone_sees_no_decision_made_by_the_receiving_agency() {
        let mut r = referral(
            Agency::Police,
            thursday_before_easter(),
            Referrer::Professional,
        );
        r.events.push(event(
            thursday_before_easter() + Duration::hours(1),
            EventDetails::Decided {
                decision: ReferralDecision::StrategyDiscussion,
                reason: "r".into(),
            },
        ));
        let s = with_process(
            snapshot(thursday_before_easter() + Duration::days(30), vec![]),
            vec![r],
        );
        assert!(
            ReferralNotDecidedInTime
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
        let police = s.only(Agency::Police);
        assert!(
            ReferralNotDecidedInTime
                .evaluate(&police, &RuleConfig::default())
                .is_some()
        );
        assert!(
            ReferralNotDecidedInTime
                .evaluate(&s.only(Agency::SocialCare), &RuleConfig::default())
                .is_none()
        );
    }

    #[test]
    fn a_changed_timescale_moves_the_moment_it_holds() {
        // Two working days after Thursday 5 April 2007, past Good Friday and Easter Monday.
        let cfg = RuleConfig {
            referral_decision_working_days: 2,
            ..RuleConfig::default()
        };
        let due = end_of(NaiveDate::from_ymd_opt(2007, 4, 11).unwrap());
        let r = referral(
            Agency::Police,
            thursday_before_easter(),
            Referrer::Professional,
        );
        let at = |horizon| {
            ReferralNotDecidedInTime
                .evaluate(
                    &with_process(snapshot(horizon, vec![]), vec![r.clone()]),
                    &cfg,
                )
                .map(|f| f.first_held_at)
        };
        assert_eq!(at(due - Duration::seconds(1)), None);
        assert_eq!(at(due), Some(due));
    }
}
