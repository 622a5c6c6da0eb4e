//! `GET /children/{child_id}/timescales`: every statutory clock of the record as the caller sees
//! it, at `as_of`.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::clocks::{Clock, clocks};
use crate::auth::Actor;
use crate::combined::handlers::view;
use crate::combined::types::{AsOfParams, Evidence};
use crate::error::ApiResult;
use crate::extract::ValidQuery;
use crate::state::AppState;
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

/// The statutory clocks of docs/domain.md ("Timescales") over the entries the caller may see in
/// full: what started each, when it is due (working days exclude weekends and bank holidays in
/// England and Wales), what met or stopped it, and its state at `as_of`.
#[utoipa::path(
    tag = "process",
    operation_id = "getTimescales",
    params(("child_id" = Uuid, Path, description = "The child record's id"), AsOfParams),
    responses((status = 200, description = "The clocks", body = Timescales))
)]
#[get("/children/{child_id}/timescales")]
#[tracing::instrument(name = "get_timescales", skip_all, fields(user_id = %actor.id()))]
pub async fn get_timescales(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<AsOfParams>,
) -> ApiResult<web::Json<Timescales>> {
    let child_id = path.into_inner();
    let snapshot = view(&state, &actor, child_id, query.0.as_of)
        .await?
        .snapshot;
    let clocks: Vec<ClockReport> = clocks(&snapshot, &state.rules)
        .into_iter()
        .map(|c| ClockReport::at(c, snapshot.horizon))
        .collect();
    Ok(web::Json(Timescales {
        child_id,
        as_of: query.0.as_of,
        summary: ClockCounts::of(&clocks),
        clocks,
    }))
}
