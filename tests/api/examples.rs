//! The contract's request examples are requests the service takes: each operation with a body is
//! sent its own documented example, in a real context (a child, a referral, a plan… made for it,
//! whose ids and secrets replace the example's), and must get its documented success. A body the
//! contract documents and the server refuses fails here, as a client generated from it would.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{Reply, TestApp, spawn};

use crate::conformance::{CONTRACT, resolve};

/// Every operation that takes a body: (operation id, method, its documented example, its
/// documented success statuses).
fn with_bodies() -> Vec<(String, String, Option<Value>, Vec<u16>)> {
    let mut out = Vec::new();
    for operations in CONTRACT["paths"].as_object().unwrap().values() {
        for (method, operation) in operations.as_object().unwrap() {
            let body = resolve(&operation["requestBody"]);
            if body.is_null() {
                continue;
            }
            let content = &body["content"]["application/json"];
            let schema = resolve(&content["schema"]);
            let example = content["example"]
                .as_object()
                .map(|_| content["example"].clone())
                .or_else(|| (!schema["example"].is_null()).then(|| schema["example"].clone()));
            let successes = operation["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter_map(|s| s.parse::<u16>().ok())
                .filter(|s| (200..300).contains(s))
                .collect();
            out.push((
                operation["operationId"].as_str().unwrap().to_string(),
                method.to_uppercase(),
                example,
                successes,
            ));
        }
    }
    out
}

#[test]
fn every_operation_with_a_body_documents_an_example() {
    let missing: Vec<String> = with_bodies()
        .into_iter()
        .filter(|(_, _, example, _)| example.is_none())
        .map(|(id, ..)| id)
        .collect();
    assert!(missing.is_empty(), "no request example: {missing:?}");
}

/// Sends operations their documented examples and keeps what they answer.
struct Examples {
    operations: Vec<(String, String, Option<Value>, Vec<u16>)>,
    sent: BTreeSet<String>,
}

impl Examples {
    fn new() -> Examples {
        let operations = with_bodies();
        Examples {
            operations,
            sent: BTreeSet::new(),
        }
    }

    /// `operation`'s example with `context`'s fields put over it (ids and secrets of the real
    /// context), sent to `path` as the user of `token`; it must get a documented success.
    async fn send(
        &mut self,
        app: &TestApp,
        operation: &str,
        path: &str,
        token: &str,
        context: Value,
        headers: &[(&str, String)],
    ) -> Reply {
        let (_, method, example, successes) = self
            .operations
            .iter()
            .find(|(id, ..)| id == operation)
            .unwrap_or_else(|| panic!("{operation} takes no body in the contract"))
            .clone();
        let mut body = example.unwrap_or_else(|| panic!("{operation} has no example"));
        for (field, value) in context.as_object().unwrap() {
            body[field] = value.clone();
        }
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = app
            .client
            .request(method.clone(), format!("{}{path}", app.base))
            .json(&body);
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let reply = TestApp::reply(method.clone(), request.send().await.unwrap()).await;
        crate::conformance::check_request(&method, path, reply.status.as_u16(), &body);
        assert!(
            successes.contains(&reply.status.as_u16()),
            "{operation}'s documented example got {}, not one of {successes:?}: {}\nbody: {body}",
            reply.status,
            reply.text
        );
        self.sent.insert(operation.to_string());
        reply
    }
}

impl Examples {
    /// `operation`'s example as it is, with no header.
    async fn plain(&mut self, app: &TestApp, operation: &str, path: &str, token: &str) -> Reply {
        self.send(app, operation, path, token, json!({}), &[]).await
    }
}

fn id(reply: &Reply) -> String {
    reply.json["id"].as_str().unwrap().to_string()
}

fn related(reply: &Reply, record_type: &str) -> String {
    reply.json["related"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["record_type"] == record_type)
        .unwrap_or_else(|| panic!("no {record_type} in {}", reply.text))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[sqlx::test]
async fn every_documented_request_example_is_accepted_in_a_real_context(db: PgPool) {
    mash::users::seed::seed_demo(&db).await.unwrap();
    let app = spawn(db).await;
    let mut ex = Examples::new();
    let facilitator = app.facilitator().await;
    let police = app.login("police_demo", "police-demo-pass").await;
    let health = app.login("health_demo", "health-demo-pass").await;
    let social = app.login("social_care_demo", "social-care-demo-pass").await;
    let legal = app.login("legal_demo", "legal-demo-pass").await;

    // Accounts and sessions.
    let user = ex
        .plain(&app, "createUser", "/api/v1/users", &facilitator)
        .await;
    ex.plain(
        &app,
        "updateUser",
        &format!("/api/v1/users/{}", id(&user)),
        &facilitator,
    )
    .await;
    let logged = ex.plain(&app, "login", "/api/v1/auth/login", "").await;
    ex.send(
        &app,
        "refreshSession",
        "/api/v1/auth/refresh",
        "",
        json!({"refresh_token": logged.json["refresh_token"]}),
        &[],
    )
    .await;

    // The record, and the process on it, in the examples' own order of events.
    let child = ex
        .plain(&app, "createChild", "/api/v1/children", &health)
        .await;
    let base = format!("/api/v1/children/{}", id(&child));
    ex.plain(
        &app,
        "createInvolvement",
        &format!("{base}/involvements"),
        &health,
    )
    .await;
    let contact = ex
        .plain(&app, "createContact", &format!("{base}/contacts"), &health)
        .await;
    ex.plain(
        &app,
        "amendContact",
        &format!("{base}/contacts/{}/amendments", id(&contact)),
        &health,
    )
    .await;
    let person = ex
        .plain(&app, "createPerson", &format!("{base}/people"), &social)
        .await;
    ex.plain(
        &app,
        "createCheck",
        &format!("{base}/people/{}/checks", id(&person)),
        &police,
    )
    .await;
    let referral = ex
        .plain(
            &app,
            "createReferral",
            &format!("{base}/referrals"),
            &health,
        )
        .await;
    let referral_path = format!("{base}/referrals/{}", id(&referral));
    ex.plain(
        &app,
        "acknowledgeReferral",
        &format!("{referral_path}/acknowledgement"),
        &social,
    )
    .await;
    let decided = ex
        .plain(
            &app,
            "decideReferral",
            &format!("{referral_path}/decision"),
            &social,
        )
        .await;
    let discussion = ex
        .plain(
            &app,
            "createStrategyDiscussion",
            &format!("{base}/strategy-discussions"),
            &social,
        )
        .await;
    let conference = ex
        .plain(
            &app,
            "createConference",
            &format!("{base}/conferences"),
            &social,
        )
        .await;
    let plan = related(&conference, "plan");
    let actions = app
        .get(&format!("{base}/plans/{plan}/actions"), &social)
        .await;
    let carers = actions.json["items"][0]["id"].as_str().unwrap().to_string();
    ex.plain(
        &app,
        "createCoreGroup",
        &format!("{base}/core-groups"),
        &social,
    )
    .await;
    ex.plain(
        &app,
        "createPlanAction",
        &format!("{base}/plans/{plan}/actions"),
        &social,
    )
    .await;
    ex.plain(
        &app,
        "concludeSection47Enquiry",
        &format!(
            "{base}/section-47-enquiries/{}/conclusion",
            related(&discussion, "section_47_enquiry")
        ),
        &social,
    )
    .await;
    ex.plain(
        &app,
        "markPlanAction",
        &format!("{base}/plans/{plan}/actions/{carers}/marks"),
        &social,
    )
    .await;
    ex.plain(
        &app,
        "completeAssessment",
        &format!(
            "{base}/assessments/{}/completion",
            related(&decided, "assessment")
        ),
        &social,
    )
    .await;
    let advice = ex
        .plain(
            &app,
            "createLegalPlanningMeeting",
            &format!("{base}/legal-planning-meetings"),
            &legal,
        )
        .await;
    let challenge = ex
        .send(
            &app,
            "createChallenge",
            &format!("{base}/challenges"),
            &health,
            json!({"entry_id": id(&advice)}),
            &[],
        )
        .await;
    ex.plain(
        &app,
        "respondToChallenge",
        &format!("{base}/challenges/{}/response", id(&challenge)),
        &legal,
    )
    .await;

    // Sharing: a restricted police contact disclosed to health, and police's refusal of it.
    let restricted = app
        .post(
            &format!("{base}/contacts"),
            &police,
            json!({"occurred_at": "2007-01-10T10:00:00Z", "kind": "police_interview",
                   "summary": "Informant's account", "visibility": "restricted"}),
        )
        .await;
    ex.send(
        &app,
        "createDisclosure",
        &format!("{base}/disclosures"),
        &health,
        json!({"contact_id": id(&restricted)}),
        &[],
    )
    .await;
    ex.send(
        &app,
        "createSharingRefusal",
        &format!("{base}/sharing-refusals"),
        &police,
        json!({"contact_id": id(&restricted)}),
        &[],
    )
    .await;
    let etag = app
        .get(&base, &health)
        .await
        .header("etag")
        .unwrap()
        .to_string();
    ex.send(
        &app,
        "updateChild",
        &base,
        &health,
        json!({}),
        &[("If-Match", etag)],
    )
    .await;
    ex.plain(
        &app,
        "setSharingMode",
        &format!("{base}/sharing-mode"),
        &facilitator,
    )
    .await;

    // A break-glass on a record police are not involved with, reviewed by a police manager.
    let (_, manager) = app.user("police_lead_ex", Some("police"), "manager").await;
    let other = app
        .post(
            "/api/v1/children",
            &health,
            json!({"given_name": "Other", "family_name": "Child", "date_of_birth": "2015-01-01"}),
        )
        .await;
    let glass = ex
        .plain(
            &app,
            "breakGlass",
            &format!("/api/v1/children/{}/break-glass", id(&other)),
            &police,
        )
        .await;
    ex.plain(
        &app,
        "reviewBreakGlass",
        &format!("/api/v1/break-glass/{}/review", id(&glass)),
        &manager,
    )
    .await;

    // An exercise: created, advanced, a team's decision, a team reset.
    let exercise = ex
        .plain(&app, "createExercise", "/api/v1/exercises", &facilitator)
        .await;
    let eid = id(&exercise);
    ex.plain(
        &app,
        "advanceExercise",
        &format!("/api/v1/exercises/{eid}/advance"),
        &facilitator,
    )
    .await;
    let trainee = exercise.json["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == 1)
        .and_then(|t| {
            t["accounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["agency"] == "police")
        })
        .unwrap_or_else(|| panic!("no police trainee in team 1: {}", exercise.text));
    let trainee = app
        .login(
            trainee["username"].as_str().unwrap(),
            trainee["password"].as_str().unwrap(),
        )
        .await;
    ex.plain(
        &app,
        "createExerciseDecision",
        &format!("/api/v1/exercises/{eid}/decisions"),
        &trainee,
    )
    .await;
    ex.plain(
        &app,
        "resetExercise",
        &format!("/api/v1/exercises/{eid}/reset"),
        &facilitator,
    )
    .await;

    // Last, as it ends the session: the demo user's own new password.
    ex.plain(&app, "changeOwnPassword", "/api/v1/me/password", &police)
        .await;

    let all: BTreeSet<String> = ex.operations.iter().map(|(id, ..)| id.clone()).collect();
    let unsent: Vec<&String> = all.difference(&ex.sent).collect();
    assert!(unsent.is_empty(), "examples never sent: {unsent:?}");
}
