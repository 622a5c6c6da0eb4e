//! HTTP tests of the whole service against a real PostgreSQL: every test gets a fresh database
//! (`#[sqlx::test]`) and its own server on a free port.

mod audit;
mod auth;
mod combined;
mod conformance;
mod contract;
mod errors;
mod faults;
mod helpers;
mod idempotency;
mod operations;
mod outages;
mod proxy;
mod record;
mod scenario;
mod security;
mod users;
