//! Load and faults, bounded in count and time, on loopback: nothing acknowledged is lost, nothing
//! half-written is seen, and bad input or an exhausted pool never gets a 5xx other than a 503.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::helpers::{spawn, spawn_with};

#[sqlx::test]
async fn fifty_clients_post_two_thousand_contacts_and_each_is_stored_once_with_its_event(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    // A pool of its own, not the harness's small one tied to its parent: under this load that one
    // was seen to spin in sqlx. Smaller than the service's default, as the tests share one server's
    // connection limit.
    let db = PgPoolOptions::new()
        .max_connections(12)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(connect)
        .await
        .unwrap();
    let app = spawn(db).await;
    let (_, token) = app
        .user("sw_load", Some("social_care"), "practitioner")
        .await;
    let child = app
        .post(
            "/api/v1/children",
            &token,
            json!({"given_name": "L", "family_name": "Oad", "date_of_birth": "2006-03-01"}),
        )
        .await;
    let path = format!(
        "/api/v1/children/{}/contacts",
        child.json["id"].as_str().unwrap()
    );
    let clients = (0..50).map(|c| {
        let (app, token, path) = (&app, &token, &path);
        async move {
            let mut acknowledged = Vec::new();
            for i in 0..40 {
                let body = json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "home_visit", "summary": format!("client {c} visit {i}")});
                let r = app.post(path, token, body).await;
                assert!(r.status == 201 || r.status == 503, "{}: {}", r.status, r.text);
                if r.status == 201 {
                    acknowledged.push(r.json["id"].as_str().unwrap().parse::<uuid::Uuid>().unwrap());
                }
            }
            acknowledged
        }
    });
    let acknowledged: Vec<uuid::Uuid> = futures_util::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(
        acknowledged.len() >= 1900,
        "only {} of 2000 acknowledged",
        acknowledged.len()
    );
    let unique: BTreeSet<_> = acknowledged.iter().collect();
    assert_eq!(unique.len(), acknowledged.len());
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts WHERE id = ANY($1)")
        .bind(&acknowledged)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        stored as usize,
        acknowledged.len(),
        "every acknowledged contact is stored once"
    );
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        total as usize,
        acknowledged.len(),
        "nothing unacknowledged was stored"
    );
    let events: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT resource_id) FROM audit_events WHERE action = 'contact.create' AND outcome = 'allowed' AND resource_id = ANY($1)",
    )
    .bind(&acknowledged)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        events as usize,
        acknowledged.len(),
        "every stored contact has its audit event"
    );
}

#[sqlx::test]
async fn an_exhausted_pool_answers_503_with_retry_after_once_its_timeout_has_passed(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_millis(500))
        .connect_with(connect)
        .await
        .unwrap();
    let app = spawn_with(pool.clone(), crate::helpers::settings()).await;
    let token = app.facilitator().await;
    let (_, writer) = app
        .user("sw_exhaust", Some("social_care"), "practitioner")
        .await;
    let child = app
        .post(
            "/api/v1/children",
            &writer,
            serde_json::json!({"given_name": "E", "family_name": "X", "date_of_birth": "2006-03-01"}),
        )
        .await;
    let contacts = format!(
        "/api/v1/children/{}/contacts",
        child.json["id"].as_str().unwrap()
    );
    // Two writes hold the service's two connections, waiting on a lock held on their child.
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM children WHERE id = $1 FOR UPDATE")
        .bind(
            child.json["id"]
                .as_str()
                .unwrap()
                .parse::<uuid::Uuid>()
                .unwrap(),
        )
        .execute(&mut *holder)
        .await
        .unwrap();
    let slow: Vec<_> = (0..2)
        .map(|_| {
            let (client, url, writer) = (app.client.clone(), format!("{}{contacts}", app.base), writer.clone());
            tokio::spawn(async move {
                client
                    .post(url)
                    .bearer_auth(writer)
                    .json(&serde_json::json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "phone_call", "summary": "s"}))
                    .send()
                    .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let r = app.get("/api/v1/me", &token).await;
    let waited = started.elapsed();
    r.assert_problem(503);
    assert!(r.header("retry-after").is_some());
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_secs(5),
        "answered after {waited:?}"
    );
    holder.rollback().await.unwrap();
    for write in slow {
        assert_eq!(write.await.unwrap().unwrap().status(), 201);
    }
    assert_eq!(
        app.get("/api/v1/me", &token).await.status,
        200,
        "recovers once connections are free"
    );
}

#[sqlx::test]
async fn hostile_input_never_gets_a_server_error(db: PgPool) {
    let app = spawn(db).await;
    let (_, token) = app.user("dr_hostile", Some("health"), "practitioner").await;
    let child = app
        .post(
            "/api/v1/children",
            &token,
            json!({"given_name": "H", "family_name": "Ostile", "date_of_birth": "2006-03-01"}),
        )
        .await;
    let contacts = format!(
        "{}/api/v1/children/{}/contacts",
        app.base,
        child.json["id"].as_str().unwrap()
    );
    // No connection reuse: the server may close a connection whose body it refused to read.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let raw = |body: Vec<u8>| {
        client
            .post(&contacts)
            .bearer_auth(&token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
    };
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes();
    let nested_object = format!("{}1{}", "{\"a\":".repeat(5_000), "}".repeat(5_000)).into_bytes();
    let bodies: Vec<Vec<u8>> = vec![
        nested,
        nested_object,
        vec![0xff, 0xfe, 0x00, 0x7b, 0x80],
        b"{\"summary\": \"\\ud800\"}".to_vec(),
        b"{\"occurred_at\": \"2007-01-01T00:00:00Z\", \"kind\": \"phone_call\", \"summary\": \"\\u0000\"}".to_vec(),
        vec![b' '; 1024 * 1024 + 1],
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{\"occurred_at\": 1e999, \"kind\": \"phone_call\", \"summary\": \"s\"}".to_vec(),
    ];
    for body in bodies {
        let r = raw(body.clone()).await.unwrap();
        let status = r.status().as_u16();
        assert!(
            (400..500).contains(&status),
            "{status} for {:?}",
            String::from_utf8_lossy(&body[..body.len().min(40)])
        );
    }
    for query in [
        "name=".to_string() + &"x".repeat(60_000),
        "name=%FF%FE".into(),
        "limit=99999999999999999999".into(),
        "cursor=%00".into(),
    ] {
        let r = client
            .get(format!("{}/api/v1/children?{query}", app.base))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        assert!(
            status < 500,
            "{status} for a query of {} bytes",
            query.len()
        );
    }
    // Unicode that is valid is stored and returned exactly.
    for text in [
        "Ṗëtér 👶🏽",
        "עִבְרִית",
        "e\u{301}",
        "\u{200b}zero\u{200b}width",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    ] {
        let body =
            json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "phone_call", "summary": text});
        let r = app
            .post(&contacts.replace(&app.base, ""), &token, body)
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(r.json["summary"], text);
    }
    assert_eq!(
        app.request(Method::GET, "/healthz", None, None)
            .await
            .status,
        200
    );
}
