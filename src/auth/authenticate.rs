//! Every protected handler takes an `Actor`: the bearer token is checked, then its session and
//! user are read from the database, so an ended session's or a disabled user's tokens stop working
//! at once, and roles come from the database, never from the request.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use super::actor::Actor;
use super::session;
use crate::error::ApiError;
use crate::state::AppState;

const INVALID_TOKEN: &str = "a valid bearer token is required";

/// The bearer token of a request, if it names one.
pub fn bearer(headers: &header::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The caller a request's bearer token names, once the token, its session and its user are all
/// checked: the one test of who is asking, for handlers and middleware alike.
pub async fn authenticate(
    state: &AppState,
    headers: &header::HeaderMap,
) -> Result<Actor, ApiError> {
    let claims = bearer(headers)
        .and_then(|token| state.tokens.verify(token))
        .ok_or(ApiError::Unauthorized(INVALID_TOKEN))?;
    let user = session::live_user(&state.db, Some(claims.sub), claims.sid)
        .await?
        .ok_or(ApiError::Unauthorized(INVALID_TOKEN))?;
    Ok(Actor {
        user,
        session: claims.sid,
    })
}

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            // Already checked in full for this request (by the idempotency middleware).
            if let Some(actor) = req.extensions().get::<Actor>().cloned() {
                return Ok(actor);
            }
            let state = state
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))?;
            let actor = authenticate(&state, req.headers()).await?;
            // The audit trail names the caller of every request, whatever its outcome.
            req.extensions_mut().insert(actor.clone());
            Ok(actor)
        })
    }
}
