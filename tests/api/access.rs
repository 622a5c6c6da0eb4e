//! Regressions for the access probe: writing involves nobody, break-glass is one user's and
//! reviewed by another, streams end with their session, sharing decisions, replays and searches
//! follow sight, and password guesses end the session. Each test names the finding it closes.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::alerts::kinds;
use crate::helpers::{Reply, TestApp, spawn};

/// A user of each agency (practitioners), by agency.
async fn agencies(app: &TestApp, tag: &str) -> std::collections::BTreeMap<&'static str, String> {
    let mut out = std::collections::BTreeMap::new();
    for agency in ["police", "health", "social_care", "legal"] {
        let (_, token) = app
            .user(&format!("{agency}_{tag}"), Some(agency), "practitioner")
            .await;
        out.insert(agency, token);
    }
    out
}

async fn child_of(app: &TestApp, token: &str, family: &str) -> String {
    let r = app
        .post(
            "/api/v1/children",
            token,
            json!({"given_name": "Ada", "family_name": family, "date_of_birth": "2019-02-01"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

async fn contact(app: &TestApp, child: &str, token: &str, body: Value) -> Reply {
    let mut full = json!({"occurred_at": "2020-03-01T10:00:00Z", "kind": "home_visit"});
    full.as_object_mut()
        .unwrap()
        .extend(body.as_object().unwrap().clone());
    app.post(&format!("/api/v1/children/{child}/contacts"), token, full)
        .await
}

/// A restricted contact of police's on `child`; answers its id.
async fn restricted(app: &TestApp, child: &str, police: &str, summary: &str) -> String {
    let r = contact(
        app,
        child,
        police,
        json!({"summary": summary, "visibility": "restricted"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

async fn bring_in(app: &TestApp, child: &str, token: &str, agency: &str) -> Reply {
    app.post(
        &format!("/api/v1/children/{child}/involvements"),
        token,
        json!({"agency": agency, "reason": "Asked to work the case"}),
    )
    .await
}

async fn siloed(app: &TestApp, base: &str, facilitator: &str) {
    let r = app
        .request(
            Method::PUT,
            &format!("{base}/sharing-mode"),
            Some(facilitator),
            Some(json!({"mode": "siloed"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

/// Finding 1 (high): a write replaced break-glass. A contact, a person, a referral or a challenge
/// by an uninvolved agency no longer opens the record to that agency; an involved agency brings it
/// in (an entry on the chronology, alerting it), and the involved agencies are told of a new
/// agency's first entry.
#[sqlx::test]
async fn a_write_alone_opens_nothing_and_an_involved_agency_brings_another_in(db: PgPool) {
    let app = spawn(db).await;
    let t = agencies(&app, "write").await;
    let child = child_of(&app, &t["health"], "Write").await;
    let base = format!("/api/v1/children/{child}");
    let secret = contact(
        &app,
        &child,
        &t["health"],
        json!({"summary": "HEALTH-SECRET bruising to the ear", "concern_level": "high"}),
    )
    .await;
    assert_eq!(secret.status, 201);

    // Police contribute (a restricted contact, a person, a referral): the duty to share.
    let own = contact(
        &app,
        &child,
        &t["police"],
        json!({"summary": "Police attended a disturbance", "visibility": "restricted"}),
    )
    .await;
    assert_eq!(own.status, 201, "{}", own.text);
    assert_eq!(own.json["summary"], "Police attended a disturbance");
    let person = app
        .post(
            &format!("{base}/people"),
            &t["police"],
            json!({"name": "Lodger", "relationship": "lodger", "lives_in_household": true,
                   "identity_verified": false, "occurred_at": "2020-03-02T10:00:00Z"}),
        )
        .await;
    assert_eq!(person.status, 201, "{}", person.text);
    let referral = app
        .post(
            &format!("{base}/referrals"),
            &t["police"],
            json!({"occurred_at": "2020-03-02T11:00:00Z", "referrer": "professional",
                   "to_agency": "legal", "summary": "For advice"}),
        )
        .await;
    assert_eq!(referral.status, 201, "{}", referral.text);
    // …and still read nothing of the record: not the chronology, not health's contact.
    for path in [
        format!("{base}/chronology"),
        format!("{base}/contacts"),
        format!("{base}/gap-report"),
        base.clone(),
    ] {
        let r = app.get(&path, &t["police"]).await;
        assert_eq!(r.status, 403, "{path}: {}", r.text);
        assert!(!r.text.contains("HEALTH-SECRET"), "{path}");
    }
    // A challenge needs sight of the entry: an uninvolved agency cannot make one.
    let challenge = app
        .post(
            &format!("{base}/challenges"),
            &t["police"],
            json!({"occurred_at": "2020-03-03T10:00:00Z", "entry_id": secret.json["id"],
                   "concern": "Should have come to us", "level": 1}),
        )
        .await;
    challenge.assert_problem(403);
    // Nor bring anyone in; and health is told a new agency shared something.
    bring_in(&app, &child, &t["police"], "social_care")
        .await
        .assert_problem(403);
    let alerts = app
        .get("/api/v1/me/alerts?as_of=2020-04-01T00:00:00Z", &t["health"])
        .await;
    assert!(
        kinds(&alerts.json).contains(&"new_agency_entry".to_string()),
        "{}",
        alerts.text
    );
    assert!(
        !alerts.text.contains("Police attended"),
        "a restricted entry stays a stub"
    );

    // Health brings police in: an entry on the chronology, an alert for police, and the record
    // opens to police; a second time is a conflict.
    let brought = bring_in(&app, &child, &t["health"], "police").await;
    assert_eq!(brought.status, 201, "{}", brought.text);
    assert_eq!(brought.json["record_type"], "involvement");
    assert_eq!(brought.json["brought_in"], "police");
    bring_in(&app, &child, &t["health"], "police")
        .await
        .assert_problem(409);
    let chronology = app.get(&format!("{base}/chronology"), &t["police"]).await;
    assert_eq!(chronology.status, 200, "{}", chronology.text);
    assert!(chronology.text.contains("HEALTH-SECRET"));
    assert!(
        chronology.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["entry_type"] == "involvement"),
        "{}",
        chronology.text
    );
    let listed = app.get(&format!("{base}/involvements"), &t["police"]).await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);
    let police_alerts = app.get("/api/v1/me/alerts", &t["police"]).await;
    assert!(kinds(&police_alerts.json).contains(&"brought_in".to_string()));
    // The referral made legal involved: receiving a referral is a way in.
    assert_eq!(app.get(&base, &t["legal"]).await.status, 200);
    // Social care wrote nothing and was brought in by nobody.
    assert_eq!(app.get(&base, &t["social_care"]).await.status, 403);
}

/// Finding 2: a manager reviewed their own glass, a `not_justified` glass stayed open, and one
/// user opened any number of glasses on one record.
#[sqlx::test]
async fn a_glass_is_one_per_user_reviewed_by_another_and_closed_when_not_justified(db: PgPool) {
    let app = spawn(db).await;
    let t = agencies(&app, "glass").await;
    let (_, manager) = app.user("police_mgr_a", Some("police"), "manager").await;
    let (_, other_manager) = app.user("police_mgr_b", Some("police"), "manager").await;
    let child = child_of(&app, &t["health"], "Glass").await;
    let path = format!("/api/v1/children/{child}/break-glass");
    let body = json!({"lawful_basis": "section_47", "reason": "Joint enquiry"});
    let first = app.post(&path, &manager, body.clone()).await;
    assert_eq!(first.status, 201, "{}", first.text);
    for _ in 0..3 {
        let again = app.post(&path, &manager, body.clone()).await;
        assert_eq!(again.status, 200, "{}", again.text);
        assert_eq!(again.json["id"], first.json["id"]);
    }
    let glasses: i64 = sqlx::query_scalar("SELECT count(*) FROM break_glass")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(glasses, 1);
    let id = first.json["id"].as_str().unwrap();
    let review = format!("/api/v1/break-glass/{id}/review");
    app.post(
        &review,
        &manager,
        json!({"outcome": "justified", "note": "Mine, and fine"}),
    )
    .await
    .assert_problem(403);
    assert_eq!(
        app.get(&format!("/api/v1/children/{child}"), &manager)
            .await
            .status,
        200
    );
    let reviewed = app
        .post(
            &review,
            &other_manager,
            json!({"outcome": "not_justified", "note": "No enquiry was open"}),
        )
        .await;
    assert_eq!(reviewed.status, 201, "{}", reviewed.text);
    // Closed at once, and the involved agency is told.
    app.get(&format!("/api/v1/children/{child}"), &manager)
        .await
        .assert_problem(403);
    let alerts = app.get("/api/v1/me/alerts", &t["health"]).await;
    assert!(
        kinds(&alerts.json).contains(&"break_glass_not_justified".to_string()),
        "{}",
        alerts.text
    );
    // A new glass may be opened after a closed one.
    assert_eq!(app.post(&path, &manager, body).await.status, 201);
}

/// Finding 3: an open alert stream went on delivering after its session ended.
#[sqlx::test]
async fn an_alert_stream_closes_when_its_session_ends(db: PgPool) {
    let app = spawn(db).await;
    let t = agencies(&app, "stream").await;
    let child = child_of(&app, &t["health"], "Stream").await;
    assert_eq!(
        bring_in(&app, &child, &t["health"], "police").await.status,
        201
    );
    let response = app
        .client
        .get(format!("{}/api/v1/me/alerts/stream", app.base))
        .bearer_auth(&t["police"])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(10), body.next())
        .await
        .expect("a first event")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains("brought_in"));
    let out = app
        .post("/api/v1/auth/logout", &t["police"], json!({}))
        .await;
    assert_eq!(out.status, 204);
    // A high concern by health after the logout is never delivered: the stream ends.
    contact(
        &app,
        &child,
        &t["health"],
        json!({"summary": "AFTER-LOGOUT injury", "concern_level": "high"}),
    )
    .await;
    let rest = tokio::time::timeout(Duration::from_secs(15), async {
        let mut seen = String::new();
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(bytes) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                Err(_) => break,
            }
        }
        seen
    })
    .await
    .expect("the stream ends after its session");
    assert!(!rest.contains("AFTER-LOGOUT"), "{rest}");
}

/// Finding 4: no cap on streams, and every alerts computation read every record.
#[sqlx::test]
async fn a_user_holds_a_few_streams_and_alerts_read_only_involved_records(db: PgPool) {
    let app = spawn(db).await;
    let t = agencies(&app, "cap").await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let r = app
            .client
            .get(format!("{}/api/v1/me/alerts/stream", app.base))
            .bearer_auth(&t["legal"])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        held.push(r);
    }
    let fourth = app
        .client
        .get(format!("{}/api/v1/me/alerts/stream", app.base))
        .bearer_auth(&t["legal"])
        .send()
        .await
        .unwrap();
    let fourth = TestApp::reply(Method::GET, fourth).await;
    fourth.assert_problem(429);
    drop(held);
    // Closed streams give their places back.
    let again = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let r = app
                .client
                .get(format!("{}/api/v1/me/alerts/stream", app.base))
                .bearer_auth(&t["legal"])
                .send()
                .await
                .unwrap();
            if r.status() == 200 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
    .await;
    assert!(again.is_ok(), "a closed stream's place is given back");

    // Legal's alerts come from the records legal is involved with only: a high concern on a
    // record it is not involved with raises nothing.
    let elsewhere = child_of(&app, &t["health"], "Elsewhere").await;
    contact(
        &app,
        &elsewhere,
        &t["health"],
        json!({"summary": "High concern", "concern_level": "high"}),
    )
    .await;
    let alerts = app.get("/api/v1/me/alerts", &t["legal"]).await.json;
    assert_eq!(alerts["items"].as_array().unwrap().len(), 0, "{alerts}");
    assert_eq!(
        bring_in(&app, &elsewhere, &t["health"], "legal")
            .await
            .status,
        201
    );
    let alerts = app.get("/api/v1/me/alerts", &t["legal"]).await.json;
    let kinds = kinds(&alerts);
    assert!(
        kinds.contains(&"high_concern_entry".to_string()),
        "{kinds:?}"
    );
}

/// Finding 5: sharing decisions showed other agencies the id of a contact hidden from them, and a
/// refusal's reason.
#[sqlx::test]
async fn sharing_decisions_show_others_nothing_hidden_from_them(db: PgPool) {
    let app = spawn(db).await;
    let t = agencies(&app, "decide").await;
    let facilitator = app.facilitator().await;
    let child = child_of(&app, &t["police"], "Decide").await;
    let base = format!("/api/v1/children/{child}");
    for agency in ["health", "social_care"] {
        assert_eq!(
            bring_in(&app, &child, &t["police"], agency).await.status,
            201
        );
    }
    let hidden_id = restricted(&app, &child, &t["police"], "Informant's account").await;
    let refused = app
        .post(
            &format!("{base}/sharing-refusals"),
            &t["police"],
            json!({"contact_id": hidden_id, "requested_by": "health",
                   "reason": "informant is the neighbour at no. 3"}),
        )
        .await;
    assert_eq!(refused.status, 201, "{}", refused.text);
    let disclosed = app
        .post(
            &format!("{base}/disclosures"),
            &t["health"],
            json!({"contact_id": hidden_id, "lawful_basis": "section_47", "reason": "Joint enquiry"}),
        )
        .await;
    assert_eq!(disclosed.status, 201, "{}", disclosed.text);

    // Shared: social care sees that police refused and health had it disclosed, not why police
    // refused; police read their own reason.
    let shared = app
        .get(&format!("{base}/sharing-decisions"), &t["social_care"])
        .await;
    assert_eq!(shared.json["refusals"].as_array().unwrap().len(), 1);
    assert!(!shared.text.contains("neighbour"), "{}", shared.text);
    let own = app
        .get(&format!("{base}/sharing-decisions"), &t["police"])
        .await;
    assert!(own.text.contains("neighbour at no. 3"));

    // Siloed: social care learns nothing of police's contact, not even its id.
    siloed(&app, &base, &facilitator).await;
    let siloed = app
        .get(&format!("{base}/sharing-decisions"), &t["social_care"])
        .await;
    assert_eq!(siloed.status, 200);
    assert!(!siloed.text.contains(&hidden_id), "{}", siloed.text);
    assert!(!siloed.text.contains("neighbour"));
    // Health sees its own disclosure still, police its refusal, the facilitator everything.
    let health = app
        .get(&format!("{base}/sharing-decisions"), &t["health"])
        .await;
    assert_eq!(health.json["disclosures"].as_array().unwrap().len(), 1);
    let all = app
        .get(&format!("{base}/sharing-decisions"), &facilitator)
        .await;
    assert!(all.text.contains("neighbour at no. 3"));
}

/// Finding 6: an `Idempotency-Key` replay skipped the policy and the audit trail.
#[sqlx::test]
async fn a_replay_passes_the_policy_again_and_is_audited(db: PgPool) {
    let app = spawn(db).await;
    let t = agencies(&app, "replay").await;
    let facilitator = app.facilitator().await;
    let child = child_of(&app, &t["police"], "Replay").await;
    let base = format!("/api/v1/children/{child}");
    assert_eq!(
        bring_in(&app, &child, &t["police"], "health").await.status,
        201
    );
    let hidden = restricted(&app, &child, &t["police"], "REPLAYED-SECRET account").await;
    let body = json!({"contact_id": hidden, "lawful_basis": "section_47",
                      "reason": "Joint enquiry"});
    let path = format!("{base}/disclosures");
    let first = app
        .post_keyed(&path, &t["health"], "disclose-1", body.clone())
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    let again = app
        .post_keyed(&path, &t["health"], "disclose-1", body.clone())
        .await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let events = |outcome: &'static str| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM audit_events WHERE action = 'disclosure.create' AND outcome = $1",
            )
            .bind(outcome)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    assert_eq!(events("allowed").await, 2, "the replay is audited");

    // Once the record is siloed, the same key answers what the request would now: refused.
    siloed(&app, &base, &facilitator).await;
    let refused = app
        .post_keyed(&path, &t["health"], "disclose-1", body)
        .await;
    refused.assert_problem(403);
    assert!(!refused.text.contains("REPLAYED-SECRET"));
    assert_eq!(events("denied").await, 1, "the refused replay is audited");
}

/// Finding 7: a search with no criterion (or `?name=a`) paged through the register.
#[sqlx::test]
async fn a_search_needs_an_identifier_or_a_name_with_a_date_of_birth(db: PgPool) {
    let app = spawn(db).await;
    let t = agencies(&app, "search").await;
    for n in 0..25 {
        child_of(&app, &t["health"], &format!("Register{n:02}")).await;
    }
    let facilitator = app.facilitator().await;
    app.get("/api/v1/children", &t["police"])
        .await
        .assert_problem(422);
    let named = app.get("/api/v1/children?name=a", &t["police"]).await;
    assert_eq!(named.assert_problem(422)["field"], "date_of_birth");
    let dated = app
        .get("/api/v1/children?date_of_birth=2019-02-01", &t["police"])
        .await;
    assert_eq!(dated.assert_problem(422)["field"], "name");
    // A name with the date of birth: one page, capped, no further page.
    let found = app
        .get(
            "/api/v1/children?name=register&date_of_birth=2019-02-01&limit=100",
            &t["police"],
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.text);
    assert_eq!(found.json["items"].as_array().unwrap().len(), 20);
    assert!(found.json["next_cursor"].is_null());
    // What police may not read is shown as existing, and the finding lands in its access log.
    let first = found.json["items"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(found.json["items"][0]["restricted"], true);
    let log = app
        .get(
            &format!("/api/v1/children/{first}/access-log"),
            &facilitator,
        )
        .await;
    assert!(
        log.text.contains("child.search") && log.text.contains("police_search"),
        "{}",
        log.text
    );
    // A facilitator lists the register.
    let listed = app.get("/api/v1/children?limit=100", &facilitator).await;
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 25);
}

/// Finding 8: `POST /me/password` allowed unlimited guesses of the current password.
#[sqlx::test]
async fn wrong_current_passwords_count_and_end_the_session(db: PgPool) {
    let app = spawn(db).await;
    let (_, token) = app
        .user("guessed_user", Some("police"), "practitioner")
        .await;
    let guess = |n: usize| {
        json!({"current_password": format!("wrong-guess-{n}"),
               "new_password": "a-new-and-longer-passphrase"})
    };
    for n in 0..4 {
        let r = app.post("/api/v1/me/password", &token, guess(n)).await;
        assert_eq!(r.assert_problem(422)["field"], "current_password");
    }
    let fifth = app.post("/api/v1/me/password", &token, guess(5)).await;
    fifth.assert_problem(401);
    app.get("/api/v1/me", &token).await.assert_problem(401);
    let counted: i32 = sqlx::query_scalar(
        "SELECT failures FROM login_failures WHERE username_key = 'guessed_user'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(counted, 5, "the guesses count toward the name's lockout");
}

/// Finding 9 (low): refused reads filled a child's access log.
#[sqlx::test]
async fn refused_reads_cannot_fill_a_childs_access_log(db: PgPool) {
    let app = spawn(db).await;
    let t = agencies(&app, "fill").await;
    let facilitator = app.facilitator().await;
    let child = child_of(&app, &t["health"], "Fill").await;
    for _ in 0..40 {
        app.get(&format!("/api/v1/children/{child}/chronology"), &t["legal"])
            .await
            .assert_problem(403);
    }
    let log = app
        .get(
            &format!("/api/v1/children/{child}/access-log?limit=500"),
            &facilitator,
        )
        .await;
    let refused = log.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["outcome"] == "denied")
        .count();
    assert!(refused <= 11, "{refused} refusals in the record's log");
    assert!(
        refused >= 10,
        "the first refusals are still logged: {refused}"
    );
    // Every refusal is still in the trail.
    let trail: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'chronology.read' AND outcome = 'denied'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(trail, 40);
}

/// Finding 9 (low): the documented limit on `scenario_yaml` was never enforced.
#[sqlx::test]
async fn a_scenario_over_its_documented_length_is_refused_by_name(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let mut yaml = mash::scenario::bundled("child-q-joined-up")
        .unwrap()
        .to_string();
    yaml.push_str("\n# ");
    while yaml.chars().count() <= mash::exercises::setup::MAX_SCENARIO_CHARS {
        yaml.push('x');
    }
    let r = app
        .post(
            "/api/v1/exercises",
            &facilitator,
            json!({"name": "Too long", "scenario_yaml": yaml, "teams": 1}),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "scenario_yaml");
}

/// Finding 9 (low): CSV cells ran as formulas where `;` separates; the SVG had no content policy.
/// (Swagger UI's validator: `contract::the_docs_page_is_served_from_the_binary`; the CLI's files:
/// `exercises::cli::private_files`.)
#[sqlx::test]
async fn exports_and_pages_carry_nothing_that_runs(db: PgPool) {
    let app = spawn(db).await;
    let t = agencies(&app, "export").await;
    let child = child_of(&app, &t["health"], "Export").await;
    contact(
        &app,
        &child,
        &t["health"],
        json!({"summary": "seen;=HYPERLINK(\"http://x\")"}),
    )
    .await;
    let csv = app
        .get(
            &format!("/api/v1/children/{child}/chronology.csv"),
            &t["health"],
        )
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.text.contains("seen;'=HYPERLINK"), "{}", csv.text);
    assert!(!csv.text.contains(";=HYPERLINK"));
    let svg = app
        .get(
            &format!("/api/v1/children/{child}/timeline.svg"),
            &t["health"],
        )
        .await;
    assert_eq!(svg.status, 200);
    let policy = svg.header("content-security-policy").unwrap_or_default();
    assert!(policy.contains("default-src 'none'"), "{policy:?}");
}
