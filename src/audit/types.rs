use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::actor::Actor;
use crate::pagination::{Listed, Page};
use crate::routes::AuditAction;
use crate::vocabulary::{Agency, Role};

pub use crate::vocabulary::Outcome;

/// Who did it: a user, or (at a failed login) only the name typed.
#[derive(Debug, Clone, Default)]
pub struct Who {
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    pub agency: Option<Agency>,
    pub role: Option<Role>,
}

impl From<&Actor> for Who {
    fn from(a: &Actor) -> Self {
        Who {
            user_id: Some(a.id()),
            username: Some(a.user.username.clone()),
            agency: a.agency(),
            role: Some(a.role()),
        }
    }
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub who: Who,
    pub action: AuditAction,
    pub resource_id: Option<Uuid>,
    pub child_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub outcome: Outcome,
    pub reason: Option<String>,
}

impl NewEvent {
    /// An event of `action` by `who`, on nothing in particular yet.
    pub fn new(who: Who, action: AuditAction, outcome: Outcome) -> Self {
        NewEvent {
            who,
            action,
            resource_id: None,
            child_id: None,
            request_id: None,
            outcome,
            reason: None,
        }
    }

    /// A successful action by `actor`.
    pub fn allowed(actor: &Actor, request_id: &str, action: AuditAction) -> Self {
        NewEvent {
            request_id: Some(request_id.to_string()),
            ..NewEvent::new(actor.into(), action, Outcome::Allowed)
        }
    }

    pub fn resource(mut self, id: Uuid) -> Self {
        self.resource_id = Some(id);
        self
    }

    pub fn child(mut self, id: Uuid) -> Self {
        self.child_id = Some(id);
        self
    }
}

/// A recorded event.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: Uuid,
    /// Position in the chain.
    pub seq: i64,
    /// The server's clock.
    pub occurred_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    /// The user's name; at a failed login, the name typed.
    pub username: Option<String>,
    pub agency: Option<Agency>,
    pub role: Option<Role>,
    #[schema(example = "contact.create")]
    pub action: String,
    #[schema(example = "contact")]
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub child_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub outcome: Outcome,
    /// Why it was denied or failed.
    pub reason: Option<String>,
}

/// A page of the trail, newest first.
pub type AuditPage = Page<AuditEvent>;

impl Listed for AuditEvent {
    const PAGE: &'static str = "AuditPage";
    const NEXT: &'static str =
        "Pass as `cursor` for the next (older) page; `null` on the last page.";
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilters {
    pub child_id: Option<Uuid>,
    pub user_id: Option<Uuid>,
    pub agency: Option<Agency>,
    /// An action such as `contact.create` or `gap_report.read`.
    #[param(max_length = 100)]
    pub action: Option<String>,
    /// Events at or after this time.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub from: Option<DateTime<Utc>>,
    /// Events at or before this time.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub to: Option<DateTime<Utc>>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The result of walking the chain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ChainVerdict {
    /// Every sealed event follows from its content and its predecessor, none is missing, and every
    /// event not yet sealed still matches the hash it was recorded with.
    pub valid: bool,
    /// Sealed events checked, in chain order, up to and including the first broken one.
    pub events_checked: u64,
    /// The first event whose link does not follow from its content and its predecessor, or that
    /// is missing from the chain or from the trail.
    pub first_broken_event: Option<Uuid>,
    /// The hash at the head of a valid chain: compare it with a signed checkpoint of the same length.
    pub head_hash: Option<String>,
    /// Events committed but not yet sealed into the chain: the window in which a change to them
    /// would not yet break a link.
    pub unsealed_events: u64,
    /// How long the oldest of them has waited, in seconds.
    pub oldest_unsealed_age_seconds: Option<f64>,
}

/// One access to a child's record, for the family or an inspector. Of an access to an entry the
/// reader sees only as a stub, who made it (`user_id`, `username`, `display_name`, `role`) is
/// `null`; accesses to entries hidden from the reader are not listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct AccessLogEntry {
    pub occurred_at: DateTime<Utc>,
    /// `null` for an anonymous request, or an access to an entry seen only as a stub.
    pub user_id: Option<Uuid>,
    pub username: Option<String>,
    /// The practitioner's name as the service knows it.
    pub display_name: Option<String>,
    pub agency: Option<Agency>,
    pub role: Option<Role>,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<Uuid>,
    pub outcome: Outcome,
}

/// A page of the trail, newest first.
pub type AccessLogPage = Page<AccessLogEntry>;

impl Listed for AccessLogEntry {
    const PAGE: &'static str = "AccessLogPage";
    const NEXT: &'static str =
        "Pass as `cursor` for the next (older) page; `null` on the last page.";
}

/// A page of signed checkpoints, newest first.
pub type CheckpointPage = Page<super::checkpoint::Checkpoint>;

impl Listed for super::checkpoint::Checkpoint {
    const PAGE: &'static str = "CheckpointPage";
    const NEXT: &'static str =
        "Pass as `cursor` for the next (older) page; `null` on the last page.";
}
