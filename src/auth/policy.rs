//! Authorisation: may this user, of this agency and role, do this, and how much of an entry may they
//! see? Pure functions that every handler asks, so the rules live in one place and are tested
//! without a server.

use super::actor::Actor;
use crate::error::ApiError;
use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::vocabulary::{ActionOwner, Agency, Role};
use crate::vocabulary::{SharingMode, Visibility};

/// Something a user asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Create, list, enable, disable users and set their passwords.
    ManageUsers,
    /// Open a new child record.
    CreateChild,
    /// Find and read child records (what of them is visible is `sight`'s business).
    ReadChild,
    /// Change a record's status or address.
    UpdateChild,
    /// Switch a record between shared and siloed.
    SetSharingMode,
    /// Record a person linked to the child.
    RecordPerson,
    /// Record a background check on a person.
    RecordCheck,
    /// Log a contact for one's own agency.
    LogContact,
    /// Amend a contact written by `author_agency`.
    AmendContact { author_agency: Agency },
    /// Read the audit trail (a manager: only their own agency's events).
    ReadAudit,
    /// Make a referral as one's own agency's professional, to `to` (another agency).
    MakeReferral { to: Agency },
    /// Log a referral from a lay referrer that `to` received.
    LogLayReferral { to: Agency },
    /// Acknowledge or decide a referral made to `receiving`.
    DecideReferral { receiving: Agency },
    /// Record strategy discussions, enquiries' conclusions, assessments, conferences, core groups
    /// and plans.
    RecordSocialCareProcess,
    /// Mark a plan action owned by `owner` done or not done.
    MarkPlanAction { owner: ActionOwner },
    /// Record a legal planning meeting.
    RecordLegalPlanning,
    /// Verify the audit trail's hash chain.
    VerifyAudit,
    /// See a record as `agency` alone held it (its siloed view): a facilitator, for any agency; a
    /// user, for their own.
    ViewAgencyAlone { agency: Agency },
    /// Challenge an entry or decision of agency `of` (never one's own).
    Challenge { of: Agency },
    /// Answer a challenge made of agency `challenged`'s entry.
    RespondToChallenge { challenged: Agency },
    /// Export a debrief of a record (the picture, the gap report, the chronology and who looked).
    ReadDebrief,
    /// Create, advance, reset, end and debrief training exercises.
    RunExercise,
    /// Record one's team's decision at an exercise's checkpoint.
    RecordExerciseDecision,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial(pub Cow<'static, str>);

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        ApiError::Forbidden(d.0.into_owned())
    }
}

fn deny(why: &'static str) -> Denial {
    Denial(Cow::Borrowed(why))
}

pub fn authorize(actor: &Actor, action: Action) -> Result<(), Denial> {
    decide(actor.role(), actor.agency(), action)
}

/// The agency `actor` records as, when it may do `action`: recording is always as one's own
/// agency, and a user with none (a facilitator) records nothing.
pub fn acting_agency(actor: &Actor, action: Action) -> Result<Agency, Denial> {
    authorize(actor, action)?;
    actor
        .agency()
        .ok_or_else(|| deny("only an agency user may record entries"))
}

/// Whether someone of this role and agency may be a user at all: a facilitator belongs to no
/// agency; everyone else to exactly one.
pub fn role_fits_agency(role: Role, agency: Option<Agency>) -> Result<(), Denial> {
    match (role, agency) {
        (Role::Facilitator, Some(_)) => Err(deny("a facilitator belongs to no agency")),
        (Role::Practitioner | Role::Manager, None) => {
            Err(deny("practitioners and managers belong to an agency"))
        }
        _ => Ok(()),
    }
}

