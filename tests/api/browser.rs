//! The timeline page in a real browser: Debian's Chromium, headless, driven through its WebDriver
//! (chromedriver). A trainer signs in, opens the replayed case, moves the date back, switches to
//! one agency's view and reads a marker by keyboard; the test asserts what a person would see, and
//! saves a screenshot to `target/timeline.png`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator, key::Key};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{FACILITATOR, TestApp, free_port, spawn};
use crate::picture::replayed;

/// A chromedriver of our own, stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn program(name: &str) -> String {
    ["/usr/bin", "/usr/local/bin", "/usr/lib/chromium"]
        .iter()
        .map(|dir| format!("{dir}/{name}"))
        .find(|path| std::path::Path::new(path).is_file())
        .unwrap_or_else(|| {
            panic!("the browser test needs `{name}`: install Debian's chromium and chromium-driver")
        })
}

async fn browser() -> (Driver, Client, tempdir::Profile) {
    let port = free_port();
    let driver = Driver(
        Command::new(program("chromedriver"))
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    let profile = tempdir::Profile::new();
    let capabilities = json!({
        "goog:chromeOptions": {
            "binary": program("chromium"),
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1500,1050", "--hide-scrollbars",
                format!("--user-data-dir={}", profile.path()),
            ]
        }
    });
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    builder.capabilities(capabilities.as_object().unwrap().clone());
    // chromedriver takes a moment to listen.
    for attempt in 0.. {
        match builder.connect(&format!("http://127.0.0.1:{port}")).await {
            Ok(client) => return (driver, client, profile),
            Err(e) if attempt < 50 => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    }
    unreachable!()
}

/// A throwaway browser profile directory.
mod tempdir {
    pub struct Profile(std::path::PathBuf);

    impl Profile {
        pub fn new() -> Profile {
            let dir = std::env::temp_dir().join(format!("mash-chromium-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            Profile(dir)
        }

        pub fn path(&self) -> String {
            self.0.display().to_string()
        }
    }

    impl Drop for Profile {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

async fn script(client: &Client, js: &str) -> Value {
    client.execute(js, vec![]).await.expect(js)
}

/// Waits until `js` (an expression) is true in the page.
async fn until(client: &Client, js: &str) {
    for _ in 0..100 {
        if script(client, &format!("return Boolean({js});")).await == Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the page never showed: {js}");
}

/// Opens `url` and signs in on its form as the facilitator.
async fn sign_in(client: &Client, url: &str) {
    client.goto(url).await.unwrap();
    for (field, value) in [("username", FACILITATOR.0), ("password", FACILITATOR.1)] {
        client
            .find(Locator::Id(field))
            .await
            .unwrap()
            .send_keys(value)
            .await
            .unwrap();
    }
    click(client, "sign-in-button").await;
}

async fn count(client: &Client, selector: &str) -> usize {
    client.find_all(Locator::Css(selector)).await.unwrap().len()
}

async fn entries(app: &TestApp, token: &str, child: &str, as_of: &str) -> Vec<Value> {
    app.get(
        &format!("/api/v1/children/{child}/chronology?as_of={as_of}&limit=500"),
        token,
    )
    .await
    .json["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[sqlx::test]
async fn a_trainer_shows_the_case_as_of_any_date_shared_and_siloed(db: PgPool) {
    let app = spawn(db).await;
    let child = replayed(&app, "child-p-2006-2007.yaml").await;
    let facilitator = app.facilitator().await;
    let (_driver, client, _profile) = browser().await;

    // Signing in: the form, then the picture.
    sign_in(&client, &format!("{}/children/{child}/timeline", app.base)).await;
    until(&client, "document.querySelector('#picture svg')").await;
    until(
        &client,
        "document.querySelector('#picture svg').dataset.asOf.startsWith('2007-09-01')",
    )
    .await;
    // The token is nowhere a page or another site could read it back.
    assert_eq!(
        script(&client, "return document.cookie + localStorage.length + sessionStorage.length + location.href.includes('token');").await,
        json!("00false")
    );

    // One lane per agency.
    let lanes = script(
        &client,
        "return [...document.querySelectorAll('#picture .lane')].map(l => l.dataset.agency);",
    )
    .await;
    let agencies: Vec<&str> = mash::vocabulary::Agency::ALL
        .iter()
        .map(|a| a.as_str())
        .collect();
    assert_eq!(lanes, json!(agencies));

    // A marker per entry the facilitator may see, as of the end of the axis.
    let as_of = script(
        &client,
        "return document.querySelector('#picture svg').dataset.asOf;",
    )
    .await;
    let as_of = as_of.as_str().unwrap().replace("+00:00", "Z");
    let all = entries(&app, &facilitator, &child, &as_of).await;
    assert_eq!(count(&client, "#picture .marker").await, all.len());
    assert!(all.len() > 30, "the case has {} entries", all.len());

    // Each indicator's line at the date it first held.
    let gap = app
        .get(
            &format!("/api/v1/children/{child}/gap-report?as_of={as_of}"),
            &facilitator,
        )
        .await
        .json;
    let drawn = script(
        &client,
        "return [...document.querySelectorAll('#picture .indicator')].map(l => [l.dataset.code, l.dataset.at]);",
    )
    .await;
    let expected: Vec<Value> = gap["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let at = chrono::DateTime::parse_from_rfc3339(i["first_held_at"].as_str().unwrap())
                .unwrap()
                .to_rfc3339();
            json!([i["code"], at])
        })
        .collect();
    assert!(expected.len() >= 10, "{expected:?}");
    assert_eq!(drawn, Value::Array(expected));
    // The line of the injuries no single agency saw is marked so.
    assert_eq!(
        count(
            &client,
            "#picture .indicator.combined-only[data-code=injuries_seen_by_several_agencies]"
        )
        .await,
        1
    );

    // The screenshot people look at: the whole case, shared.
    let png = client.screenshot().await.unwrap();
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("timeline.png"), &png).unwrap();
    assert!(png.starts_with(b"\x89PNG"));

    // Moving the date back to 1 January 2007 draws fewer markers: those entered by then.
    script(
        &client,
        "const s = document.getElementById('as-of'); s.value = String(Date.parse('2007-01-01T00:00:00Z') / 1000); s.dispatchEvent(new Event('change')); return null;",
    )
    .await;
    until(
        &client,
        "document.querySelector('#picture svg').dataset.asOf.startsWith('2007-01-01')",
    )
    .await;
    let january = entries(&app, &facilitator, &child, "2007-01-01T00:00:00Z").await;
    assert_eq!(count(&client, "#picture .marker").await, january.len());
    assert!(january.len() < all.len());
    let label = script(
        &client,
        "return document.getElementById('as-of-label').textContent;",
    )
    .await;
    assert_eq!(label, json!("2007-01-01 00:00 UTC"));

    // The facilitator's switch: health's view alone hides every other agency's markers.
    script(
        &client,
        "const v = document.getElementById('view'); v.value = 'health'; v.dispatchEvent(new Event('change')); return null;",
    )
    .await;
    until(
        &client,
        "document.querySelector('#picture svg').dataset.view === 'health'",
    )
    .await;
    let agencies = script(
        &client,
        "return [...new Set([...document.querySelectorAll('#picture .marker')].map(m => m.dataset.agency))];",
    )
    .await;
    assert_eq!(agencies, json!(["health"]));
    let health = january.iter().filter(|e| e["agency"] == "health").count();
    assert_eq!(count(&client, "#picture .marker").await, health);
    assert_eq!(count(&client, "#picture .lane").await, 1);

    // By keyboard: Tab from the last control reaches a marker, and its entry is read out.
    script(
        &client,
        "document.getElementById('sign-out').focus(); return null;",
    )
    .await;
    client
        .active_element()
        .await
        .unwrap()
        .send_keys(&Key::Tab.to_string())
        .await
        .unwrap();
    let focused = script(
        &client,
        "const a = document.activeElement; return [a.classList.contains('marker'), a.getAttribute('aria-label'), document.getElementById('details').textContent];",
    )
    .await;
    assert_eq!(focused[0], json!(true), "{focused}");
    assert_eq!(focused[1], focused[2]);
    assert!(focused[1].as_str().unwrap().contains("health"));

    // Nothing the page loaded came from outside the service.
    let loaded = script(
        &client,
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);",
    )
    .await;
    let loaded: Vec<&str> = loaded
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(loaded.len() >= 4, "{loaded:?}");
    for url in &loaded {
        assert!(url.starts_with(&app.base), "loaded from outside: {url}");
    }

    // The downloads fetch what they offer with the session's token, without an error.
    for button in ["csv", "debrief"] {
        client
            .find(Locator::Id(button))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        script(
            &client,
            "return document.getElementById('error').textContent;"
        )
        .await,
        json!("")
    );
    let exported: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action IN ('chronology.export', 'debrief.read') AND outcome = 'allowed'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(exported, 2);

    client.close().await.unwrap();
}

async fn click(client: &Client, id: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

async fn cell(client: &Client, team: u32, class: &str) -> String {
    script(
        client,
        &format!(
            "return document.querySelector('#teams tr[data-team=\"{team}\"] .{class}').textContent;"
        ),
    )
    .await
    .as_str()
    .unwrap()
    .to_string()
}

/// The facilitator's page of an exercise: the teams with their progress and scores, advance, reset
/// and end, in a real browser.
#[sqlx::test]
async fn a_facilitator_runs_the_day_from_the_exercise_page(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let created = app
        .post(
            "/api/v1/exercises",
            &facilitator,
            json!({"name": "Browser day", "scenario": "child-p-2006-2007", "teams": 2}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json["id"].as_str().unwrap().to_string();
    let (_driver, client, _profile) = browser().await;
    sign_in(&client, &format!("{}/exercises/{id}", app.base)).await;
    until(
        &client,
        "document.querySelectorAll('#teams tbody tr').length === 2",
    )
    .await;
    assert_eq!(
        script(
            &client,
            "return document.getElementById('title').textContent;"
        )
        .await,
        json!("Browser day")
    );
    until(
        &client,
        "document.getElementById('status').dataset.state === 'ready'",
    )
    .await;
    assert_eq!(
        cell(&client, 1, "progress").await,
        "0 of 8 checkpoints (1 of 41 steps)"
    );

    // Advance: the first stage is released to both teams, with its question.
    click(&client, "advance").await;
    until(
        &client,
        "document.getElementById('status').dataset.released === '1'",
    )
    .await;
    assert!(
        script(
            &client,
            "return document.getElementById('question').textContent;"
        )
        .await
        .as_str()
        .unwrap()
        .contains("Who is he")
    );
    for team in [1, 2] {
        assert!(
            cell(&client, team, "progress")
                .await
                .starts_with("1 of 8 checkpoints")
        );
        assert_eq!(cell(&client, team, "score").await, "0 / 6");
    }

    // Team 1's police check the partner in time; the next stage shows it in the score.
    let account = created.json["teams"][0]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency"] == "police")
        .unwrap()
        .clone();
    let police = app
        .login(
            account["username"].as_str().unwrap(),
            account["password"].as_str().unwrap(),
        )
        .await;
    let view = app
        .get(&format!("/api/v1/exercises/{id}"), &police)
        .await
        .json;
    let child = view["teams"][0]["child_id"].as_str().unwrap().to_string();
    app.partner_checked(
        &child,
        &police,
        true,
        "2006-12-22T16:00:00Z",
        ("2006-12-23T09:00:00Z", "relevant_history"),
    )
    .await;
    click(&client, "advance").await;
    until(
        &client,
        "document.getElementById('status').dataset.released === '2'",
    )
    .await;
    assert_eq!(cell(&client, 1, "score").await, "3 / 8");
    assert_eq!(cell(&client, 2, "score").await, "0 / 8");
    // Each team's record has its timeline link.
    let links = script(
        &client,
        "return [...document.querySelectorAll('#teams a.timeline')].map(a => a.getAttribute('href'));",
    )
    .await;
    assert_eq!(links[0], json!(format!("/children/{child}/timeline")));
    assert_eq!(links.as_array().unwrap().len(), 2);

    // Reset team 2 to the first checkpoint.
    script(
        &client,
        "document.getElementById('reset-checkpoint').value = '1'; document.getElementById('reset-team').value = '2'; return null;",
    )
    .await;
    click(&client, "reset").await;
    until(
        &client,
        "document.querySelector('#teams tr[data-team=\"2\"] .progress').textContent.startsWith('1 of 8')",
    )
    .await;
    assert!(cell(&client, 1, "progress").await.starts_with("2 of 8"));

    let png = client.screenshot().await.unwrap();
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(target.join("exercise.png"), &png).unwrap();

    // The room's debrief downloads; then the day ends and the buttons stop.
    click(&client, "room-debrief").await;
    click(&client, "end").await;
    until(
        &client,
        "document.getElementById('status').dataset.state === 'ended'",
    )
    .await;
    assert_eq!(
        script(
            &client,
            "return ['advance', 'reset', 'end'].map(b => document.getElementById(b).disabled);"
        )
        .await,
        json!([true, true, true])
    );
    assert_eq!(
        script(
            &client,
            "return document.getElementById('error').textContent;"
        )
        .await,
        json!("")
    );
    app.get(&format!("/api/v1/exercises/{id}"), &police)
        .await
        .assert_problem(401);
    app.until_sealed().await;
    let debriefs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'exercise.debrief_read' AND outcome = 'allowed'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(debriefs, 1);
    // Nothing the page loaded came from outside the service.
    let loaded = script(
        &client,
        "return performance.getEntriesByType('resource').map(e => e.name).concat([location.href]);",
    )
    .await;
    for url in loaded.as_array().unwrap() {
        assert!(
            url.as_str().unwrap().starts_with(&app.base),
            "loaded from outside: {url}"
        );
    }
    assert_eq!(
        script(
            &client,
            "return document.cookie + localStorage.length + sessionStorage.length;"
        )
        .await,
        json!("00")
    );
}
