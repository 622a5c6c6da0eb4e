use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{BreakGlass, Review};
use crate::vocabulary::{Agency, LawfulBasis, ReviewOutcome};

/// Whether `user` holds an open break-glass on the child's record.
pub async fn open_break_glass(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM break_glass b
                         WHERE b.child_id = $1 AND b.user_id = $2 AND b.expires_at > now()
                           AND NOT EXISTS (SELECT 1 FROM break_glass_reviews r
                                            WHERE r.break_glass_id = b.id
                                              AND r.outcome = 'not_justified'))",
    )
    .bind(child_id)
    .bind(user_id)
    .fetch_one(db)
    .await
}

/// Of `child_ids`, those on which `user` holds an open break-glass: one query for a page.
pub async fn open_break_glasses(
    db: impl PgExecutor<'_>,
    child_ids: &[Uuid],
    user_id: Uuid,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT DISTINCT b.child_id FROM break_glass b
          WHERE b.child_id = ANY($1) AND b.user_id = $2 AND b.expires_at > now()
            AND NOT EXISTS (SELECT 1 FROM break_glass_reviews r
                             WHERE r.break_glass_id = b.id AND r.outcome = 'not_justified')",
    )
    .bind(child_ids)
    .bind(user_id)
    .fetch_all(db)
    .await
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    child_id: Uuid,
    user_id: Uuid,
    username: String,
    agency: Agency,
    lawful_basis: LawfulBasis,
    reason: String,
    opened_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    outcome: Option<ReviewOutcome>,
    note: Option<String>,
    reviewer_id: Option<Uuid>,
    reviewed_at: Option<DateTime<Utc>>,
}

impl From<Row> for BreakGlass {
    fn from(r: Row) -> BreakGlass {
        let review = match (r.outcome, r.note, r.reviewer_id, r.reviewed_at) {
            (Some(outcome), Some(note), Some(reviewer_id), Some(reviewed_at)) => Some(Review {
                outcome,
                note,
                reviewer_id,
                reviewed_at,
            }),
            _ => None,
        };
        BreakGlass {
            id: r.id,
            child_id: r.child_id,
            user_id: r.user_id,
            username: r.username,
            agency: r.agency,
            lawful_basis: r.lawful_basis,
            reason: r.reason,
            opened_at: r.opened_at,
            expires_at: r.expires_at,
            review,
        }
    }
}

const SELECT: &str =
    "SELECT b.id, b.child_id, b.user_id, u.username, b.agency, b.lawful_basis, b.reason,
        b.opened_at, b.expires_at, r.outcome, r.note, r.reviewer_id, r.reviewed_at
   FROM break_glass b JOIN users u ON u.id = b.user_id
   LEFT JOIN break_glass_reviews r ON r.break_glass_id = b.id";

pub struct NewBreakGlassRow<'a> {
    pub child_id: Uuid,
    pub user_id: Uuid,
    pub agency: Agency,
    pub lawful_basis: LawfulBasis,
    pub reason: &'a str,
    pub ttl: std::time::Duration,
}

/// The user's open break-glass on the record, if one is: unexpired and not reviewed
/// `not_justified`. Taken under a lock on (record, user), so that two at once open one glass.
pub async fn open_one(
    tx: &mut PgConnection,
    child_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<BreakGlass>> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 27))")
        .bind(format!("break_glass:{child_id}:{user_id}"))
        .execute(&mut *tx)
        .await?;
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE b.child_id = $1 AND b.user_id = $2 AND b.expires_at > now()
           AND r.outcome IS DISTINCT FROM 'not_justified'
         ORDER BY b.opened_at DESC LIMIT 1"
    )))
    .bind(child_id)
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await?;
    Ok(row.map(BreakGlass::from))
}

pub async fn insert(tx: &mut PgConnection, b: &NewBreakGlassRow<'_>) -> sqlx::Result<BreakGlass> {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO break_glass (id, child_id, user_id, agency, lawful_basis, reason, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))",
    )
    .bind(id)
    .bind(b.child_id)
    .bind(b.user_id)
    .bind(b.agency)
    .bind(b.lawful_basis)
    .bind(b.reason)
    .bind(b.ttl.as_secs_f64())
    .execute(&mut *tx)
    .await?;
    find(&mut *tx, id).await?.ok_or(sqlx::Error::RowNotFound)
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<BreakGlass>> {
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE b.id = $1")))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(row.map(BreakGlass::from))
}

/// Break-glasses newest first: of one agency (none: every agency), reviewed or not (none: both),
/// before the cursor's (opened_at, id).
pub async fn list(
    db: impl PgExecutor<'_>,
    agency: Option<Agency>,
    reviewed: Option<bool>,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
    workspace: Option<Option<Uuid>>,
) -> sqlx::Result<Vec<BreakGlass>> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT}
         WHERE ($1::text IS NULL OR b.agency = $1)
           AND ($6 OR b.child_id IN (SELECT id FROM children WHERE team_id IS NOT DISTINCT FROM $7))
           AND ($2::boolean IS NULL OR (r.id IS NOT NULL) = $2)
           AND ($3::timestamptz IS NULL OR (b.opened_at, b.id) < ($3, $4))
         ORDER BY b.opened_at DESC, b.id DESC LIMIT $5"
    )))
    .bind(agency)
    .bind(reviewed)
    .bind(before.map(|b| b.0))
    .bind(before.map(|b| b.1))
    .bind(limit)
    .bind(workspace.is_none())
    .bind(workspace.flatten())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(BreakGlass::from).collect())
}

/// Records the review; `false` when the break-glass was already reviewed.
pub async fn review(
    tx: &mut PgConnection,
    break_glass_id: Uuid,
    reviewer_id: Uuid,
    outcome: ReviewOutcome,
    note: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO break_glass_reviews (id, break_glass_id, reviewer_id, outcome, note)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (break_glass_id) DO NOTHING",
    )
    .bind(Uuid::new_v4())
    .bind(break_glass_id)
    .bind(reviewer_id)
    .bind(outcome)
    .bind(note)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
