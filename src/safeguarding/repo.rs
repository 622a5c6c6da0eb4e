//! SQL for process records and their events. Functions take an executor so that the caller owns the
//! transaction. Both tables are only ever inserted into (the database refuses anything else).

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgExecutor};
use uuid::Uuid;

use super::types::{Details, EventDetails, ProcessEvent};
use crate::pagination::{Cursor, Window};
use crate::vocabulary::{Agency, ConferenceDecision, RecordType, Visibility};

// Every query below is a constant string with these constant column lists spliced in.
const RECORD: &str =
    "id, child_id, agency, visibility, author_id, occurred_at, recorded_at, details";
const EVENT: &str = "id, record_id, agency, author_id, occurred_at, recorded_at, details";

/// A process record as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RecordRow {
    pub id: Uuid,
    pub child_id: Uuid,
    pub agency: Agency,
    pub visibility: Visibility,
    pub author_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub details: Json<Details>,
}

/// A change of a record's state as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: Uuid,
    pub record_id: Uuid,
    pub agency: Agency,
    pub author_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub details: Json<EventDetails>,
}

impl EventRow {
    pub fn event(&self) -> ProcessEvent {
        ProcessEvent {
            id: self.id,
            agency: self.agency,
            author_id: self.author_id,
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            details: self.details.0.clone(),
        }
    }
}

/// A record with its events, oldest first.
#[derive(Debug, Clone)]
pub struct StoredProcess {
    pub row: RecordRow,
    pub events: Vec<EventRow>,
}

pub struct NewRecord {
    pub child_id: Uuid,
    pub agency: Agency,
    pub visibility: Visibility,
    pub author_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub details: Details,
}

pub async fn insert(db: impl PgExecutor<'_>, record: &NewRecord) -> sqlx::Result<RecordRow> {
    sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO process_records (id, child_id, record_type, parent_id, agency, visibility, author_id, occurred_at, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {RECORD}"
    )))
    .bind(Uuid::new_v4())
    .bind(record.child_id)
    .bind(record.details.record_type())
    .bind(record.details.parent())
    .bind(record.agency)
    .bind(record.visibility)
    .bind(record.author_id)
    .bind(record.occurred_at)
    .bind(Json(&record.details))
    .fetch_one(db)
    .await
}

pub struct NewEvent<'a> {
    pub record_id: Uuid,
    pub child_id: Uuid,
    pub agency: Agency,
    pub author_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub details: &'a EventDetails,
}

pub async fn insert_event(db: impl PgExecutor<'_>, event: &NewEvent<'_>) -> sqlx::Result<EventRow> {
    sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO process_events (id, record_id, child_id, event_type, agency, author_id, occurred_at, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {EVENT}"
    )))
    .bind(Uuid::new_v4())
    .bind(event.record_id)
    .bind(event.child_id)
    .bind(event.details.event_type())
    .bind(event.agency)
    .bind(event.author_id)
    .bind(event.occurred_at)
    .bind(Json(event.details))
    .fetch_one(db)
    .await
}

/// The record of this child and type, locked against other changes of its state until the
/// transaction ends (records themselves are never updated: the lock only orders their events).
pub async fn lock(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    record_type: RecordType,
    id: Uuid,
) -> sqlx::Result<Option<RecordRow>> {
    select(db, child_id, record_type, id, "FOR UPDATE").await
}

pub async fn find(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    record_type: RecordType,
    id: Uuid,
) -> sqlx::Result<Option<RecordRow>> {
    select(db, child_id, record_type, id, "").await
}

async fn select(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    record_type: RecordType,
    id: Uuid,
    locking: &'static str,
) -> sqlx::Result<Option<RecordRow>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {RECORD} FROM process_records
         WHERE id = $1 AND child_id = $2 AND record_type = $3 {locking}"
    )))
    .bind(id)
    .bind(child_id)
    .bind(record_type)
    .fetch_optional(db)
    .await
}

/// The events of these records, oldest first.
pub async fn events_of(db: impl PgExecutor<'_>, ids: &[Uuid]) -> sqlx::Result<Vec<EventRow>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {EVENT} FROM process_events WHERE record_id = ANY($1)
         ORDER BY occurred_at, recorded_at, id"
    )))
    .bind(ids)
    .fetch_all(db)
    .await
}

