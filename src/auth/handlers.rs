//! `POST /auth/login` and `GET /me`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::actor::Actor;
use super::session::{self, EndReason, Refreshed};
use super::{lockout, password};
use crate::audit::recorder::Recorder;
use crate::audit::types::Who;
use crate::audit::types::{NewEvent, Outcome};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::ValidJson;
use crate::routes::AuditAction;
use crate::state::AppState;
use crate::telemetry::ReqId;
use crate::users::types::{SessionUser, UserView};
use crate::users::{User, repo};
use crate::validation;

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
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Good for one `POST /auth/refresh`, which answers a new pair; keep it secret.
    pub refresh_token: String,
    /// Seconds until the session ends, however often it is refreshed.
    #[schema(example = 43200)]
    pub refresh_expires_in: u64,
    pub user: SessionUser,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "q9bW1o8m1E3d0m2H2fJ6t4yFJt3oY2b0n5x1l4a9w7c"}))]
pub struct RefreshRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "police-demo-pass", "new_password": "a-new-and-longer-passphrase"}))]
pub struct PasswordChange {
    #[schema(min_length = 1, max_length = 128)]
    pub current_password: String,
    /// 12 to 128 characters; not a common password, nor the username.
    #[schema(min_length = 12, max_length = 128)]
    pub new_password: String,
}

const BAD_CREDENTIALS: &str = "the username or password is wrong";
const BAD_REFRESH: &str = "the refresh token is not valid; log in again";

/// The address a request came from, as throttling knows it.
fn client_of(req: &HttpRequest) -> String {
    req.peer_addr()
        .map_or_else(|| "unknown".to_string(), |a| a.ip().to_string())
}

fn who(user: &User) -> Who {
    Who {
        user_id: Some(user.id),
        username: Some(user.username.clone()),
        agency: user.agency,
        role: Some(user.role),
    }
}

/// A new access token for `session`, with the refresh token that goes with it.
fn tokens_for(
    state: &AppState,
    user: &User,
    session: Uuid,
    refresh_token: String,
) -> ApiResult<LoginResponse> {
    Ok(LoginResponse {
        access_token: state.tokens.issue(user, session)?,
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl.as_secs(),
        refresh_token,
        refresh_expires_in: state.session_ttl.as_secs(),
        user: SessionUser::from(user),
    })
}

/// Log in with a username and password.
///
/// A wrong password and an unknown username get the same answer in about the same time. Ten failures
/// in a row for one username from one address within fifteen minutes lock that name for that
/// address (429) until the window has passed; a name failing from many addresses is slowed to one
/// attempt every few seconds; an address failing too often is refused for a while, whatever the
/// names.
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Wrong username or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed logins for this username or from this address; see `Retry-After`", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until another attempt may be made"))),
    ),
    security(())
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    request_id: ReqId,
    req: HttpRequest,
    body: ValidJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    let request_id = request_id.0;
    let key = lockout::canonical(&body.username);
    let client = client_of(&req);
    // A refused login names only the login name typed (bounded, as the trail keeps it): nothing
    // about whether it exists.
    let typed: String = body.username.trim().chars().take(64).collect();
    let refused = |outcome, reason: &str| NewEvent {
        request_id: Some(request_id.clone()),
        reason: Some(reason.to_string()),
        ..NewEvent::new(
            Who {
                username: Some(typed.clone()),
                ..Who::default()
            },
            AuditAction::AuthLoginFailed,
            outcome,
        )
    };
    if let Some(retry_after_secs) = lockout::locked_for(&state.db, &key, &client).await? {
        metrics::counter!("mash_logins_total", "outcome" => "locked").increment(1);
        let event = refused(Outcome::Denied, "locked after repeated failures");
        state.recorded(async |_| Ok(((), event))).await?;
        return Err(ApiError::TooManyRequests {
            retry_after_secs,
            detail: "too many failed logins for this username; try again later".into(),
        });
    }
    // A name or password this service could not have issued is refused like any wrong one, and
    // counted and audited like one, after the same work.
    let possible = lockout::could_exist(&key)
        && !body.password.is_empty()
        && body.password.chars().count() <= 128
        && !body.password.contains('\0');
    let user = if possible {
        repo::find_by_username(&state.db, &key).await?
    } else {
        None
    };
    let stored = user
        .as_ref()
        .filter(|u| !u.disabled)
        .map(|u| u.password_hash.clone());
    let candidate = if possible {
        body.password
    } else {
        String::new()
    };
    let verified = password::verify(stored, candidate).await?;
    let Some(user) = user.filter(|_| verified) else {
        metrics::counter!("mash_logins_total", "outcome" => "failed").increment(1);
        let event = refused(Outcome::Failed, BAD_CREDENTIALS);
        state
            .recorded(async |tx| {
                lockout::record_failure(tx, &key, &client).await?;
                Ok(((), event))
            })
            .await?;
        return Err(ApiError::Unauthorized(BAD_CREDENTIALS));
    };
    let (session, refresh_token) = state
        .recorded(async |tx| {
            lockout::clear(tx, &key).await?;
            let (session, refresh_token) = session::start(tx, user.id, state.session_ttl).await?;
            let event = NewEvent {
                resource_id: Some(session),
                request_id: Some(request_id),
                ..NewEvent::new(who(&user), AuditAction::AuthLogin, Outcome::Allowed)
            };
            Ok(((session, refresh_token), event))
        })
        .await?;
    tracing::info!(user_id = %user.id, "login succeeded");
    metrics::counter!("mash_logins_total", "outcome" => "succeeded").increment(1);
    Ok(HttpResponse::Ok().json(tokens_for(&state, &user, session, refresh_token)?))
}

