//! Regressions for what a security probe found: each test names the finding it closes.

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn};

fn contract() -> Value {
    yaml_serde::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap(),
    )
    .unwrap()
}

fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    let mut node = node;
    while let Some(reference) = node["$ref"].as_str().and_then(|r| r.strip_prefix("#/")) {
        node = reference.split('/').fold(doc, |n, part| &n[part]);
    }
    node
}

/// Every property of a request schema that holds a date or a time, as a path of names.
fn dated_fields(
    doc: &Value,
    schema: &Value,
    prefix: &[String],
    found: &mut Vec<(Vec<String>, String)>,
) {
    let schema = resolve(doc, schema);
    if let Some(format) = schema["format"]
        .as_str()
        .filter(|f| *f == "date" || *f == "date-time")
    {
        found.push((prefix.to_vec(), format.to_string()));
        return;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        for alternative in schema[key].as_array().into_iter().flatten() {
            dated_fields(doc, alternative, prefix, found);
        }
    }
    for (name, property) in schema["properties"].as_object().into_iter().flatten() {
        let mut path = prefix.to_vec();
        path.push(name.clone());
        dated_fields(doc, property, &path, found);
    }
}

fn nested(path: &[String], value: Value) -> Value {
    path.iter()
        .rev()
        .fold(value, |inner, name| json!({ name: inner }))
}

fn bad_values(format: &str) -> [&'static str; 3] {
    if format == "date" {
        ["+10000-01-01", "-0100-01-01", "-200000-01-01"]
    } else {
        [
            "+10000-01-01T00:00:00Z",
            "-0100-01-01T00:00:00Z",
            "0000-06-01T00:00:00Z",
        ]
    }
}

/// Finding 1: every date and time a client can send, in a body or a query, is refused with a 422
/// naming it when its year is outside 0001–9999. The fields are read off the contract, so a new
/// one is covered as soon as it is published.
#[sqlx::test]
async fn out_of_range_dates_anywhere_in_a_request_are_422_naming_the_field(db: PgPool) {
    let app = spawn(db).await;
    let token = app.facilitator().await;
    let doc = contract();
    let mut checked = 0;
    for (path, operations) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .split('/')
            .map(|part| {
                if part.starts_with('{') {
                    uuid::Uuid::new_v4().to_string()
                } else {
                    part.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, operation) in operations.as_object().unwrap() {
            let method: Method = method.to_uppercase().parse().unwrap();
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let parameter = resolve(&doc, parameter);
                let mut found = Vec::new();
                dated_fields(&doc, &parameter["schema"], &[], &mut found);
                if parameter["in"] != "query" || found.is_empty() {
                    continue;
                }
                let name = parameter["name"].as_str().unwrap();
                for bad in bad_values(&found[0].1) {
                    let url = format!("{concrete}?{name}={}", bad.replace('+', "%2B"));
                    let r = app.request(method.clone(), &url, Some(&token), None).await;
                    let problem = r.assert_problem(422);
                    assert_eq!(problem["field"], name, "{method} {url}: {}", r.text);
                    checked += 1;
                }
            }
            let body = &operation["requestBody"]["content"]["application/json"]["schema"];
            let mut found = Vec::new();
            dated_fields(&doc, body, &[], &mut found);
            for (field, format) in found {
                for bad in bad_values(&format) {
                    let r = app
                        .request(
                            method.clone(),
                            &concrete,
                            Some(&token),
                            Some(nested(&field, json!(bad))),
                        )
                        .await;
                    let problem = r.assert_problem(422);
                    assert_eq!(
                        problem["field"],
                        field.join("."),
                        "{method} {path} {bad}: {}",
                        r.text
                    );
                    checked += 1;
                }
            }
        }
    }
    // as_of ×3 views, from/to ×2 lists, date_of_birth ×2, since, occurred_at ×4, effective_at.
    assert!(
        checked >= 3 * 14,
        "only {checked} dated fields were found in the contract"
    );
}

