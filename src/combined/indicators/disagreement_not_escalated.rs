//! Indicator 22: a professional disagreement (rule 5) held, and no agency raised a challenge in the
//! 5 working days after it first held. Holds when those days end.

use super::professional_disagreement::ProfessionalDisagreement;
use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::Snapshot;
use crate::record::working_days::working_days_after;
use crate::safeguarding::types::Details;

pub struct DisagreementNotEscalated;

impl Indicator for DisagreementNotEscalated {
    fn code(&self) -> &'static str {
        "disagreement_not_escalated"
    }
    fn title(&self) -> &'static str {
        "Agencies disagreed, and nobody challenged it"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Raise a challenge under the escalation procedure: practitioners first, then managers, until the disagreement is resolved or taken to the safeguarding partnership."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let disagreement = ProfessionalDisagreement.evaluate(s, config)?;
        let start = disagreement.first_held_at;
        let end = working_days_after(start, config.disagreement_challenge_working_days);
        let challenged = s.process.iter().any(|p| {
            matches!(p.details, Details::Challenge { .. }) && p.at >= start && p.at <= end
        });
        (!challenged && end <= s.horizon).then_some(Finding {
            first_held_at: end,
            evidence: disagreement.evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::record::snapshot::{ContactFact, Snapshot};
    use crate::record::working_days::end_of;
    use crate::vocabulary::{Agency, ConcernLevel, Opinion};
    use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
    use uuid::Uuid;

    fn at(m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2007, m, d, 10, 0, 0).unwrap()
    }

    /// Social care at medium on 10 January; health's opinion of non-accidental injury on Friday
    /// 26 January: rule 5 holds then.
    fn disagreeing(horizon: DateTime<Utc>) -> Snapshot {
        let mut nai = call(Agency::Health, at(1, 26));
        nai.fields.opinion = Some(Opinion::NonAccidentalInjurySuspected);
        let contacts: Vec<ContactFact> = vec![
            level(call(Agency::SocialCare, at(1, 10)), ConcernLevel::Medium),
            nai,
        ];
        snapshot(horizon, contacts)
    }

    fn challenge(when: DateTime<Utc>) -> crate::record::snapshot::ProcessFact {
        process(
            Agency::Health,
            when,
            Details::Challenge {
                challenged_agency: Agency::SocialCare,
                entry_id: Uuid::new_v4(),
                entry_kind: "home_visit".into(),
                concern: "c".into(),
                level: 1,
            },
        )
    }

    #[test]
    fn holds_five_working_days_after_the_disagreement_with_no_challenge() {
        // Five working days after Friday 26 January: Friday 2 February, at its end.
        let end = end_of(NaiveDate::from_ymd_opt(2007, 2, 2).unwrap());
        let cfg = RuleConfig::default();
        let f = DisagreementNotEscalated
            .evaluate(&disagreeing(end), &cfg)
            .unwrap();
        assert_eq!(f.first_held_at, end);
        assert!(!f.evidence.is_empty());
        assert!(
            DisagreementNotEscalated
                .evaluate(&disagreeing(end - Duration::seconds(1)), &cfg)
                .is_none()
        );
    }

    #[test]
    fn a_challenge_inside_the_days_answers_it_and_one_after_them_does_not() {
        let end = end_of(NaiveDate::from_ymd_opt(2007, 2, 2).unwrap());
        let cfg = RuleConfig::default();
        let far = end + Duration::days(30);
        let in_time = with_process(disagreeing(far), vec![challenge(end - Duration::hours(1))]);
        assert!(DisagreementNotEscalated.evaluate(&in_time, &cfg).is_none());
        let late = with_process(disagreeing(far), vec![challenge(end + Duration::hours(1))]);
        assert_eq!(
            DisagreementNotEscalated
                .evaluate(&late, &cfg)
                .unwrap()
                .first_held_at,
            end
        );
    }

    #[test]
    fn no_single_agency_sees_a_disagreement_alone() {
        let end = end_of(NaiveDate::from_ymd_opt(2007, 2, 2).unwrap());
        let s = disagreeing(end);
        for agency in Agency::ALL {
            assert!(
                DisagreementNotEscalated
                    .evaluate(&s.only(*agency), &RuleConfig::default())
                    .is_none()
            );
        }
    }
}
