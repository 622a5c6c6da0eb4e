//! `/children/{child_id}/contacts` and their amendments.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use super::repo::{self, AmendmentRecord, ContactRecord, ContactRow};
use super::types::{
    Contact, ContactEntry, ContactFields, ContactPage, ContactStub, MAX_ACTIONS, MAX_INJURIES,
    NewAmendment, NewContact,
};
use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, Sight, acting_agency, authorize, sight, siloed_to};
use crate::children::Child;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::{Cursor, Page, PageParams};
use crate::state::AppState;
use crate::validation::{self, optional_text, text};

/// Trims and bounds every text, and checks the scenario time against the child's life.
fn validate(mut f: ContactFields, child: &Child) -> ApiResult<ContactFields> {
    validation::check_scenario_time("occurred_at", f.occurred_at, child.date_of_birth)?;
    f.summary = text("summary", &f.summary, 1, 4000)?;
    f.location = optional_text("location", f.location.as_deref(), 200)?;
    if f.injuries.len() > MAX_INJURIES {
        return Err(ApiError::validation(
            "injuries",
            format!("at most {MAX_INJURIES} injuries per contact"),
        ));
    }
    for (i, injury) in f.injuries.iter_mut().enumerate() {
        injury.body_location = text(
            &format!("injuries[{i}].body_location"),
            &injury.body_location,
            1,
            100,
        )?;
        injury.description = optional_text(
            &format!("injuries[{i}].description"),
            injury.description.as_deref(),
            1000,
        )?;
    }
    if let Some(e) = f.explanation.as_mut() {
        e.given_by = text("explanation.given_by", &e.given_by, 1, 100)?;
        e.text = optional_text("explanation.text", e.text.as_deref(), 2000)?;
    }
    if let Some(e) = f.examination.as_mut() {
        e.reason_incomplete = optional_text(
            "examination.reason_incomplete",
            e.reason_incomplete.as_deref(),
            2000,
        )?;
    }
    if f.actions.len() > MAX_ACTIONS {
        return Err(ApiError::validation(
            "actions",
            format!("at most {MAX_ACTIONS} actions per contact"),
        ));
    }
    for (i, action) in f.actions.iter_mut().enumerate() {
        *action = text(&format!("actions[{i}]"), action, 1, 500)?;
    }
    f.concern_categories.sort();
    f.concern_categories.dedup();
    Ok(f)
}

/// What another agency sees of a restricted contact, as it stands after its agency's amendments.
fn stub(row: &ContactRow, current: &ContactFields) -> ContactStub {
    ContactStub {
        id: row.id,
        agency: row.agency,
        kind: current.kind,
        occurred_at: current.occurred_at,
        restricted: true,
    }
}

/// The contacts as `actor` may see them: stubs for other agencies' restricted ones, none of what
/// is hidden. Amendments are read in one query for the whole set.
pub async fn entries(
    db: &sqlx::PgPool,
    actor: &Actor,
    child: &Child,
    rows: Vec<ContactRow>,
) -> ApiResult<Vec<ContactEntry>> {
    let sights: Vec<Sight> = rows
        .iter()
        .map(|r| sight(actor, child.sharing_mode, r.agency, r.visibility))
        .collect();
    let shown_ids: Vec<Uuid> = rows
        .iter()
        .zip(&sights)
        .filter(|(_, s)| **s != Sight::Hidden)
        .map(|(r, _)| r.id)
        .collect();
    let mut amendments = repo::amendments_for(db, &shown_ids).await?;
    Ok(rows
        .into_iter()
        .zip(sights)
        .filter_map(|(row, s)| {
            if s == Sight::Hidden {
                return None;
            }
            let own;
            (own, amendments) = amendments.drain(..).partition(|a| a.contact_id == row.id);
            let contact = row.clone().into_contact(own);
            Some(match s {
                Sight::Stub => ContactEntry::Stub(stub(&row, &contact.current)),
                _ => ContactEntry::Full(Box::new(contact)),
            })
        })
        .collect())
}

/// Log a contact for the caller's agency.
#[utoipa::path(
    tag = "contacts",
    operation_id = "createContact",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewContact,
    responses((status = 201, description = "Logged", body = Contact))
)]
#[post("/children/{child_id}/contacts")]
#[tracing::instrument(name = "create_contact", skip_all, fields(user_id = %actor.id()))]
pub async fn create_contact(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewContact>,
) -> ApiResult<HttpResponse> {
    let agency = acting_agency(&actor, Action::LogContact)?;
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
    let (fields, visibility) = body.0.into_parts();
    let fields = validate(fields, &child)?;
    let record = ContactRecord {
        child_id: child.id,
        agency,
        author_id: actor.id(),
        fields: &fields,
        visibility,
    };
    // The answer is made inside the write, which keeps it for replays.
    let contact = recorder
        .write(async |tx| {
            let row = repo::insert(tx, &record).await?;
            let id = row.id;
            Ok((row.into_contact(Vec::new()), id))
        })
        .await?;
    Ok(HttpResponse::Created().json(contact))
}

