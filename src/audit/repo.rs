//! SQL for the audit trail.

use chrono::{DateTime, SubsecRound, Utc};
use futures_util::TryStreamExt;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::chain::{Content, GENESIS, link};
use super::types::{AccessLogEntry, AuditEvent, ChainVerdict, NewEvent};
use crate::vocabulary::Agency;
use crate::vocabulary::Visibility;

/// Records `event` inside the caller's transaction: an insert and nothing else, so writers never
/// wait for each other. The sealer chains it once its transaction has committed.
pub async fn record(conn: &mut PgConnection, event: &NewEvent) -> sqlx::Result<()> {
    append(conn, &[event]).await
}

/// Records `events`, in order, in one insert inside the caller's transaction.
pub async fn append(conn: &mut PgConnection, events: &[&NewEvent]) -> sqlx::Result<()> {
    // Stored to the microsecond, so the leaf is computed over what is stored.
    let occurred_at = Utc::now().trunc_subsecs(6);
    // What the client typed may hold a NUL, which PostgreSQL text cannot store.
    let clean = |s: &Option<String>| s.as_deref().map(|s| s.replace('\0', "\u{fffd}"));
    let mut rows = Rows::default();
    for event in events {
        let (username, request_id, reason) = (
            clean(&event.who.username),
            clean(&event.request_id),
            clean(&event.reason),
        );
        let id = Uuid::new_v4();
        let agency = event.who.agency.map(|a| a.as_str());
        let role = event.who.role.map(|r| r.as_str());
        let content = Content {
            id,
            occurred_at,
            user_id: event.who.user_id,
            username: username.as_deref(),
            agency,
            role,
            action: event.action.as_str(),
            resource_type: event.action.resource_type(),
            resource_id: event.resource_id,
            child_id: event.child_id,
            request_id: request_id.as_deref(),
            outcome: event.outcome.as_str(),
            reason: reason.as_deref(),
        };
        rows.content_hash.push(content.leaf());
        rows.id.push(id);
        rows.user_id.push(event.who.user_id);
        rows.agency.push(agency);
        rows.role.push(role);
        rows.action.push(event.action.as_str());
        rows.resource_type.push(event.action.resource_type());
        rows.resource_id.push(event.resource_id);
        rows.child_id.push(event.child_id);
        rows.outcome.push(event.outcome.as_str());
        rows.username.push(username);
        rows.request_id.push(request_id);
        rows.reason.push(reason);
    }
    // In array order, so that `seq` follows the order given.
    sqlx::query(
        "INSERT INTO audit_events (id, occurred_at, user_id, username, agency, role, action, resource_type,
                                   resource_id, child_id, request_id, outcome, reason, content_hash)
         SELECT id, $2, user_id, username, agency, role, action, resource_type, resource_id, child_id,
                request_id, outcome, reason, content_hash
         FROM unnest($1::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::uuid[], $10::uuid[], $11::text[], $12::text[], $13::text[], $14::text[])
              WITH ORDINALITY AS e(id, user_id, username, agency, role, action, resource_type, resource_id,
                                   child_id, request_id, outcome, reason, content_hash, position)
         ORDER BY position",
    )
    .bind(&rows.id)
    .bind(occurred_at)
    .bind(&rows.user_id)
    .bind(&rows.username)
    .bind(&rows.agency)
    .bind(&rows.role)
    .bind(&rows.action)
    .bind(&rows.resource_type)
    .bind(&rows.resource_id)
    .bind(&rows.child_id)
    .bind(&rows.request_id)
    .bind(&rows.outcome)
    .bind(&rows.reason)
    .bind(&rows.content_hash)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Events as columns, for one insert of them all.
#[derive(Default)]
struct Rows {
    id: Vec<Uuid>,
    user_id: Vec<Option<Uuid>>,
    username: Vec<Option<String>>,
    agency: Vec<Option<&'static str>>,
    role: Vec<Option<&'static str>>,
    action: Vec<&'static str>,
    resource_type: Vec<&'static str>,
    resource_id: Vec<Option<Uuid>>,
    child_id: Vec<Option<Uuid>>,
    request_id: Vec<Option<String>>,
    outcome: Vec<&'static str>,
    reason: Vec<Option<String>>,
    content_hash: Vec<String>,
}

