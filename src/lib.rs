//! mash: a multi-agency shared child record for safeguarding exercises.

pub mod audit;
pub mod auth;
pub mod children;
pub mod combined;
pub mod config;
pub mod contacts;
pub mod embedded;
pub mod error;
pub mod extract;
pub mod health;
pub mod idempotency;
pub mod monitoring;
pub mod openapi;
pub mod pagination;
pub mod people;
pub mod picture;
pub mod routes;
pub mod safeguarding;
pub mod scenario;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod throttle;
pub mod users;
pub mod validation;
pub mod vocabulary;
