//! The statutory clocks of docs/domain.md ("Timescales"): what started each, when it is due, what
//! met or stopped it, and its state at a moment. A pure function of a snapshot, like the rules.

use chrono::{DateTime, Utc};

use super::evidence::{contact_evidence, event_evidence, process_evidence};
use super::settings::RuleConfig;
use super::working_days::{end_of, months_after, working_days_after};
use crate::combined::types::Evidence;
use crate::record::snapshot::{ProcessFact, Snapshot};
use crate::safeguarding::types::{Details, EventDetails};
use crate::vocabulary::{
    ActionStatus, Agency, ClockName, ClockState, ConferenceDecision, ConferenceType, ContactKind,
    EnquiryConclusion, Opinion, ReferralDecision, StrategyOutcome,
};

/// One clock.
#[derive(Debug, Clone, PartialEq)]
pub struct Clock {
    pub clock: ClockName,
    /// The entry whose moment started it.
    pub started_by: Evidence,
    pub started_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    /// The first qualifying entry at or after the start.
    pub met_by: Option<Evidence>,
    /// What made it no longer needed, before anything met it.
    pub stopped_by: Option<Evidence>,
    /// A plan action marked `not_done`: the first such mark.
    pub marked_not_done: Option<Evidence>,
    /// A challenge's clock: the level it stands at (each escalation starts the next level's).
    pub level: Option<u8>,
}

impl Clock {
    pub fn met_at(&self) -> Option<DateTime<Utc>> {
        self.met_by.as_ref().map(|e| e.occurred_at)
    }

    fn stopped_at(&self) -> Option<DateTime<Utc>> {
        self.stopped_by.as_ref().map(|e| e.occurred_at)
    }

    fn not_done_at(&self) -> Option<DateTime<Utc>> {
        self.marked_not_done.as_ref().map(|e| e.occurred_at)
    }

    /// Met after the due moment, or (a plan action) done only after being marked not done.
    pub fn late(&self) -> bool {
        self.met_at().is_some_and(|met| {
            met > self.due_at || self.not_done_at().is_some_and(|not_done| not_done <= met)
        })
    }

    pub fn state_at(&self, at: DateTime<Utc>) -> ClockState {
        if self.met_at().is_some_and(|met| met <= at) {
            return if self.late() {
                ClockState::MetLate
            } else {
                ClockState::Met
            };
        }
        if self.stopped_at().is_some_and(|stopped| stopped <= at) {
            return ClockState::Stopped;
        }
        if at > self.due_at || self.not_done_at().is_some_and(|n| n <= at) {
            ClockState::Overdue
        } else {
            ClockState::Running
        }
    }

    /// When the clock ran out unmet, if it did by `horizon`: its due moment, unless something met
    /// or stopped it by then.
    pub fn missed_by(&self, horizon: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let due = self.due_at;
        let answered = |at: Option<DateTime<Utc>>| at.is_some_and(|at| at <= due);
        (due <= horizon && !answered(self.met_at()) && !answered(self.stopped_at())).then_some(due)
    }
}

/// Every strategy discussion on the record, in order: the process's own and contacts of that kind.
fn discussions(s: &Snapshot) -> Vec<Evidence> {
    let mut all: Vec<Evidence> = s
        .process
        .iter()
        .filter(|p| matches!(p.details, Details::StrategyDiscussion { .. }))
        .map(process_evidence)
        .chain(
            s.contacts
                .iter()
                .filter(|c| c.fields.kind == ContactKind::StrategyDiscussion)
                .map(contact_evidence),
        )
        .collect();
    all.sort_by_key(|e| e.occurred_at);
    all
}

fn first_from(entries: &[Evidence], from: DateTime<Utc>) -> Option<Evidence> {
    entries.iter().find(|e| e.occurred_at >= from).cloned()
}

fn clock(name: ClockName, started_by: Evidence, due_at: DateTime<Utc>) -> Clock {
    Clock {
        clock: name,
        started_at: started_by.occurred_at,
        started_by,
        due_at,
        met_by: None,
        stopped_by: None,
        marked_not_done: None,
        level: None,
    }
}

