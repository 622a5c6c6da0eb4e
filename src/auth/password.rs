//! argon2id with OWASP's parameters (19 MiB, 2 iterations, 1 lane). Hashing is CPU-bound and slow by
//! design, so it runs on the blocking pool, never on the async workers, and only on half the cores
//! at once: a crowd logging in together queues here instead of taking every core (and 19 MiB each)
//! from the requests of people already at work.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

use anyhow::Context;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Verified against when the login name is unknown, so that an unknown user costs as much time as
/// a wrong password.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    hasher()
        .hash_password(uuid::Uuid::new_v4().as_bytes())
        .expect("hashing a random value succeeds")
        .to_string()
});

/// Permits to run argon2: half the cores, at least one.
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Semaphore::new((cores / 2).max(1))
});

pub async fn hash(password: String) -> anyhow::Result<String> {
    let permit = HASHING.acquire().await.context("password hashing permit")?;
    tokio::task::spawn_blocking(move || {
        // Held by the work itself, so a caller that goes away does not free it early.
        let _permit = permit;
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await
    .context("password hashing task")?
}

/// True when `candidate` matches `stored`; with no stored hash, verifies against a dummy and answers
/// false, taking the same time.
pub async fn verify(stored: Option<String>, candidate: String) -> anyhow::Result<bool> {
    let permit = HASHING
        .acquire()
        .await
        .context("password verification permit")?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let (hash, known) = match stored {
            Some(h) => (h, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let matches = hasher()
            .verify_password(candidate.as_bytes(), hash.as_str())
            .is_ok();
        known && matches
    })
    .await
    .context("password verification task")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let h = hash("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify(Some(h.clone()), "correct horse battery".into())
                .await
                .unwrap()
        );
        assert!(!verify(Some(h), "wrong horse battery".into()).await.unwrap());
        assert!(!verify(None, "anything at all".into()).await.unwrap());
    }
}
