//! Logging: `MASH_LOG` holds a filter (`info`, `mash=debug,actix_web=warn`), optionally prefixed by
//! `json:` for one JSON object per line. Every line inside a request carries its request id
//! (tracing-actix-web's root span).

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

pub fn init(spec: &str) {
    let (json, filter) = match spec.strip_prefix("json:") {
        Some(rest) => (true, rest),
        None => (false, spec),
    };
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    // A second initialisation (tests start many servers in one process) is harmless.
    let _ = if json {
        registry
            .with(
                fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init()
    } else {
        registry
            .with(fmt::layer().with_target(false).with_writer(std::io::stderr))
            .try_init()
    };
}
