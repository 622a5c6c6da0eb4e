//! `/children/{child_id}/chronology`, `/concerns` and `/gap-report`.
//!
//! Every view is computed over exactly the entries the caller may see in full: a facilitator sees
//! the combined record; in a siloed record an agency user's views are its own agency's alone;
//! another agency's restricted contact appears only as a stub in the chronology.

use actix_web::{get, web};
use chrono::Utc;
use uuid::Uuid;

use super::chronology::{Position, StubFact, chronology};
use super::concerns::concerns;
use super::indicators::{RuleConfig, gap_report};
use super::snapshot::{CheckFact, ContactFact, PersonFact, Snapshot, StatusFact};
use super::types::{AsOfParams, ChronologyPage, ChronologyParams, ConcernSummary, GapReport};
use crate::auth::Actor;
use crate::auth::policy::{Action, Sight, authorize, sight};
use crate::children::handlers::load;
use crate::error::ApiResult;
use crate::extract::ValidQuery;
use crate::pagination::PageParams;
use crate::startup::AppState;
use crate::vocabulary::Visibility;

/// The record as `actor` may see it, up to `as_of` (or now): the child, then the whole record
/// (from memory when it has not changed since it was last read), narrowed here to the moment and
/// to what the actor may see.
async fn view(
    state: &AppState,
    actor: &Actor,
    child_id: Uuid,
    as_of: Option<chrono::DateTime<Utc>>,
) -> ApiResult<(Snapshot, Vec<StubFact>)> {
    authorize(actor, Action::ReadChild)?;
    let child = load(&state.db, child_id).await?;
    let horizon = as_of.unwrap_or_else(Utc::now);
    let record = state.records.record(&state.db, &child).await?;
    let mode = child.sharing_mode;
    let mut contacts = Vec::new();
    let mut stubs = Vec::new();
    for stored in &record.contacts {
        let row = &stored.row;
        match sight(actor, mode, row.agency, row.visibility) {
            Sight::Hidden => {}
            Sight::Stub if row.occurred_at <= horizon => stubs.push(StubFact {
                id: row.id,
                agency: row.agency,
                kind: row.kind,
                occurred_at: row.occurred_at,
                recorded_at: row.recorded_at,
            }),
            Sight::Stub => {}
            Sight::Full => {
                let (id, agency, recorded_at) = (row.id, row.agency, row.recorded_at);
                // Only the amendments made by the horizon: a view as of a moment shows the
                // contact as it stood then.
                let amendments = stored
                    .amendments
                    .0
                    .iter()
                    .filter(|a| a.occurred_at <= horizon)
                    .cloned()
                    .map(Into::into)
                    .collect();
                let contact = row.clone().into_contact(amendments);
                if contact.current.occurred_at <= horizon {
                    contacts.push(ContactFact {
                        id,
                        agency,
                        recorded_at,
                        amended: contact.amended,
                        fields: contact.current,
                    });
                }
            }
        }
    }
    // Amendments may have moved a contact in time.
    contacts.sort_by_key(|c| (c.at(), c.recorded_at, c.id));
    let visible = |agency| sight(actor, mode, agency, Visibility::Shared) == Sight::Full;
    let people = record
        .people
        .iter()
        .filter(|p| p.occurred_at <= horizon && visible(p.agency))
        .map(|p| PersonFact {
            id: p.id,
            agency: p.agency,
            at: p.occurred_at,
            recorded_at: p.recorded_at,
            name: p.name.clone(),
            relationship: p.relationship,
            lives_in_household: p.lives_in_household,
            identity_verified: p.identity_verified,
        })
        .collect();
    let checks = record
        .checks
        .iter()
        .filter(|c| c.occurred_at <= horizon && visible(c.agency))
        .map(|c| CheckFact {
            id: c.id,
            person_id: c.person_id,
            agency: c.agency,
            at: c.occurred_at,
            recorded_at: c.recorded_at,
            outcome: c.outcome,
            summary: c.summary.clone(),
        })
        .collect();
    let statuses = record
        .statuses
        .iter()
        .filter(|s| s.at <= horizon)
        .map(|s| StatusFact {
            status: s.status,
            at: s.at,
        })
        .collect();
    Ok((
        Snapshot {
            horizon,
            contacts,
            people,
            checks,
            statuses,
        },
        stubs,
    ))
}

