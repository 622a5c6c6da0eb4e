//! SQL for users. Functions take an executor so that the caller owns the transaction.

use sqlx::{AssertSqlSafe, PgExecutor};

// Every query below is a constant string with the constant column list spliced in.
use uuid::Uuid;

use super::types::{Agency, Role, User};
use crate::pagination::{Cursor, Window};

pub const COLUMNS: &str =
    "id, username, display_name, agency, role, password_hash, disabled, created_at, team_id";

pub struct UserRecord<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub agency: Option<Agency>,
    pub role: Role,
    pub password_hash: &'a str,
}

pub async fn insert(db: impl PgExecutor<'_>, user: &UserRecord<'_>) -> sqlx::Result<User> {
    sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO users (id, username, display_name, agency, role, password_hash)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING {COLUMNS}"
    )))
    .bind(Uuid::new_v4())
    .bind(user.username)
    .bind(user.display_name)
    .bind(user.agency)
    .bind(user.role)
    .bind(user.password_hash)
    .fetch_one(db)
    .await
}

/// The user whose name has this canonical form (`auth::lockout::canonical`): the same key as the
/// one failures are counted under, so no spelling of a name escapes its count.
pub async fn find_by_username(
    db: impl PgExecutor<'_>,
    canonical: &str,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE lower(username) = $1"
    )))
    .bind(canonical)
    .fetch_optional(db)
    .await
}

pub async fn find_by_id(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<User>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Users in creation order, `limit` of them after `after`.
pub async fn list(db: impl PgExecutor<'_>, window: &Window<Cursor>) -> sqlx::Result<Vec<User>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM users
         WHERE $1::timestamptz IS NULL OR (created_at, id) > ($1, $2)
         ORDER BY created_at, id LIMIT $3"
    )))
    .bind(window.after.map(|c| c.at))
    .bind(window.after.map(|c| c.id))
    .bind(window.fetch())
    .fetch_all(db)
    .await
}

pub async fn set_disabled(
    db: impl PgExecutor<'_>,
    id: Uuid,
    disabled: bool,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE users SET disabled = $2 WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(disabled)
    .fetch_optional(db)
    .await
}

pub async fn set_password_hash(
    db: impl PgExecutor<'_>,
    id: Uuid,
    hash: &str,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE users SET password_hash = $2 WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(hash)
    .fetch_optional(db)
    .await
}

/// Sets a user's role and agency.
pub async fn set_role(
    db: impl PgExecutor<'_>,
    id: Uuid,
    role: Role,
    agency: Option<Agency>,
) -> sqlx::Result<Option<User>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "UPDATE users SET role = $2, agency = $3 WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(role)
    .bind(agency)
    .fetch_optional(db)
    .await
}
