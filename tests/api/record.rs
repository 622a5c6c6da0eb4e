//! The shared child record: children, people and checks, contacts, amendments, and who sees what.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn};

/// One practitioner token per agency.
struct Agencies {
    police: String,
    health: String,
    social_care: String,
    legal: String,
}

async fn agencies(app: &TestApp) -> Agencies {
    Agencies {
        police: app.user("pc_one", Some("police"), "practitioner").await.1,
        health: app.user("dr_one", Some("health"), "practitioner").await.1,
        social_care: app
            .user("sw_one", Some("social_care"), "practitioner")
            .await
            .1,
        legal: app
            .user("lawyer_one", Some("legal"), "practitioner")
            .await
            .1,
    }
}

async fn new_child(app: &TestApp, token: &str) -> String {
    let r = app
        .post(
            "/api/v1/children",
            token,
            json!({"given_name": "Peter", "family_name": "C", "date_of_birth": "2006-03-01"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

fn admission() -> Value {
    json!({
        "occurred_at": "2006-12-11T10:30:00Z", "kind": "hospital_admission", "location": "Hospital",
        "summary": "Extensive bruising; referred to police CAIT", "child_seen": true,
        "injuries": [{"body_location": "face", "type": "bruise", "description": "extensive bruising"}],
        "explanation": {"given_by": "mother", "category": "another_child", "text": "pushed by another child"},
        "examination": {"completed": false, "reason_incomplete": "child distressed"},
        "opinion": "non_accidental_injury_suspected", "concern_level": "high",
        "concern_categories": ["physical_injury", "physical_injury"], "actions": ["Refer to police"]
    })
}

fn ids(page: &Value) -> BTreeSet<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test]
async fn child_records_are_created_found_and_changed_with_if_match(db: PgPool) {
    let app = spawn(db).await;
    let a = agencies(&app).await;
    let r = app
        .post(
            "/api/v1/children",
            &a.health,
            json!({"given_name": " Peter ", "family_name": "Connor", "date_of_birth": "2006-03-01", "identifier": "943 476 5919"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.json["given_name"].as_str(), r.json["status"].as_str()),
        (Some("Peter"), Some("none"))
    );
    assert_eq!(
        (r.json["sharing_mode"].as_str(), r.json["version"].as_i64()),
        (Some("shared"), Some(1))
    );
    let id = r.json["id"].as_str().unwrap();

    // Police are not involved: they read the record once they break glass.
    app.get(&format!("/api/v1/children/{id}"), &a.police)
        .await
        .assert_problem(403);
    app.break_glass(id, &a.police).await;
    let g = app.get(&format!("/api/v1/children/{id}"), &a.police).await;
    assert_eq!(g.status, 200);
    let etag = g.header("etag").unwrap().to_string();
    assert_eq!(etag, "\"1\"");

    for query in [
        "name=conn&date_of_birth=2006-03-01",
        "name=PETER%20CONNOR&date_of_birth=2006-03-01",
        "identifier=943%20476%205919",
    ] {
        let found = app
            .get(&format!("/api/v1/children?{query}"), &a.legal)
            .await;
        assert_eq!(
            ids(&found.json),
            BTreeSet::from([id.to_string()]),
            "search {query}"
        );
    }
    assert!(
        ids(&app
            .get(
                "/api/v1/children?name=smith&date_of_birth=2006-03-01",
                &a.legal
            )
            .await
            .json)
        .is_empty()
    );
    assert!(
        ids(&app
            .get(
                "/api/v1/children?name=%25&date_of_birth=2006-03-01",
                &a.legal
            )
            .await
            .json)
        .is_empty(),
        "% is literal"
    );
    app.get("/api/v1/children?date_of_birth=yesterday", &a.legal)
        .await
        .assert_problem(422);

    let path = format!("/api/v1/children/{id}");
    let change = json!({"status": "child_protection_plan"});
    // Changing the status needs involvement too.
    app.request(
        Method::PATCH,
        &path,
        Some(&a.social_care),
        Some(change.clone()),
    )
    .await
    .assert_problem(403);
    app.break_glass(id, &a.social_care).await;
    app.request(
        Method::PATCH,
        &path,
        Some(&a.social_care),
        Some(change.clone()),
    )
    .await
    .assert_problem(428);
    let ok = app
        .client
        .patch(format!("{}{path}", app.base))
        .bearer_auth(&a.social_care)
        .header("If-Match", &etag)
        .json(&change)
        .send()
        .await
        .unwrap();
    let ok = TestApp::reply(Method::PATCH, ok).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    assert_eq!(ok.json["status"], "child_protection_plan");
    assert_eq!(ok.header("etag"), Some("\"2\""));
    let stale = app
        .client
        .patch(format!("{}{path}", app.base))
        .bearer_auth(&a.social_care)
        .header("If-Match", &etag)
        .json(&json!({"address": "1 New Street"}))
        .send()
        .await
        .unwrap();
    TestApp::reply(Method::PATCH, stale)
        .await
        .assert_problem(412);

    let future = app
        .post(
            "/api/v1/children",
            &a.health,
            json!({"given_name": "A", "family_name": "B", "date_of_birth": "2999-01-01"}),
        )
        .await;
    assert_eq!(future.assert_problem(422)["field"], "date_of_birth");
    app.get(
        &format!("/api/v1/children/{}", uuid::Uuid::new_v4()),
        &a.legal,
    )
    .await
    .assert_problem(404);
}

#[sqlx::test]
async fn people_and_police_checks(db: PgPool) {
    let app = spawn(db).await;
    let a = agencies(&app).await;
    let child = new_child(&app, &a.social_care).await;
    let partner = json!({"name": "Mother's partner", "relationship": "mothers_partner", "lives_in_household": true,
        "identity_verified": false, "named_as_next_of_kin": true, "occurred_at": "2006-12-20T00:00:00Z"});
    let r = app
        .post(
            &format!("/api/v1/children/{child}/people"),
            &a.social_care,
            partner,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (
            r.json["agency"].as_str(),
            r.json["identity_verified"].as_bool()
        ),
        (Some("social_care"), Some(false))
    );
    let person = r.json["id"].as_str().unwrap();

    let checks = format!("/api/v1/children/{child}/people/{person}/checks");
    let check = json!({"outcome": "relevant_history", "summary": "violent history"});
    app.post(&checks, &a.health, check.clone())
        .await
        .assert_problem(403);
    let r = app.post(&checks, &a.police, check).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["agency"], "police");

    app.break_glass(&child, &a.legal).await;
    let list = app
        .get(&format!("/api/v1/children/{child}/people"), &a.legal)
        .await;
    assert_eq!(list.status, 200);
    assert_eq!(
        list.json["items"][0]["checks"][0]["outcome"],
        "relevant_history"
    );
    let bad = app
        .post(&format!("/api/v1/children/{child}/people"), &a.health, json!({"name": "X", "relationship": "uncle", "lives_in_household": false, "identity_verified": true}))
        .await;
    let problem = bad.assert_problem(422);
    assert_eq!(problem["field"], "relationship");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("mothers_partner")
    );
}

#[sqlx::test]
async fn contacts_are_logged_as_the_callers_agency_and_validated(db: PgPool) {
    let app = spawn(db).await;
    let a = agencies(&app).await;
    let child = new_child(&app, &a.health).await;
    let path = format!("/api/v1/children/{child}/contacts");

    let r = app.post(&path, &a.health, admission()).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let c = &r.json;
    assert_eq!(c["agency"], "health");
    assert_eq!(c["kind"], "hospital_admission");
    assert_eq!(c["injuries"][0]["type"], "bruise");
    assert_eq!(c["explanation"]["category"], "another_child");
    assert_eq!(c["examination"]["completed"], false);
    assert_eq!(
        c["concern_categories"],
        json!(["physical_injury"]),
        "categories are de-duplicated"
    );
    assert_eq!(
        (c["restricted"].as_bool(), c["amended"].as_bool()),
        (Some(false), Some(false))
    );
    assert!(c["recorded_at"].is_string());

    let mut claims_police = admission();
    claims_police["agency"] = json!("police");
    assert_eq!(
        app.post(&path, &a.health, claims_police)
            .await
            .assert_problem(422)["field"],
        "agency"
    );
    let mut claims_author = admission();
    claims_author["author_id"] = json!(uuid::Uuid::new_v4());
    assert_eq!(
        app.post(&path, &a.health, claims_author)
            .await
            .assert_problem(422)["field"],
        "author_id"
    );

    let cases = [
        (json!({"kind": "visit"}), "kind", "home_visit"),
        (
            json!({"concern_level": "severe"}),
            "concern_level",
            "immediate_risk",
        ),
        (
            json!({"injuries": [{"body_location": "arm", "type": "graze"}]}),
            "injuries[0].type",
            "bruise",
        ),
        (
            json!({"explanation": {"given_by": "mother", "category": "dog"}}),
            "explanation.category",
            "another_child",
        ),
        (
            json!({"occurred_at": "2999-01-01T00:00:00Z"}),
            "occurred_at",
            "future",
        ),
        (
            json!({"occurred_at": "2005-01-01T00:00:00Z"}),
            "occurred_at",
            "birth",
        ),
        (json!({"summary": "   "}), "summary", "empty"),
        (json!({"summary": "x".repeat(4001)}), "summary", "4000"),
        (
            json!({"injuries": vec![json!({"body_location": "arm", "type": "bruise"}); 51]}),
            "injuries",
            "50",
        ),
    ];
    for (change, field, hint) in cases {
        let mut body = admission();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post(&path, &a.health, body).await;
        let problem = r.assert_problem(422);
        assert_eq!(problem["field"], field, "{}", r.text);
        assert!(
            problem["detail"].as_str().unwrap().contains(hint),
            "{field}: {}",
            r.text
        );
    }
    let facilitator = app.facilitator().await;
    app.post(&path, &facilitator, admission())
        .await
        .assert_problem(403);

    let sneaky = "'; DROP TABLE contacts; -- <script>alert(1)</script>";
    let mut body = admission();
    body["summary"] = json!(sneaky);
    let r = app.post(&path, &a.health, body).await;
    assert_eq!(r.json["summary"], sneaky);
    app.break_glass(&child, &a.legal).await;
    let list = app.get(&path, &a.legal).await;
    assert_eq!(
        list.json["items"].as_array().unwrap().len(),
        2,
        "only the two valid contacts were stored"
    );
}

#[sqlx::test]
async fn restricted_entries_are_stubs_for_other_agencies(db: PgPool) {
    let app = spawn(db).await;
    let a = agencies(&app).await;
    let facilitator = app.facilitator().await;
    let child = new_child(&app, &a.police).await;
    let path = format!("/api/v1/children/{child}/contacts");
    let secret = json!({"occurred_at": "2007-06-10T10:00:00Z", "kind": "police_interview", "summary": "SECRET interview under caution",
        "location": "SECRET station", "opinion": "non_accidental_injury_suspected", "visibility": "restricted"});
    let r = app.post(&path, &a.police, secret).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.json["id"].as_str().unwrap();

    for token in [&a.health, &a.social_care, &a.legal] {
        app.break_glass(&child, token).await;
    }
    for token in [&a.health, &a.social_care, &a.legal] {
        let one = app.get(&format!("{path}/{id}"), token).await;
        assert_eq!(one.status, 200);
        let keys: BTreeSet<&str> = one
            .json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            BTreeSet::from(["id", "agency", "kind", "occurred_at", "restricted"])
        );
        assert_eq!(one.json["restricted"], true);
        assert_eq!(one.json["kind"], "police_interview");
        let list = app.get(&path, token).await;
        assert!(!list.text.contains("SECRET"), "{}", list.text);
        assert_eq!(list.json["items"][0]["restricted"], true);
    }
    for token in [&a.police, &facilitator] {
        let one = app.get(&format!("{path}/{id}"), token).await;
        assert!(one.text.contains("SECRET interview"));
        assert_eq!(one.json["restricted"], false);
    }
}

#[sqlx::test]
async fn a_siloed_record_shows_each_agency_only_its_own(db: PgPool) {
    let app = spawn(db).await;
    let a = agencies(&app).await;
    let facilitator = app.facilitator().await;
    let child = new_child(&app, &a.health).await;
    app.involve_all(&child, &a.health).await;
    let path = format!("/api/v1/children/{child}/contacts");
    let mut mine = std::collections::BTreeMap::new();
    for (agency, token) in [
        ("police", &a.police),
        ("health", &a.health),
        ("social_care", &a.social_care),
        ("legal", &a.legal),
    ] {
        let body = json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "phone_call", "summary": format!("{agency} call")});
        let r = app.post(&path, token, body).await;
        mine.insert(agency, r.json["id"].as_str().unwrap().to_string());
    }
    let person = json!({"name": "Lodger", "relationship": "lodger", "lives_in_household": true, "identity_verified": false});
    app.post(
        &format!("/api/v1/children/{child}/people"),
        &a.social_care,
        person,
    )
    .await;

    let mode = format!("/api/v1/children/{child}/sharing-mode");
    app.request(
        Method::PUT,
        &mode,
        Some(&a.social_care),
        Some(json!({"mode": "siloed"})),
    )
    .await
    .assert_problem(403);
    let r = app
        .request(
            Method::PUT,
            &mode,
            Some(&facilitator),
            Some(json!({"mode": "siloed"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["sharing_mode"], "siloed");

    for (agency, token) in [
        ("police", &a.police),
        ("health", &a.health),
        ("social_care", &a.social_care),
        ("legal", &a.legal),
    ] {
        let seen = ids(&app.get(&path, token).await.json);
        assert_eq!(
            seen,
            BTreeSet::from([mine[agency].clone()]),
            "{agency} in a siloed record"
        );
        let other = mine.iter().find(|(k, _)| **k != agency).unwrap().1;
        app.get(&format!("{path}/{other}"), token)
            .await
            .assert_problem(404);
        let people = app
            .get(&format!("/api/v1/children/{child}/people"), token)
            .await;
        assert_eq!(
            people.json["items"].as_array().unwrap().len(),
            usize::from(agency == "social_care"),
            "{agency}"
        );
    }
    assert_eq!(ids(&app.get(&path, &facilitator).await.json).len(), 4);

    app.request(
        Method::PUT,
        &mode,
        Some(&facilitator),
        Some(json!({"mode": "shared"})),
    )
    .await;
    assert_eq!(
        ids(&app.get(&path, &a.legal).await.json).len(),
        4,
        "back to shared, nothing lost"
    );
}

#[sqlx::test]
async fn amendments_by_the_authoring_agency_keep_the_original(db: PgPool) {
    let app = spawn(db).await;
    let a = agencies(&app).await;
    let child = new_child(&app, &a.health).await;
    let r = app
        .post(
            &format!("/api/v1/children/{child}/contacts"),
            &a.health,
            admission(),
        )
        .await;
    let id = r.json["id"].as_str().unwrap();
    let amend = format!("/api/v1/children/{child}/contacts/{id}/amendments");

    let change = json!({"reason": "typo", "changes": {"summary": "Extensive bruising (amended)"}});
    app.post(&amend, &a.police, change.clone())
        .await
        .assert_problem(403);
    let bad = app
        .post(
            &amend,
            &a.health,
            json!({"reason": "x", "changes": {"kind": "nonsense"}}),
        )
        .await;
    assert_eq!(bad.assert_problem(422)["field"], "changes.kind");
    let empty = app
        .post(&amend, &a.health, json!({"reason": "x", "changes": {}}))
        .await;
    assert_eq!(empty.assert_problem(422)["field"], "changes");
    let r = app.post(&amend, &a.health, change).await;
    assert_eq!(r.status, 201, "{}", r.text);

    app.break_glass(&child, &a.social_care).await;
    let read = app
        .get(
            &format!("/api/v1/children/{child}/contacts/{id}"),
            &a.social_care,
        )
        .await;
    assert_eq!(read.json["summary"], "Extensive bruising (amended)");
    assert_eq!(read.json["amended"], true);
    assert_eq!(
        read.json["original"]["summary"],
        "Extensive bruising; referred to police CAIT"
    );
    assert_eq!(read.json["amendments"][0]["reason"], "typo");
    assert_eq!(read.json["amendments"][0]["agency"], "health");
    assert_eq!(
        read.json["injuries"][0]["type"], "bruise",
        "unchanged fields stay"
    );
}

#[sqlx::test]
async fn the_database_refuses_to_change_or_remove_contacts(db: PgPool) {
    let app = spawn(db).await;
    let a = agencies(&app).await;
    let child = new_child(&app, &a.health).await;
    let r = app
        .post(
            &format!("/api/v1/children/{child}/contacts"),
            &a.health,
            admission(),
        )
        .await;
    let id: uuid::Uuid = r.json["id"].as_str().unwrap().parse().unwrap();
    let amend = format!("/api/v1/children/{child}/contacts/{id}/amendments");
    app.post(
        &amend,
        &a.health,
        json!({"reason": "r", "changes": {"summary": "s"}}),
    )
    .await;
    for sql in [
        "UPDATE contacts SET summary = 'changed' WHERE id = $1",
        "DELETE FROM contacts WHERE id = $1",
        "UPDATE contact_amendments SET reason = 'changed' WHERE contact_id = $1",
        "DELETE FROM contact_amendments WHERE contact_id = $1",
    ] {
        let err = sqlx::query(sql)
            .bind(id)
            .execute(&app.db)
            .await
            .expect_err(sql);
        assert!(
            err.to_string().contains("never updated or deleted"),
            "{sql}: {err}"
        );
    }
    for sql in ["TRUNCATE contacts CASCADE", "TRUNCATE contact_amendments"] {
        assert!(sqlx::query(sql).execute(&app.db).await.is_err(), "{sql}");
    }
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[sqlx::test]
async fn fifty_concurrent_contacts_are_each_stored_once(db: PgPool) {
    let app = spawn(db).await;
    let token = app
        .user("sw_busy", Some("social_care"), "practitioner")
        .await
        .1;
    let child = new_child(&app, &token).await;
    let path = format!("/api/v1/children/{child}/contacts");
    let posts = (0..50).map(|i| {
        app.post(&path, &token, json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "home_visit", "summary": format!("visit {i}")}))
    });
    let replies = futures_util::future::join_all(posts).await;
    assert!(replies.iter().all(|r| r.status == 201));
    let page = app.get(&format!("{path}?limit=100"), &token).await;
    assert_eq!(ids(&page.json).len(), 50);
    let summaries: BTreeSet<&str> = page.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries.len(), 50);
}

#[sqlx::test]
async fn if_match_star_changes_whatever_version_is_current(db: PgPool) {
    let app = spawn(db).await;
    let a = agencies(&app).await;
    let child = new_child(&app, &a.social_care).await;
    for status in ["child_in_need", "child_protection_plan"] {
        let r = app
            .client
            .patch(format!("{}/api/v1/children/{child}", app.base))
            .bearer_auth(&a.social_care)
            .header("If-Match", "*")
            .json(&json!({"status": status}))
            .send()
            .await
            .unwrap();
        let r = TestApp::reply(Method::PATCH, r).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.json["status"], status);
    }
}
