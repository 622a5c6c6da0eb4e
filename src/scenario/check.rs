//! Validating a scenario without a server: YAML syntax, the JSON Schema, the types, and the story's
//! own consistency (actors exist and may act so, references point back, time runs forward). Every
//! issue carries the line it is on.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use super::format::{Action, ExpectedRecord, Scenario, conference_parts, take, without_ref};
use crate::auth::policy::{self, Action as PolicyAction};
use crate::children::types::NewChild;
use crate::combined::indicators::INDICATORS;
use crate::contacts::types::{ContactChanges, NewContact};
use crate::people::types::NewPerson;
use crate::safeguarding::types::{
    NewConference, NewCoreGroup, NewLaterPlanAction, NewLegalPlanningMeeting, NewReferral,
    NewStrategyDiscussion,
};
use crate::vocabulary::{
    ActionOwner, Agency, ConferenceDecision, ReferralDecision, Referrer, StrategyOutcome,
};

pub const SCHEMA: &str = include_str!("../../scenarios/scenario.schema.json");

#[derive(Debug, Clone, PartialEq)]
pub struct Issue {
    pub line: usize,
    pub field: String,
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.message)
    }
}

/// Where things are in the text: top-level keys and the start of each step.
struct Lines {
    keys: BTreeMap<String, usize>,
    steps: Vec<usize>,
}

impl Lines {
    fn of(text: &str) -> Lines {
        let mut keys = BTreeMap::new();
        let mut steps = Vec::new();
        let mut in_steps = false;
        let mut item_indent = None;
        for (i, line) in text.lines().enumerate() {
            let number = i + 1;
            if !line.starts_with([' ', '-', '#']) && !line.trim().is_empty() {
                if let Some((key, _)) = line.split_once(':') {
                    keys.insert(key.trim().to_string(), number);
                    in_steps = key.trim() == "steps";
                }
                continue;
            }
            let indent = line.len() - line.trim_start().len();
            if in_steps
                && line.trim_start().starts_with("- ")
                && *item_indent.get_or_insert(indent) == indent
            {
                steps.push(number);
            }
        }
        Lines { keys, steps }
    }

    fn key(&self, key: &str) -> usize {
        self.keys.get(key).copied().unwrap_or(1)
    }

    fn step(&self, index: usize) -> usize {
        self.steps
            .get(index)
            .copied()
            .unwrap_or_else(|| self.key("steps"))
    }

    /// The line of a JSON pointer into the document, as near as the text tells.
    fn of_pointer(&self, pointer: &str) -> usize {
        let mut parts = pointer.trim_start_matches('/').split('/');
        match (parts.next(), parts.next().and_then(|n| n.parse().ok())) {
            (Some("steps"), Some(index)) => self.step(index),
            (Some(key), _) if !key.is_empty() => self.key(key),
            _ => 1,
        }
    }
}

fn yaml_issue(error: &yaml_serde::Error, field: &str) -> Issue {
    Issue {
        line: error.location().map_or(1, |l| l.line()),
        field: field.to_string(),
        message: error
            .to_string()
            .split(" at line ")
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// The scenario, or every issue found with it.
pub fn check(text: &str) -> Result<Scenario, Vec<Issue>> {
    let lines = Lines::of(text);
    let value: Value = yaml_serde::from_str(text).map_err(|e| vec![yaml_issue(&e, "file")])?;
    let schema: Value = serde_json::from_str(SCHEMA).expect("the bundled schema is JSON");
    let validator =
        jsonschema::validator_for(&schema).expect("the bundled schema is a valid JSON Schema");
    let mut issues: Vec<Issue> = validator
        .iter_errors(&value)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            Issue {
                line: lines.of_pointer(&pointer),
                field: pointer.trim_start_matches('/').replace('/', "."),
                message: e.to_string(),
            }
        })
        .collect();
    if !issues.is_empty() {
        issues.sort_by_key(|i| i.line);
        return Err(issues);
    }
    let scenario: Scenario =
        yaml_serde::from_str(text).map_err(|e| vec![yaml_issue(&e, "file")])?;
    let issues = consistency(&scenario, &lines);
    if issues.is_empty() {
        Ok(scenario)
    } else {
        Err(issues)
    }
}

