//! The combined view: what every agency's pieces show when put together. Pure functions over the
//! record as one reader may see it (`crate::record`): the concern summary and the gap indicators,
//! and the handlers that serve them with the chronology.

pub mod concerns;
pub mod handlers;
pub mod indicators;
pub mod types;
