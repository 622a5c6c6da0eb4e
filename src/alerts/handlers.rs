//! `/me/alerts`: the caller's agency's alerts, marking one read, and a stream of new ones.

use std::collections::HashSet;
use std::time::Duration;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::streams::{STREAMS_PER_USER, StreamSlot};
use super::{Alert, AlertKind, EntryMark, new_agency_entries, on_record};
use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Sight, team_member};
use crate::children::Child;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidQuery;
use crate::record::{Glass, Open, open_each};
use crate::state::AppState;
use crate::vocabulary::{Agency, LawfulBasis, Visibility};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlertParams {
    /// The scenario moment the records are read at (RFC 3339); default now.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub as_of: Option<DateTime<Utc>>,
    /// `true`: only alerts not yet read.
    pub unread: Option<bool>,
    /// Most alerts listed (1 to 500, default 100), newest first.
    #[param(minimum = 1, maximum = 500, default = 100)]
    pub limit: Option<i64>,
}

/// The caller's alerts, newest first, with how many are unread.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertList {
    pub unread: usize,
    pub items: Vec<Alert>,
}

fn agency_of(actor: &Actor) -> ApiResult<Agency> {
    actor
        .agency()
        .ok_or_else(|| ApiError::Forbidden("alerts are an agency's: a facilitator has none".into()))
}

/// The records the caller's agency may be involved with (or its team works), as the caller may
/// know of them: found through indexes, never by reading every record.
async fn candidates(state: &AppState, actor: &Actor, agency: Agency) -> ApiResult<Vec<Child>> {
    let mut found = crate::children::repo::involving(&state.db, agency, actor.user.team_id).await?;
    found.retain(|c| crate::auth::policy::in_workspace(actor, c.team_id, c.retired));
    Ok(found)
}

/// Of `children`, the records the caller's agency is involved with (or its team works), each
/// decided by the policy over the kept record: alerts never go through a break-glass.
async fn involved_records(
    state: &AppState,
    actor: &Actor,
    children: Vec<Child>,
) -> ApiResult<Vec<Open>> {
    Ok(open_each(state, actor, children, Glass::DoesNotCount)
        .await?
        .into_iter()
        .filter_map(|(open, readable)| readable.then_some(open))
        .collect())
}

/// Whose entries a record holds, for telling the involved agencies that a new one shared
/// something: contacts, people and process records, by agency, id and time.
fn marks(stored: &crate::record::stored::StoredRecord) -> impl Iterator<Item = EntryMark> + '_ {
    stored
        .contacts
        .iter()
        .map(|c| EntryMark {
            agency: c.row.agency,
            id: c.row.id,
            at: c.row.fields.occurred_at,
            what: c.row.fields.kind.as_str().to_string(),
        })
        .chain(stored.people.iter().map(|p| EntryMark {
            agency: p.agency,
            id: p.id,
            at: p.occurred_at,
            what: "person".into(),
        }))
        .chain(stored.process.iter().map(|p| EntryMark {
            agency: p.row.agency,
            id: p.row.id,
            at: p.row.occurred_at,
            what: p.row.details.0.record_type().as_str().to_string(),
        }))
}

/// Every alert of the caller's agency on `records`, as the caller may see them, at `at`; newest
/// first.
async fn alerts_on(
    state: &AppState,
    actor: &Actor,
    records: &[Open],
    at: DateTime<Utc>,
) -> ApiResult<Vec<Alert>> {
    let agency = agency_of(actor)?;
    let mut out = Vec::new();
    for open in records {
        let (child, kept) = (&open.child, &open.kept);
        let sight_of = open.sight_of(actor);
        let (snapshot, _) = open.narrow(at, sight_of);
        out.extend(on_record(agency, child.id, &snapshot, &state.rules, at));
        // In a team's workspace every member is involved already.
        if !team_member(actor, child.team_id) {
            let seen = |a| sight_of(a, Visibility::Restricted) != Sight::Hidden;
            out.extend(new_agency_entries(
                agency,
                child.id,
                &kept.involved,
                marks(&kept.stored).filter(|m| seen(m.agency)),
                at,
            ));
        }
    }
    let ids: Vec<Uuid> = records.iter().map(|o| o.child.id).collect();
    type Glass = (
        Uuid,
        Uuid,
        Agency,
        LawfulBasis,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
    );
    let glasses: Vec<Glass> = sqlx::query_as(
        "SELECT b.id, b.child_id, b.agency, b.lawful_basis, b.opened_at, r.reviewed_at
           FROM break_glass b
           LEFT JOIN break_glass_reviews r
             ON r.break_glass_id = b.id AND r.outcome = 'not_justified'
          WHERE b.agency <> $1 AND b.child_id = ANY($2)",
    )
    .bind(agency)
    .bind(&ids)
    .fetch_all(&state.db)
    .await?;
    for (id, child_id, by, basis, opened_at, not_justified) in glasses {
        out.push(Alert {
            id: format!("break_glass.{id}"),
            kind: AlertKind::BreakGlass,
            child_id,
            entry_id: None,
            from_agency: Some(by),
            at: opened_at,
            summary: format!(
                "A {} user broke glass on the record ({})",
                by.label(),
                basis.as_str().replace('_', " ")
            ),
            read: false,
        });
        if let Some(reviewed_at) = not_justified {
            out.push(Alert {
                id: format!("break_glass_not_justified.{id}"),
                kind: AlertKind::BreakGlassNotJustified,
                child_id,
                entry_id: None,
                from_agency: Some(by),
                at: reviewed_at,
                summary: format!(
                    "A {} user's break-glass on the record was reviewed not justified, and closed",
                    by.label()
                ),
                read: false,
            });
        }
    }
    let read: HashSet<String> =
        sqlx::query_scalar("SELECT alert_id FROM alert_reads WHERE user_id = $1")
            .bind(actor.id())
            .fetch_all(&state.db)
            .await?
            .into_iter()
            .collect();
    for a in &mut out {
        a.read = read.contains(&a.id);
    }
    out.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.id.cmp(&b.id)));
    Ok(out)
}

