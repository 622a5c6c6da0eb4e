//! The steps of the safeguarding process: referrals and their decisions, strategy discussions,
//! enquiries and assessments, conferences and plans, legal planning meetings and challenges.

use serde_json::{Map, Value, json};

use super::{Playing, Progress, ReplayError, Transport, id_of, named, related};
use crate::scenario::format::{
    AcknowledgeStep, ChallengeStep, CompleteStep, ConcludeStep, DecideStep, MarkStep, RespondStep,
    conference_parts, take, without_ref,
};

/// Makes or logs a referral, remembered by its `ref`.
pub async fn make_referral<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    body: &Map<String, Value>,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { records, .. } = progress;
    let (reference, mut body) = without_ref(body);
    body.insert("occurred_at".into(), json!(at));
    let made = p.post("/referrals", &Value::Object(body)).await?;
    if let Some(r) = reference {
        records.insert(r, id_of(&made, "referral")?);
    }
    Ok(format!(
        "{who} refers to {}: {}",
        made["to_agency"].as_str().unwrap_or(""),
        made["summary"].as_str().unwrap_or("")
    ))
}

/// Acknowledges a referral named earlier.
pub async fn acknowledge_referral<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    step: &AcknowledgeStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { records, .. } = progress;
    let referral = named(records, &step.referral)?;
    p.post(
        &format!("/referrals/{referral}/acknowledgement"),
        &json!({"occurred_at": at}),
    )
    .await?;
    Ok(format!("{who} acknowledges the referral"))
}

/// Decides a referral named earlier, naming the assessment it starts.
pub async fn decide_referral<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    step: &DecideStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { records, .. } = progress;
    let referral = named(records, &step.referral)?;
    let body = json!({"occurred_at": at, "decision": step.decision, "reason": step.reason});
    let decided = p
        .post(&format!("/referrals/{referral}/decision"), &body)
        .await?;
    if let Some(name) = &step.assessment_ref {
        records.insert(name.clone(), related(&decided, "assessment")?);
    }
    Ok(format!(
        "{who} decides the referral: {}",
        step.decision.as_str()
    ))
}

/// Holds a strategy discussion, naming the enquiry it starts.
pub async fn strategy_discussion<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    body: &Map<String, Value>,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { records, .. } = progress;
    let (reference, mut body) = without_ref(body);
    let enquiry = take(&mut body, "enquiry_ref");
    if let Some(r) = take(&mut body, "referral") {
        body.insert("referral_id".into(), json!(named(records, &r)?));
    }
    body.insert("occurred_at".into(), json!(at));
    let held = p
        .post("/strategy-discussions", &Value::Object(body))
        .await?;
    if let Some(r) = reference {
        records.insert(r, id_of(&held, "strategy discussion")?);
    }
    if let Some(r) = enquiry {
        records.insert(r, related(&held, "section_47_enquiry")?);
    }
    Ok(format!(
        "{who} holds a strategy discussion: {}",
        held["outcome"].as_str().unwrap_or("")
    ))
}

/// Concludes an enquiry named earlier.
pub async fn conclude_enquiry<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    step: &ConcludeStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { records, .. } = progress;
    let enquiry = named(records, &step.enquiry)?;
    let body = json!({"occurred_at": at, "conclusion": step.conclusion, "reason": step.reason});
    p.post(
        &format!("/section-47-enquiries/{enquiry}/conclusion"),
        &body,
    )
    .await?;
    Ok(format!(
        "{who} concludes the section 47 enquiry: {}",
        step.conclusion.as_str()
    ))
}

/// Completes an assessment named earlier.
pub async fn complete_assessment<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    step: &CompleteStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { records, .. } = progress;
    let assessment = named(records, &step.assessment)?;
    let body = json!({"occurred_at": at, "outcome": step.outcome, "summary": step.summary});
    p.post(&format!("/assessments/{assessment}/completion"), &body)
        .await?;
    Ok(format!(
        "{who} completes the assessment: {}",
        step.outcome.as_str()
    ))
}

