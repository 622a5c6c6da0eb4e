use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::{Listed, Page};
use crate::vocabulary::Agency;
use crate::vocabulary::{CheckOutcome, Relationship};

/// A person linked to the child, with the checks recorded on them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub child_id: Uuid,
    pub name: String,
    pub relationship: Relationship,
    pub lives_in_household: bool,
    /// Since when they live in the household, where known.
    pub since: Option<NaiveDate>,
    pub identity_verified: bool,
    pub named_as_next_of_kin: bool,
    /// The agency that recorded the person.
    pub agency: Agency,
    pub recorded_by: Uuid,
    /// Scenario time at which the agency learned of the person.
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    #[serde(default)]
    pub checks: Vec<PersonCheck>,
}

/// A background check on a person, recorded by police.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct PersonCheck {
    pub id: Uuid,
    pub person_id: Uuid,
    pub child_id: Uuid,
    pub outcome: CheckOutcome,
    pub summary: String,
    pub agency: Agency,
    pub recorded_by: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Mother's partner", "relationship": "mothers_partner", "lives_in_household": true,
    "identity_verified": false, "named_as_next_of_kin": true, "occurred_at": "2006-12-11T12:00:00Z"}))]
pub struct NewPerson {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub relationship: Relationship,
    pub lives_in_household: bool,
    /// Since when they live in the household; not in the future.
    #[serde(default, deserialize_with = "crate::validation::dates::optional_day")]
    pub since: Option<NaiveDate>,
    pub identity_verified: bool,
    #[serde(default)]
    pub named_as_next_of_kin: bool,
    /// Scenario time; defaults to now; not more than a day in the future.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub occurred_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"outcome": "relevant_history", "summary": "Previous convictions for violence",
    "occurred_at": "2007-06-20T10:00:00Z"}))]
pub struct NewCheck {
    pub outcome: CheckOutcome,
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
    /// Scenario time; defaults to now; not more than a day in the future.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A page of people.
pub type PersonPage = Page<Person>;

impl Listed for Person {
    const PAGE: &'static str = "PersonPage";
}

impl crate::audit::identified::Identified for PersonCheck {
    fn id(&self) -> Uuid {
        self.id
    }
}