/// [`authorize`] for a user described rather than logged in (a scenario's actor).
pub fn decide(role: Role, agency: Option<Agency>, action: Action) -> Result<(), Denial> {
    let facilitator = role == Role::Facilitator;
    let allowed = match action {
        Action::ManageUsers
        | Action::SetSharingMode
        | Action::VerifyAudit
        | Action::ReadDebrief
        | Action::RunExercise => facilitator,
        Action::RecordExerciseDecision => agency.is_some(),
        Action::ViewAgencyAlone { agency: alone } => facilitator || agency == Some(alone),
        Action::Challenge { of } => agency.is_some_and(|own| own != of),
        Action::RespondToChallenge { challenged } => agency == Some(challenged),
        Action::ReadAudit => matches!(role, Role::Facilitator | Role::Manager),
        Action::CreateChild | Action::ReadChild | Action::UpdateChild => true,
        Action::RecordPerson | Action::LogContact => agency.is_some(),
        Action::RecordCheck => agency == Some(Agency::Police),
        Action::AmendContact { author_agency } => agency == Some(author_agency),
        Action::MakeReferral { to } => agency.is_some_and(|own| own != to),
        Action::LogLayReferral { to } | Action::DecideReferral { receiving: to } => {
            agency == Some(to)
        }
        Action::RecordSocialCareProcess => agency == Some(Agency::SocialCare),
        Action::MarkPlanAction { owner } => agency == Some(owner.answering_agency()),
        Action::RecordLegalPlanning => agency == Some(Agency::Legal),
    };
    if allowed {
        return Ok(());
    }
    let process = matches!(
        action,
        Action::MakeReferral { .. }
            | Action::LogLayReferral { .. }
            | Action::DecideReferral { .. }
            | Action::RecordSocialCareProcess
            | Action::MarkPlanAction { .. }
            | Action::RecordLegalPlanning
            | Action::Challenge { .. }
            | Action::RespondToChallenge { .. }
    );
    if process && agency.is_none() {
        return Err(deny("only an agency user may record entries"));
    }
    Err(Denial(match action {
        Action::MakeReferral { to } => format!(
            "a professional referral goes to another agency: {} does not refer to itself (a lay referral it received names its `referrer`)",
            to.label()
        )
        .into(),
        Action::LogLayReferral { to } => format!(
            "only the receiving agency ({}) may log a referral from a lay referrer",
            to.label()
        )
        .into(),
        Action::DecideReferral { receiving } => format!(
            "only the receiving agency ({}) may acknowledge or decide this referral",
            receiving.label()
        )
        .into(),
        Action::MarkPlanAction { owner } => format!(
            "only {} may mark this action (owned by {})",
            owner.answering_agency().label(),
            owner.as_str()
        )
        .into(),
        Action::Challenge { of } => format!(
            "an agency challenges another's entries, not its own ({})",
            of.label()
        )
        .into(),
        Action::RespondToChallenge { challenged } => format!(
            "only the challenged agency ({}) may answer this challenge",
            challenged.label()
        )
        .into(),
        other => Cow::Borrowed(static_reason(other)),
    }))
}

fn static_reason(action: Action) -> &'static str {
    match action {
        Action::ManageUsers => "only a facilitator may manage users",
        Action::SetSharingMode => "only a facilitator may change a record's sharing mode",
        Action::RecordPerson => "only an agency user may record people",
        Action::LogContact => "only an agency user may log contacts",
        Action::RecordCheck => "only police may record background checks",
        Action::AmendContact { .. } => "only the agency that wrote a contact may amend it",
        Action::ReadAudit => "only facilitators and managers may read the audit trail",
        Action::VerifyAudit => "only a facilitator may verify the audit trail",
        Action::RecordSocialCareProcess => {
            "only social care may record strategy discussions, enquiries, assessments, conferences, core groups and plans"
        }
        Action::RecordLegalPlanning => "only legal may record legal planning meetings",
        Action::ViewAgencyAlone { .. } => {
            "only a facilitator may see another agency's view alone; a user may see their own agency's"
        }
        Action::ReadDebrief => "only a facilitator may export a debrief",
        Action::RunExercise => "only a facilitator may run exercises",
        Action::RecordExerciseDecision => "only a trainee of an agency records a team's decision",
        Action::CreateChild
        | Action::ReadChild
        | Action::UpdateChild
        | Action::MakeReferral { .. }
        | Action::LogLayReferral { .. }
        | Action::DecideReferral { .. }
        | Action::MarkPlanAction { .. }
        | Action::Challenge { .. }
        | Action::RespondToChallenge { .. } => "not allowed",
    }
}

/// What the record shows of each agency's part, for deciding who is involved with the child.
/// Writing alone involves nobody: an agency that only contributed an entry sees it in the answer to
/// its write and that the record exists, nothing more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Involvement {
    /// The agency of the user who opened the record (none for a facilitator).
    pub creator: Option<Agency>,
    /// Agencies a referral was made to.
    pub received: BTreeSet<Agency>,
    /// Agencies listed at a strategy discussion, conference or core group.
    pub attended: BTreeSet<Agency>,
    /// Agencies whose entries another agency challenged: they are asked to answer.
    pub challenged: BTreeSet<Agency>,
    /// Agencies an involved agency (or a facilitator) brought in.
    pub brought_in: BTreeSet<Agency>,
}

