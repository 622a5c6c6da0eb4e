//! The safeguarding process over HTTP: referrals and their decisions, strategy discussions,
//! enquiries, assessments, conferences, plans and their actions, legal planning meetings; who may
//! record each; state changes as appended events; and the process everywhere the record is read.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{Reply, TestApp, spawn};

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
                app.user(&format!("{agency}_p"), Some(agency), "practitioner")
                    .await
                    .1,
            );
        }
        let r = app
            .post(
                "/api/v1/children",
                &tokens["social_care"],
                json!({"given_name": "Peter", "family_name": "C", "date_of_birth": "2006-03-01"}),
            )
            .await;
        Case {
            child: r.json["id"].as_str().unwrap().to_string(),
            tokens,
            facilitator: app.facilitator().await,
        }
    }

    fn path(&self, rest: &str) -> String {
        if rest.is_empty() {
            return format!("/api/v1/children/{}", self.child);
        }
        format!("/api/v1/children/{}/{rest}", self.child)
    }

    async fn post(&self, app: &TestApp, agency: &str, rest: &str, body: Value) -> Reply {
        app.post(&self.path(rest), &self.tokens[agency], body).await
    }

    async fn created(&self, app: &TestApp, agency: &str, rest: &str, body: Value) -> Value {
        let r = self.post(app, agency, rest, body).await;
        assert_eq!(r.status, 201, "{rest}: {}", r.text);
        r.json
    }

    async fn get(&self, app: &TestApp, rest: &str) -> Value {
        let r = app.get(&self.path(rest), &self.facilitator).await;
        assert_eq!(r.status, 200, "{rest}: {}", r.text);
        r.json
    }
}

fn referral(at: &str) -> Value {
    json!({"occurred_at": at, "referrer": "professional", "summary": "Bruising to the face",
           "concern_level": "high", "concern_categories": ["physical_injury"]})
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

#[sqlx::test]
async fn a_referral_is_decided_once_by_the_receiving_agency_and_reads_as_it_stood(db: PgPool) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    let made = case
        .created(
            &app,
            "police",
            "referrals",
            referral("2007-03-05T10:00:00Z"),
        )
        .await;
    assert_eq!(
        (
            &made["state"],
            &made["from_agency"],
            &made["to_agency"],
            &made["record_type"]
        ),
        (
            &json!("received"),
            &json!("police"),
            &json!("social_care"),
            &json!("referral")
        )
    );
    let r = id(&made);
    // Police made it; only social care, which received it, acknowledges and decides it.
    let refused = case
        .post(&app, "police", &format!("referrals/{r}/decision"),
              json!({"occurred_at": "2007-03-05T12:00:00Z", "decision": "no_further_action", "reason": "r"}))
        .await;
    assert!(
        refused.assert_problem(403)["detail"]
            .as_str()
            .unwrap()
            .contains("social care")
    );
    let early = case
        .post(&app, "social_care", &format!("referrals/{r}/decision"),
              json!({"occurred_at": "2007-03-04T12:00:00Z", "decision": "no_further_action", "reason": "r"}))
        .await;
    assert_eq!(early.assert_problem(422)["field"], "occurred_at");
    let acknowledged = case
        .created(
            &app,
            "social_care",
            &format!("referrals/{r}/acknowledgement"),
            json!({"occurred_at": "2007-03-05T11:00:00Z"}),
        )
        .await;
    assert_eq!(acknowledged["state"], "acknowledged");
    let decided = case
        .created(
            &app,
            "social_care",
            &format!("referrals/{r}/decision"),
            json!({"occurred_at": "2007-03-07T09:00:00Z", "decision": "child_in_need_assessment",
                        "reason": "Needs assessing"}),
        )
        .await;
    assert_eq!(decided["state"], "decided");
    assert_eq!(decided["history"].as_array().unwrap().len(), 2);
    assert_eq!(decided["history"][1]["event"], "decided");
    assert_eq!(decided["history"][1]["agency"], "social_care");
    // The decision started an assessment.
    assert_eq!(decided["related"][0]["record_type"], "assessment");
    let again = case
        .post(
            &app,
            "social_care",
            &format!("referrals/{r}/decision"),
            json!({"occurred_at": "2007-03-08T09:00:00Z", "decision": "early_help", "reason": "r"}),
        )
        .await;
    again.assert_problem(409);
    let late_ack = case
        .post(
            &app,
            "social_care",
            &format!("referrals/{r}/acknowledgement"),
            json!({"occurred_at": "2007-03-08T09:00:00Z"}),
        )
        .await;
    late_ack.assert_problem(409);

    // As of the day before the decision, it is acknowledged and undecided, and no assessment yet.
    let before = case
        .get(&app, &format!("referrals/{r}?as_of=2007-03-06T12:00:00Z"))
        .await;
    assert_eq!(before["state"], "acknowledged");
    assert_eq!(before["related"], json!([]));
    let listed = case.get(&app, "referrals?as_of=2007-03-06T12:00:00Z").await;
    assert_eq!(listed["items"][0]["state"], "acknowledged");
    let assessments = case.get(&app, "assessments").await;
    assert_eq!(assessments["items"][0]["state"], "in_progress");
    assert_eq!(assessments["items"][0]["referral_id"], json!(r));
    // The decision was two working days after receipt: rule 10 holds from Tuesday night.
    let report = case.get(&app, "gap-report").await;
    let late = report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "referral_not_decided_in_time")
        .expect("rule 10 holds");
    assert_eq!(late["first_held_at"], "2007-03-06T23:59:59.999999Z");
    assert_eq!(late["evidence"][0]["entry_type"], "referral");
}

