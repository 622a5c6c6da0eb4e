//! Sharing decisions: who may read a child's record. An agency involved with the child reads it
//! (the policy says what makes one involved); a user of any other agency finds that the record
//! exists and who is involved, and breaks glass, with a lawful basis and a reason, to read it for
//! a while; their agency's managers review each break-glass.

pub mod handlers;
pub mod repo;
pub mod types;

use uuid::Uuid;

use crate::auth::actor::Actor;
use crate::error::ApiResult;
use crate::state::AppState;

/// May `actor` be given again the answer kept for an `Idempotency-Key` on an operation that wrote
/// to this child's record? A replay passes the policy as the request would now: the record must
/// still be in the caller's workspace; an operation that needed sight of the record needs it
/// still; and a disclosure's answer, which holds another agency's restricted contact in full, is
/// given again only while the caller could have it disclosed now (not after the record was
/// siloed, nor after the caller's break-glass closed).
pub async fn may_replay(
    state: &AppState,
    actor: &Actor,
    action: crate::routes::AuditAction,
    child_id: Uuid,
    answer: &[u8],
) -> ApiResult<()> {
    use crate::routes::AuditAction as A;
    match action {
        A::DisclosureCreate => {
            let child = crate::record::open(state, actor, child_id).await?.child;
            let kept: types::Disclosed = serde_json::from_slice(answer).map_err(|e| {
                crate::error::ApiError::internal(anyhow::anyhow!("a kept disclosure: {e}"))
            })?;
            let row = crate::contacts::repo::find(&state.db, child.id, kept.disclosure.contact_id)
                .await?
                .ok_or_else(|| {
                    crate::error::ApiError::NotFound(
                        "no contact with this id on this record".into(),
                    )
                })?;
            crate::auth::policy::may_disclose(
                actor,
                child.sharing_mode,
                row.agency,
                row.visibility,
            )?;
        }
        A::SharingRefusalCreate | A::ChallengeCreate | A::InvolvementCreate => {
            crate::record::open(state, actor, child_id).await?;
        }
        _ => {
            crate::children::reachable(&state.db, actor, child_id).await?;
        }
    }
    Ok(())
}
