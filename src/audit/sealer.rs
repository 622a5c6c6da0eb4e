//! The sealer: one task per service process appends committed events to the chain in batches, off
//! every request's path, and signs a checkpoint of the chain at least every `checkpoint_every` while
//! it grows. Of several processes on one database exactly one seals: the one holding a
//! session-level advisory lock on its own connection. When that connection ends (the process
//! stopped, was killed, or lost the database), PostgreSQL releases the lock and another takes over.

use std::sync::Arc;
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use sqlx::PgPool;
use sqlx::postgres::PgConnection;
use tokio::sync::Notify;

use super::checkpoint::Signer;
use super::repo;

/// Held by the sealing process's connection for as long as it seals.
const SEALER_LOCK: i64 = 0x6d61_7368_7365_616c;
/// Most events appended in one transaction.
const MAX_BATCH: i64 = 2_000;
/// A pause after each round, so that a busy service seals in batches rather than once per write.
const GATHER: Duration = Duration::from_millis(50);
/// How often an idle sealer looks for events from other processes (its own wake it at once).
const POLL: Duration = Duration::from_millis(250);
/// How often a process that is not sealing asks to take over, and waits after losing the database.
const TAKEOVER: Duration = Duration::from_millis(500);

/// A handle on the sealing task: writers nudge it when they commit an event.
#[derive(Clone)]
pub struct Sealer {
    nudge: Arc<Notify>,
}

impl Sealer {
    /// Starts the task on the current runtime. With no `signer`, no checkpoints are made.
    pub fn start(db: &PgPool, signer: Option<Arc<Signer>>, checkpoint_every: Duration) -> Sealer {
        let nudge = Arc::new(Notify::new());
        tokio::spawn(run(db.clone(), nudge.clone(), signer, checkpoint_every));
        Sealer { nudge }
    }

    /// There is a new event to seal.
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }

    /// Waits, for at most `within`, until every event committed before `at` is sealed (by this
    /// process's sealer or another's). Events behind a transaction still open cannot be sealed
    /// until it ends: the wait then runs out, and `verify` reports them as waiting.
    pub async fn caught_up(
        &self,
        db: &PgPool,
        at: chrono::DateTime<Utc>,
        within: Duration,
    ) -> sqlx::Result<()> {
        let started = std::time::Instant::now();
        while repo::unsealed_before(db, at).await? > 0 && started.elapsed() < within {
            self.nudge();
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }
}

async fn run(
    db: PgPool,
    nudge: Arc<Notify>,
    signer: Option<Arc<Signer>>,
    checkpoint_every: Duration,
) {
    loop {
        // A connection of the pool's kind (its role, its settings), taken out of the pool for good:
        // the lock lives as long as it does.
        let mut conn = match db.acquire().await {
            Ok(conn) => conn.detach(),
            Err(error) => {
                tracing::debug!(?error, "the sealer cannot reach the database");
                tokio::time::sleep(TAKEOVER).await;
                continue;
            }
        };
        match become_sealer(&mut conn).await {
            Ok(()) => {}
            Err(error) => {
                tracing::debug!(
                    ?error,
                    "the sealer lost the database while waiting its turn"
                );
                tokio::time::sleep(TAKEOVER).await;
                continue;
            }
        }
        tracing::info!("sealing the audit chain");
        metrics::gauge!("mash_audit_sealing").set(1.0);
        let error = seal(&mut conn, &nudge, signer.as_deref(), checkpoint_every).await;
        metrics::gauge!("mash_audit_sealing").set(0.0);
        tracing::warn!(
            ?error,
            "the sealer stopped sealing; it will try to take over again"
        );
        // Dropping the connection releases the lock, should the database still hold it.
        drop(conn);
        tokio::time::sleep(TAKEOVER).await;
    }
}

/// Waits until this connection holds the sealer's lock.
async fn become_sealer(conn: &mut PgConnection) -> sqlx::Result<()> {
    // So that an administrator can tell the sealing connection apart.
    sqlx::query("SET application_name = 'mash-sealer'")
        .execute(&mut *conn)
        .await?;
    // A sealer that stops asking (hung, or cut off without the socket closing) loses the lock in
    // seconds, not when TCP gives up: it asks at least every `POLL`. (PostgreSQL 14 and later.)
    if let Err(error) = sqlx::query("SET idle_session_timeout = '10s'")
        .execute(&mut *conn)
        .await
    {
        tracing::debug!(?error, "idle_session_timeout is not available");
    }
    loop {
        let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(SEALER_LOCK)
            .fetch_one(&mut *conn)
            .await?;
        if held {
            return Ok(());
        }
        tokio::time::sleep(TAKEOVER).await;
    }
}

/// Seals until the database fails; returns why.
async fn seal(
    conn: &mut PgConnection,
    nudge: &Notify,
    signer: Option<&Signer>,
    checkpoint_every: Duration,
) -> sqlx::Error {
    // The newest checkpoint this key signed within the chain as it is: a row anyone else put
    // there (a position beyond the tip, another key) must not stop the signing.
    let newest = match repo::checkpoints(&mut *conn, None, 100).await {
        Ok(newest) => newest,
        Err(error) => return error,
    };
    let length = match repo::tip(conn).await {
        Ok(tip) => tip.position,
        Err(error) => return error,
    };
    let mut last = newest
        .into_iter()
        .find(|c| {
            c.position <= length
                && signer.is_some_and(|s| s.public_key() == c.public_key)
                && c.signed()
        })
        .map(|c| (c.position, c.made_at));
    loop {
        let (tip, sealed) = match repo::seal(conn, MAX_BATCH).await {
            Ok(sealed) => sealed,
            Err(error) => return error,
        };
        metrics::counter!("mash_audit_events_sealed_total").increment(sealed as u64);
        metrics::gauge!("mash_audit_chain_length").set(tip.position as f64);
        if let Some(signer) = signer {
            let due = last.is_none_or(|(position, made_at)| {
                tip.position > position
                    && (Utc::now() - made_at).to_std().unwrap_or_default() >= checkpoint_every
            });
            if due && tip.position > 0 {
                let checkpoint = signer.sign(tip.position, &tip.hash, Utc::now().trunc_subsecs(6));
                if let Err(error) = repo::insert_checkpoint(&mut *conn, &checkpoint).await {
                    return error;
                }
                last = Some((checkpoint.position, checkpoint.made_at));
            }
        }
        if sealed as i64 == MAX_BATCH {
            continue;
        }
        tokio::time::sleep(GATHER).await;
        if sealed == 0 {
            let _ = tokio::time::timeout(POLL, nudge.notified()).await;
        }
    }
}