async fn child(app: &TestApp, token: &str) -> String {
    let r = app
        .post(
            "/api/v1/children",
            token,
            json!({"given_name": "Dee", "family_name": "Tee", "date_of_birth": "2006-03-01"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

/// Finding 1: the domain's own bounds on scenario times — not before the child's birth, not more
/// than a day ahead — hold for people, checks, amendments and status changes as for contacts.
#[sqlx::test]
async fn scenario_times_before_birth_or_beyond_tomorrow_are_refused_everywhere(db: PgPool) {
    let app = spawn(db).await;
    let (_, police) = app.user("pc_dates", Some("police"), "practitioner").await;
    let id = child(&app, &police).await;
    let before_birth = "2006-02-28T12:00:00Z";
    let next_week = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    let person = app
        .post(
            &format!("/api/v1/children/{id}/people"),
            &police,
            json!({"name": "M", "relationship": "mother", "lives_in_household": true, "identity_verified": true,
                   "occurred_at": "2006-04-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(person.status, 201, "{}", person.text);
    let pid = person.json["id"].as_str().unwrap();
    let contact = app
        .post(
            &format!("/api/v1/children/{id}/contacts"),
            &police,
            json!({"occurred_at": "2006-04-01T00:00:00Z", "kind": "phone_call", "summary": "s"}),
        )
        .await;
    let cid = contact.json["id"].as_str().unwrap();
    for at in [before_birth, next_week.as_str()] {
        let attempts = [
            (
                format!("/api/v1/children/{id}/people"),
                json!({"name": "X", "relationship": "visitor", "lives_in_household": false, "identity_verified": false, "occurred_at": at}),
                "occurred_at",
            ),
            (
                format!("/api/v1/children/{id}/people/{pid}/checks"),
                json!({"outcome": "no_trace", "summary": "s", "occurred_at": at}),
                "occurred_at",
            ),
            (
                format!("/api/v1/children/{id}/contacts/{cid}/amendments"),
                json!({"reason": "r", "changes": {"summary": "t"}, "occurred_at": at}),
                "occurred_at",
            ),
            (
                format!("/api/v1/children/{id}/contacts/{cid}/amendments"),
                json!({"reason": "r", "changes": {"occurred_at": at}}),
                "changes.occurred_at",
            ),
            (
                format!("/api/v1/children/{id}/contacts"),
                json!({"occurred_at": at, "kind": "phone_call", "summary": "s"}),
                "occurred_at",
            ),
        ];
        for (path, body, field) in attempts {
            let r = app.post(&path, &police, body).await;
            assert_eq!(
                r.assert_problem(422)["field"],
                field,
                "{path} at {at}: {}",
                r.text
            );
        }
        let r = app
            .client
            .patch(format!("{}/api/v1/children/{id}", app.base))
            .bearer_auth(&police)
            .header("If-Match", "*")
            .json(&json!({"status": "child_in_need", "effective_at": at}))
            .send()
            .await
            .unwrap();
        let r = TestApp::reply(Method::PATCH, r).await;
        assert_eq!(r.assert_problem(422)["field"], "effective_at", "{}", r.text);
    }
    let r = app
        .post(
            &format!("/api/v1/children/{id}/people"),
            &police,
            json!({"name": "X", "relationship": "visitor", "lives_in_household": true, "identity_verified": false,
                   "since": (chrono::Utc::now() + chrono::Duration::days(30)).date_naive()}),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "since", "{}", r.text);
}

/// Finding 1: values that were stored before the edge refused them (years -100 and 10000) do not
/// stop the combined views from being read: they are read typed, never through text.
#[sqlx::test]
async fn stored_dates_outside_the_usual_years_never_break_a_combined_view(db: PgPool) {
    let app = spawn(db).await;
    let (uid, police) = app.user("pc_legacy", Some("police"), "practitioner").await;
    let facilitator = app.facilitator().await;
    let id = child(&app, &police).await;
    let contact = app
        .post(
            &format!("/api/v1/children/{id}/contacts"),
            &police,
            json!({"occurred_at": "2006-04-01T00:00:00Z", "kind": "phone_call", "summary": "s"}),
        )
        .await;
    let cid = contact.json["id"].as_str().unwrap();
    let (id, uid, cid): (uuid::Uuid, uuid::Uuid, uuid::Uuid) = (
        id.parse().unwrap(),
        uid.parse().unwrap(),
        cid.parse().unwrap(),
    );
    let person = uuid::Uuid::new_v4();
    for statement in [
        "INSERT INTO people (id, child_id, name, relationship, lives_in_household, since, identity_verified, agency,
                             recorded_by, occurred_at)
         VALUES ($4, $1, 'Old', 'lodger', true, '0100-01-01 BC', false, 'police', $2, '0100-01-01 00:00Z BC')",
        "INSERT INTO people (id, child_id, name, relationship, lives_in_household, since, identity_verified, agency,
                             recorded_by, occurred_at)
         VALUES (gen_random_uuid(), $1, 'Far', 'lodger', true, '10000-01-01', false, 'police', $2, '2006-05-01Z')",
        "INSERT INTO person_checks (id, person_id, child_id, outcome, summary, agency, recorded_by, occurred_at)
         VALUES (gen_random_uuid(), $4, $1, 'no_trace', 's', 'police', $2, '0100-01-01 00:00Z BC')",
        "INSERT INTO contact_amendments (id, contact_id, child_id, agency, author_id, reason, changes, occurred_at)
         VALUES (gen_random_uuid(), $3, $1, 'police', $2, 'r', '{\"summary\": \"t\"}', '0100-01-01 00:00Z BC')",
        "INSERT INTO child_status_changes (id, child_id, status, effective_at, changed_by)
         VALUES (gen_random_uuid(), $1, 'child_in_need', '0100-01-01 00:00Z BC', $2)",
    ] {
        sqlx::query(statement)
            .bind(id)
            .bind(uid)
            .bind(cid)
            .bind(person)
            .execute(&app.db)
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }
    for view in ["chronology", "concerns", "gap-report"] {
        for token in [&facilitator, &police] {
            let r = app
                .get(&format!("/api/v1/children/{id}/{view}"), token)
                .await;
            assert_eq!(r.status, 200, "{view}: {}", r.text);
        }
    }
    let r = app
        .get(&format!("/api/v1/children/{id}/people"), &police)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

async fn put_mode(app: &TestApp, facilitator: &str, id: &str, mode: &str) {
    let r = app
        .client
        .put(format!("{}/api/v1/children/{id}/sharing-mode", app.base))
        .bearer_auth(facilitator)
        .json(&json!({ "mode": mode }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Finding 2: the access log follows the same sight rules as the data. In a siloed record an
/// agency sees no access to another agency's entries; of a restricted entry it sees only a stub
/// of, it sees that it was accessed and by which agency, not by whom.
#[sqlx::test]
async fn the_access_log_shows_only_what_the_reader_may_see_of_each_entry(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let (_, police) = app.user("pc_log", Some("police"), "practitioner").await;
    let (_, health) = app.user("dr_log", Some("health"), "practitioner").await;
    let id = child(&app, &police).await;
    let mut police_entries = Vec::new();
    for visibility in ["shared", "restricted"] {
        let r = app
            .post(
                &format!("/api/v1/children/{id}/contacts"),
                &police,
                json!({"occurred_at": "2006-04-01T00:00:00Z", "kind": "police_interview", "summary": "s",
                       "visibility": visibility}),
            )
            .await;
        let cid = r.json["id"].as_str().unwrap().to_string();
        app.get(&format!("/api/v1/children/{id}/contacts/{cid}"), &police)
            .await;
        police_entries.push(cid);
    }
    let person = app
        .post(
            &format!("/api/v1/children/{id}/people"),
            &police,
            json!({"name": "P", "relationship": "lodger", "lives_in_household": true, "identity_verified": false,
                   "occurred_at": "2006-04-02T00:00:00Z"}),
        )
        .await;
    police_entries.push(person.json["id"].as_str().unwrap().to_string());
    let own = app
        .post(
            &format!("/api/v1/children/{id}/contacts"),
            &health,
            json!({"occurred_at": "2006-04-03T00:00:00Z", "kind": "gp_appointment", "summary": "s"}),
        )
        .await;
    let own = own.json["id"].as_str().unwrap().to_string();
    let log = |token: String| {
        let app = &app;
        let id = id.clone();
        async move {
            let r = app
                .get(
                    &format!("/api/v1/children/{id}/access-log?limit=500"),
                    &token,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.json["items"].as_array().unwrap().clone()
        }
    };
    let about = |items: &[Value], resource: &str| -> Vec<Value> {
        items
            .iter()
            .filter(|e| e["resource_id"] == resource)
            .cloned()
            .collect()
    };

    // Shared: the restricted contact's accesses appear, without who made them.
    let items = log(health.clone()).await;
    let shared = about(&items, &police_entries[0]);
    assert_eq!(shared.len(), 2, "{items:?}");
    assert!(shared.iter().all(|e| e["username"] == "pc_log"));
    let restricted = about(&items, &police_entries[1]);
    assert_eq!(restricted.len(), 2, "{items:?}");
    for e in &restricted {
        assert_eq!(e["agency"], "police");
        for hidden in ["user_id", "username", "display_name", "role"] {
            assert!(e[hidden].is_null(), "{hidden} shown: {e}");
        }
    }

    // Siloed: nothing of police's entries, though the health entry and record-wide reads remain.
    put_mode(&app, &facilitator, &id, "siloed").await;
    app.get(&format!("/api/v1/children/{id}/chronology"), &police)
        .await;
    let items = log(health.clone()).await;
    for entry in &police_entries {
        assert!(
            about(&items, entry).is_empty(),
            "health sees accesses to police's {entry}: {items:?}"
        );
    }
    assert_eq!(about(&items, &own).len(), 1);
    assert!(
        items
            .iter()
            .any(|e| e["action"] == "chronology.read" && e["agency"] == "police")
    );
    // Pages stay full and in order when hidden accesses are skipped.
    let mut cursor: Option<String> = None;
    let mut paged = Vec::new();
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/children/{id}/access-log?limit=2&cursor={c}"),
            None => format!("/api/v1/children/{id}/access-log?limit=2"),
        };
        let r = app.get(&url, &health).await;
        let page = r.json["items"].as_array().unwrap().clone();
        cursor = r.json["next_cursor"].as_str().map(str::to_string);
        if cursor.is_some() {
            assert_eq!(page.len(), 2);
        }
        paged.extend(page);
        if cursor.is_none() {
            break;
        }
    }
    // Reading the log is itself an access: compare the rest.
    let others = |items: Vec<Value>| -> Vec<Value> {
        items
            .into_iter()
            .filter(|e| e["action"] != "access_log.read")
            .collect()
    };
    assert_eq!(others(paged), others(log(health.clone()).await));
    // The police and the facilitator still see every access.
    for token in [police, facilitator] {
        let items = log(token).await;
        for entry in &police_entries {
            assert!(!about(&items, entry).is_empty());
        }
    }
}

/// Finding 9: a stub shows the contact as it stands after its agency's amendments, and no cursor
/// carries what the reader may not see (a restricted contact's recording time) or can be forged.
#[sqlx::test]
async fn stubs_follow_amendments_and_cursors_are_sealed(db: PgPool) {
    let app = spawn(db).await;
    let (_, police) = app.user("pc_stub", Some("police"), "practitioner").await;
    let (_, health) = app.user("dr_stub", Some("health"), "practitioner").await;
    let id = child(&app, &police).await;
    let r = app
        .post(
            &format!("/api/v1/children/{id}/contacts"),
            &police,
            json!({"occurred_at": "2006-04-01T00:00:00Z", "kind": "phone_call", "summary": "s",
                   "visibility": "restricted"}),
        )
        .await;
    let cid = r.json["id"].as_str().unwrap().to_string();
    let recorded_at = r.json["recorded_at"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/api/v1/children/{id}/contacts/{cid}/amendments"),
            &police,
            json!({"reason": "it was an arrest", "changes": {"kind": "arrest"}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let one = app
        .get(&format!("/api/v1/children/{id}/contacts/{cid}"), &health)
        .await;
    assert_eq!(
        (one.json["restricted"].clone(), one.json["kind"].clone()),
        (json!(true), json!("arrest"))
    );
    let list = app
        .get(&format!("/api/v1/children/{id}/contacts"), &health)
        .await;
    assert_eq!(list.json["items"][0]["kind"], "arrest", "{}", list.text);
    for _ in 0..2 {
        app.post(
            &format!("/api/v1/children/{id}/contacts"),
            &health,
            json!({"occurred_at": "2006-05-01T00:00:00Z", "kind": "gp_appointment", "summary": "s"}),
        )
        .await;
    }
    let page = app
        .get(
            &format!("/api/v1/children/{id}/chronology?limit=1"),
            &health,
        )
        .await;
    assert_eq!(page.json["items"][0]["kind"], "arrest", "{}", page.text);
    assert_eq!(page.json["items"][0]["restricted"], true);
    let cursor = page.json["next_cursor"].as_str().unwrap();
    let opened =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, cursor).unwrap();
    let opened = String::from_utf8_lossy(&opened);
    assert!(
        !opened.contains(&recorded_at[..19]) && !opened.contains(&cid),
        "cursor shows {opened}"
    );
    let next = app
        .get(
            &format!("/api/v1/children/{id}/chronology?limit=1&cursor={cursor}"),
            &health,
        )
        .await;
    assert_eq!(
        next.json["items"][0]["kind"], "gp_appointment",
        "{}",
        next.text
    );
    // A cursor made by hand from what a reader knows is refused.
    let forged = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        format!("2006-04-01T00:00:00+00:00|{recorded_at}|{cid}"),
    );
    let r = app
        .get(
            &format!("/api/v1/children/{id}/chronology?cursor={forged}"),
            &health,
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "cursor");
}
