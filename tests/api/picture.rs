//! The picture: the SVG drawn from a replayed case agrees with the chronology, the gap report and
//! the timescales as of the same moment; an agency's view alone shows only its lane; the debrief
//! and the CSV carry what they promise; access follows the record's rules and is audited.

use serde_json::json;
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn};
use crate::scenario::{load, play};

/// Replays a bundled scenario and returns its child's id.
pub async fn replayed(app: &TestApp, name: &str) -> String {
    play(app, &load(name)).await.child_id.unwrap()
}

/// The SVG's elements of a class, as (attribute name → value) maps.
fn of_class(
    svg: &roxmltree::Document,
    class: &str,
) -> Vec<std::collections::HashMap<String, String>> {
    svg.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split(' ').any(|c| c == class))
        })
        .map(|n| {
            n.attributes()
                .map(|a| (a.name().to_string(), a.value().to_string()))
                .collect()
        })
        .collect()
}

fn parse(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("not XML ({e}): {text}"))
}

#[sqlx::test]
async fn the_svg_agrees_with_the_chronology_the_gap_report_and_the_clocks(db: PgPool) {
    let app = spawn(db).await;
    let child = replayed(&app, "child-s-2020.yaml").await;
    let facilitator = app.facilitator().await;
    let base = format!("/api/v1/children/{child}");
    for as_of in [
        "2020-05-06T18:00:00Z",
        "2020-09-04T17:00:00Z",
        "2020-09-22T09:00:00Z",
    ] {
        let reply = app
            .get(&format!("{base}/timeline.svg?as_of={as_of}"), &facilitator)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.header("content-type"), Some("image/svg+xml"));
        let svg = parse(&reply.text);
        let root = svg.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(
            root.tag_name().namespace(),
            Some("http://www.w3.org/2000/svg")
        );
        // The axis is the record's whole span, whatever the moment.
        assert_eq!(
            root.attribute("data-axis-start"),
            Some("2020-01-01T00:00:00+00:00")
        );
        assert_eq!(
            root.attribute("data-axis-end"),
            Some("2020-10-01T00:00:00+00:00")
        );
        let lanes: Vec<String> = of_class(&svg, "lane")
            .into_iter()
            .map(|l| l["data-agency"].clone())
            .collect();
        // A lane per agency, in the vocabulary's order.
        let agencies: Vec<&str> = mash::vocabulary::Agency::ALL
            .iter()
            .map(|a| a.as_str())
            .collect();
        assert_eq!(lanes, agencies);

        let chronology = app
            .get(
                &format!("{base}/chronology?as_of={as_of}&limit=500"),
                &facilitator,
            )
            .await
            .json;
        let items = chronology["items"].as_array().unwrap();
        let markers = of_class(&svg, "marker");
        assert_eq!(markers.len(), items.len(), "a marker per entry at {as_of}");
        let ids: std::collections::BTreeSet<&str> =
            items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert!(markers.iter().all(|m| ids.contains(m["data-id"].as_str())));
        let injured = items.iter().filter(|i| i["injury_count"] != 0).count();
        assert_eq!(of_class(&svg, "injured").len(), injured);

        let gap = app
            .get(&format!("{base}/gap-report?as_of={as_of}"), &facilitator)
            .await
            .json;
        let lines = of_class(&svg, "indicator");
        let reported = gap["indicators"].as_array().unwrap();
        assert_eq!(lines.len(), reported.len());
        for (line, indicator) in lines.iter().zip(reported) {
            assert_eq!(line["data-code"], indicator["code"].as_str().unwrap());
            let held =
                chrono::DateTime::parse_from_rfc3339(indicator["first_held_at"].as_str().unwrap())
                    .unwrap();
            let drawn = chrono::DateTime::parse_from_rfc3339(&line["data-at"]).unwrap();
            assert_eq!(
                held, drawn,
                "{} is drawn where it first held",
                line["data-code"]
            );
            let alone = indicator["visible_to_single_agency"].as_object().unwrap();
            let combined_only = alone.values().all(|v| v == false);
            assert_eq!(
                line["class"].contains("combined-only"),
                combined_only,
                "{}",
                line["data-code"]
            );
        }
        let clocks = app
            .get(&format!("{base}/timescales?as_of={as_of}"), &facilitator)
            .await
            .json;
        let missed = clocks["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["state"] == "overdue" || c["state"] == "met_late")
            .count();
        assert_eq!(of_class(&svg, "missed-clock").len(), missed);
    }
    // The case as of 22 September: rule 15's line is drawn visible to no single agency.
    let svg_text = app
        .get(
            &format!("{base}/timeline.svg?as_of=2020-09-22T09:00:00Z"),
            &facilitator,
        )
        .await
        .text;
    let svg = parse(&svg_text);
    let unseen = of_class(&svg, "indicator")
        .into_iter()
        .find(|l| l["data-code"] == "child_repeatedly_unseen")
        .expect("rule 15 is drawn");
    assert!(unseen["class"].contains("combined-only"));
    assert_eq!(unseen["data-lanes"], "police social_care");
    assert!(unseen["data-at"].starts_with("2020-09-04T11:00:00"));
}

