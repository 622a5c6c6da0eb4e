//! The hash chain: each event's content has a hash of its own (its leaf), computed when the event is
//! recorded; each link of the chain covers the previous link's hash and the event's leaf, so changing,
//! removing or reordering any sealed event breaks the chain from there on.

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

    /// The hash of the content alone, stored with the event when it is recorded.
    pub fn leaf(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }

    /// The link of an event recorded before leaves were stored: it covers the content itself.
    pub fn legacy_link(&self, prev_hash: &str) -> String {
        link(prev_hash, &self.canonical())
    }
}

/// The link that chains an event (its leaf) to its predecessor's link.
pub fn link(prev_hash: &str, leaf: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(prev_hash.as_bytes());
    digest.update(b"\n");
    digest.update(leaf.as_bytes());
    hex::encode(digest.finalize())
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
        let h = link(GENESIS, &a.leaf());
        assert_eq!(h.len(), 64);
        assert_eq!(h, link(GENESIS, &content().leaf()), "deterministic");
        assert_ne!(h, link(&h, &a.leaf()), "chained to its predecessor");
        let mut b = content();
        b.outcome = "allowed";
        assert_ne!(a.leaf(), b.leaf());
        let mut c = content();
        c.occurred_at += chrono::Duration::microseconds(1);
        assert_ne!(a.leaf(), c.leaf());
        // Links made before leaves were stored still verify as they were made.
        assert_eq!(
            a.legacy_link(GENESIS),
            "aa0985d7dcdf75a0bb927f2c7d9b0150fb7b449c95875bb2ad780e5a181e2a56"
        );
    }
}
