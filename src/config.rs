//! Settings, read from the environment (and `.env`), each overridable by a command-line flag.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;
use secrecy::SecretString;

/// The shortest JWT secret accepted: HS256 is only as strong as its key.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

#[derive(Debug, Clone, Args)]
pub struct DatabaseSettings {
    /// PostgreSQL connection URL; the database is created if it is missing. Unset: the default
    /// (`postgres://postgres:postgres@localhost:5432/mash`) if it answers, else a private
    /// PostgreSQL started from the installed programs.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_parser = secret)]
    pub database_url: Option<SecretString>,

    /// The role the service serves as, when it logs in by itself (e.g.
    /// `postgres://mash_app:…@db/mash`, a LOGIN role granted `mash_service`). Unset: the service
    /// connects as DATABASE_URL's role and serves as `mash_service` through SET ROLE. Either way it
    /// refuses to serve as a superuser or as the owner of the tables.
    #[arg(long, env = "MASH_SERVICE_DATABASE_URL", hide_env_values = true, value_parser = secret)]
    pub service_database_url: Option<SecretString>,

    /// With no DATABASE_URL: a private PostgreSQL whose data is thrown away when mash stops.
    #[arg(long)]
    pub ephemeral: bool,

    /// Most connections the service holds open.
    #[arg(long, env = "MASH_DB_MAX_CONNECTIONS", default_value_t = 20)]
    pub db_max_connections: u32,

    /// How long to keep trying a database that is not reachable yet, at start.
    #[arg(long, env = "MASH_DB_CONNECT_WAIT", default_value = "30s", value_parser = parse_duration)]
    pub db_connect_wait: Duration,

    /// How long a request waits for a free connection before it is answered 503.
    #[arg(long, env = "MASH_DB_ACQUIRE_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub db_acquire_timeout: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "MASH_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Secret for signing access tokens (HS256), at least 32 bytes. Random per start when unset.
    #[arg(long, env = "MASH_JWT_SECRET", hide_env_values = true, value_parser = secret)]
    pub jwt_secret: Option<SecretString>,

    /// Access-token lifetime: seconds, or a duration such as `15m` (at most `1h`). Tokens are
    /// renewed with the refresh token, so a short life costs the user nothing.
    #[arg(long, env = "MASH_TOKEN_TTL", default_value = "15m", value_parser = parse_token_ttl)]
    pub token_ttl: Duration,

    /// How long a session may be refreshed for before its user logs in again: a training day.
    #[arg(long, env = "MASH_SESSION_TTL", default_value = "12h", value_parser = parse_duration)]
    pub session_ttl: Duration,

    /// How long a break-glass opens a record to the user who broke it.
    #[arg(long, env = "MASH_BREAK_GLASS_TTL", default_value = "24h", value_parser = parse_duration)]
    pub break_glass_ttl: Duration,

    /// `USERNAME:PASSWORD` of a facilitator created at start when no user of that name exists.
    #[arg(long, env = "MASH_FACILITATOR", hide_env_values = true, value_parser = secret)]
    pub facilitator: Option<SecretString>,

    /// Longest a request may run before it is answered 503: a database that stops answering (a
    /// network partition, say) must not hold requests for as long as TCP would.
    #[arg(long, env = "MASH_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Failures (wrong logins, missing or dead tokens) a client address may make at once before it
    /// is limited to one a second.
    #[arg(long, env = "MASH_CLIENT_FAILURE_BURST", default_value_t = crate::throttle::BURST,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub client_failure_burst: u32,

    /// Also serve `GET /metrics` on this address alone (e.g. one only the monitoring network reaches).
    #[arg(long, env = "MASH_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// On SIGTERM or SIGINT: stop accepting, and give requests in flight this long to finish.
    #[arg(long, env = "MASH_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// Keep the audit trail. `false` is for measuring what auditing costs, never for an exercise.
    #[arg(long, env = "MASH_AUDIT", default_value_t = true, action = clap::ArgAction::Set)]
    pub audit: bool,

    /// The Ed25519 key (PKCS#8 PEM) that signs the audit chain's checkpoints; made there when the
    /// file does not exist. Keep it off the database's machine. Unset: a key that lives only as long
    /// as the process.
    #[arg(long, env = "MASH_AUDIT_KEY")]
    pub audit_key: Option<std::path::PathBuf>,

    /// How often, at most, a checkpoint of the audit chain is signed while it grows.
    #[arg(long, env = "MASH_AUDIT_CHECKPOINT_EVERY", default_value = "60s", value_parser = parse_duration)]
    pub audit_checkpoint_every: Duration,

    /// The rules' windows and thresholds: `MASH_RULE_*` variables, read by `mash serve` (see
    /// `mash rules`).
    #[arg(skip)]
    pub rules: crate::record::settings::RuleConfig,

    /// Also create the documented demo users (one practitioner per agency and a facilitator).
    #[arg(long)]
    pub demo: bool,
}

/// A value that is never printed: not by `Debug`, not in a log line, not in `--help`.
pub fn secret(value: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(value))
}

/// `MASH_TOKEN_TTL=3600` and `MASH_TOKEN_TTL=1h` both mean an hour.
pub fn parse_duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Ok(Duration::from_secs(seconds));
    }
    humantime::parse_duration(value).map_err(|e| format!("`{value}` is not a duration: {e}"))
}

/// The longest an access token may live: a stolen one is good for no longer.
pub const MAX_TOKEN_TTL: Duration = Duration::from_secs(3600);

fn parse_token_ttl(value: &str) -> Result<Duration, String> {
    let ttl = parse_duration(value)?;
    if ttl.is_zero() || ttl > MAX_TOKEN_TTL {
        return Err(format!(
            "`{value}`: a token lives between 1 second and 1 hour"
        ));
    }
    Ok(ttl)
}

/// Splits `USERNAME:PASSWORD`, as given in `MASH_FACILITATOR`.
pub fn parse_credentials(value: &str) -> anyhow::Result<(String, String)> {
    match value.split_once(':') {
        Some((user, pass)) if !user.trim().is_empty() && !pass.is_empty() => {
            Ok((user.trim().to_string(), pass.to_string()))
        }
        _ => anyhow::bail!("MASH_FACILITATOR must be USERNAME:PASSWORD"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_seconds_or_human_form() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn secrets_are_not_printed() {
        let settings = DatabaseSettings {
            database_url: Some(secret("postgres://mash:hunter2-secret@db/mash").unwrap()),
            service_database_url: Some(secret("postgres://app:hunter3-secret@db/mash").unwrap()),
            ephemeral: false,
            db_max_connections: 1,
            db_connect_wait: Duration::from_secs(1),
            db_acquire_timeout: Duration::from_secs(1),
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
        assert!(!format!("{settings:?}").contains("hunter3"));
    }

    #[test]
    fn credentials_split_on_the_first_colon() {
        let (u, p) = parse_credentials("facil:pass:with:colons").unwrap();
        assert_eq!((u.as_str(), p.as_str()), ("facil", "pass:with:colons"));
        assert!(parse_credentials("nocolon").is_err());
        assert!(parse_credentials(":pw").is_err());
    }
}
