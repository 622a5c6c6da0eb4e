//! The alert streams open now, counted per user so that one user cannot hold many.

use uuid::Uuid;

/// Streams one user may hold open at once.
pub const STREAMS_PER_USER: usize = 3;

/// The alert streams open now, per user.
#[derive(Debug, Default, Clone)]
pub struct OpenStreams(std::sync::Arc<std::sync::Mutex<std::collections::HashMap<Uuid, usize>>>);

/// One user's place among the open streams, given back when the stream ends.
pub struct StreamSlot {
    open: OpenStreams,
    user: Uuid,
}

impl OpenStreams {
    pub fn take(&self, user: Uuid) -> Option<StreamSlot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let held = open.entry(user).or_default();
        if *held >= STREAMS_PER_USER {
            return None;
        }
        *held += 1;
        Some(StreamSlot {
            open: self.clone(),
            user,
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(held) = open.get_mut(&self.user) {
            *held = held.saturating_sub(1);
            if *held == 0 {
                open.remove(&self.user);
            }
        }
    }
}
