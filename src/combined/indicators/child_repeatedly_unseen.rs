//! Indicator 15: three or more visits or appointments within 90 days at which the child was not seen
//! (`child_seen: false`, or attendance `was_not_brought`, `cancelled_by_carer` or `no_access`), with
//! no visit or appointment between the first and the last at which the child was seen. Holds at the
//! third.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};

pub struct ChildRepeatedlyUnseen;

/// The unseen visits, oldest first, of the first run that reaches `minimum` within `window` with
/// no sighting between: the first to hold, and its evidence.
pub(super) fn first_run<'a>(
    visits: &[&'a ContactFact],
    unseen: impl Fn(&ContactFact) -> bool,
    seen: impl Fn(&ContactFact) -> bool,
    window: chrono::Duration,
    minimum: usize,
) -> Option<Vec<&'a ContactFact>> {
    (0..visits.len()).find_map(|last| {
        let end = visits[last];
        if !unseen(end) {
            return None;
        }
        let mut run = Vec::new();
        for v in visits[..=last].iter().rev() {
            if end.at() - v.at() > window || seen(v) {
                break;
            }
            if unseen(v) {
                run.push(*v);
            }
        }
        (run.len() >= minimum.max(1)).then(|| {
            run.reverse();
            run
        })
    })
}

impl Indicator for ChildRepeatedlyUnseen {
    fn code(&self) -> &'static str {
        "child_repeatedly_unseen"
    }
    fn title(&self) -> &'static str {
        "The child has not been seen at visit after visit"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "See the child within 24 hours: a joint, unannounced visit, and a check of who else has seen \
         the child (school, nursery, GP); if no one can, ask police to check the child's safety."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let visits: Vec<&ContactFact> = s.contacts.iter().filter(|c| c.is_visit()).collect();
        let run = first_run(
            &visits,
            ContactFact::child_unseen,
            ContactFact::child_seen,
            config.unseen_window,
            config.unseen_minimum,
        )?;
        Some(Finding {
            first_held_at: run.last()?.at(),
            evidence: run.into_iter().map(contact_evidence).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::{Attendance, ContactKind};
    use chrono::Duration;

    fn unseen(agency: crate::vocabulary::Agency, at: chrono::DateTime<chrono::Utc>) -> ContactFact {
        let mut c = contact(agency, at, ContactKind::HomeVisit);
        c.fields.child_seen = Some(false);
        c
    }

    fn not_brought(at: chrono::DateTime<chrono::Utc>, why: Attendance) -> ContactFact {
        let mut c = contact(Health, at, ContactKind::ClinicAppointment);
        c.fields.attendance = Some(why);
        c
    }

    #[test]
    fn three_unseen_within_90_days_hold_at_the_third() {
        let s = snapshot(
            day(200),
            vec![
                unseen(SocialCare, day(0)),
                not_brought(day(40), Attendance::WasNotBrought),
                not_brought(day(90), Attendance::NoAccess),
            ],
        );
        let f = ChildRepeatedlyUnseen
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(90), 3));
    }

    #[test]
    fn a_day_too_long_a_sighting_between_or_unrecorded_sightings_are_quiet() {
        let cfg = RuleConfig::default();
        let spread = snapshot(
            day(200),
            vec![
                unseen(SocialCare, day(0)),
                unseen(SocialCare, day(40)),
                unseen(Health, day(90) + Duration::seconds(1)),
            ],
        );
        assert!(ChildRepeatedlyUnseen.evaluate(&spread, &cfg).is_none());
        let mut seen = contact(Health, day(20), ContactKind::GpAppointment);
        seen.fields.child_seen = Some(true);
        let broken = snapshot(
            day(200),
            vec![
                unseen(SocialCare, day(0)),
                seen,
                unseen(SocialCare, day(40)),
                unseen(Health, day(60)),
            ],
        );
        assert!(ChildRepeatedlyUnseen.evaluate(&broken, &cfg).is_none());
        // Nothing recorded about sight is not "not seen"; a phone call is not a visit.
        let mut call_unseen = call(Police, day(10));
        call_unseen.fields.child_seen = Some(false);
        let unrecorded = snapshot(
            day(200),
            vec![
                unseen(SocialCare, day(0)),
                contact(Health, day(5), ContactKind::HomeVisit),
                call_unseen,
                unseen(Health, day(60)),
            ],
        );
        assert!(ChildRepeatedlyUnseen.evaluate(&unrecorded, &cfg).is_none());
        let attended = snapshot(
            day(200),
            vec![
                unseen(SocialCare, day(0)),
                not_brought(day(10), Attendance::Attended),
                unseen(SocialCare, day(20)),
                unseen(Health, day(30)),
            ],
        );
        assert_eq!(
            ChildRepeatedlyUnseen
                .evaluate(&attended, &cfg)
                .map(|f| f.first_held_at),
            None,
            "attending is being seen: only two unseen after it"
        );
    }

    #[test]
    fn no_agency_alone_may_hold_three() {
        let s = snapshot(
            day(200),
            vec![
                unseen(SocialCare, day(0)),
                not_brought(day(30), Attendance::CancelledByCarer),
                unseen(Police, day(60)),
            ],
        );
        let cfg = RuleConfig::default();
        assert!(ChildRepeatedlyUnseen.evaluate(&s, &cfg).is_some());
        for agency in [SocialCare, Health, Police] {
            assert!(
                ChildRepeatedlyUnseen
                    .evaluate(&s.only(agency), &cfg)
                    .is_none()
            );
        }
        let two = RuleConfig {
            unseen_minimum: 2,
            ..RuleConfig::default()
        };
        assert_eq!(
            ChildRepeatedlyUnseen
                .evaluate(&s, &two)
                .unwrap()
                .first_held_at,
            day(30)
        );
    }
}