/// Records `events` in a transaction of their own (reads, denials and failures have no other).
pub async fn record_alone(db: &PgPool, events: &[&NewEvent]) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    append(&mut tx, events).await?;
    tx.commit().await
}

pub struct Filters<'a> {
    pub child_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub agency: Option<Agency>,
    pub action: Option<&'a str>,
    pub from: Option<chrono::DateTime<Utc>>,
    pub to: Option<chrono::DateTime<Utc>>,
    /// Events older than this position in the chain.
    pub before_seq: Option<i64>,
    /// Only events of callers in this workspace (`policy::workspace_of`); every one's when `None`.
    pub workspace: Option<Option<Uuid>>,
}

const EVENT: &str = "id, seq, occurred_at, user_id, username, agency, role, action, resource_type, resource_id, \
                     child_id, request_id, outcome, reason";

/// Newest first.
pub async fn list(
    db: impl PgExecutor<'_>,
    f: &Filters<'_>,
    limit: i64,
) -> sqlx::Result<Vec<AuditEvent>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EVENT} FROM audit_events
         WHERE ($1::uuid IS NULL OR child_id = $1) AND ($2::uuid IS NULL OR user_id = $2)
           AND ($3::text IS NULL OR agency = $3) AND ($4::text IS NULL OR action = $4)
           AND ($5::timestamptz IS NULL OR occurred_at >= $5) AND ($6::timestamptz IS NULL OR occurred_at <= $6)
           AND ($7::bigint IS NULL OR seq < $7)
           AND ($9 OR (user_id IS NULL AND $10::uuid IS NULL)
                OR user_id IN (SELECT id FROM users WHERE team_id IS NOT DISTINCT FROM $10))
         ORDER BY seq DESC LIMIT $8"
    )))
    .bind(f.child_id)
    .bind(f.user_id)
    .bind(f.agency)
    .bind(f.action)
    .bind(f.from)
    .bind(f.to)
    .bind(f.before_seq)
    .bind(limit)
    .bind(f.workspace.is_none())
    .bind(f.workspace.flatten())
    .fetch_all(db)
    .await
}

/// One access to a child's record, with the entry it touched (its agency and visibility), where it
/// touched one, so that the reader's sight of that entry decides what they see of the access.
#[derive(sqlx::FromRow)]
pub struct Access {
    pub seq: i64,
    #[sqlx(flatten)]
    pub entry: AccessLogEntry,
    pub entry_agency: Option<Agency>,
    pub entry_visibility: Option<Visibility>,
    /// The agency a referral was made to: it sees the referral too.
    pub entry_receiver: Option<Agency>,
}

