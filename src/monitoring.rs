//! Metrics in Prometheus's text format, at `GET /metrics` (and on `MASH_METRICS_LISTEN` alone when
//! set): requests by route template, method and status with their latency, the database pool, the
//! audit events written, gap reports computed and how long they took, logins by outcome, lockouts
//! and clients refused. Counted with the `metrics` facade wherever the thing happens; rendered by
//! `metrics-exporter-prometheus`. Nothing here names a person or a child.

use std::sync::OnceLock;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, get, web};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// Seconds: from a fast read to the request timeout.
const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (one per process: tests run many servers).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &LATENCY_BUCKETS)
            .expect("the buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (only in tests that install their own) keeps its
        // place; this handle then renders what it saw, which is nothing.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Counts and times every request by its route template (never its path, which holds ids).
pub async fn measure(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    // Counted in flight until answered or dropped, so that a stop can wait for it.
    let _in_flight = req.app_data::<web::Data<AppState>>().map(|state| {
        let counter = state.in_flight.clone();
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlight(counter)
    });
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let res = next.call(req).await?.map_into_boxed_body();
    let status = res.status().as_u16().to_string();
    metrics::counter!("mash_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("mash_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    Ok(res)
}

struct InFlight(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// The metrics as Prometheus scrapes them, the pool's gauges read as of now.
pub fn render(state: &AppState) -> String {
    let handle = handle();
    let size = f64::from(state.db.size());
    let idle = state.db.num_idle() as f64;
    metrics::gauge!("mash_db_connections", "state" => "in_use").set(size - idle);
    metrics::gauge!("mash_db_connections", "state" => "idle").set(idle);
    metrics::gauge!("mash_db_connections_max")
        .set(f64::from(state.db.options().get_max_connections()));
    handle.run_upkeep();
    handle.render()
}

/// The service's metrics in Prometheus's text format.
#[utoipa::path(
    tag = "health",
    operation_id = "getMetrics",
    responses((status = 200, description = "Prometheus text format, version 0.0.4",
        content_type = "text/plain", body = String)),
    security(())
)]
#[get("/metrics")]
pub async fn get_metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(render(&state))
}
