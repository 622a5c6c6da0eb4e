//! SQL for exercises. Functions take an executor so that the caller owns the transaction; every
//! table here is only ever added to.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{Decision, StageChange, TeamEntry};
use crate::scenario::steps::Progress;
use crate::vocabulary::{Agency, SharingMode};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Exercise {
    pub id: Uuid,
    pub name: String,
    pub scenario_name: String,
    pub scenario_source: String,
    pub mode: Option<SharingMode>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Team {
    pub id: Uuid,
    pub exercise_id: Uuid,
    pub number: i32,
}

/// The latest of what the facilitator did.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Event {
    pub kind: String,
    pub checkpoints: i32,
    pub clock: Option<DateTime<Utc>>,
}

pub async fn insert_exercise(
    tx: &mut PgConnection,
    id: Uuid,
    name: &str,
    scenario_name: &str,
    source: &str,
    mode: Option<SharingMode>,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO exercises (id, name, scenario_name, scenario_source, mode, created_by)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(name)
    .bind(scenario_name)
    .bind(source)
    .bind(mode)
    .bind(by)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn insert_team(tx: &mut PgConnection, exercise: Uuid, number: i32) -> sqlx::Result<Uuid> {
    let id = Uuid::new_v4();
    sqlx::query("INSERT INTO exercise_teams (id, exercise_id, number) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(exercise)
        .bind(number)
        .execute(tx)
        .await?;
    Ok(id)
}

/// Puts a new user in a team; an actor of the scenario is also named by its key.
pub async fn join_team(
    tx: &mut PgConnection,
    user: Uuid,
    team: Uuid,
    actor_key: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET team_id = $2 WHERE id = $1")
        .bind(user)
        .bind(team)
        .execute(&mut *tx)
        .await?;
    if let Some(key) = actor_key {
        sqlx::query("INSERT INTO exercise_actors (team_id, key, user_id) VALUES ($1, $2, $3)")
            .bind(team)
            .bind(key)
            .bind(user)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// What the facilitator did to the exercise.
pub struct NewEvent {
    pub exercise: Uuid,
    pub kind: &'static str,
    /// A reset of one team names it.
    pub team: Option<Uuid>,
    pub checkpoints: usize,
    pub clock: Option<DateTime<Utc>>,
    pub mode: Option<SharingMode>,
    pub by: Uuid,
}

pub async fn insert_event(tx: &mut PgConnection, e: &NewEvent) -> sqlx::Result<StageChange> {
    sqlx::query_as(
        "INSERT INTO exercise_events (id, exercise_id, kind, team_id, checkpoints, clock, mode, user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, exercise_id, kind, team_id, checkpoints, clock, mode, at",
    )
    .bind(Uuid::new_v4())
    .bind(e.exercise)
    .bind(e.kind)
    .bind(e.team)
    .bind(i32::try_from(e.checkpoints).unwrap_or(i32::MAX))
    .bind(e.clock)
    .bind(e.mode)
    .bind(e.by)
    .fetch_one(tx)
    .await
}

/// The scenario clock `team` was at from each moment (the service's clock) on: the room's stages
/// and the team's own resets, oldest first.
pub async fn clocks(
    db: impl PgExecutor<'_>,
    exercise: Uuid,
    team: Uuid,
) -> sqlx::Result<Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>> {
    sqlx::query_as(
        "SELECT at, clock FROM exercise_events
         WHERE exercise_id = $1 AND (team_id IS NULL OR team_id = $2) ORDER BY at, id",
    )
    .bind(exercise)
    .bind(team)
    .fetch_all(db)
    .await
}

pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Exercise>> {
    sqlx::query_as(
        "SELECT id, name, scenario_name, scenario_source, mode, created_by, created_at
         FROM exercises WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

/// Every exercise, newest first.
pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Exercise>> {
    sqlx::query_as(
        "SELECT id, name, scenario_name, scenario_source, mode, created_by, created_at
         FROM exercises ORDER BY created_at DESC, id",
    )
    .fetch_all(db)
    .await
}

pub async fn teams(db: impl PgExecutor<'_>, exercise: Uuid) -> sqlx::Result<Vec<Team>> {
    sqlx::query_as(
        "SELECT id, exercise_id, number FROM exercise_teams WHERE exercise_id = $1 ORDER BY number",
    )
    .bind(exercise)
    .fetch_all(db)
    .await
}

pub async fn team(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<Team>> {
    sqlx::query_as("SELECT id, exercise_id, number FROM exercise_teams WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The latest event that changed where the whole exercise stands (a reset of one team does not).
pub async fn stage(db: impl PgExecutor<'_>, exercise: Uuid) -> sqlx::Result<Option<Event>> {
    sqlx::query_as(
        "SELECT kind, checkpoints, clock FROM exercise_events
         WHERE exercise_id = $1 AND team_id IS NULL ORDER BY at DESC, id LIMIT 1",
    )
    .bind(exercise)
    .fetch_optional(db)
    .await
}

/// Whether a stage was ever released (the exercise is running or was).
pub async fn ever_advanced(db: impl PgExecutor<'_>, exercise: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM exercise_events WHERE exercise_id = $1 AND kind = 'advanced')",
    )
    .bind(exercise)
    .fetch_one(db)
    .await
}

/// The scenario's actors of a team, by key, with their user.
pub async fn actors(db: impl PgExecutor<'_>, team: Uuid) -> sqlx::Result<Vec<(String, Uuid)>> {
    sqlx::query_as("SELECT key, user_id FROM exercise_actors WHERE team_id = $1 ORDER BY key")
        .bind(team)
        .fetch_all(db)
        .await
}

/// Where the team's record stands in the scenario: the latest play.
pub async fn progress(db: impl PgExecutor<'_>, team: Uuid) -> sqlx::Result<Option<Progress>> {
    let names: Option<sqlx::types::Json<Progress>> = sqlx::query_scalar(
        "SELECT names FROM exercise_plays WHERE team_id = $1 ORDER BY at DESC, id LIMIT 1",
    )
    .bind(team)
    .fetch_optional(db)
    .await?;
    Ok(names.map(|n| n.0))
}

pub async fn insert_play(
    db: impl PgExecutor<'_>,
    team: Uuid,
    child: Uuid,
    progress: &Progress,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO exercise_plays (id, team_id, child_id, next_step, checkpoints, names)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::new_v4())
    .bind(team)
    .bind(child)
    .bind(i32::try_from(progress.next_step).unwrap_or(i32::MAX))
    .bind(i32::try_from(progress.checkpoints).unwrap_or(i32::MAX))
    .bind(sqlx::types::Json(progress))
    .execute(db)
    .await?;
    Ok(())
}

pub async fn insert_checkpoint(
    db: impl PgExecutor<'_>,
    team: Uuid,
    child: Uuid,
    checkpoint: usize,
    headline: &str,
    indicators: &[String],
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO exercise_checkpoints (id, team_id, child_id, checkpoint, headline, indicators)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::new_v4())
    .bind(team)
    .bind(child)
    .bind(i32::try_from(checkpoint).unwrap_or(i32::MAX))
    .bind(headline)
    .bind(indicators)
    .execute(db)
    .await?;
    Ok(())
}

/// What each team's record showed at each checkpoint the service reached: (team number, checkpoint
/// index from 0, headline, the record).
pub async fn headlines(
    db: impl PgExecutor<'_>,
    exercise: Uuid,
) -> sqlx::Result<Vec<(i32, i32, String, Uuid)>> {
    sqlx::query_as(
        "SELECT DISTINCT ON (t.number, c.checkpoint, c.child_id) t.number, c.checkpoint, c.headline, c.child_id
         FROM exercise_checkpoints c JOIN exercise_teams t ON t.id = c.team_id
         WHERE t.exercise_id = $1
         ORDER BY t.number, c.checkpoint, c.child_id, c.at DESC",
    )
    .bind(exercise)
    .fetch_all(db)
    .await
}

pub struct NewDecisionRow<'a> {
    pub team: Uuid,
    pub child: Uuid,
    pub checkpoint: usize,
    pub agency: Agency,
    pub what: &'a str,
    pub why: &'a str,
    pub relied_on: &'a [Uuid],
    pub author: Uuid,
}

const DECISION: &str =
    "SELECT d.id, d.team_id, t.number AS team, d.child_id, d.checkpoint, d.agency, d.what,
        d.why, d.relied_on, d.author_id, u.display_name AS author, d.recorded_at
   FROM exercise_decisions d JOIN exercise_teams t ON t.id = d.team_id
   JOIN users u ON u.id = d.author_id";

pub async fn insert_decision(
    tx: &mut PgConnection,
    d: &NewDecisionRow<'_>,
) -> sqlx::Result<Decision> {
    let id = Uuid::new_v4();
    sqlx::query(
        "INSERT INTO exercise_decisions (id, team_id, child_id, checkpoint, agency, what, why, relied_on, author_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(d.team)
    .bind(d.child)
    .bind(i32::try_from(d.checkpoint).unwrap_or(i32::MAX))
    .bind(d.agency)
    .bind(d.what)
    .bind(d.why)
    .bind(d.relied_on)
    .bind(d.author)
    .execute(&mut *tx)
    .await?;
    sqlx::query_as(sqlx::AssertSqlSafe(format!("{DECISION} WHERE d.id = $1")))
        .bind(id)
        .fetch_one(&mut *tx)
        .await
}

/// The exercise's decisions (one team's, when given), oldest first.
pub async fn decisions(
    db: impl PgExecutor<'_>,
    exercise: Uuid,
    team: Option<Uuid>,
) -> sqlx::Result<Vec<Decision>> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{DECISION} WHERE t.exercise_id = $1 AND ($2::uuid IS NULL OR d.team_id = $2)
         ORDER BY d.recorded_at, d.id"
    )))
    .bind(exercise)
    .bind(team)
    .fetch_all(db)
    .await
}

/// Of `ids`, those that are not entries of `child`'s record.
pub async fn foreign_entries(
    db: impl PgExecutor<'_>,
    child: Uuid,
    ids: &[Uuid],
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM unnest($2::uuid[]) AS given(id)
         WHERE NOT EXISTS (SELECT 1 FROM contacts WHERE id = given.id AND child_id = $1)
           AND NOT EXISTS (SELECT 1 FROM people WHERE id = given.id AND child_id = $1)
           AND NOT EXISTS (SELECT 1 FROM person_checks WHERE id = given.id AND child_id = $1)
           AND NOT EXISTS (SELECT 1 FROM process_records WHERE id = given.id AND child_id = $1)",
    )
    .bind(child)
    .bind(ids)
    .fetch_all(db)
    .await
}

/// What the team's trainees (not the scenario's actors) recorded in `child`'s record.
pub async fn trainee_entries(
    db: impl PgExecutor<'_>,
    team: Uuid,
    child: Uuid,
) -> sqlx::Result<Vec<TeamEntry>> {
    sqlx::query_as(
        "WITH trainees AS (
            SELECT id FROM users WHERE team_id = $1
            EXCEPT SELECT user_id FROM exercise_actors WHERE team_id = $1)
         SELECT 'contact' AS record, kind, agency, NULL::text AS to_agency, occurred_at, recorded_at
           FROM contacts WHERE child_id = $2 AND author_id IN (SELECT id FROM trainees)
         UNION ALL
         SELECT 'person', NULL, agency, NULL, occurred_at, recorded_at
           FROM people WHERE child_id = $2 AND recorded_by IN (SELECT id FROM trainees)
         UNION ALL
         SELECT 'check', NULL, agency, NULL, occurred_at, recorded_at
           FROM person_checks WHERE child_id = $2 AND recorded_by IN (SELECT id FROM trainees)
         UNION ALL
         SELECT record_type, NULL, agency, details ->> 'to_agency', occurred_at, recorded_at
           FROM process_records WHERE child_id = $2 AND author_id IN (SELECT id FROM trainees)",
    )
    .bind(team)
    .bind(child)
    .fetch_all(db)
    .await
}

