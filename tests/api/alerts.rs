//! Alerts: what a health practitioner is told during a replay of the case, marking one read, the
//! event stream, and a break-glass on a record health is involved with.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::spawn;
use crate::picture::replayed;

/// The kinds of the alerts listed, in order.
pub fn kinds(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap().to_string())
        .collect()
}

#[sqlx::test]
async fn a_health_practitioner_is_alerted_through_the_case_and_marks_alerts_read(db: PgPool) {
    let app = spawn(db).await;
    let child = replayed(&app, "child-p-2006-2007.yaml").await;
    let (_, health) = app.user("hv_alerts", Some("health"), "practitioner").await;
    let facilitator = app.facilitator().await;
    app.get("/api/v1/me/alerts", &facilitator)
        .await
        .assert_problem(403);

    // Early on, little; by August, police's and social care's high concerns, and health's overdue
    // plan action.
    let december = app
        .get("/api/v1/me/alerts?as_of=2006-12-11T12:00:00Z", &health)
        .await
        .json;
    let august = app
        .get("/api/v1/me/alerts?as_of=2007-08-03T12:00:00Z", &health)
        .await
        .json;
    assert!(kinds(&august).len() > kinds(&december).len(), "{august}");
    let from: Vec<&str> = august["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == "high_concern_entry")
        .map(|a| a["from_agency"].as_str().unwrap())
        .collect();
    assert!(
        from.contains(&"police") && from.contains(&"social_care"),
        "{from:?}"
    );
    assert!(!from.contains(&"health"), "not its own entries");
    assert!(
        august["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["child_id"] == child.as_str())
    );
    let unread = august["unread"].as_u64().unwrap();
    assert_eq!(unread as usize, kinds(&august).len());

    // Marking one read: once, audited; the count drops by one.
    let first = august["items"][0]["id"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let r = app
            .post(
                &format!("/api/v1/me/alerts/{first}/read"),
                &health,
                json!({}),
            )
            .await;
        assert_eq!(r.status, 204, "{}", r.text);
    }
    let after = app
        .get(
            "/api/v1/me/alerts?as_of=2007-08-03T12:00:00Z&unread=true",
            &health,
        )
        .await
        .json;
    assert_eq!(after["unread"].as_u64().unwrap(), unread - 1);
    assert!(
        after["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["read"] == false)
    );
    let marks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'alert.read' AND outcome = 'allowed'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(marks, 2);

    // A break-glass by legal on the record health is involved with alerts health.
    let (_, lawyer) = app
        .user("lawyer_alerts", Some("legal"), "practitioner")
        .await;
    let legal_involved = app
        .get(&format!("/api/v1/children/{child}"), &lawyer)
        .await
        .status;
    if legal_involved == 403 {
        app.break_glass(&child, &lawyer).await;
    }
    let now = app.get("/api/v1/me/alerts", &health).await.json;
    assert_eq!(
        legal_involved == 403,
        kinds(&now).contains(&"break_glass".to_string()),
        "{now}"
    );

    // The stream sends the unread alerts as events.
    let response = app
        .client
        .get(format!("{}/api/v1/me/alerts/stream", app.base))
        .bearer_auth(&health)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut body = response.bytes_stream();
    let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
        .await
        .expect("a first event within seconds")
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&chunk);
    let events = text.matches("event: alert\n").count();
    assert!(events >= 1, "{text}");
    let first_data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let alert: Value = serde_json::from_str(first_data).unwrap();
    assert_eq!(alert["read"], false);
}
