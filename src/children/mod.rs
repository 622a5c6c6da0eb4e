//! Child records: identity, status, sharing mode.

pub mod handlers;
pub mod repo;
pub mod types;

pub use types::Child;