/// Holds a conference, naming the plan it makes and the plan's actions.
pub async fn conference<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    body: &Map<String, Value>,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress {
        records,
        plan_actions,
        ..
    } = progress;
    let (plan_name, action_names, mut body) = conference_parts(body);
    body.insert("occurred_at".into(), json!(at));
    let given = body.get("actions").cloned().unwrap_or(json!([]));
    let held = p.post("/conferences", &Value::Object(body)).await?;
    if held["decision"] == "plan" {
        let plan = related(&held, "plan")?;
        let listed = p.get(&format!("/plans/{plan}/actions?limit=500")).await?;
        // Each named action is the stored one that says the same.
        for (name, action) in action_names
            .iter()
            .zip(given.as_array().into_iter().flatten())
        {
            let Some(name) = name else { continue };
            let same = listed["items"].as_array().into_iter().flatten().find(|a| {
                ["description", "owner", "due_date"]
                    .iter()
                    .all(|k| a[k] == action[k])
                    && !plan_actions
                        .values()
                        .any(|(_, id)| a["id"].as_str() == Some(id))
            });
            let id = same
                .map(|a| id_of(a, "plan action"))
                .transpose()?
                .ok_or_else(|| {
                    ReplayError::new(format!("the plan holds no action like `{name}`"))
                })?;
            plan_actions.insert(name.clone(), (plan.clone(), id));
        }
        if let Some(name) = plan_name {
            records.insert(name, plan);
        }
    }
    Ok(format!(
        "{who}: {} child protection conference decides {}",
        held["conference_type"].as_str().unwrap_or(""),
        held["decision"].as_str().unwrap_or("")
    ))
}

/// Holds a core group meeting.
pub async fn core_group<T: Transport>(
    p: &Playing<'_, T>,
    body: &Map<String, Value>,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let mut body = body.clone();
    body.insert("occurred_at".into(), json!(at));
    p.post("/core-groups", &Value::Object(body)).await?;
    Ok(format!("{who} holds a core group meeting"))
}

/// Adds an action to a plan named earlier.
pub async fn add_plan_action<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    body: &Map<String, Value>,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress {
        records,
        plan_actions,
        ..
    } = progress;
    let (reference, mut body) = without_ref(body);
    let plan = named(records, &take(&mut body, "plan").unwrap_or_default())?;
    body.insert("occurred_at".into(), json!(at));
    let added = p
        .post(&format!("/plans/{plan}/actions"), &Value::Object(body))
        .await?;
    if let Some(r) = reference {
        plan_actions.insert(r, (plan, id_of(&added, "plan action")?));
    }
    Ok(format!(
        "{who} adds a plan action for {}: {}",
        added["owner"].as_str().unwrap_or(""),
        added["description"].as_str().unwrap_or("")
    ))
}

/// Marks a plan action named earlier.
pub async fn mark_plan_action<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    step: &MarkStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { plan_actions, .. } = progress;
    let (plan, action) = plan_actions.get(&step.action).cloned().ok_or_else(|| {
        ReplayError::new(format!("no earlier plan action named `{}`", step.action))
    })?;
    let body = json!({"occurred_at": at, "status": step.status, "note": step.note});
    p.post(&format!("/plans/{plan}/actions/{action}/marks"), &body)
        .await?;
    Ok(format!(
        "{who} marks a plan action {}: {}",
        step.status.as_str(),
        step.note
    ))
}

/// Holds a legal planning meeting.
pub async fn legal_planning_meeting<T: Transport>(
    p: &Playing<'_, T>,
    body: &Map<String, Value>,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let mut body = body.clone();
    body.insert("occurred_at".into(), json!(at));
    let held = p
        .post("/legal-planning-meetings", &Value::Object(body))
        .await?;
    Ok(format!(
        "{who} holds a legal planning meeting: {}",
        held["advice"].as_str().unwrap_or("")
    ))
}

/// Challenges another agency's contact or referral named earlier.
pub async fn challenge<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    step: &ChallengeStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress {
        contacts, records, ..
    } = progress;
    let entry = contacts
        .get(&step.entry)
        .or_else(|| records.get(&step.entry))
        .cloned()
        .ok_or_else(|| {
            ReplayError::new(format!(
                "no earlier contact or referral named `{}`",
                step.entry
            ))
        })?;
    let body = json!({"occurred_at": at, "entry_id": entry, "concern": step.concern,
        "level": step.level});
    let raised = p.post("/challenges", &body).await?;
    if let Some(r) = &step.reference {
        records.insert(r.clone(), id_of(&raised, "challenge")?);
    }
    Ok(format!(
        "{who} challenges {}'s {} at level {}: {}",
        raised["challenged_agency"]
            .as_str()
            .unwrap_or("")
            .replace('_', " "),
        raised["entry_kind"]
            .as_str()
            .unwrap_or("")
            .replace('_', " "),
        step.level,
        step.concern
    ))
}

/// Answers a challenge named earlier.
pub async fn respond_to_challenge<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    step: &RespondStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { records, .. } = progress;
    let challenge = named(records, &step.challenge)?;
    let body = json!({"occurred_at": at, "response": step.response, "reason": step.reason});
    p.post(&format!("/challenges/{challenge}/response"), &body)
        .await?;
    Ok(format!(
        "{who} answers the challenge: {}: {}",
        step.response.as_str().replace('_', " "),
        step.reason
    ))
}
