//! Indicator 9: Ten or more contacts by three or more agencies within 90 days while the child's status stayed
//! below a child protection plan or no strategy discussion was held.

use std::collections::BTreeSet;

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};
use crate::vocabulary::ChildStatus;

pub struct ManyContactsNoEscalation;

impl Indicator for ManyContactsNoEscalation {
    fn code(&self) -> &'static str {
        "many_contacts_no_escalation"
    }
    fn title(&self) -> &'static str {
        "Many contacts, no escalation"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn recommended_action(&self) -> &'static str {
        "Convene a strategy discussion and consider a child protection plan."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let w = config.many_contacts_window;
        let contacts = &s.contacts;
        let mut start = 0;
        for (i, c) in contacts.iter().enumerate() {
            let moment = c.at();
            // Include every contact at this same moment.
            if contacts.get(i + 1).is_some_and(|n| n.at() == moment) {
                continue;
            }
            while contacts[start].at() < moment - w {
                start += 1;
            }
            let window: &[ContactFact] = &contacts[start..=i];
            let agencies: BTreeSet<_> = window.iter().map(|c| c.agency).collect();
            // A strategy discussion in the window: a contact of that kind, or the process's own.
            let unescalated = s.status_at(moment) < ChildStatus::ChildProtectionPlan
                || !s
                    .strategy_discussions()
                    .any(|at| at >= moment - w && at <= moment);
            if window.len() >= config.many_contacts_minimum
                && agencies.len() >= config.many_contacts_agencies
                && unescalated
            {
                return Some(Finding {
                    first_held_at: moment,
                    evidence: window.iter().map(contact_evidence).collect(),
                });
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::ContactKind;

    fn busy(last_day: i64) -> Vec<ContactFact> {
        let agencies = [Police, Health, SocialCare];
        (0..10)
            .map(|i| {
                call(
                    agencies[i % 3],
                    day(if i == 9 { last_day } else { i as i64 }),
                )
            })
            .collect()
    }

    #[test]
    fn holds_at_the_tenth_contact_within_90_days() {
        let f = ManyContactsNoEscalation
            .evaluate(&snapshot(day(200), busy(90)), &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(90), 10));
    }

    #[test]
    fn a_day_late_two_agencies_or_full_escalation_is_a_miss() {
        let cfg = RuleConfig::default();
        // Day 91: the first contact (day 0) has left the window.
        assert!(
            ManyContactsNoEscalation
                .evaluate(&snapshot(day(200), busy(91)), &cfg)
                .is_none()
        );
        let two: Vec<ContactFact> = (0..10)
            .map(|i| call([Police, Health][i % 2], day(i as i64)))
            .collect();
        assert!(
            ManyContactsNoEscalation
                .evaluate(&snapshot(day(200), two), &cfg)
                .is_none()
        );
        let mut escalated = busy(9);
        escalated[0].fields.kind = ContactKind::StrategyDiscussion;
        let s = with_status(
            snapshot(day(200), escalated),
            ChildStatus::ChildProtectionPlan,
            day(0),
        );
        assert!(ManyContactsNoEscalation.evaluate(&s, &cfg).is_none());
    }
}
