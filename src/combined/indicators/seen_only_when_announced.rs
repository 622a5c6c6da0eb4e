//! Indicator 17: within 90 days, a visit or appointment recorded `announced: true` at which the child
//! was seen, and two or more recorded `announced: false` at which the child was not seen. Holds at
//! the last of them.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};

pub struct SeenOnlyWhenAnnounced;

fn seen_announced(c: &ContactFact) -> bool {
    c.is_visit() && c.fields.announced == Some(true) && c.child_seen()
}

fn unseen_unannounced(c: &ContactFact) -> bool {
    c.is_visit() && c.fields.announced == Some(false) && c.child_unseen()
}

impl Indicator for SeenOnlyWhenAnnounced {
    fn code(&self) -> &'static str {
        "seen_only_when_announced"
    }
    fn title(&self) -> &'static str {
        "The child is seen only when the visit is announced"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "Visit unannounced, jointly with police if need be, until the child is seen; ask what the \
         family prepares for announced visits, and see every room the child sleeps and plays in."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let relevant: Vec<&ContactFact> = s
            .contacts
            .iter()
            .filter(|c| seen_announced(c) || unseen_unannounced(c))
            .collect();
        relevant.iter().enumerate().find_map(|(i, last)| {
            let window: Vec<&&ContactFact> = relevant[..=i]
                .iter()
                .filter(|c| last.at() - c.at() <= config.announced_window)
                .collect();
            let seen = window.iter().any(|c| seen_announced(c));
            let unseen = window.iter().filter(|c| unseen_unannounced(c)).count();
            (seen && unseen >= config.unannounced_unseen_minimum.max(1)).then(|| Finding {
                first_held_at: last.at(),
                evidence: window.iter().map(|c| contact_evidence(c)).collect(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::{Agency, Attendance, ContactKind};
    use chrono::{DateTime, Duration, Utc};

    fn visit(agency: Agency, at: DateTime<Utc>, announced: bool, seen: bool) -> ContactFact {
        let mut c = contact(agency, at, ContactKind::HomeVisit);
        c.fields.announced = Some(announced);
        c.fields.child_seen = Some(seen);
        c
    }

    #[test]
    fn seen_when_announced_and_twice_not_when_unannounced_holds_at_the_last() {
        let mut door_shut = contact(Police, day(90), ContactKind::HomeVisit);
        door_shut.fields.announced = Some(false);
        door_shut.fields.attendance = Some(Attendance::NoAccess);
        let s = snapshot(
            day(300),
            vec![
                visit(SocialCare, day(0), false, false),
                visit(SocialCare, day(45), true, true),
                door_shut,
            ],
        );
        let f = SeenOnlyWhenAnnounced
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(90), 3));
        // Neither agency alone holds both kinds of visit twice.
        for agency in [SocialCare, Police] {
            assert!(
                SeenOnlyWhenAnnounced
                    .evaluate(&s.only(agency), &RuleConfig::default())
                    .is_none()
            );
        }
    }

    #[test]
    fn a_day_too_long_a_single_miss_or_unrecorded_announcement_is_quiet() {
        let cfg = RuleConfig::default();
        let spread = snapshot(
            day(300),
            vec![
                visit(SocialCare, day(0), false, false),
                visit(SocialCare, day(45), true, true),
                visit(SocialCare, day(90) + Duration::seconds(1), false, false),
            ],
        );
        assert!(SeenOnlyWhenAnnounced.evaluate(&spread, &cfg).is_none());
        let once = snapshot(
            day(300),
            vec![
                visit(SocialCare, day(0), false, false),
                visit(SocialCare, day(45), true, true),
            ],
        );
        assert!(SeenOnlyWhenAnnounced.evaluate(&once, &cfg).is_none());
        let mut unrecorded = visit(SocialCare, day(60), false, false);
        unrecorded.fields.announced = None;
        let s = snapshot(
            day(300),
            vec![
                visit(SocialCare, day(0), false, false),
                visit(SocialCare, day(45), true, true),
                unrecorded,
            ],
        );
        assert!(SeenOnlyWhenAnnounced.evaluate(&s, &cfg).is_none());
        // Never seen at all is another rule's (15), not this one.
        let never = snapshot(
            day(300),
            vec![
                visit(SocialCare, day(0), false, false),
                visit(SocialCare, day(45), true, false),
                visit(SocialCare, day(50), false, false),
            ],
        );
        assert!(SeenOnlyWhenAnnounced.evaluate(&never, &cfg).is_none());
    }
}
