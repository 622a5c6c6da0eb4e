//! Scenario files: the bundled ones agree with the schema and the types, replay cleanly, and tell
//! the story they were written for; bad files and refused steps stop with a clear message.

use std::path::{Path, PathBuf};
use std::process::Command;

use mash::combined::indicators::INDICATORS;
use mash::scenario::format::{Action, Scenario};
use mash::scenario::replay::{Options, Report, replay};
use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::{FACILITATOR, TestApp, spawn};

fn scenarios() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

pub fn load(name: &str) -> Scenario {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(name),
    )
    .unwrap();
    mash::scenario::check::check(&text).unwrap_or_else(|issues| panic!("{name}: {issues:?}"))
}

pub async fn play(app: &TestApp, scenario: &Scenario) -> Report {
    let options = Options {
        base_url: app.base.clone(),
        facilitator: (FACILITATOR.0.into(), FACILITATOR.1.into()),
        until: None,
        step: false,
        mode: None,
        json: true,
    };
    replay(scenario, &options, &mut std::io::sink())
        .await
        .expect("the replay succeeds")
}

async fn final_report(app: &TestApp, report: &Report) -> Value {
    let facilitator = app.facilitator().await;
    let last = report.checkpoints.last().unwrap();
    let child = report.child_id.as_deref().unwrap();
    let at = last.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    app.get(
        &format!("/api/v1/children/{child}/gap-report?as_of={at}"),
        &facilitator,
    )
    .await
    .json
}

fn combined_only(report: &Value) -> usize {
    report["indicators"]
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
        .count()
}

#[test]
fn the_bundled_scenarios_agree_with_the_schema_and_the_types() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/scenario.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(scenarios().len() >= 2);
    for file in scenarios() {
        let text = std::fs::read_to_string(&file).unwrap();
        let value: Value = yaml_serde::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", file.display());
        assert!(
            mash::scenario::check::check(&text).is_ok(),
            "{}",
            file.display()
        );
    }
}

