//! Sharing decisions: who may read a child's record. An agency involved with the child reads it
//! (the policy says what makes one involved); a user of any other agency finds that the record
//! exists and who is involved, and breaks glass, with a lawful basis and a reason, to read it for
//! a while; their agency's managers review each break-glass.

pub mod handlers;
pub mod repo;
pub mod types;

use uuid::Uuid;

use crate::auth::Actor;
use crate::auth::policy::{Action, authorize, may_read};
use crate::children::Child;
use crate::error::ApiResult;
use crate::state::AppState;

/// The child's record, if `actor` may read it: 404 when there is none, 403 (naming the involved
/// agencies and how to break glass) when the actor's agency is not involved and no break-glass of
/// theirs is open. Every read of a child's data passes here.
pub async fn readable(state: &AppState, actor: &Actor, child_id: Uuid) -> ApiResult<Child> {
    authorize(actor, Action::ReadChild)?;
    let child = crate::children::reachable(&state.db, actor, child_id).await?;
    let kept = state.records.record(&state.db, &child).await?;
    if may_read(actor, &kept.involved, false).is_ok() {
        return Ok(child);
    }
    let open = repo::open_break_glass(&state.db, child.id, actor.id()).await?;
    may_read(actor, &kept.involved, open)?;
    Ok(child)
}
