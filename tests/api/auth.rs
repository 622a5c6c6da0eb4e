use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{FACILITATOR, JWT_SECRET, spawn};

#[sqlx::test]
async fn login_returns_a_bearer_token_and_the_user(db: PgPool) {
    let app = spawn(db).await;
    let r = app.login_reply(FACILITATOR.0, FACILITATOR.1).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "Bearer");
    assert_eq!(r.json["expires_in"], 900);
    assert_eq!(r.json["refresh_expires_in"], 12 * 3600);
    assert!(
        r.json["refresh_token"]
            .as_str()
            .is_some_and(|t| t.len() >= 32)
    );
    assert_eq!(r.json["user"]["username"], FACILITATOR.0);
    assert_eq!(r.json["user"]["role"], "facilitator");
    assert_eq!(r.json["user"]["agency"], Value::Null);
    let me = app
        .get("/api/v1/me", r.json["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json["id"], r.json["user"]["id"]);
}

#[sqlx::test]
async fn usernames_log_in_whatever_their_case(db: PgPool) {
    let app = spawn(db).await;
    let r = app
        .login_reply(&FACILITATOR.0.to_uppercase(), FACILITATOR.1)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[sqlx::test]
async fn wrong_password_and_unknown_user_get_the_same_401(db: PgPool) {
    let app = spawn(db).await;
    let wrong = app.login_reply(FACILITATOR.0, "not-the-password").await;
    let unknown = app.login_reply("nobody_here", "not-the-password").await;
    wrong.assert_problem(401);
    unknown.assert_problem(401);
    assert_eq!(wrong.json, unknown.json);
}

#[sqlx::test]
async fn ten_failures_lock_the_username_for_that_address_until_the_window_passes(db: PgPool) {
    let app = spawn(db).await;
    for i in 0..10 {
        let r = app
            .login_reply(FACILITATOR.0, &format!("wrong-password-{i}"))
            .await;
        r.assert_problem(401);
    }
    // Locked now, even for the right password, with a Retry-After inside the 15-minute window.
    let locked = app.login_reply(FACILITATOR.0, FACILITATOR.1).await;
    locked.assert_problem(429);
    let retry: u64 = locked.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    // Another name is not affected.
    let other = app.login_reply("someone_else", "wrong-password").await;
    other.assert_problem(401);

    // Once the window has passed, the right password works again and clears the count.
    for table in ["login_failures", "login_failures_by_client"] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE {table} SET window_started_at = now() - interval '16 minutes'"
        )))
        .execute(&app.db)
        .await
        .unwrap();
    }
    let r = app.login_reply(FACILITATOR.0, FACILITATOR.1).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM login_failures WHERE username_key = $1")
            .bind(FACILITATOR.0)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(left, 0);
}

#[sqlx::test]
async fn a_success_ends_the_run_of_failures(db: PgPool) {
    let app = spawn(db).await;
    for _ in 0..9 {
        app.login_reply(FACILITATOR.0, "wrong-password")
            .await
            .assert_problem(401);
    }
    app.login(FACILITATOR.0, FACILITATOR.1).await;
    for _ in 0..9 {
        app.login_reply(FACILITATOR.0, "wrong-password")
            .await
            .assert_problem(401);
    }
    app.login(FACILITATOR.0, FACILITATOR.1).await;
}

#[sqlx::test]
async fn a_disabled_users_token_stops_working_at_once(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let (id, token) = app.user("pc_smith", Some("police"), "practitioner").await;
    assert_eq!(app.get("/api/v1/me", &token).await.status, 200);

    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&facilitator),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["disabled"], true);
    app.get("/api/v1/me", &token).await.assert_problem(401);
    app.login_reply("pc_smith", "pc_smith-password-123")
        .await
        .assert_problem(401);

    let r = app
        .request(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(&facilitator),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(r.status, 200);
    // Re-enabling does not bring old tokens back: the user logs in again.
    app.get("/api/v1/me", &token).await.assert_problem(401);
    let token = app.login("pc_smith", "pc_smith-password-123").await;
    assert_eq!(app.get("/api/v1/me", &token).await.status, 200);
}

