use std::time::Duration;

use actix_web::dev::ServerHandle;
use mash::config::ServeSettings;
use mash::startup::Application;
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::{Value, json};
use sqlx::PgPool;

pub const JWT_SECRET: &str = "test-secret-0123456789abcdef0123456789abcdef";
pub const FACILITATOR: (&str, &str) = ("facil", "Facil-pass-2026!");

pub struct TestApp {
    pub base: String,
    /// The metrics-only listener's port, when the settings asked for one.
    pub metrics_port: Option<u16>,
    pub db: PgPool,
    pub client: reqwest::Client,
    server: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The server runs on a thread and runtime of its own, as in production, and is stopped (and its
/// database connections closed) when the test ends, before the test database is dropped.
impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.server.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A response, with its body parsed as JSON where it is JSON.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem with this status, and returns it.
    pub fn assert_problem(&self, status: u16) -> &Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.text
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.text
        );
        for key in ["type", "title", "status", "detail"] {
            assert!(
                self.json.get(key).is_some(),
                "problem lacks `{key}`: {}",
                self.text
            );
        }
        assert_eq!(self.json["status"], status);
        &self.json
    }
}

pub fn settings() -> ServeSettings {
    ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        jwt_secret: Some(JWT_SECRET.into()),
        token_ttl: Duration::from_secs(900),
        session_ttl: Duration::from_secs(12 * 3600),
        break_glass_ttl: Duration::from_secs(24 * 3600),
        client_failure_burst: mash::throttle::BURST,
        metrics_listen: None,
        shutdown_grace: Duration::from_secs(2),
        facilitator: Some(format!("{}:{}", FACILITATOR.0, FACILITATOR.1).into()),
        audit: true,
        audit_key: None,
        audit_checkpoint_every: Duration::from_secs(60),
        rules: Default::default(),
        demo: false,
        request_timeout: Duration::from_secs(30),
    }
}

pub async fn spawn_with(db: PgPool, settings: ServeSettings) -> TestApp {
    let (ready, started) = tokio::sync::oneshot::channel();
    // The server gets a pool of its own, with the same options and target as the test's, made on
    // its own runtime: connections are tied to the runtime that made them, and one pool shared by
    // two runtimes has been seen to spin in its maintenance task.
    let (options, target) = (db.options().clone(), (*db.connect_options()).clone());
    let thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            // As `mash serve` does: as the service's role, not the tests' superuser.
            let pool = mash::startup::as_service_role(options).connect_lazy_with(target);
            let app = Application::build(&settings, pool)
                .await
                .expect("the application builds");
            let _ = ready.send((app.port(), app.metrics_port(), app.handle()));
            app.run_until_stopped().await.expect("the server runs");
        })
    });
    let (port, metrics_port, server) = started.await.expect("the server starts");
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        metrics_port,
        db,
        // No connection is kept for a next request: on a loaded machine a request sent on a kept
        // connection the server is closing fails half-way (an idle timeout below the server's
        // keep-alive was not always enough), and the tests are about answers, not connections.
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .expect("the client builds"),
        server,
        thread: Some(thread),
    }
}

