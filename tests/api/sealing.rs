//! The sealed chain: writers only insert their events; one sealer per database chains them after
//! they commit; verify names tampering with a sealed event and reports what waits unsealed; signed
//! checkpoints catch a rewrite of the whole chain; two processes and a killed sealer lose nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

use crate::helpers::{
    FACILITATOR, Service, TestApp, database_of, free_port, settings, spawn, spawn_with,
    until_ready, until_sealed,
};

/// Runs `sql` as a superuser would to tamper: with every trigger, the guards and the foreign keys
/// included, switched off for the transaction.
async fn as_superuser(db: &PgPool, sql: &[&str]) {
    let mut tx = db.begin().await.unwrap();
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    for s in sql {
        sqlx::query(sqlx::AssertSqlSafe(s.to_string()))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn verdict(app: &TestApp, token: &str) -> Value {
    let v = app.get("/api/v1/audit/verify", token).await;
    assert_eq!(v.status, 200, "{}", v.text);
    v.json
}

async fn chain_order(db: &PgPool) -> Vec<Uuid> {
    sqlx::query_scalar("SELECT event_id FROM audit_chain ORDER BY position")
        .fetch_all(db)
        .await
        .unwrap()
}

#[sqlx::test]
async fn verify_names_a_changed_reordered_inserted_or_deleted_event(db: PgPool) {
    let app = spawn(db.clone()).await;
    let facilitator = app.facilitator().await;
    for i in 0..4 {
        app.user(&format!("legal_{i}"), Some("legal"), "practitioner")
            .await;
    }
    app.until_sealed().await;
    assert_eq!(verdict(&app, &facilitator).await["valid"], true);
    let chained = chain_order(&db).await;
    assert!(chained.len() >= 8, "{}", chained.len());
    let (fourth, fifth) = (chained[3], chained[4]);
    let broken = |v: &Value, event: Uuid, position: u64| {
        assert_eq!(v["valid"], false, "{v}");
        assert_eq!(v["first_broken_event"], event.to_string(), "{v}");
        assert_eq!(v["events_checked"], position, "{v}");
        assert_eq!(v["head_hash"], Value::Null);
    };

    // Changed: the event no longer matches the leaf its link was made from.
    as_superuser(
        &db,
        &[&format!(
            "UPDATE audit_events SET username = username || 'x' WHERE id = '{fourth}'"
        )],
    )
    .await;
    broken(&verdict(&app, &facilitator).await, fourth, 4);
    as_superuser(
        &db,
        &[&format!(
            "UPDATE audit_events SET username = left(username, -1) WHERE id = '{fourth}'"
        )],
    )
    .await;
    assert_eq!(verdict(&app, &facilitator).await["valid"], true);

    // Reordered: two sealed events swap places in the chain.
    let swap = |a: Uuid, b: Uuid| {
        [
            format!(
                "UPDATE audit_chain SET event_id = '{}' WHERE position = 4",
                Uuid::nil()
            ),
            format!("UPDATE audit_chain SET event_id = '{a}' WHERE position = 5"),
            format!("UPDATE audit_chain SET event_id = '{b}' WHERE position = 4"),
        ]
    };
    let sql = swap(fourth, fifth);
    as_superuser(&db, &sql.iter().map(String::as_str).collect::<Vec<_>>()).await;
    broken(&verdict(&app, &facilitator).await, fifth, 4);
    let sql = swap(fifth, fourth);
    as_superuser(&db, &sql.iter().map(String::as_str).collect::<Vec<_>>()).await;
    assert_eq!(verdict(&app, &facilitator).await["valid"], true);

    // Inserted behind the tip, where the sealer will never reach it.
    let forged = Uuid::new_v4();
    as_superuser(&db, &[&format!(
        "INSERT INTO audit_events (id, occurred_at, action, resource_type, outcome, xid, content_hash)
         VALUES ('{forged}', now(), 'child.read', 'child', 'allowed', '3', NULL)"
    )])
    .await;
    let v = verdict(&app, &facilitator).await;
    assert_eq!(
        (&v["valid"], &v["first_broken_event"]),
        (&json!(false), &json!(forged))
    );
    as_superuser(
        &db,
        &[&format!("DELETE FROM audit_events WHERE id = '{forged}'")],
    )
    .await;
    assert_eq!(verdict(&app, &facilitator).await["valid"], true);

    // A link deleted: the event it sealed is named.
    as_superuser(
        &db,
        &[
            "CREATE TABLE kept AS SELECT * FROM audit_chain WHERE position = 4",
            "DELETE FROM audit_chain WHERE position = 4",
        ],
    )
    .await;
    broken(&verdict(&app, &facilitator).await, fourth, 4);
    as_superuser(&db, &["INSERT INTO audit_chain SELECT * FROM kept"]).await;
    assert_eq!(verdict(&app, &facilitator).await["valid"], true);

    // The newest sealed event deleted, its link left: the link names it.
    app.until_sealed().await;
    let newest: Uuid =
        sqlx::query_scalar("SELECT event_id FROM audit_chain ORDER BY position DESC LIMIT 1")
            .fetch_one(&db)
            .await
            .unwrap();
    let length = chain_order(&db).await.len() as u64;
    as_superuser(
        &db,
        &[
            &format!("CREATE TABLE kept_event AS SELECT * FROM audit_events WHERE id = '{newest}'"),
            &format!("DELETE FROM audit_events WHERE id = '{newest}'"),
        ],
    )
    .await;
    let v = verdict(&app, &facilitator).await;
    assert_eq!(v["first_broken_event"], newest.to_string(), "{v}");
    assert!(v["events_checked"].as_u64() >= Some(length), "{v}");
    as_superuser(
        &db,
        &["INSERT INTO audit_events OVERRIDING SYSTEM VALUE SELECT * FROM kept_event"],
    )
    .await;
    assert_eq!(verdict(&app, &facilitator).await["valid"], true);

    // A link to an event never recorded, appended at the tip (as the service's own role could):
    // named, and sealing goes on after it.
    let orphan = Uuid::new_v4();
    as_superuser(&db, &[&format!(
        "INSERT INTO audit_chain (position, event_id, prev_hash, hash)
         SELECT position + 1, '{orphan}', hash, hash FROM audit_chain ORDER BY position DESC LIMIT 1"
    )])
    .await;
    app.user("legal_after", Some("legal"), "practitioner").await;
    app.until_sealed().await;
    let v = verdict(&app, &facilitator).await;
    assert_eq!(v["first_broken_event"], orphan.to_string(), "{v}");

    // A sealed event deleted: its link still names it.
    as_superuser(
        &db,
        &[&format!("DELETE FROM audit_events WHERE id = '{fourth}'")],
    )
    .await;
    broken(&verdict(&app, &facilitator).await, fourth, 4);
}

#[sqlx::test]
async fn an_event_behind_an_open_transaction_waits_unsealed_and_verify_says_how_long(db: PgPool) {
    let app = spawn(db.clone()).await;
    let facilitator = app.facilitator().await;
    app.until_sealed().await;
    // A transaction that has written may still commit an event that must come first in the chain:
    // while it is open, nothing recorded after it is sealed.
    let mut open = db.begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *open)
        .await
        .unwrap();
    app.user("pc_waits", Some("police"), "practitioner").await;
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let v = verdict(&app, &facilitator).await;
    assert_eq!(v["valid"], true, "{v}");
    assert!(v["unsealed_events"].as_u64().unwrap() >= 3, "{v}");
    assert!(
        v["oldest_unsealed_age_seconds"].as_f64().unwrap() >= 1.2,
        "{v}"
    );
    let sealed_then = v["events_checked"].clone();
    open.rollback().await.unwrap();
    app.until_sealed().await;
    let v = verdict(&app, &facilitator).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["unsealed_events"], 0, "{v}");
    assert_eq!(v["oldest_unsealed_age_seconds"], Value::Null, "{v}");
    assert!(v["events_checked"].as_u64() > sealed_then.as_u64(), "{v}");
}

