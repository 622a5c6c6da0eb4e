//! Failures per client address, whatever they were for: wrong logins, missing or dead tokens.
//! A client may fail in a burst (a training room behind one address logs in together, typos and
//! all), then at a steady rate; past that its requests are answered 429 before they are read,
//! unless they carry a token that verifies, so that one noisy client neither guesses passwords at
//! speed nor fills the audit trail, and the people already at work from the same address go on.
//! The refusing is `auth::guard`'s; refusals are counted in the log, not audited one by one: they
//! read and write nothing.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Failures a client may make at once.
pub const BURST: u32 = 50;
/// After the burst, one more failure per this long.
pub const REFILL: Duration = Duration::from_secs(1);

pub struct ClientFailures {
    failures: DefaultKeyedRateLimiter<IpAddr>,
    /// Clients that have spent their failures, and until when.
    refused_until: Mutex<HashMap<IpAddr, Instant>>,
}

impl Default for ClientFailures {
    fn default() -> Self {
        ClientFailures::new(BURST, REFILL)
    }
}

impl ClientFailures {
    pub fn new(burst: u32, refill: Duration) -> Self {
        let quota = Quota::with_period(refill)
            .expect("the refill period is not zero")
            .allow_burst(NonZeroU32::new(burst).expect("the burst is not zero"));
        ClientFailures {
            failures: RateLimiter::keyed(quota),
            refused_until: Mutex::new(HashMap::new()),
        }
    }

    /// Seconds until `client` may fail again, while it may not.
    pub fn refused(&self, client: IpAddr) -> Option<u64> {
        let mut refused = self.refused_until.lock().unwrap_or_else(|e| e.into_inner());
        let until = *refused.get(&client)?;
        let now = Instant::now();
        if until <= now {
            refused.remove(&client);
            return None;
        }
        Some((until - now).as_secs().max(1))
    }

    /// Counts one failure by `client`.
    pub fn failed(&self, client: IpAddr) {
        if let Err(not_until) = self.failures.check_key(&client) {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let mut refused = self.refused_until.lock().unwrap_or_else(|e| e.into_inner());
            refused.insert(client, Instant::now() + wait);
            // Forget clients long quiet, so that the maps stay small.
            if refused.len() > 10_000 {
                let now = Instant::now();
                refused.retain(|_, until| *until > now);
                self.failures.retain_recent();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_refused_after_its_burst_and_others_are_not() {
        let limits = ClientFailures::new(3, Duration::from_secs(60));
        let (noisy, quiet): (IpAddr, IpAddr) =
            ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..3 {
            limits.failed(noisy);
            assert_eq!(limits.refused(noisy), None);
        }
        limits.failed(noisy);
        let wait = limits.refused(noisy).expect("refused after the burst");
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(limits.refused(quiet), None);
    }

    #[test]
    fn a_refused_client_may_try_again_once_its_wait_is_over() {
        let limits = ClientFailures::new(1, Duration::from_millis(50));
        let client: IpAddr = "192.0.2.3".parse().unwrap();
        limits.failed(client);
        limits.failed(client);
        assert!(limits.refused(client).is_some());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(limits.refused(client), None);
    }
}