/// Who accessed a child's record, newest first, with the names the service knows them by.
pub async fn access_log(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    before_seq: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<Access>> {
    // A check's failures name the person checked; its successes the check itself.
    sqlx::query_as(
        "SELECT e.seq, e.occurred_at, e.user_id, e.username, u.display_name, e.agency, e.role, e.action,
                e.resource_type, e.resource_id, e.outcome,
                coalesce(c.agency, k.agency, p.agency, r.agency) AS entry_agency,
                coalesce(c.visibility, r.visibility,
                         CASE WHEN k.id IS NOT NULL OR p.id IS NOT NULL THEN 'shared' END)
                  AS entry_visibility,
                r.details ->> 'to_agency' AS entry_receiver
         FROM audit_events e
         LEFT JOIN users u ON u.id = e.user_id
         LEFT JOIN process_records r ON e.resource_type IN ('referral', 'strategy_discussion',
                   'section_47_enquiry', 'assessment', 'conference', 'core_group', 'plan', 'plan_action',
                   'legal_planning_meeting', 'challenge')
                   AND r.id = e.resource_id AND r.child_id = e.child_id
         LEFT JOIN contacts c ON e.resource_type = 'contact' AND c.id = e.resource_id AND c.child_id = e.child_id
         LEFT JOIN person_checks k ON e.resource_type = 'check' AND k.id = e.resource_id AND k.child_id = e.child_id
         LEFT JOIN people p ON e.resource_type IN ('person', 'check') AND p.id = e.resource_id
                               AND p.child_id = e.child_id
         WHERE e.child_id = $1 AND ($2::bigint IS NULL OR e.seq < $2)
         ORDER BY e.seq DESC LIMIT $3",
    )
    .bind(child_id)
    .bind(before_seq)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// An event's hashed content as stored, and its place in the order of sealing.
#[derive(sqlx::FromRow)]
pub struct Stored {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub agency: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub child_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub outcome: String,
    pub reason: Option<String>,
    pub content_hash: Option<String>,
    /// The recording transaction, as text (sqlx has no `xid8`).
    pub xid: String,
    pub seq: i64,
}

impl Stored {
    pub fn content(&self) -> Content<'_> {
        Content {
            id: self.id,
            occurred_at: self.occurred_at,
            user_id: self.user_id,
            username: self.username.as_deref(),
            agency: self.agency.as_deref(),
            role: self.role.as_deref(),
            action: &self.action,
            resource_type: &self.resource_type,
            resource_id: self.resource_id,
            child_id: self.child_id,
            request_id: self.request_id.as_deref(),
            outcome: &self.outcome,
            reason: self.reason.as_deref(),
        }
    }

    /// Whether the event still has the content its stored leaf was computed from (an event of
    /// before leaves were stored has none to match).
    fn leaf_matches(&self) -> bool {
        self.content_hash
            .as_ref()
            .is_some_and(|stored| *stored == self.content().leaf())
    }

    /// The link this event makes after `prev`, from its content as it is now; `None` when its
    /// content no longer matches the leaf stored when it was recorded.
    fn link_after(&self, prev: &str) -> Option<String> {
        let content = self.content();
        match &self.content_hash {
            Some(stored) => {
                let leaf = content.leaf();
                (&leaf == stored).then(|| link(prev, &leaf))
            }
            None => Some(content.legacy_link(prev)),
        }
    }
}

/// The columns of [`Stored`], from `audit_events e`.
pub const STORED: &str = "e.id, e.occurred_at, e.user_id, e.username, e.agency, e.role, e.action, e.resource_type, \
                      e.resource_id, e.child_id, e.request_id, e.outcome, e.reason, e.content_hash, \
                      e.xid::text AS xid, e.seq";

/// The chain's tip: its length, its head's hash, and the sealing order of its head's event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tip {
    pub position: i64,
    pub hash: String,
    xid: String,
    seq: i64,
}

impl Tip {
    fn empty() -> Tip {
        Tip {
            position: 0,
            hash: GENESIS.to_string(),
            xid: "0".to_string(),
            seq: 0,
        }
    }
}