#[sqlx::test]
async fn a_rewritten_chain_verifies_alone_but_not_against_a_saved_checkpoint(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let (db, url) = database_of(&connect).await;
    let dir = std::env::temp_dir().join(format!("mash-checkpoints-{}", Uuid::new_v4()));
    let key = dir.join("audit-key.pem");
    let app = spawn_with(
        db.clone(),
        mash::config::ServeSettings {
            audit_key: Some(key.clone()),
            audit_checkpoint_every: Duration::from_millis(200),
            ..settings()
        },
    )
    .await;
    let facilitator = app.facilitator().await;
    let (_, manager) = app.user("police_lead", Some("police"), "manager").await;
    let (_, practitioner) = app.user("pc_cp", Some("police"), "practitioner").await;
    app.until_sealed().await;
    // Wait for a checkpoint of the chain as it is now.
    let length = chain_order(&db).await.len() as i64;
    let waiting = std::time::Instant::now();
    let page = loop {
        let page = app.get("/api/v1/audit/checkpoints", &manager).await;
        assert_eq!(page.status, 200, "{}", page.text);
        if page.json["items"][0]["position"].as_i64() >= Some(length) {
            break page;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(30),
            "no checkpoint: {}",
            page.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    app.get("/api/v1/audit/checkpoints", &practitioner)
        .await
        .assert_problem(403);
    let newest = &page.json["items"][0];
    let public_key = newest["public_key"].as_str().unwrap().to_string();
    assert_eq!(newest["signature"].as_str().unwrap().len(), 128);
    readme_check_verifies(&page.text, newest);
    let saved = dir.join("checkpoints.json");
    std::fs::write(&saved, &page.text).unwrap();

    let check = |extra: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_mash"))
            .args(["audit", "verify", "--checkpoints"])
            .arg(&saved)
            .args(["--database-url", url.as_str()])
            .args(extra)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).to_string(),
        )
    };
    let (code, out) = check(&["--public-key", &public_key]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("the trail holds"), "{out}");
    let (code, out) = check(&["--public-key", &"ab".repeat(32)]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("signed by a key not trusted"), "{out}");

    app.until_sealed().await;
    // A superuser rewrites the whole trail consistently: an event changed, its leaf recomputed,
    // and every link from there on remade.
    let first: Uuid = chain_order(&db).await[2];
    as_superuser(
        &db,
        &[&format!(
            "UPDATE audit_events SET username = 'someone_else' WHERE id = '{first}'"
        )],
    )
    .await;
    rewrite_chain(&db).await;
    let v = verdict(&app, &facilitator).await;
    assert_eq!(v["valid"], true, "alone, the rewritten chain verifies: {v}");

    let (code, out) = check(&["--public-key", &public_key]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("INCONSISTENT"), "{out}");
    assert!(out.contains("the trail does NOT hold"), "{out}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Recomputes every leaf and link from the events as they now are, as someone with the database's
/// superuser and this source could.
async fn rewrite_chain(db: &PgPool) {
    #[derive(sqlx::FromRow)]
    struct Row {
        position: i64,
        #[sqlx(flatten)]
        event: mash::audit::repo::Stored,
    }
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT c.position, {} FROM audit_chain c JOIN audit_events e ON e.id = c.event_id ORDER BY c.position",
        mash::audit::repo::STORED
    )))
    .fetch_all(db)
    .await
    .unwrap();
    let mut prev = mash::audit::chain::GENESIS.to_string();
    let mut sql = Vec::new();
    for r in rows {
        let leaf = r.event.content().leaf();
        let hash = mash::audit::chain::link(&prev, &leaf);
        sql.push(format!(
            "UPDATE audit_events SET content_hash = '{leaf}' WHERE id = '{}'",
            r.event.id
        ));
        sql.push(format!(
            "UPDATE audit_chain SET prev_hash = '{prev}', hash = '{hash}' WHERE position = {}",
            r.position
        ));
        prev = hash;
    }
    as_superuser(db, &sql.iter().map(String::as_str).collect::<Vec<_>>()).await;
}

