//! Scoring a team against the scenario's expectations: a pure function of the expectations
//! released, the exercise's clock and what the team recorded, tested without a database.

use chrono::{DateTime, Duration, Utc};

use super::types::{ExpectationOutcome, ExpectationResult, Score, TeamEntry};
use crate::scenario::format::{Expectation, ExpectedRecord};
use crate::vocabulary::Agency;

/// An expectation with its checkpoint's number and scenario time.
pub struct Expected<'a> {
    pub checkpoint: usize,
    pub at: DateTime<Utc>,
    pub expectation: &'a Expectation,
}

impl Expected<'_> {
    /// Met by then (scenario time); met late after.
    pub fn due_at(&self) -> DateTime<Utc> {
        self.at + Duration::days(i64::from(self.expectation.within_days))
    }

    /// Entries count from the start of the checkpoint's day: what a team does about an earlier
    /// stage is not what this one asks.
    fn counts_from(&self) -> DateTime<Utc> {
        self.at
            .date_naive()
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
    }
}

/// A team's decision: the checkpoint it was recorded at, its agency, when.
pub struct DecisionFact {
    pub checkpoint: usize,
    pub agency: Agency,
    pub recorded_at: DateTime<Utc>,
}

/// Where the exercise stands.
pub struct Stage {
    pub released: usize,
    pub clock: Option<DateTime<Utc>>,
    pub ended: bool,
}

/// When an entry counts as made, in scenario time: when the trainee says, but never before the
/// stage the team was at when they recorded it (`history`: from each moment of the service's
/// clock, the team's scenario clock) — an entry backdated after the time has passed is late.
pub fn counted_at(
    entry: &TeamEntry,
    history: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
) -> DateTime<Utc> {
    let clock = history
        .iter()
        .take_while(|(at, _)| *at <= entry.recorded_at)
        .last()
        .and_then(|(_, clock)| *clock);
    clock.map_or(entry.occurred_at, |c| entry.occurred_at.max(c))
}

fn fits(e: &Expectation, entry: &TeamEntry) -> bool {
    entry.is(e.record)
        && e.agency.is_none_or(|a| a == entry.agency)
        && e.kind
            .is_none_or(|k| entry.kind.as_deref() == Some(k.as_str()))
        && e.to_agency.is_none_or(|a| entry.to_agency == Some(a))
}

/// How the team did on one expectation.
pub fn judge(
    expected: &Expected<'_>,
    stage: &Stage,
    entries: &[TeamEntry],
    history: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    decisions: &[DecisionFact],
) -> ExpectationResult {
    let e = expected.expectation;
    let result = |outcome: ExpectationOutcome, at: Option<DateTime<Utc>>| ExpectationResult {
        expectation: e.id.clone(),
        outcome,
        points: match outcome {
            ExpectationOutcome::Met => e.points,
            ExpectationOutcome::MetLate => e.points / 2,
            _ => 0,
        },
        at,
    };
    if expected.checkpoint > stage.released {
        return result(ExpectationOutcome::NotReleased, None);
    }
    // Nothing yet: missed once its time has passed (or the exercise is over), else still open.
    let unmet = |passed: bool| {
        if passed || stage.ended {
            result(ExpectationOutcome::Missed, None)
        } else {
            result(ExpectationOutcome::Open, None)
        }
    };
    if e.record == ExpectedRecord::Decision {
        let mut theirs: Vec<&DecisionFact> = decisions
            .iter()
            .filter(|d| {
                e.agency.is_none_or(|a| a == d.agency) && d.checkpoint >= expected.checkpoint
            })
            .collect();
        theirs.sort_by_key(|d| (d.checkpoint, d.recorded_at));
        return match theirs.first() {
            Some(d) if d.checkpoint == expected.checkpoint => {
                result(ExpectationOutcome::Met, Some(d.recorded_at))
            }
            Some(d) => result(ExpectationOutcome::MetLate, Some(d.recorded_at)),
            None => unmet(stage.released > expected.checkpoint),
        };
    }
    let due = expected.due_at();
    let first = entries
        .iter()
        .filter(|entry| fits(e, entry) && entry.occurred_at >= expected.counts_from())
        .map(|entry| counted_at(entry, history))
        .min();
    match first {
        Some(at) if at <= due => result(ExpectationOutcome::Met, Some(at)),
        Some(at) => result(ExpectationOutcome::MetLate, Some(at)),
        None => unmet(stage.clock.is_some_and(|c| c > due)),
    }
}

