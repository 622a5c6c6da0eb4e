//! The service process killed mid-write and restarted, and the database going away mid-load and
//! coming back: nothing acknowledged is lost, nothing half-written is seen, failures are quick 503s,
//! and the service recovers on its own.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mash::config::{DatabaseSettings, ServeSettings};
use mash::startup::pool_options;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

use crate::helpers::{FACILITATOR, Service, free_port, settings, spawn_with, until_ready};
use crate::proxy::Proxy;

/// Waits (a minute at most) until `counter` reaches `n`.
async fn until(counter: &AtomicUsize, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while counter.load(Ordering::Relaxed) < n {
        assert!(Instant::now() < deadline, "stalled below {n}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn call(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.expect("the service answers");
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// Every contact is there with exactly one creation event and every creation event with its
/// contact; the acknowledged ones are all among them; the chain still verifies.
async fn assert_whole(db: &PgPool, acknowledged: &[Uuid]) {
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts WHERE id = ANY($1)")
        .bind(acknowledged)
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(
        stored as usize,
        acknowledged.len(),
        "an acknowledged contact was lost"
    );
    let without_event: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contacts c WHERE (SELECT count(*) FROM audit_events e
           WHERE e.resource_id = c.id AND e.action = 'contact.create' AND e.outcome = 'allowed') <> 1",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(
        without_event, 0,
        "a contact without exactly one creation event"
    );
    let without_contact: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events e WHERE e.action = 'contact.create' AND e.outcome = 'allowed'
           AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = e.resource_id)",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(without_contact, 0, "a creation event without its contact");
}

#[sqlx::test]
async fn a_service_killed_mid_write_and_restarted_has_lost_nothing_acknowledged(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let (db, url) = crate::helpers::database_of(&connect).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut service = Service::start(url.as_str(), port);
    until_ready(&client, &base, Duration::from_secs(60)).await;

    let login = |username: &'static str, password: &'static str| {
        let (client, base) = (&client, &base);
        async move {
            let (status, body) = call(
                client,
                format!("{base}/api/v1/auth/login"),
                None,
                json!({"username": username, "password": password}),
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["access_token"].as_str().unwrap().to_string()
        }
    };
    let facilitator = login(FACILITATOR.0, FACILITATOR.1).await;
    let (status, _) = call(
        &client,
        format!("{base}/api/v1/users"),
        Some(&facilitator),
        json!({"username": "sw_killed", "password": "a long enough password", "display_name": "SW",
               "agency": "social_care", "role": "practitioner"}),
    )
    .await;
    assert_eq!(status, 201);
    let token = login("sw_killed", "a long enough password").await;
    let (status, child) = call(
        &client,
        format!("{base}/api/v1/children"),
        Some(&token),
        json!({"given_name": "K", "family_name": "Illed", "date_of_birth": "2006-03-01"}),
    )
    .await;
    assert_eq!(status, 201);
    let contacts = format!(
        "{base}/api/v1/children/{}/contacts",
        child["id"].as_str().unwrap()
    );

    // Sixteen writers post until told to stop; a refused connection (the service is down) is tried
    // again shortly after.
    let acknowledged = Mutex::new(Vec::<Uuid>::new());
    let count = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let writers = (0..16).map(|w| {
        let (client, contacts, token, acknowledged, count, stop) =
            (&client, &contacts, &token, &acknowledged, &count, &stop);
        async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let body = json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "home_visit",
                                  "summary": format!("writer {w} visit {i}"), "concern_level": "low"});
                match client.post(contacts).bearer_auth(token).json(&body).send().await {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        let body: Value = r.json().await.unwrap();
                        let id = body["id"].as_str().unwrap().parse().unwrap();
                        acknowledged.lock().unwrap().push(id);
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(r) => assert!(
                        r.status() == StatusCode::SERVICE_UNAVAILABLE,
                        "{}",
                        r.status()
                    ),
                    // Killed under the request, or not listening yet.
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }
    });
    let controller = async {
        until(&count, 150).await;
        service.kill();
        let killed_at = count.load(Ordering::Relaxed);
        service = Service::start(url.as_str(), port);
        until_ready(&client, &base, Duration::from_secs(60)).await;
        until(&count, killed_at + 150).await;
        stop.store(true, Ordering::Relaxed);
    };
    tokio::join!(futures_util::future::join_all(writers), controller);

    let acknowledged = acknowledged.into_inner().unwrap();
    assert!(acknowledged.len() >= 300);
    assert_whole(&db, &acknowledged).await;
    crate::helpers::until_sealed(&db).await;
    let r = client
        .get(format!("{base}/api/v1/audit/verify"))
        .bearer_auth(&facilitator)
        .send()
        .await
        .unwrap();
    let verdict: Value = r.json().await.unwrap();
    assert_eq!(verdict["valid"], true, "{verdict}");
}

