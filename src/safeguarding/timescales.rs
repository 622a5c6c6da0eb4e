//! The statutory clocks as they are shown: each clock's state at a moment, and how many stand in
//! each state (`GET /children/{child_id}/timescales`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::combined::types::Evidence;
use crate::record::clocks::Clock;
use crate::vocabulary::{ClockName, ClockState};

/// One clock at `as_of`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClockReport {
    pub clock: ClockName,
    pub state: ClockState,
    /// The entry that started it.
    pub started_by: Evidence,
    pub started_at: DateTime<Utc>,
    /// The moment it is due: the end of a day (UTC).
    pub due_at: DateTime<Utc>,
    /// The entry that met it, by `as_of`.
    pub met_by: Option<Evidence>,
    /// What made it no longer needed, by `as_of`.
    pub stopped_by: Option<Evidence>,
    /// A `challenge_response` clock: the escalation level it stands at (1 practitioners, 2
    /// managers, 3 senior managers, 4 the safeguarding partnership); null for other clocks.
    pub level: Option<u8>,
}

impl ClockReport {
    pub fn at(clock: Clock, at: DateTime<Utc>) -> ClockReport {
        ClockReport {
            clock: clock.clock,
            state: clock.state_at(at),
            started_at: clock.started_at,
            due_at: clock.due_at,
            met_by: clock.met_by,
            stopped_by: clock.stopped_by,
            level: clock.level,
            started_by: clock.started_by,
        }
    }
}

/// How many clocks stand in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ClockCounts {
    pub running: usize,
    pub met: usize,
    pub met_late: usize,
    pub overdue: usize,
    pub stopped: usize,
}

impl ClockCounts {
    pub fn of(clocks: &[ClockReport]) -> ClockCounts {
        let mut counts = ClockCounts::default();
        for c in clocks {
            *match c.state {
                ClockState::Running => &mut counts.running,
                ClockState::Met => &mut counts.met,
                ClockState::MetLate => &mut counts.met_late,
                ClockState::Overdue => &mut counts.overdue,
                ClockState::Stopped => &mut counts.stopped,
            } += 1;
        }
        counts
    }
}

/// The record's statutory clocks at `as_of` (or now), in the order they started.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Timescales {
    pub child_id: Uuid,
    pub as_of: Option<DateTime<Utc>>,
    pub clocks: Vec<ClockReport>,
    pub summary: ClockCounts,
}