pub async fn spawn(db: PgPool) -> TestApp {
    spawn_with(db, settings()).await
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method.clone(), format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = &body {
            req = req.json(b);
        }
        let reply = Self::reply(method.clone(), req.send().await.expect("request sent")).await;
        if let Some(b) = &body {
            crate::conformance::check_request(&method, path, reply.status.as_u16(), b);
        }
        reply
    }

    /// The response, checked against the contract (see `conformance`).
    pub async fn reply(method: Method, resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let path = resp.url().path().to_string();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert!(
            !text.contains("$argon2"),
            "a response carried a password hash: {text}"
        );
        assert!(
            !text.contains("password_hash"),
            "a response named the password hash: {text}"
        );
        let content_type = headers.get("content-type").and_then(|v| v.to_str().ok());
        crate::conformance::check(&method, &path, status.as_u16(), content_type, &json);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.request(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    /// A POST with an `Idempotency-Key`.
    pub async fn post_keyed(&self, path: &str, token: &str, key: &str, body: Value) -> Reply {
        let resp = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await
            .expect("request sent");
        let reply = Self::reply(Method::POST, resp).await;
        crate::conformance::check_request(&Method::POST, path, reply.status.as_u16(), &body);
        reply
    }

    pub async fn login_reply(&self, username: &str, password: &str) -> Reply {
        self.request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> String {
        let r = self.login_reply(username, password).await;
        assert_eq!(r.status, 200, "login of {username} failed: {}", r.text);
        r.json["access_token"].as_str().unwrap().to_string()
    }

    /// A client whose requests come from `address` (any of 127.0.0.0/8), as another machine's would.
    pub fn client_from(address: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .local_address(address.parse::<std::net::IpAddr>().unwrap())
            .build()
            .unwrap()
    }

    /// A login attempt from `address`.
    pub async fn login_from(&self, address: &str, username: &str, password: &str) -> Reply {
        let r = Self::client_from(address)
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .expect("request sent");
        Self::reply(Method::POST, r).await
    }

    pub async fn facilitator(&self) -> String {
        self.login(FACILITATOR.0, FACILITATOR.1).await
    }

    /// Creates a user through the API and returns its id and a token.
    pub async fn user(&self, username: &str, agency: Option<&str>, role: &str) -> (String, String) {
        let facilitator = self.facilitator().await;
        let password = format!("{username}-password-123");
        let r = self
            .post(
                "/api/v1/users",
                &facilitator,
                json!({"username": username, "password": password, "display_name": username, "agency": agency, "role": role}),
            )
            .await;
        assert_eq!(r.status, 201, "creating {username}: {}", r.text);
        let id = r.json["id"].as_str().unwrap().to_string();
        (id, self.login(username, &password).await)
    }

    /// Brings every agency in to `child`'s record, as the user of `token` (of an involved agency, or
    /// a facilitator) would: writing alone involves nobody. The agency already involved stays so.
    pub async fn involve_all(&self, child: &str, token: &str) {
        for agency in ["police", "health", "social_care", "legal"] {
            let r = self
                .post(
                    &format!("/api/v1/children/{child}/involvements"),
                    token,
                    json!({"agency": agency, "reason": "Brought in to work the case"}),
                )
                .await;
            assert!(
                r.status == 201 || r.status == 409,
                "bringing {agency} in: {}",
                r.text
            );
        }
    }

    /// Opens `child`'s record to the user of `token`, whose agency is not involved with it, as a
    /// user of such an agency does: by breaking glass with a lawful basis and a reason.
    pub async fn break_glass(&self, child: &str, token: &str) {
        let r = self
            .post(
                &format!("/api/v1/children/{child}/break-glass"),
                token,
                json!({"lawful_basis": "section_47", "reason": "Joint enquiry: the record's history is needed"}),
            )
            .await;
        assert_eq!(r.status, 201, "breaking glass: {}", r.text);
    }

    /// Records the mother's partner on `child`'s record at `seen`, and a police check on him at
    /// `checked`, as the user of `token`; answers the person's id.
    pub async fn partner_checked(
        &self,
        child: &str,
        token: &str,
        lives_there: bool,
        seen: &str,
        checked: (&str, &str),
    ) -> String {
        let person = self
            .post(
                &format!("/api/v1/children/{child}/people"),
                token,
                json!({"name": "The mother's partner", "relationship": "mothers_partner",
                       "lives_in_household": lives_there, "identity_verified": false,
                       "occurred_at": seen}),
            )
            .await;
        assert_eq!(person.status, 201, "{}", person.text);
        let id = person.json["id"].as_str().unwrap().to_string();
        let check = self
            .post(
                &format!("/api/v1/children/{child}/people/{id}/checks"),
                token,
                json!({"outcome": checked.1, "summary": "Police national computer",
                       "occurred_at": checked.0}),
            )
            .await;
        assert_eq!(check.status, 201, "{}", check.text);
        id
    }

    /// Waits until the sealer has chained every event committed so far.
    pub async fn until_sealed(&self) {
        until_sealed(&self.db).await
    }
}

/// Waits (up to 30 s) until every event committed in `db` is in the chain.
pub async fn until_sealed(db: &PgPool) {
    let started = std::time::Instant::now();
    loop {
        let unsealed: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM audit_events e WHERE NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.event_id = e.id)",
        )
        .fetch_one(db)
        .await
        .unwrap();
        if unsealed == 0 {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{unsealed} events still unsealed after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `mash serve` as its own process, killed with SIGKILL when dropped.
pub struct Service {
    pub process: std::process::Child,
}

/// This test's database (`#[sqlx::test]` with connect options): a small pool for the test's own
/// queries, and its URL for a `mash` process.
pub async fn database_of(connect: &sqlx::postgres::PgConnectOptions) -> (PgPool, reqwest::Url) {
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect_with(connect.clone())
        .await
        .unwrap();
    let mut url = reqwest::Url::parse(&std::env::var("DATABASE_URL").unwrap()).unwrap();
    url.set_path(connect.get_database().unwrap());
    (db, url)
}

impl Service {
    pub fn start(database_url: &str, port: u16) -> Service {
        Service::start_with(database_url, port, &[])
    }

    /// `start`, with more settings in the environment.
    pub fn start_with(database_url: &str, port: u16, settings: &[(&str, &str)]) -> Service {
        let process = std::process::Command::new(env!("CARGO_BIN_EXE_mash"))
            .arg("serve")
            .env("DATABASE_URL", database_url)
            .env("MASH_LISTEN", format!("127.0.0.1:{port}"))
            .env("MASH_JWT_SECRET", JWT_SECRET)
            .env(
                "MASH_FACILITATOR",
                format!("{}:{}", FACILITATOR.0, FACILITATOR.1),
            )
            .env("MASH_LOG", "warn")
            // The tests share one PostgreSQL server and its connection limit.
            .env("MASH_DB_MAX_CONNECTIONS", "8")
            .envs(settings.iter().copied())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("mash starts");
        Service { process }
    }

    pub fn kill(&mut self) {
        self.process.kill().expect("SIGKILL is delivered");
        self.process.wait().expect("the killed process is reaped");
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `/readyz` until it answers 200.
pub async fn until_ready(client: &reqwest::Client, base: &str, within: Duration) -> Duration {
    let started = std::time::Instant::now();
    loop {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == reqwest::StatusCode::OK
        {
            return started.elapsed();
        }
        assert!(started.elapsed() < within, "not ready within {within:?}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
