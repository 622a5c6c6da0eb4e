//! User administration, for facilitators.

use actix_web::{HttpResponse, get, patch, post, web};
use uuid::Uuid;

use super::repo::{self, UserRecord};
use super::types::{Agency, NewUser, Role, UserChange, UserView};
use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{self, Action, authorize};
use crate::auth::session::{self, EndReason};
use crate::auth::{lockout, password};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::{ValidJson, ValidQuery};
use crate::pagination::{Cursor, Listed, Page, PageParams};
use crate::state::AppState;
use crate::validation;

/// A page of users.
pub type UserPage = Page<UserView>;

impl Listed for UserView {
    const PAGE: &'static str = "UserPage";
}

/// Create a user (facilitators only).
#[utoipa::path(
    tag = "users",
    operation_id = "createUser",
    request_body = NewUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 409, description = "The username is taken", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
#[tracing::instrument(name = "create_user", skip_all, fields(user_id = %actor.id()))]
pub async fn create_user(
    actor: Actor,
    recorder: Recorder,
    body: ValidJson<NewUser>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::ManageUsers)?;
    let body = body.0;
    let username = validation::username("username", &body.username)?;
    let display_name = validation::text("display_name", &body.display_name, 1, 200)?;
    validation::password("password", &body.password, &username)?;
    role_fits_agency(body.role, body.agency)?;
    let password_hash = password::hash(body.password).await?;
    let record = UserRecord {
        username: &username,
        display_name: &display_name,
        agency: body.agency,
        role: body.role,
        password_hash: &password_hash,
    };
    // The answer is made inside the write, which keeps it for replays.
    let user = recorder
        .write(async |tx| {
            let user = repo::insert(tx, &record).await?;
            let id = user.id;
            Ok((UserView::from(user), id))
        })
        .await?;
    Ok(HttpResponse::Created().json(user))
}

/// A facilitator has no agency; everyone else has exactly one (a 422 naming `agency`).
fn role_fits_agency(role: Role, agency: Option<Agency>) -> ApiResult<()> {
    policy::role_fits_agency(role, agency).map_err(|d| ApiError::validation("agency", d.0))
}

/// List users (facilitators only), in creation order.
#[utoipa::path(
    tag = "users",
    operation_id = "listUsers",
    params(PageParams),
    responses((status = 200, description = "A page of users", body = UserPage))
)]
#[get("/users")]
#[tracing::instrument(name = "list_users", skip_all, fields(user_id = %actor.id()))]
pub async fn list_users(
    state: web::Data<AppState>,
    actor: Actor,
    page: ValidQuery<PageParams>,
) -> ApiResult<web::Json<UserPage>> {
    authorize(&actor, Action::ManageUsers)?;
    let window = page.0.window()?;
    let rows = repo::list(&state.db, &window).await?;
    let page = Page::of(rows, window.limit, |u| Cursor {
        at: u.created_at,
        id: u.id,
    });
    Ok(web::Json(page.map(UserView::from)))
}

/// Disable or enable a user, set a new password, or change its role and agency (facilitators
/// only). Disabling, a new password and a new role or agency end every session of the user: its
/// tokens stop working at once, and re-enabling does not bring them back.
#[utoipa::path(
    tag = "users",
    operation_id = "updateUser",
    params(("user_id" = Uuid, Path, description = "The user's id")),
    request_body = UserChange,
    responses(
        (status = 200, description = "The user as changed", body = UserView),
        (status = 409, description = "A facilitator tried to disable their own account or give up their role", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{user_id}")]
#[tracing::instrument(name = "update_user", skip_all, fields(user_id = %actor.id()))]
pub async fn update_user(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<UserChange>,
) -> ApiResult<web::Json<UserView>> {
    authorize(&actor, Action::ManageUsers)?;
    let user_id = path.into_inner();
    let change = body.0;
    let own = user_id == actor.id();
    if change.disabled == Some(true) && own {
        return Err(ApiError::Conflict(
            "a facilitator cannot disable their own account".into(),
        ));
    }
    if own && change.role.is_some_and(|r| r != Role::Facilitator) {
        return Err(ApiError::Conflict(
            "a facilitator cannot give up their own role".into(),
        ));
    }
    if change.disabled.is_none()
        && change.password.is_none()
        && change.role.is_none()
        && change.agency.is_none()
    {
        return Err(ApiError::validation(
            "body",
            "give `disabled`, `password`, `role` or `agency`",
        ));
    }
    let current = repo::find_by_id(&state.db, user_id)
        .await?
        .ok_or_else(|| ApiError::NotFound("no user with this id".into()))?;
    let new_hash = match change.password {
        Some(p) => {
            validation::password("password", &p, &current.username)?;
            Some(password::hash(p).await?)
        }
        None => None,
    };
    let role = change.role.unwrap_or(current.role);
    let agency = match (change.role, change.agency) {
        (None, None) => current.agency,
        (_, agency) => agency,
    };
    let regrouped = (role, agency) != (current.role, current.agency);
    if regrouped {
        role_fits_agency(role, agency)?;
    }
    let user = recorder
        .write(async |tx| {
            let mut user = Some(current);
            if let Some(disabled) = change.disabled {
                user = repo::set_disabled(&mut *tx, user_id, disabled).await?;
                if disabled {
                    session::end_all(&mut *tx, user_id, EndReason::Disabled).await?;
                }
            }
            if let Some(hash) = &new_hash {
                user = repo::set_password_hash(&mut *tx, user_id, hash).await?;
                session::end_all(&mut *tx, user_id, EndReason::PasswordChanged).await?;
            }
            if regrouped {
                user = repo::set_role(&mut *tx, user_id, role, agency).await?;
                session::end_all(&mut *tx, user_id, EndReason::RoleChanged).await?;
            }
            let user = user.ok_or_else(|| ApiError::NotFound("no user with this id".into()))?;
            Ok((UserView::from(user), user_id))
        })
        .await?;
    Ok(web::Json(user))
}

/// Clear a user's failed-login counts (facilitators only): a name locked by someone's guessing
/// may log in again at once, from anywhere.
#[utoipa::path(
    tag = "users",
    operation_id = "unlockUser",
    params(("user_id" = Uuid, Path, description = "The user's id")),
    responses((status = 204, description = "Unlocked"))
)]
#[post("/users/{user_id}/unlock")]
#[tracing::instrument(name = "unlock_user", skip_all, fields(user_id = %actor.id()))]
pub async fn unlock_user(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::ManageUsers)?;
    let user = repo::find_by_id(&state.db, path.into_inner())
        .await?
        .ok_or_else(|| ApiError::NotFound("no user with this id".into()))?;
    recorder
        .write(async |tx| {
            lockout::clear(tx, &lockout::canonical(&user.username)).await?;
            Ok(((), user.id))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
