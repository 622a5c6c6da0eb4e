use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::helpers::{TestApp, spawn, spawn_with};

async fn raw_post(
    app: &TestApp,
    path: &str,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> crate::helpers::Reply {
    // A client of its own: the server may close a connection whose body it refused to read.
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    TestApp::reply(Method::POST, resp).await
}

#[sqlx::test]
async fn malformed_requests_get_a_4xx_problem(db: PgPool) {
    let app = spawn(db).await;
    let token = app.facilitator().await;
    let json_type = "application/json";

    raw_post(
        &app,
        "/api/v1/users",
        &token,
        json_type,
        b"{\"username\": ".to_vec(),
    )
    .await
    .assert_problem(400);
    raw_post(
        &app,
        "/api/v1/users",
        &token,
        json_type,
        b"{} trailing".to_vec(),
    )
    .await
    .assert_problem(400);
    raw_post(
        &app,
        "/api/v1/users",
        &token,
        "text/plain",
        b"username=x".to_vec(),
    )
    .await
    .assert_problem(415);
    let huge = format!("{{\"username\": \"{}\"}}", "x".repeat(1024 * 1024 + 10));
    raw_post(&app, "/api/v1/users", &token, json_type, huge.into_bytes())
        .await
        .assert_problem(413);
    assert_eq!(
        app.request(Method::GET, "/healthz", None, None)
            .await
            .status,
        200
    );

    let missing = app
        .post(
            "/api/v1/users",
            &token,
            json!({"username": "abc", "password": "long-enough-pass"}),
        )
        .await;
    assert_eq!(missing.assert_problem(422)["field"], "display_name");
    let unknown = app
        .post(
            "/api/v1/auth/login",
            &token,
            json!({"username": "a", "password": "b", "extra": 1}),
        )
        .await;
    assert_eq!(unknown.assert_problem(422)["field"], "extra");
    let wrong_type = app
        .post("/api/v1/users", &token, json!({"username": 12}))
        .await;
    assert_eq!(wrong_type.assert_problem(422)["field"], "username");
    let nul = app
        .post(
            "/api/v1/users",
            &token,
            json!({"username": "nul_user", "password": "long-enough-pass", "display_name": "a\u{0}b", "agency": "police", "role": "practitioner"}),
        )
        .await;
    assert_eq!(nul.assert_problem(422)["field"], "display_name");
}

#[sqlx::test]
async fn unknown_routes_wrong_methods_and_bad_ids(db: PgPool) {
    let app = spawn(db).await;
    let token = app.facilitator().await;
    app.get("/api/v1/no-such-route", &token)
        .await
        .assert_problem(404);
    app.request(
        Method::PATCH,
        "/api/v1/users/not-a-uuid",
        Some(&token),
        Some(json!({"disabled": true})),
    )
    .await
    .assert_problem(404);
    let r = app
        .request(Method::DELETE, "/api/v1/me", Some(&token), None)
        .await;
    r.assert_problem(405);
    assert_eq!(r.header("allow"), Some("GET"));
    let r = app
        .request(Method::PUT, "/api/v1/users", Some(&token), None)
        .await;
    r.assert_problem(405);
    assert_eq!(r.header("allow"), Some("GET, POST"));
}

#[sqlx::test]
async fn every_response_carries_a_request_id(db: PgPool) {
    let app = spawn(db).await;
    let ok = app.request(Method::GET, "/healthz", None, None).await;
    let refused = app.request(Method::GET, "/api/v1/me", None, None).await;
    let a = ok.header("x-request-id").expect("request id on a success");
    let b = refused
        .header("x-request-id")
        .expect("request id on an error");
    assert_ne!(a, b);
    assert!(uuid::Uuid::parse_str(a).is_ok());
}

#[sqlx::test]
async fn readyz_is_503_when_the_database_is_unreachable(db: PgPool) {
    let app = spawn(db).await;
    assert_eq!(
        app.request(Method::GET, "/readyz", None, None).await.status,
        200
    );

    // Port 1 on loopback: nothing listens there.
    let unreachable = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(1))
        .connect_lazy("postgres://postgres@127.0.0.1:1/nothing")
        .unwrap();
    let mut settings = crate::helpers::settings();
    settings.facilitator = None;
    let down = spawn_with(unreachable, settings).await;
    let r = down.request(Method::GET, "/readyz", None, None).await;
    r.assert_problem(503);
    assert!(r.header("retry-after").is_some());
    assert_eq!(
        down.request(Method::GET, "/healthz", None, None)
            .await
            .status,
        200
    );
    // A request that needs the database fails fast with 503, not a hang or a 500.
    let login = down.login_reply("anyone", "any-password-at-all").await;
    login.assert_problem(503);
}

#[test]
fn short_jwt_secrets_are_refused_and_a_missing_one_is_generated() {
    assert!(mash::startup::jwt_secret(Some("too-short")).is_err());
    assert_eq!(
        mash::startup::jwt_secret(Some(&"k".repeat(32)))
            .unwrap()
            .len(),
        32
    );
    let a = mash::startup::jwt_secret(None).unwrap();
    let b = mash::startup::jwt_secret(None).unwrap();
    assert!(a.len() >= 32 && a != b);
}
