//! Logging: `MASH_LOG` holds a filter (`info`, `mash=debug,actix_web=warn`), optionally prefixed by
//! `json:` for one JSON object per line or `text:` for lines a person reads. Without a prefix, JSON
//! unless the log goes to a terminal. Every line inside a request carries its request id
//! (tracing-actix-web's root span).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing::field::{Empty, debug};
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// The id of a request: the caller's `X-Request-Id` when it is a sensible one (1 to 64 letters,
/// digits, `-`, `_` or `.`), so that a client's logs and this service's meet; otherwise the one
/// generated for it. The span, the audit trail and the answer's `X-Request-Id` all use this.
pub fn request_id(request: &actix_web::HttpRequest) -> String {
    let given = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            (1..=64).contains(&v.len())
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    match given {
        Some(id) => id.to_string(),
        None => request
            .extensions()
            .get::<RequestId>()
            .map(|id| id.to_string())
            .unwrap_or_default(),
    }
}

/// A handler's view of [`request_id`].
pub struct ReqId(pub String);

impl actix_web::FromRequest for ReqId {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(Ok(ReqId(request_id(req))))
    }
}

/// The span of every request. What a client sent (its path, its user agent, the text of a refusal
/// that quotes it) is logged escaped (`Debug`), so it can neither start a line of its own nor send
/// escape codes to a terminal; the query string is not logged at all, since it may hold what the
/// client looked for.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request_id(request.request());
        let route = request.match_pattern();
        let user_agent = request
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        tracing::info_span!(
            "request",
            method = %request.method(),
            route = route.as_deref().unwrap_or("(none)"),
            path = ?request.path(),
            client = %request.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
            user_agent = ?user_agent.unwrap_or_default(),
            request_id = %request_id,
            status = Empty,
            error = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let (status, error) = match outcome {
            Ok(response) => (
                response.status(),
                response.response().error().map(|e| e.to_string()),
            ),
            Err(error) => (
                error.as_response_error().status_code(),
                Some(error.to_string()),
            ),
        };
        span.record("status", status.as_u16());
        if let Some(error) = error {
            span.record("error", debug(error));
        }
    }
}

pub fn init(spec: &str) {
    let at_terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (json, filter) = match (spec.strip_prefix("json:"), spec.strip_prefix("text:")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => (!at_terminal, spec),
    };
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    // A second initialisation (tests start many servers in one process) is harmless.
    let _ = if json {
        registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init()
    } else {
        registry
            .with(
                fmt::layer()
                    .with_target(false)
                    // Colours only for a person at a terminal, never into a file or a collector.
                    .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                    .with_writer(std::io::stderr),
            )
            .try_init()
    };
}
