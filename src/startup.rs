//! Building and running the service: the database pool, the app and its routes, the listener.

use std::net::TcpListener;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use rand::RngCore;
use secrecy::ExposeSecret;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgPool, PgPoolOptions};
use tracing_actix_web::TracingLogger;
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::{AppExt, scope, service_config::ServiceConfig};
use utoipa_swagger_ui::SwaggerUi;

use crate::audit::checkpoint::Signer;
use crate::audit::sealer::Sealer;
use crate::audit::writer::AuditWriter;
use crate::auth::token::TokenKeys;
use crate::config::{DatabaseSettings, MIN_JWT_SECRET_BYTES, ServeSettings};
use crate::error::ApiError;
use crate::extract::MAX_BODY_BYTES;
use crate::openapi::{
    ApiDoc, ClosedStoredObjects, ContractYaml, ExamplesAndLinks, FlattenedUnions, IdempotencyKeys,
    RouteTable, Security, StandardProblems, fallback,
};
use crate::record::cache::RecordCache;
pub use crate::state::AppState;
use crate::{
    audit, auth, children, combined, contacts, health, openapi, people, safeguarding, users,
};

/// Every route, as registered with both the server and the contract.
fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .service(crate::monitoring::get_metrics)
        .service(openapi::openapi_yaml)
        .service(crate::picture::handlers::timeline_page)
        .service(crate::picture::handlers::timeline_script)
        .service(crate::picture::handlers::timeline_style)
        .service(crate::exercises::handlers::exercises::exercise_page)
        .service(crate::exercises::handlers::exercises::exercise_script)
        .service(
            scope("/api/v1")
                .service(auth::handlers::login)
                .service(auth::handlers::refresh)
                .service(auth::handlers::logout)
                .service(auth::handlers::me)
                .service(auth::handlers::change_password)
                .service(users::handlers::create_user)
                .service(users::handlers::list_users)
                .service(users::handlers::update_user)
                .service(users::handlers::unlock_user)
                .service(children::handlers::create_child)
                .service(children::handlers::search_children)
                .service(children::handlers::get_child)
                .service(children::handlers::update_child)
                .service(children::handlers::set_sharing_mode)
                .service(people::handlers::create_person)
                .service(people::handlers::list_people)
                .service(people::handlers::create_check)
                .service(contacts::handlers::create_contact)
                .service(contacts::handlers::list_contacts)
                .service(contacts::handlers::get_contact)
                .service(contacts::handlers::amend_contact)
                .service(combined::handlers::get_chronology)
                .service(combined::handlers::get_concerns)
                .service(combined::handlers::get_gap_report)
                .service(safeguarding::handlers::referrals::create_referral)
                .service(safeguarding::handlers::lists::list_referrals)
                .service(safeguarding::handlers::lists::get_referral)
                .service(safeguarding::handlers::referrals::acknowledge_referral)
                .service(safeguarding::handlers::referrals::decide_referral)
                .service(safeguarding::handlers::meetings::create_strategy_discussion)
                .service(safeguarding::handlers::lists::list_strategy_discussions)
                .service(safeguarding::handlers::lists::list_enquiries)
                .service(safeguarding::handlers::enquiries::conclude_enquiry)
                .service(safeguarding::handlers::lists::list_assessments)
                .service(safeguarding::handlers::enquiries::complete_assessment)
                .service(safeguarding::handlers::meetings::create_conference)
                .service(safeguarding::handlers::lists::list_conferences)
                .service(safeguarding::handlers::meetings::create_core_group)
                .service(safeguarding::handlers::lists::list_core_groups)
                .service(safeguarding::handlers::lists::list_plans)
                .service(safeguarding::handlers::plans::create_plan_action)
                .service(safeguarding::handlers::lists::list_plan_actions)
                .service(safeguarding::handlers::plans::mark_plan_action)
                .service(safeguarding::handlers::meetings::create_legal_planning_meeting)
                .service(safeguarding::handlers::lists::list_legal_planning_meetings)
                .service(safeguarding::handlers::challenges::create_challenge)
                .service(safeguarding::handlers::lists::list_challenges)
                .service(safeguarding::handlers::challenges::respond_to_challenge)
                .service(safeguarding::handlers::challenges::create_involvement)
                .service(safeguarding::handlers::lists::list_involvements)
                .service(safeguarding::handlers::timescales::get_timescales)
                .service(crate::alerts::handlers::stream_alerts)
                .service(crate::alerts::handlers::list_alerts)
                .service(crate::alerts::handlers::mark_alert_read)
                .service(crate::sharing::handlers::break_glass)
                .service(crate::sharing::handlers::create_disclosure)
                .service(crate::sharing::handlers::create_sharing_refusal)
                .service(crate::sharing::handlers::get_sharing_decisions)
                .service(crate::sharing::handlers::list_break_glass)
                .service(crate::sharing::handlers::review_break_glass)
                .service(crate::picture::handlers::timeline_svg)
                .service(crate::picture::handlers::chronology_csv)
                .service(crate::picture::handlers::get_debrief)
                .service(crate::exercises::handlers::exercises::create_exercise)
                .service(crate::exercises::handlers::exercises::list_exercises)
                .service(crate::exercises::handlers::exercises::get_exercise)
                .service(crate::exercises::handlers::stages::advance_exercise)
                .service(crate::exercises::handlers::stages::reset_exercise)
                .service(crate::exercises::handlers::stages::end_exercise)
                .service(crate::exercises::handlers::decisions::create_decision)
                .service(crate::exercises::handlers::decisions::list_decisions)
                .service(crate::exercises::handlers::decisions::get_scores)
                .service(crate::exercises::handlers::decisions::get_exercise_debrief)
                .service(audit::handlers::access_log)
                .service(audit::handlers::list_audit)
                .service(audit::handlers::verify_audit)
                .service(audit::handlers::list_checkpoints),
        );
}

