//! The concern summary: per agency and for the whole record, over the contacts and the process
//! records that carry a concern (a referral with a concern level).

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::types::{AgencyConcerns, ConcernTotals, LatestEntry};
use crate::record::snapshot::Snapshot;
use crate::vocabulary::{Agency, ConcernCategory, ConcernLevel};

/// What the summary counts of one entry.
struct Concern<'a> {
    id: Uuid,
    agency: Agency,
    kind: &'a str,
    at: DateTime<Utc>,
    recorded_at: DateTime<Utc>,
    level: Option<ConcernLevel>,
    categories: &'a [ConcernCategory],
    injuries: usize,
}

fn entries(snapshot: &Snapshot) -> Vec<Concern<'_>> {
    let contacts = snapshot.contacts.iter().map(|c| Concern {
        id: c.id,
        agency: c.agency,
        kind: c.fields.kind.as_str(),
        at: c.at(),
        recorded_at: c.recorded_at,
        level: c.fields.concern_level,
        categories: &c.fields.concern_categories,
        injuries: c.fields.injuries.len(),
    });
    let process = snapshot.process.iter().filter_map(|p| {
        let (level, categories) = p.details.concern()?;
        Some(Concern {
            id: p.id,
            agency: p.agency,
            kind: p.details.record_type().as_str(),
            at: p.at,
            recorded_at: p.recorded_at,
            level: Some(level),
            categories,
            injuries: 0,
        })
    });
    contacts.chain(process).collect()
}

fn totals<'a>(entries: impl Iterator<Item = &'a Concern<'a>>) -> ConcernTotals {
    let mut t = ConcernTotals {
        entries: 0,
        highest_concern_level: None,
        by_category: Default::default(),
        injuries: 0,
        latest_entry: None,
    };
    let mut latest: Option<&Concern> = None;
    for c in entries {
        t.entries += 1;
        t.highest_concern_level = t.highest_concern_level.max(c.level);
        for category in c.categories {
            *t.by_category.entry(*category).or_default() += 1;
        }
        t.injuries += c.injuries;
        if latest.is_none_or(|l| (c.at, c.recorded_at) >= (l.at, l.recorded_at)) {
            latest = Some(c);
        }
    }
    t.latest_entry = latest.map(|c| LatestEntry {
        id: c.id,
        kind: c.kind.into(),
        occurred_at: c.at,
    });
    t
}

/// One summary per agency (all four, in order) and the totals.
pub fn concerns(snapshot: &Snapshot) -> (Vec<AgencyConcerns>, ConcernTotals) {
    let all = entries(snapshot);
    let agencies = Agency::ALL
        .iter()
        .map(|a| AgencyConcerns {
            agency: *a,
            totals: totals(all.iter().filter(|c| c.agency == *a)),
        })
        .collect();
    (agencies, totals(all.iter()))
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

    #[test]
    fn a_referral_with_a_concern_counts_for_its_agency() {
        use crate::safeguarding::types::Details;
        let mut r = referral(
            Agency::Police,
            day(4),
            crate::vocabulary::Referrer::Professional,
        );
        if let Details::Referral {
            concern_level,
            concern_categories,
            ..
        } = &mut r.details
        {
            *concern_level = Some(ConcernLevel::High);
            *concern_categories = vec![ConcernCategory::DomesticAbuse];
        }
        let quiet = referral(
            Agency::Police,
            day(5),
            crate::vocabulary::Referrer::Professional,
        );
        let s = with_process(
            snapshot(day(9), vec![call(Agency::Police, day(3))]),
            vec![r.clone(), quiet],
        );
        let (by_agency, total) = concerns(&s);
        let police = &by_agency[0].totals;
        assert_eq!(police.entries, 2);
        assert_eq!(police.highest_concern_level, Some(ConcernLevel::High));
        assert_eq!(
            police
                .latest_entry
                .as_ref()
                .map(|l| (l.id, l.kind.as_str())),
            Some((r.id, "referral"))
        );
        assert_eq!(
            total.by_category.get(&ConcernCategory::DomesticAbuse),
            Some(&1)
        );
    }
}
