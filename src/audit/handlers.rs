//! `GET /audit`, `GET /audit/verify` and `GET /children/{child_id}/access-log`.

use actix_web::{get, web};
use uuid::Uuid;

use super::repo::{self, Filters};
use super::types::{AccessLogPage, AuditFilters, AuditPage, ChainVerdict, CheckpointPage};
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, Sight, audit_scope, authorize, sight};
use crate::error::ApiResult;
use crate::extract::ValidQuery;
use crate::pagination::{Page, PageParams};
use crate::state::AppState;

/// The audit trail, newest first. Facilitators see every event; managers their own agency's.
#[utoipa::path(
    tag = "audit",
    operation_id = "listAuditEvents",
    params(AuditFilters),
    responses((status = 200, description = "A page of events, newest first", body = AuditPage))
)]
#[get("/audit")]
#[tracing::instrument(name = "list_audit", skip_all, fields(user_id = %actor.id()))]
pub async fn list_audit(
    state: web::Data<AppState>,
    actor: Actor,
    query: ValidQuery<AuditFilters>,
) -> ApiResult<web::Json<AuditPage>> {
    let q = query.0;
    // A manager's view is their own agency's events, whatever the filter asks.
    let agency = audit_scope(&actor, q.agency)?;
    // Audit pages are ordered by the chain itself: the cursor is a position in it.
    let window = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .window::<i64>()?;
    let action = crate::validation::optional_text("action", q.action.as_deref(), 100)?;
    let filters = Filters {
        child_id: q.child_id,
        user_id: q.user_id,
        agency,
        action: action.as_deref(),
        from: q.from,
        to: q.to,
        before_seq: window.after,
        workspace: crate::auth::policy::workspace_of(&actor),
    };
    let rows = repo::list(&state.db, &filters, window.fetch()).await?;
    Ok(web::Json(Page::of(rows, window.limit, |e| e.seq)))
}

/// Longest `verify` waits for the sealer to chain what was recorded before it was asked.
const CATCH_UP: std::time::Duration = std::time::Duration::from_secs(2);

/// Walk the whole chain and say whether every event still follows from its content and its
/// predecessor (facilitators only). Events recorded before the request are sealed first (waiting
/// up to 2 s); those that cannot be yet, behind a transaction still open, are counted as unsealed.
#[utoipa::path(
    tag = "audit",
    operation_id = "verifyAuditChain",
    responses((status = 200, description = "The verdict", body = ChainVerdict))
)]
#[get("/audit/verify")]
#[tracing::instrument(name = "verify_audit", skip_all, fields(user_id = %actor.id()))]
pub async fn verify_audit(
    state: web::Data<AppState>,
    actor: Actor,
) -> ApiResult<web::Json<ChainVerdict>> {
    authorize(&actor, Action::VerifyAudit)?;
    // What was recorded before the question is checked sealed, unless it cannot be sealed yet.
    state
        .sealer
        .caught_up(&state.db, chrono::Utc::now(), CATCH_UP)
        .await?;
    Ok(web::Json(repo::verify(&state.db).await?))
}

/// Signed checkpoints of the chain, newest first (facilitators and managers): copy them somewhere
/// the database's administrators cannot write, and `mash audit verify --checkpoints` will show
/// later whether the chain still passes through every one.
#[utoipa::path(
    tag = "audit",
    operation_id = "listAuditCheckpoints",
    params(PageParams),
    responses((status = 200, description = "A page of checkpoints, newest first", body = CheckpointPage))
)]
#[get("/audit/checkpoints")]
#[tracing::instrument(name = "list_checkpoints", skip_all, fields(user_id = %actor.id()))]
pub async fn list_checkpoints(
    state: web::Data<AppState>,
    actor: Actor,
    page: ValidQuery<PageParams>,
) -> ApiResult<web::Json<CheckpointPage>> {
    authorize(&actor, Action::ReadAudit)?;
    let window = page.0.window::<i64>()?;
    let rows = repo::checkpoints(&state.db, window.after, window.fetch()).await?;
    Ok(web::Json(Page::of(rows, window.limit, |c| c.position)))
}

/// Who has accessed this child's record, when, and what they did, newest first: the transparency a
/// family or an inspector would ask for. Any user may ask, and sees the accesses to the entries
/// they may see: none to an entry hidden from them (another agency's, in a siloed record), and of
/// an entry they see only as a stub, that it was accessed and by which agency, but not by whom.
#[utoipa::path(
    tag = "audit",
    operation_id = "getAccessLog",
    params(("child_id" = Uuid, Path, description = "The child record's id"), PageParams),
    responses((status = 200, description = "A page of accesses, newest first", body = AccessLogPage))
)]
#[get("/children/{child_id}/access-log")]
#[tracing::instrument(name = "access_log", skip_all, fields(user_id = %actor.id()))]
pub async fn access_log(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    page: ValidQuery<PageParams>,
) -> ApiResult<web::Json<AccessLogPage>> {
    let window = page.0.window::<i64>()?;
    let child = crate::record::open(&state, &actor, path.into_inner())
        .await?
        .child;
    let wanted = usize::try_from(window.fetch()).unwrap_or(usize::MAX);
    let mut before = window.after;
    let mut visible = Vec::with_capacity(wanted);
    // Hidden accesses are left out after reading, so read on until the page is full.
    'reading: loop {
        let rows = repo::access_log(&state.db, child.id, before, window.fetch()).await?;
        let exhausted = rows.len() < wanted;
        before = rows.last().map(|r| r.seq).or(before);
        for row in rows {
            let seen = match (row.entry_agency, row.entry_visibility) {
                (Some(agency), Some(visibility)) => {
                    let receiver = row
                        .entry_receiver
                        .map(|to| sight(&actor, child.sharing_mode, to, visibility));
                    match sight(&actor, child.sharing_mode, agency, visibility) {
                        Sight::Full => Sight::Full,
                        _ if receiver == Some(Sight::Full) => Sight::Full,
                        other => other,
                    }
                }
                _ => Sight::Full,
            };
            let mut entry = row.entry;
            match seen {
                Sight::Hidden => continue,
                Sight::Stub => {
                    entry.user_id = None;
                    entry.username = None;
                    entry.display_name = None;
                    entry.role = None;
                }
                Sight::Full => {}
            }
            visible.push((row.seq, entry));
            if visible.len() == wanted {
                break 'reading;
            }
        }
        if exhausted {
            break;
        }
    }
    let page = Page::of(visible, window.limit, |(seq, _)| *seq);
    Ok(web::Json(page.map(|(_, entry)| entry)))
}
