//! The picture's routes: the timeline page and its assets, the SVG, the debrief and the chronology
//! as CSV. The page holds no child data: it signs in, keeps the token in memory, and fetches the
//! SVG with it, so every picture is read under the same rules, and audited, like the API.

use std::collections::HashMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::drawn::draw;
use super::model::Lens;
use super::{csv, debrief, svg};
use crate::audit::repo::access_log;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, authorize};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidQuery;
use crate::state::AppState;
use crate::vocabulary::Agency;

/// Whose view: the record as the reader may see it (`shared`), or what one agency alone held.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ViewName(Option<Agency>);

/// `shared`, then every agency: the names a view is asked for by.
static VIEW_NAMES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    std::iter::once("shared")
        .chain(Agency::ALL.iter().map(|a| a.as_str()))
        .collect()
});

impl ViewName {
    fn lens(self) -> Lens {
        match self.0 {
            None => Lens::Shared,
            Some(agency) => Lens::Siloed(agency),
        }
    }
}

impl<'de> Deserialize<'de> for ViewName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match name.as_str() {
            "shared" => Ok(ViewName(None)),
            other => other
                .parse::<Agency>()
                .map(|a| ViewName(Some(a)))
                .map_err(|_| serde::de::Error::unknown_variant(other, &VIEW_NAMES)),
        }
    }
}

impl utoipa::PartialSchema for ViewName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "Whose view: the record as the reader may see it, or what one agency alone held.",
            ))
            .enum_values(Some(VIEW_NAMES.iter().copied()))
            .into()
    }
}

impl ToSchema for ViewName {}

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
