//! Indicator 16: two or more health contacts of a visit or appointment kind within 180 days with
//! attendance `was_not_brought` or `cancelled_by_carer`; one is enough while the child is on a child
//! protection plan. Holds at the second (or the one).

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};
use crate::vocabulary::{Agency, Attendance, ChildStatus};

pub struct WasNotBroughtPattern;

fn not_brought(c: &ContactFact) -> bool {
    c.agency == Agency::Health
        && c.is_visit()
        && matches!(
            c.fields.attendance,
            Some(Attendance::WasNotBrought | Attendance::CancelledByCarer)
        )
}

impl Indicator for WasNotBroughtPattern {
    fn code(&self) -> &'static str {
        "was_not_brought_pattern"
    }
    fn title(&self) -> &'static str {
        "The child is not being brought to health appointments"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn recommended_action(&self) -> &'static str {
        "Treat a child not brought as a child whose needs are not met, not a missed appointment: \
         contact the family the same day, tell the GP, health visitor and social worker, and rebook."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let missed: Vec<&ContactFact> = s.contacts.iter().filter(|c| not_brought(c)).collect();
        let needed = |at| {
            if s.status_at(at) == ChildStatus::ChildProtectionPlan {
                1
            } else {
                config.not_brought_minimum.max(1)
            }
        };
        missed.iter().enumerate().find_map(|(i, last)| {
            let run: Vec<_> = missed[..=i]
                .iter()
                .filter(|c| last.at() - c.at() <= config.not_brought_window)
                .collect();
            (run.len() >= needed(last.at())).then(|| Finding {
                first_held_at: last.at(),
                evidence: run.iter().map(|c| contact_evidence(c)).collect(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::ContactKind;
    use chrono::Duration;

    fn missed(agency: Agency, at: chrono::DateTime<chrono::Utc>, why: Attendance) -> ContactFact {
        let mut c = contact(agency, at, ContactKind::ClinicAppointment);
        c.fields.attendance = Some(why);
        c
    }

    #[test]
    fn two_within_180_days_hold_at_the_second() {
        let s = snapshot(
            day(400),
            vec![
                missed(Health, day(0), Attendance::WasNotBrought),
                missed(Health, day(180), Attendance::CancelledByCarer),
            ],
        );
        let f = WasNotBroughtPattern
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(180), 2));
        // Health sees it alone: both are its own.
        assert!(
            WasNotBroughtPattern
                .evaluate(&s.only(Health), &RuleConfig::default())
                .is_some()
        );
        assert!(
            WasNotBroughtPattern
                .evaluate(&s.only(SocialCare), &RuleConfig::default())
                .is_none()
        );
    }

    #[test]
    fn a_second_too_late_another_agency_or_no_access_is_quiet() {
        let cfg = RuleConfig::default();
        let late = snapshot(
            day(400),
            vec![
                missed(Health, day(0), Attendance::WasNotBrought),
                missed(
                    Health,
                    day(180) + Duration::seconds(1),
                    Attendance::WasNotBrought,
                ),
            ],
        );
        assert!(WasNotBroughtPattern.evaluate(&late, &cfg).is_none());
        let others = snapshot(
            day(400),
            vec![
                missed(Health, day(0), Attendance::WasNotBrought),
                missed(SocialCare, day(10), Attendance::WasNotBrought),
                missed(Health, day(20), Attendance::NoAccess),
                missed(Health, day(30), Attendance::Attended),
            ],
        );
        assert!(WasNotBroughtPattern.evaluate(&others, &cfg).is_none());
    }

    #[test]
    fn on_a_plan_one_is_enough() {
        let cfg = RuleConfig::default();
        let s = snapshot(
            day(400),
            vec![missed(Health, day(50), Attendance::WasNotBrought)],
        );
        assert!(WasNotBroughtPattern.evaluate(&s, &cfg).is_none());
        let planned = with_status(s.clone(), ChildStatus::ChildProtectionPlan, day(50));
        assert_eq!(
            WasNotBroughtPattern
                .evaluate(&planned, &cfg)
                .unwrap()
                .first_held_at,
            day(50)
        );
        let after = with_status(s, ChildStatus::ChildProtectionPlan, day(51));
        assert!(WasNotBroughtPattern.evaluate(&after, &cfg).is_none());
    }
}
