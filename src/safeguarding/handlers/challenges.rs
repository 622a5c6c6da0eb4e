//! Challenges of another agency's entry and their answers, and agencies brought in to work the
//! case.

use actix_web::{HttpResponse, post, web};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::audit::recorder::Recorder;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, Sight, acting_agency, authorize, sight};
use crate::error::{ApiError, ApiResult};
use crate::extract::ValidJson;
use crate::safeguarding::shown::{find, shown_one};
use crate::safeguarding::types::*;
use crate::safeguarding::write::{Change, append, event_time, insert, involved_now, record_one};
use crate::safeguarding::{process, repo};
use crate::state::AppState;
use crate::validation::{self, text};
use crate::vocabulary::{Agency, RecordType, Visibility};

/// The entry a challenge names: whose it is, what it is, and who may see it.
#[derive(sqlx::FromRow)]
struct Challenged {
    agency: Agency,
    visibility: Visibility,
    kind: String,
    /// The agency a referral is made to, which sees it in full.
    party: Option<Agency>,
    occurred_at: DateTime<Utc>,
}

/// Challenge another agency's entry or decision on this record: a contact (its opinion or concern
/// level) or a process record (a referral and its decision, a conference's decision, a legal
/// advice), at a level of the escalation procedure. The challenged agency answers; unanswered, it
/// escalates a level each time its response falls due (`/timescales`, clock `challenge_response`).
#[utoipa::path(
    tag = "process",
    operation_id = "createChallenge",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewChallenge,
    responses((status = 201, description = "Raised", body = ProcessRecord))
)]
#[post("/children/{child_id}/challenges")]
#[tracing::instrument(name = "create_challenge", skip_all, fields(user_id = %actor.id()))]
pub async fn create_challenge(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewChallenge>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    // A challenge needs sight of the entry: only an involved agency (or one under break-glass).
    let child = crate::record::open(&state, &actor, path.into_inner())
        .await?
        .child;
    validation::check_scenario_time("occurred_at", b.occurred_at, child.date_of_birth)?;
    let level = process::challenge_level(b.level)?;
    let concern = text("concern", &b.concern, 1, 4000)?;
    let no_entry = || {
        ApiError::validation(
            "entry_id",
            "no contact or process record with this id on this record that you may see",
        )
    };
    let entry: Challenged = sqlx::query_as(
        "SELECT agency, visibility, kind, NULL::text AS party, occurred_at FROM contacts
          WHERE id = $1 AND child_id = $2
         UNION ALL
         SELECT agency, visibility, record_type, details ->> 'to_agency', occurred_at FROM process_records
          WHERE id = $1 AND child_id = $2 AND record_type <> 'challenge'",
    )
    .bind(b.entry_id)
    .bind(child.id)
    .fetch_optional(&state.db)
    .await?
    .ok_or_else(no_entry)?;
    let seen = |agency| sight(&actor, child.sharing_mode, agency, entry.visibility) == Sight::Full;
    if !(seen(entry.agency) || entry.party.is_some_and(seen)) {
        return Err(no_entry());
    }
    // A referral is challenged for its decision: the receiving agency's.
    let challenged = entry.party.unwrap_or(entry.agency);
    let agency = acting_agency(&actor, Action::Challenge { of: challenged })?;
    if b.occurred_at < entry.occurred_at {
        return Err(ApiError::validation(
            "occurred_at",
            "a challenge cannot come before the entry it challenges",
        ));
    }
    let visibility = b.visibility.unwrap_or(Visibility::Shared);
    let details = Details::Challenge {
        challenged_agency: challenged,
        entry_id: b.entry_id,
        entry_kind: entry.kind,
        concern,
        level,
    };
    record_one(
        recorder,
        &child,
        (agency, visibility),
        &actor,
        b.occurred_at,
        details,
    )
    .await
}

