//! Operating the service: metrics for a scraper, and a graceful stop.

use std::time::{Duration, Instant};

use serde_json::json;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{FACILITATOR, settings, spawn_with};

/// `/metrics` answers Prometheus's text format, on the API's address and on a metrics-only one,
/// with requests by route template, logins, gap reports, audit events and the pool.
#[sqlx::test]
async fn metrics_are_scraped_in_prometheus_format(db: PgPool) {
    let app = spawn_with(
        db,
        mash::config::ServeSettings {
            metrics_listen: Some("127.0.0.1:0".parse().unwrap()),
            ..settings()
        },
    )
    .await;
    let token = app.facilitator().await;
    app.login_reply("nobody_at_all", "wrong-password-1").await;
    let child = app
        .post(
            "/api/v1/children",
            &token,
            json!({"given_name": "M", "family_name": "T", "date_of_birth": "2006-03-01"}),
        )
        .await;
    let id = child.json["id"].as_str().unwrap();
    app.get(&format!("/api/v1/children/{id}/gap-report"), &token)
        .await;
    let on_api = app
        .request(reqwest::Method::GET, "/metrics", None, None)
        .await;
    assert_eq!(on_api.status, 200);
    assert!(
        on_api
            .header("content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    for line in [
        r#"mash_http_requests_total{method="POST",route="/api/v1/auth/login",status="200"}"#,
        r#"mash_http_requests_total{method="GET",route="/api/v1/children/{child_id}/gap-report",status="200"}"#,
        r#"mash_logins_total{outcome="succeeded"}"#,
        r#"mash_logins_total{outcome="failed"}"#,
        "mash_gap_reports_total",
        "mash_gap_report_duration_seconds_bucket",
        "mash_http_request_duration_seconds_bucket",
        "mash_audit_events_written_total",
        r#"mash_db_connections{state="in_use"}"#,
        "mash_db_connections_max",
    ] {
        assert!(on_api.text.contains(line), "no {line} in:\n{}", on_api.text);
    }
    // Never an id: routes are counted by template.
    assert!(!on_api.text.contains(id));
    let port = app.metrics_port.expect("a metrics listener");
    let alone = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(alone.status(), 200);
    assert!(
        alone
            .text()
            .await
            .unwrap()
            .contains("mash_http_requests_total")
    );
    let api_there = reqwest::get(format!("http://127.0.0.1:{port}/api/v1/me"))
        .await
        .unwrap();
    assert_eq!(
        api_there.status(),
        404,
        "the metrics address serves metrics alone"
    );
}

/// SIGTERM mid-write: the service stops accepting, lets the request in flight finish within the
/// grace (it answers 201 and is stored with its event), then exits 0.
#[sqlx::test]
async fn sigterm_lets_requests_in_flight_finish_then_exits_cleanly(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let (db, url) = crate::helpers::database_of(&connect).await;
    let port = crate::helpers::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut service =
        crate::helpers::Service::start_with(url.as_str(), port, &[("MASH_SHUTDOWN_GRACE", "10s")]);
    let client = reqwest::Client::new();
    let started = Instant::now();
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(started.elapsed() < Duration::from_secs(20), "not ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": FACILITATOR.0, "password": FACILITATOR.1}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_string();
    let user = client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&token)
        .json(
            &json!({"username": "sw_term", "password": "a-long-terminal-passphrase",
                      "display_name": "SW", "agency": "social_care", "role": "practitioner"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(user.status(), 201);
    let sw = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "sw_term", "password": "a-long-terminal-passphrase"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let child = client
        .post(format!("{base}/api/v1/children"))
        .bearer_auth(&sw)
        .json(&json!({"given_name": "S", "family_name": "T", "date_of_birth": "2006-03-01"}))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Lock the child so that the next write to it waits inside its transaction.
    let mut holder = db.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM children WHERE id = $1 FOR UPDATE")
        .bind(child.parse::<uuid::Uuid>().unwrap())
        .execute(&mut *holder)
        .await
        .unwrap();
    let in_flight = tokio::spawn({
        let client = client.clone();
        let url = format!("{base}/api/v1/children/{child}/contacts");
        async move {
            client
                .post(url)
                .bearer_auth(sw)
                .json(&json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "home_visit", "summary": "in flight"}))
                .send()
                .await
        }
    });
    // Wait until the write is inside its transaction, waiting on the lock.
    let waiting = Instant::now();
    loop {
        let blocked: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        if blocked > 0 {
            break;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(20),
            "the write never reached the lock"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // SAFETY: kill sends a signal to the child process we started; it has no memory effects here.
    assert_eq!(
        unsafe { libc::kill(service.process.id() as i32, libc::SIGTERM) },
        0
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Stopped accepting: a new connection is not served while the write still waits.
    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    assert!(fresh.get(format!("{base}/healthz")).send().await.is_err());
    assert!(
        service.process.try_wait().unwrap().is_none(),
        "exited before its request finished"
    );
    holder.rollback().await.unwrap();
    let answer = in_flight
        .await
        .unwrap()
        .expect("the request in flight was answered");
    assert_eq!(answer.status(), 201);
    let contact = answer.json::<serde_json::Value>().await.unwrap();
    let waited = Instant::now();
    let status = loop {
        if let Some(status) = service.process.try_wait().unwrap() {
            break status;
        }
        assert!(waited.elapsed() < Duration::from_secs(12), "did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");
    let stored: (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM contacts WHERE id = $1),
                (SELECT count(*) FROM audit_events WHERE resource_id = $1 AND action = 'contact.create')",
    )
    .bind(contact["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap())
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(stored, (1, 1));
}

/// Two service processes on one database, behind a round-robin client: every acknowledged write is
/// stored once with its event, a write through one is in the other's combined views at once, an
/// idempotency key holds across them, and the audit chain stays whole.
#[sqlx::test]
async fn two_processes_share_one_database_without_losing_or_staling_anything(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    use crate::helpers::{Service, database_of, free_port, until_ready};
    let (db, url) = database_of(&connect).await;
    let bases: Vec<String> = (0..2)
        .map(|_| format!("http://127.0.0.1:{}", free_port()))
        .collect();
    let client = reqwest::Client::new();
    // The first migrates the database; the second starts once it is ready.
    let _a = Service::start(
        url.as_str(),
        bases[0].rsplit(':').next().unwrap().parse().unwrap(),
    );
    until_ready(&client, &bases[0], Duration::from_secs(30)).await;
    let _b = Service::start(
        url.as_str(),
        bases[1].rsplit(':').next().unwrap().parse().unwrap(),
    );
    until_ready(&client, &bases[1], Duration::from_secs(30)).await;

    let post = |base: &str, path: &str, token: Option<&str>, body: serde_json::Value| {
        let mut r = client.post(format!("{base}{path}")).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r
    };
    let json = async |r: reqwest::RequestBuilder| -> serde_json::Value {
        r.send().await.unwrap().json().await.unwrap()
    };
    // Log in on one process; the session is the database's, so the token works on both.
    let facilitator = json(post(
        &bases[0],
        "/api/v1/auth/login",
        None,
        json!({"username": FACILITATOR.0, "password": FACILITATOR.1}),
    ))
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    json(post(
        &bases[1],
        "/api/v1/users",
        Some(&facilitator),
        json!({"username": "sw_two", "password": "two-processes-long-passphrase", "display_name": "SW",
               "agency": "social_care", "role": "practitioner"}),
    ))
    .await;
    let sw = json(post(
        &bases[1],
        "/api/v1/auth/login",
        None,
        json!({"username": "sw_two", "password": "two-processes-long-passphrase"}),
    ))
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let child = json(post(
        &bases[0],
        "/api/v1/children",
        Some(&sw),
        json!({"given_name": "T", "family_name": "P", "date_of_birth": "2006-03-01"}),
    ))
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let contacts = format!("/api/v1/children/{child}/contacts");

    // Writers alternate between the processes; each write is read back through the other one.
    let mut acknowledged = Vec::new();
    let started = Instant::now();
    for round in 0..4 {
        let writes = (0..10).map(|i| {
            let (write, read) = (&bases[i % 2], &bases[(i + 1) % 2]);
            let (sw, contacts, client) = (&sw, &contacts, &client);
            async move {
                let key = format!("two-{round}-{i}");
                let body = json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "home_visit",
                                  "summary": format!("write {round}-{i}")});
                let r = client
                    .post(format!("{write}{contacts}"))
                    .bearer_auth(sw)
                    .header("Idempotency-Key", &key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                let id = r.json::<serde_json::Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                // The same key through the other process replays, creating nothing.
                let again = client
                    .post(format!("{read}{contacts}"))
                    .bearer_auth(sw)
                    .header("Idempotency-Key", &key)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(again.headers()["idempotent-replayed"], "true");
                assert_eq!(
                    again.json::<serde_json::Value>().await.unwrap()["id"],
                    id.as_str()
                );
                // The other process's chronology already holds it.
                let page = client
                    .get(format!(
                        "{read}/api/v1/children/{}/chronology?limit=500",
                        contacts.split('/').nth(4).unwrap()
                    ))
                    .bearer_auth(sw)
                    .send()
                    .await
                    .unwrap()
                    .json::<serde_json::Value>()
                    .await
                    .unwrap();
                assert!(
                    page["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|item| item["id"] == id.as_str()),
                    "a write through one process was missing from the other's chronology"
                );
                id
            }
        });
        acknowledged.extend(futures_util::future::join_all(writes).await);
    }
    let elapsed = started.elapsed();
    println!(
        "two processes: {} writes, each replayed and read back through the other, in {elapsed:?}",
        acknowledged.len()
    );
    let ids: Vec<uuid::Uuid> = acknowledged.iter().map(|i| i.parse().unwrap()).collect();
    let (stored, events, all): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM contacts WHERE id = ANY($1)),
                (SELECT count(*) FROM audit_events WHERE action = 'contact.create' AND resource_id = ANY($1)),
                (SELECT count(*) FROM contacts)",
    )
    .bind(&ids)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((stored, events, all), (40, 40, 40));
    crate::helpers::until_sealed(&db).await;
    let verdict = client
        .get(format!("{}/api/v1/audit/verify", bases[1]))
        .bearer_auth(&facilitator)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(verdict["valid"], true, "{verdict}");
}

/// With no DATABASE_URL, `--ephemeral` starts a private PostgreSQL from the installed programs,
/// migrates it, and throws it away when dropped.
#[tokio::test]
async fn with_no_database_named_a_private_one_is_started_and_thrown_away() {
    let settings = mash::config::DatabaseSettings {
        database_url: None,
        service_database_url: None,
        ephemeral: true,
        db_max_connections: 2,
        db_connect_wait: Duration::from_secs(5),
        db_acquire_timeout: Duration::from_secs(5),
    };
    let (pool, private) = mash::startup::open(&settings).await.unwrap();
    let private = private.expect("a private server was started");
    let data = private.data().to_path_buf();
    assert!(data.join("PG_VERSION").is_file());
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('contacts', 'audit_events')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(tables, 2, "migrated");
    pool.close().await;
    drop(private);
    assert!(!data.exists(), "an ephemeral server leaves nothing behind");
}
