//! The picture's routes: the timeline page and its assets, the SVG, the debrief and the chronology
//! as CSV. The page holds no child data: it signs in, keeps the token in memory, and fetches the
//! SVG with it, so every picture is read under the same rules, and audited, like the API.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::model::{Lens, Picture, axis};
use super::{csv, debrief, svg};
use crate::audit::repo::access_log;
use crate::auth::Actor;
use crate::auth::policy::{Action, alone, authorize, sight};
use crate::combined::chronology::chronology;
use crate::combined::indicators::gap_report;
use crate::combined::record::narrow;
use crate::combined::snapshot::Snapshot;
use crate::combined::types::{ChronologyItem, GapSummary, IndicatorReport};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidQuery;
use crate::safeguarding::clocks::clocks;
use crate::safeguarding::timescales::ClockReport;
use crate::state::AppState;
use crate::vocabulary::Agency;

/// Whose view: the record as the reader may see it, or what one agency alone held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ViewName {
    #[default]
    Shared,
    Police,
    Health,
    SocialCare,
    Legal,
}

impl ViewName {
    fn lens(self) -> Lens {
        match self {
            ViewName::Shared => Lens::Shared,
            ViewName::Police => Lens::Siloed(Agency::Police),
            ViewName::Health => Lens::Siloed(Agency::Health),
            ViewName::SocialCare => Lens::Siloed(Agency::SocialCare),
            ViewName::Legal => Lens::Siloed(Agency::Legal),
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PictureParams {
    /// The moment to draw (RFC 3339, scenario time); default now.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub as_of: Option<DateTime<Utc>>,
    /// `shared` (default): the record as the caller may see it. An agency: what that agency alone
    /// held, as in a siloed record (a facilitator may ask for any agency; a user only for their own).
    // Inline: a type used only by a parameter is never emitted as a component to point at.
    #[param(inline)]
    pub view: Option<ViewName>,
}

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
    let child = crate::sharing::readable(state, actor, child_id).await?;
    let kept = state.records.record(&state.db, &child).await?;
    let mode = child.sharing_mode;
    let sight_of = |agency, visibility| match lens {
        Lens::Shared => sight(actor, mode, agency, visibility),
        Lens::Siloed(own) => alone(own, agency, visibility),
    };
    let horizon = as_of.unwrap_or_else(Utc::now);
    let (snapshot, stubs) = narrow(&kept.stored, horizon, sight_of);
    let chronology: Vec<ChronologyItem> = chronology(&snapshot, &stubs)
        .into_iter()
        .map(|(_, item)| item)
        .collect();
    // The axis spans everything this lens sees, whatever the moment, so a slider redraws in place.
    let (everything, stubs_ever) = narrow(&kept.stored, Utc::now() + Duration::days(2), sight_of);
    let times = chronology_times(&everything, &stubs_ever);
    let span = axis(times.first().copied(), times.last().copied(), horizon);
    let (indicators, summary) = gap_report(&snapshot, &state.rules);
    let clocks: Vec<ClockReport> = clocks(&snapshot, &state.rules)
        .into_iter()
        .map(|c| ClockReport::at(c, horizon))
        .collect();
    let picture = Picture::new(
        format!("{} {}", child.given_name, child.family_name),
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
    stubs: &[crate::combined::chronology::StubFact],
) -> Vec<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = chronology(snapshot, stubs)
        .into_iter()
        .map(|(_, item)| item.occurred_at)
        .collect();
    times.sort();
    times
}

/// The timeline page: sign in, then the record's picture as of any moment, shared or as each
/// agency alone held it. The page carries no data; it reads the SVG with the signed-in token.
#[utoipa::path(
    tag = "picture",
    operation_id = "getTimelinePage",
    security(()),
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    responses((status = 200, description = "The page (HTML)", content_type = "text/html", body = String))
)]
#[get("/children/{child_id}/timeline")]
pub async fn timeline_page(_path: web::Path<Uuid>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(include_str!("assets/timeline.html"))
}

/// The page's script.
#[utoipa::path(
    tag = "picture",
    operation_id = "getTimelineScript",
    security(()),
    responses((status = 200, description = "The script", content_type = "text/javascript", body = String))
)]
#[get("/assets/timeline.js")]
pub async fn timeline_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(include_str!("assets/timeline.js"))
}

/// The page's style sheet (A4 landscape when printed).
#[utoipa::path(
    tag = "picture",
    operation_id = "getTimelineStyle",
    security(()),
    responses((status = 200, description = "The style sheet", content_type = "text/css", body = String))
)]
#[get("/assets/timeline.css")]
pub async fn timeline_style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .body(include_str!("assets/timeline.css"))
}

