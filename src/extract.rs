//! Request extractors that answer bad input with a problem naming the field at fault.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// A JSON body, deserialised with the path of any failing field kept, so that a 422 can name it.
/// Unknown fields are refused by the DTOs themselves (`deny_unknown_fields`).
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .mime_type()
            .ok()
            .flatten()
            .is_some_and(|m| m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"));
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = body.await.map_err(|e| match e.as_error::<PayloadError>() {
                Some(PayloadError::Overflow) => ApiError::PayloadTooLarge {
                    limit: MAX_BODY_BYTES,
                },
                _ => ApiError::BadRequest("the request body could not be read".into()),
            })?;
            // Syntax first, so that a truncated body is "malformed" rather than "missing a field".
            serde_json::from_slice::<serde::de::IgnoredAny>(&bytes)
                .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
            // A field the body names that the route does not take, at any depth, is refused here,
            // so that types also read back from storage may tolerate fields they do not know.
            let mut unknown = None;
            let mut de = serde_json::Deserializer::from_slice(&bytes);
            let mut note = |path: serde_ignored::Path| {
                unknown.get_or_insert_with(|| field_path(&path));
            };
            let tracked = serde_ignored::Deserializer::new(&mut de, &mut note);
            let body = serde_path_to_error::deserialize(tracked).map_err(json_error)?;
            match unknown {
                Some(field) => {
                    let name = field
                        .rsplit(['.', '['])
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    Err(ApiError::validation(
                        field,
                        format!("unknown field `{name}`"),
                    ))
                }
                None => Ok(ValidJson(body)),
            }
        })
    }
}

fn json_error(error: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    use serde_json::error::Category;
    let path = error.path().to_string();
    let inner = error.into_inner();
    match inner.classify() {
        Category::Data => {
            let message = inner.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(m, _)| m);
            ApiError::validation(field_name(&path, message), message.to_string())
        }
        _ => ApiError::BadRequest(format!("malformed JSON: {inner}")),
    }
}

/// A path as serde_ignored reports it, written as the other 422s name fields: `injuries[0].note`.
fn field_path(path: &serde_ignored::Path) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", field_path(parent)),
        Path::Map { parent, key } => match field_path(parent) {
            p if p.is_empty() => key.clone(),
            p => format!("{p}.{key}"),
        },
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => field_path(parent),
    }
}

/// serde names a missing or unknown field only in its message (`missing field `name``); join it to
/// the path of the object that lacked it.
fn field_name(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        (".", Some(name)) => name.to_string(),
        (parent, Some(name)) if !parent.ends_with(name) => format!("{parent}.{name}"),
        (".", None) => "body".to_string(),
        (path, _) => path.to_string(),
    }
}

/// Query parameters, deserialised with the name of any failing parameter kept.
pub struct ValidQuery<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
            req.query_string().as_bytes(),
        ));
        std::future::ready(
            serde_path_to_error::deserialize(de)
                .map(ValidQuery)
                .map_err(|e| {
                    let path = e.path().to_string();
                    let message = e.inner().to_string();
                    ApiError::validation(field_name(&path, &message), message)
                }),
        )
    }
}