/// The OpenAPI document of exactly the routes the server registers.
pub fn api_doc() -> utoipa::openapi::OpenApi {
    let (_, doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    // Modifiers of the derive run before the routes are collected, so these run over the whole.
    let mut doc = doc;
    Security.modify(&mut doc);
    StandardProblems.modify(&mut doc);
    ExamplesAndLinks.modify(&mut doc);
    IdempotencyKeys.modify(&mut doc);
    ClosedStoredObjects.modify(&mut doc);
    FlattenedUnions.modify(&mut doc);
    doc
}

/// Where the service's database is when none is named.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres:postgres@localhost:5432/mash";

/// The database the settings name, or the default if it answers, or a private server started for
/// the purpose (kept in the answer: it stops when dropped); connected and migrated.
pub async fn open(
    settings: &DatabaseSettings,
) -> anyhow::Result<(PgPool, Option<crate::embedded::Embedded>)> {
    if settings.database_url.is_some() {
        return Ok((connect(settings).await?, None));
    }
    if !settings.ephemeral {
        let default = DatabaseSettings {
            database_url: Some(DEFAULT_DATABASE_URL.into()),
            db_connect_wait: std::time::Duration::ZERO,
            ..settings.clone()
        };
        match connect(&default).await {
            Ok(pool) => return Ok((pool, None)),
            Err(error) => tracing::info!(
                error = %format!("{error:#}"),
                "nothing usable at the default database; starting a private PostgreSQL"
            ),
        }
    }
    let keep = if settings.ephemeral {
        crate::embedded::Keep::Ephemeral
    } else {
        crate::embedded::Keep::Persistent
    };
    let (embedded, url) =
        tokio::task::spawn_blocking(move || crate::embedded::Embedded::start(keep))
            .await
            .context("starting the private PostgreSQL")??;
    eprintln!(
        "mash: a private PostgreSQL ({}), data in {}",
        if settings.ephemeral {
            "thrown away at exit"
        } else {
            "kept"
        },
        embedded.data().display()
    );
    let private = DatabaseSettings {
        database_url: Some(url.into()),
        ..settings.clone()
    };
    Ok((connect(&private).await?, Some(embedded)))
}

/// The pool, after creating the database if it is missing and applying migrations. A database
/// that is not reachable yet (one starting beside the service) is tried again, with a growing
/// pause, for `MASH_DB_CONNECT_WAIT`; one that refuses the credentials is not.
pub async fn connect(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_millis(200);
    loop {
        match connect_once(settings).await {
            Ok(pool) => return Ok(pool),
            Err(error) if unreachable(&error) && started.elapsed() < settings.db_connect_wait => {
                tracing::warn!(
                    error = %format!("{error:#}"),
                    retry_in = ?pause,
                    "the database is not reachable yet"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(std::time::Duration::from_secs(5));
            }
            Err(error) => return Err(error),
        }
    }
}

/// Whether a failure to connect may pass by itself (the server is starting or restarting), as
/// opposed to one that will not (wrong password, no such role).
fn unreachable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut)
        ) || cause
            .downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .and_then(|e| e.code())
            // cannot_connect_now: the server is starting up or shutting down.
            .is_some_and(|code| code == "57P03")
    })
}

