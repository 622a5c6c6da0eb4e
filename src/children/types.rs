use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::pagination::{Listed, Page, PageParams};
use crate::vocabulary::{ChildStatus, SharingMode};

/// A child record.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Child {
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub identifier: Option<String>,
    pub address: Option<String>,
    pub status: ChildStatus,
    pub sharing_mode: SharingMode,
    /// Changes with every update; sent as the `ETag`, expected back in `If-Match`.
    pub version: i32,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The training exercise's team whose workspace holds the record; absent outside exercises.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team_id: Option<Uuid>,
    /// Replaced by a new record when its team was reset: facilitators still see it.
    #[serde(skip)]
    pub retired: bool,
}

impl Child {
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.version)
    }
}

/// A new child record.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"given_name": "Peter", "family_name": "C", "date_of_birth": "2006-03-01", "address": "Haringey"}))]
pub struct NewChild {
    #[schema(min_length = 1, max_length = 100)]
    pub given_name: String,
    #[schema(min_length = 1, max_length = 100)]
    pub family_name: String,
    /// Not in the future.
    #[serde(deserialize_with = "crate::validation::dates::day")]
    pub date_of_birth: NaiveDate,
    /// An NHS-number-like identifier.
    #[schema(max_length = 50)]
    pub identifier: Option<String>,
    #[schema(max_length = 500)]
    pub address: Option<String>,
}

/// A change to a record's status or address; send the record's `ETag` in `If-Match`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "child_protection_plan"}))]
pub struct ChildChange {
    pub status: Option<ChildStatus>,
    /// An empty string clears the address.
    #[schema(max_length = 500)]
    pub address: Option<String>,
    /// Scenario time at which a new status took effect; defaults to now.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub effective_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode": "siloed"}))]
pub struct SharingModeChange {
    pub mode: SharingMode,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChildSearch {
    /// Part of the given or family name, any case.
    #[param(max_length = 100)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "crate::validation::dates::optional_day")]
    pub date_of_birth: Option<NaiveDate>,
    #[param(max_length = 50)]
    pub identifier: Option<String>,
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ChildSearch {
    pub fn page(&self) -> PageParams {
        PageParams {
            limit: self.limit,
            cursor: self.cursor.clone(),
        }
    }
}

/// A page of child records.
pub type ChildPage = Page<ChildEntry>;

/// What a search shows of a record the caller's agency is not involved with: that it exists, and
/// which agencies are. Reading it takes a break-glass.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildExistence {
    pub id: Uuid,
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: NaiveDate,
    pub involved_agencies: Vec<crate::vocabulary::Agency>,
    /// Always `true`.
    pub restricted: bool,
}

/// A record found: in full, or only its existence.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ChildEntry {
    Full(Box<Child>),
    Existence(ChildExistence),
}

impl Listed for ChildEntry {
    const PAGE: &'static str = "ChildPage";
}

impl crate::audit::identified::Identified for Child {
    fn id(&self) -> Uuid {
        self.id
    }
}
