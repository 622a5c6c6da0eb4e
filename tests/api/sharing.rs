//! Sharing decisions: an agency not involved with a child finds that the record exists and who is
//! involved, and nothing more, on every child-scoped read, until it breaks glass; its managers
//! review each break-glass.

use std::collections::BTreeMap;

use mash::routes::ROUTES;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::spawn;

/// Every child-scoped read of the route table, with its path filled for `child` (routes needing a
/// record of a kind the case has not got are left out, and said so).
fn reads(child: &str, ids: &BTreeMap<&str, String>) -> Vec<(&'static str, String)> {
    ROUTES
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/api/v1/children/{child_id}"))
        // The debrief is a facilitator's, whoever is involved.
        .filter(|r| r.operation_id != "getDebrief")
        .filter_map(|r| {
            let mut path = r.path.replace("{child_id}", child);
            for (param, id) in ids {
                path = path.replace(&format!("{{{param}}}"), id);
            }
            (!path.contains('{')).then_some((r.operation_id, path))
        })
        .collect()
}

#[sqlx::test]
async fn an_uninvolved_agency_sees_only_existence_on_every_read_until_it_breaks_glass(db: PgPool) {
    let app = spawn(db).await;
    let mut token = BTreeMap::new();
    for agency in ["police", "health", "social_care", "legal"] {
        token.insert(
            agency,
            app.user(&format!("{agency}_bola"), Some(agency), "practitioner")
                .await
                .1,
        );
    }
    // Police open the record and refer to social care: those two are involved.
    let child = app
        .post(
            "/api/v1/children",
            &token["police"],
            json!({"given_name": "Bola", "family_name": "Matrix", "date_of_birth": "2019-02-01",
                   "address": "1 Secret Street", "identifier": "943 476 0001"}),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("/api/v1/children/{child}");
    let contact = app
        .post(
            &format!("{base}/contacts"),
            &token["police"],
            json!({"occurred_at": "2020-01-10T10:00:00Z", "kind": "home_visit", "summary": "Bruise seen"}),
        )
        .await;
    assert_eq!(contact.status, 201, "{}", contact.text);
    let referral = app
        .post(
            &format!("{base}/referrals"),
            &token["police"],
            json!({"occurred_at": "2020-01-10T12:00:00Z", "referrer": "professional",
                   "to_agency": "social_care", "summary": "Bruise to the cheek"}),
        )
        .await;
    assert_eq!(referral.status, 201, "{}", referral.text);
    let ids = BTreeMap::from([
        (
            "contact_id",
            contact.json["id"].as_str().unwrap().to_string(),
        ),
        (
            "referral_id",
            referral.json["id"].as_str().unwrap().to_string(),
        ),
    ]);
    let routes = reads(&child, &ids);
    assert!(routes.len() >= 20, "{} child-scoped reads", routes.len());

    let status = |reply: &crate::helpers::Reply| reply.status.as_u16();
    for (agency, involved) in [
        ("police", true),
        ("social_care", true),
        ("health", false),
        ("legal", false),
    ] {
        for (operation, path) in &routes {
            let reply = app.get(path, &token[agency]).await;
            if involved {
                assert_eq!(status(&reply), 200, "{agency} {operation}: {}", reply.text);
            } else {
                let problem = reply.assert_problem(403);
                let detail = problem["detail"].as_str().unwrap();
                assert!(
                    detail.contains("not involved") && detail.contains("police, social care"),
                    "{agency} {operation}: {detail}"
                );
                assert!(!reply.text.contains("Bruise") && !reply.text.contains("Secret"));
            }
        }
        // Changing the record needs involvement too.
        let patch = app
            .request(
                Method::PATCH,
                &base,
                Some(&token[agency]),
                Some(json!({"address": "2 Other Road"})),
            )
            .await;
        assert_eq!(status(&patch), if involved { 428 } else { 403 }, "{agency}");
    }

    // A search shows the uninvolved that the record exists and who is involved: nothing else.
    let found = app
        .get(
            "/api/v1/children?name=bola&date_of_birth=2019-02-01",
            &token["legal"],
        )
        .await
        .json;
    assert_eq!(
        found["items"][0],
        json!({"id": child, "given_name": "Bola", "family_name": "Matrix",
               "date_of_birth": "2019-02-01", "involved_agencies": ["police", "social_care"],
               "restricted": true})
    );
    let full = app
        .get(
            "/api/v1/children?name=bola&date_of_birth=2019-02-01",
            &token["police"],
        )
        .await
        .json;
    assert_eq!(full["items"][0]["address"], "1 Secret Street");

    // Health breaks glass: every read opens to health, and to nobody else.
    let bad = app
        .post(
            &format!("{base}/break-glass"),
            &token["health"],
            json!({"lawful_basis": "curiosity", "reason": "x"}),
        )
        .await;
    assert_eq!(bad.assert_problem(422)["field"], "lawful_basis");
    let opened = app
        .post(
            &format!("{base}/break-glass"),
            &token["health"],
            json!({"lawful_basis": "vital_interests", "reason": "A&E: the child is here with a head injury"}),
        )
        .await;
    assert_eq!(opened.status, 201, "{}", opened.text);
    assert_eq!(opened.json["agency"], "health");
    let hours = (chrono::DateTime::parse_from_rfc3339(opened.json["expires_at"].as_str().unwrap())
        .unwrap()
        - chrono::DateTime::parse_from_rfc3339(opened.json["opened_at"].as_str().unwrap())
            .unwrap())
    .num_hours();
    assert_eq!(hours, 24);
    for (operation, path) in &routes {
        let reply = app.get(path, &token["health"]).await;
        assert_eq!(
            status(&reply),
            200,
            "health after break-glass {operation}: {}",
            reply.text
        );
        app.get(path, &token["legal"]).await.assert_problem(403);
    }
    // An involved agency has no glass to break.
    app.post(
        &format!("{base}/break-glass"),
        &token["police"],
        json!({"lawful_basis": "public_task", "reason": "r"}),
    )
    .await
    .assert_problem(403);

    // Health's managers review it, once; other agencies' managers and practitioners may not.
    let (_, health_manager) = app.user("health_mgr", Some("health"), "manager").await;
    let (_, police_manager) = app.user("police_mgr", Some("police"), "manager").await;
    app.get("/api/v1/break-glass?reviewed=false", &token["health"])
        .await
        .assert_problem(403);
    let waiting = app
        .get("/api/v1/break-glass?reviewed=false", &health_manager)
        .await
        .json;
    assert_eq!(waiting["items"].as_array().unwrap().len(), 1);
    assert_eq!(waiting["items"][0]["lawful_basis"], "vital_interests");
    assert_eq!(waiting["items"][0]["review"], Value::Null);
    let police_waiting = app
        .get("/api/v1/break-glass?reviewed=false", &police_manager)
        .await
        .json;
    assert_eq!(police_waiting["items"], json!([]));
    let review = format!(
        "/api/v1/break-glass/{}/review",
        opened.json["id"].as_str().unwrap()
    );
    let note = json!({"outcome": "justified", "note": "Emergency treatment"});
    app.post(&review, &police_manager, note.clone())
        .await
        .assert_problem(403);
    let reviewed = app.post(&review, &health_manager, note.clone()).await;
    assert_eq!(reviewed.status, 201, "{}", reviewed.text);
    assert_eq!(reviewed.json["review"]["outcome"], "justified");
    app.post(&review, &health_manager, note)
        .await
        .assert_problem(409);
    let left = app
        .get("/api/v1/break-glass?reviewed=false", &health_manager)
        .await
        .json;
    assert_eq!(left["items"], json!([]));
    // Each is in the audit trail, with the child.
    let events: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, outcome FROM audit_events WHERE action LIKE 'break_glass.%' ORDER BY seq",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(events.contains(&("break_glass.create".into(), "allowed".into())));
    assert!(events.contains(&("break_glass.review".into(), "allowed".into())));
    let with_child: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'break_glass.create' AND outcome = 'allowed' AND child_id = $1::uuid",
    )
    .bind(&child)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(with_child, 1);
}

