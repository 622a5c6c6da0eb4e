//! `/children`: open, find, read and change child records; switch their sharing mode.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::Utc;
use uuid::Uuid;

use super::repo::{self, ChildRecord, Filters};
use super::types::{
    Child, ChildChange, ChildEntry, ChildExistence, ChildPage, ChildSearch, NewChild,
    SharingModeChange,
};
use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, authorize};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::{Cursor, Page};
use crate::record::{Glass, Open};
use crate::state::AppState;
use crate::validation;

fn with_etag(mut response: actix_web::HttpResponseBuilder, child: &Child) -> HttpResponse {
    response
        .insert_header((header::ETAG, child.etag()))
        .json(child)
}

/// Open a child record (any agency user or facilitator).
#[utoipa::path(
    tag = "children",
    operation_id = "createChild",
    request_body = NewChild,
    responses((status = 201, description = "Created", body = Child,
        headers(("ETag" = String, description = "The record's version, for If-Match"))))
)]
#[post("/children")]
#[tracing::instrument(name = "create_child", skip_all, fields(user_id = %actor.id()))]
pub async fn create_child(
    actor: Actor,
    recorder: Recorder,
    body: ValidJson<NewChild>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::CreateChild)?;
    let body = body.0;
    let given_name = validation::text("given_name", &body.given_name, 1, 100)?;
    let family_name = validation::text("family_name", &body.family_name, 1, 100)?;
    if body.date_of_birth > Utc::now().date_naive() {
        return Err(ApiError::validation(
            "date_of_birth",
            "must not be in the future",
        ));
    }
    let identifier = validation::optional_text("identifier", body.identifier.as_deref(), 50)?;
    let address = validation::optional_text("address", body.address.as_deref(), 500)?;
    let record = ChildRecord {
        given_name: &given_name,
        family_name: &family_name,
        date_of_birth: body.date_of_birth,
        identifier: identifier.as_deref(),
        address: address.as_deref(),
        created_by: actor.id(),
        team_id: actor.user.team_id,
    };
    let child = recorder
        .create(async |tx| repo::insert(tx, &record).await)
        .await?;
    Ok(with_etag(HttpResponse::Created(), &child))
}

/// Find child records: by an exact identifier, or by a name (or part of one) with the date of
/// birth. A practitioner's or manager's search answers one page of at most 20 records; a
/// facilitator, and an exercise team's member in its own workspace, may list every record they may
/// know of. A record the caller may not read shows only that it exists, and the finding is recorded
/// in that record's access log.
#[utoipa::path(
    tag = "children",
    operation_id = "searchChildren",
    params(ChildSearch),
    responses((status = 200, description = "A page of matching records, oldest first", body = ChildPage))
)]
#[get("/children")]
#[tracing::instrument(name = "search_children", skip_all, fields(user_id = %actor.id()))]
pub async fn search_children(
    request: HttpRequest,
    state: web::Data<AppState>,
    actor: Actor,
    query: ValidQuery<ChildSearch>,
) -> ApiResult<web::Json<ChildPage>> {
    authorize(&actor, Action::ReadChild)?;
    let query = query.0;
    let mut window = query.page().window()?;
    let name = validation::optional_text("name", query.name.as_deref(), 100)?;
    let identifier = validation::optional_text("identifier", query.identifier.as_deref(), 50)?;
    let cap = crate::auth::policy::search_needs(
        &actor,
        name.is_some(),
        query.date_of_birth.is_some(),
        identifier.is_some(),
    )
    .map_err(|(field, why)| ApiError::validation(field, why))?;
    if let Some(cap) = cap {
        // A capped search answers one page of at most `cap` records, and no further page.
        if window.after.is_some() {
            return Err(ApiError::validation(
                "cursor",
                "a search answers one page: name the child more closely",
            ));
        }
        window.limit = window.limit.min(cap);
    }
    let filters = Filters {
        name: name.as_deref(),
        date_of_birth: query.date_of_birth,
        identifier: identifier.as_deref(),
        workspace: crate::auth::policy::workspace_of(&actor),
    };
    let rows = repo::search(&state.db, &filters, &window).await?;
    let mut page = Page::of(rows, window.limit, |c| Cursor {
        at: c.created_at,
        id: c.id,
    });
    if cap.is_some() {
        page.next_cursor = None;
    }
    // A record the caller may not read shows only that it exists, and who is involved.
    let found = crate::record::open_each(&state, &actor, page.items, Glass::Counts).await?;
    let mut items = Vec::with_capacity(found.len());
    for (Open { child, kept }, readable) in found {
        items.push(if readable {
            ChildEntry::Full(Box::new(child))
        } else {
            // Finding a record one may not read lands in that record's access log.
            let mut event = crate::audit::types::NewEvent::new(
                crate::audit::types::Who::from(&actor),
                crate::routes::AuditAction::ChildSearch,
                crate::audit::types::Outcome::Allowed,
            );
            event.child_id = Some(child.id);
            event.resource_id = Some(child.id);
            event.request_id = Some(crate::telemetry::request_id(&request));
            event.reason = Some("found by a search: shown as existing only".into());
            if state.audit_enabled {
                state.audit_writer.record(event).await?;
            }
            ChildEntry::Existence(ChildExistence {
                id: child.id,
                given_name: child.given_name,
                family_name: child.family_name,
                date_of_birth: child.date_of_birth,
                involved_agencies: kept.involved.iter().copied().collect(),
                restricted: true,
            })
        });
    }
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// Read a child record.
#[utoipa::path(
    tag = "children",
    operation_id = "getChild",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    responses((status = 200, description = "The record", body = Child,
        headers(("ETag" = String, description = "The record's version, for If-Match"))))
)]
#[get("/children/{child_id}")]
#[tracing::instrument(name = "get_child", skip_all, fields(user_id = %actor.id()))]
pub async fn get_child(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let child = crate::record::open(&state, &actor, path.into_inner())
        .await?
        .child;
    Ok(with_etag(HttpResponse::Ok(), &child))
}

