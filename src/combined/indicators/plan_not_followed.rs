//! Indicator 12: while the child is on a child protection plan, two or more plan actions not done
//! by their due moment (each counted at its due moment), or two or more entries recording the plan
//! `not_followed` (each counted when it occurred), and no review conference, strategy discussion
//! or legal planning meeting in the 10 working days after the second of them. It holds when those
//! days end.

use chrono::{DateTime, Utc};

use super::rule::{Finding, Indicator};
use crate::combined::types::{Evidence, Severity};
use crate::record::evidence::{contact_evidence, process_evidence};
use crate::record::settings::RuleConfig;
use crate::record::snapshot::Snapshot;
use crate::record::working_days::{end_of, working_days_after};
use crate::safeguarding::types::{Details, EventDetails};
use crate::vocabulary::{ActionStatus, ChildStatus, ConferenceType, PlanCompliance};

pub struct PlanNotFollowed;

impl Indicator for PlanNotFollowed {
    fn code(&self) -> &'static str {
        "plan_not_followed"
    }
    fn title(&self) -> &'static str {
        "Child protection plan not followed, and nobody challenged it"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Bring the review conference forward, or hold a strategy discussion or legal planning meeting."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let on_plan = |at| s.status_at(at) == ChildStatus::ChildProtectionPlan;
        let mut actions: Vec<(DateTime<Utc>, Evidence)> = s
            .process
            .iter()
            .filter_map(|p| {
                let Details::PlanAction { due_date, .. } = p.details else {
                    return None;
                };
                let due = end_of(due_date);
                let done = p.events.iter().any(|e| {
                    e.at <= due
                        && matches!(
                            e.details,
                            EventDetails::Marked {
                                status: ActionStatus::Done,
                                ..
                            }
                        )
                });
                (!done && due <= s.horizon && on_plan(due)).then(|| (due, process_evidence(p)))
            })
            .collect();
        actions.sort_by_key(|(at, _)| *at);
        let entries: Vec<(DateTime<Utc>, Evidence)> = s
            .contacts
            .iter()
            .filter(|c| {
                c.fields.plan_compliance == Some(PlanCompliance::NotFollowed) && on_plan(c.at())
            })
            .map(|c| (c.at(), contact_evidence(c)))
            .collect();
        let responses: Vec<DateTime<Utc>> = s
            .process
            .iter()
            .filter(|p| {
                matches!(
                    p.details,
                    Details::Conference {
                        conference_type: ConferenceType::Review,
                        ..
                    } | Details::LegalPlanningMeeting { .. }
                )
            })
            .map(|p| p.at)
            .chain(s.strategy_discussions())
            .collect();
        let days = config.plan_response_working_days;
        let minimum = config.plan_failures_minimum.max(1);
        [actions, entries]
            .iter()
            .flat_map(|failures| {
                failures.windows(minimum).filter_map(|run| {
                    let last = run[run.len() - 1].0;
                    let end = working_days_after(last, days);
                    let challenged = responses.iter().any(|r| *r >= last && *r <= end);
                    (!challenged && end <= s.horizon).then(|| Finding {
                        first_held_at: end,
                        evidence: run.iter().map(|(_, e)| e.clone()).collect(),
                    })
                })
            })
            .min_by_key(|f| f.first_held_at)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::record::snapshot::ProcessFact;
    use crate::vocabulary::{ActionOwner, Agency, ConferenceDecision, ContactKind};
    use chrono::{Duration, NaiveDate, TimeZone};
    use uuid::Uuid;

    fn date(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2007, m, d).unwrap()
    }

    fn action(due: NaiveDate) -> ProcessFact {
        process(
            Agency::SocialCare,
            Utc.with_ymd_and_hms(2007, 1, 3, 10, 0, 0).unwrap(),
            Details::PlanAction {
                plan_id: Uuid::new_v4(),
                description: "d".into(),
                owner: ActionOwner::Carers,
                due_date: due,
            },
        )
    }

    fn on_plan(s: Snapshot) -> Snapshot {
        with_status(
            s,
            ChildStatus::ChildProtectionPlan,
            Utc.with_ymd_and_hms(2007, 1, 2, 10, 0, 0).unwrap(),
        )
    }

    #[test]
    fn two_actions_missed_and_no_challenge_in_ten_working_days() {
        // Second due on Friday 2 March; ten working days later is Friday 16 March.
        let end = end_of(date(3, 16));
        let s = on_plan(with_process(
            snapshot(end, vec![]),
            vec![action(date(2, 28)), action(date(3, 2))],
        ));
        let f = PlanNotFollowed
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (end, 2));
        let early = on_plan(with_process(
            snapshot(end - Duration::seconds(1), vec![]),
            vec![action(date(2, 28)), action(date(3, 2))],
        ));
        assert!(
            PlanNotFollowed
                .evaluate(&early, &RuleConfig::default())
                .is_none()
        );
        // A review conference on the last day answers it.
        let s = on_plan(with_process(
            snapshot(end + Duration::days(30), vec![]),
            vec![
                action(date(2, 28)),
                action(date(3, 2)),
                conference(
                    end,
                    ConferenceType::Review,
                    ConferenceDecision::PlanContinues,
                ),
            ],
        ));
        assert!(
            PlanNotFollowed
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
    }

    #[test]
    fn an_action_done_late_still_counts_and_one_done_in_time_does_not() {
        let end = end_of(date(3, 16));
        let mut late = action(date(3, 2));
        late.events.push(event(
            end_of(date(3, 2)) + Duration::hours(1),
            EventDetails::Marked {
                status: ActionStatus::Done,
                note: "n".into(),
            },
        ));
        let s = on_plan(with_process(
            snapshot(end, vec![]),
            vec![action(date(2, 28)), late],
        ));
        assert!(
            PlanNotFollowed
                .evaluate(&s, &RuleConfig::default())
                .is_some()
        );
        let mut in_time = action(date(3, 2));
        in_time.events.push(event(
            end_of(date(3, 2)),
            EventDetails::Marked {
                status: ActionStatus::Done,
                note: "n".into(),
            },
        ));
        let s = on_plan(with_process(
            snapshot(end, vec![]),
            vec![action(date(2, 28)), in_time],
        ));
        assert!(
            PlanNotFollowed
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
    }

    #[test]
    fn entries_recording_the_plan_not_followed_count_only_while_on_a_plan() {
        let visit = |m, d| {
            let mut c = contact(
                Agency::Health,
                Utc.with_ymd_and_hms(2007, m, d, 10, 0, 0).unwrap(),
                ContactKind::HomeVisit,
            );
            c.fields.plan_compliance = Some(PlanCompliance::NotFollowed);
            c
        };
        let end = end_of(date(3, 16));
        let s = snapshot(end, vec![visit(2, 20), visit(3, 2)]);
        assert!(
            PlanNotFollowed
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
        let s = on_plan(s);
        assert_eq!(
            PlanNotFollowed
                .evaluate(&s, &RuleConfig::default())
                .unwrap()
                .first_held_at,
            end
        );
        // Health's own entries show it; social care alone sees none of them.
        assert!(
            PlanNotFollowed
                .evaluate(&s.only(Agency::Health), &RuleConfig::default())
                .is_some()
        );
        assert!(
            PlanNotFollowed
                .evaluate(&s.only(Agency::SocialCare), &RuleConfig::default())
                .is_none()
        );
        // One action and one entry are not two of either.
        let mixed = on_plan(with_process(
            snapshot(end, vec![visit(3, 2)]),
            vec![action(date(2, 28))],
        ));
        assert!(
            PlanNotFollowed
                .evaluate(&mixed, &RuleConfig::default())
                .is_none()
        );
    }

    #[test]
    fn a_changed_minimum_counts_from_the_last_failure_needed() {
        let cfg = RuleConfig {
            plan_failures_minimum: 3,
            ..RuleConfig::default()
        };
        let two = on_plan(with_process(
            snapshot(end_of(date(6, 1)), vec![]),
            vec![action(date(2, 28)), action(date(3, 2))],
        ));
        assert!(PlanNotFollowed.evaluate(&two, &cfg).is_none());
        // Third due on Monday 5 March; ten working days later is Monday 19 March.
        let end = end_of(date(3, 19));
        let three = on_plan(with_process(
            snapshot(end, vec![]),
            vec![action(date(2, 28)), action(date(3, 2)), action(date(3, 5))],
        ));
        let f = PlanNotFollowed.evaluate(&three, &cfg).unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (end, 3));
    }
}
