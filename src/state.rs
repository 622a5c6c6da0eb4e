//! What every handler and middleware may reach: the database, the token keys, the audit writer,
//! the kept records and the per-client failure counts. Built once by `startup`.

use sqlx::postgres::PgPool;

use crate::audit::types::NewEvent;
use crate::audit::writer::AuditWriter;
use crate::auth::token::TokenKeys;
use crate::error::ApiResult;
use crate::record::cache::RecordCache;

/// What every handler may reach.
pub struct AppState {
    pub db: PgPool,
    pub tokens: TokenKeys,
    pub audit_enabled: bool,
    /// Longest a request may run (`MASH_REQUEST_TIMEOUT`).
    pub request_timeout: std::time::Duration,
    /// Records the events that have no transaction of their own.
    pub audit_writer: AuditWriter,
    /// Chains committed events, off the requests' path.
    pub sealer: crate::audit::sealer::Sealer,
    /// Child records as the combined views last read them.
    pub records: RecordCache,
    /// The rules' windows and thresholds (`MASH_RULE_*`).
    pub rules: crate::record::settings::RuleConfig,
    /// How long a session may be refreshed for.
    pub session_ttl: std::time::Duration,
    /// How long a break-glass opens a record (`MASH_BREAK_GLASS_TTL`).
    pub break_glass_ttl: std::time::Duration,
    /// Failures per client address.
    pub client_failures: crate::throttle::ClientFailures,
    /// Requests being answered now: a stop waits for them.
    pub in_flight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// Alert streams open now, per user (`alerts::streams::STREAMS_PER_USER` at most).
    pub alert_streams: crate::alerts::streams::OpenStreams,
    /// Refused reads per user and record, so that refusals cannot fill a child's access log.
    pub refused_reads: crate::audit::refusals::RefusedReads,
}

impl AppState {
    /// Runs `write` in a transaction and commits it with the audit event it answers with: both
    /// are kept, or neither. Every recorded write goes through here.
    pub async fn recorded<T>(
        &self,
        write: impl AsyncFnOnce(&mut sqlx::PgConnection) -> ApiResult<(T, NewEvent)>,
    ) -> ApiResult<T> {
        let mut tx = self.db.begin().await?;
        let (value, event) = write(&mut tx).await?;
        self.audit(&mut tx, &event).await?;
        tx.commit().await?;
        if self.audit_enabled {
            metrics::counter!("mash_audit_events_written_total").increment(1);
            self.sealer.nudge();
        }
        Ok(value)
    }

    /// Records `event` in the caller's transaction, so that a write and its event commit together.
    async fn audit(&self, tx: &mut sqlx::PgConnection, event: &NewEvent) -> sqlx::Result<()> {
        if self.audit_enabled {
            crate::audit::repo::record(tx, event).await
        } else {
            Ok(())
        }
    }
}