#[sqlx::test]
async fn a_new_password_replaces_the_old(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let (id, _) = app.user("pc_jones", Some("police"), "practitioner").await;
    let path = format!("/api/v1/users/{id}");
    app.request(
        Method::PATCH,
        &path,
        Some(&facilitator),
        Some(json!({"password": "short"})),
    )
    .await
    .assert_problem(422);
    let r = app
        .request(
            Method::PATCH,
            &path,
            Some(&facilitator),
            Some(json!({"password": "a-brand-new-password"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    app.login_reply("pc_jones", "pc_jones-password-123")
        .await
        .assert_problem(401);
    app.login("pc_jones", "a-brand-new-password").await;
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[sqlx::test]
async fn forged_expired_and_foreign_tokens_are_refused(db: PgPool) {
    let app = spawn(db).await;
    let (_, token) = app.user("pc_doe", Some("police"), "practitioner").await;
    let claims = claims_of(&token);
    for key in ["sub", "agency", "role", "iat", "exp", "iss", "aud"] {
        assert!(claims.get(key).is_some(), "token lacks {key}");
    }
    // Sanity: the same claims signed with the right secret are accepted.
    assert_eq!(
        app.get("/api/v1/me", &sign(&claims, JWT_SECRET))
            .await
            .status,
        200
    );

    let now = chrono::Utc::now().timestamp();
    let with = |k: &str, v: Value| {
        let mut c = claims.clone();
        c[k] = v;
        c
    };
    let mut expired = with("exp", json!(now - 3600));
    expired["iat"] = json!(now - 7200);
    let header = |alg: &str| URL_SAFE_NO_PAD.encode(json!({"alg": alg, "typ": "JWT"}).to_string());
    let body = |c: &Value| URL_SAFE_NO_PAD.encode(c.to_string());
    let signature = token.split('.').nth(2).unwrap();
    let bad = [
        ("expired", sign(&expired, JWT_SECRET)),
        (
            "other secret",
            sign(&claims, "another-secret-0123456789abcdef0123456789"),
        ),
        (
            "wrong aud",
            sign(&with("aud", json!("someone-else")), JWT_SECRET),
        ),
        (
            "wrong iss",
            sign(&with("iss", json!("someone-else")), JWT_SECRET),
        ),
        (
            "no exp",
            sign(
                &{
                    let mut c = claims.clone();
                    c.as_object_mut().unwrap().remove("exp");
                    c
                },
                JWT_SECRET,
            ),
        ),
        ("alg none", format!("{}.{}.", header("none"), body(&claims))),
        ("HS512", {
            let key = EncodingKey::from_secret(JWT_SECRET.as_bytes());
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &key).unwrap()
        }),
        (
            "edited claims",
            format!(
                "{}.{}.{}",
                header("HS256"),
                body(&with("role", json!("facilitator"))),
                signature
            ),
        ),
        ("garbage", "not.a.token".to_string()),
    ];
    for (what, t) in bad {
        let r = app.get("/api/v1/me", &t).await;
        assert_eq!(r.status, 401, "{what} token: {}", r.text);
        r.assert_problem(401);
    }
    app.request(Method::GET, "/api/v1/me", None, None)
        .await
        .assert_problem(401);
    let r = app
        .client
        .get(format!("{}/api/v1/me", app.base))
        .header("Authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[sqlx::test]
async fn role_and_agency_in_a_login_body_are_refused(db: PgPool) {
    let app = spawn(db).await;
    let r = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": FACILITATOR.0, "password": FACILITATOR.1, "role": "facilitator", "agency": "police"})),
        )
        .await;
    let problem = r.assert_problem(422);
    assert!(
        ["role", "agency"].contains(&problem["field"].as_str().unwrap()),
        "{}",
        r.text
    );
}