/// 10,000 writes from 50 clients through two processes on one database; the sealing process is
/// killed with SIGKILL a third of the way through and its clients retry on the other, which takes
/// over the sealing. One valid chain holds every acknowledged write's event exactly once.
#[sqlx::test]
async fn two_processes_and_a_killed_sealer_leave_one_chain_with_every_write_once(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    const CLIENTS: usize = 50;
    const EACH: usize = 200;
    let (db, url) = database_of(&connect).await;
    let ports = [free_port(), free_port()];
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let client = reqwest::Client::new();
    let fast = [("MASH_REQUEST_TIMEOUT", "5s")];
    // The first migrates the database and becomes the sealer; the second starts once it seals.
    let first = Arc::new(std::sync::Mutex::new(Service::start_with(
        url.as_str(),
        ports[0],
        &fast,
    )));
    until_ready(&client, &bases[0], Duration::from_secs(30)).await;
    let sealer_pid = || async {
        sqlx::query_scalar::<_, i32>(
            "SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
             WHERE a.application_name = 'mash-sealer' AND a.datname = current_database()
               AND l.locktype = 'advisory' AND l.granted",
        )
        .fetch_optional(&db)
        .await
        .unwrap()
    };
    while sealer_pid().await.is_none() {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first_sealer = sealer_pid().await;
    let _second = Service::start_with(url.as_str(), ports[1], &fast);
    until_ready(&client, &bases[1], Duration::from_secs(30)).await;

    let call = async |base: &str, path: &str, token: Option<&str>, body: Value| -> Value {
        let mut r = client.post(format!("{base}{path}")).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send().await.unwrap().json().await.unwrap()
    };
    let facilitator = call(
        &bases[1],
        "/api/v1/auth/login",
        None,
        json!({"username": FACILITATOR.0, "password": FACILITATOR.1}),
    )
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    call(&bases[1], "/api/v1/users", Some(&facilitator),
        json!({"username": "hv_load", "password": "sealing-under-load-passphrase", "display_name": "HV",
               "agency": "health", "role": "practitioner"})).await;
    let token = call(
        &bases[1],
        "/api/v1/auth/login",
        None,
        json!({"username": "hv_load", "password": "sealing-under-load-passphrase"}),
    )
    .await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let child = call(
        &bases[1],
        "/api/v1/children",
        Some(&token),
        json!({"given_name": "S", "family_name": "L", "date_of_birth": "2006-03-01"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/v1/children/{child}/contacts");

    let acknowledged = Arc::new(AtomicUsize::new(0));
    let killer = {
        let (acknowledged, first) = (acknowledged.clone(), first.clone());
        tokio::spawn(async move {
            while acknowledged.load(Ordering::Relaxed) < CLIENTS * EACH / 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            first.lock().unwrap().kill();
        })
    };
    let writers = (0..CLIENTS).map(|c| {
        let (client, bases, path, token, acknowledged) =
            (&client, &bases, &path, &token, acknowledged.clone());
        async move {
            let mut ids = Vec::with_capacity(EACH);
            for i in 0..EACH {
                let key = format!("load-{c}-{i}");
                let body = json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "home_visit",
                                  "summary": format!("visit {c}-{i}")});
                // Each client starts on its own process and moves to the other when it fails.
                let mut on = c % 2;
                let id = loop {
                    let sent = client
                        .post(format!("{}{path}", bases[on]))
                        .bearer_auth(token)
                        .header("Idempotency-Key", &key)
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status() == 201 => {
                            break r.json::<Value>().await.unwrap()["id"]
                                .as_str()
                                .unwrap()
                                .parse::<Uuid>()
                                .unwrap();
                        }
                        // Still claimed by a request the killed process never finished, or cut
                        // off by the request timeout on a busy machine: retry with the same key.
                        Ok(r) if r.status() == 409 || r.status() == 503 => {
                            tokio::time::sleep(Duration::from_millis(200)).await
                        }
                        Ok(r) => panic!("{}: {}", r.status(), r.text().await.unwrap()),
                        Err(_) => on = 1,
                    }
                };
                acknowledged.fetch_add(1, Ordering::Relaxed);
                ids.push(id);
            }
            ids
        }
    });
    let ids: Vec<Uuid> = futures_util::future::join_all(writers)
        .await
        .into_iter()
        .flatten()
        .collect();
    killer.await.unwrap();
    assert_eq!(ids.len(), CLIENTS * EACH);

    // The surviving process takes over and seals everything, the dead one's last events included.
    until_sealed(&db).await;
    let now_sealing = sealer_pid().await;
    assert!(now_sealing.is_some() && now_sealing != first_sealer);
    let (contacts, events, chained, distinct): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM contacts),
                -- A retry answered again for its key is an event of its own, with its reason.
                (SELECT count(*) FROM audit_events WHERE action = 'contact.create' AND outcome = 'allowed'
                   AND reason IS NULL),
                count(*), count(DISTINCT e.resource_id)
         FROM audit_chain c JOIN audit_events e ON e.id = c.event_id
         WHERE e.action = 'contact.create' AND e.outcome = 'allowed' AND e.resource_id = ANY($1)",
    )
    .bind(&ids)
    .fetch_one(&db)
    .await
    .unwrap();
    let n = (CLIENTS * EACH) as i64;
    assert_eq!((contacts, events, chained, distinct), (n, n, n, n));
    let v = client
        .get(format!("{}/api/v1/audit/verify", bases[1]))
        .bearer_auth(&facilitator)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert!(v["events_checked"].as_u64().unwrap() >= n as u64, "{v}");
}

