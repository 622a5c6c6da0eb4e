//! Writing the process: a new record with what it starts, or a change of a record's state checked
//! by the process under a lock on the record, each in its own audited transaction and answered with
//! the record as its writer now sees it.

use std::collections::BTreeSet;

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::process;
use super::repo::{self, NewEvent, NewRecord, RecordRow};
use super::shown::{past, shown_one};
use super::types::*;
use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::children::Child;
use crate::error::{ApiError, ApiResult};
use crate::validation::{self, text};
use crate::vocabulary::{Agency, RecordType, Visibility};

/// Whose entry a record is and who may see it.
pub type Entry = (Agency, Visibility);

pub async fn insert(
    tx: &mut PgConnection,
    child: &Child,
    (agency, visibility): Entry,
    actor: &Actor,
    occurred_at: DateTime<Utc>,
    details: Details,
) -> sqlx::Result<RecordRow> {
    repo::insert(
        tx,
        &NewRecord {
            child_id: child.id,
            agency,
            visibility,
            author_id: actor.id(),
            occurred_at,
            details,
        },
    )
    .await
}

/// Inserts a record and the records it starts (`process::starts`), as the same agency's entries.
pub async fn insert_with_starts(
    tx: &mut PgConnection,
    child: &Child,
    entry: Entry,
    actor: &Actor,
    occurred_at: DateTime<Utc>,
    details: Details,
) -> sqlx::Result<RecordRow> {
    let row = insert(tx, child, entry, actor, occurred_at, details).await?;
    for started in process::starts(row.id, &row.details.0) {
        insert(tx, child, entry, actor, occurred_at, started).await?;
    }
    Ok(row)
}

/// Records one process record (and what it starts) in its own audited transaction, and answers
/// 201 with it as `actor` sees it.
pub async fn record_one(
    recorder: Recorder,
    child: &Child,
    entry: Entry,
    actor: &Actor,
    occurred_at: DateTime<Utc>,
    details: Details,
) -> ApiResult<HttpResponse> {
    let record = recorder
        .write(async |tx| {
            let row = insert_with_starts(tx, child, entry, actor, occurred_at, details).await?;
            let id = row.id;
            Ok((shown_one(tx, actor, child, row).await?, id))
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}

/// A change of a record's state, by `actor` as `agency`.
pub struct Change<'a> {
    pub child: &'a Child,
    pub row: &'a RecordRow,
    pub agency: Agency,
    pub actor: &'a Actor,
    pub occurred_at: DateTime<Utc>,
    pub details: EventDetails,
}

/// Appends the change to its record (locked first) once the process allows it on the record's
/// events so far, inserts what it starts (social care's entries), and answers with the record as
/// it now stands.
pub async fn append(recorder: Recorder, change: Change<'_>) -> ApiResult<HttpResponse> {
    let Change {
        child,
        row,
        agency,
        actor,
        occurred_at,
        details,
    } = change;
    let record = recorder
        .write(async |tx| {
            let locked = repo::lock(&mut *tx, child.id, row.details.0.record_type(), row.id)
                .await?
                .ok_or_else(|| ApiError::NotFound("no such record".into()))?;
            let events = repo::events_of(&mut *tx, &[locked.id]).await?;
            let starts = process::change(
                (locked.id, &locked.details.0),
                &past(&events),
                &details,
                occurred_at,
            )?;
            repo::insert_event(
                &mut *tx,
                &NewEvent {
                    record_id: locked.id,
                    child_id: child.id,
                    agency,
                    author_id: actor.id(),
                    occurred_at,
                    details: &details,
                },
            )
            .await?;
            for started in starts {
                let entry = (Agency::SocialCare, locked.visibility);
                insert(tx, child, entry, actor, occurred_at, started).await?;
            }
            Ok((shown_one(tx, actor, child, locked).await?, row.id))
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}

/// The `occurred_at` of a change of a record's state: a scenario time, and not before the record.
pub fn event_time(
    at: DateTime<Utc>,
    child: &Child,
    row: &RecordRow,
    what: &str,
) -> ApiResult<DateTime<Utc>> {
    validation::check_scenario_time("occurred_at", at, child.date_of_birth)?;
    process::not_before(at, (row.details.0.record_type(), row.occurred_at), what)
}

/// The plan in force at `at`, read in the caller's transaction (`process::plan_in_force`).
pub async fn plan_in_force(
    tx: &mut PgConnection,
    child_id: Uuid,
    at: DateTime<Utc>,
) -> sqlx::Result<Option<Uuid>> {
    let conferences = repo::of_type(&mut *tx, child_id, RecordType::Conference).await?;
    let plans = repo::of_type(&mut *tx, child_id, RecordType::Plan).await?;
    Ok(process::plan_in_force(
        conferences.iter().map(held),
        plans.iter().map(held),
        at,
    ))
}

fn held(row: &RecordRow) -> process::Held<'_> {
    (row.id, row.occurred_at, &row.details.0)
}

/// Distinct agencies, at least one.
pub fn agencies(mut list: Vec<Agency>) -> ApiResult<Vec<Agency>> {
    list.sort();
    list.dedup();
    if list.is_empty() {
        return Err(ApiError::validation("agencies", "name at least one agency"));
    }
    Ok(list)
}

pub fn list_of_text(field: &str, items: &[String], max_items: usize) -> ApiResult<Vec<String>> {
    if items.len() > max_items {
        return Err(ApiError::validation(
            field,
            format!("at most {max_items} items"),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, t)| text(&format!("{field}[{i}]"), t, 1, 500))
        .collect()
}

/// The agencies involved with the child as the database holds it now, read in the caller's
/// transaction (after its lock), not from the cache.
pub async fn involved_now(tx: &mut PgConnection, child: &Child) -> sqlx::Result<BTreeSet<Agency>> {
    let creator: Option<Agency> =
        sqlx::query_scalar("SELECT u.agency FROM users u WHERE u.id = $1")
            .bind(child.created_by)
            .fetch_one(&mut *tx)
            .await?;
    let records: Vec<sqlx::types::Json<Details>> = sqlx::query_scalar(
        "SELECT details FROM process_records WHERE child_id = $1
            AND record_type IN ('referral', 'strategy_discussion', 'conference', 'core_group',
                                'challenge', 'involvement')",
    )
    .bind(child.id)
    .fetch_all(&mut *tx)
    .await?;
    Ok(crate::auth::policy::involved(
        &crate::record::stored::involvement_of(creator, records.iter().map(|d| &d.0)),
    ))
}
