//! `Idempotency-Key`: a retried create answers the first success again and creates nothing new.

use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn};

async fn contacts(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_retry_with_the_same_key_returns_the_first_answer_and_creates_nothing(db: PgPool) {
    let app = spawn(db).await;
    let (_, token) = app
        .user("sw_retry", Some("social_care"), "practitioner")
        .await;
    let (_, other) = app.user("pc_retry", Some("police"), "practitioner").await;
    let child = app
        .post(
            "/api/v1/children",
            &token,
            json!({"given_name": "R", "family_name": "Etry", "date_of_birth": "2006-03-01"}),
        )
        .await;
    let path = format!(
        "/api/v1/children/{}/contacts",
        child.json["id"].as_str().unwrap()
    );
    let visit =
        json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "home_visit", "summary": "visit"});

    let first = app
        .post_keyed(&path, &token, "visit-1", visit.clone())
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = app
        .post_keyed(&path, &token, "visit-1", visit.clone())
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.json["id"], first.json["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(contacts(&app).await, 1);

    let changed = app.post_keyed(
        &path,
        &token,
        "visit-1",
        json!({"occurred_at": "2007-01-02T00:00:00Z", "kind": "home_visit", "summary": "another"}),
    )
    .await;
    assert_eq!(changed.assert_problem(422)["field"], "Idempotency-Key");
    assert_eq!(contacts(&app).await, 1);

    // Keys belong to their user.
    let police = app
        .post_keyed(&path, &other, "visit-1", visit.clone())
        .await;
    assert_eq!(police.status, 201);
    assert_ne!(police.json["id"], first.json["id"]);
    assert_eq!(contacts(&app).await, 2);

    // A refused request frees its key.
    let invalid = app
        .post_keyed(&path, &token, "visit-2", json!({"kind": "nonsense"}))
        .await;
    invalid.assert_problem(422);
    let fixed = app.post_keyed(&path, &token, "visit-2", visit).await;
    assert_eq!(fixed.status, 201, "{}", fixed.text);
    assert_eq!(contacts(&app).await, 3);

    let bad_key = app
        .post_keyed(&path, &token, &"k".repeat(300), json!({}))
        .await;
    assert_eq!(bad_key.assert_problem(422)["field"], "Idempotency-Key");
}

#[sqlx::test]
async fn concurrent_retries_create_one_child(db: PgPool) {
    let app = spawn(db).await;
    let (_, token) = app.user("dr_retry", Some("health"), "practitioner").await;
    let body =
        json!({"given_name": "C", "family_name": "Oncurrent", "date_of_birth": "2006-03-01"});
    let tries =
        (0..10).map(|_| app.post_keyed("/api/v1/children", &token, "child-once", body.clone()));
    let replies = futures_util::future::join_all(tries).await;
    assert!(
        replies.iter().all(|r| r.status == 201 || r.status == 409),
        "{:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let children: i64 = sqlx::query_scalar("SELECT count(*) FROM children")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(children, 1);
}

#[sqlx::test]
async fn a_claim_that_never_finished_is_taken_over_after_the_request_timeout(db: PgPool) {
    let app = spawn(db).await;
    let (user_id, token) = app
        .user("sw_abandoned", Some("social_care"), "practitioner")
        .await;
    let user_id: uuid::Uuid = user_id.parse().unwrap();
    // Claims whose requests never answered: one from a process killed an hour ago, one just now.
    for (key, age) in [
        ("killed-an-hour-ago", "1 hour"),
        ("still-running", "0 seconds"),
    ] {
        sqlx::query(
            "INSERT INTO idempotency_keys (user_id, key, request_hash, created_at)
             VALUES ($1, $2, 'unfinished', now() - $3::interval)",
        )
        .bind(user_id)
        .bind(key)
        .bind(age)
        .execute(&app.db)
        .await
        .unwrap();
    }
    let body = json!({"given_name": "A", "family_name": "Bandoned", "date_of_birth": "2006-03-01"});
    let taken_over = app
        .post_keyed(
            "/api/v1/children",
            &token,
            "killed-an-hour-ago",
            body.clone(),
        )
        .await;
    assert_eq!(taken_over.status, 201, "{}", taken_over.text);
    let replayed = app
        .post_keyed(
            "/api/v1/children",
            &token,
            "killed-an-hour-ago",
            body.clone(),
        )
        .await;
    assert_eq!(replayed.status, 201);
    assert_eq!(replayed.json["id"], taken_over.json["id"]);
    // A claim younger than the request timeout may still be answered: not taken over, and the
    // request it holds differs from this one.
    app.post_keyed("/api/v1/children", &token, "still-running", body)
        .await
        .assert_problem(422);
    let children: i64 = sqlx::query_scalar("SELECT count(*) FROM children")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(children, 1);
}
