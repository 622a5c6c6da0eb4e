//! Authentication (passwords, tokens, login lockout) and authorisation (the policy).

pub mod actor;
pub mod authenticate;
pub mod guard;
pub mod handlers;
pub mod lockout;
pub mod password;
pub mod policy;
pub mod session;
pub mod token;
