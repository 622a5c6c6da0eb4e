//! Events that stand alone (reads, denials, failures) are written by one task in batches: one
//! insert and one commit for each batch, so concurrent readers share a commit instead of paying for
//! one each. A request is answered only after the batch holding its event has committed; the
//! sealer chains it after that.

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

use super::types::NewEvent;

/// Most events in one batch.
const MAX_BATCH: usize = 256;

struct Pending {
    event: NewEvent,
    written: oneshot::Sender<bool>,
}

/// The event could not be recorded: the database is unreachable, or the writer has stopped.
#[derive(Debug, thiserror::Error)]
#[error("the audit event could not be recorded")]
pub struct Unrecorded;

/// A request whose audit event could not be stored is not answered: the one refusal for it.
impl From<Unrecorded> for crate::error::ApiError {
    fn from(_: Unrecorded) -> Self {
        crate::error::ApiError::Unavailable {
            detail: "the audit trail is unavailable, so the request cannot be answered".into(),
            retry_after_secs: 2,
        }
    }
}

#[derive(Clone)]
pub struct AuditWriter {
    queue: mpsc::Sender<Pending>,
}

impl AuditWriter {
    /// Starts the writing task on the current runtime; it ends when every handle is dropped.
    pub fn start(db: PgPool, sealer: super::sealer::Sealer) -> AuditWriter {
        let (queue, mut arrivals) = mpsc::channel::<Pending>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while arrivals.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let events: Vec<&NewEvent> = batch.iter().map(|p| &p.event).collect();
                let written = match super::repo::record_alone(&db, &events).await {
                    Ok(()) => {
                        metrics::counter!("mash_audit_events_written_total")
                            .increment(events.len() as u64);
                        sealer.nudge();
                        true
                    }
                    Err(error) => {
                        tracing::error!(
                            ?error,
                            events = batch.len(),
                            "an audit batch was not written"
                        );
                        false
                    }
                };
                for pending in batch.drain(..) {
                    let _ = pending.written.send(written);
                }
            }
        });
        AuditWriter { queue }
    }

    /// Records `event`, returning once it is committed.
    pub async fn record(&self, event: NewEvent) -> Result<(), Unrecorded> {
        let (written, committed) = oneshot::channel();
        self.queue
            .send(Pending { event, written })
            .await
            .map_err(|_| Unrecorded)?;
        match committed.await {
            Ok(true) => Ok(()),
            _ => Err(Unrecorded),
        }
    }
}
