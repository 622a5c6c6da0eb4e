//! The audit trail: one event per audited action, denials and failures included; append-only in
//! the database; a hash chain that names the first tampered event; scopes for reading it.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{Reply, TestApp, spawn};

#[derive(Debug, sqlx::FromRow)]
struct Event {
    user_id: Option<uuid::Uuid>,
    username: Option<String>,
    agency: Option<String>,
    role: Option<String>,
    action: String,
    resource_type: String,
    resource_id: Option<uuid::Uuid>,
    child_id: Option<uuid::Uuid>,
    request_id: Option<String>,
    outcome: String,
    reason: Option<String>,
}

async fn events(app: &TestApp) -> Vec<Event> {
    sqlx::query_as(
        "SELECT user_id, username, agency, role, action, resource_type, resource_id, child_id, request_id,
                outcome, reason FROM audit_events ORDER BY seq",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

/// The one event of the request that got `reply`.
async fn event_of(app: &TestApp, reply: &Reply) -> Event {
    let id = reply.header("x-request-id").unwrap().to_string();
    let mut found: Vec<Event> = events(app)
        .await
        .into_iter()
        .filter(|e| e.request_id.as_deref() == Some(&id))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one event for request {id}: {found:?}"
    );
    found.pop().unwrap()
}

fn id(reply: &Reply) -> uuid::Uuid {
    reply.json["id"].as_str().unwrap().parse().unwrap()
}

#[sqlx::test]
async fn every_audited_action_records_exactly_one_event(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let (health_id, health) = app.user("dr_audit", Some("health"), "practitioner").await;
    let health_id: uuid::Uuid = health_id.parse().unwrap();

    let login = app.login_reply("dr_audit", "dr_audit-password-123").await;
    let e = event_of(&app, &login).await;
    assert_eq!(
        (e.action.as_str(), e.outcome.as_str(), e.user_id),
        ("auth.login", "allowed", Some(health_id))
    );

    let child = app
        .post(
            "/api/v1/children",
            &health,
            json!({"given_name": "A", "family_name": "B", "date_of_birth": "2010-01-01"}),
        )
        .await;
    let c = id(&child);
    let base = format!("/api/v1/children/{c}");
    let contact = app
        .post(
            &format!("{base}/contacts"),
            &health,
            json!({"occurred_at": "2011-01-01T00:00:00Z", "kind": "phone_call", "summary": "s"}),
        )
        .await;
    let k = id(&contact);
    let person = app.post(&format!("{base}/people"), &health, json!({"name": "P", "relationship": "lodger", "lives_in_household": true, "identity_verified": false})).await;
    let police = app.user("pc_audit", Some("police"), "practitioner").await.1;
    let steps: Vec<(Reply, &str, &str, Option<uuid::Uuid>)> = vec![
        (child, "child.create", "child", Some(c)),
        (
            app.get(&base, &health).await,
            "child.read",
            "child",
            Some(c),
        ),
        (
            app.get("/api/v1/children?name=A&date_of_birth=2006-03-01", &health)
                .await,
            "child.search",
            "child",
            None,
        ),
        (contact, "contact.create", "contact", Some(k)),
        (
            app.get(&format!("{base}/contacts/{k}"), &health).await,
            "contact.read",
            "contact",
            Some(k),
        ),
        (
            app.get(&format!("{base}/contacts"), &health).await,
            "contact.list",
            "contact",
            None,
        ),
        (
            app.post(
                &format!("{base}/contacts/{k}/amendments"),
                &health,
                json!({"reason": "r", "changes": {"summary": "t"}}),
            )
            .await,
            "contact.amend",
            "contact",
            Some(k),
        ),
        (
            person.clone_reply(),
            "person.create",
            "person",
            Some(id(&person)),
        ),
        (
            app.post(
                &format!("{base}/people/{}/checks", id(&person)),
                &police,
                json!({"outcome": "no_trace", "summary": "none"}),
            )
            .await,
            "check.create",
            "check",
            None,
        ),
        (
            app.get(&format!("{base}/people"), &health).await,
            "person.list",
            "person",
            None,
        ),
        (
            app.get(&format!("{base}/chronology"), &health).await,
            "chronology.read",
            "chronology",
            Some(c),
        ),
        (
            app.get(&format!("{base}/concerns"), &health).await,
            "concerns.read",
            "concerns",
            Some(c),
        ),
        (
            app.get(&format!("{base}/gap-report"), &health).await,
            "gap_report.read",
            "gap_report",
            Some(c),
        ),
        (
            app.get(&format!("{base}/access-log"), &health).await,
            "access_log.read",
            "access_log",
            Some(c),
        ),
        (
            app.request(
                Method::PUT,
                &format!("{base}/sharing-mode"),
                Some(&facilitator),
                Some(json!({"mode": "siloed"})),
            )
            .await,
            "child.sharing_mode_change",
            "child",
            Some(c),
        ),
        (
            app.get("/api/v1/users", &facilitator).await,
            "user.list",
            "user",
            None,
        ),
        (
            app.request(
                Method::PATCH,
                &format!("/api/v1/users/{health_id}"),
                Some(&facilitator),
                Some(json!({"password": "another-long-password"})),
            )
            .await,
            "user.update",
            "user",
            Some(health_id),
        ),
        (
            app.get("/api/v1/audit", &facilitator).await,
            "audit.read",
            "audit",
            None,
        ),
        (
            app.get("/api/v1/audit/verify", &facilitator).await,
            "audit.verify",
            "audit",
            None,
        ),
    ];
    for (reply, action, resource_type, resource_id) in steps {
        assert!(reply.status.is_success(), "{action}: {}", reply.text);
        let e = event_of(&app, &reply).await;
        assert_eq!(
            (
                e.action.as_str(),
                e.resource_type.as_str(),
                e.outcome.as_str()
            ),
            (action, resource_type, "allowed"),
            "{e:?}"
        );
        if resource_id.is_some() {
            assert_eq!(e.resource_id, resource_id, "{action}");
        }
        assert!(
            e.user_id.is_some() && e.username.is_some() && e.role.is_some(),
            "{e:?}"
        );
        if resource_type != "user" && resource_type != "audit" && action != "child.search" {
            assert_eq!(e.child_id, Some(c), "{action}");
        }
    }
    // Health's events carry its agency and role; nothing secret is anywhere in the trail.
    let all = events(&app).await;
    assert!(
        all.iter()
            .filter(|e| e.user_id == Some(health_id))
            .all(|e| e.agency.as_deref() == Some("health")
                && e.role.as_deref() == Some("practitioner"))
    );
    let dump: String =
        sqlx::query_scalar("SELECT string_agg(audit_events::text, ' ') FROM audit_events")
            .fetch_one(&app.db)
            .await
            .unwrap();
    for secret in ["argon2", "password-123", "eyJ", "Bearer"] {
        assert!(!dump.contains(secret), "the trail holds {secret}");
    }
}

trait CloneReply {
    fn clone_reply(&self) -> Reply;
}

impl CloneReply for Reply {
    fn clone_reply(&self) -> Reply {
        Reply {
            status: self.status,
            headers: self.headers.clone(),
            text: self.text.clone(),
            json: self.json.clone(),
        }
    }
}

#[sqlx::test]
async fn denials_and_failures_are_audited_and_failed_writes_leave_nothing(db: PgPool) {
    let app = spawn(db).await;
    let (_, police) = app.user("pc_deny", Some("police"), "practitioner").await;
    let child = app
        .post(
            "/api/v1/children",
            &police,
            json!({"given_name": "A", "family_name": "B", "date_of_birth": "2010-01-01"}),
        )
        .await;
    let c = id(&child);

    let denied = app
        .request(
            Method::PUT,
            &format!("/api/v1/children/{c}/sharing-mode"),
            Some(&police),
            Some(json!({"mode": "siloed"})),
        )
        .await;
    denied.assert_problem(403);
    let e = event_of(&app, &denied).await;
    assert_eq!(
        (e.action.as_str(), e.outcome.as_str(), e.child_id),
        ("child.sharing_mode_change", "denied", Some(c))
    );
    assert!(e.reason.unwrap().contains("facilitator"));

    let read_denied = app.get("/api/v1/audit", &police).await;
    read_denied.assert_problem(403);
    assert_eq!(event_of(&app, &read_denied).await.outcome, "denied");

    let anonymous = app
        .request(Method::GET, &format!("/api/v1/children/{c}"), None, None)
        .await;
    let e = event_of(&app, &anonymous).await;
    assert_eq!((e.outcome.as_str(), e.user_id), ("denied", None));

    // A write that fails validation: no contact, and one `failed` event naming the reason.
    let invalid = app
        .post(
            &format!("/api/v1/children/{c}/contacts"),
            &police,
            json!({"occurred_at": "2011-01-01T00:00:00Z", "kind": "nonsense", "summary": "s"}),
        )
        .await;
    invalid.assert_problem(422);
    let e = event_of(&app, &invalid).await;
    assert_eq!(
        (e.action.as_str(), e.outcome.as_str()),
        ("contact.create", "failed")
    );
    assert!(e.reason.unwrap().contains("kind"));
    let contacts: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(contacts, 0);

    // A refused login keeps the name typed, and nothing of the password.
    let ghost = app.login_reply("ghost_user", "not-a-password-at-all").await;
    let e = event_of(&app, &ghost).await;
    assert_eq!(
        (
            e.action.as_str(),
            e.outcome.as_str(),
            e.username.as_deref(),
            e.user_id
        ),
        ("auth.login_failed", "failed", Some("ghost_user"), None)
    );
}

#[sqlx::test]
async fn when_the_trail_cannot_be_written_nothing_is_answered_or_written(db: PgPool) {
    let app = spawn(db).await;
    let (_, police) = app.user("pc_block", Some("police"), "practitioner").await;
    let child = app
        .post(
            "/api/v1/children",
            &police,
            json!({"given_name": "A", "family_name": "B", "date_of_birth": "2010-01-01"}),
        )
        .await;
    let c = id(&child);
    sqlx::query("ALTER TABLE audit_events ADD CONSTRAINT refuse_all CHECK (false) NOT VALID")
        .execute(&app.db)
        .await
        .unwrap();
    app.get(&format!("/api/v1/children/{c}"), &police)
        .await
        .assert_problem(503);
    let write = app
        .post(
            &format!("/api/v1/children/{c}/contacts"),
            &police,
            json!({"occurred_at": "2011-01-01T00:00:00Z", "kind": "phone_call", "summary": "s"}),
        )
        .await;
    write.assert_problem(503);
    let contacts: i64 = sqlx::query_scalar("SELECT count(*) FROM contacts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(contacts, 0, "the write rolled back with its event");
    sqlx::query("ALTER TABLE audit_events DROP CONSTRAINT refuse_all")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/api/v1/children/{c}"), &police)
            .await
            .status,
        200
    );
}

#[sqlx::test]
async fn the_database_refuses_to_change_the_trail_and_verify_names_tampering(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    for i in 0..5 {
        app.user(&format!("user_{i}"), Some("legal"), "practitioner")
            .await;
    }
    app.until_sealed().await;
    let v = app.get("/api/v1/audit/verify", &facilitator).await;
    assert_eq!(v.json["valid"], true, "{}", v.text);
    for sql in [
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "UPDATE audit_chain SET hash = hash",
        "DELETE FROM audit_chain",
        "TRUNCATE audit_chain",
    ] {
        let err = sqlx::query(sql).execute(&app.db).await.expect_err(sql);
        assert!(
            err.to_string().contains("never updated or deleted"),
            "{sql}: {err}"
        );
    }
    let victim: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM audit_events ORDER BY seq OFFSET 3 LIMIT 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let mut tx = app.db.begin().await.unwrap();
    for sql in [
        "ALTER TABLE audit_events DISABLE TRIGGER USER",
        "UPDATE audit_events SET username = username || 'x' WHERE id = $1",
        "ALTER TABLE audit_events ENABLE TRIGGER USER",
    ] {
        sqlx::query(sql)
            .bind(victim)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let v = app.get("/api/v1/audit/verify", &facilitator).await;
    assert_eq!(v.json["valid"], false);
    assert_eq!(v.json["first_broken_event"], victim.to_string());
    assert_eq!(v.json["events_checked"], 4);
}

#[sqlx::test]
async fn two_hundred_concurrent_writes_and_reads_leave_an_unbroken_chain(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let (_, health) = app.user("dr_busy", Some("health"), "practitioner").await;
    let child = app
        .post(
            "/api/v1/children",
            &health,
            json!({"given_name": "A", "family_name": "B", "date_of_birth": "2010-01-01"}),
        )
        .await;
    let path = format!("/api/v1/children/{}/contacts", id(&child));
    let posts = (0..200).map(|i| app.post(&path, &health, json!({"occurred_at": "2011-01-01T00:00:00Z", "kind": "phone_call", "summary": format!("c{i}")})));
    // Reads have their events written in shared batches, interleaved with the writes' own.
    let reads = (0..200).map(|_| app.get(&path, &health));
    let (replies, read_replies) = futures_util::future::join(
        futures_util::future::join_all(posts),
        futures_util::future::join_all(reads),
    )
    .await;
    assert!(replies.iter().all(|r| r.status == 201));
    assert!(read_replies.iter().all(|r| r.status == 200));
    let count = |action: &'static str| {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM audit_events WHERE action = $1")
            .bind(action)
            .fetch_one(&app.db)
    };
    assert_eq!(count("contact.create").await.unwrap(), 200);
    assert_eq!(count("contact.list").await.unwrap(), 200);
    app.until_sealed().await;
    let v = app.get("/api/v1/audit/verify", &facilitator).await;
    assert_eq!(v.json["valid"], true, "{}", v.text);
    assert!(v.json["events_checked"].as_u64().unwrap() >= 400);
}

#[sqlx::test]
async fn managers_read_their_agency_and_the_access_log_names_who_looked(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let (_, manager) = app.user("health_boss", Some("health"), "manager").await;
    let (_, health) = app.user("dr_look", Some("health"), "practitioner").await;
    let (_, police) = app.user("pc_look", Some("police"), "practitioner").await;
    let child = app
        .post(
            "/api/v1/children",
            &health,
            json!({"given_name": "A", "family_name": "B", "date_of_birth": "2010-01-01"}),
        )
        .await;
    let c = id(&child);
    app.get(&format!("/api/v1/children/{c}/gap-report"), &police)
        .await;

    let mine = app.get("/api/v1/audit?limit=500", &manager).await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    let agencies: BTreeMap<String, usize> =
        mine.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .fold(BTreeMap::new(), |mut m, e| {
                *m.entry(e["agency"].as_str().unwrap_or("none").to_string())
                    .or_default() += 1;
                m
            });
    assert_eq!(
        agencies.keys().collect::<Vec<_>>(),
        ["health"],
        "{agencies:?}"
    );
    app.get("/api/v1/audit?agency=police", &manager)
        .await
        .assert_problem(403);
    app.get("/api/v1/audit", &health).await.assert_problem(403);

    let by_child = app
        .get(&format!("/api/v1/audit?child_id={c}"), &facilitator)
        .await;
    let actions: Vec<&str> = by_child.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["gap_report.read", "child.create"], "newest first");

    let log = app
        .get(&format!("/api/v1/children/{c}/access-log"), &health)
        .await;
    let items = log.json["items"].as_array().unwrap();
    assert_eq!(items[0]["display_name"], "pc_look");
    assert_eq!(items[0]["agency"], "police");
    assert_eq!(items[0]["action"], "gap_report.read");
    assert_eq!(items.len(), 2);

    // Paging newest first through the facilitator's view.
    let first = app.get("/api/v1/audit?limit=2", &facilitator).await;
    let cursor = first.json["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/audit?limit=2&cursor={cursor}"),
            &facilitator,
        )
        .await;
    let seq = |r: &Value, i: usize| r["items"][i]["seq"].as_i64().unwrap();
    assert!(seq(&first.json, 1) > seq(&second.json, 0));
}
