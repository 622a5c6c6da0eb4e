//! The child record at the heart of every view: the stored record as read, the record kept between
//! requests, narrowed to what one reader may see at one moment (a snapshot), the merged
//! chronology, the statutory clocks and working days, the evidence rules and clocks cite, and the
//! rules' settings. Everything here but the reading of the stored record and the cache is pure.

pub mod cache;
pub mod chronology;
pub mod clocks;
pub mod evidence;
pub mod kept;
pub mod settings;
pub mod snapshot;
pub mod stored;
pub mod working_days;

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use self::chronology::StubFact;
use self::kept::{KeptRecord, narrow};
use self::snapshot::Snapshot;
use crate::auth::actor::Actor;
use crate::auth::policy::{Action, Sight, authorize, may_read, sight, team_member};
use crate::children::Child;
use crate::error::ApiResult;
use crate::state::AppState;
use crate::vocabulary::{Agency, Visibility};

/// A child's record opened for one reader: the child, and the record as kept.
pub struct Open {
    pub child: Child,
    pub kept: Arc<KeptRecord>,
}

/// What one reader may see of a record at one moment.
pub struct View {
    pub snapshot: Snapshot,
    pub stubs: Vec<StubFact>,
    /// The record kept between requests, when the reader sees the whole of it.
    pub whole: Option<Arc<KeptRecord>>,
}

/// The child's record, if `actor` may read it: 404 when there is none, 403 (naming the involved
/// agencies and how to break glass) when the actor's agency is not involved and no break-glass of
/// theirs is open. Every read of a child's data passes here.
pub async fn open(state: &AppState, actor: &Actor, child_id: Uuid) -> ApiResult<Open> {
    authorize(actor, Action::ReadChild)?;
    let child = crate::children::reachable(&state.db, actor, child_id).await?;
    let kept = state.records.record(&state.db, &child).await?;
    let member = team_member(actor, child.team_id);
    if may_read(actor, member, &kept.involved, false).is_err() {
        let open = crate::sharing::repo::open_break_glass(&state.db, child.id, actor.id()).await?;
        may_read(actor, member, &kept.involved, open)?;
    }
    Ok(Open { child, kept })
}

/// The child's record as `actor` may see it up to `as_of` (or now): `open`, then `Open::view`.
pub async fn view(
    state: &AppState,
    actor: &Actor,
    child_id: Uuid,
    as_of: Option<DateTime<Utc>>,
) -> ApiResult<View> {
    let open = open(state, actor, child_id).await?;
    Ok(open.view(actor, as_of.unwrap_or_else(Utc::now)))
}

/// Whether a break-glass opens a record for [`open_each`]: alerts go to the involved agencies
/// only, while a search shows in full every record its caller may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glass {
    Counts,
    DoesNotCount,
}

/// Each of `children` with its kept record, and whether `actor` may read it (a break-glass of
/// theirs counting as `glass` says): the break-glasses asked for in one query.
pub async fn open_each(
    state: &AppState,
    actor: &Actor,
    children: Vec<Child>,
    glass: Glass,
) -> ApiResult<Vec<(Open, bool)>> {
    let open_glasses: HashSet<Uuid> = if glass == Glass::Counts {
        let ids: Vec<Uuid> = children.iter().map(|c| c.id).collect();
        crate::sharing::repo::open_break_glasses(&state.db, &ids, actor.id())
            .await?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    let mut out = Vec::with_capacity(children.len());
    for child in children {
        let kept = state.records.record(&state.db, &child).await?;
        let member = team_member(actor, child.team_id);
        let readable = may_read(
            actor,
            member,
            &kept.involved,
            open_glasses.contains(&child.id),
        )
        .is_ok();
        out.push((Open { child, kept }, readable));
    }
    Ok(out)
}

impl Open {
    /// How `actor` sees an agency's entries of a visibility on this record.
    pub fn sight_of(&self, actor: &Actor) -> impl Fn(Agency, Visibility) -> Sight + Copy {
        let mode = self.child.sharing_mode;
        move |agency, visibility| sight(actor, mode, agency, visibility)
    }

    /// The record as `sight_of` sees it up to `horizon`: entries in full or as stubs.
    pub fn narrow(
        &self,
        horizon: DateTime<Utc>,
        sight_of: impl Fn(Agency, Visibility) -> Sight,
    ) -> (Snapshot, Vec<StubFact>) {
        narrow(&self.kept.stored, horizon, sight_of)
    }

    /// The record as `actor` may see it up to `horizon`. A reader who sees every entry in full, at
    /// a moment after the last of them, shares the view kept with the record; anyone else gets
    /// the record narrowed for them.
    pub fn view(&self, actor: &Actor, horizon: DateTime<Utc>) -> View {
        let sight_of = self.sight_of(actor);
        if horizon >= self.kept.settled_at && self.kept.seen_whole_by(sight_of) {
            return View {
                snapshot: self.kept.whole.at(horizon),
                stubs: Vec::new(),
                whole: Some(self.kept.clone()),
            };
        }
        let (snapshot, stubs) = self.narrow(horizon, sight_of);
        View {
            snapshot,
            stubs,
            whole: None,
        }
    }
}