/// Every alert of the caller's agency, as the caller may see the records, at `at`; newest first.
async fn alerts(state: &AppState, actor: &Actor, at: DateTime<Utc>) -> ApiResult<Vec<Alert>> {
    let agency = agency_of(actor)?;
    let children = candidates(state, actor, agency).await?;
    let records = involved_records(state, actor, children).await?;
    alerts_on(state, actor, &records, at).await
}

/// The caller's agency's alerts on the records of the children it is involved with: a referral
/// received, another involved agency's entry at concern level high or above, a challenge of its
/// entries, a clock it answers due within a working day or overdue, a break-glass by another
/// agency. Read at `as_of` (scenario time) when given.
#[utoipa::path(
    tag = "alerts",
    operation_id = "listAlerts",
    params(AlertParams),
    responses((status = 200, description = "The alerts, newest first", body = AlertList))
)]
#[get("/me/alerts")]
#[tracing::instrument(name = "list_alerts", skip_all, fields(user_id = %actor.id()))]
pub async fn list_alerts(
    state: web::Data<AppState>,
    actor: Actor,
    query: ValidQuery<AlertParams>,
) -> ApiResult<web::Json<AlertList>> {
    let q = query.0;
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::validation("limit", "from 1 to 500"));
    }
    let all = alerts(&state, &actor, q.as_of.unwrap_or_else(Utc::now)).await?;
    let unread = all.iter().filter(|a| !a.read).count();
    let items = all
        .into_iter()
        .filter(|a| q.unread != Some(true) || !a.read)
        .take(usize::try_from(limit).unwrap_or(100))
        .collect();
    Ok(web::Json(AlertList { unread, items }))
}