/// The referral's decision, with the event that made it.
pub fn decision(p: &ProcessFact) -> Option<(ReferralDecision, Evidence)> {
    p.first(|d| match d {
        EventDetails::Decided { decision, .. } => Some(*decision),
        _ => None,
    })
    .map(|(decision, e)| (decision, event_evidence(p, e)))
}

/// Every clock the snapshot's entries started, in order of starting.
pub fn clocks(s: &Snapshot, config: &RuleConfig) -> Vec<Clock> {
    let discussions = discussions(s);
    let conferences = |kind: ConferenceType| -> Vec<Evidence> {
        s.process
            .iter()
            .filter(|p| {
                matches!(p.details, Details::Conference { conference_type, .. } if conference_type == kind)
            })
            .map(process_evidence)
            .collect()
    };
    let (initials, reviews) = (
        conferences(ConferenceType::Initial),
        conferences(ConferenceType::Review),
    );
    let core_groups: Vec<Evidence> = s
        .process
        .iter()
        .filter(|p| matches!(p.details, Details::CoreGroup { .. }))
        .map(process_evidence)
        .collect();

    let mut clocks = Vec::new();
    // Starts of the strategy discussion clock: referrals decided so, and health opinions of
    // non-accidental injury.
    let mut discussion_starts: Vec<(Evidence, bool)> = Vec::new();
    for p in s.process.iter() {
        match &p.details {
            Details::Referral { .. } => {
                let mut c = clock(
                    ClockName::ReferralDecision,
                    process_evidence(p),
                    working_days_after(p.at, config.referral_decision_working_days),
                );
                if let Some((decided, e)) = decision(p) {
                    if decided == ReferralDecision::StrategyDiscussion {
                        discussion_starts.push((e.clone(), false));
                    }
                    c.met_by = Some(e);
                }
                clocks.push(c);
            }
            Details::Assessment { .. } => {
                let mut c = clock(
                    ClockName::Assessment,
                    process_evidence(p),
                    working_days_after(p.at, config.assessment_working_days),
                );
                c.met_by = p
                    .first(|d| matches!(d, EventDetails::Completed { .. }).then_some(()))
                    .map(|(_, e)| event_evidence(p, e));
                clocks.push(c);
            }
            Details::StrategyDiscussion {
                outcome: StrategyOutcome::Section47Enquiry,
                ..
            } => {
                let mut c = clock(
                    ClockName::InitialConference,
                    process_evidence(p),
                    working_days_after(p.at, config.initial_conference_working_days),
                );
                c.met_by = first_from(&initials, p.at);
                // Stopped when the enquiry it started concludes without continuing risk.
                c.stopped_by = s
                    .process
                    .iter()
                    .filter(|e| {
                        matches!(e.details, Details::Section47Enquiry { strategy_discussion_id } if strategy_discussion_id == p.id)
                    })
                    .find_map(|enquiry| {
                        enquiry
                            .first(|d| match d {
                                EventDetails::Concluded { conclusion, .. }
                                    if *conclusion
                                        != EnquiryConclusion::SubstantiatedContinuingRisk =>
                                {
                                    Some(())
                                }
                                _ => None,
                            })
                            .map(|(_, e)| event_evidence(enquiry, e))
                    });
                clocks.push(c);
            }
            Details::Conference {
                conference_type,
                decision,
                ..
            } => {
                let months = match (conference_type, decision) {
                    (ConferenceType::Initial, ConferenceDecision::Plan) => {
                        let mut c = clock(
                            ClockName::CoreGroup,
                            process_evidence(p),
                            working_days_after(p.at, config.core_group_working_days),
                        );
                        c.met_by = first_from(&core_groups, p.at);
                        clocks.push(c);
                        config.first_review_months
                    }
                    (ConferenceType::Review, ConferenceDecision::PlanContinues) => {
                        config.later_review_months
                    }
                    _ => continue,
                };
                let mut c = clock(
                    ClockName::ReviewConference,
                    process_evidence(p),
                    months_after(p.at, months),
                );
                // Met by the next review: not the one that started it.
                c.met_by = reviews
                    .iter()
                    .find(|r| r.occurred_at >= p.at && r.entry_id != p.id)
                    .cloned();
                clocks.push(c);
            }
            Details::Challenge { level, .. } => {
                // Unanswered when due, a challenge escalates: the next level's clock starts then.
                let answer = p
                    .first(|d| matches!(d, EventDetails::Responded { .. }).then_some(()))
                    .map(|(_, e)| event_evidence(p, e));
                let (mut level, mut start) = ((*level).clamp(1, 4), p.at);
                loop {
                    let due = working_days_after(start, config.challenge_working_days(level));
                    let mut c = clock(ClockName::ChallengeResponse, process_evidence(p), due);
                    c.started_at = start;
                    c.level = Some(level);
                    c.met_by = answer.clone();
                    clocks.push(c);
                    let answered = answer.as_ref().is_some_and(|a| a.occurred_at <= due);
                    if answered || level == 4 || due >= s.horizon {
                        break;
                    }
                    (level, start) = (level + 1, due);
                }
            }
            Details::PlanAction { due_date, .. } => {
                let mut c = clock(
                    ClockName::PlanAction,
                    process_evidence(p),
                    end_of(*due_date),
                );
                let marked = |wanted: ActionStatus| {
                    p.first(|d| match d {
                        EventDetails::Marked { status, .. } if *status == wanted => Some(()),
                        _ => None,
                    })
                    .map(|(_, e)| event_evidence(p, e))
                };
                c.met_by = marked(ActionStatus::Done);
                c.marked_not_done = marked(ActionStatus::NotDone);
                clocks.push(c);
            }
            _ => {}
        }
    }
    for c in s.contacts.iter() {
        if c.agency == Agency::Health
            && c.fields.opinion == Some(Opinion::NonAccidentalInjurySuspected)
        {
            discussion_starts.push((contact_evidence(c), true));
        }
    }
    discussion_starts.sort_by_key(|(e, _)| e.occurred_at);
    let days = config.strategy_discussion_working_days;
    let mut discussion_clocks: Vec<Clock> = Vec::new();
    for (start, by_opinion) in discussion_starts {
        let at = start.occurred_at;
        // An opinion starts a clock only while none is running.
        if by_opinion
            && discussion_clocks
                .iter()
                .any(|c| c.state_at(at) == ClockState::Running)
        {
            continue;
        }
        let mut c = clock(
            ClockName::StrategyDiscussion,
            start,
            working_days_after(at, days),
        );
        c.met_by = first_from(&discussions, at);
        discussion_clocks.push(c);
    }
    clocks.extend(discussion_clocks);
    clocks.sort_by_key(|c| (c.started_at, c.clock));
    clocks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combined::indicators::testing::*;
    use crate::record::snapshot::ProcessFact;
    use crate::vocabulary::{ActionOwner, Referrer};
    use chrono::{NaiveDate, TimeZone};
    use uuid::Uuid;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    fn end(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        end_of(NaiveDate::from_ymd_opt(y, m, d).unwrap())
    }

    fn with(s: Snapshot, p: Vec<ProcessFact>) -> Snapshot {
        with_process(s, p)
    }

    fn only(s: &Snapshot, name: ClockName) -> Vec<Clock> {
        clocks(s, &RuleConfig::default())
            .into_iter()
            .filter(|c| c.clock == name)
            .collect()
    }

    #[test]
    fn a_referral_is_decided_by_the_end_of_the_next_working_day() {
        // Received on Thursday 5 April 2007: Good Friday and Easter Monday come between.
        let received = at(2007, 4, 5, 16);
        let undecided = referral(Agency::Police, received, Referrer::Professional);
        let s = with(
            snapshot(at(2007, 4, 10, 12), vec![]),
            vec![undecided.clone()],
        );
        let c = &only(&s, ClockName::ReferralDecision)[0];
        assert_eq!(c.due_at, end(2007, 4, 10));
        assert_eq!(c.state_at(at(2007, 4, 10, 12)), ClockState::Running);
        assert_eq!(c.state_at(end(2007, 4, 10)), ClockState::Running);
        assert_eq!(c.state_at(at(2007, 4, 11, 0)), ClockState::Overdue);
        assert_eq!(c.missed_by(at(2007, 4, 11, 0)), Some(end(2007, 4, 10)));

        let on_time = decided(
            undecided.clone(),
            end(2007, 4, 10),
            ReferralDecision::EarlyHelp,
        );
        let s = with(snapshot(at(2007, 5, 1, 0), vec![]), vec![on_time]);
        let c = &only(&s, ClockName::ReferralDecision)[0];
        assert_eq!(c.state_at(at(2007, 5, 1, 0)), ClockState::Met);
        assert_eq!(c.missed_by(at(2007, 5, 1, 0)), None);

        let late = decided(undecided, at(2007, 4, 11, 9), ReferralDecision::EarlyHelp);
        let s = with(snapshot(at(2007, 5, 1, 0), vec![]), vec![late]);
        let c = &only(&s, ClockName::ReferralDecision)[0];
        assert_eq!(c.state_at(at(2007, 4, 11, 8)), ClockState::Overdue);
        assert_eq!(c.state_at(at(2007, 5, 1, 0)), ClockState::MetLate);
    }

    #[test]
    fn a_referral_over_a_weekend_is_due_on_monday_night() {
        let s = with(
            snapshot(at(2007, 3, 20, 0), vec![]),
            vec![referral(
                Agency::Health,
                at(2007, 3, 9, 17),
                Referrer::Professional,
            )],
        );
        assert_eq!(
            only(&s, ClockName::ReferralDecision)[0].due_at,
            end(2007, 3, 12)
        );
    }

    #[test]
    fn a_strategy_discussion_follows_a_decision_or_an_opinion_within_three_working_days() {
        // Opinion on Friday 22 December 2006: 27, 28, 29 December are the three working days.
        let nai = opinion(
            contact(
                Agency::Health,
                at(2006, 12, 22, 10),
                ContactKind::HospitalAttendance,
            ),
            Opinion::NonAccidentalInjurySuspected,
        );
        let s = snapshot(at(2007, 1, 5, 0), vec![nai.clone()]);
        let c = &only(&s, ClockName::StrategyDiscussion)[0];
        assert_eq!(c.due_at, end(2006, 12, 29));
        assert_eq!(c.state_at(at(2007, 1, 5, 0)), ClockState::Overdue);
        // A second opinion while the first clock runs starts none; after it ran out, it does.
        let again = |day| {
            opinion(
                contact(Agency::Health, day, ContactKind::ClinicAppointment),
                Opinion::NonAccidentalInjurySuspected,
            )
        };
        let s = snapshot(
            at(2007, 1, 5, 0),
            vec![nai.clone(), again(at(2006, 12, 28, 9))],
        );
        assert_eq!(only(&s, ClockName::StrategyDiscussion).len(), 1);
        let s = snapshot(
            at(2007, 1, 5, 0),
            vec![nai.clone(), again(at(2007, 1, 2, 9))],
        );
        assert_eq!(only(&s, ClockName::StrategyDiscussion).len(), 2);
        // One discussion meets every clock started by then: one late, one in time.
        let s = with(
            snapshot(at(2007, 1, 5, 0), vec![nai, again(at(2007, 1, 2, 9))]),
            vec![discussion(at(2007, 1, 3, 9), StrategyOutcome::NoEnquiry)],
        );
        let states: Vec<_> = only(&s, ClockName::StrategyDiscussion)
            .iter()
            .map(|c| c.state_at(at(2007, 1, 5, 0)))
            .collect();
        assert_eq!(states, vec![ClockState::MetLate, ClockState::Met]);
    }

    #[test]
    fn an_enquiry_without_continuing_risk_stops_the_initial_conference_clock() {
        let d = discussion(at(2007, 1, 8, 10), StrategyOutcome::Section47Enquiry);
        let s = with(snapshot(at(2007, 3, 1, 0), vec![]), vec![d.clone()]);
        let c = &only(&s, ClockName::InitialConference)[0];
        // 15 working days after Monday 8 January: Monday 29 January.
        assert_eq!(c.due_at, end(2007, 1, 29));
        assert_eq!(c.state_at(at(2007, 3, 1, 0)), ClockState::Overdue);
        let mut enquiry = process(
            Agency::SocialCare,
            d.at,
            Details::Section47Enquiry {
                strategy_discussion_id: d.id,
            },
        );
        enquiry.events.push(event(
            at(2007, 1, 20, 9),
            EventDetails::Concluded {
                conclusion: EnquiryConclusion::NotSubstantiated,
                reason: "r".into(),
            },
        ));
        let s = with(snapshot(at(2007, 3, 1, 0), vec![]), vec![d, enquiry]);
        let c = &only(&s, ClockName::InitialConference)[0];
        assert_eq!(c.state_at(at(2007, 3, 1, 0)), ClockState::Stopped);
        assert_eq!(c.state_at(at(2007, 1, 19, 0)), ClockState::Running);
        assert_eq!(c.missed_by(at(2007, 3, 1, 0)), None);
    }

    #[test]
    fn a_plan_starts_core_group_and_review_clocks_and_reviews_chain() {
        let initial = conference(
            at(2007, 1, 31, 10),
            ConferenceType::Initial,
            ConferenceDecision::Plan,
        );
        let review = conference(
            at(2007, 4, 30, 10),
            ConferenceType::Review,
            ConferenceDecision::PlanContinues,
        );
        let s = with(snapshot(at(2007, 12, 1, 0), vec![]), vec![initial, review]);
        let core = &only(&s, ClockName::CoreGroup)[0];
        // 10 working days after Wednesday 31 January 2007.
        assert_eq!(core.due_at, end(2007, 2, 14));
        let reviews = only(&s, ClockName::ReviewConference);
        // Three months after 31 January is the last day of April; six after 30 April, 30 October.
        assert_eq!(reviews[0].due_at, end(2007, 4, 30));
        assert_eq!(reviews[0].state_at(at(2007, 12, 1, 0)), ClockState::Met);
        assert_eq!(reviews[1].due_at, end(2007, 10, 30));
        assert_eq!(reviews[1].state_at(at(2007, 12, 1, 0)), ClockState::Overdue);
    }

    #[test]
    fn plan_actions_are_due_at_the_end_of_their_day() {
        let action = process(
            Agency::SocialCare,
            at(2007, 1, 5, 10),
            Details::PlanAction {
                plan_id: Uuid::new_v4(),
                description: "d".into(),
                owner: ActionOwner::Carers,
                due_date: NaiveDate::from_ymd_opt(2007, 1, 31).unwrap(),
            },
        );
        let mark = |status, when| {
            event(
                when,
                EventDetails::Marked {
                    status,
                    note: "n".into(),
                },
            )
        };
        let s = with(snapshot(at(2007, 3, 1, 0), vec![]), vec![action.clone()]);
        let c = &only(&s, ClockName::PlanAction)[0];
        assert_eq!(c.state_at(end(2007, 1, 31)), ClockState::Running);
        assert_eq!(c.state_at(at(2007, 2, 1, 0)), ClockState::Overdue);
        // Marked not done before its day: overdue from then; a later `done` is late.
        let mut marked = action;
        marked
            .events
            .push(mark(ActionStatus::NotDone, at(2007, 1, 20, 9)));
        marked
            .events
            .push(mark(ActionStatus::Done, at(2007, 1, 25, 9)));
        let s = with(snapshot(at(2007, 3, 1, 0), vec![]), vec![marked]);
        let c = &only(&s, ClockName::PlanAction)[0];
        assert_eq!(c.state_at(at(2007, 1, 19, 0)), ClockState::Running);
        assert_eq!(c.state_at(at(2007, 1, 21, 0)), ClockState::Overdue);
        assert_eq!(c.state_at(at(2007, 1, 26, 0)), ClockState::MetLate);
    }

    #[test]
    fn an_assessment_has_45_working_days() {
        let a = process(
            Agency::SocialCare,
            at(2007, 3, 1, 10),
            Details::Assessment {
                referral_id: Uuid::new_v4(),
            },
        );
        let s = with(snapshot(at(2007, 6, 1, 0), vec![]), vec![a]);
        // March 2007: Good Friday 6 April, Easter Monday 9 April and 7 May fall in the 45.
        assert_eq!(only(&s, ClockName::Assessment)[0].due_at, end(2007, 5, 8));
    }

    #[test]
    fn a_deployment_sets_each_timescale() {
        let config = RuleConfig {
            assessment_working_days: 20,
            core_group_working_days: 5,
            first_review_months: 2,
            ..RuleConfig::default()
        };
        let s = with(
            snapshot(at(2007, 6, 1, 0), vec![]),
            vec![
                process(
                    Agency::SocialCare,
                    at(2007, 3, 1, 10),
                    Details::Assessment {
                        referral_id: Uuid::new_v4(),
                    },
                ),
                conference(
                    at(2007, 3, 1, 10),
                    ConferenceType::Initial,
                    ConferenceDecision::Plan,
                ),
            ],
        );
        let due = |name| {
            clocks(&s, &config)
                .into_iter()
                .find(|c| c.clock == name)
                .map(|c| c.due_at)
        };
        // Twenty working days after Thursday 1 March 2007 is Thursday 29 March; five is 8 March.
        assert_eq!(due(ClockName::Assessment), Some(end(2007, 3, 29)));
        assert_eq!(due(ClockName::CoreGroup), Some(end(2007, 3, 8)));
        assert_eq!(due(ClockName::ReviewConference), Some(end(2007, 5, 1)));
    }

    /// Every clock: running at its due moment and overdue a microsecond after; met by an answer at
    /// the due moment, met late by one a microsecond after.
    #[test]
    fn every_clock_is_met_at_its_due_moment_and_late_just_after() {
        use chrono::Duration;
        let tick = Duration::microseconds(1);
        // Friday 22 December 2006: the next working days are 27, 28, 29 December.
        let start = at(2006, 12, 22, 10);
        let core = |when| {
            process(
                Agency::SocialCare,
                when,
                Details::CoreGroup {
                    agencies: vec![Agency::SocialCare],
                    summary: "s".into(),
                },
            )
        };
        // What starts the clock, and what answers it at a moment.
        type Answer = Box<dyn Fn(DateTime<Utc>) -> ProcessFact>;
        let starts: Vec<(ClockName, Vec<ProcessFact>, Answer)> = vec![
            (
                ClockName::InitialConference,
                vec![discussion(start, StrategyOutcome::Section47Enquiry)],
                Box::new(|when| {
                    conference(when, ConferenceType::Initial, ConferenceDecision::NoPlan)
                }),
            ),
            (
                ClockName::CoreGroup,
                vec![conference(
                    start,
                    ConferenceType::Initial,
                    ConferenceDecision::Plan,
                )],
                Box::new(core),
            ),
            (
                ClockName::ReviewConference,
                vec![conference(
                    start,
                    ConferenceType::Initial,
                    ConferenceDecision::Plan,
                )],
                Box::new(|when| {
                    conference(
                        when,
                        ConferenceType::Review,
                        ConferenceDecision::PlanContinues,
                    )
                }),
            ),
            (
                ClockName::StrategyDiscussion,
                vec![decided(
                    referral(Agency::Health, start, Referrer::Professional),
                    start,
                    ReferralDecision::StrategyDiscussion,
                )],
                Box::new(|when| discussion(when, StrategyOutcome::NoEnquiry)),
            ),
        ];
        for (name, started, answer) in starts {
            let s = with(snapshot(at(2008, 1, 1, 0), vec![]), started.clone());
            let c = only(&s, name).into_iter().next().unwrap();
            assert_eq!(c.state_at(c.due_at), ClockState::Running, "{name:?}");
            assert_eq!(c.state_at(c.due_at + tick), ClockState::Overdue, "{name:?}");
            assert_eq!(c.missed_by(c.due_at), Some(c.due_at), "{name:?}");
            assert_eq!(c.missed_by(c.due_at - tick), None, "{name:?}");
            for (when, state) in [
                (c.due_at, ClockState::Met),
                (c.due_at + tick, ClockState::MetLate),
            ] {
                let mut all = started.clone();
                all.push(answer(when));
                let s = with(snapshot(at(2008, 1, 1, 0), vec![]), all);
                let met = only(&s, name).into_iter().next().unwrap();
                assert_eq!(
                    met.state_at(at(2008, 1, 1, 0)),
                    state,
                    "{name:?} answered at {when}"
                );
            }
        }
    }

    fn decided(mut p: ProcessFact, when: DateTime<Utc>, decision: ReferralDecision) -> ProcessFact {
        p.events.push(event(
            when,
            EventDetails::Decided {
                decision,
                reason: "r".into(),
            },
        ));
        p
    }
}
