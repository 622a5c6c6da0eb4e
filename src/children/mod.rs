//! Child records: identity, status, sharing mode.

pub mod handlers;
pub mod repo;
pub mod types;

pub use types::Child;

use uuid::Uuid;

use crate::auth::actor::Actor;
use crate::auth::policy;
use crate::error::{ApiError, ApiResult};

/// The child's record if it is in `actor`'s workspace (`policy::in_workspace`): one outside it is
/// answered exactly as one that does not exist. Every child-scoped route finds its child here.
pub async fn reachable(
    db: impl sqlx::PgExecutor<'_>,
    actor: &Actor,
    child_id: Uuid,
) -> ApiResult<Child> {
    let child = repo::load(db, child_id).await?;
    if policy::in_workspace(actor, child.team_id, child.retired) {
        Ok(child)
    } else {
        Err(ApiError::NotFound("no child record with this id".into()))
    }
}
