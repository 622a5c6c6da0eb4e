//! The safeguarding process as pure rules: where a record stands given its events, whether a
//! requested change of its state may be made, and what a record or a change starts. The handlers
//! read the record and its events, ask here, and write what the answer says; nothing here touches
//! the database or HTTP.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::types::{Details, EventDetails, NewPlanAction};
use crate::error::{ApiError, ApiResult};
use crate::validation::text;
use crate::vocabulary::{
    ActionStatus, Agency, ChildStatus, ConferenceDecision, ConferenceType, EventType, RecordState,
    RecordType, ReferralDecision, StrategyOutcome,
};

/// A change of state a record already has, as the process reads it.
#[derive(Debug, Clone, Copy)]
pub struct Past<'a> {
    pub at: DateTime<Utc>,
    pub details: &'a EventDetails,
}

/// Where a record stands given its events (and, for a plan, whether a review ended it).
pub fn state_of(details: &Details, events: &[Past<'_>], plan_ended: bool) -> RecordState {
    let has = |t: EventType| events.iter().any(|e| e.details.event_type() == t);
    match details {
        Details::Referral { .. } if has(EventType::Decided) => RecordState::Decided,
        Details::Referral { .. } if has(EventType::Acknowledged) => RecordState::Acknowledged,
        Details::Referral { .. } => RecordState::Received,
        Details::Section47Enquiry { .. } if has(EventType::Concluded) => RecordState::Concluded,
        Details::Section47Enquiry { .. } => RecordState::Open,
        Details::Assessment { .. } if has(EventType::Completed) => RecordState::Completed,
        Details::Assessment { .. } => RecordState::InProgress,
        Details::Plan { .. } if plan_ended => RecordState::Ended,
        Details::Plan { .. } => RecordState::Active,
        Details::PlanAction { .. } => {
            let mut state = RecordState::Open;
            for e in events {
                if let EventDetails::Marked { status, .. } = e.details {
                    state = match status {
                        ActionStatus::Done => return RecordState::Done,
                        ActionStatus::NotDone => RecordState::NotDone,
                    };
                }
            }
            state
        }
        Details::Challenge { .. } if has(EventType::Responded) => RecordState::Answered,
        Details::Challenge { .. } => RecordState::Open,
        _ => RecordState::Held,
    }
}

/// Whether `change`, made at `at`, may be appended to the record `id` with these `details` and
/// events so far; if so, the records it starts. A change is made once (a mark `not_done` may be
/// followed by others until one is `done`, each after the last).
pub fn change(
    (id, details): (Uuid, &Details),
    events: &[Past<'_>],
    change: &EventDetails,
    at: DateTime<Utc>,
) -> ApiResult<Vec<Details>> {
    let has = |t: EventType| events.iter().any(|e| e.details.event_type() == t);
    let once = |t: EventType, what: String| {
        if has(t) {
            Err(ApiError::Conflict(format!("this {what}")))
        } else {
            Ok(())
        }
    };
    match (details, change) {
        (Details::Referral { .. }, EventDetails::Acknowledged {}) => {
            once(
                EventType::Acknowledged,
                "referral has already been acknowledged".into(),
            )?;
            once(
                EventType::Decided,
                "referral has already been decided".into(),
            )?;
            Ok(Vec::new())
        }
        (Details::Referral { to_agency, .. }, EventDetails::Decided { decision, .. }) => {
            once(
                EventType::Decided,
                "referral has already been decided".into(),
            )?;
            Ok(decision_starts_assessment(*to_agency, *decision)
                .then_some(Details::Assessment { referral_id: id })
                .into_iter()
                .collect())
        }
        (Details::Section47Enquiry { .. }, EventDetails::Concluded { .. })
        | (Details::Assessment { .. }, EventDetails::Completed { .. }) => {
            let event = change.event_type();
            once(
                event,
                format!(
                    "{} is already {}",
                    details.record_type().as_str().replace('_', " "),
                    event.as_str()
                ),
            )?;
            Ok(Vec::new())
        }
        (Details::PlanAction { .. }, EventDetails::Marked { .. }) => {
            let done = events.iter().any(|e| {
                matches!(
                    e.details,
                    EventDetails::Marked {
                        status: ActionStatus::Done,
                        ..
                    }
                )
            });
            if done {
                return Err(ApiError::Conflict(
                    "this action has already been marked done".into(),
                ));
            }
            if let Some(last) = events.iter().map(|e| e.at).max()
                && at < last
            {
                return Err(ApiError::validation(
                    "occurred_at",
                    format!(
                        "the action was last marked at {}: a mark comes after it",
                        last.to_rfc3339()
                    ),
                ));
            }
            Ok(Vec::new())
        }
        (Details::Challenge { .. }, EventDetails::Responded { .. }) => {
            once(
                EventType::Responded,
                "challenge has already been answered".into(),
            )?;
            Ok(Vec::new())
        }
        _ => Err(ApiError::internal(anyhow::anyhow!(
            "a {} cannot be {}",
            details.record_type().as_str(),
            change.event_type().as_str()
        ))),
    }
}

/// Assessing a child's needs is social care's: its decisions to do so start one.
fn decision_starts_assessment(receiving: Agency, decision: ReferralDecision) -> bool {
    receiving == Agency::SocialCare
        && matches!(
            decision,
            ReferralDecision::ChildInNeedAssessment | ReferralDecision::StrategyDiscussion
        )
}

/// The records a new record `id` starts: a strategy discussion's `section_47_enquiry` outcome
/// starts the enquiry. (A conference's plan is made by [`conference`].)
pub fn starts(id: Uuid, details: &Details) -> Vec<Details> {
    match details {
        Details::StrategyDiscussion {
            outcome: StrategyOutcome::Section47Enquiry,
            ..
        } => vec![Details::Section47Enquiry {
            strategy_discussion_id: id,
        }],
        _ => Vec::new(),
    }
}

/// The `occurred_at` of a change of a record's state: not before the record itself.
pub fn not_before(
    at: DateTime<Utc>,
    (record_type, record_at): (RecordType, DateTime<Utc>),
    what: &str,
) -> ApiResult<DateTime<Utc>> {
    if at < record_at {
        return Err(ApiError::validation(
            "occurred_at",
            format!(
                "{what} cannot come before the {} itself ({})",
                record_type.as_str().replace('_', " "),
                record_at.to_rfc3339()
            ),
        ));
    }
    Ok(at)
}

/// What a conference decides, checked before anything is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceOutcome {
    /// The plan's category, when the conference makes one.
    pub plan: Option<crate::vocabulary::PlanCategory>,
    /// The child's status from the conference on, when it changes one.
    pub status: Option<ChildStatus>,
}

/// A conference's type, decision, category and number of actions as asked for: an initial
/// conference decides `plan` or `no_plan`, a review `plan_continues` or `plan_ends`; only a plan has
/// a category (and must) and actions (at most 50).
pub fn conference(
    conference_type: ConferenceType,
    decision: ConferenceDecision,
    category: Option<crate::vocabulary::PlanCategory>,
    actions: usize,
) -> ApiResult<ConferenceOutcome> {
    let fits = match conference_type {
        ConferenceType::Initial => {
            matches!(
                decision,
                ConferenceDecision::Plan | ConferenceDecision::NoPlan
            )
        }
        ConferenceType::Review => matches!(
            decision,
            ConferenceDecision::PlanContinues | ConferenceDecision::PlanEnds
        ),
    };
    if !fits {
        return Err(ApiError::validation(
            "decision",
            "an initial conference decides `plan` or `no_plan`; a review `plan_continues` or `plan_ends`",
        ));
    }
    let makes_plan = decision == ConferenceDecision::Plan;
    let plan = match (makes_plan, category) {
        (true, None) => {
            return Err(ApiError::validation(
                "category",
                "a plan is made under a category",
            ));
        }
        (false, Some(_)) => {
            return Err(ApiError::validation(
                "category",
                "only a decision of `plan` has a category",
            ));
        }
        (_, category) => category,
    };
    if !makes_plan && actions > 0 {
        return Err(ApiError::validation(
            "actions",
            "only a decision of `plan` has actions; add them to the plan later",
        ));
    }
    if actions > 50 {
        return Err(ApiError::validation("actions", "at most 50 actions"));
    }
    let status = match decision {
        ConferenceDecision::Plan | ConferenceDecision::PlanContinues => {
            Some(ChildStatus::ChildProtectionPlan)
        }
        ConferenceDecision::PlanEnds => Some(ChildStatus::ChildInNeed),
        ConferenceDecision::NoPlan => None,
    };
    Ok(ConferenceOutcome { plan, status })
}

/// Whether a conference may sit given the plan in force then: an initial conference may not make a
/// second plan, and a review needs a plan to review.
pub fn conference_may_sit(
    conference_type: ConferenceType,
    decision: ConferenceDecision,
    in_force: Option<Uuid>,
) -> ApiResult<()> {
    match (conference_type, in_force) {
        (ConferenceType::Initial, Some(_)) if decision == ConferenceDecision::Plan => {
            Err(ApiError::Conflict(
                "the child is already on a child protection plan: hold a review conference".into(),
            ))
        }
        (ConferenceType::Review, None) => Err(ApiError::Conflict(
            "the child is on no child protection plan to review".into(),
        )),
        _ => Ok(()),
    }
}

/// A record as the plan rules read it: its id, when it happened and what it is.
pub type Held<'a> = (Uuid, DateTime<Utc>, &'a Details);

