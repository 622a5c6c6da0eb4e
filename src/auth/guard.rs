//! The gate before everything else: a client address that keeps failing to authenticate is refused
//! before its request is read (see `crate::throttle`), unless its token verifies.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{ResponseError, web};

use crate::error::ApiError;
use crate::state::AppState;

/// Refuses a client that has spent its failures (unless its token verifies), and counts every
/// 401, and every 429 a login lockout answers, against the client that earned it.
pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let client = req.peer_addr().map(|a| a.ip());
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(client), Some(state)) = (client, state) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if let Some(retry_after_secs) = state.client_failures.refused(client) {
        let signed = crate::auth::authenticate::bearer(req.headers())
            .is_some_and(|token| state.tokens.verify(token).is_some());
        if !signed {
            tracing::warn!(%client, "refused a client that keeps failing");
            metrics::counter!("mash_clients_refused_total").increment(1);
            let error = ApiError::TooManyRequests {
                retry_after_secs,
                detail: "too many failed requests from this address; try again later".into(),
            };
            return Ok(req.into_response(error.error_response()));
        }
    }
    let res = next.call(req).await?.map_into_boxed_body();
    let refused = match res.status() {
        StatusCode::UNAUTHORIZED => true,
        StatusCode::TOO_MANY_REQUESTS => res.request().path().ends_with("/auth/login"),
        _ => false,
    };
    if refused {
        state.client_failures.failed(client);
    }
    Ok(res)
}
