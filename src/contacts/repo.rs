//! SQL for contacts and amendments. Functions take an executor so that the caller owns the
//! transaction. Contact rows are only ever inserted (the database refuses anything else).

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgExecutor};
use uuid::Uuid;

use super::types::{
    Amendment, Contact, ContactChanges, ContactFields, Examination, Explanation, Injury,
};
use crate::pagination::{Cursor, Window};
use crate::vocabulary::Agency;
use crate::vocabulary::{ConcernLevel, ContactKind, ContactOutcome, Opinion, Visibility};

// Every query below is a constant string with this constant column list spliced in.
pub const CONTACT: &str = "c.id, c.child_id, c.agency, c.author_id, u.display_name AS author_name, c.occurred_at, \
    c.recorded_at, c.kind, c.location, c.summary, c.child_seen, c.appearance_obscured, c.injuries, c.explanation, \
    c.examination, c.opinion, c.concern_level, c.concern_categories, c.outcome, c.actions, c.visibility";
pub const AMENDMENT: &str =
    "id, contact_id, agency, author_id, reason, changes, occurred_at, amended_at";

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct ContactRow {
    pub id: Uuid,
    pub child_id: Uuid,
    pub agency: Agency,
    pub author_id: Uuid,
    pub author_name: String,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    pub kind: ContactKind,
    pub location: Option<String>,
    pub summary: String,
    pub child_seen: Option<bool>,
    pub appearance_obscured: Option<bool>,
    pub injuries: Json<Vec<Injury>>,
    pub explanation: Option<Json<Explanation>>,
    pub examination: Option<Json<Examination>>,
    pub opinion: Option<Opinion>,
    pub concern_level: Option<ConcernLevel>,
    pub concern_categories: Vec<String>,
    pub outcome: Option<ContactOutcome>,
    pub actions: Vec<String>,
    pub visibility: Visibility,
}

impl ContactRow {
    /// The contact in full, its amendments (oldest first) laid over what was first recorded.
    pub fn into_contact(self, amendments: Vec<Amendment>) -> Contact {
        let original = ContactFields {
            occurred_at: self.occurred_at,
            kind: self.kind,
            location: self.location,
            summary: self.summary,
            child_seen: self.child_seen,
            appearance_obscured: self.appearance_obscured,
            injuries: self.injuries.0,
            explanation: self.explanation.map(|j| j.0),
            examination: self.examination.map(|j| j.0),
            opinion: self.opinion,
            concern_level: self.concern_level,
            // The CHECK constraint admits only known categories.
            concern_categories: self
                .concern_categories
                .iter()
                .filter_map(|c| c.parse().ok())
                .collect(),
            outcome: self.outcome,
            actions: self.actions,
        };
        let current = amendments
            .iter()
            .fold(original.clone(), |fields, a| fields.apply(&a.changes));
        let amended = !amendments.is_empty();
        Contact {
            id: self.id,
            child_id: self.child_id,
            agency: self.agency,
            author_id: self.author_id,
            author_name: self.author_name,
            recorded_at: self.recorded_at,
            visibility: self.visibility,
            restricted: false,
            current,
            amended,
            original: amended.then_some(original),
            amendments,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct AmendmentRow {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub agency: Agency,
    pub author_id: Uuid,
    pub reason: String,
    pub changes: Json<ContactChanges>,
    pub occurred_at: DateTime<Utc>,
    pub amended_at: DateTime<Utc>,
}

impl From<AmendmentRow> for Amendment {
    fn from(r: AmendmentRow) -> Self {
        Amendment {
            id: r.id,
            contact_id: r.contact_id,
            agency: r.agency,
            author_id: r.author_id,
            reason: r.reason,
            changes: r.changes.0,
            occurred_at: r.occurred_at,
            amended_at: r.amended_at,
        }
    }
}

pub struct ContactRecord<'a> {
    pub child_id: Uuid,
    pub agency: Agency,
    pub author_id: Uuid,
    pub fields: &'a ContactFields,
    pub visibility: Visibility,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    record: &ContactRecord<'_>,
) -> sqlx::Result<ContactRow> {
    let f = record.fields;
    sqlx::query_as(AssertSqlSafe(format!(
        "WITH c AS (
           INSERT INTO contacts (id, child_id, agency, author_id, occurred_at, kind, location, summary, child_seen,
                                 appearance_obscured, injuries, explanation, examination, opinion, concern_level,
                                 concern_categories, outcome, actions, visibility)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
           RETURNING *)
         SELECT {CONTACT} FROM c JOIN users u ON u.id = c.author_id"
    )))
    .bind(Uuid::new_v4())
    .bind(record.child_id)
    .bind(record.agency)
    .bind(record.author_id)
    .bind(f.occurred_at)
    .bind(f.kind)
    .bind(&f.location)
    .bind(&f.summary)
    .bind(f.child_seen)
    .bind(f.appearance_obscured)
    .bind(Json(&f.injuries))
    .bind(f.explanation.as_ref().map(Json))
    .bind(f.examination.as_ref().map(Json))
    .bind(f.opinion)
    .bind(f.concern_level)
    .bind(f.concern_categories.iter().map(|c| c.as_str()).collect::<Vec<_>>())
    .bind(f.outcome)
    .bind(&f.actions)
    .bind(record.visibility)
    .fetch_one(db)
    .await
}

pub async fn find(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    contact_id: Uuid,
) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {CONTACT} FROM contacts c JOIN users u ON u.id = c.author_id WHERE c.child_id = $1 AND c.id = $2"
    )))
    .bind(child_id)
    .bind(contact_id)
    .fetch_optional(db)
    .await
}

