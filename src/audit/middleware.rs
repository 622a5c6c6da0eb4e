//! Records an audit event for every request that touches child data, user administration or the
//! trail itself, except successful writes, which record theirs inside their own transaction. The
//! event is written before the response leaves; if it cannot be, the client gets a 503 instead.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError, web};
use tracing_actix_web::RequestId;
use uuid::Uuid;

use super::types::{NewEvent, Outcome, Who};
use super::writer::Unrecorded;
use crate::auth::Actor;
use crate::error::ApiError;
use crate::state::AppState;

/// What a route does, in the trail's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Audited {
    pub action: &'static str,
    pub resource_type: &'static str,
    /// Writes record their own success inside their transaction.
    pub write: bool,
    /// The path parameter naming the resource, if any.
    pub resource_param: Option<&'static str>,
}

const fn read(
    action: &'static str,
    resource_type: &'static str,
    resource_param: Option<&'static str>,
) -> Audited {
    Audited {
        action,
        resource_type,
        write: false,
        resource_param,
    }
}

const fn write(
    action: &'static str,
    resource_type: &'static str,
    resource_param: Option<&'static str>,
) -> Audited {
    Audited {
        action,
        resource_type,
        write: true,
        resource_param,
    }
}

/// The audited routes. Logins and refreshes are recorded by their handlers themselves.
pub fn audited(method: &Method, pattern: &str) -> Option<Audited> {
    let child = Some("child_id");
    let route = pattern.strip_prefix("/api/v1")?;
    Some(match (method.as_str(), route) {
        ("POST", "/users") => write("user.create", "user", None),
        ("GET", "/users") => read("user.list", "user", None),
        ("PATCH", "/users/{user_id}") => write("user.update", "user", Some("user_id")),
        ("POST", "/users/{user_id}/unlock") => write("user.unlock", "user", Some("user_id")),
        ("POST", "/auth/logout") => write("auth.logout", "session", None),
        ("POST", "/me/password") => write("user.password_change", "user", None),
        ("POST", "/children") => write("child.create", "child", None),
        ("GET", "/children") => read("child.search", "child", None),
        ("GET", "/children/{child_id}") => read("child.read", "child", child),
        ("PATCH", "/children/{child_id}") => write("child.update", "child", child),
        ("PUT", "/children/{child_id}/sharing-mode") => {
            write("child.sharing_mode_change", "child", child)
        }
        ("POST", "/children/{child_id}/people") => write("person.create", "person", None),
        ("GET", "/children/{child_id}/people") => read("person.list", "person", None),
        ("POST", "/children/{child_id}/people/{person_id}/checks") => {
            write("check.create", "check", Some("person_id"))
        }
        ("POST", "/children/{child_id}/contacts") => write("contact.create", "contact", None),
        ("GET", "/children/{child_id}/contacts") => read("contact.list", "contact", None),
        ("GET", "/children/{child_id}/contacts/{contact_id}") => {
            read("contact.read", "contact", Some("contact_id"))
        }
        ("POST", "/children/{child_id}/contacts/{contact_id}/amendments") => {
            write("contact.amend", "contact", Some("contact_id"))
        }
        ("GET", "/children/{child_id}/chronology") => read("chronology.read", "chronology", child),
        ("GET", "/children/{child_id}/concerns") => read("concerns.read", "concerns", child),
        ("GET", "/children/{child_id}/gap-report") => read("gap_report.read", "gap_report", child),
        ("GET", "/children/{child_id}/access-log") => read("access_log.read", "access_log", child),
        ("GET", "/audit") => read("audit.read", "audit", None),
        ("GET", "/audit/verify") => read("audit.verify", "audit", None),
        _ => return None,
    })
}

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
    let Some(audited) = request
        .match_pattern()
        .and_then(|p| audited(request.method(), &p))
    else {
        return Ok(res);
    };
    let status = res.status();
    if audited.write && status.is_success() {
        return Ok(res);
    }
    let Some(state) = request.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(res);
    };
    if !state.audit_enabled {
        return Ok(res);
    }
    let param = |name: &str| {
        request
            .match_info()
            .get(name)
            .and_then(|v| v.parse::<Uuid>().ok())
    };
    let outcome = outcome_of(status);
    let who = request.extensions().get::<Actor>().map(Who::from);
    // A caller nobody knows lands in a child's access log only when it named a real child: ids
    // made up by the thousand fill no one's log.
    let mut child_id = param("child_id");
    if let (None, Some(id)) = (&who, child_id) {
        match crate::children::repo::exists(&state.db, id).await {
            Ok(true) => {}
            Ok(false) => child_id = None,
            Err(error) => tracing::warn!(?error, "could not tell whether a child exists"),
        }
    }
    let event = NewEvent {
        who: who.unwrap_or_default(),
        action: audited.action,
        resource_type: audited.resource_type,
        resource_id: audited.resource_param.and_then(param),
        child_id,
        request_id: request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string()),
        outcome,
        reason: (outcome != Outcome::Allowed).then(|| {
            res.response()
                .error()
                .and_then(|e| e.as_error::<ApiError>())
                .map_or_else(|| status.to_string(), |e| e.problem().detail)
        }),
    };
    match state.audit_writer.record(event).await {
        Ok(()) => Ok(res),
        Err(Unrecorded) => {
            tracing::error!("the audit event could not be written; refusing the response");
            let refusal = ApiError::Unavailable {
                detail: "the audit trail is unavailable, so the request cannot be answered".into(),
                retry_after_secs: 2,
            };
            Ok(ServiceResponse::new(request, refusal.error_response()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_routes_map_to_actions() {
        let a = audited(&Method::GET, "/api/v1/children/{child_id}/gap-report").unwrap();
        assert_eq!((a.action, a.write), ("gap_report.read", false));
        let w = audited(&Method::POST, "/api/v1/children/{child_id}/contacts").unwrap();
        assert_eq!((w.action, w.write), ("contact.create", true));
        assert!(audited(&Method::GET, "/api/v1/me").is_none());
        assert!(audited(&Method::GET, "/healthz").is_none());
    }

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
