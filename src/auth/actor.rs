//! The authenticated caller: the user a checked bearer token names and the session it belongs to
//! (`authenticate.rs` checks the token and reads both).

use uuid::Uuid;

use crate::users::types::User;
use crate::vocabulary::{Agency, Role};

#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    /// The session the caller's token belongs to.
    pub session: Uuid,
}

impl Actor {
    pub fn id(&self) -> Uuid {
        self.user.id
    }
    pub fn agency(&self) -> Option<Agency> {
        self.user.agency
    }
    pub fn role(&self) -> Role {
        self.user.role
    }
    pub fn is_facilitator(&self) -> bool {
        self.user.role == Role::Facilitator
    }
}
