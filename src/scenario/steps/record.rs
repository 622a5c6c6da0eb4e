//! The steps that write the record's own entries: the record, people and checks, contacts and
//! their amendments, status and sharing mode, and the ways another agency comes to read it.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::{Playing, Progress, ReplayError, Transport, id_of, named};
use crate::scenario::format::{
    AmendStep, BreakGlassStep, BringInStep, CheckStep, ModeStep, Scenario, StatusStep, without_ref,
};
use crate::vocabulary::SharingMode;

/// Opens the child record, switched to `mode` when one is given.
pub async fn create_child<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    scenario: &Scenario,
    mode: Option<SharingMode>,
) -> Result<String, ReplayError> {
    let Playing {
        transport,
        token,
        who,
        ..
    } = *p;
    let Progress { child_id, .. } = progress;
    let (created, _) = transport
        .call(
            Method::POST,
            "/api/v1/children",
            token,
            Some(&Value::Object(scenario.child.clone())),
            None,
        )
        .await?;
    let id = id_of(&created, "child record")?;
    *child_id = Some(id.clone());
    if let Some(mode) = mode {
        transport
            .call(
                Method::PUT,
                &format!("/api/v1/children/{id}/sharing-mode"),
                None,
                Some(&json!({"mode": mode})),
                None,
            )
            .await?;
    }
    Ok(format!("{who} opens the child record {id}"))
}

/// Records a person, remembered by its `ref`.
pub async fn add_person<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    body: &Map<String, Value>,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { people, .. } = progress;
    let (reference, mut body) = without_ref(body);
    body.insert("occurred_at".into(), json!(at));
    let person = p.post("/people", &Value::Object(body)).await?;
    if let Some(r) = reference {
        people.insert(r, id_of(&person, "person")?);
    }
    Ok(format!(
        "{who} records {} ({})",
        person["name"].as_str().unwrap_or("a person"),
        person["relationship"].as_str().unwrap_or("")
    ))
}

/// Records a background check on a person named earlier.
pub async fn record_check<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    check: &CheckStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { people, .. } = progress;
    let person = named(people, &check.person)?;
    let body = json!({"outcome": check.outcome, "summary": check.summary, "occurred_at": at});
    p.post(&format!("/people/{person}/checks"), &body).await?;
    Ok(format!(
        "{who} records a background check: {}",
        check.outcome.as_str()
    ))
}

/// Logs a contact, remembered by its `ref`.
pub async fn log_contact<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    body: &Map<String, Value>,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { contacts, .. } = progress;
    let (reference, mut body) = without_ref(body);
    body.insert("occurred_at".into(), json!(at));
    let contact = p.post("/contacts", &Value::Object(body)).await?;
    if let Some(r) = reference {
        contacts.insert(r, id_of(&contact, "contact")?);
    }
    Ok(format!(
        "{who}: {}: {}",
        contact["kind"].as_str().unwrap_or(""),
        contact["summary"].as_str().unwrap_or("")
    ))
}

/// Amends a contact named earlier.
pub async fn amend_contact<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    amend: &AmendStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let Progress { contacts, .. } = progress;
    let contact = named(contacts, &amend.contact)?;
    let body = json!({"reason": amend.reason, "changes": amend.changes, "occurred_at": at});
    p.post(&format!("/contacts/{contact}/amendments"), &body)
        .await?;
    Ok(format!("{who} amends a contact: {}", amend.reason))
}

/// Sets the child's status.
pub async fn change_status<T: Transport>(
    p: &Playing<'_, T>,
    change: &StatusStep,
) -> Result<String, ReplayError> {
    let Playing {
        transport,
        token,
        at,
        base,
        who,
    } = *p;
    let (_, etag) = transport.call(Method::GET, base, token, None, None).await?;
    let body = json!({"status": change.status, "effective_at": at});
    transport
        .call(Method::PATCH, base, token, Some(&body), etag.as_deref())
        .await?;
    Ok(format!(
        "{who} sets the status to {}",
        change.status.as_str()
    ))
}

/// Switches the record's sharing mode (the facilitator).
pub async fn set_sharing_mode<T: Transport>(
    p: &Playing<'_, T>,
    change: &ModeStep,
) -> Result<String, ReplayError> {
    let Playing {
        transport, base, ..
    } = *p;
    transport
        .call(
            Method::PUT,
            &format!("{base}/sharing-mode"),
            None,
            Some(&json!({"mode": change.mode})),
            None,
        )
        .await?;
    Ok(format!(
        "Facilitator switches the record to {}",
        change.mode.as_str()
    ))
}

/// Breaks glass to read the record.
pub async fn break_glass<T: Transport>(
    p: &Playing<'_, T>,
    step: &BreakGlassStep,
) -> Result<String, ReplayError> {
    let Playing { who, .. } = *p;
    let body = json!({"lawful_basis": step.lawful_basis, "reason": step.reason});
    p.post("/break-glass", &body).await?;
    Ok(format!(
        "{who} breaks glass ({}): {}",
        step.lawful_basis.as_str().replace('_', " "),
        step.reason
    ))
}

/// Brings an agency in to the record.
pub async fn bring_in<T: Transport>(
    p: &Playing<'_, T>,
    step: &BringInStep,
) -> Result<String, ReplayError> {
    let Playing { at, who, .. } = *p;
    let body = json!({"agency": step.agency, "reason": step.reason, "occurred_at": at});
    p.post("/involvements", &body).await?;
    Ok(format!(
        "{who} brings {} in: {}",
        step.agency.label(),
        step.reason
    ))
}
