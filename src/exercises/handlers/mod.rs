//! `/exercises`: each handler reads the request, calls the exercise's service (`service.rs`,
//! `setup.rs`, `play.rs`) and answers.

pub mod decisions;
pub mod exercises;
pub mod stages;
