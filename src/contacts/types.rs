use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::{Listed, Page};
use crate::vocabulary::Agency;
use crate::vocabulary::{
    ConcernCategory, ConcernLevel, ContactKind, ContactOutcome, ExplanationCategory, InjuryType,
    Opinion, Visibility,
};

pub const MAX_INJURIES: usize = 50;

/// The types also stored as JSON (jsonb columns). They tolerate fields they do not know, so that a
/// row written by another version still reads; request bodies refuse unknown fields anyway (in the
/// extractor), and the contract closes these objects as it closes every other (`openapi`).
pub const STORED_AS_JSON: [&str; 4] = ["Injury", "Explanation", "Examination", "ContactChanges"];
pub const MAX_ACTIONS: usize = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
// Stored as JSON too: see `STORED_AS_JSON`.
pub struct Injury {
    /// Where on the body, e.g. `face`, `left ear`, `back`.
    #[schema(min_length = 1, max_length = 100, example = "face")]
    pub body_location: String,
    #[serde(rename = "type")]
    pub injury_type: InjuryType,
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
// Stored as JSON too: see `STORED_AS_JSON`.
pub struct Explanation {
    /// Who gave the explanation, e.g. `mother`.
    #[schema(min_length = 1, max_length = 100, example = "mother")]
    pub given_by: String,
    pub category: ExplanationCategory,
    /// The explanation in the giver's words.
    #[schema(max_length = 2000)]
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
// Stored as JSON too: see `STORED_AS_JSON`.
pub struct Examination {
    pub completed: bool,
    /// Why it was not completed.
    #[schema(max_length = 2000)]
    pub reason_incomplete: Option<String>,
}

/// What a contact says: as first recorded, or as it stands after its amendments.
// Read straight from its row: the jsonb columns as JSON, the categories as the vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct ContactFields {
    /// Scenario time of the interaction.
    pub occurred_at: DateTime<Utc>,
    pub kind: ContactKind,
    pub location: Option<String>,
    pub summary: String,
    /// Whether the child was seen; absent means not recorded.
    pub child_seen: Option<bool>,
    /// Whether the child's appearance was obscured (e.g. face covered in chocolate).
    pub appearance_obscured: Option<bool>,
    #[sqlx(json)]
    pub injuries: Vec<Injury>,
    #[sqlx(json(nullable))]
    pub explanation: Option<Explanation>,
    #[sqlx(json(nullable))]
    pub examination: Option<Examination>,
    pub opinion: Option<Opinion>,
    pub concern_level: Option<ConcernLevel>,
    pub concern_categories: Vec<ConcernCategory>,
    pub outcome: Option<ContactOutcome>,
    pub actions: Vec<String>,
}

impl ContactFields {
    /// A contact of `kind` at `occurred_at` that says `summary` and nothing else.
    pub fn new(occurred_at: DateTime<Utc>, kind: ContactKind, summary: &str) -> ContactFields {
        ContactFields {
            occurred_at,
            kind,
            location: None,
            summary: summary.to_string(),
            child_seen: None,
            appearance_obscured: None,
            injuries: Vec::new(),
            explanation: None,
            examination: None,
            opinion: None,
            concern_level: None,
            concern_categories: Vec::new(),
            outcome: None,
            actions: Vec::new(),
        }
    }

    /// The contact as it stands after `amendments`, oldest first: the one fold of a contact's
    /// corrections, for every reader.
    pub fn amended<'a>(self, amendments: impl IntoIterator<Item = &'a ContactChanges>) -> Self {
        amendments
            .into_iter()
            .fold(self, |fields, changes| fields.apply(changes))
    }
}

/// A new contact. The author and agency come from the token: a body naming them is refused.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "occurred_at": "2006-12-11T10:30:00Z", "kind": "hospital_admission", "location": "North Middlesex Hospital",
    "summary": "Admitted with extensive bruising; referred to the police child abuse investigation team",
    "child_seen": true,
    "injuries": [{"body_location": "face", "type": "bruise", "description": "extensive bruising"}],
    "explanation": {"given_by": "mother", "category": "another_child", "text": "pushed by another child"},
    "examination": {"completed": true},
    "opinion": "non_accidental_injury_suspected", "concern_level": "high",
    "concern_categories": ["physical_injury"], "outcome": "referred_to_police",
    "actions": ["Refer to police CAIT"], "visibility": "shared"}))]
