//! SQL for people and checks. Functions take an executor so that the caller owns the transaction.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AssertSqlSafe, PgExecutor};
use uuid::Uuid;

use super::types::{Person, PersonCheck};
use crate::pagination::{Cursor, Window};
use crate::vocabulary::Agency;
use crate::vocabulary::{CheckOutcome, Relationship};

// Every query below is a constant string with these constant column lists spliced in.
const PERSON: &str = "id, child_id, name, relationship, lives_in_household, since, identity_verified, \
                      named_as_next_of_kin, agency, recorded_by, occurred_at, recorded_at";
const CHECK: &str =
    "id, person_id, child_id, outcome, summary, agency, recorded_by, occurred_at, recorded_at";

/// A person as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    pub child_id: Uuid,
    pub name: String,
    pub relationship: Relationship,
    pub lives_in_household: bool,
    pub since: Option<NaiveDate>,
    pub identity_verified: bool,
    pub named_as_next_of_kin: bool,
    pub agency: Agency,
    pub recorded_by: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

impl PersonRow {
    /// The person as the API shows them, with the checks on them given.
    pub fn with_checks(self, checks: Vec<PersonCheck>) -> Person {
        Person {
            id: self.id,
            child_id: self.child_id,
            name: self.name,
            relationship: self.relationship,
            lives_in_household: self.lives_in_household,
            since: self.since,
            identity_verified: self.identity_verified,
            named_as_next_of_kin: self.named_as_next_of_kin,
            agency: self.agency,
            recorded_by: self.recorded_by,
            occurred_at: self.occurred_at,
            recorded_at: self.recorded_at,
            checks,
        }
    }
}

impl crate::audit::identified::Identified for PersonRow {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// Every person recorded about a child, and every check on them, in scenario-time order.
pub async fn of_child(
    db: &sqlx::PgPool,
    child_id: Uuid,
) -> sqlx::Result<(Vec<PersonRow>, Vec<PersonCheck>)> {
    let people = sqlx::query_as::<_, PersonRow>(AssertSqlSafe(format!(
        "SELECT {PERSON} FROM people WHERE child_id = $1 ORDER BY occurred_at, recorded_at, id"
    )))
    .bind(child_id)
    .fetch_all(db);
    let checks = sqlx::query_as::<_, PersonCheck>(AssertSqlSafe(format!(
        "SELECT {CHECK} FROM person_checks WHERE child_id = $1 ORDER BY occurred_at, recorded_at, id"
    )))
    .bind(child_id)
    .fetch_all(db);
    tokio::try_join!(people, checks)
}

pub struct PersonRecord<'a> {
    pub child_id: Uuid,
    pub name: &'a str,
    pub relationship: Relationship,
    pub lives_in_household: bool,
    pub since: Option<NaiveDate>,
    pub identity_verified: bool,
    pub named_as_next_of_kin: bool,
    pub agency: Agency,
    pub recorded_by: Uuid,
    pub occurred_at: DateTime<Utc>,
}

pub async fn insert_person(
    db: impl PgExecutor<'_>,
    p: &PersonRecord<'_>,
) -> sqlx::Result<PersonRow> {
    sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO people (id, child_id, name, relationship, lives_in_household, since, identity_verified,
                             named_as_next_of_kin, agency, recorded_by, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING {PERSON}"
    )))
    .bind(Uuid::new_v4())
    .bind(p.child_id)
    .bind(p.name)
    .bind(p.relationship)
    .bind(p.lives_in_household)
    .bind(p.since)
    .bind(p.identity_verified)
    .bind(p.named_as_next_of_kin)
    .bind(p.agency)
    .bind(p.recorded_by)
    .bind(p.occurred_at)
    .fetch_one(db)
    .await
}

pub async fn find_person(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    person_id: Uuid,
) -> sqlx::Result<Option<PersonRow>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {PERSON} FROM people WHERE child_id = $1 AND id = $2"
    )))
    .bind(child_id)
    .bind(person_id)
    .fetch_optional(db)
    .await
}

/// A child's people, in the order they were learned of; only those recorded by `only_agency` when
/// given (a siloed reader).
pub async fn list_people(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    only_agency: Option<Agency>,
    window: &Window<Cursor>,
) -> sqlx::Result<Vec<PersonRow>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {PERSON} FROM people
         WHERE child_id = $1 AND ($2::text IS NULL OR agency = $2)
           AND ($3::timestamptz IS NULL OR (occurred_at, id) > ($3, $4))
         ORDER BY occurred_at, id LIMIT $5"
    )))
    .bind(child_id)
    .bind(only_agency)
    .bind(window.after.map(|c| c.at))
    .bind(window.after.map(|c| c.id))
    .bind(window.fetch())
    .fetch_all(db)
    .await
}

pub struct CheckRecord<'a> {
    pub person_id: Uuid,
    pub child_id: Uuid,
    pub outcome: CheckOutcome,
    pub summary: &'a str,
    pub agency: Agency,
    pub recorded_by: Uuid,
    pub occurred_at: DateTime<Utc>,
}

pub async fn insert_check(
    db: impl PgExecutor<'_>,
    c: &CheckRecord<'_>,
) -> sqlx::Result<PersonCheck> {
    sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO person_checks (id, person_id, child_id, outcome, summary, agency, recorded_by, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {CHECK}"
    )))
    .bind(Uuid::new_v4())
    .bind(c.person_id)
    .bind(c.child_id)
    .bind(c.outcome)
    .bind(c.summary)
    .bind(c.agency)
    .bind(c.recorded_by)
    .bind(c.occurred_at)
    .fetch_one(db)
    .await
}

/// The checks on the given people, oldest first.
pub async fn checks_for(
    db: impl PgExecutor<'_>,
    person_ids: &[Uuid],
) -> sqlx::Result<Vec<PersonCheck>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {CHECK} FROM person_checks WHERE person_id = ANY($1) ORDER BY occurred_at, id"
    )))
    .bind(person_ids)
    .fetch_all(db)
    .await
}
