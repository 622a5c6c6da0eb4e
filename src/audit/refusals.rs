//! Refusals kept out of a child's access log past a burst, so that refused reads cannot bury the
//! record's real readers.

use uuid::Uuid;

/// Refused requests one user may add to one child's access log in a burst, then one more every
/// `REFUSED_REFILL`: past that a refusal is still kept in the trail, naming the user, but not in
/// the child's access log, so that nobody can bury the record's real readers under refusals.
pub const REFUSED_BURST: u32 = 10;
pub const REFUSED_REFILL: std::time::Duration = std::time::Duration::from_secs(360);

pub struct RefusedReads(governor::DefaultKeyedRateLimiter<(Uuid, Uuid)>);

impl Default for RefusedReads {
    fn default() -> Self {
        let quota = governor::Quota::with_period(REFUSED_REFILL)
            .expect("the refill period is not zero")
            .allow_burst(std::num::NonZeroU32::new(REFUSED_BURST).expect("the burst is not zero"));
        RefusedReads(governor::RateLimiter::keyed(quota))
    }
}

impl RefusedReads {
    /// Whether one more refusal of `user` on `child` goes in the child's access log.
    pub fn logged(&self, user: Uuid, child: Uuid) -> bool {
        // Keys whose bursts have refilled are forgotten, so the map stays small.
        if self.0.len() > 10_000 {
            self.0.retain_recent();
        }
        self.0.check_key(&(user, child)).is_ok()
    }
}
