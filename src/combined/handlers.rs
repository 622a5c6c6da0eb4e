//! `/children/{child_id}/chronology`, `/concerns` and `/gap-report`.
//!
//! Every view is computed over exactly the entries the caller may see in full: a facilitator sees
//! the combined record; in a siloed record an agency user's views are its own agency's alone;
//! another agency's restricted contact appears only as a stub in the chronology.

use std::sync::Arc;

use actix_web::{get, web};
use uuid::Uuid;

use super::concerns::concerns;
use super::indicators::{gap_report, gap_report_with};
use super::types::{
    AsOfParams, ChronologyPage, ChronologyParams, ConcernSummary, GapReport, RuleSettings,
};
use crate::auth::actor::Actor;
use crate::error::ApiResult;
use crate::extract::ValidQuery;
use crate::pagination::{Page, PageParams};
use crate::record::chronology::{Position, chronology};
use crate::state::AppState;

/// Every entry the caller may see, merged across agencies in scenario-time order (ties by recording
/// time): contacts (other agencies' restricted ones as stubs), people recorded and checks.
#[utoipa::path(
    tag = "combined",
    operation_id = "getChronology",
    params(("child_id" = Uuid, Path, description = "The child record's id"), ChronologyParams),
    responses((status = 200, description = "A page of the chronology", body = ChronologyPage))
)]
#[get("/children/{child_id}/chronology")]
#[tracing::instrument(name = "get_chronology", skip_all, fields(user_id = %actor.id()))]
pub async fn get_chronology(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<ChronologyParams>,
) -> ApiResult<web::Json<ChronologyPage>> {
    let q = query.0;
    let window = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .window::<Position>()?;
    let crate::record::View {
        snapshot,
        stubs,
        whole,
    } = crate::record::view(&state, &actor, path.into_inner(), q.as_of).await?;
    let all = whole.map_or_else(
        || Arc::new(chronology(&snapshot, &stubs)),
        |kept| kept.chronology.clone(),
    );
    // Only the page is copied out of the whole.
    let items = all
        .iter()
        .filter(|(pos, item)| {
            q.agency.is_none_or(|a| item.agency == a)
                && q.from.is_none_or(|from| item.occurred_at >= from)
                && q.to.is_none_or(|to| item.occurred_at <= to)
                && window.after.is_none_or(|after| *pos > after)
        })
        .take(usize::try_from(window.fetch()).unwrap_or(usize::MAX))
        .cloned()
        .collect::<Vec<_>>();
    let page = Page::of(items, window.limit, |(pos, _)| *pos);
    Ok(web::Json(page.map(|(_, item)| item)))
}

/// Per agency: contacts, highest concern level, counts by concern category, injuries and the latest
/// entry; and the same for the whole record. Over the contacts the caller may see in full.
#[utoipa::path(
    tag = "combined",
    operation_id = "getConcerns",
    params(("child_id" = Uuid, Path, description = "The child record's id"), AsOfParams),
    responses((status = 200, description = "The concern summary", body = ConcernSummary))
)]
#[get("/children/{child_id}/concerns")]
#[tracing::instrument(name = "get_concerns", skip_all, fields(user_id = %actor.id()))]
pub async fn get_concerns(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<AsOfParams>,
) -> ApiResult<web::Json<ConcernSummary>> {
    let child_id = path.into_inner();
    let snapshot = crate::record::view(&state, &actor, child_id, query.0.as_of)
        .await?
        .snapshot;
    let (agencies, total) = concerns(&snapshot);
    Ok(web::Json(ConcernSummary {
        child_id,
        as_of: query.0.as_of,
        agencies,
        total,
    }))
}

/// The warning signs of the combined record (docs/domain.md, rules 1–13): each that held by `as_of`, from when, on which
/// entries, and whether any agency could have seen it alone. Computed over the entries the caller
/// may see in full: a facilitator gets the combined record even when it is siloed; an agency user
/// of a siloed record gets their own agency's alone.
#[utoipa::path(
    tag = "combined",
    operation_id = "getGapReport",
    params(("child_id" = Uuid, Path, description = "The child record's id"), AsOfParams),
    responses((status = 200, description = "The gap report", body = GapReport))
)]
#[get("/children/{child_id}/gap-report")]
#[tracing::instrument(name = "get_gap_report", skip_all, fields(user_id = %actor.id()))]
pub async fn get_gap_report(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<AsOfParams>,
) -> ApiResult<web::Json<GapReport>> {
    let child_id = path.into_inner();
    let crate::record::View {
        snapshot, whole, ..
    } = crate::record::view(&state, &actor, child_id, query.0.as_of).await?;
    let config = &state.rules;
    let (indicators, summary) = match whole {
        Some(kept) => kept.gap_report(snapshot.horizon, config, |whole, alone| {
            gap_report_with(whole, alone, config)
        }),
        None => gap_report(&snapshot, config),
    };
    Ok(web::Json(GapReport {
        child_id,
        as_of: query.0.as_of,
        indicators,
        summary,
        settings: RuleSettings {
            values: config.values(),
            changed_from_default: config.changed(),
        },
    }))
}
