//! HTTP tests of the whole service against a real PostgreSQL: every test gets a fresh database
//! (`#[sqlx::test]`) and its own server on a free port. The databases are made on the server at
//! `DATABASE_URL`; with none set, on a private PostgreSQL started for the run from the installed
//! programs (as `mash serve` does) and thrown away after it.

use std::sync::Mutex;

use mash::embedded::{Embedded, Keep};

static PRIVATE: Mutex<Option<Embedded>> = Mutex::new(None);

#[ctor::ctor]
fn private_database() {
    if std::env::var_os("DATABASE_URL").is_some() {
        return;
    }
    let (server, url) = Embedded::start(Keep::Ephemeral).unwrap_or_else(|error| {
        eprintln!("no DATABASE_URL, and no private PostgreSQL: {error:#}");
        std::process::exit(1);
    });
    // The url names the `mash` database; the tests make theirs beside it.
    let url = url.replace("/mash", "/postgres");
    // SAFETY: this runs before main, while the process has a single thread.
    unsafe { std::env::set_var("DATABASE_URL", url) };
    *PRIVATE.lock().unwrap() = Some(server);
}

#[ctor::dtor]
unsafe fn stop_private_database() {
    if let Ok(mut private) = PRIVATE.lock() {
        private.take();
    }
}

mod access;
mod alerts;
mod audit;
mod auth;
mod browser;
mod combined;
mod conformance;
mod contract;
mod errors;
mod examples;
mod exercises;
mod faults;
mod helpers;
mod idempotency;
mod operations;
mod outages;
mod picture;
mod process;
mod proxy;
mod record;
mod scenario;
mod sealing;
mod security;
mod sharing;
mod structure;
mod users;
