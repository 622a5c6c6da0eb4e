//! The audit trail: who read or wrote what, when, and with what outcome; append-only and chained by
//! hash. Successful writes record their event inside their own transaction; everything else that
//! touches child data (reads, denials, failures) is recorded by the `trail` middleware before the
//! response leaves, through the `writer`, which commits concurrent requests' events together.
//! Recording is an insert and nothing more: the `sealer` chains committed events in batches, and
//! signs `checkpoint`s of the chain with a key kept outside the database.

pub mod chain;
pub mod checkpoint;
pub mod consistency;
pub mod handlers;
pub mod identified;
pub mod middleware;
pub mod recorder;
pub mod refusals;
pub mod repo;
pub mod sealer;
pub mod types;
pub mod writer;
