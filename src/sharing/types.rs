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

impl crate::audit::Identified for BreakGlass {
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