/// Writers that retry each write under its own `Idempotency-Key` until it is acknowledged, through
/// a SIGKILL mid-load and a restart: retries come both before the request timeout (a claim whose
/// write did not commit is still "in progress") and after it (taken over). Every write is stored
/// once: a write that committed kept its answer with it, so no retry writes it again.
#[sqlx::test]
async fn keyed_writes_through_a_kill_are_stored_once_whenever_they_are_retried(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let (db, url) = crate::helpers::database_of(&connect).await;
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let timeout = [("MASH_REQUEST_TIMEOUT", "2s")];
    let mut service = Service::start_with(url.as_str(), port, &timeout);
    until_ready(&client, &base, Duration::from_secs(60)).await;
    let (status, body) = call(
        &client,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({"username": FACILITATOR.0, "password": FACILITATOR.1}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let facilitator = body["access_token"].as_str().unwrap().to_string();
    call(
        &client,
        format!("{base}/api/v1/users"),
        Some(&facilitator),
        json!({"username": "sw_keyed", "password": "a long enough password", "display_name": "SW",
               "agency": "social_care", "role": "practitioner"}),
    )
    .await;
    let (_, body) = call(
        &client,
        format!("{base}/api/v1/auth/login"),
        None,
        json!({"username": "sw_keyed", "password": "a long enough password"}),
    )
    .await;
    let token = body["access_token"].as_str().unwrap().to_string();
    let (_, child) = call(
        &client,
        format!("{base}/api/v1/children"),
        Some(&token),
        json!({"given_name": "K", "family_name": "Eyed", "date_of_birth": "2006-03-01"}),
    )
    .await;
    let contacts = format!(
        "{base}/api/v1/children/{}/contacts",
        child["id"].as_str().unwrap()
    );

    let acknowledged = Mutex::new(Vec::<String>::new());
    let (count, replays, in_progress) = (
        AtomicUsize::new(0),
        AtomicUsize::new(0),
        AtomicUsize::new(0),
    );
    let stop = AtomicBool::new(false);
    let writers = (0..16).map(|w| {
        let (client, contacts, token, acknowledged, count, replays, in_progress, stop) = (
            &client,
            &contacts,
            &token,
            &acknowledged,
            &count,
            &replays,
            &in_progress,
            &stop,
        );
        async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let summary = format!("writer {w} visit {i}");
                let body = json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "home_visit",
                                  "summary": summary, "concern_level": "low"});
                // The same write, under the same key, until it is acknowledged.
                loop {
                    let sent = client
                        .post(contacts)
                        .bearer_auth(token)
                        .header("Idempotency-Key", format!("w{w}-{i}"))
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == StatusCode::CREATED => {
                            if r.headers().contains_key("idempotent-replayed") {
                                replays.fetch_add(1, Ordering::Relaxed);
                            }
                            acknowledged.lock().unwrap().push(summary.clone());
                            count.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Ok(r) if r.status() == StatusCode::CONFLICT => {
                            in_progress.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        Ok(r) => assert!(
                            r.status() == StatusCode::SERVICE_UNAVAILABLE,
                            "{}",
                            r.status()
                        ),
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            }
        }
    });
    let controller = async {
        until(&count, 150).await;
        service.kill();
        let killed_at = count.load(Ordering::Relaxed);
        service = Service::start_with(url.as_str(), port, &timeout);
        until_ready(&client, &base, Duration::from_secs(60)).await;
        until(&count, killed_at + 150).await;
        stop.store(true, Ordering::Relaxed);
    };
    tokio::join!(futures_util::future::join_all(writers), controller);

    let acknowledged = acknowledged.into_inner().unwrap();
    let twice: Vec<(String, i64)> = sqlx::query_as(
        "SELECT summary, count(*) FROM contacts GROUP BY summary HAVING count(*) > 1",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(twice.is_empty(), "written twice: {twice:?}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts WHERE summary = ANY($1)")
        .bind(&acknowledged)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(
        stored as usize,
        acknowledged.len(),
        "an acknowledged write was lost"
    );
    eprintln!(
        "keyed writes through a kill: {} acknowledged, {} of them replayed, {} answers of \"in progress\"",
        acknowledged.len(),
        replays.load(Ordering::Relaxed),
        in_progress.load(Ordering::Relaxed)
    );
}

#[sqlx::test]
async fn a_database_outage_gets_quick_503s_and_the_service_recovers_on_its_own(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    outage(connect, Outage::Refused).await;
}

#[sqlx::test]
async fn a_database_that_stops_answering_gets_503s_at_the_request_timeout_and_recovers(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    outage(connect, Outage::Silent).await;
}

enum Outage {
    /// The server is gone: connections are closed and refused.
    Refused,
    /// A partition: connections stay open and nothing crosses.
    Silent,
}

/// Eight writers under an outage of `kind`: every answer is a 201 or a 503 problem+json and comes
/// within the timeout that applies, `/readyz` reports the outage, writes succeed again within five
/// seconds of the database returning, and nothing is lost or half-written.
async fn outage(connect: PgConnectOptions, kind: Outage) {
    let target: SocketAddr = (connect.get_host(), connect.get_port())
        .to_socket_addrs()
        .unwrap()
        .next()
        .unwrap();
    let proxy = Proxy::start(target).await;
    let acquire_timeout = Duration::from_secs(1);
    let pool = pool_options(&DatabaseSettings {
        database_url: Some(String::new().into()),
        service_database_url: None,
        ephemeral: false,
        db_max_connections: 6,
        db_connect_wait: Duration::from_secs(1),
        db_acquire_timeout: acquire_timeout,
    })
    .connect_with(connect.clone().host("127.0.0.1").port(proxy.port))
    .await
    .unwrap();
    let direct = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(connect)
        .await
        .unwrap();
    let request_timeout = Duration::from_secs(2);
    let app = spawn_with(
        pool,
        ServeSettings {
            request_timeout,
            ..settings()
        },
    )
    .await;
    // A refused connection fails a request at once or at the pool's timeout; a silent one only at
    // the request timeout.
    let bound = match kind {
        Outage::Refused => acquire_timeout,
        Outage::Silent => request_timeout,
    } + Duration::from_secs(1);
    let (_, token) = app
        .user("sw_outage", Some("social_care"), "practitioner")
        .await;
    let child = app
        .post(
            "/api/v1/children",
            &token,
            json!({"given_name": "O", "family_name": "Utage", "date_of_birth": "2006-03-01"}),
        )
        .await;
    let contacts = format!(
        "{}/api/v1/children/{}/contacts",
        app.base,
        child.json["id"].as_str().unwrap()
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let acknowledged = Mutex::new(Vec::<Uuid>::new());
    let (successes, refusals) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let slowest = Mutex::new(Duration::ZERO);
    let stop = AtomicBool::new(false);
    let writers = (0..8).map(|w| {
        let (client, contacts, token) = (&client, &contacts, &token);
        let (acknowledged, successes, refusals, slowest, stop) =
            (&acknowledged, &successes, &refusals, &slowest, &stop);
        async move {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let body = json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "phone_call",
                                  "summary": format!("writer {w} call {i}")});
                let started = Instant::now();
                let r = client
                    .post(contacts)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let took = started.elapsed();
                let status = r.status();
                let content_type = r.headers().get("content-type").cloned();
                let body: Value = r.json().await.unwrap();
                {
                    let mut slowest = slowest.lock().unwrap();
                    *slowest = (*slowest).max(took);
                }
                match status {
                    StatusCode::CREATED => {
                        acknowledged
                            .lock()
                            .unwrap()
                            .push(body["id"].as_str().unwrap().parse().unwrap());
                        successes.fetch_add(1, Ordering::Relaxed);
                    }
                    StatusCode::SERVICE_UNAVAILABLE => {
                        assert_eq!(content_type.unwrap(), "application/problem+json");
                        assert_eq!(body["status"], 503);
                        refusals.fetch_add(1, Ordering::Relaxed);
                        // A client backing off, as Retry-After asks.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    other => panic!("{other}: {body}"),
                }
            }
        }
    });
    let readyz = || async {
        let r = client
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .unwrap();
        (r.status(), r.headers().get("content-type").cloned())
    };
    let controller = async {
        until(&successes, 50).await;
        match kind {
            Outage::Refused => proxy.cut(),
            Outage::Silent => proxy.stall(),
        }
        let (status, content_type) = readyz().await;
        assert_eq!(status, 503, "/readyz reports the outage");
        assert_eq!(content_type.unwrap(), "application/problem+json");
        until(&refusals, 20).await;
        proxy.restore();
        let back = Instant::now();
        until_ready(&client, &app.base, Duration::from_secs(5)).await;
        let before = successes.load(Ordering::Relaxed);
        until(&successes, before + 20).await;
        let recovered = back.elapsed();
        assert!(
            recovered < Duration::from_secs(5),
            "recovered after {recovered:?}"
        );
        stop.store(true, Ordering::Relaxed);
    };
    tokio::join!(futures_util::future::join_all(writers), controller);

    let slowest = *slowest.lock().unwrap();
    assert!(slowest < bound, "a request took {slowest:?}");
    assert_whole(&direct, &acknowledged.into_inner().unwrap()).await;
}

/// A database that is not reachable yet at start (one starting beside the service, as in a
/// compose file) is waited for, with a growing pause; one that refuses the login fails at once,
/// in a sentence rather than a backtrace.
#[sqlx::test]
async fn the_service_waits_for_a_database_that_is_starting_but_not_for_a_wrong_login(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let target: SocketAddr = (connect.get_host(), connect.get_port())
        .to_socket_addrs()
        .unwrap()
        .next()
        .unwrap();
    let proxy = Proxy::start(target).await;
    proxy.cut();
    let mut url = reqwest::Url::parse(&std::env::var("DATABASE_URL").unwrap()).unwrap();
    url.set_path(connect.get_database().unwrap());
    url.set_host(Some("127.0.0.1")).unwrap();
    url.set_port(Some(proxy.port)).unwrap();
    let settings = DatabaseSettings {
        database_url: Some(url.to_string().into()),
        service_database_url: None,
        ephemeral: false,
        db_max_connections: 2,
        db_connect_wait: Duration::from_secs(20),
        db_acquire_timeout: Duration::from_secs(1),
    };
    let started = Instant::now();
    let connecting = tokio::spawn(async move { mash::startup::connect(&settings).await });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !connecting.is_finished(),
        "gave up on a database that is starting"
    );
    proxy.restore();
    let pool = connecting
        .await
        .unwrap()
        .expect("connected once the database answered");
    assert!(started.elapsed() < Duration::from_secs(10));
    pool.close().await;

    url.set_username("no_such_role_here").unwrap();
    let wrong = DatabaseSettings {
        database_url: Some(url.to_string().into()),
        service_database_url: None,
        ephemeral: false,
        db_max_connections: 1,
        db_connect_wait: Duration::from_secs(20),
        db_acquire_timeout: Duration::from_secs(1),
    };
    let refused_at = Instant::now();
    let error = mash::startup::connect(&wrong).await.unwrap_err();
    assert!(
        refused_at.elapsed() < Duration::from_secs(5),
        "retried a login that cannot work"
    );
    assert!(
        format!("{error:#}").contains("no_such_role_here"),
        "{error:#}"
    );
}