/// The challenged agency's answer, once: `upheld` (the entry stands), `decision_changed`,
/// `escalated` (taken to the next level by agreement) or `withdrawn`, with its reason.
#[utoipa::path(
    tag = "process",
    operation_id = "respondToChallenge",
    params(
        ("child_id" = Uuid, Path, description = "The child record's id"),
        ("challenge_id" = Uuid, Path, description = "The challenge's id"),
    ),
    request_body = NewChallengeResponse,
    responses(
        (status = 201, description = "Answered: the challenge as it now stands", body = ProcessRecord),
        (status = 409, description = "Already answered", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/challenges/{challenge_id}/response")]
#[tracing::instrument(name = "respond_to_challenge", skip_all, fields(user_id = %actor.id()))]
pub async fn respond_to_challenge(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<(Uuid, Uuid)>,
    body: ValidJson<NewChallengeResponse>,
) -> ApiResult<HttpResponse> {
    let (child_id, challenge_id) = path.into_inner();
    let b = body.0;
    let child = crate::children::reachable(&state.db, &actor, child_id).await?;
    let row = find(&state, &actor, &child, RecordType::Challenge, challenge_id).await?;
    let Details::Challenge {
        challenged_agency, ..
    } = row.details.0
    else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a challenge without its details"
        )));
    };
    let agency = acting_agency(
        &actor,
        Action::RespondToChallenge {
            challenged: challenged_agency,
        },
    )?;
    let at = event_time(b.occurred_at, &child, &row, "an answer")?;
    let reason = text("reason", &b.reason, 1, 2000)?;
    append(
        recorder,
        Change {
            child: &child,
            row: &row,
            agency,
            actor: &actor,
            occurred_at: at,
            details: EventDetails::Responded {
                response: b.response,
                reason,
            },
        },
    )
    .await
}

/// Bring an agency in to work the case: a user of an agency involved with the child (or a
/// facilitator) names the agency and the reason. From then on that agency is involved: it reads the
/// record, and is alerted that it was brought in. The entry is on the chronology like any other.
#[utoipa::path(
    tag = "process",
    operation_id = "createInvolvement",
    params(("child_id" = Uuid, Path, description = "The child record's id")),
    request_body = NewInvolvement,
    responses(
        (status = 201, description = "Brought in", body = ProcessRecord),
        (status = 409, description = "The agency is involved already", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/children/{child_id}/involvements")]
#[tracing::instrument(name = "create_involvement", skip_all, fields(user_id = %actor.id()))]
pub async fn create_involvement(
    state: web::Data<AppState>,
    actor: Actor,
    recorder: Recorder,
    path: web::Path<Uuid>,
    body: ValidJson<NewInvolvement>,
) -> ApiResult<HttpResponse> {
    let b = body.0;
    authorize(&actor, Action::ReadChild)?;
    let child = crate::children::reachable(&state.db, &actor, path.into_inner()).await?;
    let reason = text("reason", &b.reason, 1, 2000)?;
    let at = b.occurred_at.unwrap_or_else(Utc::now);
    validation::check_scenario_time("occurred_at", at, child.date_of_birth)?;
    let member = crate::auth::policy::team_member(&actor, child.team_id);
    // Whose entry it is: the agency that brought the other in (a facilitator has none, so the
    // entry is the agency's own).
    let by = actor.agency().unwrap_or(b.agency);
    let details = Details::Involvement {
        brought_in: b.agency,
        reason,
    };
    let record = recorder
        .write(async |tx| {
            // Two agencies bringing the same one in at once: one of them finds it involved.
            repo::lock_child_process(&mut *tx, child.id).await?;
            let involved = involved_now(&mut *tx, &child).await?;
            crate::auth::policy::may_bring_in(&actor, member, &involved, b.agency).map_err(
                |d| {
                    if involved.contains(&b.agency) {
                        ApiError::Conflict(d.0.into_owned())
                    } else {
                        d.into()
                    }
                },
            )?;
            let row = insert(tx, &child, (by, Visibility::Shared), &actor, at, details).await?;
            let id = row.id;
            Ok((shown_one(tx, &actor, &child, row).await?, id))
        })
        .await?;
    Ok(HttpResponse::Created().json(record))
}
