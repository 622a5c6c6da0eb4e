//! Records an audit event for every request to an operation the route table (`crate::routes`)
//! audits, except successful writes, which record theirs inside their own transaction. The
//! event is written before the response leaves; if it cannot be, the client gets a 503 instead.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use uuid::Uuid;

use super::types::{NewEvent, Outcome, Who};
use super::writer::Unrecorded;
use crate::auth::actor::Actor;
use crate::error::ApiError;
use crate::routes;
use crate::state::AppState;

fn outcome_of(status: StatusCode) -> Outcome {
    match status {
        s if s.is_success() => Outcome::Allowed,
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Outcome::Denied,
        _ => Outcome::Failed,
    }
}

pub async fn trail(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let request = res.request().clone();
    let Some(route) = request
        .match_pattern()
        .and_then(|p| routes::find(request.method(), &p))
    else {
        return Ok(res);
    };
    let Some(action) = route.action() else {
        return Ok(res);
    };
    let status = res.status();
    // A successful write records its own event, in its own transaction; an answer given again
    // for an `Idempotency-Key` wrote nothing, so it is recorded here.
    let replayed = res.headers().contains_key(crate::idempotency::REPLAYED);
    if route.writes && status.is_success() && !replayed {
        return Ok(res);
    }
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(res);
    };
    if !state.audit_enabled {
        return Ok(res);
    }
    // An answer given again for an `Idempotency-Key` never reached the router: its parameters are
    // read off the route's pattern.
    let pattern = request.match_pattern();
    let param = |name: &str| {
        request
            .match_info()
            .get(name)
            .or_else(|| {
                pattern
                    .as_deref()
                    .and_then(|p| routes::param_of(p, request.path(), name))
            })
            .and_then(|v| v.parse::<Uuid>().ok())
    };
    let outcome = outcome_of(status);
    let who = request.extensions().get::<Actor>().map(Who::from);
    // A caller nobody knows lands in a child's access log only when it named a real child: ids
    // made up by the thousand fill no one's log.
    let mut child_id = param(routes::CHILD_PARAM);
    if let (None, Some(id)) = (&who, child_id) {
        match crate::children::repo::exists(&state.db, id).await {
            Ok(true) => {}
            Ok(false) => child_id = None,
            Err(error) => tracing::warn!(?error, "could not tell whether a child exists"),
        }
    }
    // Past a burst, one user's refusals on a record are kept in the trail only.
    if let (Outcome::Denied, Some(w), Some(id)) = (outcome, &who, child_id)
        && let Some(user) = w.user_id
        && !state.refused_reads.logged(user, id)
    {
        child_id = None;
    }
    let event = NewEvent {
        who: who.unwrap_or_default(),
        action,
        resource_id: route.resource_param.and_then(param),
        child_id,
        request_id: Some(crate::telemetry::request_id(&request)),
        outcome,
        reason: if replayed {
            Some("the first answer to this Idempotency-Key, given again".into())
        } else {
            (outcome != Outcome::Allowed).then(|| {
                res.response()
                    .error()
                    .and_then(|e| e.as_error::<ApiError>())
                    .map_or_else(|| status.to_string(), |e| e.problem().detail)
            })
        },
    };
    match state.audit_writer.record(event).await {
        Ok(()) => Ok(res),
        Err(Unrecorded) => {
            tracing::error!("the audit event could not be written; refusing the response");
            let refusal = ApiError::from(Unrecorded);
            Ok(ServiceResponse::new(request, refusal.error_response()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(outcome_of(StatusCode::OK), Outcome::Allowed);
        assert_eq!(outcome_of(StatusCode::FORBIDDEN), Outcome::Denied);
        assert_eq!(outcome_of(StatusCode::UNAUTHORIZED), Outcome::Denied);
        assert_eq!(
            outcome_of(StatusCode::UNPROCESSABLE_ENTITY),
            Outcome::Failed
        );
    }
}
