//! SQL for child records. Functions take an executor so that the caller owns the transaction.

use chrono::NaiveDate;
use sqlx::{AssertSqlSafe, PgExecutor};
use uuid::Uuid;

use super::types::Child;
use crate::error::{ApiError, ApiResult};
use crate::pagination::{Cursor, Window};
use crate::vocabulary::{ChildStatus, SharingMode};

// Every query below is a constant string with this constant column list spliced in.
const COLUMNS: &str = "id, given_name, family_name, date_of_birth, identifier, address, status, sharing_mode, \
                       version, created_by, created_at, updated_at, team_id, retired";

pub struct ChildRecord<'a> {
    pub given_name: &'a str,
    pub family_name: &'a str,
    pub date_of_birth: NaiveDate,
    pub identifier: Option<&'a str>,
    pub address: Option<&'a str>,
    pub created_by: Uuid,
    /// The creator's exercise team, if any: the record is in that team's workspace.
    pub team_id: Option<Uuid>,
}

pub async fn insert(db: impl PgExecutor<'_>, child: &ChildRecord<'_>) -> sqlx::Result<Child> {
    sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO children (id, given_name, family_name, date_of_birth, identifier, address, created_by, team_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(child.given_name)
    .bind(child.family_name)
    .bind(child.date_of_birth)
    .bind(child.identifier)
    .bind(child.address)
    .bind(child.created_by)
    .bind(child.team_id)
    .fetch_one(db)
    .await
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Child>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM children WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

pub struct Filters<'a> {
    pub name: Option<&'a str>,
    pub date_of_birth: Option<NaiveDate>,
    pub identifier: Option<&'a str>,
    /// Only the records of this workspace (an exercise team's, or `None`: outside every
    /// exercise); every workspace's when not given (a facilitator's search).
    pub workspace: Option<Option<Uuid>>,
}

/// Escapes `%`, `_` and `\` so that a name is matched literally inside a LIKE pattern.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

pub async fn search(
    db: impl PgExecutor<'_>,
    filters: &Filters<'_>,
    window: &Window<Cursor>,
) -> sqlx::Result<Vec<Child>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM children
         WHERE ($1::text IS NULL OR given_name ILIKE $1 OR family_name ILIKE $1
                OR (given_name || ' ' || family_name) ILIKE $1)
           AND ($2::date IS NULL OR date_of_birth = $2)
           AND ($3::text IS NULL OR identifier = $3)
           AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5))
           AND ($7 OR (team_id IS NOT DISTINCT FROM $8 AND NOT retired))
         ORDER BY created_at, id LIMIT $6"
    )))
    .bind(filters.name.map(like_pattern))
    .bind(filters.date_of_birth)
    .bind(filters.identifier)
    .bind(window.after.map(|c| c.at))
    .bind(window.after.map(|c| c.id))
    .bind(window.fetch())
    .bind(filters.workspace.is_none())
    .bind(filters.workspace.flatten())
    .fetch_all(db)
    .await
}

/// The records `agency` may be involved with: those its users opened, those whose process records
/// name it (a referral to it, a meeting that listed it, a challenge of its entries, bringing it
/// in), and the records of the caller's exercise team. Found through indexes, never by reading
/// every record; the policy decides over each record as it is kept.
pub async fn involving(
    db: impl PgExecutor<'_>,
    agency: crate::vocabulary::Agency,
    team: Option<Uuid>,
) -> sqlx::Result<Vec<Child>> {
    let a = agency.as_str();
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM children WHERE id IN (
            SELECT child_id FROM process_records
             WHERE details @> $1 OR details @> $2 OR details @> $3 OR details @> $4
                OR details @> $5 OR details @> $6
            UNION
            SELECT c.id FROM children c JOIN users u ON u.id = c.created_by WHERE u.agency = $7
            UNION
            SELECT id FROM children WHERE $8::uuid IS NOT NULL AND team_id = $8)
         ORDER BY created_at, id"
    )))
    .bind(sqlx::types::Json(
        serde_json::json!({"record_type": "referral", "to_agency": a}),
    ))
    .bind(sqlx::types::Json(
        serde_json::json!({"record_type": "strategy_discussion", "agencies": [a]}),
    ))
    .bind(sqlx::types::Json(
        serde_json::json!({"record_type": "conference", "agencies": [a]}),
    ))
    .bind(sqlx::types::Json(
        serde_json::json!({"record_type": "core_group", "agencies": [a]}),
    ))
    .bind(sqlx::types::Json(
        serde_json::json!({"record_type": "challenge", "challenged_agency": a}),
    ))
    .bind(sqlx::types::Json(
        serde_json::json!({"record_type": "involvement", "brought_in": a}),
    ))
    .bind(a)
    .bind(team)
    .fetch_all(db)
    .await
}

/// Applies a change if the record is still at `expected_version` (any, when `None`); `None` when
/// it is not (or is gone).
pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    expected_version: Option<i32>,
    status: Option<ChildStatus>,
    address: Option<Option<&str>>,
) -> sqlx::Result<Option<Child>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE children SET
           status = coalesce($3, status),
           address = CASE WHEN $4 THEN $5 ELSE address END,
           version = version + 1,
           updated_at = now()
         WHERE id = $1 AND ($2::integer IS NULL OR version = $2)
         RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(expected_version)
    .bind(status)
    .bind(address.is_some())
    .bind(address.flatten())
    .fetch_optional(db)
    .await
}

/// Records that the child's status became `status` at scenario time `effective_at`.
pub async fn record_status_change(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    status: ChildStatus,
    effective_at: chrono::DateTime<chrono::Utc>,
    changed_by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO child_status_changes (id, child_id, status, effective_at, changed_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::new_v4())
    .bind(child_id)
    .bind(status)
    .bind(effective_at)
    .bind(changed_by)
    .execute(db)
    .await?;
    Ok(())
}

/// Sets the record's status to the one in effect after its latest status change (a change may be
/// recorded for a moment before others already on the record).
pub async fn settle_status(db: impl PgExecutor<'_>, child_id: Uuid) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE children SET
           status = (SELECT status FROM child_status_changes WHERE child_id = $1
                     ORDER BY effective_at DESC, recorded_at DESC, id DESC LIMIT 1),
           version = version + 1,
           updated_at = now()
         WHERE id = $1",
    )
    .bind(child_id)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn set_sharing_mode(
    db: impl PgExecutor<'_>,
    id: Uuid,
    mode: SharingMode,
) -> sqlx::Result<Option<Child>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE children SET sharing_mode = $2, version = version + 1, updated_at = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(mode)
    .fetch_optional(db)
    .await
}

/// The record, or a 404 problem: what every handler of a child's entries starts with.
pub async fn load(db: impl PgExecutor<'_>, child_id: Uuid) -> ApiResult<Child> {
    find(db, child_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no child record with this id".into()))
}

/// Every child record, oldest first.
pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Child>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM children ORDER BY created_at, id"
    )))
    .fetch_all(db)
    .await
}

/// Whether a child record with this id exists.
pub async fn exists(db: impl PgExecutor<'_>, child_id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM children WHERE id = $1)")
        .bind(child_id)
        .fetch_one(db)
        .await
}

/// Retires a team's record replaced by a reset (see `policy::in_workspace`).
pub async fn retire(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("UPDATE children SET retired = true WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_patterns_match_literally() {
        assert_eq!(super::like_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