/// Trade a refresh token for a new access token and the next refresh token.
///
/// Each refresh token works once. One presented again was copied: the session it belongs to is
/// ended, and every token of it stops working.
#[utoipa::path(
    tag = "auth",
    operation_id = "refreshSession",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new access token and refresh token", body = LoginResponse),
        (status = 401, description = "The refresh token is unknown, used, or its session has ended", body = Problem,
            content_type = "application/problem+json"),
        (status = 429, description = "Too many failures from this address; see `Retry-After`", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until another attempt may be made"))),
    ),
    security(())
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    request_id: ReqId,
    body: ValidJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let event = |who: Who, outcome, session, reason: Option<&str>| NewEvent {
        resource_id: session,
        request_id: Some(request_id.0.clone()),
        reason: reason.map(str::to_string),
        ..NewEvent::new(
            who,
            if outcome == Outcome::Allowed {
                AuditAction::AuthRefresh
            } else {
                AuditAction::AuthRefreshFailed
            },
            outcome,
        )
    };
    let refreshed = state
        .recorded(async |tx| {
            let refreshed = session::refresh(tx, body.0.refresh_token.trim()).await?;
            let recorded = match &refreshed {
                Refreshed::Renewed { user, session, .. } => {
                    event(who(user), Outcome::Allowed, Some(*session), None)
                }
                Refreshed::Reused { user } => event(
                    Who {
                        user_id: Some(*user),
                        ..Who::default()
                    },
                    Outcome::Denied,
                    None,
                    Some("a used refresh token was presented again: its session is ended"),
                ),
                Refreshed::Refused => {
                    event(Who::default(), Outcome::Denied, None, Some(BAD_REFRESH))
                }
            };
            Ok((refreshed, recorded))
        })
        .await?;
    match refreshed {
        Refreshed::Renewed {
            user,
            session,
            refresh_token,
        } => Ok(HttpResponse::Ok().json(tokens_for(&state, &user, session, refresh_token)?)),
        Refreshed::Reused { .. } | Refreshed::Refused => Err(ApiError::Unauthorized(BAD_REFRESH)),
    }
}

/// End the caller's session: its access and refresh tokens stop working at once.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    responses((status = 204, description = "Logged out"))
)]
#[post("/auth/logout")]
#[tracing::instrument(name = "logout", skip_all, fields(user_id = %actor.id()))]
pub async fn logout(actor: Actor, recorder: Recorder) -> ApiResult<HttpResponse> {
    recorder
        .write(async |tx| {
            session::end(tx, actor.session, EndReason::Logout).await?;
            Ok(((), actor.session))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change one's own password, giving the current one. Every session of the caller ends, this one
/// included: log in again with the new password.
#[utoipa::path(
    tag = "auth",
    operation_id = "changeOwnPassword",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed; every session of the caller has ended"),
    )
)]
#[post("/me/password")]
#[tracing::instrument(name = "change_password", skip_all, fields(user_id = %actor.id()))]
pub async fn change_password(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    body: ValidJson<PasswordChange>,
) -> ApiResult<HttpResponse> {
    let body = body.0;
    validation::password("new_password", &body.new_password, &actor.user.username)?;
    // Wrong current passwords count as failed logins of the name (from this session), so a
    // stolen token cannot guess at speed: the name's lockout applies, and after a few the session
    // itself ends.
    let key = lockout::canonical(&actor.user.username);
    let client = format!("session:{}", actor.session);
    if let Some(wait) = lockout::locked_for(&state.db, &key, &client).await? {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: wait,
            detail: "too many wrong passwords: try again later".into(),
        });
    }
    // One attempt at a time per session, counted before the next is heard: parallel requests on
    // one stolen token get no more guesses than requests made one after another.
    let mut tx = state.db.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 8))")
        .bind(&client)
        .execute(&mut *tx)
        .await?;
    if lockout::failures(&mut tx, &key, &client).await? >= lockout::SESSION_PASSWORD_TRIES {
        session::end(&mut *tx, actor.session, EndReason::PasswordGuessing).await?;
        tx.commit().await?;
        return Err(ApiError::Unauthorized(
            "too many wrong current passwords: this session has ended; log in again",
        ));
    }
    let current_ok = body.current_password.chars().count() <= 128
        && password::verify(
            Some(actor.user.password_hash.clone()),
            body.current_password,
        )
        .await?;
    if !current_ok {
        lockout::record_failure(&mut tx, &key, &client).await?;
        let failures = lockout::failures(&mut tx, &key, &client).await?;
        let ended = failures >= lockout::SESSION_PASSWORD_TRIES;
        if ended {
            session::end(&mut *tx, actor.session, EndReason::PasswordGuessing).await?;
        }
        tx.commit().await?;
        if ended {
            return Err(ApiError::Unauthorized(
                "too many wrong current passwords: this session has ended; log in again",
            ));
        }
        return Err(ApiError::validation(
            "current_password",
            "is not the current password",
        ));
    }
    tx.commit().await?;
    let hash = password::hash(body.new_password).await?;
    recorder
        .write(async |tx| {
            repo::set_password_hash(&mut *tx, actor.id(), &hash).await?;
            session::end_all(tx, actor.id(), EndReason::PasswordChanged).await?;
            Ok(((), actor.id()))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The caller's own user.
#[utoipa::path(
    tag = "auth",
    operation_id = "getMe",
    responses((status = 200, description = "The caller", body = UserView))
)]
#[get("/me")]
#[tracing::instrument(name = "me", skip_all, fields(user_id = %actor.id()))]
pub async fn me(actor: Actor) -> web::Json<UserView> {
    web::Json(UserView::from(actor.user))
}
