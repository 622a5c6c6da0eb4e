//! `/children/{child_id}/people` and their checks.

use actix_web::{HttpResponse, get, post, web};
use uuid::Uuid;

use super::repo::{self, CheckRecord, PersonRecord};
use super::types::{NewCheck, NewPerson, Person, PersonCheck, PersonPage};
use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, Sight, acting_agency, authorize, sight, siloed_to};
use crate::children::Child;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::{Cursor, Page, PageParams};
use crate::state::AppState;
use crate::validation;
use crate::vocabulary::Agency;
use crate::vocabulary::Visibility;

fn visible(actor: &Actor, child: &Child, agency: Agency) -> bool {
    sight(actor, child.sharing_mode, agency, Visibility::Shared) != Sight::Hidden
}

/// Record a person linked to the child (any agency user).
#[utoipa::path(
    tag = "people",
    operation_id = "createPerson",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewPerson,
    responses((status = 201, description = "Recorded", body = Person))
)]
#[post("/children/{child_id}/people")]
#[tracing::instrument(name = "create_person", skip_all, fields(user_id = %actor.id()))]
pub async fn create_person(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewPerson>,
) -> ApiResult<HttpResponse> {
    let agency = acting_agency(&actor, Action::RecordPerson)?;
    let body = body.0;
    let name = validation::text("name", &body.name, 1, 200)?;
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
    let occurred_at =
        validation::scenario_time("occurred_at", body.occurred_at, child.date_of_birth)?;
    if body
        .since
        .is_some_and(|since| since > validation::latest_allowed().date_naive())
    {
        return Err(ApiError::validation("since", "must not be in the future"));
    }
    let record = PersonRecord {
        child_id: child.id,
        name: &name,
        relationship: body.relationship,
        lives_in_household: body.lives_in_household,
        since: body.since,
        identity_verified: body.identity_verified,
        named_as_next_of_kin: body.named_as_next_of_kin,
        agency,
        recorded_by: actor.id(),
        occurred_at,
    };
    // The answer is made inside the write, which keeps it for replays.
    let person = recorder
        .write(async |tx| {
            let person = repo::insert_person(tx, &record).await?;
            let id = person.id;
            Ok((person.with_checks(Vec::new()), id))
        })
        .await?;
    Ok(HttpResponse::Created().json(person))
}

/// The people linked to the child, each with its checks, as far as the caller may see them.
#[utoipa::path(
    tag = "people",
    operation_id = "listPeople",
    params(("child_id" = Uuid, Path, description = "The child record's id"), PageParams),
    responses((status = 200, description = "A page of people, in the order they were learned of", body = PersonPage))
)]
#[get("/children/{child_id}/people")]
#[tracing::instrument(name = "list_people", skip_all, fields(user_id = %actor.id()))]
pub async fn list_people(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    page: ValidQuery<PageParams>,
) -> ApiResult<web::Json<PersonPage>> {
    let window = page.0.window()?;
    let child = crate::record::open(&state, &actor, path.into_inner())
        .await?
        .child;
    let only = siloed_to(&actor, child.sharing_mode);
    let rows = repo::list_people(&state.db, child.id, only, &window).await?;
    let page = Page::of(rows, window.limit, |p| Cursor {
        at: p.occurred_at,
        id: p.id,
    });
    let ids: Vec<Uuid> = page.items.iter().map(|p| p.id).collect();
    let checks = repo::checks_for(&state.db, &ids).await?;
    Ok(web::Json(page.map(|person| {
        let seen = checks
            .iter()
            .filter(|c| c.person_id == person.id && visible(&actor, &child, c.agency))
            .cloned()
            .collect();
        person.with_checks(seen)
    })))
}

/// Record a background check on a person (police only).
#[utoipa::path(
    tag = "people",
    operation_id = "createCheck",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("person_id" = Uuid, Path, description = "The person's id"),
    ),
    request_body = NewCheck,
    responses((status = 201, description = "Recorded", body = PersonCheck))
)]
#[post("/children/{child_id}/people/{person_id}/checks")]
#[tracing::instrument(name = "create_check", skip_all, fields(user_id = %actor.id()))]
pub async fn create_check(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<NewCheck>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::RecordCheck)?;
    let (child_id, person_id) = path.into_inner();
    let body = body.0;
    let summary = validation::text("summary", &body.summary, 1, 4000)?;
    let child = crate::children::reachable(&state.db, &actor, child_id).await?;
    let occurred_at =
        validation::scenario_time("occurred_at", body.occurred_at, child.date_of_birth)?;
    let person = repo::find_person(&state.db, child.id, person_id)
        .await?
        .filter(|p| visible(&actor, &child, p.agency))
        .ok_or_else(|| ApiError::NotFound("no such person on this record".into()))?;
    let record = CheckRecord {
        person_id: person.id,
        child_id: child.id,
        outcome: body.outcome,
        summary: &summary,
        agency: Agency::Police,
        recorded_by: actor.id(),
        occurred_at,
    };
    let check = recorder
        .create(async |tx| repo::insert_check(tx, &record).await)
        .await?;
    Ok(HttpResponse::Created().json(check))
}
