//! Login throttling, kept in the database so every instance and restart agrees. Failures are
//! counted under one canonical form of the login name, the same key the user is looked up by:
//!
//! - per name and client address: ten failures in fifteen minutes lock that name *for that
//!   address* until the window has passed, so whoever guesses locks only themself out;
//! - per name, from every address together: past fifty failures in fifteen minutes the name takes
//!   one attempt every five seconds, which slows guessing from many addresses without locking the
//!   owner out.
//!
//! Each client address is also limited in failures of any kind, whatever the names
//! (`crate::throttle`). A facilitator may clear a name's counts.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

pub const MAX_FAILURES: i32 = 10;
pub const WINDOW_SECS: i64 = 15 * 60;
/// Failures of one name, from any address, after which it is slowed.
pub const NAME_FAILURES: i32 = 50;
/// How often a slowed name may be tried.
pub const NAME_INTERVAL_SECS: i64 = 5;

/// Longest key kept: one more than the longest username, so that a cut-down name can never be
/// mistaken for a real one.
const MAX_KEY_CHARS: usize = 65;

/// The canonical form of a login name: trimmed, and ASCII letters in lower case. Usernames are
/// ASCII (`validation::username`), so this is exact for every name that exists, and it is the key
/// of both the look-up and the counts. A name with anything else in it can match no user; it is
/// still counted, cut to a bounded length and without NUL (PostgreSQL text cannot hold one).
pub fn canonical(username: &str) -> String {
    username
        .trim()
        .chars()
        .take(MAX_KEY_CHARS)
        .map(|c| {
            if c == '\0' {
                char::REPLACEMENT_CHARACTER
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

/// Whether a canonical name could belong to a user at all.
pub fn could_exist(canonical: &str) -> bool {
    crate::validation::username("username", canonical).is_ok()
}

/// A count of failures: how many, since when, and the latest.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
struct Count {
    failures: i32,
    window_started_at: DateTime<Utc>,
    last_failure_at: DateTime<Utc>,
}

/// Seconds until this name may be tried again from `client`, when it may not be now.
pub async fn locked_for(db: &sqlx::PgPool, key: &str, client: &str) -> sqlx::Result<Option<u64>> {
    let pair = sqlx::query_as::<_, Count>(
        "SELECT failures, window_started_at, window_started_at AS last_failure_at
         FROM login_failures_by_client WHERE username_key = $1 AND client = $2",
    )
    .bind(key)
    .bind(client)
    .fetch_optional(db);
    let name = sqlx::query_as::<_, Count>(
        "SELECT failures, window_started_at, last_failure_at FROM login_failures WHERE username_key = $1",
    )
    .bind(key)
    .fetch_optional(db);
    let (pair, name) = tokio::try_join!(pair, name)?;
    Ok(wait(pair, name, Utc::now()))
}

/// The longer of the two waits, if either applies.
fn wait(pair: Option<Count>, name: Option<Count>, now: DateTime<Utc>) -> Option<u64> {
    let seconds = |until: DateTime<Utc>| {
        let left = (until - now).num_seconds();
        (left > 0).then(|| u64::try_from(left).unwrap_or(1).max(1))
    };
    let window = chrono::Duration::seconds(WINDOW_SECS);
    let in_window = |c: &Count| c.window_started_at + window > now;
    let pair_wait = pair
        .filter(|c| c.failures >= MAX_FAILURES && in_window(c))
        .and_then(|c| seconds(c.window_started_at + window));
    let name_wait = name
        .filter(|c| c.failures >= NAME_FAILURES && in_window(c))
        .and_then(|c| seconds(c.last_failure_at + chrono::Duration::seconds(NAME_INTERVAL_SECS)));
    pair_wait.max(name_wait)
}

/// Counts one failure of `key` from `client`; a failure after a window has run out starts a new one.
pub async fn record_failure(conn: &mut PgConnection, key: &str, client: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO login_failures_by_client (username_key, client, failures, window_started_at)
         VALUES ($1, $2, 1, now())
         ON CONFLICT (username_key, client) DO UPDATE SET
           failures = CASE WHEN login_failures_by_client.window_started_at + make_interval(secs => $3) < now()
                           THEN 1 ELSE login_failures_by_client.failures + 1 END,
           window_started_at = CASE WHEN login_failures_by_client.window_started_at + make_interval(secs => $3) < now()
                           THEN now() ELSE login_failures_by_client.window_started_at END",
    )
    .bind(key)
    .bind(client)
    .bind(WINDOW_SECS as f64)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO login_failures (username_key, failures, window_started_at, last_failure_at)
         VALUES ($1, 1, now(), now())
         ON CONFLICT (username_key) DO UPDATE SET
           failures = CASE WHEN login_failures.window_started_at + make_interval(secs => $2) < now()
                           THEN 1 ELSE login_failures.failures + 1 END,
           window_started_at = CASE WHEN login_failures.window_started_at + make_interval(secs => $2) < now()
                           THEN now() ELSE login_failures.window_started_at END,
           last_failure_at = now()",
    )
    .bind(key)
    .bind(WINDOW_SECS as f64)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Wrong current passwords one session may give when changing the password before it is ended.
pub const SESSION_PASSWORD_TRIES: i32 = 5;

/// How many failures `key` has from `client` in the window now.
pub async fn failures(conn: &mut PgConnection, key: &str, client: &str) -> sqlx::Result<i32> {
    let n: Option<i32> = sqlx::query_scalar(
        "SELECT failures FROM login_failures_by_client
          WHERE username_key = $1 AND client = $2
            AND window_started_at + make_interval(secs => $3) >= now()",
    )
    .bind(key)
    .bind(client)
    .bind(WINDOW_SECS as f64)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(n.unwrap_or(0))
}

/// A successful login ends the name's runs of failures, from every address: its owner is back.
/// A facilitator's unlock does the same.
pub async fn clear(conn: &mut PgConnection, key: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_failures_by_client WHERE username_key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM login_failures WHERE username_key = $1")
        .bind(key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    thread_local! {
        static NOW: DateTime<Utc> = Utc::now();
    }

    fn count(failures: i32, started_secs_ago: i64, last_secs_ago: i64) -> Count {
        let now = NOW.with(|n| *n);
        Count {
            failures,
            window_started_at: now - chrono::Duration::seconds(started_secs_ago),
            last_failure_at: now - chrono::Duration::seconds(last_secs_ago),
        }
    }

    #[test]
    fn a_name_is_locked_for_one_address_at_ten_failures_inside_the_window() {
        let now = NOW.with(|n| *n);
        assert_eq!(wait(Some(count(9, 0, 0)), None, now), None);
        assert_eq!(wait(Some(count(10, 0, 0)), None, now), Some(900));
        assert_eq!(wait(Some(count(12, 600, 0)), None, now), Some(300));
        assert_eq!(wait(Some(count(10, WINDOW_SECS, 0)), None, now), None);
    }

    #[test]
    fn a_name_failing_from_everywhere_is_slowed_not_locked() {
        let now = NOW.with(|n| *n);
        assert_eq!(wait(None, Some(count(49, 60, 0)), now), None);
        assert_eq!(wait(None, Some(count(50, 60, 0)), now), Some(5));
        assert_eq!(wait(None, Some(count(500, 60, 2)), now), Some(3));
        // Once the interval has passed the owner may try, however many failures there were.
        assert_eq!(wait(None, Some(count(500, 60, 5)), now), None);
        assert_eq!(wait(None, Some(count(500, WINDOW_SECS, 0)), now), None);
    }

    #[test]
    fn every_spelling_of_a_name_has_one_key() {
        assert_eq!(canonical(" Police_Demo "), "police_demo");
        assert!(could_exist(&canonical("POLICE_demo")));
        // A dotted capital I is not an I: it has a key of its own and can match no user.
        assert_ne!(canonical("vİctim"), canonical("victim"));
        assert!(!could_exist(&canonical("vİctim")));
        // Whatever is typed makes a key PostgreSQL can store and index.
        assert_eq!(canonical(&"x".repeat(10_000)).len(), MAX_KEY_CHARS);
        assert!(!canonical("\0^a").contains('\0'));
    }
}
