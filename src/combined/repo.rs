//! Reading a whole child record for the combined views: contacts with their amendments, and people,
//! checks and status changes, in two queries sent together.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::PgPool;
use sqlx::types::Json;
use uuid::Uuid;

use crate::contacts::repo::{AmendmentRow, ContactRow};
use crate::people::types::{Person, PersonCheck};
use crate::vocabulary::ChildStatus;

/// A contact with its amendments, oldest first.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredContact {
    #[sqlx(flatten)]
    pub row: ContactRow,
    pub amendments: Json<Vec<AmendmentRow>>,
}

#[derive(Debug, Deserialize)]
pub struct StoredStatus {
    pub status: ChildStatus,
    pub at: DateTime<Utc>,
}

/// The people, checks and status changes of a record: few, so read as one JSON document.
#[derive(Debug, Deserialize)]
pub struct StoredSurroundings {
    pub people: Vec<Person>,
    pub checks: Vec<PersonCheck>,
    pub statuses: Vec<StoredStatus>,
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
            .map(|c| 1 + c.amendments.0.len())
            .sum::<usize>()
            + self.people.len()
            + self.checks.len()
            + self.statuses.len()
    }
}

/// Everything recorded about the child, in two queries run side by side; what a view as of a moment
/// may show is chosen from it in memory.
pub async fn load(db: &PgPool, child_id: Uuid) -> sqlx::Result<StoredRecord> {
    let contacts = sqlx::query_as::<_, StoredContact>(
        "SELECT c.id, c.child_id, c.agency, c.author_id, u.display_name AS author_name, c.occurred_at,
                c.recorded_at, c.kind, c.location, c.summary, c.child_seen, c.appearance_obscured, c.injuries,
                c.explanation, c.examination, c.opinion, c.concern_level, c.concern_categories, c.outcome,
                c.actions, c.visibility,
                coalesce((SELECT json_agg(a ORDER BY a.amended_at, a.id) FROM contact_amendments a
                          WHERE a.contact_id = c.id), '[]') AS amendments
         FROM contacts c JOIN users u ON u.id = c.author_id
         WHERE c.child_id = $1
         ORDER BY c.occurred_at, c.recorded_at, c.id",
    )
    .bind(child_id)
    .fetch_all(db);
    let surroundings = sqlx::query_scalar::<_, Json<StoredSurroundings>>(
        "SELECT json_build_object(
           'people', coalesce((SELECT json_agg(p ORDER BY p.occurred_at, p.recorded_at, p.id)
                               FROM people p WHERE p.child_id = $1), '[]'),
           'checks', coalesce((SELECT json_agg(k ORDER BY k.occurred_at, k.recorded_at, k.id)
                               FROM person_checks k WHERE k.child_id = $1), '[]'),
           'statuses', coalesce((SELECT json_agg(json_build_object('status', s.status, 'at', s.effective_at)
                                                 ORDER BY s.effective_at, s.recorded_at)
                                 FROM child_status_changes s WHERE s.child_id = $1), '[]'))",
    )
    .bind(child_id)
    .fetch_one(db);
    let (contacts, Json(rest)) = tokio::try_join!(contacts, surroundings)?;
    Ok(StoredRecord {
        contacts,
        people: rest.people,
        checks: rest.checks,
        statuses: rest.statuses,
    })
}
