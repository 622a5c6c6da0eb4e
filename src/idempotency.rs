//! `Idempotency-Key` on the POSTs that create something: a retry with the same key and the same
//! request gets the first (successful) answer again and creates nothing new; the same key with a
//! different request is a 422; a retry while the first is still running is a 409. Keys belong to the
//! user who sent them. A refused or failed request frees its key, so it can be retried; so does one
//! that never finished (cut off at the request timeout, or in a process that was killed), once its
//! claim is older than the request timeout.
//!
//! The answer to replay commits with the write it answers: `audit::Recorder` keeps it in the write's
//! own transaction (`keep_answer`), so a process killed after the commit leaves the answer for any
//! retry, never a claim without one that a retry would take over and write again.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::routes;
use crate::state::AppState;

pub const HEADER: &str = "Idempotency-Key";

/// The key a request holds, for the write it guards to keep its answer under.
#[derive(Debug, Clone)]
pub struct Claim {
    pub user_id: uuid::Uuid,
    pub key: String,
}

/// Keeps `body` (a 201 in JSON) as the answer to the claim, in the caller's transaction: it commits
/// with the write or not at all.
pub async fn keep_answer(
    db: &mut sqlx::PgConnection,
    claim: &Claim,
    body: &[u8],
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE idempotency_keys SET status = 201, content_type = 'application/json', body = $3
         WHERE user_id = $1 AND key = $2 AND status IS NULL",
    )
    .bind(claim.user_id)
    .bind(&claim.key)
    .bind(body)
    .execute(db)
    .await?;
    Ok(())
}

/// The first answer to a keyed request, once it has one.
#[derive(sqlx::FromRow)]
struct StoredAnswer {
    request_hash: String,
    status: Option<i16>,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
}

/// The header on an answer given again: the audit trail records a replay as its own event.
pub const REPLAYED: &str = "Idempotent-Replayed";

fn refuse(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(error.error_response())
}

pub async fn keyed(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_string));
    // The operations that create something, as the route table says.
    let route = req
        .match_pattern()
        .and_then(|p| routes::find(req.method(), &p))
        .filter(|r| r.creates);
    let applies = route.is_some();
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let (Some(key), true, Some(state)) = (key, applies, state) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let key = match key {
        Ok(k) if (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()) => k,
        _ => {
            let error = ApiError::validation(HEADER, "must be 1 to 255 visible ASCII characters");
            return Ok(refuse(req, error));
        }
    };
    // The caller is checked in full (token, session, user) before anything is replayed: a token
    // that no longer works gets the handler's own refusal, never a stored answer.
    let Ok(actor) = crate::auth::authenticate::authenticate(&state, req.headers()).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let user_id = actor.id();
    // The handler's `Actor` takes this caller rather than reading the session again.
    req.extensions_mut().insert(actor.clone());
    let body = match req.extract::<web::Bytes>().await {
        Ok(body) => body,
        Err(_) => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let mut digest = Sha256::new();
    digest.update(req.path().as_bytes());
    digest.update(b"\n");
    digest.update(&body);
    let hash = hex::encode(digest.finalize());
    let (_, mut payload) = actix_http::h1::Payload::create(true);
    payload.unread_data(body);
    req.set_payload(Payload::from(payload));

    // A claim with no answer that is older than any request may run is abandoned: taken over.
    let claimed = sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (user_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, created_at = now()
         WHERE idempotency_keys.status IS NULL AND idempotency_keys.created_at < now() - $4::interval",
    )
    .bind(user_id)
    .bind(&key)
    .bind(&hash)
    .bind(state.request_timeout)
    .execute(&state.db)
    .await;
    match claimed {
        Err(e) => return Ok(refuse(req, e.into())),
        Ok(done) if done.rows_affected() == 0 => {
            let stored: Result<Option<StoredAnswer>, _> = sqlx::query_as(
                "SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            )
            .bind(user_id)
            .bind(&key)
            .fetch_optional(&state.db)
            .await;
            return Ok(match stored {
                Err(e) => refuse(req, e.into()),
                Ok(None) => refuse(
                    req,
                    ApiError::Conflict("this Idempotency-Key was just released; retry".into()),
                ),
                Ok(Some(StoredAnswer { request_hash, .. })) if request_hash != hash => refuse(
                    req,
                    ApiError::validation(
                        HEADER,
                        "this key was used for a different request; use a new key",
                    ),
                ),
                Ok(Some(StoredAnswer { status: None, .. })) => refuse(
                    req,
                    ApiError::Conflict(
                        "a request with this Idempotency-Key is still in progress".into(),
                    ),
                ),
                Ok(Some(StoredAnswer {
                    status: Some(status),
                    content_type,
                    body,
                    ..
                })) => {
                    // The answer is given again only as the policy would answer the request now.
                    let child = req
                        .match_pattern()
                        .and_then(|p| {
                            routes::param_of(&p, req.path(), routes::CHILD_PARAM)
                                .map(str::to_string)
                        })
                        .and_then(|v| v.parse::<uuid::Uuid>().ok());
                    if let (Some(child), Some(action)) = (child, route.and_then(|r| r.action()))
                        && let Err(error) = crate::sharing::may_replay(
                            &state,
                            &actor,
                            action,
                            child,
                            body.as_deref().unwrap_or_default(),
                        )
                        .await
                    {
                        return Ok(refuse(req, error));
                    }
                    let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::OK);
                    let mut replay = HttpResponse::build(status);
                    if let Some(ct) = content_type {
                        replay.insert_header((header::CONTENT_TYPE, ct));
                    }
                    replay.insert_header((REPLAYED, "true"));
                    req.into_response(replay.body(body.unwrap_or_default()))
                }
            });
        }
        Ok(_) => {}
    }

    req.extensions_mut().insert(Claim {
        user_id,
        key: key.clone(),
    });
    let res = next.call(req).await?;
    let status = res.status();
    let (request, response) = res.into_parts();
    let (head, body) = response.into_parts();
    // An answer that cannot be read whole is never kept to replay: the key is released instead.
    let bytes = actix_web::body::to_bytes(body).await.ok();
    let stored = if let (true, Some(bytes)) = (status.is_success(), &bytes) {
        let content_type = head
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // Kept already with the write, unless the operation wrote nothing through a Recorder.
        sqlx::query("UPDATE idempotency_keys SET status = $3, content_type = $4, body = $5 WHERE user_id = $1 AND key = $2 AND status IS NULL")
            .bind(user_id)
            .bind(&key)
            .bind(status.as_u16() as i16)
            .bind(content_type)
            .bind(bytes.to_vec())
            .execute(&state.db)
            .await
    } else {
        // An answer kept with a committed write is never given up.
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status IS NULL",
        )
        .bind(user_id)
        .bind(&key)
        .execute(&state.db)
        .await
    };
    if let Err(error) = stored {
        tracing::error!(?error, "the idempotency record could not be kept");
    }
    Ok(match bytes {
        Some(bytes) => ServiceResponse::new(request, head.set_body(bytes).map_into_boxed_body()),
        None => {
            let error = ApiError::internal(anyhow::anyhow!("the answer's body could not be read"));
            ServiceResponse::new(request, error.error_response())
        }
    })
}
