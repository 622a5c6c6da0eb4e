//! Indicator 7: A visit or appointment at which the child was not seen, or an entry recording that the child's
//! appearance was obscured, within 30 days after an injury was recorded.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};

pub struct ConcealmentSuspected;

/// Not seen where the child was expected, or seen obscured. Absent observations mean "not recorded".
fn concealing(c: &ContactFact) -> bool {
    (c.fields.kind.expects_child_present() && c.fields.child_seen == Some(false))
        || c.fields.appearance_obscured == Some(true)
}

impl Indicator for ConcealmentSuspected {
    fn code(&self) -> &'static str {
        "concealment_suspected"
    }
    fn title(&self) -> &'static str {
        "Child not seen, or hidden, soon after an injury"
    }
    fn severity(&self) -> Severity {
        Severity::High
    }
    fn recommended_action(&self) -> &'static str {
        "See the child in person, unannounced, and examine them: ask why they were hidden."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let window = config.concealment_window;
        let injuries_before = |c: &ContactFact| -> Vec<&ContactFact> {
            s.contacts
                .iter()
                .filter(|i| {
                    i.id != c.id
                        && i.has_injuries()
                        && i.at() <= c.at()
                        && c.at() <= i.at() + window
                })
                .collect()
        };
        let found: Vec<(&ContactFact, Vec<&ContactFact>)> = s
            .contacts
            .iter()
            .filter(|c| concealing(c))
            .map(|c| (c, injuries_before(c)))
            .filter(|(_, i)| !i.is_empty())
            .collect();
        let first_held_at = found.iter().map(|(c, _)| c.at()).min()?;
        // The evidence is the sighting that held first, with the injuries before it.
        let mut evidence: Vec<_> = found
            .iter()
            .filter(|(c, _)| c.at() == first_held_at)
            .flat_map(|(c, injuries)| {
                injuries
                    .iter()
                    .chain(std::iter::once(c))
                    .map(|e| contact_evidence(e))
            })
            .collect();
        evidence.sort_by_key(|e| (e.occurred_at, e.entry_id));
        evidence.dedup();
        Some(Finding {
            first_held_at,
            evidence,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::ContactKind;

    fn visit(at: chrono::DateTime<chrono::Utc>) -> ContactFact {
        contact(SocialCare, at, ContactKind::HomeVisit)
    }

    #[test]
    fn holds_when_the_child_is_hidden_within_30_days_of_an_injury() {
        let mut chocolate = visit(day(30));
        chocolate.fields.appearance_obscured = Some(true);
        let s = snapshot(day(99), vec![injured(call(Police, day(0))), chocolate]);
        let f = ConcealmentSuspected
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(30), 2));
        let mut unseen = contact(Health, day(10), ContactKind::ClinicAppointment);
        unseen.fields.child_seen = Some(false);
        let s = snapshot(day(99), vec![injured(call(Health, day(0))), unseen]);
        assert_eq!(
            ConcealmentSuspected
                .evaluate(&s, &RuleConfig::default())
                .unwrap()
                .first_held_at,
            day(10)
        );
    }

    #[test]
    fn too_late_unrecorded_or_a_phone_call_is_a_miss() {
        let cfg = RuleConfig::default();
        let mut late = visit(day(31));
        late.fields.appearance_obscured = Some(true);
        assert!(
            ConcealmentSuspected
                .evaluate(
                    &snapshot(day(99), vec![injured(call(Police, day(0))), late]),
                    &cfg
                )
                .is_none()
        );
        let unrecorded = visit(day(5));
        assert!(
            ConcealmentSuspected
                .evaluate(
                    &snapshot(day(99), vec![injured(call(Police, day(0))), unrecorded]),
                    &cfg
                )
                .is_none()
        );
        let mut phone = call(SocialCare, day(5));
        phone.fields.child_seen = Some(false);
        assert!(
            ConcealmentSuspected
                .evaluate(
                    &snapshot(day(99), vec![injured(call(Police, day(0))), phone]),
                    &cfg
                )
                .is_none()
        );
    }
}
