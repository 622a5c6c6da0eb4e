//! `/children/{child_id}/break-glass` and `/break-glass`: opening a record without involvement,
//! and its review by the agency's managers.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use super::repo::{self, NewBreakGlassRow};
use super::types::{
    BreakGlass, BreakGlassPage, BreakGlassParams, Disclosed, Disclosure, NewBreakGlass,
    NewDisclosure, NewRefusal, NewReview, Refusal, SharingDecisions,
};
use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{
    Action, authorize, break_glass_reviewable_by, may_break_glass, may_disclose,
    may_refuse_sharing, may_review_break_glass, sees_refusal_reason, sees_sharing_decision,
};
use crate::vocabulary::{Agency, Visibility};

#[derive(sqlx::FromRow)]
struct DisclosureRow {
    #[sqlx(flatten)]
    disclosure: Disclosure,
    entry_agency: Agency,
    entry_visibility: Visibility,
}

#[derive(sqlx::FromRow)]
struct RefusalRow {
    #[sqlx(flatten)]
    refusal: Refusal,
    entry_agency: Option<Agency>,
    entry_visibility: Option<Visibility>,
}
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
    responses(
        (status = 201, description = "The record is open to the caller until `expires_at`", body = BreakGlass),
        (status = 200, description = "The caller's glass on this record is open already: that one, unchanged", body = BreakGlass),
    )
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
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
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
    let mut fresh = true;
    let opened = recorder
        .write(async |tx| {
            // One open glass per user and record: a repeat answers the open one.
            let glass = match repo::open_one(&mut *tx, row.child_id, row.user_id).await? {
                Some(open) => {
                    fresh = false;
                    open
                }
                None => repo::insert(tx, &row).await?,
            };
            let id = glass.id;
            Ok((glass, id))
        })
        .await?;
    Ok(if fresh {
        HttpResponse::Created().json(opened)
    } else {
        HttpResponse::Ok().json(opened)
    })
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
    let agency = break_glass_reviewable_by(&actor)?;
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
        crate::auth::policy::workspace_of(&actor),
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
    // One on a record outside the caller's workspace is not theirs to know of.
    crate::children::reachable(&state.db, &actor, opened.child_id)
        .await
        .map_err(|e| match e {
            ApiError::NotFound(_) => ApiError::NotFound("no break-glass with this id".into()),
            other => other,
        })?;
    may_review_break_glass(&actor, opened.agency, opened.user_id)?;
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