#[sqlx::test]
async fn the_case_replays_and_shows_what_only_the_combination_reveals(db: PgPool) {
    let app = spawn(db).await;
    let scenario = load("child-p-2006-2007.yaml");
    let report = play(&app, &scenario).await;
    assert_eq!(report.steps_played, scenario.steps.len());
    let gap = final_report(&app, &report).await;
    assert!(gap["indicators"].as_array().unwrap().len() >= 6, "{gap}");
    assert!(combined_only(&gap) >= 3, "{gap}");
    assert_eq!(
        report.checkpoints.last().unwrap().headline,
        gap["summary"]["headline"].as_str().unwrap()
    );
    // The headline grows checkpoint by checkpoint.
    let counts: Vec<usize> = report
        .checkpoints
        .iter()
        .map(|c| c.headline.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
    // The headlines README quotes are ones the replay of the case prints.
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    // Quoted in the text, and printed in the example of a checkpoint.
    let quoted: Vec<&str> = readme
        .split('"')
        .skip(1)
        .step_by(2)
        .chain(
            readme
                .split("The combined record: ")
                .skip(1)
                .filter_map(|rest| rest.split(" New since").next()),
        )
        .filter(|q| q.contains("indicators on the combined record"))
        .collect();
    assert!(quoted.len() >= 2, "README quotes no headline");
    for headline in quoted {
        assert!(
            report.checkpoints.iter().any(|c| c.headline == headline),
            "README quotes a headline the case never shows: {headline}"
        );
    }
    // Replaying again makes a fresh child and reuses the accounts.
    let again = play(&app, &scenario).await;
    assert_ne!(again.child_id, report.child_id);
}

fn days_to_protection(s: &Scenario) -> i64 {
    let first = s
        .steps
        .iter()
        .find(|st| matches!(st.action, Action::LogContact(_)))
        .unwrap()
        .at
        .0;
    // The first step that puts the child on a plan: a conference's decision (or a status change).
    let plan = s
        .steps
        .iter()
        .find(|st| match &st.action {
            Action::Conference(body) => body["decision"] == "plan",
            Action::ChangeStatus(c) => {
                c.status == mash::vocabulary::ChildStatus::ChildProtectionPlan
            }
            _ => false,
        })
        .unwrap()
        .at
        .0;
    (plan - first).num_days()
}

#[sqlx::test]
async fn the_contrast_shows_fewer_warnings_and_earlier_escalation(db: PgPool) {
    let app = spawn(db).await;
    let case = load("child-p-2006-2007.yaml");
    let contrast = load("child-q-joined-up.yaml");
    let case_gap = final_report(&app, &play(&app, &case).await).await;
    let contrast_gap = final_report(&app, &play(&app, &contrast).await).await;
    let count = |g: &Value| g["indicators"].as_array().unwrap().len();
    assert!(
        count(&contrast_gap) < count(&case_gap),
        "{} vs {}",
        count(&contrast_gap),
        count(&case_gap)
    );
    assert!(days_to_protection(&contrast) < days_to_protection(&case));
}

#[sqlx::test]
async fn the_case_misses_clocks_and_the_contrast_meets_every_one(db: PgPool) {
    let app = spawn(db).await;
    let case = play(&app, &load("child-p-2006-2007.yaml")).await;
    let contrast = play(&app, &load("child-q-joined-up.yaml")).await;
    for checkpoint in &contrast.checkpoints {
        assert!(checkpoint.missed_clocks.is_empty(), "{checkpoint:?}");
    }
    let end = contrast.checkpoints.last().unwrap().at;
    let timescales = app
        .get(
            &format!(
                "/api/v1/children/{}/timescales?as_of={}",
                contrast.child_id.as_deref().unwrap(),
                end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            &app.facilitator().await,
        )
        .await;
    let states: Vec<&str> = timescales.json["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["state"].as_str().unwrap())
        .collect();
    assert!(
        states.iter().all(|s| ["met", "running"].contains(s)),
        "{states:?}"
    );
    assert!(
        states.iter().filter(|s| **s == "met").count() >= 6,
        "{states:?}"
    );
    let last = case.checkpoints.last().unwrap();
    let missed: Vec<&str> = last
        .missed_clocks
        .iter()
        .map(|m| m.clock.as_str())
        .collect();
    assert!(missed.contains(&"strategy_discussion"), "{missed:?}");
    // The process rules the case shows: the plan not followed, and no strategy discussion after
    // the second admission.
    let gap = final_report(&app, &case).await;
    let codes: Vec<&str> = gap["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"plan_not_followed"), "{codes:?}");
    assert!(
        codes.contains(&"no_strategy_discussion_after_nai"),
        "{codes:?}"
    );
}

fn mash(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_mash"))
        .args(args)
        .env("MASH_LOG", "error")
        .output()
        .unwrap()
}

#[test]
fn a_broken_file_is_refused_with_its_line_numbers() {
    let path = std::env::temp_dir().join(format!("broken-{}.yaml", uuid::Uuid::new_v4()));
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/child-q-joined-up.yaml"),
    )
    .unwrap();
    let steps_line = text.lines().position(|l| l == "steps:").unwrap() + 1;
    let broken = text.replacen(
        "steps:\n",
        "steps:\n  - at: not-a-date\n    actor: nobody-knows-me\n",
        1,
    );
    std::fs::write(&path, broken).unwrap();
    let out = mash(&["scenario", "check", path.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains(&format!("line {}", steps_line + 1)), "{said}");
    assert!(said.contains("nothing was sent"), "{said}");
    let unknown_actor = text.replace(
        "actor: police_officer\n    record_check",
        "actor: constable\n    record_check",
    );
    std::fs::write(&path, unknown_actor).unwrap();
    let out = mash(&["scenario", "check", path.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && said.contains("no actor `constable`"),
        "{said}"
    );
    // A checkpoint may expect only indicators that exist.
    let unknown_code = text.replacen(
        "- unverified_adult_in_household",
        "- unverified_adult_in_the_house",
        1,
    );
    std::fs::write(&path, unknown_code).unwrap();
    let out = mash(&["scenario", "check", path.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && said.contains("`unverified_adult_in_the_house` is not an indicator"),
        "{said}"
    );
    let _ = std::fs::remove_file(path);
}

#[test]
fn scenario_check_lists_what_each_checkpoint_expects() {
    let out = mash(&["scenario", "check", "scenarios/child-s-2020.yaml"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{said}");
    let last = said.lines().last().unwrap();
    assert!(
        last.starts_with("  2020-09-22 22 September 2020: expects "),
        "{said}"
    );
    // The second case shows at least four of the rules reviews keep finding (14-20).
    let themes = INDICATORS[13..20]
        .iter()
        .filter(|i| last.contains(i.code()))
        .count();
    assert!(themes >= 4, "{last}");
}

#[sqlx::test]
async fn a_refused_step_stops_the_replay_with_the_servers_problem(db: PgPool) {
    let app = spawn(db).await;
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/child-q-joined-up.yaml"),
    )
    .unwrap();
    // A contact dated before the child was born: valid on paper, refused by the service.
    let refused = text
        .replacen(
            "  - at: 2009-03-02T10:00:00Z\n",
            "  - at: 2007-03-02T10:00:00Z\n",
            1,
        )
        .replace("2009-03-02T09:00:00Z", "2007-03-02T09:00:00Z");
    let path = std::env::temp_dir().join(format!("refused-{}.yaml", uuid::Uuid::new_v4()));
    std::fs::write(&path, refused).unwrap();
    let base = app.base.clone();
    let facilitator = format!("{}:{}", FACILITATOR.0, FACILITATOR.1);
    let file = path.to_str().unwrap().to_string();
    let out = tokio::task::spawn_blocking(move || {
        mash(&[
            "replay",
            &file,
            "--base-url",
            &base,
            "--facilitator",
            &facilitator,
        ])
    })
    .await
    .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        said.contains("422") && said.contains("date of birth"),
        "{said}"
    );
    let _ = std::fs::remove_file(path);
}

/// Each bundled scenario says, at its checkpoints, which indicators the combined record shows by
/// then; replaying it against the service proves every one.
#[sqlx::test]
async fn every_bundled_scenario_shows_what_its_checkpoints_expect(db: PgPool) {
    let app = spawn(db).await;
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/scenarios/README.md"))
            .unwrap();
    for file in scenarios() {
        let name = file.file_name().unwrap().to_str().unwrap().to_string();
        let scenario = load(&name);
        let expectations = scenario
            .steps
            .iter()
            .filter(|s| matches!(&s.action, Action::Checkpoint(c) if c.expect.is_some()))
            .count();
        assert!(expectations > 0, "{name} expects nothing at any checkpoint");
        let report = play(&app, &scenario).await;
        let shown: Vec<String> = report
            .checkpoints
            .iter()
            .map(|c| format!("{} {}: {:?}", c.at.date_naive(), c.title, c.indicators))
            .collect();
        assert!(
            report.unexpected().is_empty(),
            "{name}: the record showed, checkpoint by checkpoint:\n{}",
            shown.join("\n")
        );
        // The last checkpoint's expectation is the whole story: every indicator there is named.
        let last = report.checkpoints.last().unwrap();
        assert_eq!(last.expected.as_ref(), Some(&last.indicators), "{name}");
        // scenarios/README.md's table gives its final headline and rules (by number) truly.
        let rules: Vec<String> = INDICATORS
            .iter()
            .enumerate()
            .filter(|(_, i)| last.indicators.iter().any(|c| c == i.code()))
            .map(|(n, _)| (n + 1).to_string())
            .collect();
        let row = format!("| `{name}` | {} | {} |", last.headline, rules.join(", "));
        assert!(readme.contains(&row), "scenarios/README.md lacks: {row}");
    }
}