/// Every entry the caller may see, merged across agencies in scenario-time order (ties by recording
/// time): contacts (other agencies' restricted ones as stubs), people recorded and checks.
#[utoipa::path(
    tag = "combined",
    operation_id = "getChronology",
    params(("child_id" = Uuid, Path, description = "The child record's id"), ChronologyParams),
    responses((status = 200, description = "A page of the chronology", body = ChronologyPage))
)]
#[get("/children/{child_id}/chronology")]
pub async fn get_chronology(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<ChronologyParams>,
) -> ApiResult<web::Json<ChronologyPage>> {
    let q = query.0;
    let limit = PageParams {
        limit: q.limit,
        cursor: None,
    }
    .limit()?;
    let after = q.cursor.as_deref().map(Position::decode).transpose()?;
    let (snapshot, stubs) = view(&state, &actor, path.into_inner(), q.as_of).await?;
    let mut items = chronology(&snapshot, &stubs)
        .into_iter()
        .filter(|(pos, item)| {
            q.agency.is_none_or(|a| item.agency == a)
                && q.from.is_none_or(|from| item.occurred_at >= from)
                && q.to.is_none_or(|to| item.occurred_at <= to)
                && after.is_none_or(|after| *pos > after)
        })
        .take(usize::try_from(limit).unwrap_or(usize::MAX) + 1)
        .collect::<Vec<_>>();
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = (items.len() > limit).then(|| {
        items.truncate(limit);
        items.last().map(|(pos, _)| pos.encode())
    });
    Ok(web::Json(ChronologyPage {
        items: items.into_iter().map(|(_, item)| item).collect(),
        next_cursor: next_cursor.flatten(),
    }))
}

/// Per agency: contacts, highest concern level, counts by concern category, injuries and the latest
/// entry; and the same for the whole record. Over the contacts the caller may see in full.
#[utoipa::path(
    tag = "combined",
    operation_id = "getConcerns",
    params(("child_id" = Uuid, Path, description = "The child record's id"), AsOfParams),
    responses((status = 200, description = "The concern summary", body = ConcernSummary))
)]
#[get("/children/{child_id}/concerns")]
pub async fn get_concerns(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<AsOfParams>,
) -> ApiResult<web::Json<ConcernSummary>> {
    let child_id = path.into_inner();
    let (snapshot, _) = view(&state, &actor, child_id, query.0.as_of).await?;
    let (agencies, total) = concerns(&snapshot);
    Ok(web::Json(ConcernSummary {
        child_id,
        as_of: query.0.as_of,
        agencies,
        total,
    }))
}

/// The nine warning signs of the combined record: each that held by `as_of`, from when, on which
/// entries, and whether any agency could have seen it alone. Computed over the entries the caller
/// may see in full: a facilitator gets the combined record even when it is siloed; an agency user
/// of a siloed record gets their own agency's alone.
#[utoipa::path(
    tag = "combined",
    operation_id = "getGapReport",
    params(("child_id" = Uuid, Path, description = "The child record's id"), AsOfParams),
    responses((status = 200, description = "The gap report", body = GapReport))
)]
#[get("/children/{child_id}/gap-report")]
pub async fn get_gap_report(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<Uuid>,
    query: ValidQuery<AsOfParams>,
) -> ApiResult<web::Json<GapReport>> {
    let child_id = path.into_inner();
    let (snapshot, _) = view(&state, &actor, child_id, query.0.as_of).await?;
    let (indicators, summary) = gap_report(&snapshot, &RuleConfig::default());
    Ok(web::Json(GapReport {
        child_id,
        as_of: query.0.as_of,
        indicators,
        summary,
    }))
}