/// The agencies involved with the child: any of the above makes one involved.
pub fn involved(i: &Involvement) -> BTreeSet<Agency> {
    i.creator
        .iter()
        .chain(&i.received)
        .chain(&i.attended)
        .chain(&i.challenged)
        .chain(&i.brought_in)
        .copied()
        .collect()
}

/// Is `actor` a member of the exercise team whose workspace holds the record? Every member of a
/// team is involved with the team's records.
pub fn team_member(actor: &Actor, child_team: Option<uuid::Uuid>) -> bool {
    child_team.is_some() && actor.user.team_id == child_team
}

/// Is the child record in `actor`'s workspace at all? A training exercise's team works in a closed
/// workspace: its records exist for its own members and for facilitators only, and its members see
/// nothing outside it; users outside every exercise see only records outside every exercise. A
/// record outside the caller's workspace is answered as if there were none. A team's record
/// retired by a reset has left its workspace (facilitators still see it).
pub fn in_workspace(actor: &Actor, child_team: Option<uuid::Uuid>, retired: bool) -> bool {
    workspace_holds(actor.role(), actor.user.team_id, child_team)
        && (!retired || actor.role() == Role::Facilitator)
}

/// Whether `actor` sees every team of an exercise (a facilitator), or only their own (a trainee).
pub fn sees_every_team(actor: &Actor) -> bool {
    actor.role() == Role::Facilitator
}

/// Which workspace `actor` searches: every one for a facilitator, else their own (`Some(None)`
/// outside every exercise).
pub fn workspace_of(actor: &Actor) -> Option<Option<uuid::Uuid>> {
    (actor.role() != Role::Facilitator).then_some(actor.user.team_id)
}

fn workspace_holds(
    role: Role,
    actor_team: Option<uuid::Uuid>,
    child_team: Option<uuid::Uuid>,
) -> bool {
    role == Role::Facilitator || actor_team == child_team
}

/// May `actor` read the record, given who is involved, whether the actor belongs to the exercise
/// team whose record it is, and whether the actor's break-glass on it is open? Facilitators always;
/// an involved agency's users and a team's members; anyone else only through break-glass.
pub fn may_read(
    actor: &Actor,
    member: bool,
    involved: &BTreeSet<Agency>,
    glass_open: bool,
) -> Result<(), Denial> {
    reading_for(actor.role(), actor.agency(), member, involved, glass_open)
}

fn reading_for(
    role: Role,
    agency: Option<Agency>,
    member: bool,
    involved: &BTreeSet<Agency>,
    glass_open: bool,
) -> Result<(), Denial> {
    let own = agency.is_some_and(|a| involved.contains(&a));
    if role == Role::Facilitator || own || member || glass_open {
        return Ok(());
    }
    let names: Vec<&str> = involved.iter().map(|a| a.label()).collect();
    Err(Denial(Cow::Owned(format!(
        "your agency is not involved with this child (involved: {}); an involved agency may bring yours in (POST …/involvements), or break glass with a lawful basis and a reason (POST …/break-glass)",
        if names.is_empty() {
            "none".to_string()
        } else {
            names.join(", ")
        }
    ))))
}

/// May `actor` bring `agency` in to a record? A facilitator, or a user of an involved agency (a
/// team's member on its own record) — never through a break-glass, which opens the record to one
/// user only. An agency already involved is not brought in again.
pub fn may_bring_in(
    actor: &Actor,
    member: bool,
    involved: &BTreeSet<Agency>,
    agency: Agency,
) -> Result<(), Denial> {
    bringing_in(actor.role(), actor.agency(), member, involved, agency)
}

fn bringing_in(
    role: Role,
    own: Option<Agency>,
    member: bool,
    involved: &BTreeSet<Agency>,
    agency: Agency,
) -> Result<(), Denial> {
    let involved_caller =
        role == Role::Facilitator || member || own.is_some_and(|a| involved.contains(&a));
    if !involved_caller {
        return Err(deny(
            "only a user of an agency involved with the child, or a facilitator, brings another agency in",
        ));
    }
    if involved.contains(&agency) {
        return Err(Denial(Cow::Owned(format!(
            "{} is already involved with this child",
            agency.label()
        ))));
    }
    Ok(())
}