#[sqlx::test]
async fn who_may_record_each_part_of_the_process(db: PgPool) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    // A lay referral is logged by the agency that received it.
    let lay = json!({"occurred_at": "2007-03-05T10:00:00Z", "referrer": "family", "summary": "Grandmother worried"});
    case.post(&app, "police", "referrals", lay.clone())
        .await
        .assert_problem(403);
    let logged = case.created(&app, "social_care", "referrals", lay).await;
    assert_eq!(
        (&logged["agency"], &logged["from_agency"]),
        (&json!("social_care"), &Value::Null)
    );
    // A professional does not refer to their own agency; facilitators record nothing.
    case.post(
        &app,
        "social_care",
        "referrals",
        referral("2007-03-05T10:00:00Z"),
    )
    .await
    .assert_problem(403);
    let r = app
        .post(
            &case.path("referrals"),
            &case.facilitator,
            referral("2007-03-05T10:00:00Z"),
        )
        .await;
    r.assert_problem(403);
    let discussion = json!({"occurred_at": "2007-03-06T10:00:00Z", "agencies": ["social_care", "police"],
                            "outcome": "no_enquiry", "summary": "s"});
    for agency in ["police", "health", "legal"] {
        let r = case
            .post(&app, agency, "strategy-discussions", discussion.clone())
            .await;
        assert!(
            r.assert_problem(403)["detail"]
                .as_str()
                .unwrap()
                .contains("only social care")
        );
        let r = case
            .post(&app, agency, "conferences", json!({"occurred_at": "2007-03-06T10:00:00Z",
                  "conference_type": "initial", "agencies": ["police"], "decision": "no_plan", "summary": "s"}))
            .await;
        r.assert_problem(403);
    }
    let meeting = json!({"occurred_at": "2007-03-06T10:00:00Z", "advice": "threshold_not_met", "summary": "s"});
    case.post(
        &app,
        "social_care",
        "legal-planning-meetings",
        meeting.clone(),
    )
    .await
    .assert_problem(403);
    let held = case
        .created(&app, "legal", "legal-planning-meetings", meeting)
        .await;
    assert_eq!(
        (&held["state"], &held["advice"]),
        (&json!("held"), &json!("threshold_not_met"))
    );
    // Bad input names its field.
    let bad = case
        .post(&app, "social_care", "strategy-discussions",
              json!({"occurred_at": "2007-03-06T10:00:00Z", "agencies": [], "outcome": "no_enquiry", "summary": "s"}))
        .await;
    assert_eq!(bad.assert_problem(422)["field"], "agencies");
    let unknown = case
        .post(&app, "social_care", "strategy-discussions",
              json!({"occurred_at": "2007-03-06T10:00:00Z", "agencies": ["police"], "outcome": "no_enquiry",
                     "summary": "s", "referral_id": uuid::Uuid::new_v4()}))
        .await;
    assert_eq!(unknown.assert_problem(422)["field"], "referral_id");
}

