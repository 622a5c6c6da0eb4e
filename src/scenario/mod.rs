//! Scenario files (YAML): a child, actors and timed steps that replay a case through the public API.
//! `check` validates a file without a server; `replay` plays it against one.

pub mod check;
pub mod format;
pub mod replay;
