//! SQL for contacts and amendments. Functions take an executor so that the caller owns the
//! transaction. Contact rows are only ever inserted (the database refuses anything else).

use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgExecutor};
use uuid::Uuid;

use super::types::{Amendment, Contact, ContactChanges, ContactFields};
use crate::pagination::{Cursor, Window};
use crate::vocabulary::Agency;
use crate::vocabulary::Visibility;

// Every query below is a constant string with constant column lists spliced in.
const META: &str = "c.id, c.child_id, c.agency, c.author_id, u.display_name AS author_name, \
                    c.recorded_at, c.visibility";

/// The columns of a contact as `ContactRow` reads them.
fn contact_columns() -> String {
    format!("{META}{}", ContactFields::SELECTED)
}
/// A contact with its amendments, oldest first.
#[derive(Debug)]
pub struct StoredContact {
    pub row: ContactRow,
    pub amendments: Vec<Amendment>,
}

/// Every contact of a child, in scenario-time order, each with its amendments: the whole of what
/// the agencies said, for the combined views.
pub async fn of_child(db: &sqlx::PgPool, child_id: Uuid) -> sqlx::Result<Vec<StoredContact>> {
    let contacts = sqlx::query_as::<_, ContactRow>(AssertSqlSafe(format!(
        "SELECT {} FROM contacts c JOIN users u ON u.id = c.author_id
         WHERE c.child_id = $1
         ORDER BY c.occurred_at, c.recorded_at, c.id",
        contact_columns()
    )))
    .bind(child_id)
    .fetch_all(db);
    let amendments = sqlx::query_as::<_, Amendment>(AssertSqlSafe(format!(
        "SELECT {AMENDMENT} FROM contact_amendments WHERE child_id = $1 ORDER BY amended_at, id"
    )))
    .bind(child_id)
    .fetch_all(db);
    let (contacts, amendments) = tokio::try_join!(contacts, amendments)?;
    let mut by_contact: std::collections::HashMap<Uuid, Vec<Amendment>> = Default::default();
    for a in amendments {
        by_contact.entry(a.contact_id).or_default().push(a);
    }
    Ok(contacts
        .into_iter()
        .map(|row| StoredContact {
            amendments: by_contact.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

const AMENDMENT: &str =
    "id, contact_id, agency, author_id, reason, changes, occurred_at, amended_at";

/// A contact as stored: who recorded it and how visible it is, and what it said.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ContactRow {
    pub id: Uuid,
    pub child_id: Uuid,
    pub agency: Agency,
    pub author_id: Uuid,
    pub author_name: String,
    pub recorded_at: DateTime<Utc>,
    pub visibility: Visibility,
    #[sqlx(flatten)]
    pub fields: ContactFields,
}

impl ContactRow {
    /// The contact in full, its amendments (oldest first) laid over what was first recorded.
    pub fn into_contact(self, amendments: Vec<Amendment>) -> Contact {
        let original = self.fields;
        let current = original
            .clone()
            .amended(amendments.iter().map(|a| &a.changes));
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
    // $1 to $5 are the record's own; the fields follow.
    let fields = (6..6 + ContactFields::COUNT)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let query = sqlx::query_as(AssertSqlSafe(format!(
        "WITH c AS (
           INSERT INTO contacts (id, child_id, agency, author_id, visibility{})
           VALUES ($1, $2, $3, $4, $5, {fields})
           RETURNING *)
         SELECT {} FROM c JOIN users u ON u.id = c.author_id",
        ContactFields::COLUMNS,
        contact_columns()
    )))
    .bind(Uuid::new_v4())
    .bind(record.child_id)
    .bind(record.agency)
    .bind(record.author_id)
    .bind(record.visibility);
    record.fields.bind_to(query).fetch_one(db).await
}

pub async fn find(
    db: impl PgExecutor<'_>,
    child_id: Uuid,
    contact_id: Uuid,
) -> sqlx::Result<Option<ContactRow>> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {} FROM contacts c JOIN users u ON u.id = c.author_id WHERE c.child_id = $1 AND c.id = $2",
        contact_columns()
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
        "SELECT {} FROM contacts c JOIN users u ON u.id = c.author_id
         WHERE c.child_id = $1 AND ($2::text IS NULL OR c.agency = $2)
           AND ($3::timestamptz IS NULL OR (c.occurred_at, c.id) > ($3, $4))
         ORDER BY c.occurred_at, c.id LIMIT $5",
        contact_columns()
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
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {AMENDMENT} FROM contact_amendments WHERE contact_id = ANY($1) ORDER BY amended_at, id"
    )))
    .bind(contact_ids)
    .fetch_all(db)
    .await
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
    sqlx::query_as(AssertSqlSafe(format!(
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
    .await
}

impl crate::audit::identified::Identified for ContactRow {
    fn id(&self) -> Uuid {
        self.id
    }
}
