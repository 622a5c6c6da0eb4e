//! Sessions: a login starts one, and it lives until it is ended or its day runs out. Access tokens
//! are short-lived and name their session; a refresh token (one use each, rotated at every
//! refresh) gets the next access token without the password. A refresh token presented twice was
//! copied, so its whole session ends. Ending a session stops its tokens at once: every request
//! checks that its session is live.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, PgConnection, PgExecutor};
use uuid::Uuid;

use crate::users::User;
use crate::users::repo::COLUMNS;

/// Why a session ended, as stored and audited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndReason {
    Logout,
    PasswordChanged,
    Disabled,
    RoleChanged,
    RefreshTokenReused,
    /// Too many wrong current passwords given to change the password: the token may be stolen.
    PasswordGuessing,
}

impl EndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Logout => "logout",
            EndReason::PasswordChanged => "password_changed",
            EndReason::Disabled => "disabled",
            EndReason::RoleChanged => "role_changed",
            EndReason::RefreshTokenReused => "refresh_token_reused",
            EndReason::PasswordGuessing => "password_guessing",
        }
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh refresh token for `session`, stored only as its hash.
async fn issue_refresh_token(conn: &mut PgConnection, session: Uuid) -> sqlx::Result<String> {
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = URL_SAFE_NO_PAD.encode(secret);
    sqlx::query("INSERT INTO refresh_tokens (token_hash, session_id) VALUES ($1, $2)")
        .bind(hash(&token))
        .bind(session)
        .execute(conn)
        .await?;
    Ok(token)
}

/// Starts a session for `user` that may be refreshed for `lifetime`; returns its id and first
/// refresh token.
pub async fn start(
    conn: &mut PgConnection,
    user: Uuid,
    lifetime: Duration,
) -> sqlx::Result<(Uuid, String)> {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, now() + $3::interval)",
    )
    .bind(id)
    .bind(user)
    .bind(lifetime)
    .execute(&mut *conn)
    .await?;
    let token = issue_refresh_token(conn, id).await?;
    Ok((id, token))
}

/// What became of a refresh.
pub enum Refreshed {
    /// The token was good: the user, their session, and the next refresh token.
    Renewed {
        user: User,
        session: Uuid,
        refresh_token: String,
    },
    /// A token already used was presented again: the session it belongs to has been ended.
    Reused { user: Uuid },
    /// Unknown, or its session or user is no longer live.
    Refused,
}

/// Spends `token` for the next one, in the caller's transaction.
pub async fn refresh(conn: &mut PgConnection, token: &str) -> sqlx::Result<Refreshed> {
    let spent: Option<(Uuid, bool)> = sqlx::query_as(
        "WITH t AS (SELECT token_hash, session_id, used_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE),
              spent AS (UPDATE refresh_tokens r SET used_at = now() FROM t
                        WHERE r.token_hash = t.token_hash AND t.used_at IS NULL RETURNING r.token_hash)
         SELECT t.session_id, EXISTS (SELECT 1 FROM spent) FROM t",
    )
    .bind(hash(token))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((session, fresh)) = spent else {
        return Ok(Refreshed::Refused);
    };
    if !fresh {
        let user: Option<Uuid> = sqlx::query_scalar(
            "UPDATE sessions SET ended_at = coalesce(ended_at, now()), end_reason = coalesce(end_reason, $2)
             WHERE id = $1 RETURNING user_id",
        )
        .bind(session)
        .bind(EndReason::RefreshTokenReused.as_str())
        .fetch_optional(&mut *conn)
        .await?;
        return Ok(user.map_or(Refreshed::Refused, |user| Refreshed::Reused { user }));
    }
    let Some(user) = live_user(&mut *conn, None, session).await? else {
        return Ok(Refreshed::Refused);
    };
    let refresh_token = issue_refresh_token(conn, session).await?;
    Ok(Refreshed::Renewed {
        user,
        session,
        refresh_token,
    })
}

/// The user of a live session (not ended, not expired, its user enabled); `user` must match when
/// given, as it is for an access token's subject.
pub async fn live_user(
    db: impl PgExecutor<'_>,
    user: Option<Uuid>,
    session: Uuid,
) -> sqlx::Result<Option<User>> {
    let columns = COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {columns} FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = $1 AND ($2::uuid IS NULL OR s.user_id = $2)
           AND s.ended_at IS NULL AND s.expires_at > now() AND NOT u.disabled"
    )))
    .bind(session)
    .bind(user)
    .fetch_optional(db)
    .await
}

/// Ends one session.
pub async fn end(db: impl PgExecutor<'_>, session: Uuid, reason: EndReason) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE sessions SET ended_at = now(), end_reason = $2 WHERE id = $1 AND ended_at IS NULL",
    )
    .bind(session)
    .bind(reason.as_str())
    .execute(db)
    .await?;
    Ok(())
}

/// Ends every live session of `user`: their tokens, access and refresh, stop working at once.
pub async fn end_all(db: impl PgExecutor<'_>, user: Uuid, reason: EndReason) -> sqlx::Result<u64> {
    let done = sqlx::query(
        "UPDATE sessions SET ended_at = now(), end_reason = $2 WHERE user_id = $1 AND ended_at IS NULL",
    )
    .bind(user)
    .bind(reason.as_str())
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
