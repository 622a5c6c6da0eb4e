//! argon2id with OWASP's parameters (19 MiB, 2 iterations, 1 lane). Hashing is CPU-bound and slow by
//! design, so it runs on a pool of its own, never on the async workers: half the cores, at a lower
//! scheduling priority. A crowd logging in together queues there instead of taking every core (and
//! 19 MiB each) from the requests of people already at work, and those requests go first whenever
//! both want a core.

use std::sync::LazyLock;

use anyhow::Context;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// How much lower than the request handlers hashing runs (a nice value: 0 normal, 19 lowest).
const HASHING_NICENESS: i32 = 10;

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

/// The hashing threads: half the cores, at least one.
static HASHING: LazyLock<rayon::ThreadPool> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    rayon::ThreadPoolBuilder::new()
        .num_threads((cores / 2).max(1))
        .thread_name(|i| format!("password-hashing-{i}"))
        .start_handler(|_| lower_priority())
        .build()
        .expect("the password-hashing threads start")
});

/// On Linux a nice value belongs to a thread, so this lowers only the calling one.
fn lower_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority has no memory-safety preconditions; `0` names the calling thread.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, HASHING_NICENESS);
    }
}

/// Runs `work` on the hashing threads.
async fn on_hashing_threads<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    HASHING.spawn(move || {
        let _ = done.send(work());
    });
    result.await.context("password hashing task")
}

pub async fn hash(password: String) -> anyhow::Result<String> {
    on_hashing_threads(move || {
        hasher()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
    })
    .await?
}

/// True when `candidate` matches `stored`; with no stored hash, verifies against a dummy and answers
/// false, taking the same time.
pub async fn verify(stored: Option<String>, candidate: String) -> anyhow::Result<bool> {
    on_hashing_threads(move || {
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