#[sqlx::test]
async fn each_agency_alone_sees_its_own_lane_and_only_a_facilitator_sees_another(db: PgPool) {
    let app = spawn(db).await;
    let child = replayed(&app, "child-s-2020.yaml").await;
    let facilitator = app.facilitator().await;
    let base = format!("/api/v1/children/{child}/timeline.svg?as_of=2020-09-22T09:00:00Z");
    let shared = parse_owned(&app.get(&base, &facilitator).await.text);
    for agency in ["police", "health", "social_care", "legal"] {
        let reply = app
            .get(&format!("{base}&view={agency}"), &facilitator)
            .await;
        assert_eq!(reply.status, 200);
        let svg = parse(&reply.text);
        let markers = of_class(&svg, "marker");
        assert!(
            markers.iter().all(|m| m["data-agency"] == agency),
            "{agency}"
        );
        let lanes = of_class(&svg, "lane");
        assert_eq!(lanes.len(), 1);
        assert_eq!(
            markers.len(),
            shared.iter().filter(|a| a == &agency).count(),
            "{agency} alone holds exactly its own entries"
        );
    }
    // A police officer may see police alone, not health alone.
    let (_, officer) = app.user("pc_picture", Some("police"), "practitioner").await;
    assert_eq!(
        app.get(&format!("{base}&view=police"), &officer)
            .await
            .status,
        200
    );
    let refused = app.get(&format!("{base}&view=health"), &officer).await;
    let problem = refused.assert_problem(403);
    assert!(problem["detail"].as_str().unwrap().contains("own agency"));
    // Bad input names its field; no token, no picture; no such child, 404.
    let bad = app
        .get(&format!("{base}&view=everyone"), &facilitator)
        .await;
    assert_eq!(bad.assert_problem(422)["field"], "view");
    let bad = app
        .get(
            &format!("/api/v1/children/{child}/timeline.svg?as_of=yesterday"),
            &facilitator,
        )
        .await;
    assert_eq!(bad.assert_problem(422)["field"], "as_of");
    let anonymous = app.request(reqwest::Method::GET, &base, None, None).await;
    anonymous.assert_problem(401);
    let nobody = app
        .get(
            &format!("/api/v1/children/{}/timeline.svg", uuid::Uuid::new_v4()),
            &facilitator,
        )
        .await;
    nobody.assert_problem(404);
    // Each picture read is in the audit trail, with its child.
    let reads: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'timeline.read' AND outcome = 'allowed' AND child_id = $1::uuid",
    )
    .bind(&child)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(reads, 1 + 4 + 1);
    let denied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'timeline.read' AND outcome = 'denied'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(denied >= 1);
}

/// The agency of every marker of an SVG.
fn parse_owned(text: &str) -> Vec<String> {
    let svg = parse(text);
    of_class(&svg, "marker")
        .into_iter()
        .map(|m| m["data-agency"].clone())
        .collect()
}