pub struct NewContact {
    /// Scenario time: may be in the past (after the child's birth), not more than a day ahead.
    #[serde(deserialize_with = "crate::validation::dates::moment")]
    pub occurred_at: DateTime<Utc>,
    pub kind: ContactKind,
    #[schema(max_length = 200)]
    pub location: Option<String>,
    #[schema(min_length = 1, max_length = 4000)]
    pub summary: String,
    pub child_seen: Option<bool>,
    pub appearance_obscured: Option<bool>,
    #[serde(default)]
    #[schema(max_items = 50)]
    pub injuries: Vec<Injury>,
    pub explanation: Option<Explanation>,
    pub examination: Option<Examination>,
    pub opinion: Option<Opinion>,
    pub concern_level: Option<ConcernLevel>,
    #[serde(default)]
    pub concern_categories: Vec<ConcernCategory>,
    pub outcome: Option<ContactOutcome>,
    /// Agreed actions, each up to 500 characters.
    #[serde(default)]
    #[schema(max_items = 50)]
    pub actions: Vec<String>,
    /// `shared` unless given.
    pub visibility: Option<Visibility>,
}

impl NewContact {
    pub fn into_parts(self) -> (ContactFields, Visibility) {
        let fields = ContactFields {
            occurred_at: self.occurred_at,
            kind: self.kind,
            location: self.location,
            summary: self.summary,
            child_seen: self.child_seen,
            appearance_obscured: self.appearance_obscured,
            injuries: self.injuries,
            explanation: self.explanation,
            examination: self.examination,
            opinion: self.opinion,
            concern_level: self.concern_level,
            concern_categories: self.concern_categories,
            outcome: self.outcome,
            actions: self.actions,
        };
        (fields, self.visibility.unwrap_or(Visibility::Shared))
    }
}

/// The fields an amendment changes; those absent stay as they were.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
// Stored as JSON too: see `STORED_AS_JSON`.
pub struct ContactChanges {
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub occurred_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<ContactKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub child_seen: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appearance_obscured: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub injuries: Option<Vec<Injury>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub examination: Option<Examination>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opinion: Option<Opinion>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concern_level: Option<ConcernLevel>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concern_categories: Option<Vec<ConcernCategory>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<ContactOutcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<String>>,
}

impl ContactChanges {
    pub fn is_empty(&self) -> bool {
        *self == ContactChanges::default()
    }

    /// The same changes, each value taken from `checked` (the validated, trimmed result).
    pub fn normalised(&self, checked: &ContactFields) -> ContactChanges {
        let c = checked.clone();
        ContactChanges {
            occurred_at: self.occurred_at.map(|_| c.occurred_at),
            kind: self.kind.map(|_| c.kind),
            location: self.location.as_ref().and(c.location),
            summary: self.summary.as_ref().map(|_| c.summary),
            child_seen: self.child_seen.and(c.child_seen),
            appearance_obscured: self.appearance_obscured.and(c.appearance_obscured),
            injuries: self.injuries.as_ref().map(|_| c.injuries),
            explanation: self.explanation.as_ref().and(c.explanation),
            examination: self.examination.as_ref().and(c.examination),
            opinion: self.opinion.and(c.opinion),
            concern_level: self.concern_level.and(c.concern_level),
            concern_categories: self
                .concern_categories
                .as_ref()
                .map(|_| c.concern_categories),
            outcome: self.outcome.and(c.outcome),
            actions: self.actions.as_ref().map(|_| c.actions),
        }
    }
}

impl ContactFields {
    /// The fields with `changes` laid over them.
    pub fn apply(&self, changes: &ContactChanges) -> ContactFields {
        let c = changes.clone();
        ContactFields {
            occurred_at: c.occurred_at.unwrap_or(self.occurred_at),
            kind: c.kind.unwrap_or(self.kind),
            location: c.location.or_else(|| self.location.clone()),
            summary: c.summary.unwrap_or_else(|| self.summary.clone()),
            child_seen: c.child_seen.or(self.child_seen),
            appearance_obscured: c.appearance_obscured.or(self.appearance_obscured),
            injuries: c.injuries.unwrap_or_else(|| self.injuries.clone()),
            explanation: c.explanation.or_else(|| self.explanation.clone()),
            examination: c.examination.or_else(|| self.examination.clone()),
            opinion: c.opinion.or(self.opinion),
            concern_level: c.concern_level.or(self.concern_level),
            concern_categories: c
                .concern_categories
                .unwrap_or_else(|| self.concern_categories.clone()),
            outcome: c.outcome.or(self.outcome),
            actions: c.actions.unwrap_or_else(|| self.actions.clone()),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "Wrong body location recorded", "changes": {"summary": "Bruising to the left cheek, not the right"}}))]
