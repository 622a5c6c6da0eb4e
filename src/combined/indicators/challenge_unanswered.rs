//! Indicator 21: a challenge past its response date: the challenged agency did not answer by the
//! end of the working days its level allows. Holds at that due moment.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::process_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::Snapshot;
use crate::record::working_days::working_days_after;
use crate::safeguarding::types::{Details, EventDetails};

pub struct ChallengeUnanswered;

impl Indicator for ChallengeUnanswered {
    fn code(&self) -> &'static str {
        "challenge_unanswered"
    }
    fn title(&self) -> &'static str {
        "A challenge between agencies went unanswered"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn recommended_action(&self) -> &'static str {
        "Escalate to the next level of the escalation procedure and ask the challenged agency's manager for an answer today."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        s.process
            .iter()
            .filter_map(|p| {
                let Details::Challenge { level, .. } = p.details else {
                    return None;
                };
                let due = working_days_after(p.at, config.challenge_working_days(level));
                let answered = p
                    .first(|d| matches!(d, EventDetails::Responded { .. }).then_some(()))
                    .is_some_and(|(_, e)| e.at <= due);
                (!answered && due <= s.horizon).then(|| Finding {
                    first_held_at: due,
                    evidence: vec![process_evidence(p)],
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
    use crate::record::working_days::end_of;
    use crate::vocabulary::{Agency, ChallengeResponse};
    use chrono::{Duration, NaiveDate, TimeZone, Utc};
    use uuid::Uuid;

    /// Health challenges legal's advice on Monday 23 July 2007, at `level`.
    fn challenge(level: u8) -> ProcessFact {
        process(
            Agency::Health,
            Utc.with_ymd_and_hms(2007, 7, 23, 10, 0, 0).unwrap(),
            Details::Challenge {
                challenged_agency: Agency::Legal,
                entry_id: Uuid::new_v4(),
                entry_kind: "legal_planning_meeting".into(),
                concern: "c".into(),
                level,
            },
        )
    }

    fn answered(mut p: ProcessFact, at: chrono::DateTime<Utc>) -> ProcessFact {
        p.events.push(event(
            at,
            EventDetails::Responded {
                response: ChallengeResponse::Upheld,
                reason: "r".into(),
            },
        ));
        p
    }

    fn held(p: ProcessFact, horizon: chrono::DateTime<Utc>) -> Option<Finding> {
        ChallengeUnanswered.evaluate(
            &with_process(snapshot(horizon, vec![]), vec![p]),
            &RuleConfig::default(),
        )
    }

    #[test]
    fn holds_when_the_levels_working_days_end_unanswered() {
        // Five working days after Monday 23 July: Monday 30 July, at its end.
        let due = end_of(NaiveDate::from_ymd_opt(2007, 7, 30).unwrap());
        let f = held(challenge(1), due).unwrap();
        assert_eq!(f.first_held_at, due);
        assert_eq!(f.evidence.len(), 1);
        assert!(held(challenge(1), due - Duration::seconds(1)).is_none());
        // Level 3 allows ten: Monday 6 August.
        let later = end_of(NaiveDate::from_ymd_opt(2007, 8, 6).unwrap());
        assert!(held(challenge(3), later - Duration::seconds(1)).is_none());
        assert_eq!(held(challenge(3), later).unwrap().first_held_at, later);
    }

    #[test]
    fn an_answer_by_the_due_moment_keeps_it_quiet_and_a_later_one_does_not() {
        let due = end_of(NaiveDate::from_ymd_opt(2007, 7, 30).unwrap());
        let far = due + Duration::days(60);
        assert!(held(answered(challenge(1), due), far).is_none());
        let late = held(answered(challenge(1), due + Duration::microseconds(1)), far).unwrap();
        assert_eq!(late.first_held_at, due);
    }

    #[test]
    fn the_challenger_alone_sees_it_unanswered_the_answer_being_the_challenged_agencys() {
        let due = end_of(NaiveDate::from_ymd_opt(2007, 7, 30).unwrap());
        let mut p = answered(challenge(1), due - Duration::days(2));
        p.events[0].agency = Agency::Legal;
        let s = with_process(snapshot(due + Duration::days(1), vec![]), vec![p]);
        assert!(
            ChallengeUnanswered
                .evaluate(&s, &RuleConfig::default())
                .is_none()
        );
        let health = s.only(Agency::Health);
        assert!(
            ChallengeUnanswered
                .evaluate(&health, &RuleConfig::default())
                .is_some()
        );
    }
}
