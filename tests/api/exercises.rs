//! Training exercises over HTTP: teams in closed workspaces, stages released by the service, scored
//! expectations, reset, end, and the room's debrief.

use std::collections::BTreeMap;

use mash::routes::ROUTES;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::helpers::{TestApp, spawn};

/// Creates an exercise of `teams` teams from a bundled scenario; answers its id and each
/// trainee's password by username, with the answer.
async fn create(app: &TestApp, facilitator: &str, scenario: &str, teams: u32) -> Value {
    let r = app
        .post(
            "/api/v1/exercises",
            facilitator,
            json!({"name": "Training day", "scenario": scenario, "teams": teams}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

/// Signs in every trainee: `tokens[team][agency]`.
async fn trainees(app: &TestApp, created: &Value) -> BTreeMap<u64, BTreeMap<String, String>> {
    let mut tokens: BTreeMap<u64, BTreeMap<String, String>> = BTreeMap::new();
    for team in created["teams"].as_array().unwrap() {
        for a in team["accounts"].as_array().unwrap() {
            let token = app
                .login(
                    a["username"].as_str().unwrap(),
                    a["password"].as_str().unwrap(),
                )
                .await;
            tokens
                .entry(a["team"].as_u64().unwrap())
                .or_default()
                .insert(a["agency"].as_str().unwrap().to_string(), token);
        }
    }
    tokens
}

/// Releases the next stage; answers the exercise as it then stands.
async fn advance(app: &TestApp, facilitator: &str, id: &str) -> Value {
    let r = app
        .post(
            &format!("/api/v1/exercises/{id}/advance"),
            facilitator,
            json!({}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["kind"], "advanced");
    app.get(&format!("/api/v1/exercises/{id}"), facilitator)
        .await
        .json
}

fn team_child(view: &Value, number: u64) -> String {
    view["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == number)
        .unwrap()["child_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn outcome(scores: &Value, team: u64, expectation: &str) -> String {
    let position = scores["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .position(|e| e["id"] == expectation)
        .unwrap();
    let t = scores["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["team"] == team)
        .unwrap();
    t["results"][position]["outcome"]
        .as_str()
        .unwrap()
        .to_string()
}

#[sqlx::test]
async fn a_training_day_runs_from_the_service_isolated_scored_reset_ended_and_debriefed(
    db: PgPool,
) {
    let app = spawn(db.clone()).await;
    let facilitator = app.facilitator().await;

    // Bad requests name their field.
    let r = app
        .post(
            "/api/v1/exercises",
            &facilitator,
            json!({"name": "x", "scenario": "no-such-case", "teams": 2}),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "scenario");
    let r = app
        .post(
            "/api/v1/exercises",
            &facilitator,
            json!({"name": "x", "scenario": "child-p-2006-2007", "teams": 13}),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "teams");
    let r = app
        .post(
            "/api/v1/exercises",
            &facilitator,
            json!({"name": "x", "scenario_yaml": "name: [", "teams": 1}),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "scenario_yaml");
    let r = app
        .post(
            "/api/v1/exercises",
            &facilitator,
            json!({"name": "x", "scenario_yaml": "#".repeat(50_001), "teams": 1}),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "scenario_yaml");
    let (_, outsider) = app
        .user("outside_police", Some("police"), "practitioner")
        .await;
    app.post(
        "/api/v1/exercises",
        &outsider,
        json!({"name": "x", "scenario": "child-p-2006-2007", "teams": 1}),
    )
    .await
    .assert_problem(403);

    // Three teams from the case: twelve trainees, shown once, also as a sheet.
    let created = create(&app, &facilitator, "child-p-2006-2007", 3).await;
    let id = created["id"].as_str().unwrap().to_string();
    let csv = created["credentials_csv"].as_str().unwrap();
    // A heading, then one trainee per agency in each team.
    let agencies = mash::vocabulary::Agency::ALL.len();
    assert_eq!(csv.lines().count(), 1 + 3 * agencies, "{csv}");
    assert_eq!(csv.lines().next(), Some("team,agency,username,password"));
    let passwords: std::collections::BTreeSet<&str> = created["teams"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["accounts"].as_array().unwrap())
        .map(|a| a["password"].as_str().unwrap())
        .collect();
    assert_eq!(passwords.len(), 3 * agencies);
    let tokens = trainees(&app, &created).await;
    let base = format!("/api/v1/exercises/{id}");

    let ready = app.get(&base, &facilitator).await;
    assert_eq!(ready.status, 200);
    assert_eq!(ready.json["state"], "ready");
    assert_eq!(ready.json["checkpoint_count"], 8);
    let children: Vec<String> = (1..=3).map(|n| team_child(&ready.json, n)).collect();
    assert_eq!(
        children
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        3
    );

    // Stage 1: the service plays the case up to its first checkpoint into every team's record.
    let view = advance(&app, &facilitator, &id).await;
    assert_eq!(view["state"], "running");
    assert_eq!(view["checkpoints_released"], 1);
    assert_eq!(view["clock"], "2006-12-22T12:00:00Z");
    assert_eq!(
        view["checkpoint"]["title"],
        "On the child protection register"
    );
    for team in view["teams"].as_array().unwrap() {
        assert_eq!(team["checkpoints_reached"], 1);
        assert_eq!(team["score"]["possible"], 6);
    }
    // A trainee sees their own team and the checkpoint's question, nobody else's team or score.
    let mine = app.get(&base, &tokens[&1]["health"]).await;
    assert_eq!(mine.status, 200);
    assert_eq!(mine.json["teams"].as_array().unwrap().len(), 1);
    assert_eq!(mine.json["teams"][0]["number"], 1);
    assert!(mine.json["teams"][0].get("score").is_none());
    assert!(
        mine.json["checkpoint"]["question"]
            .as_str()
            .unwrap()
            .contains("partner")
    );
    app.get(&base, &outsider).await.assert_problem(404);
    app.get(&format!("{base}/scores"), &tokens[&1]["police"])
        .await
        .assert_problem(403);

    // Isolation: each team finds only its own record; nobody else finds it at all.
    for team in 1..=3u64 {
        let own = &children[usize::try_from(team - 1).unwrap()];
        for (agency, token) in &tokens[&team] {
            let found = app.get("/api/v1/children?limit=100", token).await;
            assert_eq!(found.status, 200);
            let ids: Vec<&str> = found.json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap())
                .collect();
            assert_eq!(ids, vec![own.as_str()], "team {team} {agency}");
            for (other, child) in children.iter().enumerate() {
                if child != own {
                    app.get(&format!("/api/v1/children/{child}/chronology"), token)
                        .await
                        .assert_problem(404);
                    app.post(
                        &format!("/api/v1/children/{child}/contacts"),
                        token,
                        json!({"occurred_at": "2006-12-23T10:00:00Z", "kind": "phone_call",
                               "summary": format!("team {team} writing into team {}", other + 1)}),
                    )
                    .await
                    .assert_problem(404);
                }
            }
        }
    }
    for child in &children {
        app.get(&format!("/api/v1/children/{child}"), &outsider)
            .await
            .assert_problem(404);
    }
    // Searched by the team's child's own name and date of birth, nothing is found outside.
    let theirs = app
        .get(&format!("/api/v1/children/{}", children[0]), &facilitator)
        .await
        .json;
    let outside = app
        .get(
            &format!(
                "/api/v1/children?name={}&date_of_birth={}",
                theirs["family_name"].as_str().unwrap(),
                theirs["date_of_birth"].as_str().unwrap()
            ),
            &outsider,
        )
        .await;
    assert_eq!(outside.status, 200, "{}", outside.text);
    assert_eq!(outside.json["items"], json!([]));

    // Team 1 acts in time: social care records the partner, police check him, and the team decides.
    let t1 = &tokens[&1];
    let c1 = &children[0];
    let person = app
        .post(
            &format!("/api/v1/children/{c1}/people"),
            &t1["social_care"],
            json!({"name": "The mother's partner", "relationship": "mothers_partner",
                   "lives_in_household": true, "identity_verified": false,
                   "occurred_at": "2006-12-22T15:00:00Z"}),
        )
        .await;
    assert_eq!(person.status, 201, "{}", person.text);
    let person_id = person.json["id"].as_str().unwrap().to_string();
    let check = app
        .post(
            &format!("/api/v1/children/{c1}/people/{person_id}/checks"),
            &t1["police"],
            json!({"outcome": "relevant_history", "summary": "Convictions for violence",
                   "occurred_at": "2006-12-23T10:00:00Z"}),
        )
        .await;
    assert_eq!(check.status, 201, "{}", check.text);
    let decision = app
        .post(
            &format!("{base}/decisions"),
            &t1["police"],
            json!({"what": "Police check the mother's partner and share the result",
                   "why": "He is named as next of kin and may live in the home",
                   "relied_on": [person_id]}),
        )
        .await;
    assert_eq!(decision.status, 201, "{}", decision.text);
    assert_eq!(decision.json["checkpoint"], 1);
    assert_eq!(decision.json["agency"], "police");
    // A decision resting on another team's entry, or made by an outsider, is refused.
    let foreign = app
        .get(
            &format!("/api/v1/children/{}/chronology", children[1]),
            &facilitator,
        )
        .await
        .json["items"][0]["id"]
        .clone();
    let r = app
        .post(
            &format!("{base}/decisions"),
            &t1["social_care"],
            json!({"what": "x", "why": "y", "relied_on": [foreign]}),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "relied_on");
    app.post(
        &format!("{base}/decisions"),
        &outsider,
        json!({"what": "x", "why": "y"}),
    )
    .await
    .assert_problem(404);

    // Team 2 acts differently: the check comes a week late, nothing else.
    let t2 = &tokens[&2];
    let c2 = &children[1];
    app.partner_checked(
        c2,
        &t2["police"],
        false,
        "2006-12-29T10:00:00Z",
        ("2006-12-29T11:00:00Z", "pending"),
    )
    .await;

    // Through the second admission: team 1's health refers it at once.
    for _ in 0..3 {
        advance(&app, &facilitator, &id).await;
    }
    let referral = app
        .post(
            &format!("/api/v1/children/{c1}/referrals"),
            &t1["health"],
            json!({"occurred_at": "2007-04-16T16:00:00Z", "referrer": "professional",
                   "to_agency": "social_care",
                   "summary": "Second admission with bruising and black eyes; explanation untested"}),
        )
        .await;
    assert_eq!(referral.status, 201, "{}", referral.text);

    // Team 3 is put back to the second checkpoint: a new record, played again to there.
    let before = app.get(&base, &facilitator).await.json;
    let old3 = team_child(&before, 3);
    let r = app
        .post(
            &format!("{base}/reset"),
            &facilitator,
            json!({"checkpoint": 2, "team": 3}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["kind"], "reset");
    assert_eq!(r.json["checkpoints"], 2);
    let after = app.get(&base, &facilitator).await.json;
    let new3 = team_child(&after, 3);
    assert_ne!(new3, old3);
    let team3 = after["teams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["number"] == 3)
        .unwrap()
        .clone();
    assert_eq!(team3["checkpoints_reached"], 2);
    assert_eq!(after["checkpoints_released"], 4);
    // Team 3's trainees are back at the second checkpoint, with its question.
    let theirs = app.get(&base, &tokens[&3]["social_care"]).await.json;
    assert_eq!(theirs["checkpoint"]["number"], 2);
    assert_eq!(theirs["checkpoint"]["title"], "Returned home");
    let r = app
        .post(
            &format!("{base}/reset"),
            &facilitator,
            json!({"checkpoint": 5}),
        )
        .await;
    assert_eq!(r.assert_problem(422)["field"], "checkpoint");
    // The old record stays, for the facilitator; team 3's trainees now find only the new one.
    assert_eq!(
        app.get(&format!("/api/v1/children/{old3}/chronology"), &facilitator)
            .await
            .status,
        200
    );
    for token in tokens[&3].values() {
        app.get(&format!("/api/v1/children/{old3}"), token)
            .await
            .assert_problem(404);
        let found = app.get("/api/v1/children?limit=100", token).await.json;
        let ids: Vec<&str> = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, vec![new3.as_str()]);
    }

    // The rest of the case; team 3 catches up from where its reset left it.
    for _ in 4..8 {
        advance(&app, &facilitator, &id).await;
    }
    let done = app.get(&base, &facilitator).await.json;
    assert_eq!(done["checkpoints_released"], 8);
    for team in done["teams"].as_array().unwrap() {
        assert_eq!(team["checkpoints_reached"], 8, "{team}");
        assert_eq!(team["steps_played"], team["steps"]);
    }
    app.post(&format!("{base}/advance"), &facilitator, json!({}))
        .await
        .assert_problem(409);

    // The scores: team 1 ahead of team 2, team 3 nowhere.
    let scores = app.get(&format!("{base}/scores"), &facilitator).await;
    assert_eq!(scores.status, 200);
    let s = &scores.json;
    assert_eq!(outcome(s, 1, "police_check_partner"), "met");
    assert_eq!(outcome(s, 1, "partner_in_household"), "met");
    assert_eq!(outcome(s, 1, "decision_on_register"), "met");
    assert_eq!(outcome(s, 1, "health_refers"), "met");
    assert_eq!(outcome(s, 1, "strategy_discussion_held"), "missed");
    assert_eq!(outcome(s, 2, "police_check_partner"), "met_late");
    assert_eq!(outcome(s, 2, "partner_in_household"), "missed");
    assert_eq!(outcome(s, 2, "decision_on_register"), "missed");
    assert_eq!(outcome(s, 3, "police_check_partner"), "missed");
    assert_eq!(outcome(s, 3, "final_decision"), "open");
    let points = |team: u64| {
        s["teams"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["team"] == team)
            .unwrap()["score"]["points"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((points(1), points(2), points(3)), (9, 1, 0));
    print_table(s);

    // End: the trainees are signed out and disabled; the facilitator still reads everything.
    let ended = app
        .post(&format!("{base}/end"), &facilitator, json!({}))
        .await;
    assert_eq!(ended.status, 201, "{}", ended.text);
    assert_eq!(ended.json["kind"], "ended");
    assert_eq!(app.get(&base, &facilitator).await.json["state"], "ended");
    app.get(&base, &t1["police"]).await.assert_problem(401);
    let account = &created["teams"][0]["accounts"][0];
    let r = app
        .login_reply(
            account["username"].as_str().unwrap(),
            account["password"].as_str().unwrap(),
        )
        .await;
    assert_eq!(r.status, 401, "{}", r.text);
    assert_eq!(
        app.get(&format!("/api/v1/children/{c1}/gap-report"), &facilitator)
            .await
            .status,
        200
    );
    app.post(&format!("{base}/end"), &facilitator, json!({}))
        .await
        .assert_problem(409);
    let final_scores = app.get(&format!("{base}/scores"), &facilitator).await.json;
    assert_eq!(outcome(&final_scores, 3, "final_decision"), "missed");

    // The room's debrief: the expectations table, the headlines side by side, the decisions, and
    // each team's picture.
    let debrief = app.get(&format!("{base}/debrief"), &facilitator).await;
    assert_eq!(debrief.status, 200);
    let html = &debrief.text;
    for text in [
        "Expectations",
        "Police record a background check on the mother&#39;s partner",
        "The combined record at each checkpoint",
        "Police check the mother&#39;s partner and share the result",
        "Team 1",
        "Team 2",
        "Team 3",
        "9 / ",
    ] {
        assert!(
            html.contains(text) || html.contains(&text.replace("&#39;", "'")),
            "the debrief lacks {text}"
        );
    }
    assert_eq!(html.matches("<svg").count(), 3);
    let headlines = sqlx::query_scalar::<_, i64>(
        "SELECT count(DISTINCT (team_id, checkpoint)) FROM exercise_checkpoints",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(headlines, 24);
    assert!(html.contains("indicators on the combined record"));
    app.get(&format!("{base}/debrief"), &outsider)
        .await
        .assert_problem(403);

    // The audit trail holds every stage, the reset and the end, and the steps played as the
    // scenario's actors, under the same actions as by hand.
    app.until_sealed().await;
    let count = |action: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT count(*) FROM audit_events WHERE action = $1 AND outcome = 'allowed'",
            )
            .bind(action)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    assert_eq!(count("exercise.create").await, 1);
    assert_eq!(count("exercise.advance").await, 8);
    assert_eq!(count("exercise.reset").await, 1);
    assert_eq!(count("exercise.end").await, 1);
    assert_eq!(count("exercise_decision.create").await, 1);
    // Three records opened at the start and one at the reset, each by the case's actor.
    assert_eq!(count("child.create").await, 4);
    let by_actor: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events a JOIN exercise_actors x ON x.user_id = a.user_id
         WHERE a.action = 'contact.create' AND a.outcome = 'allowed'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM contacts c JOIN exercise_actors x ON x.user_id = c.author_id",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    // Every contact the service logged as one of the case's actors has its audit event: teams 1
    // and 2, team 3's first record to the fourth checkpoint and its second to the end.
    assert_eq!(by_actor, logged);
    assert!(logged > 3 * 10, "{logged} contacts logged by the actors");
}

/// The scored table, as the room's debrief shows it.
fn print_table(scores: &Value) {
    let teams = scores["teams"].as_array().unwrap();
    let mut out = String::from("| checkpoint | expectation | points |");
    for t in teams {
        out.push_str(&format!(" team {} |", t["team"]));
    }
    out.push('\n');
    for (i, e) in scores["expectations"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        out.push_str(&format!(
            "| {} | {} | {} |",
            e["checkpoint"],
            e["id"].as_str().unwrap(),
            e["expectation"]["points"]
        ));
        for t in teams {
            let r = &t["results"][i];
            out.push_str(&format!(
                " {} ({}) |",
                r["outcome"].as_str().unwrap(),
                r["points"]
            ));
        }
        out.push('\n');
    }
    out.push_str("| | score | |");
    for t in teams {
        out.push_str(&format!(
            " {} / {} |",
            t["score"]["points"], t["score"]["possible"]
        ));
    }
    println!("{out}");
}

/// Every child-scoped route, for two teams and every agency: another team's record, or one outside
/// the exercise, is a 404 whoever asks; the team's own is not.
#[sqlx::test]
async fn every_child_route_hides_a_teams_record_from_every_other_team_and_outsider(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let created = create(&app, &facilitator, "child-q-joined-up", 2).await;
    let id = created["id"].as_str().unwrap().to_string();
    advance(&app, &facilitator, &id).await;
    let view = app
        .get(&format!("/api/v1/exercises/{id}"), &facilitator)
        .await
        .json;
    let tokens = trainees(&app, &created).await;
    let mut outsiders = BTreeMap::new();
    for agency in ["police", "health", "social_care", "legal"] {
        outsiders.insert(
            agency.to_string(),
            app.user(&format!("outside_{agency}"), Some(agency), "practitioner")
                .await
                .1,
        );
    }
    // A record outside every exercise.
    let outside_child = app
        .post(
            "/api/v1/children",
            &outsiders["police"],
            json!({"given_name": "Out", "family_name": "Side", "date_of_birth": "2019-02-01"}),
        )
        .await
        .json["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Ids of entries in team 1's record for the routes that name one.
    let child1 = team_child(&view, 1);
    let chronology = app
        .get(
            &format!("/api/v1/children/{child1}/chronology"),
            &facilitator,
        )
        .await
        .json;
    let first = |entry_type: &str| {
        chronology["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["entry_type"] == entry_type)
            .map(|i| i["id"].as_str().unwrap().to_string())
    };
    let referrals = app
        .get(
            &format!("/api/v1/children/{child1}/referrals"),
            &facilitator,
        )
        .await
        .json;
    let mut ids = BTreeMap::new();
    if let Some(c) = first("contact") {
        ids.insert("contact_id", c);
    }
    if let Some(r) = referrals["items"][0]["id"].as_str() {
        ids.insert("referral_id", r.to_string());
    }
    let routes: Vec<(&str, &str, String)> = ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/children/{child_id}"))
        .map(|r| {
            let mut path = r.path.replace("{child_id}", &child1);
            for (param, id) in &ids {
                path = path.replace(&format!("{{{param}}}"), id);
            }
            // Routes naming an id this record has none of (a plan, a challenge) get one that names
            // nothing: the record is refused before the id is looked at.
            (r.method, r.operation_id, fill_ids(&path))
        })
        .collect();
    assert!(routes.len() >= 40, "{} child-scoped routes", routes.len());

    let body_for = |operation: &str| -> Value {
        match operation {
            "createContact" => {
                json!({"occurred_at": "2009-03-04T10:00:00Z", "kind": "phone_call", "summary": "x"})
            }
            "createPerson" => {
                json!({"name": "X", "relationship": "visitor", "lives_in_household": false, "identity_verified": false})
            }
            "createReferral" => {
                json!({"occurred_at": "2009-03-04T10:00:00Z", "referrer": "professional", "to_agency": "social_care", "summary": "x"})
            }
            "breakGlass" => json!({"lawful_basis": "section_47", "reason": "x"}),
            "setSharingMode" => json!({"mode": "siloed"}),
            _ => json!({}),
        }
    };
    // A stranger's answer about team 1's record is the answer about a record that does not exist:
    // the same status and detail, never a success; and every read is a plain 404.
    const GHOST: &str = "0f0f0f0f-0000-4000-8000-000000000000";
    let mut checked = 0;
    for (method, operation, path) in &routes {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let body = (method != reqwest::Method::GET).then(|| body_for(operation));
        let strangers = tokens[&2].iter().chain(outsiders.iter());
        for (agency, token) in strangers {
            let r = app
                .request(method.clone(), path, Some(token), body.clone())
                .await;
            let ghost = app
                .request(
                    method.clone(),
                    &path.replace(&child1, GHOST),
                    Some(token),
                    body.clone(),
                )
                .await;
            assert!(
                !r.status.is_success(),
                "{agency}: {method} {path} ({operation}): {}",
                r.text
            );
            assert_eq!(
                (r.status, &r.json["detail"]),
                (ghost.status, &ghost.json["detail"]),
                "{agency}: {method} {path} ({operation}) tells the record from none"
            );
            // Every read but the facilitators' debrief (refused for the role first) is a 404.
            if method == reqwest::Method::GET && *operation != "getDebrief" {
                assert_eq!(r.status, 404, "{agency}: {operation}: {}", r.text);
            }
            checked += 1;
        }
    }
    // The team itself reads its record on every GET; the outside record is as invisible to it.
    for (method, operation, path) in &routes {
        if *method != "GET" || path.contains("00000000-0000-4000-8000-000000000000") {
            continue;
        }
        for token in tokens[&1].values() {
            let r = app.get(path, token).await;
            assert_ne!(r.status, 404, "{operation} for team 1: {}", r.text);
        }
    }
    for token in tokens[&1].values().chain(tokens[&2].values()) {
        app.get(&format!("/api/v1/children/{outside_child}"), token)
            .await
            .assert_problem(404);
    }
    assert!(checked >= 40 * 8, "{checked} requests");
}

/// A path with every id still a `{placeholder}` given a well-formed id that names nothing.
fn fill_ids(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..]
            .find('}')
            .map_or(rest.len(), |e| start + e + 1);
        out.push_str("00000000-0000-4000-8000-000000000000");
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Runs `mash exercise …` against the test server, as a facilitator at a terminal would.
async fn mash_exercise(app: &TestApp, args: &[&str]) -> String {
    let mut all = vec![
        "exercise".to_string(),
        "--base-url".into(),
        app.base.clone(),
    ];
    all.extend(args.iter().map(|a| a.to_string()));
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_mash"))
            .args(&all)
            .env(
                "MASH_FACILITATOR",
                format!(
                    "{}:{}",
                    crate::helpers::FACILITATOR.0,
                    crate::helpers::FACILITATOR.1
                ),
            )
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(
        output.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    said
}

/// The facilitator's commands: create (sign-ins printed and saved), advance with a sharing mode
/// for the stage, reset every team to the start, end, and the debrief saved; trainees' alerts
/// never reach across teams.
#[sqlx::test]
async fn a_facilitator_runs_the_day_from_a_terminal(db: PgPool) {
    let app = spawn(db).await;
    let facilitator = app.facilitator().await;
    let dir = std::env::temp_dir().join(format!("mash-exercise-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("sign-ins.csv");
    let said = mash_exercise(
        &app,
        &[
            "create",
            "--scenario",
            "child-q-joined-up",
            "--teams",
            "2",
            "--csv",
            csv.to_str().unwrap(),
        ],
    )
    .await;
    let id = said
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("Exercise "))
        .and_then(|l| l.split(' ').next())
        .unwrap_or_else(|| panic!("{said}"))
        .to_string();
    assert!(said.contains(&format!("/exercises/{id}")), "{said}");
    let sheet = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(
        sheet.lines().count(),
        1 + 2 * mash::vocabulary::Agency::ALL.len(),
        "{sheet}"
    );
    for line in sheet.lines().skip(1) {
        let username = line.split(',').nth(2).unwrap();
        assert!(said.contains(username), "{said}");
    }

    let said = mash_exercise(&app, &["advance", &id, "--mode", "siloed"]).await;
    assert!(said.contains("Checkpoint 1: The first day"), "{said}");
    assert!(said.contains("1 of 3 checkpoints released"), "{said}");
    let view = app
        .get(&format!("/api/v1/exercises/{id}"), &facilitator)
        .await
        .json;
    let first: Vec<String> = (1..=2).map(|n| team_child(&view, n)).collect();
    for child in &first {
        let record = app
            .get(&format!("/api/v1/children/{child}"), &facilitator)
            .await;
        assert_eq!(record.json["sharing_mode"], "siloed");
    }

    // No trainee is alerted to anything on another team's record.
    let mut tokens = Vec::new();
    for line in sheet.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        tokens.push((cells[0].to_string(), app.login(cells[2], cells[3]).await));
    }
    let mut alerted = 0;
    for (team, token) in &tokens {
        let alerts = app.get("/api/v1/me/alerts", token).await;
        assert_eq!(alerts.status, 200, "{}", alerts.text);
        let own = &first[team.parse::<usize>().unwrap() - 1];
        for alert in alerts.json["items"].as_array().unwrap() {
            assert_eq!(alert["child_id"].as_str(), Some(own.as_str()), "{alert}");
            alerted += 1;
        }
    }
    assert!(alerted >= 2, "the first stage alerts the teams ({alerted})");

    // Every team back to the start: new records, in the stage's mode.
    let said = mash_exercise(&app, &["reset", &id, "--checkpoint", "0"]).await;
    assert!(said.contains("0 of 3 checkpoints released"), "{said}");
    let view = app
        .get(&format!("/api/v1/exercises/{id}"), &facilitator)
        .await
        .json;
    for n in 1..=2 {
        let child = team_child(&view, n);
        assert!(!first.contains(&child));
        let record = app
            .get(&format!("/api/v1/children/{child}"), &facilitator)
            .await;
        assert_eq!(record.json["sharing_mode"], "siloed");
    }
    assert_eq!(view["teams"][0]["checkpoints_reached"], 0);

    // An actor's account switched off stops a stage before it plays anything, saying which.
    let actor: uuid::Uuid =
        sqlx::query_scalar("SELECT user_id FROM exercise_actors ORDER BY key LIMIT 1")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let user = format!("/api/v1/users/{actor}");
    let patch = |disabled: bool| {
        app.request(
            reqwest::Method::PATCH,
            &user,
            Some(&facilitator),
            Some(json!({ "disabled": disabled })),
        )
    };
    assert_eq!(patch(true).await.status, 200);
    let refused = app
        .post(
            &format!("/api/v1/exercises/{id}/advance"),
            &facilitator,
            json!({}),
        )
        .await;
    assert!(
        refused.assert_problem(409)["detail"]
            .as_str()
            .unwrap()
            .contains("disabled"),
        "{}",
        refused.text
    );
    assert_eq!(patch(false).await.status, 200);
    advance(&app, &facilitator, &id).await;

    let said = mash_exercise(&app, &["end", &id]).await;
    assert!(said.contains(": ended,"), "{said}");
    let out = dir.join("day.html");
    let said = mash_exercise(&app, &["debrief", &id, "--out", out.to_str().unwrap()]).await;
    assert!(said.starts_with("cp   expectation"), "{said}");
    assert!(said.contains("team 1") && said.contains("team 2"), "{said}");
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("The combined record at each checkpoint"));
    let _ = std::fs::remove_dir_all(&dir);
}
