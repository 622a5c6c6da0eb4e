//! The concern summary: per agency and for the whole record.

use super::snapshot::{ContactFact, Snapshot};
use super::types::{AgencyConcerns, ConcernTotals, LatestEntry};
use crate::vocabulary::Agency;

fn totals<'a>(contacts: impl Iterator<Item = &'a ContactFact>) -> ConcernTotals {
    let mut t = ConcernTotals {
        entries: 0,
        highest_concern_level: None,
        by_category: Default::default(),
        injuries: 0,
        latest_entry: None,
    };
    let mut latest: Option<&ContactFact> = None;
    for c in contacts {
        t.entries += 1;
        t.highest_concern_level = t.highest_concern_level.max(c.fields.concern_level);
        for category in &c.fields.concern_categories {
            *t.by_category.entry(*category).or_default() += 1;
        }
        t.injuries += c.fields.injuries.len();
        if latest.is_none_or(|l| (c.at(), c.recorded_at) >= (l.at(), l.recorded_at)) {
            latest = Some(c);
        }
    }
    t.latest_entry = latest.map(|c| LatestEntry {
        id: c.id,
        kind: c.fields.kind.as_str().into(),
        occurred_at: c.at(),
    });
    t
}

/// One summary per agency (all four, in order) and the totals.
pub fn concerns(snapshot: &Snapshot) -> (Vec<AgencyConcerns>, ConcernTotals) {
    let agencies = Agency::ALL
        .iter()
        .map(|a| AgencyConcerns {
            agency: *a,
            totals: totals(snapshot.contacts.iter().filter(|c| c.agency == *a)),
        })
        .collect();
    (agencies, totals(snapshot.contacts.iter()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combined::indicators::testing::*;
    use crate::vocabulary::{ConcernCategory, ConcernLevel};

    #[test]
    fn counts_levels_categories_injuries_and_the_latest_entry() {
        let mut a = level(injured(call(Agency::Health, day(0))), ConcernLevel::High);
        a.fields.concern_categories = vec![ConcernCategory::PhysicalInjury];
        let b = level(call(Agency::Health, day(5)), ConcernLevel::Low);
        let c = call(Agency::Police, day(3));
        let (by_agency, total) = concerns(&snapshot(day(9), vec![a, b.clone(), c]));
        let health = &by_agency
            .iter()
            .find(|x| x.agency == Agency::Health)
            .unwrap()
            .totals;
        assert_eq!((health.entries, health.injuries), (2, 1));
        assert_eq!(health.highest_concern_level, Some(ConcernLevel::High));
        assert_eq!(
            health.by_category.get(&ConcernCategory::PhysicalInjury),
            Some(&1)
        );
        assert_eq!(health.latest_entry.as_ref().unwrap().id, b.id);
        assert_eq!(
            by_agency
                .iter()
                .find(|x| x.agency == Agency::Legal)
                .unwrap()
                .totals
                .entries,
            0
        );
        assert_eq!((total.entries, total.injuries), (3, 1));
    }
}