async fn connect_once(settings: &DatabaseSettings) -> anyhow::Result<PgPool> {
    let url = settings
        .database_url
        .as_ref()
        .context("no database named")?
        .expose_secret();
    if !sqlx::Postgres::database_exists(url)
        .await
        .context("reaching PostgreSQL")?
    {
        sqlx::Postgres::create_database(url)
            .await
            .context("creating the database")?;
        tracing::info!("created the database");
    }
    let pool = pool_options(settings)
        .connect(url)
        .await
        .context("connecting to the database")?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .context("applying migrations")?;
    Ok(pool)
}

/// The role the service serves as (migration 0010): it may not update or delete records or the
/// trail, nor switch off the triggers that refuse it.
pub const SERVICE_ROLE: &str = "mash_service";

/// The pool the service serves through, after `connect` has migrated as the owning role: the
/// service's own login (`MASH_SERVICE_DATABASE_URL`) or the owner's connections narrowed to
/// `mash_service`. Refused when the role it ends up as could lift the trail's guards.
pub async fn serving_pool(settings: &DatabaseSettings, owner: &PgPool) -> anyhow::Result<PgPool> {
    let pool = match &settings.service_database_url {
        Some(url) => pool_options(settings)
            .connect(url.expose_secret())
            .await
            .context("connecting as the service (MASH_SERVICE_DATABASE_URL)")?,
        None => as_service_role(pool_options(settings))
            .connect_with((*owner.connect_options()).clone())
            .await
            .with_context(|| format!("serving as {SERVICE_ROLE} (SET ROLE)"))?,
    };
    let (role, superuser, owns): (String, bool, bool) = sqlx::query_as(
        "SELECT current_user::text, r.rolsuper, pg_has_role(current_user, c.relowner, 'USAGE')
         FROM pg_roles r, pg_class c WHERE r.rolname = current_user AND c.oid = 'audit_events'::regclass",
    )
    .fetch_one(&pool)
    .await
    .context("checking the service's role")?;
    if superuser || owns {
        anyhow::bail!(
            "the service would serve as {role}, which {} and could switch off the audit trail's guards; \
             serve as a role granted {SERVICE_ROLE} (MASH_SERVICE_DATABASE_URL)",
            if superuser {
                "is a superuser"
            } else {
                "owns the tables"
            }
        );
    }
    tracing::info!(
        role,
        "serving as a role that can only add to the records and the trail"
    );
    Ok(pool)
}

/// `options` whose every connection takes the service's role before it is used.
pub fn as_service_role(options: PgPoolOptions) -> PgPoolOptions {
    options.after_connect(|conn, _| {
        Box::pin(async move {
            sqlx::query(sqlx::AssertSqlSafe(format!("SET ROLE {SERVICE_ROLE}")))
                .execute(conn)
                .await?;
            Ok(())
        })
    })
}

pub fn pool_options(settings: &DatabaseSettings) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(settings.db_max_connections)
        .acquire_timeout(settings.db_acquire_timeout)
}

/// The configured secret, refused when short; a random one (with a warning) when there is none.
pub fn jwt_secret(configured: Option<&str>) -> anyhow::Result<Vec<u8>> {
    match configured {
        Some(s) if s.len() < MIN_JWT_SECRET_BYTES => {
            anyhow::bail!("MASH_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes long")
        }
        Some(s) => Ok(s.as_bytes().to_vec()),
        None => {
            tracing::warn!(
                "MASH_JWT_SECRET is not set: using a random secret; tokens will not survive a restart \
                 and will not be accepted by other instances"
            );
            let mut secret = vec![0u8; 64];
            rand::rng().fill_bytes(&mut secret);
            Ok(secret)
        }
    }
}