#[sqlx::test]
async fn an_enquiry_is_started_by_a_discussion_and_concluded_once(db: PgPool) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    let d = case
        .created(&app, "social_care", "strategy-discussions",
                 json!({"occurred_at": "2007-03-06T10:00:00Z", "agencies": ["social_care", "police", "health"],
                        "outcome": "section_47_enquiry", "actions": ["Police to interview the mother"],
                        "summary": "Joint investigation"}))
        .await;
    assert_eq!(d["related"][0]["record_type"], "section_47_enquiry");
    let enquiry = d["related"][0]["id"].as_str().unwrap().to_string();
    let listed = case.get(&app, "section-47-enquiries").await;
    assert_eq!(
        (
            &listed["items"][0]["state"],
            &listed["items"][0]["strategy_discussion_id"]
        ),
        (&json!("open"), &d["id"])
    );
    let conclusion = json!({"occurred_at": "2007-03-20T10:00:00Z", "conclusion": "not_substantiated", "reason": "r"});
    case.post(
        &app,
        "police",
        &format!("section-47-enquiries/{enquiry}/conclusion"),
        conclusion.clone(),
    )
    .await
    .assert_problem(403);
    let concluded = case
        .created(
            &app,
            "social_care",
            &format!("section-47-enquiries/{enquiry}/conclusion"),
            conclusion.clone(),
        )
        .await;
    assert_eq!(concluded["state"], "concluded");
    case.post(
        &app,
        "social_care",
        &format!("section-47-enquiries/{enquiry}/conclusion"),
        conclusion,
    )
    .await
    .assert_problem(409);
    // No enquiry of that id on this record: 404.
    case.post(&app, "social_care", &format!("section-47-enquiries/{}/conclusion", d["id"].as_str().unwrap()),
              json!({"occurred_at": "2007-03-20T10:00:00Z", "conclusion": "not_substantiated", "reason": "r"}))
        .await
        .assert_problem(404);
    // The initial conference clock was stopped by the conclusion.
    let t = case.get(&app, "timescales").await;
    let initial = t["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["clock"] == "initial_conference")
        .unwrap();
    assert_eq!(
        (&initial["state"], &initial["due_at"]),
        (&json!("stopped"), &json!("2007-03-27T23:59:59.999999Z"))
    );
    let earlier = case
        .get(&app, "timescales?as_of=2007-03-19T00:00:00Z")
        .await;
    assert_eq!(
        earlier["clocks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["clock"] == "initial_conference")
            .unwrap()["state"],
        "running"
    );
}

#[sqlx::test]
async fn a_conference_makes_the_plan_and_the_childs_status_follows_it(db: PgPool) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    case.post(&app, "social_care", "conferences",
              json!({"occurred_at": "2007-03-01T10:00:00Z", "conference_type": "review", "agencies": ["social_care"],
                     "decision": "plan_continues", "summary": "s"}))
        .await
        .assert_problem(409);
    let no_category = case
        .post(&app, "social_care", "conferences",
              json!({"occurred_at": "2007-03-01T10:00:00Z", "conference_type": "initial", "agencies": ["social_care"],
                     "decision": "plan", "summary": "s"}))
        .await;
    assert_eq!(no_category.assert_problem(422)["field"], "category");
    let wrong = case
        .post(&app, "social_care", "conferences",
              json!({"occurred_at": "2007-03-01T10:00:00Z", "conference_type": "initial", "agencies": ["social_care"],
                     "decision": "plan_ends", "summary": "s"}))
        .await;
    assert_eq!(wrong.assert_problem(422)["field"], "decision");
    let conference = case
        .created(&app, "social_care", "conferences",
                 json!({"occurred_at": "2007-03-01T10:00:00Z", "conference_type": "initial",
                        "agencies": ["social_care", "police", "health"], "decision": "plan", "category": "physical_abuse",
                        "summary": "Registered", "actions": [
                            {"description": "Take the child to nursery daily", "owner": "carers", "due_date": "2007-03-30"},
                            {"description": "Weigh the child", "owner": "health", "due_date": "2007-03-16"}]}))
        .await;
    assert_eq!(conference["related"][0]["record_type"], "plan");
    let plan = conference["related"][0]["id"].as_str().unwrap().to_string();
    let child = case.get(&app, "").await;
    assert_eq!(child["status"], "child_protection_plan");
    case.post(&app, "social_care", "conferences",
              json!({"occurred_at": "2007-03-02T10:00:00Z", "conference_type": "initial", "agencies": ["social_care"],
                     "decision": "plan", "category": "neglect", "summary": "s"}))
        .await
        .assert_problem(409);
    let plans = case.get(&app, "plans").await;
    assert_eq!(
        (&plans["items"][0]["state"], &plans["items"][0]["category"]),
        (&json!("active"), &json!("physical_abuse"))
    );
    let actions = case.get(&app, &format!("plans/{plan}/actions")).await;
    let actions = actions["items"].as_array().unwrap();
    let by_owner = |owner: &str| id(actions.iter().find(|a| a["owner"] == owner).unwrap());
    let (carers, health) = (by_owner("carers"), by_owner("health"));

    // The carers' action is social care's to mark, the health one health's.
    let mark = |status: &str, at: &str| json!({"occurred_at": at, "status": status, "note": "n"});
    case.post(
        &app,
        "health",
        &format!("plans/{plan}/actions/{carers}/marks"),
        mark("done", "2007-03-10T10:00:00Z"),
    )
    .await
    .assert_problem(403);
    let not_done = case
        .created(
            &app,
            "social_care",
            &format!("plans/{plan}/actions/{carers}/marks"),
            mark("not_done", "2007-03-20T10:00:00Z"),
        )
        .await;
    assert_eq!(not_done["state"], "not_done");
    let done = case
        .created(
            &app,
            "social_care",
            &format!("plans/{plan}/actions/{carers}/marks"),
            mark("done", "2007-04-02T10:00:00Z"),
        )
        .await;
    assert_eq!(done["state"], "done");
    case.post(
        &app,
        "social_care",
        &format!("plans/{plan}/actions/{carers}/marks"),
        mark("done", "2007-04-03T10:00:00Z"),
    )
    .await
    .assert_problem(409);
    case.created(
        &app,
        "health",
        &format!("plans/{plan}/actions/{health}/marks"),
        mark("done", "2007-03-16T10:00:00Z"),
    )
    .await;
    // A later action, on the plan in force.
    case.created(
        &app,
        "social_care",
        &format!("plans/{plan}/actions"),
        json!({"occurred_at": "2007-03-05T10:00:00Z", "description": "Attend parenting class",
                        "owner": "carers", "due_date": "2007-04-30"}),
    )
    .await;
    let t = case
        .get(&app, "timescales?as_of=2007-04-05T00:00:00Z")
        .await;
    let states: Vec<(String, String)> = t["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["clock"].as_str().unwrap().into(),
                c["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        states.contains(&("plan_action".into(), "met_late".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("plan_action".into(), "met".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("core_group".into(), "overdue".into())),
        "{states:?}"
    );
    assert!(
        states.contains(&("review_conference".into(), "running".into())),
        "{states:?}"
    );
    // The core group clock ran out on 15 March: rule 13.
    let report = case
        .get(&app, "gap-report?as_of=2007-04-05T00:00:00Z")
        .await;
    let missed = report["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "statutory_timescale_missed")
        .unwrap();
    assert_eq!(missed["first_held_at"], "2007-03-15T23:59:59.999999Z");

    // A review ends the plan: the child is back to child in need from that moment.
    case.created(&app, "social_care", "conferences",
                 json!({"occurred_at": "2007-05-25T10:00:00Z", "conference_type": "review", "agencies": ["social_care"],
                        "decision": "plan_ends", "summary": "s"}))
        .await;
    assert_eq!(case.get(&app, "").await["status"], "child_in_need");
    assert_eq!(case.get(&app, "plans").await["items"][0]["state"], "ended");
    assert_eq!(
        case.get(&app, "plans?as_of=2007-05-01T00:00:00Z").await["items"][0]["state"],
        "active"
    );
    case.post(&app, "social_care", &format!("plans/{plan}/actions"),
              json!({"occurred_at": "2007-05-26T10:00:00Z", "description": "x", "owner": "carers", "due_date": "2007-06-30"}))
        .await
        .assert_problem(409);
}

#[sqlx::test]
async fn the_process_is_on_the_chronology_and_in_the_concerns_and_siloed_like_the_rest(db: PgPool) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    let r = id(&case
        .created(
            &app,
            "police",
            "referrals",
            referral("2007-03-05T10:00:00Z"),
        )
        .await);
    case.created(&app, "social_care", &format!("referrals/{r}/decision"),
                 json!({"occurred_at": "2007-03-05T15:00:00Z", "decision": "strategy_discussion", "reason": "r"}))
        .await;
    case.created(
        &app,
        "social_care",
        "strategy-discussions",
        json!({"occurred_at": "2007-03-06T10:00:00Z", "agencies": ["social_care", "police"],
                        "outcome": "no_enquiry", "summary": "Agreed no enquiry", "referral_id": r}),
    )
    .await;
    let chronology = case.get(&app, "chronology").await;
    let kinds: Vec<(&str, &str)> = chronology["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["entry_type"].as_str().unwrap(),
                i["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("referral", "referral"),
            ("process_event", "referral_decided"),
            ("assessment", "assessment"),
            ("strategy_discussion", "strategy_discussion"),
        ]
    );
    let before = case
        .get(&app, "chronology?as_of=2007-03-05T12:00:00Z")
        .await;
    assert_eq!(before["items"].as_array().unwrap().len(), 1);
    let concerns = case.get(&app, "concerns").await;
    assert_eq!(concerns["agencies"][0]["agency"], "police");
    assert_eq!(concerns["agencies"][0]["highest_concern_level"], "high");
    assert_eq!(concerns["agencies"][0]["latest_entry"]["kind"], "referral");

    // Siloed: police see their referral but not social care's discussion; social care sees the
    // referral made to it.
    let r2 = app
        .request(
            Method::PUT,
            &case.path("sharing-mode"),
            Some(&case.facilitator),
            Some(json!({"mode": "siloed"})),
        )
        .await;
    assert_eq!(r2.status, 200, "{}", r2.text);
    let police = app
        .get(&case.path("strategy-discussions"), &case.tokens["police"])
        .await;
    assert_eq!(police.json["items"], json!([]));
    // Police see their referral, but not social care's decision on it.
    let police_view = app
        .get(&case.path("chronology"), &case.tokens["police"])
        .await;
    assert_eq!(police_view.json["items"].as_array().unwrap().len(), 1);
    let police_referral = app
        .get(
            &case.path(&format!("referrals/{r}")),
            &case.tokens["police"],
        )
        .await;
    assert_eq!(
        (
            &police_referral.json["state"],
            &police_referral.json["history"]
        ),
        (&json!("received"), &json!([]))
    );
    let log = app
        .get(&case.path("access-log?limit=500"), &case.tokens["police"])
        .await;
    let actions: Vec<&str> = log.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"referral.create"), "{actions:?}");
    assert!(
        !actions.contains(&"strategy_discussion.create"),
        "{actions:?}"
    );
    let sc_log = app
        .get(
            &case.path("access-log?limit=500"),
            &case.tokens["social_care"],
        )
        .await;
    assert!(
        sc_log.text.contains("referral.create")
            && sc_log.text.contains("strategy_discussion.create")
    );
    let sc = app
        .get(&case.path("referrals"), &case.tokens["social_care"])
        .await;
    assert_eq!(sc.json["items"].as_array().unwrap().len(), 1);
    app.break_glass(&case.child, &case.tokens["health"]).await;
    let health = app
        .get(&case.path("referrals"), &case.tokens["health"])
        .await;
    assert_eq!(health.json["items"], json!([]));
    app.get(
        &case.path(&format!("referrals/{r}")),
        &case.tokens["health"],
    )
    .await
    .assert_problem(404);

    // A record whose only other-agency entry is social care's decision on a police referral: the
    // decision stays out of the police view kept between requests too.
    let other = Case {
        child: app
            .post(
                "/api/v1/children",
                &case.tokens["police"],
                json!({"given_name": "A", "family_name": "B", "date_of_birth": "2006-03-01"}),
            )
            .await
            .json["id"]
            .as_str()
            .unwrap()
            .to_string(),
        tokens: case.tokens.clone(),
        facilitator: case.facilitator.clone(),
    };
    let r = id(&other
        .created(
            &app,
            "police",
            "referrals",
            referral("2007-03-05T10:00:00Z"),
        )
        .await);
    other
        .created(&app, "social_care", &format!("referrals/{r}/decision"),
                 json!({"occurred_at": "2007-03-05T15:00:00Z", "decision": "no_further_action", "reason": "r"}))
        .await;
    app.request(
        Method::PUT,
        &other.path("sharing-mode"),
        Some(&case.facilitator),
        Some(json!({"mode": "siloed"})),
    )
    .await;
    for _ in 0..2 {
        let seen = app
            .get(&other.path("chronology"), &case.tokens["police"])
            .await;
        assert_eq!(
            seen.json["items"].as_array().unwrap().len(),
            1,
            "{}",
            seen.text
        );
    }
    let report = app
        .get(&other.path("gap-report"), &case.tokens["police"])
        .await;
    assert_eq!(
        report.json["indicators"][0]["code"],
        "referral_not_decided_in_time"
    );
}