/// The record's picture as SVG: one lane per agency, months along the bottom, a marker per entry
/// the caller may see (shape: its kind; colour: its concern level; a ring: injuries; hollow: a
/// restricted stub), each indicator as a line at its `first_held_at` (solid in the lanes holding its
/// evidence; a filled badge when no single agency could see it), missed clocks as red spans.
#[utoipa::path(
    tag = "picture",
    operation_id = "getTimelineSvg",
    params(("child_id" = Uuid, Path, description = "The child record's id"), PictureParams),
    responses((status = 200, description = "The picture", content_type = "image/svg+xml", body = String))
)]
#[get("/children/{child_id}/timeline.svg")]
#[tracing::instrument(name = "get_timeline_svg", skip_all, fields(user_id = %actor.id()))]
pub async fn timeline_svg(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<PictureParams>,
) -> ApiResult<HttpResponse> {
    let q = query.0;
    let lens = q.view.unwrap_or_default().lens();
    let drawn = draw(&state, &actor, path.into_inner(), q.as_of, lens).await?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml")
        .body(svg::render(&drawn.picture)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// Only what had happened by then (RFC 3339, scenario time); default now.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub as_of: Option<DateTime<Utc>>,
}

/// The names of the entries' authors, by entry id.
async fn authors(state: &AppState, child_id: Uuid) -> ApiResult<HashMap<Uuid, String>> {
    let kept_authors: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT c.id, u.display_name FROM contacts c JOIN users u ON u.id = c.author_id WHERE c.child_id = $1
         UNION ALL SELECT r.id, u.display_name FROM process_records r JOIN users u ON u.id = r.author_id WHERE r.child_id = $1
         UNION ALL SELECT e.id, u.display_name FROM process_events e JOIN process_records r ON r.id = e.record_id
                   JOIN users u ON u.id = e.author_id WHERE r.child_id = $1
         UNION ALL SELECT p.id, u.display_name FROM people p JOIN users u ON u.id = p.recorded_by WHERE p.child_id = $1
         UNION ALL SELECT k.id, u.display_name FROM person_checks k JOIN users u ON u.id = k.recorded_by WHERE k.child_id = $1",
    )
    .bind(child_id)
    .fetch_all(&state.db)
    .await?;
    Ok(kept_authors.into_iter().collect())
}

/// The merged chronology as CSV, for a spreadsheet: date, agency, author, kind, summary, concern
/// level, injuries, decision/outcome; cells that a spreadsheet would run as a formula are escaped.
/// Whoever may read the chronology may export it, and sees the same entries.
#[utoipa::path(
    tag = "picture",
    operation_id = "getChronologyCsv",
    params(("child_id" = Uuid, Path, description = "The child record's id"), ExportParams),
    responses((status = 200, description = "The chronology", content_type = "text/csv", body = String))
)]
#[get("/children/{child_id}/chronology.csv")]
#[tracing::instrument(name = "get_chronology_csv", skip_all, fields(user_id = %actor.id()))]
pub async fn chronology_csv(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<ExportParams>,
) -> ApiResult<HttpResponse> {
    let child_id = path.into_inner();
    let drawn = draw(&state, &actor, child_id, query.0.as_of, Lens::Shared).await?;
    let authors = authors(&state, child_id).await?;
    let body = csv::write(&drawn.chronology, &drawn.snapshot, &authors)
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"chronology-{child_id}.csv\""),
        ))
        .body(body))
}

/// For facilitators: one self-contained HTML document (print it to PDF from any browser) with the
/// picture, the gap report with its explanations, the timescales, the merged chronology, and who
/// looked at the record, when.
#[utoipa::path(
    tag = "picture",
    operation_id = "getDebrief",
    params(("child_id" = Uuid, Path, description = "The child record's id"), ExportParams),
    responses((status = 200, description = "The debrief (HTML)", content_type = "text/html", body = String))
)]
#[get("/children/{child_id}/debrief")]
#[tracing::instrument(name = "get_debrief", skip_all, fields(user_id = %actor.id()))]
pub async fn get_debrief(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<ExportParams>,
) -> ApiResult<HttpResponse> {
    authorize(&actor, Action::ReadDebrief)?;
    let child_id = path.into_inner();
    let drawn = draw(&state, &actor, child_id, query.0.as_of, Lens::Shared).await?;
    let accesses = access_log(&state.db, child_id, None, debrief::ACCESSES).await?;
    let authors = authors(&state, child_id).await?;
    let document = debrief::render(&drawn, &accesses, &authors);
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("inline; filename=\"debrief-{child_id}.html\""),
        ))
        .body(document))
}
