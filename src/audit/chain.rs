//! The hash chain: each event's hash covers the previous event's hash and the event's own canonical
//! content, so changing, removing or reordering any stored event breaks the chain from there on.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash the first event is chained to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The fields of an event that its hash covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Content<'a> {
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub user_id: Option<Uuid>,
    pub username: Option<&'a str>,
    pub agency: Option<&'a str>,
    pub role: Option<&'a str>,
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<Uuid>,
    pub child_id: Option<Uuid>,
    pub request_id: Option<&'a str>,
    pub outcome: &'a str,
    pub reason: Option<&'a str>,
}

impl Content<'_> {
    /// A JSON array in a fixed order: unambiguous, and the same however it is stored.
    pub fn canonical(&self) -> String {
        serde_json::json!([
            self.id,
            self.occurred_at
                .to_rfc3339_opts(SecondsFormat::Micros, true),
            self.user_id,
            self.username,
            self.agency,
            self.role,
            self.action,
            self.resource_type,
            self.resource_id,
            self.child_id,
            self.request_id,
            self.outcome,
            self.reason,
        ])
        .to_string()
    }

    pub fn hash(&self, prev_hash: &str) -> String {
        let mut digest = Sha256::new();
        digest.update(prev_hash.as_bytes());
        digest.update(b"\n");
        digest.update(self.canonical().as_bytes());
        hex::encode(digest.finalize())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content() -> Content<'static> {
        Content {
            id: Uuid::nil(),
            occurred_at: DateTime::from_timestamp(1_180_000_000, 123_456_000).unwrap(),
            user_id: None,
            username: Some("ghost"),
            agency: None,
            role: None,
            action: "auth.login_failed",
            resource_type: "session",
            resource_id: None,
            child_id: None,
            request_id: Some("r1"),
            outcome: "failed",
            reason: None,
        }
    }

    #[test]
    fn any_change_or_another_predecessor_changes_the_hash() {
        let a = content();
        let h = a.hash(GENESIS);
        assert_eq!(h.len(), 64);
        assert_eq!(h, content().hash(GENESIS), "deterministic");
        assert_ne!(h, a.hash(&h), "chained to its predecessor");
        let mut b = content();
        b.outcome = "allowed";
        assert_ne!(h, b.hash(GENESIS));
        let mut c = content();
        c.occurred_at += chrono::Duration::microseconds(1);
        assert_ne!(h, c.hash(GENESIS));
    }
}
