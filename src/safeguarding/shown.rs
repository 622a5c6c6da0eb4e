//! Process records as one reader is shown them: found by id, listed by type, each with the changes
//! of its state the reader sees and where it stands (`process::state_of`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::process::{self, Past};
use super::repo::{self, EventRow, RecordRow};
use super::types::*;
use crate::auth::actor::Actor;
use crate::auth::policy::{Sight, sight, siloed_to};
use crate::children::Child;
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Cursor, Page, PageParams};
use crate::state::AppState;
use crate::vocabulary::{Agency, ConferenceDecision, RecordType, Visibility};

/// A moment after every entry.
pub fn beyond_any_entry() -> DateTime<Utc> {
    crate::record::working_days::end_of(process::last_day())
}

/// Whether `actor` sees an agency's entries on this child's record.
fn sees(actor: &Actor, child: &Child, agency: Agency) -> bool {
    sight(actor, child.sharing_mode, agency, Visibility::Shared) != Sight::Hidden
}

/// How much of this record `actor` sees (`policy::record_sight`).
fn record_sight(actor: &Actor, child: &Child, row: &RecordRow) -> Sight {
    crate::auth::policy::record_sight(
        |agency, visibility| sight(actor, child.sharing_mode, agency, visibility),
        row.agency,
        row.visibility,
        row.details.0.party(),
    )
}

/// The child's record of this type and id as `actor` may see it, or 404.
pub async fn find(
    state: &AppState,
    actor: &Actor,
    child: &Child,
    record_type: RecordType,
    id: Uuid,
) -> ApiResult<RecordRow> {
    repo::find(&state.db, child.id, record_type, id)
        .await?
        .filter(|row| record_sight(actor, child, row) != Sight::Hidden)
        .ok_or_else(|| {
            ApiError::NotFound(format!(
                "no {} with this id on this record",
                record_type.as_str().replace('_', " ")
            ))
        })
}

/// The changes of a record's state as the process reads them.
pub fn past(events: &[EventRow]) -> Vec<Past<'_>> {
    events
        .iter()
        .map(|e| Past {
            at: e.occurred_at,
            details: &e.details.0,
        })
        .collect()
}

/// The records as `actor` is shown them at `horizon`: each with its changes of state made by then
/// by agencies whose entries `actor` sees, what it started by then and its state then.
pub async fn shown(
    db: &mut PgConnection,
    actor: &Actor,
    child: &Child,
    rows: Vec<RecordRow>,
    horizon: DateTime<Utc>,
) -> ApiResult<Vec<ProcessEntry>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut events = repo::events_of(&mut *db, &ids).await?;
    events.retain(|e| e.occurred_at <= horizon && sees(actor, child, e.agency));
    let related = repo::related(&mut *db, &ids, horizon).await?;
    let plans_end = if rows
        .iter()
        .any(|r| matches!(r.details.0, Details::Plan { .. }))
    {
        plan_endings(&mut *db, child.id, horizon).await?
    } else {
        Vec::new()
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            if record_sight(actor, child, &row) != Sight::Full {
                return ProcessEntry::Stub(ProcessStub {
                    id: row.id,
                    record_type: row.details.0.record_type(),
                    agency: row.agency,
                    occurred_at: row.occurred_at,
                    restricted: true,
                });
            }
            let own: Vec<EventRow> = events
                .iter()
                .filter(|e| e.record_id == row.id)
                .cloned()
                .collect();
            let ended = plans_end.iter().any(|end| *end >= row.occurred_at);
            ProcessEntry::Full(Box::new(ProcessRecord {
                id: row.id,
                child_id: row.child_id,
                agency: row.agency,
                author_id: row.author_id,
                occurred_at: row.occurred_at,
                recorded_at: row.recorded_at,
                visibility: row.visibility,
                state: process::state_of(&row.details.0, &past(&own), ended),
                history: own.iter().map(EventRow::event).collect(),
                related: related
                    .iter()
                    .filter(|r| r.0 == row.id)
                    .map(|r| RelatedRecord {
                        record_type: r.1,
                        id: r.2,
                    })
                    .collect(),
                details: row.details.0,
            }))
        })
        .collect())
}

/// When reviews ended the child's plans, up to `horizon`.
async fn plan_endings(
    db: impl sqlx::PgExecutor<'_>,
    child_id: Uuid,
    horizon: DateTime<Utc>,
) -> sqlx::Result<Vec<DateTime<Utc>>> {
    Ok(repo::conferences(db, child_id)
        .await?
        .into_iter()
        .filter(|(at, decision)| *at <= horizon && *decision == ConferenceDecision::PlanEnds)
        .map(|(at, _)| at)
        .collect())
}

/// The record as its writer now sees it: whoever changes a record sees it in full.
pub async fn shown_one(
    db: &mut PgConnection,
    actor: &Actor,
    child: &Child,
    row: RecordRow,
) -> ApiResult<ProcessRecord> {
    match shown(db, actor, child, vec![row], beyond_any_entry())
        .await?
        .pop()
    {
        Some(ProcessEntry::Full(record)) => Ok(*record),
        _ => Err(ApiError::internal(anyhow::anyhow!(
            "a record its writer may not see"
        ))),
    }
}

/// A page of the child's records of one type, as `actor` may see them, as of `as_of`.
pub async fn list(
    state: &AppState,
    actor: &Actor,
    child_id: Uuid,
    record_type: RecordType,
    parent: Option<Uuid>,
    params: ProcessListParams,
) -> ApiResult<ProcessRecordPage> {
    let window = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    }
    .window()?;
    let child = crate::record::open(state, actor, child_id).await?.child;
    let horizon = params.as_of.unwrap_or(beyond_any_entry());
    let only = siloed_to(actor, child.sharing_mode);
    let rows = repo::list(
        &state.db,
        child.id,
        record_type,
        parent,
        only,
        horizon,
        &window,
    )
    .await?;
    let page = Page::of(rows, window.limit, |r| Cursor {
        at: r.occurred_at,
        id: r.id,
    });
    let mut conn = state.db.acquire().await?;
    Ok(Page {
        items: shown(&mut conn, actor, &child, page.items, horizon).await?,
        next_cursor: page.next_cursor,
    })
}
