//! Whole child records kept in memory between requests for the combined views. A record only grows,
//! and every entry added bumps the child's record version in the same transaction, so a record read
//! after its version is current for as long as the version stays the same. Readers of the same
//! record at the same version share one read of the database.

use crate::record::settings::RuleConfig;
use std::sync::Arc;

use quick_cache::sync::{Cache, DefaultLifecycle};
use quick_cache::{DefaultHashBuilder, OptionsBuilder, Weighter};
use sqlx::PgPool;
use uuid::Uuid;

use super::kept::KeptRecord;
use super::stored;
use crate::children::types::Child;

/// Most entries (contacts, amendments, people, checks, process records and their events) held in
/// memory across all records: a few tens of megabytes. A record of up to half as many entries is
/// kept whole; a larger one is read again for every view.
const MAX_ENTRIES: u64 = 80_000;

#[derive(Clone)]
struct Entries;

impl Weighter<(Uuid, i64), Arc<KeptRecord>> for Entries {
    fn weight(&self, _: &(Uuid, i64), kept: &Arc<KeptRecord>) -> u64 {
        // Each entry is held twice: as read, and in the whole view.
        1 + 2 * kept.stored.entries() as u64
    }
}

pub struct RecordCache {
    records: Cache<(Uuid, i64), Arc<KeptRecord>, Entries, DefaultHashBuilder>,
    /// The rules the kept records' clocks are read with.
    config: RuleConfig,
}

impl RecordCache {
    pub fn new(config: RuleConfig) -> Self {
        // One shard: a shard holds only its share of the weight, and a record heavier than that
        // share would never be kept (with the default shards, none over about 5,000 entries was).
        let options = OptionsBuilder::new()
            .estimated_items_capacity(64)
            .weight_capacity(MAX_ENTRIES)
            .shards(1)
            .build()
            .expect("the cache's options are valid");
        RecordCache {
            config,
            records: Cache::with_options(
                options,
                Entries,
                DefaultHashBuilder::default(),
                DefaultLifecycle::default(),
            ),
        }
    }
}

impl RecordCache {
    /// The whole record of `child`, current as of this call.
    pub async fn record(&self, db: &PgPool, child: &Child) -> sqlx::Result<Arc<KeptRecord>> {
        // Read before the record, so that what is loaded holds at least what this version says.
        let version: i64 = sqlx::query_scalar(
            "SELECT coalesce((SELECT version FROM child_record_versions WHERE child_id = $1), 0)",
        )
        .bind(child.id)
        .fetch_one(db)
        .await?;
        let key = (child.id, version);
        match self.records.get_value_or_guard_async(&key).await {
            Ok(record) => Ok(record),
            Err(guard) => {
                let record = Arc::new(KeptRecord::new(
                    stored::load(db, child.id).await?,
                    &self.config,
                ));
                let _ = guard.insert(record.clone());
                Ok(record)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::stored::{StoredRecord, StoredStatus};

    #[test]
    fn a_record_of_twenty_thousand_entries_is_kept() {
        let at = chrono::Utc::now();
        let stored = StoredRecord {
            date_of_birth: None,
            creator_agency: None,
            contacts: Vec::new(),
            people: Vec::new(),
            checks: Vec::new(),
            statuses: (0..20_000)
                .map(|_| StoredStatus {
                    status: crate::vocabulary::ChildStatus::ChildInNeed,
                    at,
                })
                .collect(),
            process: Vec::new(),
        };
        let cache = RecordCache::new(RuleConfig::default());
        let key = (Uuid::new_v4(), 1);
        cache.records.insert(
            key,
            Arc::new(KeptRecord::new(stored, &RuleConfig::default())),
        );
        assert!(cache.records.get(&key).is_some());
    }
}
