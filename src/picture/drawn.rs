//! The record drawn for one reader, one lens and one moment: the picture, and the chronology,
//! indicators and clocks it shows, for the SVG, the debrief and the CSV alike.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::model::{Lens, Picture, axis};
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, alone, authorize};
use crate::combined::indicators::gap_report;
use crate::combined::types::{ChronologyItem, GapSummary, IndicatorReport};
use crate::error::ApiResult;
use crate::record::chronology::chronology;
use crate::record::clocks::clocks;
use crate::record::snapshot::Snapshot;
use crate::safeguarding::timescales::ClockReport;
use crate::state::AppState;

/// Everything drawn or listed for one reader, one lens and one moment.
pub struct Drawn {
    pub picture: Picture,
    pub snapshot: Snapshot,
    pub chronology: Vec<ChronologyItem>,
    pub indicators: Vec<IndicatorReport>,
    pub summary: GapSummary,
    pub clocks: Vec<ClockReport>,
}

pub async fn draw(
    state: &AppState,
    actor: &Actor,
    child_id: Uuid,
    as_of: Option<DateTime<Utc>>,
    lens: Lens,
) -> ApiResult<Drawn> {
    if let Lens::Siloed(agency) = lens {
        authorize(actor, Action::ViewAgencyAlone { agency })?;
    }
    let open = crate::record::open(state, actor, child_id).await?;
    let shared = open.sight_of(actor);
    let sight_of = |agency, visibility| match lens {
        Lens::Shared => shared(agency, visibility),
        Lens::Siloed(own) => alone(own, agency, visibility),
    };
    let horizon = as_of.unwrap_or_else(Utc::now);
    let (snapshot, stubs) = open.narrow(horizon, sight_of);
    let chronology: Vec<ChronologyItem> = chronology(&snapshot, &stubs)
        .into_iter()
        .map(|(_, item)| item)
        .collect();
    // The axis spans everything this lens sees, whatever the moment, so a slider redraws in place.
    let (everything, stubs_ever) = open.narrow(Utc::now() + Duration::days(2), sight_of);
    let times = chronology_times(&everything, &stubs_ever);
    let span = axis(times.first().copied(), times.last().copied(), horizon);
    let (indicators, summary) = gap_report(&snapshot, &state.rules);
    let clocks: Vec<ClockReport> = clocks(&snapshot, &state.rules)
        .into_iter()
        .map(|c| ClockReport::at(c, horizon))
        .collect();
    let picture = Picture::new(
        format!("{} {}", open.child.given_name, open.child.family_name),
        horizon,
        lens,
        span,
        &chronology,
        &indicators,
        &clocks,
    );
    Ok(Drawn {
        picture,
        snapshot,
        chronology,
        indicators,
        summary,
        clocks,
    })
}

fn chronology_times(
    snapshot: &Snapshot,
    stubs: &[crate::record::chronology::StubFact],
) -> Vec<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = chronology(snapshot, stubs)
        .into_iter()
        .map(|(_, item)| item.occurred_at)
        .collect();
    times.sort();
    times
}
