//! Login lockout: ten failed logins in a row for one login name within fifteen minutes lock that
//! name until the window has passed. Kept in the database so every instance and restart agrees.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub const MAX_FAILURES: i32 = 10;
pub const WINDOW_SECS: i64 = 15 * 60;

/// The key under which failures are counted: the login name as typed, case folded.
pub fn key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Seconds until the name may try again, when it is locked.
pub async fn locked_for(db: impl PgExecutor<'_>, key: &str) -> sqlx::Result<Option<u64>> {
    let row: Option<(i32, DateTime<Utc>)> = sqlx::query_as(
        "SELECT failures, window_started_at FROM login_failures WHERE username_key = $1",
    )
    .bind(key)
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|(failures, started)| retry_after(failures, started, Utc::now())))
}

fn retry_after(failures: i32, started: DateTime<Utc>, now: DateTime<Utc>) -> Option<u64> {
    let remaining = (started + chrono::Duration::seconds(WINDOW_SECS) - now).num_seconds();
    (failures >= MAX_FAILURES && remaining > 0)
        .then(|| u64::try_from(remaining).unwrap_or(1).max(1))
}

/// Counts one failure; a failure after the window has run out starts a new window.
pub async fn record_failure(db: impl PgExecutor<'_>, key: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO login_failures (username_key, failures, window_started_at) VALUES ($1, 1, now())
         ON CONFLICT (username_key) DO UPDATE SET
           failures = CASE WHEN login_failures.window_started_at + make_interval(secs => $2) < now()
                           THEN 1 ELSE login_failures.failures + 1 END,
           window_started_at = CASE WHEN login_failures.window_started_at + make_interval(secs => $2) < now()
                           THEN now() ELSE login_failures.window_started_at END",
    )
    .bind(key)
    .bind(WINDOW_SECS as f64)
    .execute(db)
    .await?;
    Ok(())
}

/// A successful login ends the run of failures.
pub async fn clear(db: impl PgExecutor<'_>, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures WHERE username_key = $1")
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_only_at_ten_failures_inside_the_window() {
        let now = Utc::now();
        assert_eq!(retry_after(9, now, now), None);
        assert_eq!(retry_after(10, now, now), Some(900));
        assert_eq!(
            retry_after(10, now - chrono::Duration::seconds(WINDOW_SECS), now),
            None
        );
        assert_eq!(
            retry_after(12, now - chrono::Duration::seconds(600), now),
            Some(300)
        );
    }
}
