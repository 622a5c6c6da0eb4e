//! How a write is recorded: a handler takes a `Recorder`, whose event is already filled from the
//! route (its action), the caller and the request id, and hands it the write to run. The write and
//! its event commit in one transaction, or neither does.

use super::identified::Identified;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use sqlx::PgConnection;
use uuid::Uuid;

use super::types::NewEvent;
use crate::auth::actor::Actor;
use crate::error::{ApiError, ApiResult};
use crate::routes;
use crate::state::AppState;

pub struct Recorder {
    state: web::Data<AppState>,
    event: NewEvent,
    /// The `Idempotency-Key` the request holds: the write keeps its answer under it.
    claim: Option<crate::idempotency::Claim>,
}

impl FromRequest for Recorder {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("application state missing")))?;
            let route = req
                .match_pattern()
                .and_then(|p| routes::find(req.method(), &p))
                .filter(|r| r.writes)
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a write no route describes")))?;
            let action = route
                .action()
                .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a write with no action")))?;
            // The handler's `Actor` comes first and leaves the caller here; asked alone, check anew.
            let known = req.extensions().get::<Actor>().cloned();
            let actor = match known {
                Some(actor) => actor,
                None => crate::auth::authenticate::authenticate(&state, req.headers()).await?,
            };
            let request_id = crate::telemetry::request_id(&req);
            let param = |name: &str| req.match_info().get(name).and_then(|v| v.parse().ok());
            let mut event = NewEvent::allowed(&actor, &request_id, action);
            event.resource_id = route.resource_param.and_then(param);
            event.child_id = param(routes::CHILD_PARAM);
            let claim = req.extensions().get::<crate::idempotency::Claim>().cloned();
            Ok(Recorder {
                state,
                event,
                claim,
            })
        })
    }
}

impl Recorder {
    /// Runs `write` in a transaction and commits it with the event, naming the resource `write`
    /// answers with (a new record's id). An event about a child that names no other child is about
    /// that child. Under an `Idempotency-Key`, the value is the operation's answer (a 201 with it as
    /// JSON) and is kept for replays in the same transaction.
    pub async fn write<T: serde::Serialize>(
        self,
        write: impl AsyncFnOnce(&mut PgConnection) -> ApiResult<(T, Uuid)>,
    ) -> ApiResult<T> {
        let Recorder {
            state,
            mut event,
            claim,
        } = self;
        state
            .recorded(async |tx| {
                let (value, resource) = write(tx).await?;
                if let Some(claim) = &claim {
                    let body = serde_json::to_vec(&value).map_err(ApiError::internal)?;
                    crate::idempotency::keep_answer(&mut *tx, claim, &body).await?;
                }
                event.resource_id = Some(resource);
                if event.child_id.is_none() && event.action.resource_type() == "child" {
                    event.child_id = Some(resource);
                }
                Ok((value, event))
            })
            .await
    }

    /// [`Recorder::write`] for a write that creates one thing: the event names it.
    pub async fn create<T: Identified + serde::Serialize>(
        self,
        create: impl AsyncFnOnce(&mut PgConnection) -> sqlx::Result<T>,
    ) -> ApiResult<T> {
        self.write(async |tx| {
            let created = create(tx).await?;
            let id = created.id();
            Ok((created, id))
        })
        .await
    }
}