/// A trail chained before sealing existed (each link over its event's content, written under the
/// old lock) is carried into the chain by the migration and still verifies, and sealing goes on
/// from its head.
#[sqlx::test(migrations = false)]
async fn a_trail_chained_before_sealing_still_verifies_after_the_migration(db: PgPool) {
    let mut before = sqlx::migrate!("./migrations");
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < 9)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(&db).await.unwrap();
    let mut prev = mash::audit::chain::GENESIS.to_string();
    let at = chrono::DateTime::from_timestamp(1_180_000_000, 123_456_000).unwrap();
    let mut ids = Vec::new();
    for i in 0..3 {
        let id = Uuid::new_v4();
        let username = format!("old_{i}");
        let content = mash::audit::chain::Content {
            id,
            occurred_at: at,
            user_id: None,
            username: Some(&username),
            agency: None,
            role: None,
            action: "auth.login_failed",
            resource_type: "session",
            resource_id: None,
            child_id: None,
            request_id: Some("r1"),
            outcome: "failed",
            reason: None,
        };
        let hash = content.legacy_link(&prev);
        sqlx::query(
            "INSERT INTO audit_events (id, occurred_at, username, action, resource_type, request_id, outcome,
                                       prev_hash, hash)
             VALUES ($1, $2, $3, 'auth.login_failed', 'session', 'r1', 'failed', $4, $5)",
        )
        .bind(id)
        .bind(at)
        .bind(&username)
        .bind(&prev)
        .bind(&hash)
        .execute(&db)
        .await
        .unwrap();
        prev = hash;
        ids.push(id);
    }
    sqlx::migrate!("./migrations").run(&db).await.unwrap();
    assert_eq!(chain_order(&db).await, ids);
    let app = spawn(db.clone()).await;
    let facilitator = app.facilitator().await;
    app.until_sealed().await;
    let v = verdict(&app, &facilitator).await;
    assert_eq!(v["valid"], true, "{v}");
    assert!(v["events_checked"].as_u64().unwrap() > 3, "{v}");
    let fourth: String = sqlx::query_scalar("SELECT prev_hash FROM audit_chain WHERE position = 4")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(fourth, prev, "sealing goes on from the old head");
    // A change to an old event still breaks its link.
    as_superuser(
        &db,
        &[&format!(
            "UPDATE audit_events SET username = 'x' WHERE id = '{}'",
            ids[1]
        )],
    )
    .await;
    let v = verdict(&app, &facilitator).await;
    assert_eq!(v["first_broken_event"], ids[1].to_string(), "{v}");
}