#[sqlx::test]
async fn the_csv_has_a_case_reviews_columns_and_runs_nothing_in_a_spreadsheet(db: PgPool) {
    let app = spawn(db).await;
    let child = replayed(&app, "child-s-2020.yaml").await;
    let (_, officer) = app.user("pc_csv", Some("police"), "practitioner").await;
    // A summary a spreadsheet would run as a formula.
    let logged = app
        .post(
            &format!("/api/v1/children/{child}/contacts"),
            &officer,
            json!({
                "occurred_at": "2020-09-20T10:00:00Z",
                "kind": "phone_call",
                "summary": "=HYPERLINK(\"http://example.com\",\"open\")",
                "concern_level": "low"
            }),
        )
        .await;
    assert_eq!(logged.status, 201, "{}", logged.text);
    let reply = app
        .get(
            &format!("/api/v1/children/{child}/chronology.csv?as_of=2020-09-22T09:00:00Z"),
            &officer,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(
        reply
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    let mut rows = csv::Reader::from_reader(reply.text.as_bytes());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        mash::picture::csv::COLUMNS
    );
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let chronology = app
        .get(
            &format!("/api/v1/children/{child}/chronology?as_of=2020-09-22T09:00:00Z&limit=500"),
            &officer,
        )
        .await
        .json;
    assert_eq!(rows.len(), chronology["items"].as_array().unwrap().len());
    let formula = rows.iter().find(|r| r[4].contains("HYPERLINK")).unwrap();
    assert!(formula[4].starts_with("'="), "{:?}", formula);
    assert!(
        rows.iter()
            .all(|r| !r.iter().any(|cell| cell.starts_with(['=', '+', '-', '@'])))
    );
    // The June police visit: its author, injuries and concern level.
    let visit = rows
        .iter()
        .find(|r| r[0].starts_with("2020-06-21T15:00:00") && &r[3] == "home visit")
        .unwrap();
    assert_eq!(&visit[1], "police");
    assert_eq!(&visit[2], "Police officer, West Yorkshire");
    assert_eq!(&visit[5], "medium");
    assert_eq!(&visit[6], "bruise to the face: bruising to the face");
    // A decision's outcome.
    assert!(
        rows.iter()
            .any(|r| &r[3] == "referral decided" && &r[7] == "no further action")
    );
}

#[sqlx::test]
async fn a_facilitator_exports_a_self_contained_debrief(db: PgPool) {
    let app = spawn(db).await;
    let child = replayed(&app, "child-s-2020.yaml").await;
    let facilitator = app.facilitator().await;
    let path = format!("/api/v1/children/{child}/debrief?as_of=2020-09-22T09:00:00Z");
    let reply = app.get(&path, &facilitator).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = &reply.text;
    let gap = app
        .get(
            &format!("/api/v1/children/{child}/gap-report?as_of=2020-09-22T09:00:00Z"),
            &facilitator,
        )
        .await
        .json;
    assert!(html.contains(&gap["summary"]["headline"].as_str().unwrap().to_string()));
    for indicator in gap["indicators"].as_array().unwrap() {
        let explanation = indicator["explanation"].as_str().unwrap();
        // As HTML writes it.
        let escaped = explanation.replace('&', "&amp;").replace('\'', "&#39;");
        assert!(
            html.contains(explanation) || html.contains(&escaped),
            "the debrief lacks {}",
            indicator["code"]
        );
    }
    for section in [
        "Gap report",
        "Statutory clocks",
        "Merged chronology",
        "Who looked at the record, when",
    ] {
        assert!(html.contains(section), "{section}");
    }
    assert!(html.contains("<svg"), "the picture is in it");
    assert!(html.contains("timeline.read") || html.contains("gap_report.read"));
    // Self-contained: it loads nothing, from here or elsewhere.
    for outside in ["src=", "href=", "@import", "url("] {
        assert!(!html.contains(outside), "the debrief refers out: {outside}");
    }
    // Only a facilitator exports one.
    let (_, manager) = app.user("sc_manager", Some("social_care"), "manager").await;
    app.get(&path, &manager).await.assert_problem(403);
    let debriefs: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'debrief.read' AND child_id = $1::uuid",
    )
    .bind(&child)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(debriefs, 2, "one allowed, one denied");
}

#[sqlx::test]
async fn the_page_and_its_assets_are_served_with_a_policy_that_keeps_it_local(db: PgPool) {
    let app = spawn(db).await;
    let child = uuid::Uuid::new_v4();
    let page = app
        .request(
            reqwest::Method::GET,
            &format!("/children/{child}/timeline"),
            None,
            None,
        )
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.starts_with("default-src 'self'"), "{policy}");
    // It holds no child data and names nothing outside the service.
    assert!(!page.text.contains(&child.to_string()));
    assert!(!page.text.contains("http:") && !page.text.contains("https:"));
    for (asset, kind) in [
        ("/assets/timeline.js", "text/javascript; charset=utf-8"),
        ("/assets/timeline.css", "text/css; charset=utf-8"),
    ] {
        let reply = app.request(reqwest::Method::GET, asset, None, None).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-type"), Some(kind));
        assert!(
            !reply.text.contains("http:") && !reply.text.contains("https:"),
            "{asset}"
        );
        assert!(!reply.text.contains("localStorage") && !reply.text.contains("document.cookie"));
    }
}

#[sqlx::test]
async fn another_agencys_restricted_entry_is_a_hollow_stub_that_says_nothing(db: PgPool) {
    let app = spawn(db).await;
    let (_, officer) = app.user("pc_stub", Some("police"), "practitioner").await;
    let (_, nurse) = app.user("hv_stub", Some("health"), "practitioner").await;
    let child = app
        .post(
            "/api/v1/children",
            &officer,
            json!({"given_name": "Sam", "family_name": "S", "date_of_birth": "2019-05-01"}),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();
    let logged = app
        .post(
            &format!("/api/v1/children/{child}/contacts"),
            &officer,
            json!({
                "occurred_at": "2020-02-01T10:00:00Z", "kind": "police_interview",
                "summary": "An informant names the partner", "concern_level": "high",
                "visibility": "restricted"
            }),
        )
        .await;
    assert_eq!(logged.status, 201, "{}", logged.text);
    app.break_glass(&child, &nurse).await;
    let svg_text = app
        .get(&format!("/api/v1/children/{child}/timeline.svg"), &nurse)
        .await
        .text;
    let svg = parse(&svg_text);
    let markers = of_class(&svg, "marker");
    assert_eq!(markers.len(), 1);
    assert!(markers[0]["class"].contains("stub"));
    assert!(!markers[0].contains_key("data-concern"));
    assert!(!svg_text.contains("informant"), "a stub says nothing more");
    // Its own agency sees it in full.
    let own = app
        .get(&format!("/api/v1/children/{child}/timeline.svg"), &officer)
        .await
        .text;
    assert!(own.contains("An informant names the partner"));
    assert!(!of_class(&parse(&own), "marker")[0]["class"].contains("stub"));
}
