//! The safeguarding process (docs/domain.md, "The safeguarding process"): what the agencies decided
//! and did about a child, and whether they did it in time.

pub mod handlers;
pub mod process;
pub mod repo;
pub mod shown;
pub mod timescales;
pub mod types;
pub mod write;