/// May `actor` break glass on a record? An agency user whose agency is not involved (an involved
/// one reads it already).
pub fn may_break_glass(actor: &Actor, involved: &BTreeSet<Agency>) -> Result<(), Denial> {
    match actor.agency() {
        None => Err(deny(
            "a facilitator reads every record without breaking glass",
        )),
        Some(a) if involved.contains(&a) => Err(deny(
            "your agency is involved with this child: read the record without breaking glass",
        )),
        Some(_) => Ok(()),
    }
}

/// Whose break-glasses `actor` may list for review: a facilitator every agency's (`None`), a
/// manager their own agency's.
pub fn break_glass_reviewable_by(actor: &Actor) -> Result<Option<Agency>, Denial> {
    match (actor.role(), actor.agency()) {
        (Role::Facilitator, _) => Ok(None),
        (Role::Manager, Some(own)) => Ok(Some(own)),
        _ => Err(deny(
            "only a manager of the agency that broke glass, or a facilitator, reviews it",
        )),
    }
}

/// May `actor` review a break-glass opened by `opener`, a user of `agency`? Facilitators, and that
/// agency's managers other than the user who broke glass.
pub fn may_review_break_glass(
    actor: &Actor,
    agency: Agency,
    opener: uuid::Uuid,
) -> Result<(), Denial> {
    reviewing(actor.role(), actor.agency(), actor.id() == opener, agency)
}

fn reviewing(
    role: Role,
    own: Option<Agency>,
    self_review: bool,
    agency: Agency,
) -> Result<(), Denial> {
    match (role, own) {
        _ if self_review => Err(deny(
            "a break-glass is reviewed by someone other than the user who broke glass",
        )),
        (Role::Facilitator, _) => Ok(()),
        (Role::Manager, Some(own)) if own == agency => Ok(()),
        _ => Err(deny(
            "only a manager of the agency that broke glass, or a facilitator, reviews it",
        )),
    }
}

/// May `actor` have another agency's restricted entry disclosed? Only what it sees as a stub: one
/// it sees in full needs no disclosure, and one it cannot see at all (a siloed record) stays so.
pub fn may_disclose(
    actor: &Actor,
    mode: SharingMode,
    entry_agency: Agency,
    visibility: Visibility,
) -> Result<(), Denial> {
    match (actor.agency(), sight(actor, mode, entry_agency, visibility)) {
        (None, _) => Err(deny("a facilitator sees every entry in full already")),
        (_, Sight::Stub) => Ok(()),
        (_, Sight::Full) => Err(deny("you see this entry in full already")),
        (_, Sight::Hidden) => Err(deny(
            "in a siloed record another agency's entries are not disclosed",
        )),
    }
}

/// May `actor` record a decision not to share, about an entry of `entry_agency` if it names one?
/// An agency user, about its own agency's entries.
pub fn may_refuse_sharing(actor: &Actor, entry_agency: Option<Agency>) -> Result<(), Denial> {
    match (actor.agency(), entry_agency) {
        (None, _) => Err(deny("only an agency records its decisions not to share")),
        (Some(own), Some(of)) if own != of => Err(deny(
            "an agency decides not to share its own entries, not another's",
        )),
        _ => Ok(()),
    }
}

/// The most records one search answers, for anyone but a facilitator or an exercise team's member.
pub const SEARCH_CAP: i64 = 20;

/// What a search must name: a facilitator, or a member of an exercise team (within its own
/// workspace), may list records; anyone else finds a child by an exact identifier, or by a name (or
/// part of one) with the date of birth, so that nobody pages through the register. `Err` names the
/// missing field. `Ok(Some(cap))` caps the answer.
pub fn search_needs(
    actor: &Actor,
    name: bool,
    date_of_birth: bool,
    identifier: bool,
) -> Result<Option<i64>, (&'static str, &'static str)> {
    searching(
        actor.role(),
        actor.user.team_id.is_some(),
        name,
        date_of_birth,
        identifier,
    )
}

fn searching(
    role: Role,
    in_team: bool,
    name: bool,
    date_of_birth: bool,
    identifier: bool,
) -> Result<Option<i64>, (&'static str, &'static str)> {
    const NEEDS: &str =
        "a search names an exact identifier, or a name (or part of one) with the date of birth";
    match (
        role == Role::Facilitator || in_team,
        identifier,
        date_of_birth,
        name,
    ) {
        (true, ..) => Ok(None),
        (false, true, ..) | (false, false, true, true) => Ok(Some(SEARCH_CAP)),
        (false, false, true, false) => Err(("name", NEEDS)),
        (false, false, false, _) => Err(("date_of_birth", NEEDS)),
    }
}