/// Mark an alert read (by its `id`); reading it again changes nothing.
#[utoipa::path(
    tag = "alerts",
    operation_id = "markAlertRead",
    params(("alert_id" = String, Path, description = "The alert's id")),
    responses((status = 204, description = "Read"))
)]
#[post("/me/alerts/{alert_id}/read")]
#[tracing::instrument(name = "mark_alert_read", skip_all, fields(user_id = %actor.id()))]
pub async fn mark_alert_read(
    actor: Actor,
    recorder: Recorder,
    path: web::Path<String>,
) -> ApiResult<HttpResponse> {
    agency_of(&actor)?;
    let id = crate::validation::text("alert_id", &path.into_inner(), 1, 200)?;
    recorder
        .write(async |tx| {
            sqlx::query(
                "INSERT INTO alert_reads (user_id, alert_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            )
            .bind(actor.id())
            .bind(&id)
            .execute(&mut *tx)
            .await?;
            Ok(((), actor.id()))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// How often the stream looks for new alerts, and how long one stream lasts before the client
/// reconnects (as `EventSource` does by itself).
const STREAM_EVERY: Duration = Duration::from_secs(2);
const STREAM_FOR: Duration = Duration::from_secs(600);
/// However little changed, the alerts are worked out again this often: a clock falls due with
/// nothing written.
const RECOMPUTE_AT_LEAST_EVERY: Duration = Duration::from_secs(60);
/// Each candidate record's versions (its entries', its own row's), then how many break-glasses
/// and reviews and read marks.
type Fingerprint = (Vec<(Uuid, i64)>, i64, i64);

/// What the caller's alerts depend on besides the clock, read in two queries whatever the number
/// of records: each candidate record's version, the break-glasses and their reviews, and the
/// caller's read marks. Unchanged, no record is read and nothing is worked out again.
async fn fingerprint(
    state: &AppState,
    actor: &Actor,
    children: &[Child],
) -> ApiResult<Fingerprint> {
    let ids: Vec<Uuid> = children.iter().map(|c| c.id).collect();
    // The record's version that every entry bumps (the cache's key), and the child row's own.
    let mut versions: Vec<(Uuid, i64)> = sqlx::query_as(
        "SELECT child_id, version FROM child_record_versions WHERE child_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_all(&state.db)
    .await?;
    versions.sort();
    versions.extend(children.iter().map(|c| (c.id, i64::from(c.version))));
    let (glasses, reads): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM break_glass WHERE child_id = ANY($1))
                + (SELECT count(*) FROM break_glass_reviews r JOIN break_glass b
                    ON b.id = r.break_glass_id WHERE b.child_id = ANY($1)),
                (SELECT count(*) FROM alert_reads WHERE user_id = $2)",
    )
    .bind(&ids)
    .bind(actor.id())
    .fetch_one(&state.db)
    .await?;
    Ok((versions, glasses, reads))
}

/// A server-sent event stream of the caller's unread alerts: each once, as `event: alert` with the
/// alert as JSON, then each new one as it arises; a comment every few seconds keeps it open. The
/// caller's session is checked before every send: once it has ended (logout, a new password, the
/// user disabled, an exercise's end) the stream closes. A user holds at most
/// `STREAMS_PER_USER` streams at once (429 past that).
#[utoipa::path(
    tag = "alerts",
    operation_id = "streamAlerts",
    responses(
        (status = 200, description = "Server-sent events", content_type = "text/event-stream", body = String),
        (status = 429, description = "The caller holds as many streams as one user may", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me/alerts/stream")]
#[tracing::instrument(name = "stream_alerts", skip_all, fields(user_id = %actor.id()))]
pub async fn stream_alerts(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    agency_of(&actor)?;
    let slot = state
        .alert_streams
        .take(actor.id())
        .ok_or(ApiError::TooManyRequests {
            detail: format!(
                "a user may hold {STREAMS_PER_USER} alert streams at once: close one first"
            ),
            retry_after_secs: STREAM_EVERY.as_secs(),
        })?;
    let started = std::time::Instant::now();
    struct Stream {
        state: web::Data<AppState>,
        actor: Actor,
        sent: HashSet<String>,
        first: bool,
        last: Option<(Fingerprint, std::time::Instant)>,
        _slot: StreamSlot,
    }
    let events = futures_util::stream::unfold(
        Stream {
            state,
            actor,
            sent: HashSet::new(),
            first: true,
            last: None,
            _slot: slot,
        },
        move |mut s| async move {
            if !s.first {
                tokio::time::sleep(STREAM_EVERY).await;
            }
            s.first = false;
            if started.elapsed() > STREAM_FOR {
                return None;
            }
            // The session may have ended since the last send: nothing more goes out on it.
            match crate::auth::session::live_user(&s.state.db, Some(s.actor.id()), s.actor.session)
                .await
            {
                Ok(Some(user)) => s.actor.user = user,
                Ok(None) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, "the stream's session could not be checked");
                    return None;
                }
            }
            let mut chunk = String::new();
            let fresh = async {
                let agency = agency_of(&s.actor)?;
                let children = candidates(&s.state, &s.actor, agency).await?;
                let print = fingerprint(&s.state, &s.actor, &children).await?;
                let due = s.last.as_ref().is_none_or(|(last, at)| {
                    *last != print || at.elapsed() >= RECOMPUTE_AT_LEAST_EVERY
                });
                if !due {
                    return Ok(None);
                }
                let records = involved_records(&s.state, &s.actor, children).await?;
                let all = alerts_on(&s.state, &s.actor, &records, Utc::now()).await?;
                Ok::<_, ApiError>(Some((all, print)))
            };
            match fresh.await {
                Ok(Some((all, print))) => {
                    s.last = Some((print, std::time::Instant::now()));
                    for a in all.iter().rev().filter(|a| !a.read) {
                        if s.sent.insert(a.id.clone()) {
                            let data = serde_json::to_string(a).unwrap_or_default();
                            chunk += &format!("event: alert\nid: {}\ndata: {data}\n\n", a.id);
                        }
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "alerts for the stream failed"),
            }
            if chunk.is_empty() {
                chunk = ": waiting\n\n".into();
            }
            Some((Ok::<_, actix_web::Error>(web::Bytes::from(chunk)), s))
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .streaming(events))
}