/// Have another agency's restricted contact disclosed, under a lawful basis and with a reason: the
/// answer carries the contact in full, once; the disclosure is recorded (and audited), and the
/// chronology goes on showing the stub. An agency whose own contact it is may record a decision not
/// to share instead (`POST …/sharing-refusals`).
#[utoipa::path(
    tag = "sharing",
    operation_id = "createDisclosure",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewDisclosure,
    responses((status = 201, description = "Disclosed: the record of it, and the contact in full", body = Disclosed))
)]
#[post("/children/{child_id}/disclosures")]
#[tracing::instrument(name = "create_disclosure", skip_all, fields(user_id = %actor.id()))]
pub async fn create_disclosure(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewDisclosure>,
) -> ApiResult<HttpResponse> {
    let child = crate::record::open(&state, &actor, path.into_inner())
        .await?
        .child;
    let b = body.0;
    let row = crate::contacts::repo::find(&state.db, child.id, b.contact_id)
        .await?
        .ok_or_else(|| {
            ApiError::validation("contact_id", "no contact with this id on this record")
        })?;
    may_disclose(&actor, child.sharing_mode, row.agency, row.visibility)?;
    let agency = actor
        .agency()
        .ok_or_else(|| ApiError::Forbidden("only an agency user has entries disclosed".into()))?;
    let reason = text("reason", &b.reason, 1, 2000)?;
    let amendments = crate::contacts::repo::amendments_for(&state.db, &[row.id]).await?;
    let contact = row.into_contact(amendments);
    let disclosed = recorder
        .create(async |tx| {
            let disclosure: Disclosure = sqlx::query_as(
                "INSERT INTO disclosures (id, child_id, contact_id, user_id, agency, lawful_basis, reason)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 RETURNING id, child_id, contact_id, user_id, agency, lawful_basis, reason, disclosed_at",
            )
            .bind(Uuid::new_v4())
            .bind(child.id)
            .bind(b.contact_id)
            .bind(actor.id())
            .bind(agency)
            .bind(b.lawful_basis)
            .bind(&reason)
            .fetch_one(&mut *tx)
            .await?;
            Ok(Disclosed {
                disclosure,
                contact: contact.clone(),
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(disclosed))
}

/// Record the caller's agency's decision not to share (one of its contacts, or in general), with
/// the reason, and the agency that asked if one did.
#[utoipa::path(
    tag = "sharing",
    operation_id = "createSharingRefusal",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewRefusal,
    responses((status = 201, description = "Recorded", body = Refusal))
)]
#[post("/children/{child_id}/sharing-refusals")]
#[tracing::instrument(name = "create_sharing_refusal", skip_all, fields(user_id = %actor.id()))]
pub async fn create_sharing_refusal(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewRefusal>,
) -> ApiResult<HttpResponse> {
    let child = crate::record::open(&state, &actor, path.into_inner())
        .await?
        .child;
    let b = body.0;
    let entry_agency = match b.contact_id {
        Some(id) => Some(
            crate::contacts::repo::find(&state.db, child.id, id)
                .await?
                .ok_or_else(|| {
                    ApiError::validation("contact_id", "no contact with this id on this record")
                })?
                .agency,
        ),
        None => None,
    };
    may_refuse_sharing(&actor, entry_agency)?;
    let agency = actor
        .agency()
        .ok_or_else(|| ApiError::Forbidden("only an agency records refusals".into()))?;
    let reason = text("reason", &b.reason, 1, 2000)?;
    let refusal = recorder
        .create(async |tx| {
            sqlx::query_as::<_, Refusal>(
                "INSERT INTO sharing_refusals (id, child_id, contact_id, user_id, agency, requested_by, reason)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 RETURNING id, child_id, contact_id, user_id, agency, requested_by, reason, decided_at",
            )
            .bind(Uuid::new_v4())
            .bind(child.id)
            .bind(b.contact_id)
            .bind(actor.id())
            .bind(agency)
            .bind(b.requested_by)
            .bind(&reason)
            .fetch_one(&mut *tx)
            .await
        })
        .await?;
    Ok(HttpResponse::Created().json(refusal))
}

/// The record's sharing decisions: every disclosure made (who, which contact, under what lawful
/// basis, why) and every decision not to share, oldest first — each as the caller may see it: its
/// own agency's, and another's only about an entry the caller sees exists; a refusal's reason only
/// for the refusing agency and facilitators.
#[utoipa::path(
    tag = "sharing",
    operation_id = "getSharingDecisions",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    responses((status = 200, description = "The decisions", body = SharingDecisions))
)]
#[get("/children/{child_id}/sharing-decisions")]
#[tracing::instrument(name = "get_sharing_decisions", skip_all, fields(user_id = %actor.id()))]
pub async fn get_sharing_decisions(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
) -> ApiResult<web::Json<SharingDecisions>> {
    let child = crate::record::open(&state, &actor, path.into_inner())
        .await?
        .child;
    let mode = child.sharing_mode;
    // Each with the agency and visibility of the entry it is about, for the reader's sight.
    let disclosures: Vec<(Disclosure, Agency, Visibility)> = sqlx::query_as::<_, DisclosureRow>(
        "SELECT d.id, d.child_id, d.contact_id, d.user_id, d.agency, d.lawful_basis, d.reason,
                d.disclosed_at, c.agency AS entry_agency, c.visibility AS entry_visibility
           FROM disclosures d JOIN contacts c ON c.id = d.contact_id
          WHERE d.child_id = $1 ORDER BY d.disclosed_at, d.id",
    )
    .bind(child.id)
    .fetch_all(&state.db)
    .await?
    .into_iter()
    .map(|r| (r.disclosure, r.entry_agency, r.entry_visibility))
    .collect();
    let disclosures = disclosures
        .into_iter()
        .filter(|(d, agency, visibility)| {
            sees_sharing_decision(&actor, mode, d.agency, Some((*agency, *visibility)))
        })
        .map(|(d, _, _)| d)
        .collect();
    let refusals: Vec<RefusalRow> = sqlx::query_as(
        "SELECT r.id, r.child_id, r.contact_id, r.user_id, r.agency, r.requested_by, r.reason,
                r.decided_at, c.agency AS entry_agency, c.visibility AS entry_visibility
           FROM sharing_refusals r LEFT JOIN contacts c ON c.id = r.contact_id
          WHERE r.child_id = $1 ORDER BY r.decided_at, r.id",
    )
    .bind(child.id)
    .fetch_all(&state.db)
    .await?;
    let refusals = refusals
        .into_iter()
        .filter(|r| {
            let entry = r.entry_agency.zip(r.entry_visibility);
            sees_sharing_decision(&actor, mode, r.refusal.agency, entry)
        })
        .map(|r| {
            let mut refusal = r.refusal;
            if !sees_refusal_reason(&actor, refusal.agency) {
                refusal.reason = None;
            }
            refusal
        })
        .collect();
    Ok(web::Json(SharingDecisions {
        disclosures,
        refusals,
    }))
}