/// The key that signs the audit chain's checkpoints: the configured file's, or (with a warning) one
/// that lives only as long as the process.
fn signer(path: Option<&std::path::Path>) -> anyhow::Result<Signer> {
    match path {
        Some(path) => {
            let signer = Signer::from_file(path)?;
            tracing::info!(
                public_key = signer.public_key(),
                "audit checkpoints are signed with this key"
            );
            Ok(signer)
        }
        None => {
            let signer = Signer::generate();
            tracing::warn!(
                public_key = signer.public_key(),
                "MASH_AUDIT_KEY is not set: audit checkpoints are signed with a key that lives only as \
                 long as this process"
            );
            Ok(signer)
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
    /// Requests being answered, and how long a stop waits for them.
    in_flight: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    grace: std::time::Duration,
    /// The metrics-only server, when `MASH_METRICS_LISTEN` is set, and its port.
    metrics: Option<(u16, Server)>,
}

impl Application {
    /// Binds the listener (port 0 picks a free one) and builds the server around `db`.
    pub async fn build(settings: &ServeSettings, db: PgPool) -> anyhow::Result<Self> {
        let secret = jwt_secret(settings.jwt_secret.as_ref().map(|s| s.expose_secret()))?;
        crate::pagination::use_secret(&secret);
        let tokens = TokenKeys::new(&secret, settings.token_ttl);
        // An empty MASH_FACILITATOR means none, as in an environment file left blank.
        if let Some(creds) = settings
            .facilitator
            .as_ref()
            .map(|c| c.expose_secret())
            .filter(|c| !c.trim().is_empty())
        {
            let (user, pass) = crate::config::parse_credentials(creds)?;
            users::seed::bootstrap_facilitator(&db, &user, &pass).await?;
        }
        if settings.demo {
            users::seed::seed_demo(&db).await?;
        }
        let listener = TcpListener::bind(settings.listen)
            .with_context(|| format!("binding {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        if !settings.audit {
            tracing::warn!(
                "the audit trail is switched off (MASH_AUDIT=false): for measuring its cost only"
            );
        }
        crate::monitoring::handle();
        let sealer = Sealer::start(
            &db,
            Some(std::sync::Arc::new(signer(settings.audit_key.as_deref())?)),
            settings.audit_checkpoint_every,
        );
        let state = web::Data::new(AppState {
            audit_writer: AuditWriter::start(db.clone(), sealer.clone()),
            sealer,
            records: RecordCache::new(settings.rules.clone()),
            rules: settings.rules.clone(),
            session_ttl: settings.session_ttl,
            break_glass_ttl: settings.break_glass_ttl,
            in_flight: Default::default(),
            alert_streams: Default::default(),
            refused_reads: Default::default(),
            client_failures: crate::throttle::ClientFailures::new(
                settings.client_failure_burst,
                crate::throttle::REFILL,
            ),
            db,
            tokens,
            audit_enabled: settings.audit,
            request_timeout: settings.request_timeout,
        });
        let metrics = match settings.metrics_listen {
            Some(address) => {
                let listener =
                    TcpListener::bind(address).with_context(|| format!("binding {address}"))?;
                let port = listener.local_addr()?.port();
                tracing::info!(address = %address.ip(), port, "metrics listening");
                Some((port, run_metrics(listener, state.clone())?))
            }
            None => None,
        };
        let in_flight = state.in_flight.clone();
        let server = run(listener, state)?;
        tracing::info!(address = %settings.listen.ip(), port, "listening");
        Ok(Application {
            port,
            server,
            in_flight,
            grace: settings.shutdown_grace,
            metrics,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// For stopping the server from elsewhere (tests stop theirs when done).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// The port of the metrics-only listener, if there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until stopped by a handle, or by SIGTERM or SIGINT: then it stops accepting, waits
    /// for the requests in flight to be answered (at most the grace), and returns. Every
    /// acknowledged write has committed with its event by then, and every read's event too, so
    /// nothing of the audit trail is left behind.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            tokio::spawn(server);
            handle
        });
        let handle = self.server.handle();
        // Polled on its own, so that it answers the pause and stop below.
        let mut server = tokio::spawn(self.server);
        let served = tokio::select! {
            served = &mut server => served,
            () = stop_signal() => {
                tracing::info!("stopping: no new connections; requests in flight may finish");
                handle.pause().await;
                let deadline = std::time::Instant::now() + self.grace;
                while self.in_flight.load(std::sync::atomic::Ordering::SeqCst) > 0
                    && std::time::Instant::now() < deadline
                {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
                handle.stop(true).await;
                server.await
            }
        };
        let served = served
            .map_err(std::io::Error::other)
            .and_then(|served| served);
        if let Some(metrics) = metrics {
            metrics.stop(true).await;
        }
        tracing::info!("stopped");
        served
    }
}

/// What a page of this service may load: only its own scripts, styles and images (Swagger UI sets
/// styles inline and draws icons as data URIs), and no other site may frame it.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; img-src 'self' data:; \
     style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// What an SVG opened on its own may do: draw itself with its inline presentation, and nothing
/// else — no script, no load from anywhere, no framing.
pub const SVG_CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// Headers on every response: nothing is cached (a login answer holds a token, a child's views
/// hold personal data), nothing is sniffed into another type, and pages carry their policy.
fn security_headers(headers: &mut actix_web::http::header::HeaderMap) {
    use actix_web::http::header;
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("text/html"));
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    let svg = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("image/svg+xml"));
    if svg {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(SVG_CONTENT_SECURITY_POLICY),
        );
    }
}

/// The metrics-only server.
fn run_metrics(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .service(crate::monitoring::get_metrics)
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run())
}