/// A child's contacts in scenario-time order; only `only_agency`'s when given (a siloed reader).
pub async fn list(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    only_agency: Option<Agency>,
    window: &Window<Cursor>,
) -> sqlx::Result<Vec<ContactRow>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {CONTACT} FROM contacts c JOIN users u ON u.id = c.author_id
         WHERE c.child_id = $1 AND ($2::text IS NULL OR c.agency = $2)
           AND ($3::timestamptz IS NULL OR (c.occurred_at, c.id) > ($3, $4))
         ORDER BY c.occurred_at, c.id LIMIT $5"
    )))
    .bind(child_id)
    .bind(only_agency)
    .bind(window.after.map(|c| c.at))
    .bind(window.after.map(|c| c.id))
    .bind(window.fetch())
    .fetch_all(db)
    .await
}

/// The amendments of the given contacts, oldest first.
pub async fn amendments_for(
    db: impl PgExecutor<'_>,
    contact_ids: &[Uuid],
) -> sqlx::Result<Vec<Amendment>> {
    let rows: Vec<AmendmentRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {AMENDMENT} FROM contact_amendments WHERE contact_id = ANY($1) ORDER BY amended_at, id"
    )))
    .bind(contact_ids)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(Amendment::from).collect())
}

pub struct AmendmentRecord<'a> {
    pub contact_id: Uuid,
    pub child_id: Uuid,
    pub agency: Agency,
    pub author_id: Uuid,
    pub reason: &'a str,
    pub changes: &'a ContactChanges,
    pub occurred_at: DateTime<Utc>,
}

pub async fn insert_amendment(
    db: impl PgExecutor<'_>,
    a: &AmendmentRecord<'_>,
) -> sqlx::Result<Amendment> {
    let row: AmendmentRow = sqlx::query_as(AssertSqlSafe(format!(
        "INSERT INTO contact_amendments (id, contact_id, child_id, agency, author_id, reason, changes, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {AMENDMENT}"
    )))
    .bind(Uuid::new_v4())
    .bind(a.contact_id)
    .bind(a.child_id)
    .bind(a.agency)
    .bind(a.author_id)
    .bind(a.reason)
    .bind(Json(a.changes))
    .bind(a.occurred_at)
    .fetch_one(db)
    .await?;
    Ok(row.into())
}

impl crate::audit::Identified for ContactRow {
    fn id(&self) -> Uuid {
        self.id
    }
}
