use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::pagination::{Listed, Page};
use crate::vocabulary::Agency;
use crate::vocabulary::{
    Attendance, ConcernCategory, ConcernLevel, ContactKind, ContactOutcome, ExplanationCategory,
    InjuryType, Opinion, PlanCompliance, Visibility,
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

/// Declares a contact's fields once, and from that list makes the three shapes they come in and
/// the conversions between them:
/// - `ContactFields`: what a contact says, as stored (a row decodes straight into it) and shown;
/// - `NewContact`: the body that logs one (plus its `visibility`);
/// - `ContactChanges`: the body of an amendment, each field optional, and how it is kept;
///
/// with `NewContact::into_parts`, `ContactFields::apply` (lay changes over a contact) and
/// `ContactChanges::normalised` (the changes as validation left them). A field is `required`
/// (given when logged), `optional` (`null` when not recorded) or a `list` (empty when not
/// given). Each field gives its type as stored, then its type in a change, then its kind, how its
/// column holds it (`plain`, `json`, or `json_or_null`) and the attributes it has in each shape.
/// The columns (one per field, of the same name) are listed and bound from here too.
macro_rules! contact_fields {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident: $ty:ty => $change:ty; $kind:ident $store:ident {
            fields: [$(#[$fields_attr:meta])*]
            new: [$(#[$new_attr:meta])*]
            change: [$(#[$change_attr:meta])*]
        }
    ),+ $(,)?) => {
        /// What a contact says: as first recorded, or as it stands after its amendments.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
        pub struct ContactFields {
            $($(#[doc = $doc])* $(#[$fields_attr])* pub $name: $ty,)+
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
            $($(#[doc = $doc])* $(#[$new_attr])* pub $name: $ty,)+
            /// `shared` unless given.
            pub visibility: Option<Visibility>,
        }

        /// The fields an amendment changes; those absent stay as they were.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
        // Stored as JSON too: see `STORED_AS_JSON`.
        pub struct ContactChanges {
            $(
                $(#[doc = $doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                $(#[$change_attr])*
                pub $name: $change,
            )+
        }

        impl NewContact {
            /// What the contact says, and how visible it is.
            pub fn into_parts(self) -> (ContactFields, Visibility) {
                let fields = ContactFields {
                    $($name: self.$name,)+
                };
                (fields, self.visibility.unwrap_or(Visibility::Shared))
            }
        }

        impl ContactFields {
            /// The fields' columns, for a select from `contacts c`: `, c.occurred_at, …`.
            pub const SELECTED: &'static str = concat!($(", c.", stringify!($name)),+);
            /// The fields' columns, for an insert: `, occurred_at, …`.
            pub const COLUMNS: &'static str = concat!($(", ", stringify!($name)),+);
            /// How many there are.
            pub const COUNT: usize = [$(stringify!($name)),+].len();

            /// Binds the fields to `query`'s next parameters, in the order of `COLUMNS`.
            pub fn bind_to<'q, O>(
                &'q self,
                query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
            ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
                $(let query = contact_fields!(@bind $store query, &self.$name);)+
                query
            }

            /// The fields with `changes` laid over them.
            pub fn apply(&self, changes: &ContactChanges) -> ContactFields {
                ContactFields {
                    $($name: contact_fields!(@apply $kind changes.$name, self.$name),)+
                }
            }
        }

        impl ContactChanges {
            /// The same changes, each value taken from `checked` (the validated, trimmed result).
            pub fn normalised(&self, checked: &ContactFields) -> ContactChanges {
                ContactChanges {
                    $($name: contact_fields!(@named $kind self.$name, checked.$name),)+
                }
            }
        }
    };
    (@bind plain $query:ident, $value:expr) => { $query.bind($value) };
    (@bind json $query:ident, $value:expr) => { $query.bind(sqlx::types::Json($value)) };
    (@bind json_or_null $query:ident, $value:expr) => {
        $query.bind($value.as_ref().map(sqlx::types::Json))
    };
    (@apply optional $change:expr, $old:expr) => { $change.clone().or_else(|| $old.clone()) };
    (@apply $kind:ident $change:expr, $old:expr) => { $change.clone().unwrap_or_else(|| $old.clone()) };
    // A change to an optional field that validation emptied (blank text) changes nothing.
    (@named optional $asked:expr, $checked:expr) => { $asked.as_ref().and($checked.clone()) };
    (@named $kind:ident $asked:expr, $checked:expr) => { $asked.as_ref().map(|_| $checked.clone()) };
}

contact_fields! {
    /// Scenario time of the interaction: may be in the past (after the child's birth), not more
    /// than a day ahead.
    occurred_at: DateTime<Utc> => Option<DateTime<Utc>>; required plain {
        fields: []
        new: [#[serde(deserialize_with = "crate::validation::dates::moment")]]
        change: [#[serde(deserialize_with = "crate::validation::dates::optional_moment")]]
    },
    kind: ContactKind => Option<ContactKind>; required plain { fields: [] new: [] change: [] },
    location: Option<String> => Option<String>; optional plain {
        fields: [] new: [#[schema(max_length = 200)]] change: []
    },
    summary: String => Option<String>; required plain {
        fields: [] new: [#[schema(min_length = 1, max_length = 4000)]] change: []
    },
    /// Whether the child was seen; absent means not recorded.
    child_seen: Option<bool> => Option<bool>; optional plain { fields: [] new: [] change: [] },
    /// Whether the child's appearance was obscured (e.g. face covered in chocolate).
    appearance_obscured: Option<bool> => Option<bool>; optional plain { fields: [] new: [] change: [] },
    injuries: Vec<Injury> => Option<Vec<Injury>>; list json {
        fields: [#[sqlx(json)]] new: [#[serde(default)] #[schema(max_items = 50)]] change: []
    },
    explanation: Option<Explanation> => Option<Explanation>; optional json_or_null {
        fields: [#[sqlx(json(nullable))]] new: [] change: []
    },
    examination: Option<Examination> => Option<Examination>; optional json_or_null {
        fields: [#[sqlx(json(nullable))]] new: [] change: []
    },
    opinion: Option<Opinion> => Option<Opinion>; optional plain { fields: [] new: [] change: [] },
    concern_level: Option<ConcernLevel> => Option<ConcernLevel>; optional plain {
        fields: [] new: [] change: []
    },
    concern_categories: Vec<ConcernCategory> => Option<Vec<ConcernCategory>>; list plain {
        fields: [] new: [#[serde(default)]] change: []
    },
    outcome: Option<ContactOutcome> => Option<ContactOutcome>; optional plain {
        fields: [] new: [] change: []
    },
    /// Agreed actions, each up to 500 characters.
    actions: Vec<String> => Option<Vec<String>>; list plain {
        fields: [] new: [#[serde(default)] #[schema(max_items = 50)]] change: []
    },
    /// Whether the carers were following the child protection plan; absent means not recorded.
    plan_compliance: Option<PlanCompliance> => Option<PlanCompliance>; optional plain {
        fields: [] new: [] change: []
    },
    /// Whether the child was brought, or could be seen, at a visit or appointment; absent means
    /// not recorded.
    attendance: Option<Attendance> => Option<Attendance>; optional plain {
        fields: [] new: [] change: []
    },
    /// Whether the visit or appointment was announced to the carers beforehand; absent means not
    /// recorded.
    announced: Option<bool> => Option<bool>; optional plain { fields: [] new: [] change: [] },
    /// Whether the child was spoken to alone, away from the carers; absent means not recorded.
    child_spoken_to_alone: Option<bool> => Option<bool>; optional plain {
        fields: [] new: [] change: []
    },
    /// Whether the child could move about independently (crawl, walk); absent means not recorded.
    independently_mobile: Option<bool> => Option<bool>; optional plain {
        fields: [] new: [] change: []
    },
}

impl ContactFields {
    /// A contact of `kind` at `occurred_at` that says `summary` and nothing else.
    pub fn new(occurred_at: DateTime<Utc>, kind: ContactKind, summary: &str) -> ContactFields {
        ContactFields {
            occurred_at,
            kind,
            summary: summary.to_string(),
            ..ContactFields::default()
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

impl ContactChanges {
    pub fn is_empty(&self) -> bool {
        *self == ContactChanges::default()
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
