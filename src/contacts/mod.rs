//! Contacts: one agency's record of one interaction, and the amendments that correct it.

pub mod handlers;
pub mod repo;
pub mod types;
