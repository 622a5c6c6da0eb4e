use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::pagination::{Listed, Page};
use crate::vocabulary::{Agency, LawfulBasis, ReviewOutcome};

/// A break-glass: a user of an agency not involved with the child opened the record, with a lawful
/// basis and a reason, until `expires_at` (real time).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BreakGlass {
    pub id: Uuid,
    pub child_id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub agency: Agency,
    pub lawful_basis: LawfulBasis,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The manager's review, once made.
    pub review: Option<Review>,
}

/// A manager's review of a break-glass.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub outcome: ReviewOutcome,
    pub note: String,
    pub reviewer_id: Uuid,
    pub reviewed_at: DateTime<Utc>,
}

impl crate::audit::identified::Identified for BreakGlass {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// Breaking glass on a record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lawful_basis": "section_47", "reason": "A strategy discussion tomorrow: police need the record's history"}))]
pub struct NewBreakGlass {
    pub lawful_basis: LawfulBasis,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// A manager's review of a break-glass.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "justified", "note": "Section 47 enquiry under way"}))]
pub struct NewReview {
    pub outcome: ReviewOutcome,
    #[schema(min_length = 1, max_length = 2000)]
    pub note: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BreakGlassParams {
    /// `false`: only those not yet reviewed; `true`: only reviewed ones; absent: all.
    pub reviewed: Option<bool>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A page of break-glasses, newest first.
pub type BreakGlassPage = Page<BreakGlass>;

impl Listed for BreakGlass {
    const PAGE: &'static str = "BreakGlassPage";
}

/// Asking for another agency's restricted contact, under a lawful basis.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact_id": "7d1f1a2c-3b4e-4f5a-9b6c-7d8e9f0a1b2c", "lawful_basis": "section_47",
    "reason": "Strategy discussion today: the police interview bears on the injuries"}))]
pub struct NewDisclosure {
    pub contact_id: Uuid,
    pub lawful_basis: LawfulBasis,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// A disclosure: one restricted contact given to one user, with its lawful basis.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Disclosure {
    pub id: Uuid,
    pub child_id: Uuid,
    pub contact_id: Uuid,
    pub user_id: Uuid,
    pub agency: Agency,
    pub lawful_basis: LawfulBasis,
    pub reason: String,
    pub disclosed_at: DateTime<Utc>,
}

impl crate::audit::identified::Identified for Disclosure {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// The disclosure, with the contact it disclosed in full.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Disclosed {
    pub disclosure: Disclosure,
    pub contact: crate::contacts::types::Contact,
}

impl crate::audit::identified::Identified for Disclosed {
    fn id(&self) -> Uuid {
        self.disclosure.id
    }
}

/// An agency's decision not to share, with its reason.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"contact_id": "7d1f1a2c-3b4e-4f5a-9b6c-7d8e9f0a1b2c", "requested_by": "health",
    "reason": "An informant's identity: sharing would put them at risk"}))]
pub struct NewRefusal {
    /// The agency's own contact not shared, if the decision is about one.
    pub contact_id: Option<Uuid>,
    /// The agency that asked, if one did.
    pub requested_by: Option<Agency>,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// A recorded decision not to share.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Refusal {
    pub id: Uuid,
    pub child_id: Uuid,
    pub contact_id: Option<Uuid>,
    pub user_id: Uuid,
    pub agency: Agency,
    pub requested_by: Option<Agency>,
    /// Why: shown to the refusing agency and facilitators only (it may name an informant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub decided_at: DateTime<Utc>,
}

impl crate::audit::identified::Identified for Refusal {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// The record's sharing decisions: disclosures made and decisions not to share, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SharingDecisions {
    pub disclosures: Vec<Disclosure>,
    pub refusals: Vec<Refusal>,
}
