//! The authenticated caller. Every protected handler takes an `Actor`: the bearer token is checked,
//! then the user is read from the database, so a disabled user's tokens stop working at once and
//! roles come from the database, never from the request body.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::error::ApiError;
use crate::startup::AppState;
use crate::users::{Agency, Role, User, repo};

#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
}

impl Actor {
    pub fn id(&self) -> Uuid {
        self.user.id
    }
    pub fn agency(&self) -> Option<Agency> {
        self.user.agency
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
    pub fn is_facilitator(&self) -> bool {
        self.user.role == Role::Facilitator
    }
}

const INVALID_TOKEN: &str = "a valid bearer token is required";

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let req = req.clone();
        Box::pin(async move {
            let state = state
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))?;
            let token = token.ok_or(ApiError::Unauthorized(INVALID_TOKEN))?;
            let claims = state
                .tokens
                .verify(&token)
                .ok_or(ApiError::Unauthorized(INVALID_TOKEN))?;
            let user = repo::find_by_id(&state.db, claims.sub)
                .await?
                .filter(|u| !u.disabled)
                .ok_or(ApiError::Unauthorized(INVALID_TOKEN))?;
            let actor = Actor { user };
            // The audit trail names the caller of every request, whatever its outcome.
            req.extensions_mut().insert(actor.clone());
            Ok(actor)
        })
    }
}
