//! Users created at start: the bootstrap facilitator of `MASH_FACILITATOR`, and the documented demo
//! users of `--demo` / `mash seed-demo`. Both are idempotent: an existing name is left as it is.

use sqlx::PgPool;

use super::repo::{self, UserRecord};
use super::types::{Agency, Role};
use crate::auth::password;

/// The demo logins, as listed in README.md.
pub const DEMO_USERS: [(&str, &str, &str, Option<Agency>, Role); 5] = [
    (
        "police_demo",
        "police-demo-pass",
        "PC Demo (police)",
        Some(Agency::Police),
        Role::Practitioner,
    ),
    (
        "health_demo",
        "health-demo-pass",
        "Dr Demo (health)",
        Some(Agency::Health),
        Role::Practitioner,
    ),
    (
        "social_care_demo",
        "social-care-demo-pass",
        "SW Demo (social care)",
        Some(Agency::SocialCare),
        Role::Practitioner,
    ),
    (
        "legal_demo",
        "legal-demo-pass",
        "Lawyer Demo (legal)",
        Some(Agency::Legal),
        Role::Practitioner,
    ),
    (
        "facilitator_demo",
        "facilitator-demo-pass",
        "Facilitator Demo",
        None,
        Role::Facilitator,
    ),
];

/// Creates the user unless one of that name exists; true when it was created.
pub async fn ensure_user(
    db: &PgPool,
    username: &str,
    plain_password: &str,
    display_name: &str,
    agency: Option<Agency>,
    role: Role,
) -> anyhow::Result<bool> {
    if repo::find_by_username(db, username).await?.is_some() {
        return Ok(false);
    }
    let password_hash = password::hash(plain_password.to_string()).await?;
    let record = UserRecord {
        username,
        display_name,
        agency,
        role,
        password_hash: &password_hash,
    };
    match repo::insert(db, &record).await {
        Ok(_) => Ok(true),
        // Another instance created it meanwhile: just as good.
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_username_key") => Ok(false),
        Err(e) => Err(e.into()),
    }
}

pub async fn bootstrap_facilitator(
    db: &PgPool,
    username: &str,
    plain_password: &str,
) -> anyhow::Result<()> {
    crate::validation::username("MASH_FACILITATOR", username)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::validation::password("MASH_FACILITATOR", plain_password, username)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if ensure_user(
        db,
        username,
        plain_password,
        "Facilitator",
        None,
        Role::Facilitator,
    )
    .await?
    {
        tracing::info!(%username, "created the bootstrap facilitator");
    }
    Ok(())
}

pub async fn seed_demo(db: &PgPool) -> anyhow::Result<usize> {
    let mut created = 0;
    for (username, pass, display_name, agency, role) in DEMO_USERS {
        if ensure_user(db, username, pass, display_name, agency, role).await? {
            created += 1;
        }
    }
    tracing::info!(created, "demo users are in place");
    Ok(created)
}
