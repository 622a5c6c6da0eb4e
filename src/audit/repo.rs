//! SQL for the audit trail.

use chrono::{SubsecRound, Utc};
use futures_util::TryStreamExt;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::chain::{Content, GENESIS};
use super::types::{AccessLogEntry, AuditEvent, ChainVerdict, NewEvent};
use crate::vocabulary::Agency;
use crate::vocabulary::Visibility;

/// One writer at a time extends the chain: taken inside the writer's transaction, released at its
/// commit or rollback, so the chain cannot fork and a rolled-back write leaves no event.
const CHAIN_LOCK: i64 = 0x6d61_7368_6175_6474;

/// Appends `event` to the chain, inside the caller's transaction.
pub async fn record(conn: &mut PgConnection, event: &NewEvent) -> sqlx::Result<()> {
    append(conn, &[event]).await
}

/// Appends `events` to the chain in order, inside the caller's transaction: one lock, one read of
/// the chain's tip and one insert, however many there are.
pub async fn append(conn: &mut PgConnection, events: &[&NewEvent]) -> sqlx::Result<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(CHAIN_LOCK)
        .execute(&mut *conn)
        .await?;
    let tip: Option<String> =
        sqlx::query_scalar("SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let mut prev = tip.unwrap_or_else(|| GENESIS.to_string());
    // Stored to the microsecond, so the hash is computed over what is stored.
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
        let hash = content.hash(&prev);
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
        rows.prev_hash
            .push(std::mem::replace(&mut prev, hash.clone()));
        rows.hash.push(hash);
    }
    // In array order, so that `seq` follows the chain.
    sqlx::query(
        "INSERT INTO audit_events (id, occurred_at, user_id, username, agency, role, action, resource_type,
                                   resource_id, child_id, request_id, outcome, reason, prev_hash, hash)
         SELECT id, $2, user_id, username, agency, role, action, resource_type, resource_id, child_id,
                request_id, outcome, reason, prev_hash, hash
         FROM unnest($1::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                     $9::uuid[], $10::uuid[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[])
              WITH ORDINALITY AS e(id, user_id, username, agency, role, action, resource_type, resource_id,
                                   child_id, request_id, outcome, reason, prev_hash, hash, position)
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
    .bind(&rows.prev_hash)
    .bind(&rows.hash)
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
    prev_hash: Vec<String>,
    hash: Vec<String>,
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
                   'legal_planning_meeting')
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

/// Walks the whole chain in order, recomputing every hash.
pub async fn verify(db: &PgPool) -> sqlx::Result<ChainVerdict> {
    #[derive(sqlx::FromRow)]
    struct Stored {
        id: Uuid,
        occurred_at: chrono::DateTime<Utc>,
        user_id: Option<Uuid>,
        username: Option<String>,
        agency: Option<String>,
        role: Option<String>,
        action: String,
        resource_type: String,
        resource_id: Option<Uuid>,
        child_id: Option<Uuid>,
        request_id: Option<String>,
        outcome: String,
        reason: Option<String>,
        prev_hash: String,
        hash: String,
    }
    let mut rows = sqlx::query_as::<_, Stored>(
        "SELECT id, occurred_at, user_id, username, agency, role, action, resource_type, resource_id, child_id,
                request_id, outcome, reason, prev_hash, hash
         FROM audit_events ORDER BY seq",
    )
    .fetch(db);
    let mut expected_prev = GENESIS.to_string();
    let mut checked = 0u64;
    while let Some(e) = rows.try_next().await? {
        checked += 1;
        let content = Content {
            id: e.id,
            occurred_at: e.occurred_at,
            user_id: e.user_id,
            username: e.username.as_deref(),
            agency: e.agency.as_deref(),
            role: e.role.as_deref(),
            action: &e.action,
            resource_type: &e.resource_type,
            resource_id: e.resource_id,
            child_id: e.child_id,
            request_id: e.request_id.as_deref(),
            outcome: &e.outcome,
            reason: e.reason.as_deref(),
        };
        if e.prev_hash != expected_prev || content.hash(&e.prev_hash) != e.hash {
            return Ok(ChainVerdict {
                valid: false,
                events_checked: checked,
                first_broken_event: Some(e.id),
            });
        }
        expected_prev = e.hash;
    }
    Ok(ChainVerdict {
        valid: true,
        events_checked: checked,
        first_broken_event: None,
    })
}
