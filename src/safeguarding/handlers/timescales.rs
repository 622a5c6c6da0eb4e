//! `GET /children/{child_id}/timescales`: every statutory clock of the record as the caller sees
//! it, at `as_of`.

use actix_web::{get, web};
use uuid::Uuid;

use crate::auth::actor::Actor;
use crate::combined::types::AsOfParams;
use crate::error::ApiResult;
use crate::extract::ValidQuery;
use crate::record::clocks::clocks;
use crate::safeguarding::timescales::{ClockCounts, ClockReport, Timescales};
use crate::state::AppState;

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
    let snapshot = crate::record::view(&state, &actor, child_id, query.0.as_of)
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
