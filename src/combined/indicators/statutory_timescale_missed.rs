//! Indicator 13: an `assessment`, `initial_conference`, `core_group` or `review_conference` clock
//! overdue. It holds at the first due moment such a clock passes unmet and unstopped.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::clocks::clocks;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::Snapshot;
use crate::vocabulary::ClockName;

pub struct StatutoryTimescaleMissed;

impl Indicator for StatutoryTimescaleMissed {
    fn code(&self) -> &'static str {
        "statutory_timescale_missed"
    }
    fn title(&self) -> &'static str {
        "Statutory timescale missed"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn recommended_action(&self) -> &'static str {
        "Hold the overdue assessment, conference or core group now; see the timescales."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let missed: Vec<_> = clocks(s, config)
            .into_iter()
            .filter(|c| {
                matches!(
                    c.clock,
                    ClockName::Assessment
                        | ClockName::InitialConference
                        | ClockName::CoreGroup
                        | ClockName::ReviewConference
                )
            })
            .filter_map(|c| c.missed_by(s.horizon).map(|at| (at, c)))
            .collect();
        let first = missed.iter().map(|(at, _)| *at).min()?;
        Some(Finding {
            first_held_at: first,
            evidence: missed
                .into_iter()
                .filter(|(at, _)| *at == first)
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
    use crate::vocabulary::{Agency, ConferenceDecision, ConferenceType, ContactKind};
    use chrono::{Duration, NaiveDate, TimeZone, Utc};

    #[test]
    fn a_core_group_not_met_in_ten_working_days_holds_at_the_due_moment() {
        let plan = conference(
            Utc.with_ymd_and_hms(2007, 1, 31, 10, 0, 0).unwrap(),
            ConferenceType::Initial,
            ConferenceDecision::Plan,
        );
        let due = end_of(NaiveDate::from_ymd_opt(2007, 2, 14).unwrap());
        let s = with_process(snapshot(due, vec![]), vec![plan.clone()]);
        let f = StatutoryTimescaleMissed
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence[0].entry_id), (due, plan.id));
        let s = with_process(
            snapshot(due - Duration::seconds(1), vec![]),
            vec![plan.clone()],
        );
        assert!(
            StatutoryTimescaleMissed
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
        let core = process(
            Agency::SocialCare,
            due,
            crate::safeguarding::types::Details::CoreGroup {
                agencies: vec![Agency::SocialCare],
                summary: "s".into(),
            },
        );
        let s = with_process(
            snapshot(due + Duration::days(1), vec![]),
            vec![plan.clone(), core],
        );
        assert!(
            StatutoryTimescaleMissed
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
        // Social care's own records show it; police alone has none of them.
        let s = with_process(snapshot(due, vec![call(Agency::Police, due)]), vec![plan]);
        assert!(
            StatutoryTimescaleMissed
                .evaluate(&s.only(Agency::SocialCare), &RuleConfig::default())
                .is_some()
        );
        assert!(
            StatutoryTimescaleMissed
                .evaluate(&s.only(Agency::Police), &RuleConfig::default())
                .is_none()
        );
        let _ = ContactKind::PhoneCall;
    }
}
