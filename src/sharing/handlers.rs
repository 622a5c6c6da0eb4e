//! `/children/{child_id}/break-glass` and `/break-glass`: opening a record without involvement,
//! and its review by the agency's managers.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use super::repo::{self, NewBreakGlassRow};
use super::types::{BreakGlass, BreakGlassPage, BreakGlassParams, NewBreakGlass, NewReview};
use crate::audit::Recorder;
use crate::auth::Actor;
use crate::auth::policy::{Action, authorize, may_break_glass, may_review_break_glass};
use crate::children::repo::load;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::{Cursor, Page, PageParams};
use crate::state::AppState;
use crate::validation::text;

/// Break glass: a user of an agency not involved with the child states a lawful basis and a reason,
/// and may read the record for `MASH_BREAK_GLASS_TTL` (24 hours unless configured). The agency's
/// managers review it (`GET /break-glass?reviewed=false`).
#[utoipa::path(
    tag = "sharing",
    operation_id = "breakGlass",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewBreakGlass,
    responses((status = 201, description = "The record is open to the caller until `expires_at`", body = BreakGlass))
)]
#[post("/children/{child_id}/break-glass")]
#[tracing::instrument(name = "break_glass", skip_all, fields(user_id = %actor.id()))]
pub async fn break_glass(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewBreakGlass>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::ReadChild)?;
    let child = load(&state.db, path.into_inner()).await?;
    let kept = state.records.record(&state.db, &child).await?;
    may_break_glass(&actor, &kept.involved)?;
    let agency = actor
        .agency()
        .ok_or_else(|| ApiError::Forbidden("only an agency user breaks glass".into()))?;
    let reason = text("reason", &body.0.reason, 1, 2000)?;
    let row = NewBreakGlassRow {
        child_id: child.id,
        user_id: actor.id(),
        agency,
        lawful_basis: body.0.lawful_basis,
        reason: &reason,
        ttl: state.break_glass_ttl,
    };
    let opened = recorder
        .create(async |tx| repo::insert(tx, &row).await)
        .await?;
    Ok(HttpResponse::Created().json(opened))
}

/// Break-glasses for review, newest first: a manager sees their agency's, a facilitator every
/// agency's. `reviewed=false` lists those still waiting.
#[utoipa::path(
    tag = "sharing",
    operation_id = "listBreakGlass",
    params(BreakGlassParams),
    responses((status = 200, description = "A page of break-glasses", body = BreakGlassPage))
)]
#[get("/break-glass")]
#[tracing::instrument(name = "list_break_glass", skip_all, fields(user_id = %actor.id()))]
pub async fn list_break_glass(
    state: web::Data<AppState>,
    actor: Actor,
    query: ValidQuery<BreakGlassParams>,
) -> ApiResult<web::Json<BreakGlassPage>> {
    let q = query.0;
    let agency = match actor.agency() {
        Some(own) => {
            may_review_break_glass(&actor, own)?;
            Some(own)
        }
        None => {
            authorize(&actor, Action::ManageUsers)?;
            None
        }
    };
    let window = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    }
    .window::<Cursor>()?;
    let rows = repo::list(
        &state.db,
        agency,
        q.reviewed,
        window.after.map(|c| (c.at, c.id)),
        window.fetch(),
    )
    .await?;
    Ok(web::Json(Page::of(rows, window.limit, |b| Cursor {
        at: b.opened_at,
        id: b.id,
    })))
}

/// A manager's review of a break-glass by a user of their agency (or a facilitator's): `justified`
/// or `not_justified`, with a note. Once.
#[utoipa::path(
    tag = "sharing",
    operation_id = "reviewBreakGlass",
    params(("break_glass_id" = Uuid, Path, description = "The break-glass's id")),
    request_body = NewReview,
    responses(
        (status = 201, description = "Reviewed: the break-glass with its review", body = BreakGlass),
        (status = 409, description = "Already reviewed", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/break-glass/{break_glass_id}/review")]
#[tracing::instrument(name = "review_break_glass", skip_all, fields(user_id = %actor.id()))]
pub async fn review_break_glass(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewReview>,
) -> ApiResult<HttpResponse> {
    let id = path.into_inner();
    let opened = repo::find(&state.db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no break-glass with this id".into()))?;
    may_review_break_glass(&actor, opened.agency)?;
    let note = text("note", &body.0.note, 1, 2000)?;
    let outcome = body.0.outcome;
    let reviewed = recorder
        .write(async |tx| {
            if !repo::review(&mut *tx, id, actor.id(), outcome, &note).await? {
                return Err(ApiError::Conflict(
                    "this break-glass has already been reviewed".into(),
                ));
            }
            let reviewed = repo::find(&mut *tx, id)
                .await?
                .ok_or_else(|| ApiError::NotFound("no break-glass with this id".into()))?;
            Ok((reviewed, id))
        })
        .await?;
    Ok(HttpResponse::Created().json(reviewed))
}
