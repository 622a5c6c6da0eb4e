//! The combined view over HTTP: chronology, concern summary and gap report, as each reader sees them.

use std::collections::{BTreeMap, BTreeSet};

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn};

struct Case {
    child: String,
    tokens: BTreeMap<&'static str, String>,
    facilitator: String,
}

impl Case {
    async fn new(app: &TestApp) -> Case {
        let mut tokens = BTreeMap::new();
        for agency in ["police", "health", "social_care", "legal"] {
            tokens.insert(
                agency,
                app.user(&format!("{agency}_user"), Some(agency), "practitioner")
                    .await
                    .1,
            );
        }
        let r = app
            .post(
                "/api/v1/children",
                &tokens["health"],
                json!({"given_name": "Peter", "family_name": "C", "date_of_birth": "2006-03-01"}),
            )
            .await;
        let child = r.json["id"].as_str().unwrap().to_string();
        app.involve_all(&child, &tokens["health"]).await;
        Case {
            child,
            tokens,
            facilitator: app.facilitator().await,
        }
    }

    async fn contact(&self, app: &TestApp, agency: &str, body: Value) -> String {
        let r = app
            .post(
                &format!("/api/v1/children/{}/contacts", self.child),
                &self.tokens[agency],
                body,
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        r.json["id"].as_str().unwrap().to_string()
    }

    async fn report(&self, app: &TestApp, token: &str, as_of: &str) -> Value {
        let r = app
            .get(
                &format!("/api/v1/children/{}/gap-report?as_of={as_of}", self.child),
                token,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }
}

fn codes(report: &Value) -> BTreeSet<String> {
    report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap().to_string())
        .collect()
}

fn indicator<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("{code} missing: {report}"))
}

fn injury() -> Value {
    json!([{"body_location": "face", "type": "bruise", "description": "bruising"}])
}