/// The team's results on every expectation, and its score.
pub fn score(
    expected: &[Expected<'_>],
    stage: &Stage,
    entries: &[TeamEntry],
    history: &[(DateTime<Utc>, Option<DateTime<Utc>>)],
    decisions: &[DecisionFact],
) -> (Score, Vec<ExpectationResult>) {
    let mut score = Score::default();
    let mut results = Vec::new();
    for x in expected {
        let r = judge(x, stage, entries, history, decisions);
        if r.outcome != ExpectationOutcome::NotReleased {
            score.possible += x.expectation.points;
        }
        score.points += r.points;
        match r.outcome {
            ExpectationOutcome::Met => score.met += 1,
            ExpectationOutcome::MetLate => score.met_late += 1,
            ExpectationOutcome::Missed => score.missed += 1,
            ExpectationOutcome::Open => score.open += 1,
            ExpectationOutcome::NotReleased => {}
        }
        results.push(r);
    }
    (score, results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocabulary::ContactKind;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn check_on_partner() -> Expectation {
        Expectation {
            id: "police_check_partner".into(),
            description: "Police check the mother's partner".into(),
            points: 3,
            record: ExpectedRecord::Check,
            agency: Some(Agency::Police),
            kind: None,
            to_agency: None,
            within_days: 2,
        }
    }

    fn entry(record: &str, agency: Agency, when: &str) -> TeamEntry {
        TeamEntry {
            record: record.into(),
            kind: None,
            agency,
            to_agency: None,
            occurred_at: at(when),
            recorded_at: at(when),
        }
    }

    fn stage(released: usize, clock: &str) -> Stage {
        Stage {
            released,
            clock: Some(at(clock)),
            ended: false,
        }
    }

    const CHECKPOINT: &str = "2006-12-22T12:00:00Z";

    #[test]
    fn an_entry_within_the_window_is_met_and_just_after_it_met_late() {
        let e = check_on_partner();
        let x = Expected {
            checkpoint: 1,
            at: at(CHECKPOINT),
            expectation: &e,
        };
        let s = stage(1, CHECKPOINT);
        // Exactly at the due time is still in time.
        let on_time = [entry("check", Agency::Police, "2006-12-24T12:00:00Z")];
        let r = judge(&x, &s, &on_time, &[], &[]);
        assert_eq!((r.outcome, r.points), (ExpectationOutcome::Met, 3));
        let late = [entry("check", Agency::Police, "2006-12-24T12:00:01Z")];
        let r = judge(&x, &s, &late, &[], &[]);
        assert_eq!((r.outcome, r.points), (ExpectationOutcome::MetLate, 1));
    }

    #[test]
    fn only_the_expected_agency_and_record_count() {
        let e = check_on_partner();
        let x = Expected {
            checkpoint: 1,
            at: at(CHECKPOINT),
            expectation: &e,
        };
        let s = stage(1, CHECKPOINT);
        let others = [
            entry("contact", Agency::Police, "2006-12-23T10:00:00Z"),
            entry("person", Agency::SocialCare, "2006-12-23T10:00:00Z"),
            // Before the checkpoint's day: about an earlier stage.
            entry("check", Agency::Police, "2006-12-21T23:59:59Z"),
        ];
        assert_eq!(
            judge(&x, &s, &others, &[], &[]).outcome,
            ExpectationOutcome::Open
        );
        let mut kinded = check_on_partner();
        kinded.record = ExpectedRecord::Contact;
        kinded.kind = Some(ContactKind::HomeVisit);
        kinded.agency = None;
        let x = Expected {
            checkpoint: 1,
            at: at(CHECKPOINT),
            expectation: &kinded,
        };
        let mut visit = entry("contact", Agency::SocialCare, "2006-12-23T10:00:00Z");
        assert_eq!(
            judge(&x, &s, &[visit.clone()], &[], &[]).outcome,
            ExpectationOutcome::Open
        );
        visit.kind = Some("home_visit".into());
        assert_eq!(
            judge(&x, &s, &[visit], &[], &[]).outcome,
            ExpectationOutcome::Met
        );
    }

    #[test]
    fn an_entry_backdated_after_its_time_has_passed_counts_as_late() {
        let e = check_on_partner();
        let x = Expected {
            checkpoint: 1,
            at: at(CHECKPOINT),
            expectation: &e,
        };
        let s = stage(2, "2007-01-26T12:00:00Z");
        // The room was released checkpoint 1 at 09:00 and checkpoint 2 at 10:00 (real time).
        let history = [
            (at("2026-11-28T09:00:00Z"), Some(at(CHECKPOINT))),
            (at("2026-11-28T10:00:00Z"), Some(at("2007-01-26T12:00:00Z"))),
        ];
        let mut check = entry("check", Agency::Police, "2006-12-23T10:00:00Z");
        check.recorded_at = at("2026-11-28T09:30:00Z");
        let r = judge(&x, &s, &[check.clone()], &history, &[]);
        assert_eq!(
            (r.outcome, r.at),
            (ExpectationOutcome::Met, Some(at("2006-12-23T10:00:00Z")))
        );
        // Recorded once the room had moved on, dated back into the window: late.
        check.recorded_at = at("2026-11-28T10:00:00Z");
        let r = judge(&x, &s, &[check], &history, &[]);
        assert_eq!(
            (r.outcome, r.at),
            (
                ExpectationOutcome::MetLate,
                Some(at("2007-01-26T12:00:00Z"))
            )
        );
    }

    #[test]
    fn nothing_is_open_until_due_then_missed_and_unreleased_is_not_scored() {
        let e = check_on_partner();
        let x = Expected {
            checkpoint: 2,
            at: at(CHECKPOINT),
            expectation: &e,
        };
        let r = judge(&x, &stage(1, "2006-12-01T00:00:00Z"), &[], &[], &[]);
        assert_eq!(r.outcome, ExpectationOutcome::NotReleased);
        assert_eq!(
            judge(&x, &stage(2, "2006-12-24T12:00:00Z"), &[], &[], &[]).outcome,
            ExpectationOutcome::Open
        );
        assert_eq!(
            judge(&x, &stage(2, "2006-12-24T12:00:01Z"), &[], &[], &[]).outcome,
            ExpectationOutcome::Missed
        );
        let ended = Stage {
            released: 2,
            clock: Some(at(CHECKPOINT)),
            ended: true,
        };
        assert_eq!(
            judge(&x, &ended, &[], &[], &[]).outcome,
            ExpectationOutcome::Missed
        );
        let (score, _) = score(&[x], &stage(1, CHECKPOINT), &[], &[], &[]);
        assert_eq!((score.possible, score.points), (0, 0));
    }

    #[test]
    fn a_decision_counts_at_its_checkpoint_and_late_at_a_later_one() {
        let mut e = check_on_partner();
        e.record = ExpectedRecord::Decision;
        let x = Expected {
            checkpoint: 1,
            at: at(CHECKPOINT),
            expectation: &e,
        };
        let now = at("2026-11-28T10:00:00Z");
        let d = |checkpoint, agency| DecisionFact {
            checkpoint,
            agency,
            recorded_at: now,
        };
        let s = stage(2, "2007-01-26T12:00:00Z");
        assert_eq!(
            judge(&x, &s, &[], &[], &[d(1, Agency::Police)]).outcome,
            ExpectationOutcome::Met
        );
        assert_eq!(
            judge(&x, &s, &[], &[], &[d(2, Agency::Police)]).outcome,
            ExpectationOutcome::MetLate
        );
        assert_eq!(
            judge(&x, &s, &[], &[], &[d(1, Agency::Health)]).outcome,
            ExpectationOutcome::Missed
        );
        assert_eq!(
            judge(&x, &stage(1, CHECKPOINT), &[], &[], &[]).outcome,
            ExpectationOutcome::Open
        );
        let (score, results) = score(&[x], &s, &[], &[], &[d(1, Agency::Police)]);
        assert_eq!((score.points, score.possible, score.met), (3, 3, 1));
        assert_eq!(results[0].points, 3);
    }
}