#[sqlx::test]
async fn process_records_are_audited_replayable_and_never_changed(db: PgPool) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    let post = |key: &'static str| {
        app.client
            .post(format!("{}{}", app.base, case.path("referrals")))
            .bearer_auth(&case.tokens["health"])
            .header("Idempotency-Key", key)
            .json(&referral("2007-03-05T10:00:00Z"))
            .send()
    };
    let first = TestApp::reply(Method::POST, post("ref-1").await.unwrap()).await;
    let again = TestApp::reply(Method::POST, post("ref-1").await.unwrap()).await;
    assert_eq!(
        (first.status.as_u16(), again.json["id"].clone()),
        (201, first.json["id"].clone())
    );
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM process_records")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let r = id(&first.json);
    case.created(&app, "social_care", &format!("referrals/{r}/decision"),
                 json!({"occurred_at": "2007-03-05T15:00:00Z", "decision": "no_further_action", "reason": "r"}))
        .await;
    let audit = app
        .get(
            &format!("/api/v1/audit?child_id={}", case.child),
            &case.facilitator,
        )
        .await;
    let actions: Vec<&str> = audit.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"referral.create") && actions.contains(&"referral.decide"),
        "{actions:?}"
    );
    let uuid: uuid::Uuid = r.parse().unwrap();
    for sql in [
        "UPDATE process_records SET occurred_at = now() WHERE id = $1",
        "DELETE FROM process_records WHERE id = $1",
        "UPDATE process_events SET occurred_at = now() WHERE record_id = $1",
        "DELETE FROM process_events WHERE record_id = $1",
    ] {
        let err = sqlx::query(sql)
            .bind(uuid)
            .execute(&app.db)
            .await
            .expect_err(sql);
        assert!(
            err.to_string().contains("never updated or deleted"),
            "{sql}: {err}"
        );
    }
}

