//! Authorisation: may this user, of this agency and role, do this? One pure function that every
//! handler asks, so the rules live in one place and are tested without a server.

use super::Actor;
use crate::error::ApiError;
use crate::users::Role;

/// Something a user asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create, list, enable, disable users and set their passwords.
    ManageUsers,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial(pub &'static str);

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        ApiError::Forbidden(d.0.to_string())
    }
}

pub fn authorize(actor: &Actor, action: Action) -> Result<(), Denial> {
    decide(actor.role(), action)
}

fn decide(role: Role, action: Action) -> Result<(), Denial> {
    match action {
        Action::ManageUsers if role == Role::Facilitator => Ok(()),
        Action::ManageUsers => Err(Denial("only a facilitator may manage users")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_facilitators_manage_users() {
        assert!(decide(Role::Facilitator, Action::ManageUsers).is_ok());
        assert!(decide(Role::Manager, Action::ManageUsers).is_err());
        assert!(decide(Role::Practitioner, Action::ManageUsers).is_err());
    }
}
