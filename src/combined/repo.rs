//! Reading a whole child record for the combined views in one round trip: contacts with their
//! amendments up to a moment, people, checks and status changes, as one JSON document.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::PgExecutor;
use sqlx::types::Json;
use uuid::Uuid;

use crate::contacts::repo::{AmendmentRow, ContactRow};
use crate::people::types::{Person, PersonCheck};
use crate::vocabulary::ChildStatus;

#[derive(Debug, Deserialize)]
pub struct StoredContact {
    #[serde(flatten)]
    pub row: ContactRow,
    pub amendments: Vec<AmendmentRow>,
}

#[derive(Debug, Deserialize)]
pub struct StoredStatus {
    pub status: ChildStatus,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
pub struct StoredRecord {
    pub contacts: Vec<StoredContact>,
    pub people: Vec<Person>,
    pub checks: Vec<PersonCheck>,
    pub statuses: Vec<StoredStatus>,
}

/// Everything recorded about the child by `horizon` (scenario time). Contacts are all returned,
/// with the amendments made by then, because an amendment may move a contact's `occurred_at`.
pub async fn load(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    horizon: DateTime<Utc>,
) -> sqlx::Result<StoredRecord> {
    let Json(record): Json<StoredRecord> = sqlx::query_scalar(
        "SELECT jsonb_build_object(
           'contacts', coalesce((
             SELECT jsonb_agg(to_jsonb(c) || jsonb_build_object(
                      'author_name', u.display_name,
                      'amendments', coalesce((
                        SELECT jsonb_agg(to_jsonb(a) ORDER BY a.amended_at, a.id)
                        FROM contact_amendments a WHERE a.contact_id = c.id AND a.occurred_at <= $2), '[]'::jsonb))
                    ORDER BY c.occurred_at, c.recorded_at, c.id)
             FROM contacts c JOIN users u ON u.id = c.author_id
             WHERE c.child_id = $1), '[]'::jsonb),
           'people', coalesce((
             SELECT jsonb_agg(to_jsonb(p) ORDER BY p.occurred_at, p.recorded_at, p.id)
             FROM people p WHERE p.child_id = $1 AND p.occurred_at <= $2), '[]'::jsonb),
           'checks', coalesce((
             SELECT jsonb_agg(to_jsonb(k) ORDER BY k.occurred_at, k.recorded_at, k.id)
             FROM person_checks k WHERE k.child_id = $1 AND k.occurred_at <= $2), '[]'::jsonb),
           'statuses', coalesce((
             SELECT jsonb_agg(jsonb_build_object('status', s.status, 'at', s.effective_at)
                              ORDER BY s.effective_at, s.recorded_at)
             FROM child_status_changes s WHERE s.child_id = $1 AND s.effective_at <= $2), '[]'::jsonb))",
    )
    .bind(child_id)
    .bind(horizon)
    .fetch_one(db)
    .await?;
    Ok(record)
}