/// SIGTERM or SIGINT.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::warn!("cannot listen for stop signals");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// The service's app: every route behind the same middleware (request ids, metrics, the time limit,
/// the guard, the audit trail, idempotency). The server runs one per worker; an exercise plays its
/// scenario's steps through one in memory (`exercises::play`).
pub fn app(
    state: web::Data<AppState>,
    contract: web::Data<ContractYaml>,
    route_table: web::Data<RouteTable>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let request_timeout = state.request_timeout;
    let (app, _) = App::new()
        // Innermost, so that its own 503 still gets the request id header.
        .wrap(actix_web::middleware::from_fn(crate::idempotency::keyed))
        .wrap(actix_web::middleware::from_fn(audit::middleware::trail))
        // Outside the trail: a client refused for failing too often is not audited each time.
        .wrap(actix_web::middleware::from_fn(crate::auth::guard::guard))
        // Outside the audit trail and idempotency, whose own queries it bounds too. A request
        // cut off here has no audit event (nothing was answered) and leaves its idempotency
        // claim to be taken over once it is older than this timeout.
        .wrap_fn(move |req, srv| {
            let response = srv.call(req);
            async move {
                match tokio::time::timeout(request_timeout, response).await {
                    Ok(response) => response,
                    // Answered as the error's own response (problem+json, Retry-After).
                    Err(_) => {
                        tracing::warn!(?request_timeout, "request cut off at its deadline");
                        Err(ApiError::Unavailable {
                            detail: "the request took too long; the database may be unreachable"
                                .into(),
                            retry_after_secs: 2,
                        }
                        .into())
                    }
                }
            }
        })
        .wrap_fn(|req, srv| {
            let request_id = Some(crate::telemetry::request_id(req.request()));
            let response = srv.call(req);
            async move {
                let mut response = response.await?;
                if let Some(id) = request_id.and_then(|id| HeaderValue::try_from(id).ok()) {
                    response
                        .headers_mut()
                        .insert(HeaderName::from_static("x-request-id"), id);
                }
                security_headers(response.headers_mut());
                Ok(response)
            }
        })
        .wrap(actix_web::middleware::from_fn(crate::monitoring::measure))
        .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
        .app_data(state)
        .app_data(contract)
        .app_data(route_table)
        .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(web::PathConfig::default().error_handler(|_, _| {
            ApiError::NotFound("no such resource: an id in the path is not a valid UUID".into())
                .into()
        }))
        .into_utoipa_app()
        .configure(routes)
        .split_for_parts();
    app.service(
        // The contract for a person, with Swagger UI's scripts served from this binary.
        // No online validator: nothing on the page loads from outside the service.
        SwaggerUi::new("/docs/{_:.*}")
            .config(utoipa_swagger_ui::Config::new(["/openapi.yaml"]).validator_url("none")),
    )
    .service(web::resource("/docs").route(web::get().to(|| async {
        actix_web::HttpResponse::Found()
            .insert_header((actix_web::http::header::LOCATION, "/docs/"))
            .finish()
    })))
    .default_service(web::to(fallback))
}

fn run(listener: TcpListener, state: web::Data<AppState>) -> anyhow::Result<Server> {
    let doc = api_doc();
    let contract = web::Data::new(ContractYaml(
        doc.to_yaml().context("writing the contract as YAML")?,
    ));
    let route_table = web::Data::new(RouteTable::from_doc(&doc));
    // An exercise plays its scenario through the same app, in memory (`exercises::play`).
    let loopback = {
        let (state, contract, route_table) = (state.clone(), contract.clone(), route_table.clone());
        web::Data::new(crate::exercises::play::Loopback(Box::new(move || {
            let app = app(state.clone(), contract.clone(), route_table.clone());
            Box::pin(async move {
                use actix_service::{IntoServiceFactory, ServiceExt, ServiceFactory};
                let service = app
                    .into_factory()
                    .new_service(actix_web::dev::AppConfig::default())
                    .await?;
                Ok(actix_service::boxed::service(
                    service.map(|response| response.map_into_boxed_body()),
                ))
            })
        })))
    };
    let server = HttpServer::new(move || {
        app(state.clone(), contract.clone(), route_table.clone()).app_data(loopback.clone())
    })
    .listen(listener)?
    // Signals are this service's own (`run_until_stopped`): it waits for requests in flight.
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    Ok(server)
}
