//! Reading a whole child record for the combined views: contacts, their amendments, people, checks
//! and status changes, each in a query of its own run side by side. Every column is read typed (no
//! value goes through PostgreSQL's text or JSON form of a date), so nothing stored can fail a read.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgPool};
use uuid::Uuid;

use crate::contacts::repo::{AMENDMENT, AmendmentRow, CONTACT, ContactRow};
use crate::people::repo::{CHECK, PERSON};
use crate::people::types::{Person, PersonCheck};
use crate::vocabulary::ChildStatus;

/// A contact with its amendments, oldest first.
#[derive(Debug)]
pub struct StoredContact {
    pub row: ContactRow,
    pub amendments: Vec<AmendmentRow>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct StoredStatus {
    pub status: ChildStatus,
    pub at: DateTime<Utc>,
}

pub struct StoredRecord {
    pub contacts: Vec<StoredContact>,
    pub people: Vec<Person>,
    pub checks: Vec<PersonCheck>,
    pub statuses: Vec<StoredStatus>,
}

impl StoredRecord {
    /// How many entries it holds, amendments included.
    pub fn entries(&self) -> usize {
        self.contacts
            .iter()
            .map(|c| 1 + c.amendments.len())
            .sum::<usize>()
            + self.people.len()
            + self.checks.len()
            + self.statuses.len()
    }
}

/// Everything recorded about the child; what a view as of a moment may show is chosen from it in
/// memory.
pub async fn load(db: &PgPool, child_id: Uuid) -> sqlx::Result<StoredRecord> {
    let contacts = sqlx::query_as::<_, ContactRow>(AssertSqlSafe(format!(
        "SELECT {CONTACT} FROM contacts c JOIN users u ON u.id = c.author_id
         WHERE c.child_id = $1
         ORDER BY c.occurred_at, c.recorded_at, c.id"
    )))
    .bind(child_id)
    .fetch_all(db);
    let amendments = sqlx::query_as::<_, AmendmentRow>(AssertSqlSafe(format!(
        "SELECT {AMENDMENT} FROM contact_amendments WHERE child_id = $1 ORDER BY amended_at, id"
    )))
    .bind(child_id)
    .fetch_all(db);
    let people = sqlx::query_as::<_, Person>(AssertSqlSafe(format!(
        "SELECT {PERSON} FROM people WHERE child_id = $1 ORDER BY occurred_at, recorded_at, id"
    )))
    .bind(child_id)
    .fetch_all(db);
    let checks = sqlx::query_as::<_, PersonCheck>(AssertSqlSafe(format!(
        "SELECT {CHECK} FROM person_checks WHERE child_id = $1 ORDER BY occurred_at, recorded_at, id"
    )))
    .bind(child_id)
    .fetch_all(db);
    let statuses = sqlx::query_as::<_, StoredStatus>(
        "SELECT status, effective_at AS at FROM child_status_changes WHERE child_id = $1
         ORDER BY effective_at, recorded_at",
    )
    .bind(child_id)
    .fetch_all(db);
    let (contacts, amendments, people, checks, statuses) =
        tokio::try_join!(contacts, amendments, people, checks, statuses)?;
    let mut by_contact: HashMap<Uuid, Vec<AmendmentRow>> = HashMap::new();
    for a in amendments {
        by_contact.entry(a.contact_id).or_default().push(a);
    }
    let contacts = contacts
        .into_iter()
        .map(|row| StoredContact {
            amendments: by_contact.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect();
    Ok(StoredRecord {
        contacts,
        people,
        checks,
        statuses,
    })
}