/// The child's contacts, in scenario-time order, as far as the caller may see them.
#[utoipa::path(
    tag = "contacts",
    operation_id = "listContacts",
    params(("child_id" = Uuid, Path, description = "The child record's id"), PageParams),
    responses((status = 200, description = "A page of contacts: in full, or stubs of other agencies' restricted ones", body = ContactPage))
)]
#[get("/children/{child_id}/contacts")]
#[tracing::instrument(name = "list_contacts", skip_all, fields(user_id = %actor.id()))]
pub async fn list_contacts(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    page: ValidQuery<PageParams>,
) -> ApiResult<web::Json<ContactPage>> {
    let window = page.0.window()?;
    let child = crate::record::open(&state, &actor, path.into_inner())
        .await?
        .child;
    let only = siloed_to(&actor, child.sharing_mode);
    let rows = repo::list(&state.db, child.id, only, &window).await?;
    let page = Page::of(rows, window.limit, |c| Cursor {
        at: c.fields.occurred_at,
        id: c.id,
    });
    let items = entries(&state.db, &actor, &child, page.items).await?;
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// The contact, unless it is hidden from `actor` (then, as if it did not exist, 404).
async fn load_row(
    state: &AppState,
    actor: &Actor,
    child: &Child,
    contact_id: Uuid,
) -> ApiResult<ContactRow> {
    repo::find(&state.db, child.id, contact_id)
        .await?
        .filter(|r| sight(actor, child.sharing_mode, r.agency, r.visibility) != Sight::Hidden)
        .ok_or_else(|| ApiError::NotFound("no such contact on this record".into()))
}

/// Read one contact: in full with its amendments, or a stub of another agency's restricted one.
#[utoipa::path(
    tag = "contacts",
    operation_id = "getContact",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("contact_id" = Uuid, Path, description = "The contact's id"),
    ),
    responses((status = 200, description = "The contact, or its stub", body = ContactEntry))
)]
#[get("/children/{child_id}/contacts/{contact_id}")]
#[tracing::instrument(name = "get_contact", skip_all, fields(user_id = %actor.id()))]
pub async fn get_contact(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<web::Json<ContactEntry>> {
    let (child_id, contact_id) = path.into_inner();
    let child = crate::record::open(&state, &actor, child_id).await?.child;
    let row = load_row(&state, &actor, &child, contact_id).await?;
    let mut entries = entries(&state.db, &actor, &child, vec![row]).await?;
    entries
        .pop()
        .map(web::Json)
        .ok_or_else(|| ApiError::NotFound("no such contact on this record".into()))
}

/// Amend a contact (its own agency only): the original stays, and readers see both.
#[utoipa::path(
    tag = "contacts",
    operation_id = "amendContact",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("contact_id" = Uuid, Path, description = "The contact's id"),
    ),
    request_body = NewAmendment,
    responses((status = 201, description = "Amended: the contact as it now stands", body = Contact))
)]
#[post("/children/{child_id}/contacts/{contact_id}/amendments")]
#[tracing::instrument(name = "amend_contact", skip_all, fields(user_id = %actor.id()))]
pub async fn amend_contact(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<NewAmendment>,
) -> ApiResult<HttpResponse> {
    let (child_id, contact_id) = path.into_inner();
    let body = body.0;
    let child = crate::children::reachable(&state.db, &actor, child_id).await?;
    let row = load_row(&state, &actor, &child, contact_id).await?;
    authorize(
        &actor,
        Action::AmendContact {
            author_agency: row.agency,
        },
    )?;
    let reason = text("reason", &body.reason, 1, 2000)?;
    if body.changes.is_empty() {
        return Err(ApiError::validation(
            "changes",
            "name at least one field to change",
        ));
    }
    let occurred_at =
        validation::scenario_time("occurred_at", body.occurred_at, child.date_of_birth)?;

    let contact = recorder
        .write(async |tx| {
            let mut amendments = repo::amendments_for(&mut *tx, &[row.id]).await?;
            let current = row.clone().into_contact(amendments.clone()).current;
            // The amended contact must be as valid as a new one; its fields are named as in
            // `changes`.
            let checked = validate(current.apply(&body.changes), &child).map_err(|e| match e {
                ApiError::Validation { field, detail } => ApiError::Validation {
                    field: format!("changes.{field}"),
                    detail,
                },
                other => other,
            })?;
            let changes = body.changes.normalised(&checked);
            let amendment = repo::insert_amendment(
                &mut *tx,
                &AmendmentRecord {
                    contact_id: row.id,
                    child_id: child.id,
                    agency: row.agency,
                    author_id: actor.id(),
                    reason: &reason,
                    changes: &changes,
                    occurred_at,
                },
            )
            .await?;
            amendments.push(amendment);
            Ok((row.clone().into_contact(amendments), row.id))
        })
        .await?;
    Ok(HttpResponse::Created().json(contact))
}
