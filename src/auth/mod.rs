//! Authentication (passwords, tokens, login lockout) and authorisation (the policy).

pub mod actor;
pub mod guard;
pub mod handlers;
pub mod lockout;
pub mod password;
pub mod policy;
pub mod session;
pub mod token;

pub use actor::Actor;
pub use policy::Action;
pub use token::TokenKeys;