pub struct NewAmendment {
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
    pub changes: ContactChanges,
    /// Scenario time of the correction; defaults to now.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A correction of a contact by its agency.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Amendment {
    pub id: Uuid,
    pub contact_id: Uuid,
    pub agency: Agency,
    pub author_id: Uuid,
    pub reason: String,
    #[sqlx(json)]
    pub changes: ContactChanges,
    /// Scenario time of the correction.
    pub occurred_at: DateTime<Utc>,
    pub amended_at: DateTime<Utc>,
}

/// A contact in full: its current values, and where amended, the original and every amendment.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub id: Uuid,
    pub child_id: Uuid,
    pub agency: Agency,
    pub author_id: Uuid,
    pub author_name: String,
    /// When the service recorded it.
    pub recorded_at: DateTime<Utc>,
    pub visibility: Visibility,
    /// Always `false` here; `true` marks a stub.
    pub restricted: bool,
    #[serde(flatten)]
    pub current: ContactFields,
    pub amended: bool,
    /// The values as first recorded, when amended since.
    pub original: Option<ContactFields>,
    pub amendments: Vec<Amendment>,
}

/// What another agency sees of a restricted contact: that it exists, whose, when and what kind (as
/// its agency's amendments leave them), so that they know whom to ask. Nothing else: the contract says so, so that a stub and a full contact
/// are told apart by their shape.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactStub {
    pub id: Uuid,
    pub agency: Agency,
    pub kind: ContactKind,
    pub occurred_at: DateTime<Utc>,
    /// Always `true`.
    pub restricted: bool,
}

/// A contact as the caller may see it: in full, or as a stub.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ContactEntry {
    Full(Box<Contact>),
    Stub(ContactStub),
}

/// A page of contacts: in full, or stubs.
pub type ContactPage = Page<ContactEntry>;

impl Listed for ContactEntry {
    const PAGE: &'static str = "ContactPage";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows written by earlier versions keep reading: one stored sample of each type kept as
    /// JSON, as the first version wrote it, and with a field it does not know.
    #[test]
    fn stored_json_of_every_version_still_reads() {
        let injury: Injury = serde_json::from_str(
            r#"{"body_location": "face", "type": "bruise", "description": null}"#,
        )
        .unwrap();
        assert_eq!(injury.injury_type, InjuryType::Bruise);
        let explanation: Explanation = serde_json::from_str(
            r#"{"given_by": "mother", "category": "another_child", "text": "pushed", "later": 1}"#,
        )
        .unwrap();
        assert_eq!(explanation.category, ExplanationCategory::AnotherChild);
        let examination: Examination = serde_json::from_str(
            r#"{"completed": false, "reason_incomplete": "child distressed"}"#,
        )
        .unwrap();
        assert!(!examination.completed);
        let changes: ContactChanges = serde_json::from_str(
            r#"{"occurred_at": "2007-06-28T10:00:00Z", "summary": "Bruising to the left cheek",
                "injuries": [{"body_location": "cheek", "type": "bruise", "seen_by": "GP"}],
                "concern_level": "high", "concern_categories": ["physical_injury"],
                "a_field_of_a_later_version": true}"#,
        )
        .unwrap();
        assert_eq!(changes.concern_level, Some(ConcernLevel::High));
        assert_eq!(changes.injuries.map(|i| i.len()), Some(1));
    }

    #[test]
    fn amendments_fold_oldest_first() {
        let at = "2007-01-01T00:00:00Z".parse().unwrap();
        let first = ContactChanges {
            summary: Some("first".into()),
            concern_level: Some(ConcernLevel::Low),
            ..ContactChanges::default()
        };
        let second = ContactChanges {
            summary: Some("second".into()),
            ..ContactChanges::default()
        };
        let fields = ContactFields::new(at, ContactKind::PhoneCall, "original");
        let current = fields.clone().amended([&first, &second]);
        assert_eq!(current.summary, "second");
        assert_eq!(current.concern_level, Some(ConcernLevel::Low));
        assert_eq!(fields.amended([]).summary, "original");
    }
}
