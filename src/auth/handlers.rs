//! `POST /auth/login` and `GET /me`.

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Actor, lockout, password};
use crate::audit::types::Who;
use crate::audit::{NewEvent, Outcome};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::ValidJson;
use crate::startup::AppState;
use crate::users::repo;
use crate::users::types::{SessionUser, UserView};
use crate::validation;
use tracing_actix_web::RequestId;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "police_demo", "password": "police-demo-pass"}))]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
    #[schema(min_length = 1, max_length = 128)]
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    #[schema(example = 3600)]
    pub expires_in: u64,
    pub user: SessionUser,
}

const BAD_CREDENTIALS: &str = "the username or password is wrong";

/// Log in with a username and password.
///
/// A wrong password and an unknown username get the same answer in about the same time. Ten failures
/// in a row for one username within fifteen minutes lock it (429) until the window has passed.
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong username or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins for this username; see `Retry-After`", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the username may try again"))),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    request_id: RequestId,
    body: ValidJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let request_id = request_id.to_string();
    // A name this service could not have issued is refused like any wrong one.
    let Ok(username) = validation::text("username", &body.username, 1, 64) else {
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
    };
    if body.password.is_empty()
        || body.password.chars().count() > 128
        || body.password.contains('\0')
    {
        // Not a password this service could have set: refuse it like any wrong one.
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
    }
    let key = lockout::key(&username);
    // A refused login names only the login name typed: nothing about whether it exists.
    let refused = |outcome, reason: &str| NewEvent {
        who: Who {
            username: Some(username.clone()),
            ..Who::default()
        },
        action: "auth.login_failed",
        resource_type: "session",
        resource_id: None,
        child_id: None,
        request_id: Some(request_id.clone()),
        outcome,
        reason: Some(reason.to_string()),
    };
    if let Some(retry_after_secs) = lockout::locked_for(&state.db, &key).await? {
        let mut tx = state.db.begin().await?;
        state
            .audit(
                &mut tx,
                &refused(Outcome::Denied, "locked after repeated failures"),
            )
            .await?;
        tx.commit().await?;
        return Err(ApiError::TooManyRequests {
            retry_after_secs,
            detail: "too many failed logins for this username; try again later".into(),
        });
    }
    let user = repo::find_by_username(&state.db, &username).await?;
    let stored = user
        .as_ref()
        .filter(|u| !u.disabled)
        .map(|u| u.password_hash.clone());
    let verified = password::verify(stored, body.password).await?;
    let mut tx = state.db.begin().await?;
    let Some(user) = user.filter(|_| verified) else {
        lockout::record_failure(&mut *tx, &key).await?;
        state
            .audit(&mut tx, &refused(Outcome::Failed, BAD_CREDENTIALS))
            .await?;
        tx.commit().await?;
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
    };
    lockout::clear(&mut *tx, &key).await?;
    let event = NewEvent {
        who: Who {
            user_id: Some(user.id),
            username: Some(user.username.clone()),
            agency: user.agency,
            role: Some(user.role),
        },
        action: "auth.login",
        resource_type: "session",
        resource_id: Some(user.id),
        child_id: None,
        request_id: Some(request_id),
        outcome: Outcome::Allowed,
        reason: None,
    };
    state.audit(&mut tx, &event).await?;
    tx.commit().await?;
    let access_token = state.tokens.issue(&user)?;
    tracing::info!(user_id = %user.id, "login succeeded");
    Ok(HttpResponse::Ok().json(LoginResponse {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl.as_secs(),
        user: SessionUser::from(&user),
    }))
}

/// The caller's own user.
#[utoipa::path(
    tag = "auth",
    operation_id = "getMe",
    responses((status = 200, description = "The caller", body = UserView))
)]
#[get("/me")]
pub async fn me(actor: Actor) -> web::Json<UserView> {
    web::Json(UserView::from(actor.user))
}
