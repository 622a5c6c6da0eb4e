use reqwest::Method;
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::spawn;

#[sqlx::test]
async fn a_facilitator_creates_and_lists_users(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let r = app
        .post(
            "/api/v1/users",
            &facilitator,
            json!({"username": "Dr_Who", "password": "a-long-password", "display_name": " Paediatrician ", "agency": "health", "role": "manager"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["username"], "Dr_Who");
    assert_eq!(r.json["display_name"], "Paediatrician");
    assert_eq!(r.json["agency"], "health");
    assert_eq!(r.json["role"], "manager");
    assert!(r.json.get("password").is_none());

    // Unique whatever the case.
    let dup = app
        .post(
            "/api/v1/users",
            &facilitator,
            json!({"username": "dr_who", "password": "a-long-password", "display_name": "X", "agency": "health", "role": "practitioner"}),
        )
        .await;
    dup.assert_problem(409);

    let list = app.get("/api/v1/users", &facilitator).await;
    assert_eq!(list.status, 200);
    let names: Vec<&str> = list.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["facil", "Dr_Who"]);
    assert!(list.json["next_cursor"].is_null());
}

#[sqlx::test]
async fn the_user_list_pages_with_a_cursor(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    for i in 0..4 {
        app.user(&format!("user_{i}"), Some("legal"), "practitioner")
            .await;
    }
    let mut seen = Vec::new();
    let mut path = "/api/v1/users?limit=2".to_string();
    loop {
        let page = app.get(&path, &facilitator).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.json["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(
            items
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_string()),
        );
        match page.json["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/users?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["facil", "user_0", "user_1", "user_2", "user_3"]);
    app.get("/api/v1/users?limit=501", &facilitator)
        .await
        .assert_problem(422);
    app.get("/api/v1/users?limit=abc", &facilitator)
        .await
        .assert_problem(422);
    app.get("/api/v1/users?cursor=nonsense", &facilitator)
        .await
        .assert_problem(422);
}

#[sqlx::test]
async fn agency_must_match_role(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let facilitator_with_agency = json!({"username": "fac_two", "password": "a-long-password", "display_name": "F", "agency": "police", "role": "facilitator"});
    let practitioner_without = json!({"username": "prac_two", "password": "a-long-password", "display_name": "P", "role": "practitioner"});
    for body in [facilitator_with_agency, practitioner_without] {
        let r = app.post("/api/v1/users", &facilitator, body).await;
        assert_eq!(r.assert_problem(422)["field"], "agency");
    }
    let bad_name = json!({"username": "has space", "password": "a-long-password", "display_name": "P", "agency": "police", "role": "practitioner"});
    assert_eq!(
        app.post("/api/v1/users", &facilitator, bad_name)
            .await
            .assert_problem(422)["field"],
        "username"
    );
    let bad_agency = json!({"username": "prac_three", "password": "a-long-password", "display_name": "P", "agency": "fire", "role": "practitioner"});
    let r = app.post("/api/v1/users", &facilitator, bad_agency).await;
    let problem = r.assert_problem(422);
    assert_eq!(problem["field"], "agency");
    assert!(
        problem["detail"].as_str().unwrap().contains("social_care"),
        "lists allowed values: {}",
        r.text
    );
}

#[sqlx::test]
async fn practitioners_and_managers_may_not_manage_users(db: PgPool) {
    let app = spawn(db).await;
    let (id, practitioner) = app.user("pc_one", Some("police"), "practitioner").await;
    let (_, manager) = app.user("boss", Some("police"), "manager").await;
    for token in [&practitioner, &manager] {
        let body = json!({"username": "sneaky", "password": "a-long-password", "display_name": "S", "agency": "police", "role": "facilitator"});
        app.post("/api/v1/users", token, body)
            .await
            .assert_problem(403);
        app.get("/api/v1/users", token).await.assert_problem(403);
        app.request(
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(token),
            Some(json!({"disabled": true})),
        )
        .await
        .assert_problem(403);
    }
    // Nothing was created or changed.
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE username = 'sneaky' OR disabled")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(count, 0);
}

#[sqlx::test]
async fn patching_an_unknown_user_is_404(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let path = format!("/api/v1/users/{}", uuid::Uuid::new_v4());
    app.request(
        Method::PATCH,
        &path,
        Some(&facilitator),
        Some(json!({"disabled": true})),
    )
    .await
    .assert_problem(404);
    app.request(Method::PATCH, &path, Some(&facilitator), Some(json!({})))
        .await
        .assert_problem(422);
}

#[sqlx::test]
async fn demo_users_and_the_bootstrap_facilitator_are_seeded_once(db: PgPool) {
    mash::users::seed::seed_demo(&db).await.unwrap();
    assert_eq!(
        mash::users::seed::seed_demo(&db).await.unwrap(),
        0,
        "a second seeding creates nothing"
    );
    let mut settings = crate::helpers::settings();
    settings.demo = true;
    let app = crate::helpers::spawn_with(db, settings.clone()).await;
    // A second start with the same settings adds nobody.
    crate::helpers::spawn_with(app.db.clone(), settings).await;
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    // The demo users and the bootstrap facilitator.
    assert_eq!(count, mash::users::seed::DEMO_USERS.len() as i64 + 1);
    let token = app.login("police_demo", "police-demo-pass").await;
    let me = app.get("/api/v1/me", &token).await;
    assert_eq!(me.json["agency"], "police");
    assert_eq!(me.json["role"], "practitioner");
}

#[sqlx::test]
async fn a_facilitator_cannot_lock_themself_out(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let me = app.get("/api/v1/me", &facilitator).await;
    let path = format!("/api/v1/users/{}", me.json["id"].as_str().unwrap());
    app.request(
        Method::PATCH,
        &path,
        Some(&facilitator),
        Some(json!({"disabled": true})),
    )
    .await
    .assert_problem(409);
    assert_eq!(app.get("/api/v1/me", &facilitator).await.status, 200);
}