/// The version an `If-Match` header allows, given the record's current one; `None` for `*`, which
/// allows whatever version is current when the change is made.
fn matched_version(req: &HttpRequest, current: &Child) -> ApiResult<Option<i32>> {
    let value = req
        .headers()
        .get(header::IF_MATCH)
        .ok_or_else(|| ApiError::PreconditionRequired("send the record's ETag in If-Match".into()))?
        .to_str()
        .map_err(|_| ApiError::PreconditionFailed("If-Match is not a valid ETag".into()))?;
    let current_tag = current.etag();
    let tags: Vec<&str> = value
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/"))
        .collect();
    if tags.contains(&"*") {
        Ok(None)
    } else if tags.contains(&current_tag.as_str()) {
        Ok(Some(current.version))
    } else {
        Err(ApiError::PreconditionFailed(format!(
            "the record has changed (now at {current_tag}); read it again and retry"
        )))
    }
}

/// Change a record's status or address. Requires `If-Match` with the record's `ETag`.
#[utoipa::path(
    tag = "children",
    operation_id = "updateChild",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("If-Match" = Option<String>, Header, description = "The ETag of the version being changed, or `*`. \
Without it the change is refused with 428."),
    ),
    request_body = ChildChange,
    responses(
        (status = 200, description = "The record as changed", body = Child,
            headers(("ETag" = String, description = "The new version"))),
        (status = 412, description = "The record has changed since that ETag", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match header", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/children/{child_id}")]
#[tracing::instrument(name = "update_child", skip_all, fields(user_id = %actor.id()))]
pub async fn update_child(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: ValidJson<ChildChange>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::UpdateChild)?;
    let change = body.0;
    if change.status.is_none() && change.address.is_none() {
        return Err(ApiError::validation(
            "body",
            "give `status`, `address`, or both",
        ));
    }
    let address = match change.address.as_deref() {
        Some(a) => Some(validation::optional_text("address", Some(a), 500)?),
        None => None,
    };
    // Changing a record's status or address needs involvement (or an open break-glass), as
    // reading it does.
    let current = crate::record::open(&state, &actor, path.into_inner())
        .await?
        .child;
    let effective_at =
        validation::scenario_time("effective_at", change.effective_at, current.date_of_birth)?;
    let version = matched_version(&req, &current)?;
    let updated = recorder
        .write(async |tx| {
            let updated = repo::update(
                &mut *tx,
                current.id,
                version,
                change.status,
                address.as_ref().map(|a| a.as_deref()),
            )
            .await?
            .ok_or_else(|| {
                ApiError::PreconditionFailed(
                    "the record changed meanwhile; read it again and retry".into(),
                )
            })?;
            if let Some(status) = change.status {
                repo::record_status_change(tx, current.id, status, effective_at, actor.id())
                    .await?;
            }
            Ok((updated, current.id))
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &updated))
}

/// Switch a record between `shared` and `siloed` (facilitators only). Nothing is lost either way.
#[utoipa::path(
    tag = "children",
    operation_id = "setSharingMode",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = SharingModeChange,
    responses(
        (status = 200, description = "The record in its new mode", body = Child),
        (status = 403, description = "Not a facilitator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/children/{child_id}/sharing-mode")]
#[tracing::instrument(name = "set_sharing_mode", skip_all, fields(user_id = %actor.id()))]
pub async fn set_sharing_mode(
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<SharingModeChange>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::SetSharingMode)?;
    let child = recorder
        .write(async |tx| {
            let child = repo::set_sharing_mode(tx, path.into_inner(), body.0.mode)
                .await?
                .ok_or_else(|| ApiError::NotFound("no child record with this id".into()))?;
            let id = child.id;
            Ok((child, id))
        })
        .await?;
    Ok(with_etag(HttpResponse::Ok(), &child))
}