/// Disables every account of the exercise's teams and ends their sessions.
pub async fn disable_members(tx: &mut PgConnection, exercise: Uuid) -> sqlx::Result<u64> {
    sqlx::query(
        "UPDATE sessions SET ended_at = now(), end_reason = 'disabled'
         WHERE ended_at IS NULL AND user_id IN (SELECT u.id FROM users u JOIN exercise_teams t
                                                 ON t.id = u.team_id WHERE t.exercise_id = $1)",
    )
    .bind(exercise)
    .execute(&mut *tx)
    .await?;
    let done = sqlx::query(
        "UPDATE users SET disabled = true
         WHERE NOT disabled AND team_id IN (SELECT id FROM exercise_teams WHERE exercise_id = $1)",
    )
    .bind(exercise)
    .execute(&mut *tx)
    .await?;
    Ok(done.rows_affected())
}

/// The mode the facilitator last switched the teams' records to, if ever.
pub async fn last_mode(
    db: impl PgExecutor<'_>,
    exercise: Uuid,
) -> sqlx::Result<Option<SharingMode>> {
    Ok(sqlx::query_scalar(
        "SELECT mode FROM exercise_events WHERE exercise_id = $1 AND mode IS NOT NULL
         ORDER BY at DESC, id LIMIT 1",
    )
    .bind(exercise)
    .fetch_optional(db)
    .await?
    .flatten())
}
