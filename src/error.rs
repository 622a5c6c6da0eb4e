//! One error type for the whole service, answered as RFC 9457 `application/problem+json`.
//! The cause chain of a server-side failure goes to the log; the client sees only the title.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem detail.
#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[schema(example = "urn:mash:problem:validation")]
    pub r#type: String,
    /// Short summary of the kind of problem.
    #[schema(example = "Unprocessable Content")]
    pub title: String,
    /// The HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong with this request.
    #[schema(example = "`kind`: unknown value `visit`; expected one of: home_visit, phone_call")]
    pub detail: String,
    /// For validation problems: the request field at fault, as a dotted path.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "kind")]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("authentication required: {0}")]
    Unauthorized(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("payload too large")]
    PayloadTooLarge { limit: usize },
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("invalid `{field}`: {detail}")]
    Validation { field: String, detail: String },
    #[error("precondition required: {0}")]
    PreconditionRequired(String),
    #[error("too many requests")]
    TooManyRequests {
        retry_after_secs: u64,
        detail: String,
    },
    #[error("service unavailable: {detail}")]
    Unavailable {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::Validation {
            field: field.into(),
            detail: detail.into(),
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        ApiError::Internal(error.into())
    }

    fn slug(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad-request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not-found",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::PreconditionFailed(_) => "precondition-failed",
            ApiError::PayloadTooLarge { .. } => "payload-too-large",
            ApiError::UnsupportedMediaType => "unsupported-media-type",
            ApiError::Validation { .. } => "validation",
            ApiError::PreconditionRequired(_) => "precondition-required",
            ApiError::TooManyRequests { .. } => "too-many-requests",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::BadRequest(d)
            | ApiError::Forbidden(d)
            | ApiError::NotFound(d)
            | ApiError::Conflict(d)
            | ApiError::PreconditionFailed(d)
            | ApiError::PreconditionRequired(d) => d.clone(),
            ApiError::Unauthorized(d) => (*d).to_string(),
            ApiError::MethodNotAllowed { allow } => format!("this resource allows: {allow}"),
            ApiError::PayloadTooLarge { limit } => {
                format!("the request body exceeds {limit} bytes")
            }
            ApiError::UnsupportedMediaType => "the request body must be application/json".into(),
            ApiError::Validation { field, detail } => format!("`{field}`: {detail}"),
            ApiError::TooManyRequests { detail, .. } | ApiError::Unavailable { detail, .. } => {
                detail.clone()
            }
            ApiError::Internal(_) => "the server failed to handle this request".into(),
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        Problem {
            r#type: format!("urn:mash:problem:{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail: self.detail(),
            field: match self {
                ApiError::Validation { field, .. } => Some(field.clone()),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            ApiError::Unavailable { detail, .. } => tracing::warn!(%detail, "service unavailable"),
            // Escaped: a refusal may quote what the client sent (a field name, a value).
            other => tracing::info!(error = ?other.to_string(), "request refused"),
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        match self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            }
            | ApiError::Unavailable {
                retry_after_secs, ..
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::MethodNotAllowed { allow } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            ApiError::Unauthorized(_) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

/// Database failures: constraint names that mean a client mistake become 409/422; an unreachable or
/// exhausted database is a 503 the client may retry; anything else is the server's own failure.
impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                return ApiError::Unavailable {
                    detail: "the database is not reachable at the moment".into(),
                    retry_after_secs: 2,
                };
            }
            sqlx::Error::Database(db) => {
                if let Some(mapped) = db.constraint().and_then(constraint_error) {
                    return mapped;
                }
            }
            _ => {}
        }
        ApiError::Internal(error.into())
    }
}

/// The constraints whose violation is the client's doing, and what to tell it.
fn constraint_error(constraint: &str) -> Option<ApiError> {
    Some(match constraint {
        "users_username_key" => {
            ApiError::Conflict("a user with this username already exists".into())
        }
        "process_events_once" => ApiError::Conflict(
            "this has already been recorded: a record is acknowledged, decided, concluded or completed once".into(),
        ),
        _ => return None,
    })
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        ApiError::Internal(error)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
