//! Saved checkpoints held against the chain of today: a copy kept elsewhere shows any rewrite of
//! the trail, since the chain must still pass through every head it names.

use chrono::SecondsFormat;
use serde::Serialize;

use super::checkpoint::Checkpoint;
use super::repo;
use super::types::ChainVerdict;

/// What the chain of today says of one saved checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "finding")]
pub enum Finding {
    /// The chain still passes through the checkpoint's head.
    Consistent,
    /// The signature is not the named key's over the checkpoint.
    BadSignature,
    /// Signed, but by a key not among those trusted.
    UntrustedKey,
    /// The chain is now shorter than the checkpoint says it was.
    Truncated { length: i64 },
    /// The chain has another hash at that position: it was rewritten.
    Rewritten { hash_now: String },
}

/// The chain checked on its own, and against each saved checkpoint.
#[derive(Debug, Serialize)]
pub struct Consistency {
    pub chain: ChainVerdict,
    pub checkpoints: Vec<(Checkpoint, Finding)>,
}

impl Consistency {
    /// The report `mash audit verify` prints.
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let mut out = String::new();
        let c = &self.chain;
        match c.first_broken_event {
            None => {
                let _ = writeln!(
                    out,
                    "chain: valid, {} events sealed, head {}; {} not yet sealed{}",
                    c.events_checked,
                    c.head_hash.as_deref().unwrap_or("(empty)"),
                    c.unsealed_events,
                    c.oldest_unsealed_age_seconds
                        .map(|s| format!(" (the oldest for {s:.3} s)"))
                        .unwrap_or_default()
                );
            }
            Some(event) => {
                let _ = writeln!(
                    out,
                    "chain: BROKEN at event {event} (position {})",
                    c.events_checked
                );
            }
        }
        for (checkpoint, finding) in &self.checkpoints {
            let what = match finding {
                Finding::Consistent => "consistent".to_string(),
                Finding::BadSignature => "NOT SIGNED by the key it names".to_string(),
                Finding::UntrustedKey => "signed by a key not trusted".to_string(),
                Finding::Truncated { length } => {
                    format!("INCONSISTENT: the chain is now only {length} events long")
                }
                Finding::Rewritten { hash_now } => {
                    format!("INCONSISTENT: the chain now has {hash_now} there: it was rewritten")
                }
            };
            let _ = writeln!(
                out,
                "checkpoint {} at {} (key {}): {what}",
                checkpoint.position,
                checkpoint
                    .made_at
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
                checkpoint.public_key
            );
        }
        let _ = writeln!(
            out,
            "{}",
            if self.holds() {
                "the trail holds"
            } else {
                "the trail does NOT hold"
            }
        );
        out
    }

    pub fn holds(&self) -> bool {
        self.chain.valid
            && self
                .checkpoints
                .iter()
                .all(|(_, f)| *f == Finding::Consistent)
    }
}

/// Checks the chain in `db` and, against it, each of `saved`. With `trusted` keys (hex), a
/// checkpoint signed by any other key is refused. A valid chain that has a checkpoint's head hash
/// at its position holds every event that checkpoint covered, unchanged and in order: each link
/// commits to all before it.
pub async fn check(
    db: &sqlx::PgPool,
    saved: Vec<Checkpoint>,
    trusted: &[String],
) -> sqlx::Result<Consistency> {
    let chain = repo::verify(db).await?;
    let length = repo::tip(&mut *db.acquire().await?).await?.position;
    let mut checkpoints = Vec::with_capacity(saved.len());
    for checkpoint in saved {
        let finding = if !checkpoint.signed() {
            Finding::BadSignature
        } else if !trusted.is_empty()
            && !trusted
                .iter()
                .any(|k| k.eq_ignore_ascii_case(&checkpoint.public_key))
        {
            Finding::UntrustedKey
        } else {
            match repo::hash_at(db, checkpoint.position).await? {
                None => Finding::Truncated { length },
                Some(hash) if hash == checkpoint.head_hash => Finding::Consistent,
                Some(hash_now) => Finding::Rewritten { hash_now },
            }
        };
        checkpoints.push((checkpoint, finding));
    }
    Ok(Consistency { chain, checkpoints })
}
