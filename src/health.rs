//! Liveness and readiness.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HealthStatus {
    #[schema(example = "ok")]
    pub status: String,
}

/// The process is up.
#[utoipa::path(
    tag = "health",
    operation_id = "healthz",
    responses((status = 200, description = "Up", body = HealthStatus)),
    security(())
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus {
        status: "ok".into(),
    })
}

/// The service can reach its database.
#[utoipa::path(
    tag = "health",
    operation_id = "readyz",
    responses(
        (status = 200, description = "Ready", body = HealthStatus),
        (status = 503, description = "The database is not reachable", body = Problem, content_type = "application/problem+json"),
    ),
    security(())
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let unavailable = || ApiError::Unavailable {
        detail: "the database is not reachable".into(),
        retry_after_secs: 2,
    };
    let ping = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.db);
    match tokio::time::timeout(Duration::from_secs(2), ping).await {
        Ok(Ok(_)) => Ok(HttpResponse::Ok().json(HealthStatus {
            status: "ready".into(),
        })),
        _ => Err(unavailable()),
    }
}
