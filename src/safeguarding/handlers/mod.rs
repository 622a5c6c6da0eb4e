//! The safeguarding process under `/children/{child_id}`, by family: each handler reads the
//! request, asks the process (`process.rs`) through `shown` and `write`, and answers.

pub mod challenges;
pub mod enquiries;
pub mod lists;
pub mod meetings;
pub mod plans;
pub mod referrals;
pub mod timescales;