/// The chain's tip: the last link, and the sealing order of the last event still on the trail. (A
/// link whose event is missing, deleted or never recorded, leaves the frontier where its last real
/// event put it: sealing goes on after it, and `verify` names it.)
pub async fn tip(conn: &mut PgConnection) -> sqlx::Result<Tip> {
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT position, hash FROM audit_chain ORDER BY position DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let Some((position, hash)) = head else {
        return Ok(Tip::empty());
    };
    let frontier: Option<(String, i64)> = sqlx::query_as(
        "SELECT e.xid::text, e.seq FROM audit_chain c JOIN audit_events e ON e.id = c.event_id
         ORDER BY c.position DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let (xid, seq) = frontier.unwrap_or_else(|| ("0".to_string(), 0));
    Ok(Tip {
        position,
        hash,
        xid,
        seq,
    })
}

/// Appends to the chain, in one transaction, up to `limit` events whose transactions have all
/// ended, in (transaction, seq) order: every event it could ever see later comes after them in that
/// order, so the chain only ever grows at its tip. Returns the new tip and how many were sealed.
/// Run by the one sealer (`sealer.rs`); the chain's primary key refuses a second one's batch.
pub async fn seal(conn: &mut PgConnection, limit: i64) -> sqlx::Result<(Tip, usize)> {
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    let tip = tip(&mut tx).await?;
    // One statement: its snapshot is the one whose xmin it reads, so every event of an older
    // transaction that committed is visible to it.
    #[derive(sqlx::FromRow)]
    struct Leaf {
        id: Uuid,
        content_hash: Option<String>,
        xid: String,
        seq: i64,
    }
    let batch: Vec<Leaf> = sqlx::query_as(
        "SELECT e.id, e.content_hash, e.xid::text AS xid, e.seq FROM audit_events e
         WHERE (e.xid, e.seq) > ($1::text::xid8, $2) AND e.xid < pg_snapshot_xmin(pg_current_snapshot())
         ORDER BY e.xid, e.seq LIMIT $3",
    )
    .bind(&tip.xid)
    .bind(tip.seq)
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let Some(last) = batch.last() else {
        return Ok((tip, 0));
    };
    let (xid, seq) = (last.xid.clone(), last.seq);
    let (mut positions, mut ids, mut prevs, mut hashes) = (vec![], vec![], vec![], vec![]);
    let mut prev = tip.hash;
    let mut position = tip.position;
    for event in &batch {
        // A stored leaf is trusted here; `verify` recomputes it from the content.
        let hash = link(&prev, event.content_hash.as_deref().unwrap_or_default());
        position += 1;
        positions.push(position);
        ids.push(event.id);
        prevs.push(std::mem::replace(&mut prev, hash.clone()));
        hashes.push(hash);
    }
    sqlx::query(
        "INSERT INTO audit_chain (position, event_id, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[])",
    )
    .bind(&positions)
    .bind(&ids)
    .bind(&prevs)
    .bind(&hashes)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let tip = Tip {
        position,
        hash: prev,
        xid,
        seq,
    };
    Ok((tip, batch.len()))
}

/// Events recorded before `at` that the chain does not hold yet.
pub async fn unsealed_before(db: &PgPool, at: DateTime<Utc>) -> sqlx::Result<i64> {
    let mut conn = db.acquire().await?;
    let tip = tip(&mut conn).await?;
    sqlx::query_scalar(
        "SELECT count(*) FROM audit_events e WHERE (e.xid, e.seq) > ($1::text::xid8, $2) AND e.occurred_at <= $3",
    )
    .bind(&tip.xid)
    .bind(tip.seq)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
}

/// Walks the whole chain in order, recomputing every leaf and link; then checks the events not
/// yet sealed, and that none was left out behind the tip. In one snapshot, so that the sealer's
/// work meanwhile does not move what is being checked.
pub async fn verify(db: &PgPool) -> sqlx::Result<ChainVerdict> {
    let mut tx = db.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    #[derive(sqlx::FromRow)]
    struct Link {
        position: i64,
        prev_hash: String,
        hash: String,
        #[sqlx(flatten)]
        event: Stored,
    }
    let broken = |checked, id| ChainVerdict {
        valid: false,
        events_checked: checked,
        first_broken_event: Some(id),
        head_hash: None,
        unsealed_events: 0,
        oldest_unsealed_age_seconds: None,
    };
    let mut tip = Tip::empty();
    let mut checked = 0u64;
    let mut gap = None;
    {
        let mut links = sqlx::query_as::<_, Link>(sqlx::AssertSqlSafe(format!(
            "SELECT c.position, c.prev_hash, c.hash, {STORED}
             FROM audit_chain c JOIN audit_events e ON e.id = c.event_id ORDER BY c.position"
        )))
        .fetch(&mut *tx);
        while let Some(l) = links.try_next().await? {
            checked += 1;
            if l.position != tip.position + 1 {
                gap = Some((tip.position + 1, l.event));
                break;
            }
            match l.event.link_after(&tip.hash) {
                Some(hash) if l.prev_hash == tip.hash && l.hash == hash => {
                    tip = Tip {
                        position: l.position,
                        hash,
                        xid: l.event.xid,
                        seq: l.event.seq,
                    };
                }
                _ => return Ok(broken(checked, l.event.id)),
            }
        }
    }
    // Links past the last one walked: their events are gone (or were never recorded).
    if gap.is_none() {
        let orphan: Option<Uuid> = sqlx::query_scalar(
            "SELECT event_id FROM audit_chain WHERE position > $1 ORDER BY position LIMIT 1",
        )
        .bind(tip.position)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = orphan {
            return Ok(broken(checked + 1, id));
        }
    }
    if let Some((position, next)) = gap {
        // A sealed event is gone (its link names it), or a link is (its event is the first one
        // left unchained before the next link's).
        let gone: Option<Uuid> = sqlx::query_scalar(
            "SELECT event_id FROM audit_chain WHERE position = $1
             UNION ALL
             (SELECT e.id FROM audit_events e
              WHERE (e.xid, e.seq) < ($2::text::xid8, $3)
                AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)
              ORDER BY e.xid, e.seq LIMIT 1)
             LIMIT 1",
        )
        .bind(position)
        .bind(&next.xid)
        .bind(next.seq)
        .fetch_optional(&mut *tx)
        .await?;
        return Ok(broken(checked, gone.unwrap_or(next.id)));
    }
    // Left out behind the tip: an event the sealer can never reach now.
    let skipped: Option<Uuid> = sqlx::query_scalar(
        "SELECT e.id FROM audit_events e
         WHERE (e.xid, e.seq) <= ($1::text::xid8, $2)
           AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)
         ORDER BY e.seq LIMIT 1",
    )
    .bind(&tip.xid)
    .bind(tip.seq)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = skipped {
        return Ok(broken(checked, id));
    }
    let mut unsealed = sqlx::query_as::<_, Stored>(sqlx::AssertSqlSafe(format!(
        "SELECT {STORED} FROM audit_events e WHERE (e.xid, e.seq) > ($1::text::xid8, $2) ORDER BY e.xid, e.seq"
    )))
    .bind(&tip.xid)
    .bind(tip.seq)
    .fetch(&mut *tx);
    let (mut count, mut oldest) = (0u64, None::<DateTime<Utc>>);
    while let Some(e) = unsealed.try_next().await? {
        if !e.leaf_matches() {
            return Ok(broken(checked, e.id));
        }
        count += 1;
        oldest = Some(oldest.map_or(e.occurred_at, |o| o.min(e.occurred_at)));
    }
    let age = oldest.map(|o| (Utc::now() - o).num_microseconds().unwrap_or(0).max(0) as f64 / 1e6);
    Ok(ChainVerdict {
        valid: true,
        events_checked: checked,
        first_broken_event: None,
        head_hash: (checked > 0).then_some(tip.hash),
        unsealed_events: count,
        oldest_unsealed_age_seconds: age,
    })
}