/// Checks `body` as the service's own request type would read it, naming the failing field.
fn as_request<T: serde::de::DeserializeOwned>(body: Map<String, Value>) -> Result<T, String> {
    serde_path_to_error::deserialize(Value::Object(body)).map_err(|e| {
        let path = e.path().to_string();
        format!(
            "{}{}",
            if path == "." {
                String::new()
            } else {
                format!("`{path}`: ")
            },
            e.inner()
        )
    })
}

fn consistency(s: &Scenario, lines: &Lines) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut issue = |line: usize, field: String, message: String| {
        issues.push(Issue {
            line,
            field,
            message,
        })
    };

    if let Err(e) = as_request::<NewChild>(s.child.clone()) {
        issue(lines.key("child"), "child".into(), e);
    }
    for (key, actor) in &s.actors {
        if let Err(denial) = policy::role_fits_agency(actor.role, actor.agency) {
            issue(
                lines.key("actors"),
                format!("actors.{key}.agency"),
                denial.0.into(),
            );
        }
    }

    let mut created = false;
    let mut previous_at = None;
    let mut people: std::collections::BTreeSet<String> = Default::default();
    let mut contacts: BTreeMap<String, Option<Agency>> = BTreeMap::new();
    // The names the process steps give, by kind: a referral's receiving agency, a plan action's
    // owner.
    let mut referrals: BTreeMap<String, Agency> = BTreeMap::new();
    let mut assessments: std::collections::BTreeSet<String> = Default::default();
    let mut enquiries: std::collections::BTreeSet<String> = Default::default();
    let mut plans: std::collections::BTreeSet<String> = Default::default();
    let mut actions: BTreeMap<String, ActionOwner> = BTreeMap::new();
    // Each challenge's challenged agency.
    let mut challenges: BTreeMap<String, Option<Agency>> = BTreeMap::new();
    let mut expectation_ids = std::collections::BTreeSet::new();
    for (i, step) in s.steps.iter().enumerate() {
        let line = lines.step(i);
        let field = |name: &str| format!("steps[{i}].{name}");
        if previous_at.is_some_and(|p| step.at < p) {
            issue(
                line,
                field("at"),
                "earlier than the step before: steps run forward in time".into(),
            );
        }
        previous_at = Some(step.at);
        let at = Value::String(step.at.0.to_rfc3339());

        let needs_actor = !matches!(
            step.action,
            Action::Checkpoint(_) | Action::SetSharingMode(_)
        );
        let actor = match &step.actor {
            Some(key) => match s.actors.get(key) {
                Some(a) => Some(a),
                None => {
                    issue(
                        line,
                        field("actor"),
                        format!("no actor `{key}` in `actors`"),
                    );
                    None
                }
            },
            None if needs_actor => {
                issue(
                    line,
                    field("actor"),
                    format!("`{}` needs an actor", step.action.name()),
                );
                None
            }
            None => None,
        };
        let agency = actor.and_then(|a| a.agency);
        // What the service's policy would say to this actor doing this.
        let refusal = |action| {
            actor
                .and_then(|a| policy::decide(a.role, a.agency, action).err())
                .map(|denial| denial.0.to_string())
        };
        let touches_record = !matches!(step.action, Action::CreateChild(_) | Action::Checkpoint(_));
        if touches_record && !created {
            issue(
                line,
                field(step.action.name()),
                "comes before `create_child`".into(),
            );
        }
        match &step.action {
            Action::CreateChild(_) if created => issue(
                line,
                field("create_child"),
                "the child is created once".into(),
            ),
            Action::CreateChild(_) => created = true,
            Action::AddPerson(body) => {
                let (reference, mut body) = without_ref(body);
                body.insert("occurred_at".into(), at);
                if let Err(e) = as_request::<NewPerson>(body) {
                    issue(line, field("add_person"), e);
                }
                if let Some(why) = refusal(PolicyAction::RecordPerson) {
                    issue(line, field("actor"), why);
                }
                if let Some(r) = reference
                    && !people.insert(r.clone())
                {
                    issue(
                        line,
                        field("add_person.ref"),
                        format!("`{r}` is already used"),
                    );
                }
            }
            Action::RecordCheck(check) => {
                if !people.contains(&check.person) {
                    issue(
                        line,
                        field("record_check.person"),
                        format!("no earlier person with ref `{}`", check.person),
                    );
                }
                if let Some(why) = refusal(PolicyAction::RecordCheck) {
                    issue(line, field("actor"), why);
                }
            }
            Action::LogContact(body) => {
                let (reference, mut body) = without_ref(body);
                body.insert("occurred_at".into(), at);
                if let Err(e) = as_request::<NewContact>(body) {
                    issue(line, field("log_contact"), e);
                }
                if let Some(why) = refusal(PolicyAction::LogContact) {
                    issue(line, field("actor"), why);
                }
                if let Some(r) = reference
                    && contacts.insert(r.clone(), agency).is_some()
                {
                    issue(
                        line,
                        field("log_contact.ref"),
                        format!("`{r}` is already used"),
                    );
                }
            }
            Action::AmendContact(amend) => {
                match contacts.get(&amend.contact) {
                    None => issue(
                        line,
                        field("amend_contact.contact"),
                        format!("no earlier contact with ref `{}`", amend.contact),
                    ),
                    Some(Some(author)) => {
                        if let Some(why) = refusal(PolicyAction::AmendContact {
                            author_agency: *author,
                        }) {
                            issue(line, field("actor"), why);
                        }
                    }
                    Some(None) => {}
                }
                match as_request::<ContactChanges>(amend.changes.clone()) {
                    Err(e) => issue(line, field("amend_contact.changes"), e),
                    Ok(c) if c.is_empty() => issue(
                        line,
                        field("amend_contact.changes"),
                        "name at least one field".into(),
                    ),
                    Ok(_) => {}
                }
            }
            Action::ChangeStatus(_) | Action::SetSharingMode(_) => {}
            Action::Checkpoint(checkpoint) => {
                for e in checkpoint.expectations.iter().flatten() {
                    if !expectation_ids.insert(e.id.clone()) {
                        issue(
                            line,
                            field("checkpoint.expectations"),
                            format!("`{}` names two expectations", e.id),
                        );
                    }
                    let misplaced = (e.kind.is_some() && e.record != ExpectedRecord::Contact)
                        || (e.to_agency.is_some() && e.record != ExpectedRecord::Referral);
                    if misplaced {
                        issue(
                            line,
                            field("checkpoint.expectations"),
                            format!(
                                "`{}`: `kind` is for contacts and `to_agency` for referrals",
                                e.id
                            ),
                        );
                    }
                }
                for code in checkpoint.expect.iter().flatten() {
                    if !INDICATORS.iter().any(|i| i.code() == code) {
                        issue(
                            line,
                            field("checkpoint.expect"),
                            format!("`{code}` is not an indicator"),
                        );
                    }
                }
            }
            Action::MakeReferral(body) => {
                let (reference, mut body) = without_ref(body);
                body.insert("occurred_at".into(), at);
                match as_request::<NewReferral>(body) {
                    Err(e) => issue(line, field("make_referral"), e),
                    Ok(r) => {
                        let to = r.to_agency;
                        let action = if r.referrer == Referrer::Professional {
                            PolicyAction::MakeReferral { to }
                        } else {
                            PolicyAction::LogLayReferral { to }
                        };
                        if let Some(why) = refusal(action) {
                            issue(line, field("actor"), why);
                        }
                        if let Some(r) = reference
                            && referrals.insert(r.clone(), to).is_some()
                        {
                            issue(
                                line,
                                field("make_referral.ref"),
                                format!("`{r}` is already used"),
                            );
                        }
                    }
                }
            }
            Action::AcknowledgeReferral(step) => match referrals.get(&step.referral) {
                None => issue(
                    line,
                    field("acknowledge_referral.referral"),
                    format!("no earlier referral with ref `{}`", step.referral),
                ),
                Some(to) => {
                    if let Some(why) = refusal(PolicyAction::DecideReferral { receiving: *to }) {
                        issue(line, field("actor"), why);
                    }
                }
            },
            Action::DecideReferral(step) => {
                match referrals.get(&step.referral) {
                    None => issue(
                        line,
                        field("decide_referral.referral"),
                        format!("no earlier referral with ref `{}`", step.referral),
                    ),
                    Some(to) => {
                        if let Some(why) = refusal(PolicyAction::DecideReferral { receiving: *to })
                        {
                            issue(line, field("actor"), why);
                        }
                    }
                }
                if let Some(r) = &step.assessment_ref {
                    if !matches!(
                        step.decision,
                        ReferralDecision::ChildInNeedAssessment
                            | ReferralDecision::StrategyDiscussion
                    ) {
                        issue(
                            line,
                            field("decide_referral.assessment_ref"),
                            "only `child_in_need_assessment` and `strategy_discussion` start an assessment".into(),
                        );
                    }
                    if !assessments.insert(r.clone()) {
                        issue(
                            line,
                            field("decide_referral.assessment_ref"),
                            format!("`{r}` is already used"),
                        );
                    }
                }
            }
            Action::StrategyDiscussion(body) => {
                let (_, mut body) = without_ref(body);
                let enquiry = take(&mut body, "enquiry_ref");
                if let Some(r) = take(&mut body, "referral") {
                    if !referrals.contains_key(&r) {
                        issue(
                            line,
                            field("strategy_discussion.referral"),
                            format!("no earlier referral with ref `{r}`"),
                        );
                    }
                    body.insert(
                        "referral_id".into(),
                        Value::String(uuid::Uuid::nil().to_string()),
                    );
                }
                body.insert("occurred_at".into(), at);
                match as_request::<NewStrategyDiscussion>(body) {
                    Err(e) => issue(line, field("strategy_discussion"), e),
                    Ok(d) => {
                        if let Some(r) = enquiry {
                            if d.outcome != StrategyOutcome::Section47Enquiry {
                                issue(
                                    line,
                                    field("strategy_discussion.enquiry_ref"),
                                    "only an outcome of `section_47_enquiry` starts an enquiry"
                                        .into(),
                                );
                            }
                            if !enquiries.insert(r.clone()) {
                                issue(
                                    line,
                                    field("strategy_discussion.enquiry_ref"),
                                    format!("`{r}` is already used"),
                                );
                            }
                        }
                    }
                }
                if let Some(why) = refusal(PolicyAction::RecordSocialCareProcess) {
                    issue(line, field("actor"), why);
                }
            }
            Action::ConcludeEnquiry(step) => {
                if !enquiries.contains(&step.enquiry) {
                    issue(
                        line,
                        field("conclude_enquiry.enquiry"),
                        format!("no earlier enquiry with ref `{}`", step.enquiry),
                    );
                }
                if let Some(why) = refusal(PolicyAction::RecordSocialCareProcess) {
                    issue(line, field("actor"), why);
                }
            }
            Action::CompleteAssessment(step) => {
                if !assessments.contains(&step.assessment) {
                    issue(
                        line,
                        field("complete_assessment.assessment"),
                        format!("no earlier assessment with ref `{}`", step.assessment),
                    );
                }
                if let Some(why) = refusal(PolicyAction::RecordSocialCareProcess) {
                    issue(line, field("actor"), why);
                }
            }
            Action::Conference(body) => {
                let (plan, names, mut body) = conference_parts(body);
                body.insert("occurred_at".into(), at);
                match as_request::<NewConference>(body) {
                    Err(e) => issue(line, field("conference"), e),
                    Ok(c) => {
                        if let Some(p) = plan {
                            if c.decision != ConferenceDecision::Plan {
                                issue(
                                    line,
                                    field("conference.plan_ref"),
                                    "only a decision of `plan` makes a plan".into(),
                                );
                            }
                            if !plans.insert(p.clone()) {
                                issue(
                                    line,
                                    field("conference.plan_ref"),
                                    format!("`{p}` is already used"),
                                );
                            }
                        }
                        for (n, (name, action)) in names.iter().zip(&c.actions).enumerate() {
                            if let Some(name) = name
                                && actions.insert(name.clone(), action.owner).is_some()
                            {
                                issue(
                                    line,
                                    field(&format!("conference.actions[{n}].ref")),
                                    format!("`{name}` is already used"),
                                );
                            }
                        }
                    }
                }
                if let Some(why) = refusal(PolicyAction::RecordSocialCareProcess) {
                    issue(line, field("actor"), why);
                }
            }
            Action::CoreGroup(body) => {
                let mut body = body.clone();
                body.insert("occurred_at".into(), at);
                if let Err(e) = as_request::<NewCoreGroup>(body) {
                    issue(line, field("core_group"), e);
                }
                if let Some(why) = refusal(PolicyAction::RecordSocialCareProcess) {
                    issue(line, field("actor"), why);
                }
            }
            Action::AddPlanAction(body) => {
                let (reference, mut body) = without_ref(body);
                match take(&mut body, "plan") {
                    Some(p) if plans.contains(&p) => {}
                    Some(p) => issue(
                        line,
                        field("add_plan_action.plan"),
                        format!("no earlier plan with plan_ref `{p}`"),
                    ),
                    None => issue(
                        line,
                        field("add_plan_action.plan"),
                        "name the plan (a `plan_ref`)".into(),
                    ),
                }
                body.insert("occurred_at".into(), at);
                match as_request::<NewLaterPlanAction>(body) {
                    Err(e) => issue(line, field("add_plan_action"), e),
                    Ok(a) => {
                        if let Some(r) = reference
                            && actions.insert(r.clone(), a.owner).is_some()
                        {
                            issue(
                                line,
                                field("add_plan_action.ref"),
                                format!("`{r}` is already used"),
                            );
                        }
                    }
                }
                if let Some(why) = refusal(PolicyAction::RecordSocialCareProcess) {
                    issue(line, field("actor"), why);
                }
            }
            Action::MarkPlanAction(step) => match actions.get(&step.action) {
                None => issue(
                    line,
                    field("mark_plan_action.action"),
                    format!("no earlier plan action with ref `{}`", step.action),
                ),
                Some(owner) => {
                    if let Some(why) = refusal(PolicyAction::MarkPlanAction { owner: *owner }) {
                        issue(line, field("actor"), why);
                    }
                }
            },
            Action::Challenge(step) => {
                // A contact is its author's; a referral is challenged for its receiver's decision.
                let challenged = match (contacts.get(&step.entry), referrals.get(&step.entry)) {
                    (Some(author), _) => Some(*author),
                    (None, Some(to)) => Some(Some(*to)),
                    (None, None) => None,
                };
                match challenged {
                    None => issue(
                        line,
                        field("challenge.entry"),
                        format!("no earlier contact or referral with ref `{}`", step.entry),
                    ),
                    Some(Some(of)) => {
                        if let Some(why) = refusal(PolicyAction::Challenge { of }) {
                            issue(line, field("actor"), why);
                        }
                    }
                    Some(None) => {}
                }
                if !(1..=4).contains(&step.level) {
                    issue(line, field("challenge.level"), "1 to 4".into());
                }
                if step.concern.trim().is_empty() {
                    issue(
                        line,
                        field("challenge.concern"),
                        "say what the concern is".into(),
                    );
                }
                if let Some(r) = &step.reference
                    && challenges.insert(r.clone(), challenged.flatten()).is_some()
                {
                    issue(
                        line,
                        field("challenge.ref"),
                        format!("`{r}` is already used"),
                    );
                }
            }
            Action::RespondToChallenge(step) => match challenges.get(&step.challenge) {
                None => issue(
                    line,
                    field("respond_to_challenge.challenge"),
                    format!("no earlier challenge with ref `{}`", step.challenge),
                ),
                Some(Some(challenged)) => {
                    if let Some(why) = refusal(PolicyAction::RespondToChallenge {
                        challenged: *challenged,
                    }) {
                        issue(line, field("actor"), why);
                    }
                }
                Some(None) => {}
            },
            Action::BreakGlass(step) => {
                if agency.is_none() {
                    issue(
                        line,
                        field("actor"),
                        "only an agency user breaks glass".into(),
                    );
                }
                if step.reason.trim().is_empty() {
                    issue(line, field("break_glass.reason"), "give a reason".into());
                }
            }
            Action::BringIn(step) => {
                if step.reason.trim().is_empty() {
                    issue(line, field("bring_in.reason"), "give a reason".into());
                }
                if agency == Some(step.agency) {
                    issue(
                        line,
                        field("bring_in.agency"),
                        "an agency brings another in, not itself".into(),
                    );
                }
            }
            Action::LegalPlanningMeeting(body) => {
                let mut body = body.clone();
                body.insert("occurred_at".into(), at);
                if let Err(e) = as_request::<NewLegalPlanningMeeting>(body) {
                    issue(line, field("legal_planning_meeting"), e);
                }
                if let Some(why) = refusal(PolicyAction::RecordLegalPlanning) {
                    issue(line, field("actor"), why);
                }
            }
        }
    }
    if !created {
        issue(
            lines.key("steps"),
            "steps".into(),
            "no `create_child` step".into(),
        );
    }
    issues
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "name: t\ndescription: d\nchild:\n  given_name: A\n  family_name: B\n  date_of_birth: 2006-03-01\n\
actors:\n  doc:\n    agency: health\n    role: practitioner\n    display_name: Doctor\n\
steps:\n  - at: 2006-12-11T09:00:00Z\n    actor: doc\n    create_child: {}\n  - at: 2006-12-11T10:00:00Z\n    actor: doc\n    log_contact:\n      kind: hospital_admission\n      summary: bruising\n";

    #[test]
    fn a_good_file_passes() {
        let s = check(GOOD).unwrap();
        assert_eq!(s.steps.len(), 2);
    }

    #[test]
    fn issues_name_their_line() {
        let bad = GOOD
            .replace("kind: hospital_admission", "kind: hospital")
            .replace("actor: doc\n    create", "actor: nobody\n    create");
        let issues = check(&bad).unwrap_err();
        let lines: Vec<usize> = issues.iter().map(|i| i.line).collect();
        assert!(lines.contains(&13) || lines.contains(&16), "{issues:?}");
        let bad_time = GOOD.replace("at: 2006-12-11T10:00:00Z", "at: not-a-date");
        let issues = check(&bad_time).unwrap_err();
        assert_eq!(issues[0].line, 16, "{issues:?}");
    }

    #[test]
    fn process_steps_are_checked_against_the_policy_and_their_names() {
        let process = GOOD.replace(
            "actors:\n",
            "actors:\n  cop:\n    agency: police\n    role: practitioner\n    display_name: Officer\n  sw:\n    agency: social_care\n    role: practitioner\n    display_name: Social worker\n",
        ) + r#"  - at: 2006-12-11T11:00:00Z
    actor: doc
    make_referral: {ref: r1, referrer: professional, summary: bruising}
  - at: 2006-12-11T12:00:00Z
    actor: cop
    decide_referral: {referral: r1, decision: early_help, reason: r, assessment_ref: a1}
  - at: 2006-12-12T12:00:00Z
    actor: sw
    conclude_enquiry: {enquiry: nowhere, conclusion: not_substantiated, reason: r}
  - at: 2006-12-13T12:00:00Z
    actor: sw
    conference:
      plan_ref: p
      conference_type: initial
      agencies: [social_care]
      decision: plan
      category: neglect
      summary: s
      actions:
        - {ref: x, description: d, owner: health, due_date: 2007-01-31}
  - at: 2006-12-14T12:00:00Z
    actor: sw
    mark_plan_action: {action: x, status: done, note: n}
"#;
        let issues = check(&process).unwrap_err();
        let said: Vec<String> = issues
            .iter()
            .map(|i| format!("{}: {}", i.field, i.message))
            .collect();
        let has = |needle: &str| said.iter().any(|s| s.contains(needle));
        assert!(
            has("steps[3].actor: only the receiving agency (social care)"),
            "{said:?}"
        );
        assert!(has("steps[3].decide_referral.assessment_ref"), "{said:?}");
        assert!(
            has("steps[4].conclude_enquiry.enquiry: no earlier enquiry"),
            "{said:?}"
        );
        assert!(has("steps[6].actor: only health may mark"), "{said:?}");
        assert_eq!(said.len(), 4, "{said:?}");
        let fixed = process
            .replace("actor: cop\n    decide", "actor: sw\n    decide")
            .replace("decision: early_help", "decision: child_in_need_assessment")
            .replace("enquiry: nowhere", "enquiry: e")
            .replace("actor: sw\n    mark", "actor: doc\n    mark");
        let issues = check(&fixed).unwrap_err();
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(
            issues[0]
                .message
                .contains("no earlier enquiry with ref `e`")
        );
    }

    #[test]
    fn syntax_errors_have_lines_too() {
        let issues = check("name: [unclosed\n").unwrap_err();
        assert_eq!(issues.len(), 1);
        assert!(issues[0].line >= 1);
    }
}