#[sqlx::test]
async fn a_restricted_process_record_is_a_stub_to_other_agencies_but_not_to_its_receiver(
    db: PgPool,
) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    let mut restricted = referral("2007-03-05T10:00:00Z");
    restricted["visibility"] = json!("restricted");
    let made = case.created(&app, "police", "referrals", restricted).await;
    assert_eq!(made["visibility"], "restricted");
    let r = id(&made);
    // The receiving agency sees it in full and decides it; health sees that it exists.
    let sc = app
        .get(
            &case.path(&format!("referrals/{r}")),
            &case.tokens["social_care"],
        )
        .await;
    assert_eq!(sc.json["summary"], "Bruising to the face");
    case.created(&app, "social_care", &format!("referrals/{r}/decision"),
                 json!({"occurred_at": "2007-03-05T15:00:00Z", "decision": "no_further_action", "reason": "r"}))
        .await;
    app.break_glass(&case.child, &case.tokens["health"]).await;
    let health = app
        .get(
            &case.path(&format!("referrals/{r}")),
            &case.tokens["health"],
        )
        .await;
    assert_eq!(
        health.json,
        json!({"id": r, "record_type": "referral", "agency": "police",
               "occurred_at": "2007-03-05T10:00:00Z", "restricted": true})
    );
    let listed = app
        .get(&case.path("referrals"), &case.tokens["health"])
        .await;
    assert_eq!(listed.json["items"][0]["restricted"], true);
    let chronology = app
        .get(&case.path("chronology"), &case.tokens["health"])
        .await;
    let items = chronology.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(
        (
            &items[0]["entry_type"],
            &items[0]["restricted"],
            &items[0]["summary"]
        ),
        (&json!("referral"), &json!(true), &Value::Null)
    );
    // Its concern is not health's to count; the facilitator's combined record has it all.
    let concerns = app
        .get(&case.path("concerns"), &case.tokens["health"])
        .await;
    assert_eq!(concerns.json["total"]["entries"], 0);
    let all = case.get(&app, "chronology").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 2);
    // A restricted strategy discussion of social care's is a stub to police.
    let mut discussion = json!({"occurred_at": "2007-03-06T10:00:00Z", "agencies": ["social_care"],
                                "outcome": "no_enquiry", "summary": "s", "visibility": "restricted"});
    discussion["referral_id"] = json!(r);
    case.created(&app, "social_care", "strategy-discussions", discussion)
        .await;
    // Police made the referral, which involves nobody but its receiver: social care brings them in.
    case.created(
        &app,
        "social_care",
        "involvements",
        json!({"agency": "police", "reason": "r"}),
    )
    .await;
    let police = app
        .get(&case.path("strategy-discussions"), &case.tokens["police"])
        .await;
    assert_eq!(police.json["items"][0]["restricted"], true);
}