pub async fn insert_checkpoint(
    conn: impl PgExecutor<'_>,
    checkpoint: &super::checkpoint::Checkpoint,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_checkpoints (position, head_hash, made_at, public_key, signature)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (position) DO NOTHING",
    )
    .bind(checkpoint.position)
    .bind(&checkpoint.head_hash)
    .bind(checkpoint.made_at)
    .bind(&checkpoint.public_key)
    .bind(&checkpoint.signature)
    .execute(conn)
    .await?;
    Ok(())
}

/// Checkpoints, newest first.
pub async fn checkpoints(
    conn: impl PgExecutor<'_>,
    before_position: Option<i64>,
    limit: i64,
) -> sqlx::Result<Vec<super::checkpoint::Checkpoint>> {
    sqlx::query_as(
        "SELECT position, head_hash, made_at, public_key, signature FROM audit_checkpoints
         WHERE ($1::bigint IS NULL OR position < $1) ORDER BY position DESC LIMIT $2",
    )
    .bind(before_position)
    .bind(limit)
    .fetch_all(conn)
    .await
    .map(|found: Vec<super::checkpoint::Checkpoint>| {
        found
            .into_iter()
            .map(super::checkpoint::Checkpoint::stated)
            .collect()
    })
}

/// The link at `position` in the chain, if it is that long.
pub async fn hash_at(conn: impl PgExecutor<'_>, position: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT hash FROM audit_chain WHERE position = $1")
        .bind(position)
        .fetch_optional(conn)
        .await
}