/// A page of the child's records of one type, in scenario-time order, up to `horizon`; optionally
/// only those under one parent (a plan's actions), and only one agency's (its own, and referrals
/// made to it).
pub async fn list(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    record_type: RecordType,
    parent: Option<Uuid>,
    only: Option<Agency>,
    horizon: DateTime<Utc>,
    window: &Window<Cursor>,
) -> sqlx::Result<Vec<RecordRow>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {RECORD} FROM process_records
         WHERE child_id = $1 AND record_type = $2 AND occurred_at <= $3
           AND ($4::uuid IS NULL OR parent_id = $4)
           AND ($5::text IS NULL OR agency = $5 OR details ->> 'to_agency' = $5)
           AND ($6::timestamptz IS NULL OR (occurred_at, id) > ($6, $7))
         ORDER BY occurred_at, id LIMIT $8"
    )))
    .bind(child_id)
    .bind(record_type)
    .bind(horizon)
    .bind(parent)
    .bind(only)
    .bind(window.after.map(|c| c.at))
    .bind(window.after.map(|c| c.id))
    .bind(window.fetch())
    .fetch_all(db)
    .await
}

/// Every process record of a child with its events, in scenario-time order: the whole process, for
/// the combined views and the clocks.
pub async fn of_child(db: &sqlx::PgPool, child_id: Uuid) -> sqlx::Result<Vec<StoredProcess>> {
    let records = sqlx::query_as::<_, RecordRow>(AssertSqlSafe(format!(
        "SELECT {RECORD} FROM process_records WHERE child_id = $1
         ORDER BY occurred_at, recorded_at, id"
    )))
    .bind(child_id)
    .fetch_all(db);
    let events = sqlx::query_as::<_, EventRow>(AssertSqlSafe(format!(
        "SELECT {EVENT} FROM process_events WHERE child_id = $1
         ORDER BY occurred_at, recorded_at, id"
    )))
    .bind(child_id)
    .fetch_all(db);
    let (records, events) = tokio::try_join!(records, events)?;
    let mut by_record: std::collections::HashMap<Uuid, Vec<EventRow>> = Default::default();
    for e in events {
        by_record.entry(e.record_id).or_default().push(e);
    }
    Ok(records
        .into_iter()
        .map(|row| StoredProcess {
            events: by_record.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// The records started by or held under these records, by then: (parent, type, id).
pub async fn related(
    db: impl PgExecutor<'_>,
    parents: &[Uuid],
    horizon: DateTime<Utc>,
) -> sqlx::Result<Vec<(Uuid, RecordType, Uuid)>> {
    sqlx::query_as(
        "SELECT parent_id, record_type, id FROM process_records
         WHERE parent_id = ANY($1) AND occurred_at <= $2
         ORDER BY occurred_at, recorded_at, id",
    )
    .bind(parents)
    .bind(horizon)
    .fetch_all(db)
    .await
}

/// Every record of one type on the child, in scenario-time order.
pub async fn of_type(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    record_type: RecordType,
) -> sqlx::Result<Vec<RecordRow>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {RECORD} FROM process_records WHERE child_id = $1 AND record_type = $2
         ORDER BY occurred_at, recorded_at, id"
    )))
    .bind(child_id)
    .bind(record_type)
    .fetch_all(db)
    .await
}

/// The child's conferences: when, and what each decided.
pub async fn conferences(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
) -> sqlx::Result<Vec<(DateTime<Utc>, ConferenceDecision)>> {
    Ok(of_type(db, child_id, RecordType::Conference)
        .await?
        .into_iter()
        .filter_map(|row| match row.details.0 {
            Details::Conference { decision, .. } => Some((row.occurred_at, decision)),
            _ => None,
        })
        .collect())
}

/// Holds, until the transaction ends, the one lock under which a child's conferences and plan
/// actions are added: what a conference may decide depends on the ones before it.
pub async fn lock_child_process(db: impl PgExecutor<'_>, child_id: Uuid) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('process:' || $1::text, 0))")
        .bind(child_id)
        .execute(db)
        .await?;
    Ok(())
}