/// The service serves as `mash_service` (the whole suite runs as it); a login granted that role,
/// as `MASH_SERVICE_DATABASE_URL` names, can neither change the trail nor switch off its guards.
/// A superuser is refused as the serving role.
#[sqlx::test]
async fn the_serving_role_cannot_change_the_trail_or_switch_off_its_guards(
    _: PgPoolOptions,
    connect: PgConnectOptions,
) {
    let (db, url) = database_of(&connect).await;
    let app = spawn(db.clone()).await;
    app.user("pc_role", Some("police"), "practitioner").await;
    app.until_sealed().await;
    // The service's connections run as mash_service: take a privilege from that role alone, and
    // the service loses it.
    let facilitator = app.facilitator().await;
    let body = json!({"given_name": "R", "family_name": "O", "date_of_birth": "2006-03-01"});
    let made = app
        .post("/api/v1/children", &facilitator, body.clone())
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    sqlx::query("REVOKE INSERT ON children FROM mash_service")
        .execute(&db)
        .await
        .unwrap();
    let refused = app.post("/api/v1/children", &facilitator, body).await;
    assert!(
        refused.status.is_server_error(),
        "{} {}",
        refused.status,
        refused.text
    );
    sqlx::query("GRANT INSERT ON children TO mash_service")
        .execute(&db)
        .await
        .unwrap();

    let login = format!("mash_app_{}", Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE ROLE {login} LOGIN PASSWORD 'serving-role-passphrase' IN ROLE mash_service"
    )))
    .execute(&db)
    .await
    .unwrap();
    let service = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(
            (*db.connect_options())
                .clone()
                .username(&login)
                .password("serving-role-passphrase"),
        )
        .await
        .unwrap();
    for sql in [
        "UPDATE audit_events SET action = 'x'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "UPDATE audit_chain SET hash = 'x'",
        "DELETE FROM audit_chain",
        "TRUNCATE audit_chain",
        "DELETE FROM audit_checkpoints",
        "ALTER TABLE audit_events DISABLE TRIGGER USER",
        "ALTER TABLE audit_events DISABLE TRIGGER ALL",
        "ALTER TABLE audit_chain DISABLE TRIGGER audit_chain_never_change",
        "ALTER TABLE audit_events DROP CONSTRAINT audit_events_outcome_check",
        "DROP TRIGGER audit_events_never_change ON audit_events",
        "SET session_replication_role = replica",
        "UPDATE contacts SET summary = 'x'",
        "DELETE FROM contacts",
        "INSERT INTO audit_events (id, occurred_at, action, resource_type, outcome, xid)
         VALUES (gen_random_uuid(), now(), 'child.read', 'child', 'allowed', '3')",
    ] {
        let err = sqlx::query(sql).execute(&service).await.expect_err(sql);
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.to_string());
        assert_eq!(code.as_deref(), Some("42501"), "{sql}: {err}");
    }
    // What it needs, it may: read the trail and add to it.
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&service)
        .await
        .unwrap();
    assert!(events > 0);
    service.close().await;
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP ROLE {login}")))
        .execute(&db)
        .await
        .unwrap();

    // The tests' own role is a superuser: named as the service's, it is refused.
    let settings = mash::config::DatabaseSettings {
        database_url: Some(url.to_string().into()),
        service_database_url: Some(url.to_string().into()),
        ephemeral: false,
        db_max_connections: 1,
        db_connect_wait: Duration::from_secs(5),
        db_acquire_timeout: Duration::from_secs(5),
    };
    let refused = mash::startup::serving_pool(&settings, &db)
        .await
        .expect_err("a superuser may not serve");
    assert!(
        format!("{refused:#}").contains("is a superuser"),
        "{refused:#}"
    );
}

