use chrono::{DateTime, Utc};

pub use crate::vocabulary::{Agency, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A user as stored, password hash included: never serialised.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub agency: Option<Agency>,
    pub role: Role,
    pub password_hash: String,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
    /// The exercise team the user belongs to, if any.
    pub team_id: Option<Uuid>,
}

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserView {
    pub id: Uuid,
    #[schema(example = "police_demo")]
    pub username: String,
    #[schema(example = "PC Demo (police)")]
    pub display_name: String,
    /// `null` for a facilitator.
    pub agency: Option<Agency>,
    pub role: Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            agency: u.agency,
            role: u.role,
            disabled: u.disabled,
            created_at: u.created_at,
        }
    }
}

/// The user as shown with a token: who the caller is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SessionUser {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub agency: Option<Agency>,
    pub role: Role,
}

impl From<&User> for SessionUser {
    fn from(u: &User) -> Self {
        SessionUser {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            agency: u.agency,
            role: u.role,
        }
    }
}

/// A new user, as a facilitator creates it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "sw_ward", "password": "correct-horse-battery", "display_name": "Social worker", "agency": "social_care", "role": "practitioner"}))]
pub struct NewUser {
    /// 3 to 64 characters: letters, digits, `.`, `_`, `-`; unique whatever the case.
    #[schema(min_length = 3, max_length = 64, pattern = "^[A-Za-z0-9._-]{3,64}$")]
    pub username: String,
    /// 12 to 128 characters; not a common password, nor the username.
    #[schema(min_length = 12, max_length = 128)]
    pub password: String,
    #[schema(min_length = 1, max_length = 200)]
    pub display_name: String,
    /// Required for practitioners and managers; absent or `null` for facilitators.
    #[serde(default)]
    pub agency: Option<Agency>,
    pub role: Role,
}

/// A change to a user: disable or enable it, set a new password, or give it another role (and
/// agency). A change of password, role or agency, and disabling, end every session of the user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"disabled": true}))]
pub struct UserChange {
    pub disabled: Option<bool>,
    /// 12 to 128 characters; not a common password, nor the username.
    #[schema(min_length = 12, max_length = 128)]
    pub password: Option<String>,
    /// A new role; give `agency` with it for a practitioner or manager.
    pub role: Option<Role>,
    /// A new agency (or the agency that goes with a new role).
    pub agency: Option<Agency>,
}

impl crate::audit::identified::Identified for User {
    fn id(&self) -> Uuid {
        self.id
    }
}
