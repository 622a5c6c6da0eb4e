//! People linked to a child, and police background checks on them.

pub mod handlers;
pub mod repo;
pub mod types;