#[sqlx::test]
async fn an_agency_challenges_another_and_an_unanswered_challenge_escalates(db: PgPool) {
    let app = spawn(db).await;
    let case = Case::new(&app).await;
    // A challenge needs sight of the entry: health and legal are brought in to work the case.
    app.involve_all(&case.child, &case.tokens["social_care"])
        .await;
    // Monday 23 July 2007: legal's advice; health challenges it the same day.
    let advice = case
        .created(
            &app,
            "legal",
            "legal-planning-meetings",
            json!({"occurred_at": "2007-07-23T09:00:00Z", "advice": "threshold_not_met",
                   "summary": "Not enough evidence"}),
        )
        .await;
    let body = |entry: &str, level: u8, at: &str| {
        json!({"occurred_at": at, "entry_id": entry, "level": level,
               "concern": "Two doctors found non-accidental injury"})
    };
    // Not one's own; only an entry of this record one may see; a level of the procedure; not
    // before the entry.
    let own = case
        .post(
            &app,
            "legal",
            "challenges",
            body(&id(&advice), 1, "2007-07-23T10:00:00Z"),
        )
        .await;
    own.assert_problem(403);
    let nowhere = case
        .post(
            &app,
            "health",
            "challenges",
            body(&uuid::Uuid::new_v4().to_string(), 1, "2007-07-23T10:00:00Z"),
        )
        .await;
    assert_eq!(nowhere.assert_problem(422)["field"], "entry_id");
    let level = case
        .post(
            &app,
            "health",
            "challenges",
            body(&id(&advice), 5, "2007-07-23T10:00:00Z"),
        )
        .await;
    assert_eq!(level.assert_problem(422)["field"], "level");
    let early = case
        .post(
            &app,
            "health",
            "challenges",
            body(&id(&advice), 1, "2007-07-22T10:00:00Z"),
        )
        .await;
    assert_eq!(early.assert_problem(422)["field"], "occurred_at");

    let raised = case
        .created(
            &app,
            "health",
            "challenges",
            body(&id(&advice), 1, "2007-07-23T10:00:00Z"),
        )
        .await;
    assert_eq!(raised["record_type"], "challenge");
    assert_eq!(raised["agency"], "health");
    assert_eq!(raised["challenged_agency"], "legal");
    assert_eq!(raised["entry_kind"], "legal_planning_meeting");
    assert_eq!(raised["state"], "open");

    // Unanswered: due at the end of Monday 30 July (5 working days), then escalated to level 2,
    // due at the end of Monday 6 August.
    let clocks = case
        .get(&app, "timescales?as_of=2007-08-10T00:00:00Z")
        .await;
    let challenge_clocks: Vec<(Value, Value, Value)> = clocks["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["clock"] == "challenge_response")
        .map(|c| (c["level"].clone(), c["due_at"].clone(), c["state"].clone()))
        .collect();
    assert_eq!(
        challenge_clocks,
        vec![
            (
                json!(1),
                json!("2007-07-30T23:59:59.999999Z"),
                json!("overdue")
            ),
            (
                json!(2),
                json!("2007-08-06T23:59:59.999999Z"),
                json!("overdue")
            ),
            (
                json!(3),
                json!("2007-08-20T23:59:59.999999Z"),
                json!("running")
            ),
        ]
    );
    let gap = case
        .get(&app, "gap-report?as_of=2007-08-10T00:00:00Z")
        .await;
    let unanswered = gap["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "challenge_unanswered")
        .expect("rule 21 holds");
    assert!(
        unanswered["first_held_at"]
            .as_str()
            .unwrap()
            .starts_with("2007-07-30T23:59:59")
    );

    // Only the challenged agency answers, once; the answer meets the clock then standing.
    let path = format!("challenges/{}/response", id(&raised));
    let answer = json!({"occurred_at": "2007-08-08T10:00:00Z", "response": "decision_changed",
                        "reason": "Reconsidered with both opinions: threshold met"});
    case.post(&app, "health", &path, answer.clone())
        .await
        .assert_problem(403);
    let answered = case.created(&app, "legal", &path, answer.clone()).await;
    assert_eq!(answered["state"], "answered");
    assert_eq!(answered["history"][0]["event"], "responded");
    case.post(&app, "legal", &path, answer)
        .await
        .assert_problem(409);
    let clocks = case
        .get(&app, "timescales?as_of=2007-08-10T00:00:00Z")
        .await;
    let states: Vec<&Value> = clocks["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["clock"] == "challenge_response")
        .map(|c| &c["state"])
        .collect();
    assert_eq!(
        states,
        [&json!("met_late"), &json!("met_late"), &json!("met")]
    );
    // On the chronology, as the challenge and its answer.
    let chronology = case.get(&app, "chronology").await;
    let kinds: Vec<&str> = chronology["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"challenge") && kinds.contains(&"challenge_responded"),
        "{kinds:?}"
    );
    let listed = case.get(&app, "challenges").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);

    // A referral is challenged for its decision: the receiving agency answers.
    let referral = case
        .created(
            &app,
            "police",
            "referrals",
            referral("2007-08-01T10:00:00Z"),
        )
        .await;
    let of_referral = case
        .created(
            &app,
            "health",
            "challenges",
            body(&id(&referral), 2, "2007-08-02T10:00:00Z"),
        )
        .await;
    assert_eq!(of_referral["challenged_agency"], "social_care");
    let raised_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'challenge.create' AND outcome = 'allowed'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(raised_events, 2);
}