/// The case report's timeline (docs/case-report.txt), December 2006 to August 2007.
async fn case_report(app: &TestApp) -> Case {
    let case = Case::new(app).await;
    let c = &case;
    c.contact(app, "health", json!({"occurred_at": "2006-12-11T10:00:00Z", "kind": "hospital_admission",
        "summary": "Extensive bruising; referred to police child abuse investigation team", "child_seen": true,
        "injuries": injury(), "opinion": "non_accidental_injury_suspected", "concern_level": "high",
        "concern_categories": ["physical_injury"], "outcome": "referred_to_police"})).await;
    let partner = json!({"name": "Mother's partner", "relationship": "mothers_partner", "lives_in_household": true,
        "identity_verified": false, "named_as_next_of_kin": true, "occurred_at": "2006-12-11T12:00:00Z"});
    let r = app
        .post(
            &format!("/api/v1/children/{}/people", c.child),
            &c.tokens["health"],
            partner,
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    c.contact(
        app,
        "police",
        json!({"occurred_at": "2006-12-12T09:00:00Z", "kind": "arrest",
        "summary": "Mother arrested on suspicion of assault; denies it", "concern_level": "high",
        "outcome": "further_investigation"}),
    )
    .await;
    c.contact(
        app,
        "social_care",
        json!({"occurred_at": "2006-12-13T09:00:00Z", "kind": "strategy_discussion",
        "summary": "Placed with a family friend; child protection plan", "concern_level": "high",
        "outcome": "placed_with_family_friend"}),
    )
    .await;
    let child = app
        .get(
            &format!("/api/v1/children/{}", c.child),
            &c.tokens["social_care"],
        )
        .await;
    let etag = child.header("etag").unwrap().to_string();
    let r = app
        .client
        .patch(format!("{}/api/v1/children/{}", app.base, c.child))
        .bearer_auth(&c.tokens["social_care"])
        .header("If-Match", etag)
        .json(&json!({"status": "child_protection_plan", "effective_at": "2006-12-22T00:00:00Z"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    c.contact(app, "social_care", json!({"occurred_at": "2007-01-26T10:00:00Z", "kind": "home_visit",
        "summary": "Returned to his mother's care", "child_seen": true, "concern_level": "medium", "outcome": "returned_home"})).await;
    c.contact(app, "legal", json!({"occurred_at": "2007-02-20T10:00:00Z", "kind": "charging_decision",
        "summary": "CPS asks police for further investigation", "outcome": "further_investigation"})).await;
    c.contact(app, "health", json!({"occurred_at": "2007-04-09T15:00:00Z", "kind": "hospital_admission",
        "summary": "Bruising, black eyes, swelling on the head; discharged", "child_seen": true, "injuries": injury(),
        "explanation": {"given_by": "mother", "category": "another_child", "text": "pushed into a marble fireplace by another child"},
        "concern_level": "high", "outcome": "discharged"})).await;
    c.contact(
        app,
        "social_care",
        json!({"occurred_at": "2007-05-15T10:00:00Z", "kind": "home_visit",
        "summary": "Routine visit", "child_seen": true, "concern_level": "low"}),
    )
    .await;
    c.contact(
        app,
        "health",
        json!({"occurred_at": "2007-06-15T10:00:00Z", "kind": "gp_appointment",
        "summary": "Seen by GP", "child_seen": true}),
    )
    .await;
    c.contact(app, "social_care", json!({"occurred_at": "2007-06-28T10:00:00Z", "kind": "home_visit",
        "summary": "Bruises and scratches on the face; police alerted", "child_seen": true, "injuries": injury(),
        "concern_level": "high", "outcome": "referred_to_police"})).await;
    c.contact(app, "police", json!({"occurred_at": "2007-06-29T10:00:00Z", "kind": "police_interview",
        "summary": "Mother interviewed under caution", "injuries": injury(),
        "explanation": {"given_by": "mother", "category": "another_child"}, "concern_level": "high"})).await;
    c.contact(
        app,
        "social_care",
        json!({"occurred_at": "2007-07-05T10:00:00Z", "kind": "home_visit",
        "summary": "Visit", "child_seen": true, "concern_level": "low"}),
    )
    .await;
    c.contact(app, "legal", json!({"occurred_at": "2007-07-10T10:00:00Z", "kind": "legal_advice",
        "summary": "Council lawyers: threshold for care proceedings not met", "outcome": "threshold_for_care_not_met"})).await;
    c.contact(app, "health", json!({"occurred_at": "2007-07-20T10:00:00Z", "kind": "other",
        "summary": "Two doctors' statements for police: bruising suggestive of non-accidental injury",
        "opinion": "non_accidental_injury_suspected", "concern_level": "high"})).await;
    c.contact(
        app,
        "social_care",
        json!({"occurred_at": "2007-07-25T10:00:00Z", "kind": "home_visit",
        "summary": "Pre-arranged visit; child's face covered in chocolate", "child_seen": true,
        "appearance_obscured": true, "concern_level": "medium"}),
    )
    .await;
    c.contact(
        app,
        "legal",
        json!({"occurred_at": "2007-07-30T10:00:00Z", "kind": "charging_decision",
        "summary": "CPS: not enough evidence to prosecute", "outcome": "insufficient_evidence"}),
    )
    .await;
    c.contact(
        app,
        "health",
        json!({"occurred_at": "2007-08-01T10:00:00Z", "kind": "clinic_appointment",
        "summary": "Development check; miserable and cranky, not completed", "child_seen": true,
        "examination": {"completed": false, "reason_incomplete": "child miserable and cranky"}}),
    )
    .await;
    c.contact(
        app,
        "police",
        json!({"occurred_at": "2007-08-02T10:00:00Z", "kind": "phone_call",
        "summary": "Mother told she will not be prosecuted", "outcome": "no_further_action"}),
    )
    .await;
    case
}

#[sqlx::test]
async fn the_case_report_shows_what_only_the_combined_record_reveals(db: PgPool) {
    let app = spawn(db).await;
    let case = case_report(&app).await;
    let report = case
        .report(&app, &case.facilitator, "2007-08-03T23:59:59Z")
        .await;
    let held = codes(&report);
    assert!(held.len() >= 6, "{held:?}");
    let combined_only: Vec<&Value> = report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["visible_to_single_agency"]
                .as_object()
                .unwrap()
                .values()
                .all(|v| v == false)
        })
        .collect();
    assert!(combined_only.len() >= 3, "{report}");
    assert_eq!(report["summary"]["combined"], held.len());
    assert_eq!(
        report["summary"]["only_visible_combined"],
        combined_only.len()
    );
    let headline = report["summary"]["headline"].as_str().unwrap();
    assert!(
        headline.starts_with(&format!(
            "{} indicators on the combined record; police alone could see",
            held.len()
        )),
        "{headline}"
    );

    // Exact first moments, and evidence that leads back to each agency's entries.
    let twice = indicator(&report, "repeated_third_party_explanation");
    assert_eq!(twice["first_held_at"], "2007-06-29T10:00:00Z");
    assert_eq!(twice["agencies"], json!(["police", "health"]));
    assert_eq!(
        indicator(&report, "injury_not_shared_with_police")["first_held_at"],
        "2007-04-16T15:00:00Z"
    );
    assert_eq!(
        indicator(&report, "unverified_adult_in_household")["visible_to_single_agency"]["health"],
        true
    );
    // The examination on 1 August was not followed up by 15 August; on 3 August that cannot be known yet.
    assert!(!held.contains("incomplete_examination"));
    let later = case
        .report(&app, &case.facilitator, "2007-08-20T00:00:00Z")
        .await;
    assert_eq!(
        indicator(&later, "incomplete_examination")["first_held_at"],
        "2007-08-15T10:00:00Z"
    );

    for evidence in twice["evidence"].as_array().unwrap() {
        let r = app
            .get(
                &format!(
                    "/api/v1/children/{}/contacts/{}",
                    case.child,
                    evidence["entry_id"].as_str().unwrap()
                ),
                &case.facilitator,
            )
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json["agency"], evidence["agency"]);
    }
}

#[sqlx::test]
async fn as_of_sees_only_what_had_happened_by_then(db: PgPool) {
    let app = spawn(db).await;
    let case = case_report(&app).await;
    let before = case
        .report(&app, &case.facilitator, "2007-06-28T23:00:00Z")
        .await;
    assert!(!codes(&before).contains("repeated_third_party_explanation"));
    let after = case
        .report(&app, &case.facilitator, "2007-06-29T10:00:00Z")
        .await;
    assert!(codes(&after).contains("repeated_third_party_explanation"));
    let concerns = app
        .get(
            &format!(
                "/api/v1/children/{}/concerns?as_of=2007-01-01T00:00:00Z",
                case.child
            ),
            &case.facilitator,
        )
        .await;
    assert_eq!(concerns.status, 200, "{}", concerns.text);
    assert_eq!(concerns.json["total"]["entries"], 3);
    let health = concerns.json["agencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["agency"] == "health")
        .unwrap();
    assert_eq!(
        (health["entries"].as_u64(), health["injuries"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(health["highest_concern_level"], "high");
    assert_eq!(health["by_category"]["physical_injury"], 1);
    let bad = app
        .get(
            &format!(
                "/api/v1/children/{}/gap-report?as_of=last-tuesday",
                case.child
            ),
            &case.facilitator,
        )
        .await;
    assert_eq!(bad.assert_problem(422)["field"], "as_of");
}

#[sqlx::test]
async fn an_indicator_only_the_combination_shows(db: PgPool) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    let bruise = |at: &str| json!({"occurred_at": at, "kind": "home_visit", "summary": "bruise", "injuries": injury()});
    let a = case
        .contact(&app, "health", bruise("2007-01-01T00:00:00Z"))
        .await;
    let b = case
        .contact(&app, "social_care", bruise("2007-03-31T00:00:00Z"))
        .await;
    let report = case
        .report(&app, &case.facilitator, "2007-12-31T00:00:00Z")
        .await;
    let i = indicator(&report, "injuries_seen_by_several_agencies");
    assert_eq!(i["first_held_at"], "2007-03-31T00:00:00Z");
    assert_eq!(
        i["visible_to_single_agency"],
        // No agency alone: every agency's flag is false.
        serde_json::Value::Object(
            mash::vocabulary::Agency::ALL
                .iter()
                .map(|a| (a.as_str().to_string(), json!(false)))
                .collect()
        )
    );
    let ids: BTreeSet<&str> = i["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, BTreeSet::from([a.as_str(), b.as_str()]));
    // No agency alone could see it: "police alone could see 0, health 0, …" for every agency.
    let alone: Vec<String> = mash::vocabulary::Agency::ALL
        .iter()
        .enumerate()
        .map(|(i, a)| match i {
            0 => format!("{} alone could see 0", a.label()),
            _ => format!("{} 0", a.label()),
        })
        .collect();
    assert_eq!(
        report["summary"]["headline"],
        format!("1 indicator on the combined record; {}.", alone.join(", "))
    );
    assert!(
        report["summary"]["headline"]
            .as_str()
            .unwrap()
            .starts_with("1 indicator on the combined record; police alone could see 0, health 0, social care 0, legal 0")
    );
}

#[sqlx::test]
async fn siloed_and_restricted_readers_get_reduced_views(db: PgPool) {
    let app = spawn(db).await;
    let case = case_report(&app).await;
    let full = case
        .report(&app, &case.facilitator, "2007-08-03T23:59:59Z")
        .await;
    let shared_view = case
        .report(&app, &case.tokens["legal"], "2007-08-03T23:59:59Z")
        .await;
    assert_eq!(
        codes(&full),
        codes(&shared_view),
        "a shared record with no restricted entries looks the same to all"
    );

    let mode = format!("/api/v1/children/{}/sharing-mode", case.child);
    app.request(
        Method::PUT,
        &mode,
        Some(&case.facilitator),
        Some(json!({"mode": "siloed"})),
    )
    .await;
    let siloed = case
        .report(&app, &case.tokens["social_care"], "2007-08-03T23:59:59Z")
        .await;
    assert!(codes(&siloed).is_subset(&codes(&full)));
    assert!(!codes(&siloed).contains("repeated_third_party_explanation"));
    assert_eq!(
        codes(
            &case
                .report(&app, &case.facilitator, "2007-08-03T23:59:59Z")
                .await
        ),
        codes(&full),
        "facilitators still see it all"
    );
    let chronology = app
        .get(
            &format!("/api/v1/children/{}/chronology?limit=500", case.child),
            &case.tokens["social_care"],
        )
        .await;
    // Its own entries, and the entry that brought it in (as the referrals made to it).
    assert!(
        chronology.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["agency"] == "social_care"
                || (i["entry_type"] == "involvement"
                    && i["summary"]
                        .as_str()
                        .is_some_and(|s| s.starts_with("social care brought in")))),
        "{}",
        chronology.text
    );
    app.request(
        Method::PUT,
        &mode,
        Some(&case.facilitator),
        Some(json!({"mode": "shared"})),
    )
    .await;

    // A restricted police entry: a stub in others' chronology, and not in their gap report.
    let restricted = json!({"occurred_at": "2007-07-01T00:00:00Z", "kind": "police_interview", "summary": "SECRET",
        "injuries": injury(), "explanation": {"given_by": "mother", "category": "another_child"}, "visibility": "restricted"});
    let id = case.contact(&app, "police", restricted).await;
    let chronology = app
        .get(
            &format!("/api/v1/children/{}/chronology?limit=500", case.child),
            &case.tokens["health"],
        )
        .await;
    assert!(!chronology.text.contains("SECRET"));
    let stub = chronology.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .unwrap();
    assert_eq!(
        (stub["restricted"].as_bool(), stub["summary"].is_null()),
        (Some(true), true)
    );
    let evidence_of = |r: &Value| {
        r["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["evidence"].as_array().unwrap().clone())
            .any(|e| e["entry_id"] == id.as_str())
    };
    assert!(!evidence_of(
        &case
            .report(&app, &case.tokens["health"], "2007-08-03T23:59:59Z")
            .await
    ));
    assert!(evidence_of(
        &case
            .report(&app, &case.tokens["police"], "2007-08-03T23:59:59Z")
            .await
    ));
}

#[sqlx::test]
async fn the_chronology_merges_agencies_people_and_checks_in_order_and_pages(db: PgPool) {
    let app = spawn(db).await;
    let case = case_report(&app).await;
    let path = format!("/api/v1/children/{}/chronology", case.child);
    let all = app
        .get(&format!("{path}?limit=500"), &case.tokens["legal"])
        .await;
    let items = all.json["items"].as_array().unwrap();
    assert_eq!(
        items.len(),
        21,
        "17 contacts, one person and the three agencies brought in"
    );
    let times: Vec<&str> = items
        .iter()
        .map(|i| i["occurred_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(items[1]["entry_type"], "person");
    assert_eq!(items[0]["injury_count"], 1);
    let agencies: BTreeSet<&str> = items
        .iter()
        .map(|i| i["agency"].as_str().unwrap())
        .collect();
    assert_eq!(agencies.len(), 4);

    let mut paged = Vec::new();
    let mut next = format!("{path}?limit=4");
    loop {
        let page = app.get(&next, &case.tokens["legal"]).await;
        paged.extend(
            page.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].clone()),
        );
        match page.json["next_cursor"].as_str() {
            Some(c) => next = format!("{path}?limit=4&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        paged,
        items.iter().map(|i| i["id"].clone()).collect::<Vec<_>>()
    );

    let police = app
        .get(
            &format!("{path}?agency=police&from=2007-01-01T00:00:00Z"),
            &case.tokens["legal"],
        )
        .await;
    let police_items = police.json["items"].as_array().unwrap();
    assert_eq!(police_items.len(), 2);
    assert!(police_items.iter().all(|i| i["agency"] == "police"));
    let early = app
        .get(
            &format!("{path}?as_of=2006-12-12T23:00:00Z"),
            &case.tokens["legal"],
        )
        .await;
    assert_eq!(early.json["items"].as_array().unwrap().len(), 3);
}

#[sqlx::test]
async fn the_views_are_current_after_every_kind_of_entry(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let (_, health) = app.user("dr_fresh", Some("health"), "practitioner").await;
    let (_, police) = app.user("pc_fresh", Some("police"), "practitioner").await;
    let child = app
        .post(
            "/api/v1/children",
            &health,
            json!({"given_name": "F", "family_name": "Resh", "date_of_birth": "2006-03-01"}),
        )
        .await;
    let child = child.json["id"].as_str().unwrap().to_string();
    // Each read after a write must show it, though the record was read (and kept) just before.
    let summaries = || async {
        let r = app
            .get(
                &format!("/api/v1/children/{child}/chronology?limit=500"),
                &facilitator,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                format!(
                    "{}:{}",
                    i["kind"].as_str().unwrap(),
                    i["summary"].as_str().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
    };
    assert!(summaries().await.is_empty());
    let contact = app
        .post(
            &format!("/api/v1/children/{child}/contacts"),
            &health,
            json!({"occurred_at": "2007-01-01T00:00:00Z", "kind": "hospital_attendance", "summary": "bruised"}),
        )
        .await;
    assert_eq!(summaries().await, ["hospital_attendance:bruised"]);
    let amended = app
        .post(
            &format!(
                "/api/v1/children/{child}/contacts/{}/amendments",
                contact.json["id"].as_str().unwrap()
            ),
            &health,
            json!({"reason": "fuller", "changes": {"summary": "bruised face"}}),
        )
        .await;
    assert_eq!(amended.status, 201, "{}", amended.text);
    assert_eq!(summaries().await, ["hospital_attendance:bruised face"]);
    let person = app
        .post(
            &format!("/api/v1/children/{child}/people"),
            &health,
            json!({"name": "Lodger", "relationship": "lodger", "lives_in_household": true,
                   "identity_verified": false, "occurred_at": "2007-02-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(person.status, 201, "{}", person.text);
    assert_eq!(summaries().await.len(), 2);
    let check = app
        .post(
            &format!(
                "/api/v1/children/{child}/people/{}/checks",
                person.json["id"].as_str().unwrap()
            ),
            &police,
            json!({"outcome": "relevant_history", "summary": "violence", "occurred_at": "2007-03-01T00:00:00Z"}),
        )
        .await;
    assert_eq!(check.status, 201, "{}", check.text);
    assert_eq!(summaries().await.len(), 3);
}

/// The observations reviews keep asking for: stored, amended and read back like any field, refused
/// by name when malformed, and read by the rules that need them.
#[sqlx::test]
async fn attendance_announcement_voice_and_mobility_are_recorded_and_read_by_the_rules(db: PgPool) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    let contacts = format!("/api/v1/children/{}/contacts", case.child);
    let observed = json!({"occurred_at": "2006-08-28T10:00:00Z", "kind": "clinic_appointment",
        "summary": "Not brought to the eight-week check", "attendance": "was_not_brought",
        "announced": true, "child_spoken_to_alone": false, "independently_mobile": false});
    let first = case.contact(&app, "health", observed.clone()).await;
    let read = app
        .get(&format!("{contacts}/{first}"), &case.tokens["health"])
        .await;
    for field in [
        "attendance",
        "announced",
        "child_spoken_to_alone",
        "independently_mobile",
    ] {
        assert_eq!(read.json[field], observed[field], "{field}: {}", read.text);
    }
    let amended = app
        .post(
            &format!("{contacts}/{first}/amendments"),
            &case.tokens["health"],
            json!({"reason": "The mother cancelled by phone", "changes": {"attendance": "cancelled_by_carer"}}),
        )
        .await;
    assert_eq!(amended.status, 201, "{}", amended.text);
    let read = app
        .get(&format!("{contacts}/{first}"), &case.tokens["health"])
        .await;
    assert_eq!(
        read.json["attendance"], "cancelled_by_carer",
        "{}",
        read.text
    );
    assert_eq!(read.json["announced"], true);
    let unknown = app
        .post(
            &contacts,
            &case.tokens["health"],
            json!({"occurred_at": "2006-09-01T10:00:00Z", "kind": "clinic_appointment",
                   "summary": "s", "attendance": "did_not_attend"}),
        )
        .await;
    let problem = unknown.assert_problem(422);
    assert!(problem.to_string().contains("attendance"), "{problem}");
    // A second appointment the baby was not brought to, and a bruise at 181 days old.
    case.contact(
        &app,
        "health",
        json!({"occurred_at": "2006-08-29T09:00:00Z", "kind": "gp_appointment",
        "summary": "Not brought again", "attendance": "was_not_brought"}),
    )
    .await;
    let bruise = case
        .contact(
            &app,
            "social_care",
            json!({"occurred_at": "2006-08-29T12:00:00Z", "kind": "home_visit",
            "summary": "A bruise on the baby's cheek", "child_seen": true, "injuries": injury()}),
        )
        .await;
    let report = case
        .report(&app, &case.facilitator, "2006-12-31T00:00:00Z")
        .await;
    let infant = indicator(&report, "injury_to_non_mobile_infant");
    assert_eq!(infant["first_held_at"], "2006-08-29T12:00:00Z");
    assert_eq!(infant["evidence"][0]["entry_id"], bruise.as_str());
    assert_eq!(infant["visible_to_single_agency"]["social_care"], true);
    let not_brought = indicator(&report, "was_not_brought_pattern");
    assert_eq!(not_brought["first_held_at"], "2006-08-29T09:00:00Z");
    assert_eq!(not_brought["visible_to_single_agency"]["health"], true);
    // The day before, neither had held.
    let before = case
        .report(&app, &case.facilitator, "2006-08-28T23:59:59Z")
        .await;
    assert!(!codes(&before).contains("injury_to_non_mobile_infant"));
    assert!(!codes(&before).contains("was_not_brought_pattern"));
}

/// A deployment that narrows a window sees it in the report: the rule reads the setting, and the
/// report says which settings it used.
#[sqlx::test]
async fn a_changed_window_changes_the_report_and_the_report_says_so(db: PgPool) {
    let mut rules = mash::record::settings::RuleConfig::from_vars([(
        "MASH_RULE_SEVERAL_AGENCIES_WINDOW".to_string(),
        "30".to_string(),
    )])
    .unwrap();
    rules.unseen_minimum = 3;
    let app = crate::helpers::spawn_with(
        db,
        mash::config::ServeSettings {
            rules,
            ..crate::helpers::settings()
        },
    )
    .await;
    let case = Case::new(&app).await;
    let bruise = |at: &str| json!({"occurred_at": at, "kind": "home_visit", "summary": "bruise", "injuries": injury()});
    case.contact(&app, "health", bruise("2007-01-01T00:00:00Z"))
        .await;
    case.contact(&app, "social_care", bruise("2007-03-31T00:00:00Z"))
        .await;
    let report = case
        .report(&app, &case.facilitator, "2007-12-31T00:00:00Z")
        .await;
    assert!(
        !codes(&report).contains("injuries_seen_by_several_agencies"),
        "89 days apart, beyond a 30-day window: {report}"
    );
    assert_eq!(report["settings"]["values"]["several_agencies_window"], 30);
    assert_eq!(report["settings"]["values"]["unseen_minimum"], 3);
    assert_eq!(
        report["settings"]["changed_from_default"],
        json!(["several_agencies_window"])
    );
    case.contact(&app, "police", bruise("2007-04-20T00:00:00Z"))
        .await;
    let report = case
        .report(&app, &case.facilitator, "2007-12-31T00:00:00Z")
        .await;
    assert_eq!(
        indicator(&report, "injuries_seen_by_several_agencies")["first_held_at"],
        "2007-04-20T00:00:00Z"
    );
}

/// `mash rules` lists every window and threshold with its value and default; a misspelt or
/// out-of-range `MASH_RULE_*` stops it (and `mash serve`) with the variable named.
#[test]
fn mash_rules_lists_the_settings_and_refuses_a_bad_one() {
    let run = |vars: &[(&str, &str)]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_mash"))
            .arg("rules")
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).to_string(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (code, out, _) = run(&[("MASH_RULE_UNSEEN_WINDOW", "60")]);
    assert_eq!(code, Some(0));
    assert_eq!(
        out.lines().count(),
        1 + mash::record::settings::SETTINGS.len()
    );
    let unseen = out
        .lines()
        .find(|l| l.starts_with("unseen_window "))
        .unwrap();
    assert!(
        unseen.contains("60*") && unseen.contains("90") && unseen.contains("15"),
        "{unseen}"
    );
    let (code, _, err) = run(&[("MASH_RULE_UNSEEN_WINDOWS", "60")]);
    assert_eq!(code, Some(1));
    assert!(err.contains("MASH_RULE_UNSEEN_WINDOWS"), "{err}");
}
