//! Users: agency practitioners and managers, and facilitators; their administration and seeding.

pub mod handlers;
pub mod repo;
pub mod seed;
pub mod types;

pub use types::{Agency, Role, User, UserView};