/// The statement a checkpoint signs, rebuilt from its fields as the contract words it (not by the
/// service's own function): four lines, each ended by a line feed, the time with six digits.
fn statement_as_documented(c: &Value) -> String {
    let made_at: chrono::DateTime<chrono::Utc> = c["made_at"].as_str().unwrap().parse().unwrap();
    format!(
        "mash audit checkpoint\n{}\n{}\n{}\n",
        c["position"],
        c["head_hash"].as_str().unwrap(),
        made_at.format("%Y-%m-%dT%H:%M:%S%.6fZ")
    )
}

/// README's three-line check, run as a reader would run it, on a page of checkpoints; and the
/// statement rebuilt from the contract's words.
fn readme_check_verifies(page: &str, newest: &Value) {
    assert_eq!(
        newest["statement"].as_str().unwrap(),
        statement_as_documented(newest)
    );
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("| python3 -c '").expect("README's check") + "| python3 -c '".len();
    let end = start + readme[start..].find("'\n").unwrap();
    let program = &readme[start..end];
    let run = |input: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new("python3")
            .args(["-c", program])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let out = run(page);
    assert!(
        out.status.success(),
        "README's check: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("signed: "));
    // A forged signature fails the same check.
    let mut forged: Value = serde_json::from_str(page).unwrap();
    forged["items"][0]["signature"] = Value::String("00".repeat(64));
    assert!(
        !run(&forged.to_string()).status.success(),
        "a forged signature passes"
    );
}

/// The contract's example checkpoint is a real one: its statement is what its fields say, and its
/// signature verifies under its key.
#[test]
fn the_contracts_example_checkpoint_verifies() {
    let doc: Value = yaml_serde::from_str(
        &std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap(),
    )
    .unwrap();
    let example = &doc["components"]["schemas"]["Checkpoint"]["example"];
    assert_eq!(
        example["statement"].as_str().unwrap(),
        statement_as_documented(example)
    );
    let key: [u8; 32] = hex::decode(example["public_key"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let signature: [u8; 64] = hex::decode(example["signature"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    ed25519_dalek::VerifyingKey::from_bytes(&key)
        .unwrap()
        .verify_strict(
            example["statement"].as_str().unwrap().as_bytes(),
            &ed25519_dalek::Signature::from_bytes(&signature),
        )
        .expect("the example's signature verifies");
}
