//! The combined view: what every agency's pieces show when put together. A snapshot of the record
//! as one reader may see it, and pure functions over it: the chronology, the concern summary and
//! the gap indicators.

pub mod cache;
pub mod chronology;
pub mod concerns;
pub mod handlers;
pub mod indicators;
pub mod record;
pub mod repo;
pub mod snapshot;
pub mod types;