/// Does `actor` see a sharing decision (a disclosure or a refusal) that `decider` made, about an
/// entry of `entry`'s agency and visibility (none: a refusal in general)? Its own agency's always;
/// another's only where the reader sees that the entry exists, so that a siloed record gives away
/// neither the decision nor the id of an entry hidden from the reader.
pub fn sees_sharing_decision(
    actor: &Actor,
    mode: SharingMode,
    decider: Agency,
    entry: Option<(Agency, Visibility)>,
) -> bool {
    let (agency, visibility) = entry.unwrap_or((decider, Visibility::Shared));
    actor.agency() == Some(decider) || sight(actor, mode, agency, visibility) != Sight::Hidden
}

/// Does `actor` see why `refusing` decided not to share? The reason may name a source, so only
/// the refusing agency and facilitators read it.
pub fn sees_refusal_reason(actor: &Actor, refusing: Agency) -> bool {
    actor.is_facilitator() || actor.agency() == Some(refusing)
}

/// How much of one entry (a contact, a person, a check) a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    Full,
    /// That it exists, by which agency, when, and its kind: so the reader knows whom to ask.
    Stub,
    Hidden,
}

/// How much of a process record a reader sees, given their sight of an agency's entries of a
/// visibility: as its own agency's entries of its visibility are, and always in full by its party,
/// the agency that must act on it (the one a referral is made to, that answers for a plan action,
/// that is challenged or brought in).
pub fn record_sight(
    sight_of: impl Fn(Agency, Visibility) -> Sight,
    agency: Agency,
    visibility: Visibility,
    party: Option<Agency>,
) -> Sight {
    let by = |agency| sight_of(agency, visibility);
    match party.map(by) {
        Some(Sight::Full) => Sight::Full,
        _ => by(agency),
    }
}

/// The one agency a reader is limited to in a record, if any: their own, when it is siloed
/// (facilitators are never limited).
pub fn siloed_to(viewer: &Actor, mode: SharingMode) -> Option<Agency> {
    match (mode, viewer.is_facilitator()) {
        (SharingMode::Siloed, false) => viewer.agency(),
        _ => None,
    }
}

/// Which agency's events a reader of the audit trail gets, given the agency they asked for: a
/// facilitator what they asked for (every agency when none); a manager only their own agency's,
/// and asking for another is refused.
pub fn audit_scope(viewer: &Actor, asked: Option<Agency>) -> Result<Option<Agency>, Denial> {
    authorize(viewer, Action::ReadAudit)?;
    audit_scope_for(viewer.role(), viewer.agency(), asked)
}

fn audit_scope_for(
    role: Role,
    agency: Option<Agency>,
    asked: Option<Agency>,
) -> Result<Option<Agency>, Denial> {
    match (role, asked, agency) {
        (Role::Facilitator, asked, _) => Ok(asked),
        (_, Some(asked), Some(own)) if asked != own => {
            Err(deny("managers may read only their own agency's events"))
        }
        (_, _, own) => Ok(own),
    }
}

/// Facilitators see everything. In a siloed record an agency sees only its own entries. Otherwise a
/// restricted entry of another agency is a stub, and everything else is in full.
pub fn sight(
    viewer: &Actor,
    mode: SharingMode,
    entry_agency: Agency,
    visibility: Visibility,
) -> Sight {
    sight_for(
        viewer.role(),
        viewer.agency(),
        mode,
        entry_agency,
        visibility,
    )
}

/// What `own` alone would see of an entry: its siloed view, whoever asks.
pub fn alone(own: Agency, entry_agency: Agency, visibility: Visibility) -> Sight {
    sight_for(
        Role::Practitioner,
        Some(own),
        SharingMode::Siloed,
        entry_agency,
        visibility,
    )
}

fn sight_for(
    role: Role,
    agency: Option<Agency>,
    mode: SharingMode,
    entry_agency: Agency,
    visibility: Visibility,
) -> Sight {
    let own = agency == Some(entry_agency);
    match (role, mode, visibility) {
        (Role::Facilitator, _, _) => Sight::Full,
        _ if own => Sight::Full,
        (_, SharingMode::Siloed, _) => Sight::Hidden,
        (_, SharingMode::Shared, Visibility::Restricted) => Sight::Stub,
        (_, SharingMode::Shared, Visibility::Shared) => Sight::Full,
    }
}

#[cfg(test)]
mod tests;
