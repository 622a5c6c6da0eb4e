//! Reading a whole child record for the combined views: each domain module reads its own part
//! (contacts with their amendments, people and checks, the process records with their events) and status changes are read here, side by
//! side. Every column is read typed (no value goes through PostgreSQL's text or JSON form of a
//! date), so nothing stored can fail a read.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

pub use crate::contacts::repo::StoredContact;
use crate::people::repo::PersonRow;
use crate::people::types::PersonCheck;
pub use crate::safeguarding::repo::StoredProcess;
use crate::vocabulary::ChildStatus;

#[derive(Debug, sqlx::FromRow)]
pub struct StoredStatus {
    pub status: ChildStatus,
    pub at: DateTime<Utc>,
}

pub struct StoredRecord {
    /// The child's date of birth, which the record never changes.
    pub date_of_birth: Option<chrono::NaiveDate>,
    /// The agency of the user who opened the record (none for a facilitator).
    pub creator_agency: Option<crate::vocabulary::Agency>,
    pub contacts: Vec<StoredContact>,
    pub people: Vec<PersonRow>,
    pub checks: Vec<PersonCheck>,
    pub statuses: Vec<StoredStatus>,
    pub process: Vec<StoredProcess>,
}

impl StoredRecord {
    /// What the record shows of each agency's part (the policy decides what makes one involved).
    pub fn involvement(&self) -> crate::auth::policy::Involvement {
        involvement_of(
            self.creator_agency,
            self.process.iter().map(|p| &p.row.details.0),
        )
    }

    /// How many entries it holds, amendments included.
    pub fn entries(&self) -> usize {
        self.contacts
            .iter()
            .map(|c| 1 + c.amendments.len())
            .sum::<usize>()
            + self.people.len()
            + self.checks.len()
            + self.statuses.len()
            + self
                .process
                .iter()
                .map(|p| 1 + p.events.len())
                .sum::<usize>()
    }
}

/// What a record's creator and process records say of each agency's part: the one reading of
/// them, for the cached record and for a write that must read the database as it is now.
/// Receiving a referral and being listed at a meeting are ways in as the specification names them,
/// whoever recorded the entry (a lay referral is logged by its receiver; social care lists itself
/// at the meetings it convenes).
pub fn involvement_of<'a>(
    creator: Option<crate::vocabulary::Agency>,
    process: impl Iterator<Item = &'a crate::safeguarding::types::Details>,
) -> crate::auth::policy::Involvement {
    use crate::safeguarding::types::Details;
    let mut i = crate::auth::policy::Involvement {
        creator,
        ..Default::default()
    };
    for details in process {
        match details {
            Details::Referral { to_agency, .. } => {
                i.received.insert(*to_agency);
            }
            Details::StrategyDiscussion { agencies, .. }
            | Details::Conference { agencies, .. }
            | Details::CoreGroup { agencies, .. } => i.attended.extend(agencies.iter().copied()),
            Details::Challenge {
                challenged_agency, ..
            } => {
                i.challenged.insert(*challenged_agency);
            }
            Details::Involvement { brought_in, .. } => {
                i.brought_in.insert(*brought_in);
            }
            _ => {}
        }
    }
    i
}

/// Everything recorded about the child; what a view as of a moment may show is chosen from it in
/// memory.
pub async fn load(db: &PgPool, child_id: Uuid) -> sqlx::Result<StoredRecord> {
    let contacts = crate::contacts::repo::of_child(db, child_id);
    let people = crate::people::repo::of_child(db, child_id);
    let statuses = sqlx::query_as::<_, StoredStatus>(
        "SELECT status, effective_at AS at FROM child_status_changes WHERE child_id = $1
         ORDER BY effective_at, recorded_at",
    )
    .bind(child_id)
    .fetch_all(db);
    let process = crate::safeguarding::repo::of_child(db, child_id);
    let born = sqlx::query_as::<_, (chrono::NaiveDate, Option<crate::vocabulary::Agency>)>(
        "SELECT c.date_of_birth, u.agency FROM children c JOIN users u ON u.id = c.created_by
         WHERE c.id = $1",
    )
    .bind(child_id)
    .fetch_optional(db);
    let (contacts, (people, checks), statuses, process, born) =
        tokio::try_join!(contacts, people, statuses, process, born)?;
    let (date_of_birth, creator_agency) = born.map_or((None, None), |(d, a)| (Some(d), a));
    Ok(StoredRecord {
        date_of_birth,
        creator_agency,
        contacts,
        people,
        checks,
        statuses,
        process,
    })
}

#[cfg(test)]
mod tests {
    use super::involvement_of;
    use crate::auth::policy::involved;
    use crate::safeguarding::types::Details;
    use crate::vocabulary::{Agency, Referrer, StrategyOutcome};
    use std::collections::BTreeSet;

    fn referral(referrer: Referrer, to: Agency) -> Details {
        Details::Referral {
            referrer,
            from_agency: None,
            to_agency: to,
            summary: "s".into(),
            concern_level: None,
            concern_categories: vec![],
        }
    }

    fn discussion(agencies: Vec<Agency>) -> Details {
        Details::StrategyDiscussion {
            agencies,
            outcome: StrategyOutcome::NoEnquiry,
            actions: vec![],
            summary: "s".into(),
            referral_id: None,
        }
    }

    #[test]
    fn the_ways_in_are_a_referral_received_a_meeting_listed_a_challenge_and_bringing_in() {
        use Agency::{Health, Legal, Police, SocialCare};
        let lay = referral(Referrer::Public, Police);
        let professional = referral(Referrer::Professional, SocialCare);
        let met = discussion(vec![SocialCare, Legal]);
        let records = [&lay, &professional, &met];
        let i = involvement_of(Some(Health), records.into_iter());
        assert_eq!(i.received, BTreeSet::from([Police, SocialCare]));
        assert_eq!(i.attended, BTreeSet::from([SocialCare, Legal]));
        // A contact, a person, a plan action: nothing here names an agency's way in.
        let action = Details::Assessment {
            referral_id: uuid::Uuid::nil(),
        };
        assert!(involved(&involvement_of(None, [&action].into_iter())).is_empty());
        let brought = Details::Involvement {
            brought_in: Legal,
            reason: "r".into(),
        };
        // A facilitator's bringing in is recorded as the brought agency's entry: it still counts.
        assert!(involved(&involvement_of(None, [&brought].into_iter())).contains(&Legal));
    }
}
