//! `/me/alerts`: the caller's agency's alerts, marking one read, and a stream of new ones.

use std::collections::HashSet;
use std::time::Duration;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{Alert, AlertKind, on_record};
use crate::audit::Recorder;
use crate::auth::Actor;
use crate::auth::policy::sight;
use crate::combined::record::narrow;
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidQuery;
use crate::state::AppState;
use crate::vocabulary::{Agency, LawfulBasis};

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

/// Every alert of the caller's agency, as the caller may see the records, at `at`; newest first.
async fn alerts(state: &AppState, actor: &Actor, at: DateTime<Utc>) -> ApiResult<Vec<Alert>> {
    let agency = agency_of(actor)?;
    let mut out = Vec::new();
    let mut involved = HashSet::new();
    for child in crate::children::repo::all(&state.db).await? {
        if !crate::auth::policy::in_workspace(actor, child.team_id, child.retired) {
            continue;
        }
        let kept = state.records.record(&state.db, &child).await?;
        if !kept.involved.contains(&agency) {
            continue;
        }
        involved.insert(child.id);
        let mode = child.sharing_mode;
        let (snapshot, _) = narrow(&kept.stored, at, |a, v| sight(actor, mode, a, v));
        out.extend(on_record(agency, child.id, &snapshot, &state.rules, at));
    }
    let glasses: Vec<(Uuid, Uuid, Agency, LawfulBasis, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, child_id, agency, lawful_basis, opened_at FROM break_glass WHERE agency <> $1",
    )
    .bind(agency)
    .fetch_all(&state.db)
    .await?;
    for (id, child_id, by, basis, opened_at) in glasses {
        if involved.contains(&child_id) {
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

/// A server-sent event stream of the caller's unread alerts: each once, as `event: alert` with the
/// alert as JSON, then each new one as it arises; a comment every few seconds keeps it open.
#[utoipa::path(
    tag = "alerts",
    operation_id = "streamAlerts",
    responses((status = 200, description = "Server-sent events", content_type = "text/event-stream", body = String))
)]
#[get("/me/alerts/stream")]
#[tracing::instrument(name = "stream_alerts", skip_all, fields(user_id = %actor.id()))]
pub async fn stream_alerts(state: web::Data<AppState>, actor: Actor) -> ApiResult<HttpResponse> {
    agency_of(&actor)?;
    let started = std::time::Instant::now();
    let events = futures_util::stream::unfold(
        (state, actor, HashSet::<String>::new(), true),
        move |(state, actor, mut sent, first)| async move {
            if !first {
                tokio::time::sleep(STREAM_EVERY).await;
            }
            if started.elapsed() > STREAM_FOR {
                return None;
            }
            let mut chunk = String::new();
            match alerts(&state, &actor, Utc::now()).await {
                Ok(all) => {
                    for a in all.iter().rev().filter(|a| !a.read) {
                        if sent.insert(a.id.clone()) {
                            let data = serde_json::to_string(a).unwrap_or_default();
                            chunk += &format!("event: alert\nid: {}\ndata: {data}\n\n", a.id);
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "alerts for the stream failed"),
            }
            if chunk.is_empty() {
                chunk = ": waiting\n\n".into();
            }
            Some((
                Ok::<_, actix_web::Error>(web::Bytes::from(chunk)),
                (state, actor, sent, false),
            ))
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .streaming(events))
}
