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

/// Posts `body` to `path`, expects it created, and answers its id.
async fn created(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let r = app.post(path, token, body).await;
    assert_eq!(r.status, 201, "{path}: {}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

async fn child(app: &TestApp, token: &str) -> String {
    created(
        app,
        token,
        "/api/v1/children",
        json!({"given_name": "Dee", "family_name": "Tee", "date_of_birth": "2006-03-01"}),
    )
    .await
}

/// A phone call on 2006-04-01 logged by `token`'s agency, with `extra` fields; its id.
async fn contact(app: &TestApp, token: &str, child: &str, extra: Value) -> String {
    let mut body =
        json!({"occurred_at": "2006-04-01T00:00:00Z", "kind": "phone_call", "summary": "s"});
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    created(
        app,
        token,
        &format!("/api/v1/children/{child}/contacts"),
        body,
    )
    .await
}

/// A person living in the household, recorded by `token`'s agency; their id.
async fn person(app: &TestApp, token: &str, child: &str) -> String {
    created(
        app,
        token,
        &format!("/api/v1/children/{child}/people"),
        json!({"name": "P", "relationship": "lodger", "lives_in_household": true, "identity_verified": false,
               "occurred_at": "2006-04-02T00:00:00Z"}),
    )
    .await
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
    let pid = person(&app, &police, &id).await;
    let cid = contact(&app, &police, &id, json!({})).await;
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
    let cid = contact(&app, &police, &id, json!({})).await;
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
    app.involve_all(&id, &police).await;
    let mut police_entries = Vec::new();
    for visibility in ["shared", "restricted"] {
        let cid = contact(&app, &police, &id, json!({ "visibility": visibility })).await;
        app.get(&format!("/api/v1/children/{id}/contacts/{cid}"), &police)
            .await;
        police_entries.push(cid);
    }
    police_entries.push(person(&app, &police, &id).await);
    let own = contact(&app, &health, &id, json!({"kind": "gp_appointment"})).await;
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
    app.break_glass(&id, &health).await;
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
        contact(
            &app,
            &health,
            &id,
            json!({"occurred_at": "2006-05-01T00:00:00Z", "kind": "gp_appointment"}),
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

fn user_path(id: &str) -> String {
    format!("/api/v1/users/{id}")
}

/// Finding 3: ten failures lock a name only for the address that made them; the owner logs in from
/// elsewhere. Every spelling of a name counts under one key, so a look-alike name neither has a
/// count of its own that logs in nor escapes the lock. Over-long names and passwords are counted
/// and audited like any failure; a facilitator can unlock a name; one address trying many names is
/// refused.
#[sqlx::test]
async fn a_lockout_holds_the_guesser_not_the_owner_and_no_spelling_escapes_it(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let (id, _) = app
        .user("lock3_victim", Some("police"), "practitioner")
        .await;
    let right = "lock3_victim-password-123";
    for i in 0..10 {
        let r = app
            .login_from("127.0.0.2", "LOCK3_victim", &format!("wrong-password-{i}"))
            .await;
        r.assert_problem(401);
    }
    let locked = app.login_from("127.0.0.2", "lock3_victim", right).await;
    locked.assert_problem(429);
    assert!(locked.header("retry-after").is_some());
    // A dotted capital I is another name: it cannot log in, locked or not.
    app.login_from("127.0.0.2", "lock3_vİctim", right)
        .await
        .assert_problem(401);
    app.login_from("127.0.0.3", "lock3_vİctim", right)
        .await
        .assert_problem(401);
    // The owner, from their own machine, is not locked out.
    let owner = app.login_from("127.0.0.1", "lock3_victim", right).await;
    assert_eq!(owner.status, 200, "{}", owner.text);

    // Over-long names and passwords are failures like any other: counted and audited.
    let long_name = "n".repeat(300);
    app.login_from("127.0.0.4", &long_name, right)
        .await
        .assert_problem(401);
    app.login_from("127.0.0.4", "lock3_victim", &"p".repeat(300))
        .await
        .assert_problem(401);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed' AND lower(username) IN ($1, 'lock3_victim')",
    )
    .bind(&long_name[..64])
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(audited >= 12, "{audited}");
    let counted: i32 = sqlx::query_scalar(
        "SELECT failures FROM login_failures_by_client WHERE username_key = $1 AND client = '127.0.0.4'",
    )
    .bind(&long_name[..65])
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(counted, 1);

    // A facilitator unlocks the name, for every address.
    for i in 0..10 {
        app.login_from("127.0.0.2", "lock3_victim", &format!("wrong-password-{i}"))
            .await;
    }
    app.login_from("127.0.0.2", "lock3_victim", right)
        .await
        .assert_problem(429);
    let r = app
        .request(
            Method::POST,
            &format!("{}/unlock", user_path(&id)),
            Some(&facilitator),
            None,
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    assert_eq!(
        app.login_from("127.0.0.2", "lock3_victim", right)
            .await
            .status,
        200
    );

    // One address trying a hundred names is refused long before the hundredth: it gets the burst,
    // then one more failure a second (however long the attempts take on a busy machine).
    let mut statuses = Vec::new();
    let started = std::time::Instant::now();
    for i in 0..100 {
        statuses.push(
            app.login_from("127.0.0.5", &format!("spray_{i}"), "Spring-2026-pass")
                .await
                .status
                .as_u16(),
        );
    }
    let seconds = started.elapsed().as_secs_f64().ceil() as u64;
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(statuses[..40].iter().all(|s| *s == 401), "{statuses:?}");
    let failed = statuses.iter().filter(|s| **s == 401).count() as u64;
    // A failure is counted once its answer is ready, so a few may pass while the last are counted.
    let allowed = u64::from(mash::throttle::BURST) + seconds + 3;
    assert!(
        failed <= allowed,
        "{failed} failures in {seconds} s, more than {allowed}: {statuses:?}"
    );
    assert!(
        refused > 0 || allowed >= 100,
        "none refused in {seconds} s: {statuses:?}"
    );
    // Another address is unaffected.
    app.login_from("127.0.0.6", "spray_x", "Spring-2026-pass")
        .await
        .assert_problem(401);
}

async fn login_pair(app: &TestApp, username: &str, password: &str) -> (String, String) {
    let r = app.login_reply(username, password).await;
    assert_eq!(r.status, 200, "{}", r.text);
    (
        r.json["access_token"].as_str().unwrap().to_string(),
        r.json["refresh_token"].as_str().unwrap().to_string(),
    )
}

async fn refresh(app: &TestApp, refresh_token: &str) -> crate::helpers::Reply {
    app.request(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": refresh_token })),
    )
    .await
}

/// Finding 4: tokens end with their session. Logout, a password change (by the user or a
/// facilitator), a role change and disabling end them at once and re-enabling does not revive
/// them; refresh tokens rotate, and one used twice ends its session; a replayed idempotent write
/// needs a token that still works.
#[sqlx::test]
async fn tokens_stop_when_their_session_ends(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let (id, _) = app.user("pc_tokens", Some("police"), "practitioner").await;
    let password = "pc_tokens-password-123";

    // Refresh rotates; the old refresh token presented again ends the whole session.
    let (access, first) = login_pair(&app, "pc_tokens", password).await;
    let renewed = refresh(&app, &first).await;
    assert_eq!(renewed.status, 200, "{}", renewed.text);
    let (access2, second) = (
        renewed.json["access_token"].as_str().unwrap().to_string(),
        renewed.json["refresh_token"].as_str().unwrap().to_string(),
    );
    assert_ne!(first, second);
    assert_eq!(app.get("/api/v1/me", &access2).await.status, 200);
    refresh(&app, &first).await.assert_problem(401);
    for token in [&access, &access2] {
        app.get("/api/v1/me", token).await.assert_problem(401);
    }
    refresh(&app, &second).await.assert_problem(401);

    // Logout ends this session only.
    let (other_access, _) = login_pair(&app, "pc_tokens", password).await;
    let (access, refresh_token) = login_pair(&app, "pc_tokens", password).await;
    let r = app
        .request(Method::POST, "/api/v1/auth/logout", Some(&access), None)
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.get("/api/v1/me", &access).await.assert_problem(401);
    refresh(&app, &refresh_token).await.assert_problem(401);
    assert_eq!(app.get("/api/v1/me", &other_access).await.status, 200);

    // Changing one's own password needs the current one, and ends every session.
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let r = app
        .post(
            "/api/v1/me/password",
            &other_access,
            change("not-it-at-all", "a-much-better-passphrase"),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "current_password");
    let r = app
        .post(
            "/api/v1/me/password",
            &other_access,
            change(password, "pc_tokens"),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "new_password");
    let r = app
        .post(
            "/api/v1/me/password",
            &other_access,
            change(password, "a-much-better-passphrase"),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.text);
    app.get("/api/v1/me", &other_access)
        .await
        .assert_problem(401);
    app.login_reply("pc_tokens", password)
        .await
        .assert_problem(401);
    let password = "a-much-better-passphrase";

    // A facilitator's password change, a role change and disabling each end every session.
    let mut current = password;
    for (change, then) in [
        (
            json!({"password": "yet-another-long-passphrase"}),
            "yet-another-long-passphrase",
        ),
        (
            json!({"role": "manager", "agency": "police"}),
            "yet-another-long-passphrase",
        ),
        (json!({"disabled": true}), "yet-another-long-passphrase"),
    ] {
        let (access, refresh_token) = login_pair(&app, "pc_tokens", current).await;
        let r = app
            .request(
                Method::PATCH,
                &user_path(&id),
                Some(&facilitator),
                Some(change.clone()),
            )
            .await;
        assert_eq!(r.status, 200, "{change}: {}", r.text);
        app.get("/api/v1/me", &access).await.assert_problem(401);
        refresh(&app, &refresh_token).await.assert_problem(401);
        current = then;
    }
    // Re-enabling revives nothing.
    let r = app
        .request(
            Method::PATCH,
            &user_path(&id),
            Some(&facilitator),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(r.status, 200);
    let (access, _) = login_pair(&app, "pc_tokens", "yet-another-long-passphrase").await;

    // An idempotent replay checks the token in full first.
    let child = child(&app, &access).await;
    let send = |token: String| {
        let app = &app;
        let child = child.clone();
        async move {
            let r = app
                .client
                .post(format!("{}/api/v1/children/{child}/contacts", app.base))
                .bearer_auth(token)
                .header("Idempotency-Key", "replay-after-disable")
                .json(&json!({"occurred_at": "2006-04-01T00:00:00Z", "kind": "phone_call", "summary": "s"}))
                .send()
                .await
                .unwrap();
            TestApp::reply(Method::POST, r).await
        }
    };
    assert_eq!(send(access.clone()).await.status, 201);
    assert_eq!(
        send(access.clone()).await.header("idempotent-replayed"),
        Some("true")
    );
    app.request(
        Method::PATCH,
        &user_path(&id),
        Some(&facilitator),
        Some(json!({"disabled": true})),
    )
    .await;
    let replay = send(access.clone()).await;
    replay.assert_problem(401);
    assert!(replay.header("idempotent-replayed").is_none());
    let denied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'contact.create' AND outcome = 'denied'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(denied, 1);
}

/// Finding 4: a token whose `iat` or `nbf` is in the future, or whose lifetime is longer than the
/// service issues, is refused even when signed with the right key and naming a live session.
#[sqlx::test]
async fn forged_token_times_are_refused(db: PgPool) {
    use base64::Engine;
    let app = spawn(db).await;
    let token = app.facilitator().await;
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    for field in ["sid", "nbf", "iat", "exp"] {
        assert!(
            !claims[field].is_null(),
            "the token has no {field}: {claims}"
        );
    }
    let now = chrono::Utc::now().timestamp();
    let sign = |changes: Value| {
        let mut c = claims.clone();
        for (k, v) in changes.as_object().unwrap() {
            c[k] = v.clone();
        }
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &c,
            &jsonwebtoken::EncodingKey::from_secret(crate::helpers::JWT_SECRET.as_bytes()),
        )
        .unwrap()
    };
    assert_eq!(app.get("/api/v1/me", &sign(json!({}))).await.status, 200);
    for changes in [
        json!({"iat": now + 3600, "exp": now + 4000}),
        json!({"nbf": now + 3600}),
        json!({"exp": now + 30 * 24 * 3600}),
        json!({"sid": uuid::Uuid::new_v4()}),
    ] {
        app.get("/api/v1/me", &sign(changes.clone()))
            .await
            .assert_problem(401);
    }
}

/// Finding 5: no response may be cached; none may be sniffed into another type; pages carry a
/// policy that forbids framing them and loading anything from elsewhere.
#[sqlx::test]
async fn responses_carry_security_headers(db: PgPool) {
    let app = spawn(db).await;
    let login = app
        .login_reply(crate::helpers::FACILITATOR.0, crate::helpers::FACILITATOR.1)
        .await;
    let token = login.json["access_token"].as_str().unwrap().to_string();
    let me = app.get("/api/v1/me", &token).await;
    let missing = app.get("/api/v1/nothing-here", &token).await;
    for r in [&login, &me, &missing] {
        assert_eq!(r.header("cache-control"), Some("no-store"));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    let page = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
        "{csp}"
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
}

/// Finding 7: a password is refused when it is common, a repeat, a keyboard run or the username,
/// when a facilitator sets it and when a user changes their own.
#[sqlx::test]
async fn weak_passwords_are_refused(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    for weak in [
        "passwordpassword",
        "aaaaaaaaaaaa",
        "weak_pw_user",
        "Password1234!",
        "1q2w3e4r5t6y",
    ] {
        let r = app
            .post(
                "/api/v1/users",
                &facilitator,
                json!({"username": "weak_pw_user", "password": weak, "display_name": "W", "agency": "health",
                       "role": "practitioner"}),
            )
            .await;
        assert_eq!(
            r.assert_problem(422)["field"],
            "password",
            "{weak}: {}",
            r.text
        );
    }
    let (id, token) = app
        .user("weak_pw_user", Some("health"), "practitioner")
        .await;
    let r = app
        .request(
            Method::PATCH,
            &user_path(&id),
            Some(&facilitator),
            Some(json!({"password": "aaaaaaaaaaaa"})),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "password");
    let r = app
        .post(
            "/api/v1/me/password",
            &token,
            json!({"current_password": "weak_pw_user-password-123", "new_password": "passwordpassword"}),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "new_password");
}

/// Finding 8: a client sending garbage tokens is refused after a burst, without an audit event for
/// each refusal, and the attempts land in a child's access log only when they named a real child.
#[sqlx::test]
async fn anonymous_noise_is_limited_and_stays_out_of_access_logs(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let real = child(&app, &facilitator).await;
    let made_up = uuid::Uuid::new_v4().to_string();
    let noisy = TestApp::client_from("127.0.0.7");
    let mut statuses = Vec::new();
    for i in 0..120 {
        let target = if i % 2 == 0 { &real } else { &made_up };
        let r = noisy
            .get(format!("{}/api/v1/children/{target}/chronology", app.base))
            .bearer_auth("garbage.token.here")
            .send()
            .await
            .unwrap();
        statuses.push(TestApp::reply(Method::GET, r).await.status.as_u16());
    }
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert!(statuses[..40].iter().all(|s| *s == 401), "{statuses:?}");
    assert!(refused >= 60, "{refused} of 120 refused");
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'chronology.read' AND user_id IS NULL",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        events as usize,
        120 - refused,
        "one event per request answered 401, none per 429"
    );
    let (in_real, in_made_up): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE child_id = $1), count(*) FILTER (WHERE child_id = $2)
         FROM audit_events WHERE user_id IS NULL",
    )
    .bind(real.parse::<uuid::Uuid>().unwrap())
    .bind(made_up.parse::<uuid::Uuid>().unwrap())
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(in_real > 0);
    assert_eq!(in_made_up, 0);
    // A user with a working token from the same address goes on.
    let r = noisy
        .get(format!("{}/api/v1/children/{real}/chronology", app.base))
        .bearer_auth(&facilitator)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Finding 6: what a client sends cannot forge a log line or reach a terminal as an escape code,
/// and query strings (what someone searched for) are not logged.
#[sqlx::test]
async fn client_text_is_escaped_in_the_log_and_queries_are_not_logged(
    _: sqlx::postgres::PgPoolOptions,
    connect: sqlx::postgres::PgConnectOptions,
) {
    let mut url = reqwest::Url::parse(&std::env::var("DATABASE_URL").unwrap()).unwrap();
    url.set_path(connect.get_database().unwrap());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let log_path = std::env::temp_dir().join(format!("mash-log-{}.txt", uuid::Uuid::new_v4()));
    let log = std::fs::File::create(&log_path).unwrap();
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let service = std::process::Command::new(env!("CARGO_BIN_EXE_mash"))
        .arg("serve")
        .env("DATABASE_URL", url.as_str())
        .env("MASH_LISTEN", format!("127.0.0.1:{port}"))
        .env("MASH_JWT_SECRET", crate::helpers::JWT_SECRET)
        .env("MASH_LOG", "info")
        .env("MASH_DB_MAX_CONNECTIONS", "4")
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    let service = Killed(service);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..200 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "the service did not start");
    let forged = "\nFORGED-LINE level=INFO all is well \u{1b}[2J";
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({ "username": "u", "password": "p", forged: 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = client
        .get(format!("{base}/api/v1/children?name=SEARCHED-FOR-NAME"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(service);
    let text = std::fs::read_to_string(&log_path).unwrap();
    let _ = std::fs::remove_file(&log_path);
    assert!(
        text.contains("FORGED-LINE"),
        "the refusal was logged: {text}"
    );
    for line in text.lines() {
        assert!(
            !line.starts_with("FORGED-LINE"),
            "a client forged a log line:\n{text}"
        );
    }
    assert!(
        !text.contains('\u{1b}'),
        "an escape code reached the log:\n{text}"
    );
    assert!(
        !text.contains("SEARCHED-FOR-NAME"),
        "a query string was logged:\n{text}"
    );
}

/// A caller's `X-Request-Id` is kept (the answer, the log and the audit trail carry it) when it is
/// a sensible one; anything else gets an id of the service's own.
#[sqlx::test]
async fn a_sensible_incoming_request_id_is_honoured(db: PgPool) {
    let app = spawn(db).await;
    let token = app.facilitator().await;
    let send = |id: &'static str| {
        let app = &app;
        let token = token.clone();
        async move {
            app.client
                .get(format!("{}/api/v1/audit?limit=1", app.base))
                .bearer_auth(token)
                .header("X-Request-Id", id)
                .send()
                .await
                .unwrap()
        }
    };
    let r = send("client-trace.42_a").await;
    assert_eq!(r.headers()["x-request-id"], "client-trace.42_a");
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE request_id = 'client-trace.42_a' AND action = 'audit.read'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(stored, 1);
    let r = send("has spaces; and=more").await;
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
}
