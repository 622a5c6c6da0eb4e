//! Whole child records kept in memory between requests for the combined views. A record only grows,
//! and every entry added bumps the child's record version in the same transaction, so a record read
//! after its version is current for as long as the version stays the same. Readers of the same
//! record at the same version share one read of the database.

use std::sync::Arc;

use quick_cache::Weighter;
use quick_cache::sync::Cache;
use sqlx::PgPool;
use uuid::Uuid;

use super::record::KeptRecord;
use super::repo;
use crate::children::types::Child;

/// Most entries (contacts, amendments, people, checks) held in memory across all records: a few
/// tens of megabytes.
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
    records: Cache<(Uuid, i64), Arc<KeptRecord>, Entries>,
}

impl Default for RecordCache {
    fn default() -> Self {
        RecordCache {
            records: Cache::with_weighter(64, MAX_ENTRIES, Entries),
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
                let record = Arc::new(KeptRecord::new(repo::load(db, child.id).await?));
                let _ = guard.insert(record.clone());
                Ok(record)
            }
        }
    }
}