/// Recording alone involves nobody: legal, refused at first, records advice and is still refused;
/// police, who opened the record, bring legal in, and legal reads it.
#[sqlx::test]
async fn recording_an_entry_involves_nobody_and_bringing_in_does(db: PgPool) {
    let app = spawn(db).await;
    let (_, police) = app.user("pc_inv", Some("police"), "practitioner").await;
    let (_, legal) = app.user("lawyer_inv", Some("legal"), "practitioner").await;
    let child = app
        .post(
            "/api/v1/children",
            &police,
            json!({"given_name": "Ina", "family_name": "Volved", "date_of_birth": "2019-02-01"}),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let chronology = format!("/api/v1/children/{child}/chronology");
    app.get(&chronology, &legal).await.assert_problem(403);
    let advice = app
        .post(
            &format!("/api/v1/children/{child}/legal-planning-meetings"),
            &legal,
            json!({"occurred_at": "2020-02-01T10:00:00Z", "advice": "threshold_not_met", "summary": "s"}),
        )
        .await;
    assert_eq!(advice.status, 201, "{}", advice.text);
    assert_eq!(advice.json["summary"], "s", "its own entry, in full");
    app.get(&chronology, &legal).await.assert_problem(403);
    let brought = app
        .post(
            &format!("/api/v1/children/{child}/involvements"),
            &police,
            json!({"agency": "legal", "reason": "Advice on the threshold"}),
        )
        .await;
    assert_eq!(brought.status, 201, "{}", brought.text);
    assert_eq!(app.get(&chronology, &legal).await.status, 200);
}

/// Another agency's restricted contact is disclosed one at a time, each with its lawful basis, and
/// an agency records its decisions not to share, with their reasons.
#[sqlx::test]
async fn restricted_entries_are_disclosed_one_at_a_time_and_refusals_are_recorded(db: PgPool) {
    let app = spawn(db).await;
    let (_, police) = app
        .user("pc_disclose", Some("police"), "practitioner")
        .await;
    let (_, health) = app
        .user("dr_disclose", Some("health"), "practitioner")
        .await;
    let child = app
        .post(
            "/api/v1/children",
            &police,
            json!({"given_name": "Dee", "family_name": "Sclose", "date_of_birth": "2019-02-01"}),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = format!("/api/v1/children/{child}");
    let contact = |token: &str, summary: &str, visibility: &str| {
        let body = json!({"occurred_at": "2020-01-10T10:00:00Z", "kind": "police_interview",
                          "summary": summary, "visibility": visibility});
        let (path, token) = (format!("{base}/contacts"), token.to_string());
        let app = &app;
        async move { app.post(&path, &token, body).await }
    };
    let secret = contact(&police, "An informant names the partner", "restricted").await;
    assert_eq!(secret.status, 201, "{}", secret.text);
    let secret_id = secret.json["id"].as_str().unwrap().to_string();
    // Health, brought in by police, sees a stub.
    app.involve_all(&child, &police).await;
    let own = app
        .post(
            &format!("{base}/contacts"),
            &health,
            json!({"occurred_at": "2020-01-11T10:00:00Z", "kind": "hospital_attendance", "summary": "Seen"}),
        )
        .await;
    assert_eq!(own.status, 201, "{}", own.text);
    let stub = app
        .get(&format!("{base}/contacts/{secret_id}"), &health)
        .await;
    assert_eq!(stub.json["restricted"], true);

    let ask = json!({"contact_id": secret_id, "lawful_basis": "section_47",
                     "reason": "Strategy discussion today"});
    app.post(&format!("{base}/disclosures"), &police, ask.clone())
        .await
        .assert_problem(403);
    let disclosed = app.post(&format!("{base}/disclosures"), &health, ask).await;
    assert_eq!(disclosed.status, 201, "{}", disclosed.text);
    assert_eq!(
        disclosed.json["contact"]["summary"],
        "An informant names the partner"
    );
    assert_eq!(disclosed.json["disclosure"]["lawful_basis"], "section_47");
    assert_eq!(disclosed.json["disclosure"]["agency"], "health");
    // One disclosure, not a change of sight: the record still shows health the stub.
    let again = app
        .get(&format!("{base}/contacts/{secret_id}"), &health)
        .await;
    assert_eq!(again.json["restricted"], true);
    assert!(!again.text.contains("informant"));
    let unknown = app
        .post(
            &format!("{base}/disclosures"),
            &health,
            json!({"contact_id": uuid::Uuid::new_v4(), "lawful_basis": "consent", "reason": "r"}),
        )
        .await;
    assert_eq!(unknown.assert_problem(422)["field"], "contact_id");

    // Police decide not to share another restricted contact; health may not decide for police.
    let other = contact(&police, "Covert source", "restricted").await;
    let other_id = other.json["id"].as_str().unwrap().to_string();
    let refusal = json!({"contact_id": other_id, "requested_by": "health",
                         "reason": "Sharing would expose a covert source"});
    app.post(
        &format!("{base}/sharing-refusals"),
        &health,
        refusal.clone(),
    )
    .await
    .assert_problem(403);
    let refused = app
        .post(&format!("{base}/sharing-refusals"), &police, refusal)
        .await;
    assert_eq!(refused.status, 201, "{}", refused.text);
    let decisions = app
        .get(&format!("{base}/sharing-decisions"), &police)
        .await
        .json;
    assert_eq!(decisions["disclosures"].as_array().unwrap().len(), 1);
    assert_eq!(decisions["refusals"][0]["requested_by"], "health");
    assert_eq!(
        decisions["refusals"][0]["reason"],
        "Sharing would expose a covert source"
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action IN ('disclosure.create', 'sharing_refusal.create')
           AND outcome = 'allowed' AND child_id = $1::uuid",
    )
    .bind(&child)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audited, 2);
}
