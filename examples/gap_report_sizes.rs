//! How the gap report's computation grows with a record: builds records of 100, 1,000 and 10,000
//! contacts in memory (four agencies, a concern or an injury now and then, a day or two apart) and
//! times the whole report over each, as the service computes it for a reader who sees everything.
//! Run: `cargo run --release --example gap_report_sizes`.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use mash::combined::indicators::gap_report;
use mash::contacts::types::{ContactFields, Injury};
use mash::record::settings::RuleConfig;
use mash::record::snapshot::{ContactFact, Snapshot};
use mash::vocabulary::{Agency, ConcernLevel, ContactKind, InjuryType};

fn record(entries: usize) -> Snapshot {
    let start = Utc.with_ymd_and_hms(2000, 1, 1, 9, 0, 0).unwrap();
    let contacts: Vec<ContactFact> = (0..entries)
        .map(|i| {
            let at = start + Duration::hours(36 * i as i64);
            let kind = [
                ContactKind::HomeVisit,
                ContactKind::GpAppointment,
                ContactKind::PhoneCall,
            ][i % 3];
            let mut fields = ContactFields::new(at, kind, "entry");
            if i % 5 == 0 {
                fields.concern_level = Some(ConcernLevel::Medium);
            }
            if i % 11 == 0 {
                fields.injuries.push(Injury {
                    body_location: "arm".into(),
                    injury_type: InjuryType::Bruise,
                    description: None,
                });
            }
            ContactFact {
                id: uuid::Uuid::new_v4(),
                agency: Agency::ALL[i % 4],
                recorded_at: at,
                amended: false,
                fields,
            }
        })
        .collect();
    Snapshot {
        horizon: start + Duration::days(20 * 365),
        date_of_birth: None,
        contacts: Arc::new(contacts),
        people: Arc::default(),
        checks: Arc::default(),
        statuses: Arc::default(),
        process: Arc::default(),
    }
}

fn main() {
    let config = RuleConfig::default();
    println!("entries | reports/s (one core) | ms per report | evidence ids in the answer");
    for entries in [100, 1_000, 10_000] {
        let snapshot = record(entries);
        let (reports, _) = gap_report(&snapshot, &config);
        let evidence: usize = reports.iter().map(|r| r.evidence.len()).sum();
        if std::env::var_os("BY_RULE").is_some() {
            for r in &reports {
                println!("  {entries}: {} {}", r.code, r.evidence.len());
            }
        }
        let runs = (200_000 / entries).max(5);
        let started = Instant::now();
        for _ in 0..runs {
            std::hint::black_box(gap_report(&snapshot, &config));
        }
        let each = started.elapsed().as_secs_f64() / runs as f64;
        println!(
            "{entries:>7} | {:>20.0} | {:>13.3} | {evidence}",
            1.0 / each,
            each * 1000.0
        );
    }
}