/// The plan in force at `at`, if any, among the child's conferences and plans (in time order): made
/// by the latest initial conference by then that decided one, unless a review since ended it.
pub fn plan_in_force<'a>(
    conferences: impl IntoIterator<Item = Held<'a>>,
    plans: impl IntoIterator<Item = Held<'a>>,
    at: DateTime<Utc>,
) -> Option<Uuid> {
    let mut in_force = None;
    for (id, occurred_at, details) in conferences {
        if occurred_at > at {
            break;
        }
        match details {
            Details::Conference {
                decision: ConferenceDecision::Plan,
                ..
            } => in_force = Some(id),
            Details::Conference {
                decision: ConferenceDecision::PlanEnds,
                ..
            } => in_force = None,
            _ => {}
        }
    }
    // The plan the conference made.
    let conference = in_force?;
    plans.into_iter().find_map(|(id, _, details)| {
        matches!(details, Details::Plan { conference_id, .. } if *conference_id == conference)
            .then_some(id)
    })
}

/// A later action may be added to `plan` only while it is in force.
pub fn action_may_be_added(plan: Uuid, in_force: Option<Uuid>) -> ApiResult<()> {
    if in_force != Some(plan) {
        return Err(ApiError::Conflict(
            "the plan was not in force at `occurred_at`".into(),
        ));
    }
    Ok(())
}

/// A plan action agreed at `at`, under `field` (a prefix such as `actions[0].`).
pub fn plan_action(
    action: &NewPlanAction,
    plan_id: Uuid,
    at: DateTime<Utc>,
    field: &str,
) -> ApiResult<Details> {
    if action.due_date < at.date_naive() {
        return Err(ApiError::validation(
            format!("{field}due_date"),
            "an action cannot be due before it was agreed",
        ));
    }
    Ok(Details::PlanAction {
        plan_id,
        description: text(&format!("{field}description"), &action.description, 1, 500)?,
        owner: action.owner,
        due_date: action.due_date,
    })
}

/// A challenge's level of the escalation procedure.
pub fn challenge_level(level: u8) -> ApiResult<u8> {
    if !(1..=4).contains(&level) {
        return Err(ApiError::validation(
            "level",
            "1 (practitioners), 2 (managers), 3 (senior managers) or 4 (the safeguarding partnership)",
        ));
    }
    Ok(level)
}

/// The last day an entry may carry: scenario times are validated to years 0001–9999.
pub fn last_day() -> NaiveDate {
    NaiveDate::MAX.min(NaiveDate::from_ymd_opt(9999, 12, 31).expect("a valid date"))
}

#[cfg(test)]
mod tests;
