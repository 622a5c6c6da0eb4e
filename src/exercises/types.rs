use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::scenario::format::{Expectation, ExpectedRecord};
use crate::vocabulary::{Agency, SharingMode};

/// A new exercise: a scenario (bundled, by name, or given whole) for some teams.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Tuesday's training day", "scenario": "child-p-2006-2007", "teams": 3}))]
pub struct NewExercise {
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// A bundled scenario by name: `child-p-2006-2007`, `child-q-joined-up`, `child-s-2020`. Give
    /// this or `scenario_yaml`.
    pub scenario: Option<String>,
    /// A scenario file's text (YAML), checked as `mash scenario check` checks a file.
    #[schema(max_length = 50000)]
    pub scenario_yaml: Option<String>,
    /// How many teams, each with its own record and four trainees (one per agency).
    #[schema(minimum = 1, maximum = 12)]
    pub teams: u32,
    /// The teams' records' sharing mode from the start; the scenario's own switches still apply.
    pub mode: Option<SharingMode>,
}

/// A trainee's sign-in, shown once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TraineeAccount {
    pub team: u32,
    pub agency: Agency,
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedTeam {
    pub id: Uuid,
    pub number: u32,
    pub accounts: Vec<TraineeAccount>,
}

/// A new exercise with every trainee's username and password: the only time the passwords are
/// shown. `credentials_csv` is the same as a sheet to print or share.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedExercise {
    pub id: Uuid,
    pub name: String,
    pub scenario: String,
    pub teams: Vec<CreatedTeam>,
    /// `team,agency,username,password`, one line per trainee.
    pub credentials_csv: String,
}

impl crate::audit::identified::Identified for CreatedExercise {
    fn id(&self) -> Uuid {
        self.id
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseState {
    /// Created: the teams' records are open, no stage released.
    Ready,
    Running,
    /// Frozen: trainees' accounts disabled; facilitators still read everything.
    Ended,
}

impl ExerciseState {
    pub fn as_str(self) -> &'static str {
        match self {
            ExerciseState::Ready => "ready",
            ExerciseState::Running => "running",
            ExerciseState::Ended => "ended",
        }
    }
}

/// A checkpoint of the scenario, as the room sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckpointView {
    /// 1 for the first checkpoint.
    pub number: usize,
    pub title: String,
    /// What the teams are asked.
    pub question: Option<String>,
    /// The scenario time of the checkpoint.
    pub at: DateTime<Utc>,
}

/// A team's score so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Score {
    pub points: u32,
    /// The points of every expectation released so far.
    pub possible: u32,
    pub met: usize,
    pub met_late: usize,
    pub missed: usize,
    /// Released, due later in scenario time, not met yet.
    pub open: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TeamView {
    pub id: Uuid,
    pub number: u32,
    /// The team's record now (a reset opens a new one).
    pub child_id: Option<Uuid>,
    /// Checkpoints played into the team's record.
    pub checkpoints_reached: usize,
    /// Scenario steps played into it, of `steps`.
    pub steps_played: usize,
    pub steps: usize,
    /// For facilitators, on one exercise (not in the list of exercises).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<Score>,
    /// The record's page.
    pub timeline: Option<String>,
}

/// An exercise as its facilitator (every team) or a trainee (their own team) sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExerciseView {
    pub id: Uuid,
    pub name: String,
    pub scenario: String,
    pub state: ExerciseState,
    /// The scenario clock: the time of the stage released last (absent before the first).
    pub clock: Option<DateTime<Utc>>,
    /// Checkpoints released to the teams, of `checkpoint_count`.
    pub checkpoints_released: usize,
    pub checkpoint_count: usize,
    /// The checkpoint released last, with its question for the teams.
    pub checkpoint: Option<CheckpointView>,
    pub teams: Vec<TeamView>,
    pub created_at: DateTime<Utc>,
}

/// A change of the exercise's stage: a stage released, a reset, the end. `GET` the exercise for
/// where it stands now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct StageChange {
    pub id: Uuid,
    pub exercise_id: Uuid,
    /// `advanced`, `reset` or `ended`.
    pub kind: String,
    /// The team a reset was of; every team when absent.
    pub team_id: Option<Uuid>,
    /// Checkpoints released to the room after it (a team reset: the team's checkpoint).
    pub checkpoints: i32,
    /// The scenario clock after it (a team reset: the team's).
    pub clock: Option<DateTime<Utc>>,
    pub mode: Option<SharingMode>,
    pub at: DateTime<Utc>,
}

impl crate::audit::identified::Identified for StageChange {
    fn id(&self) -> Uuid {
        self.id
    }
}

/// Release the next stage: up to the next checkpoint, or every step up to `until`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode": "shared"}))]
pub struct Advance {
    /// Play every step at or before this scenario time instead of up to the next checkpoint.
    #[serde(
        default,
        deserialize_with = "crate::validation::dates::optional_moment"
    )]
    pub until: Option<DateTime<Utc>>,
    /// Switch every team's record to this mode once the stage is played.
    pub mode: Option<SharingMode>,
}

/// Put the exercise, or one team, back to a checkpoint: a new record for each team, played up to
/// it. The old record and the audit trail keep everything.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"checkpoint": 1, "team": 1}))]
pub struct Reset {
    /// 0 for the start (the record opened, nothing else), or a checkpoint's number, at most the
    /// number released.
    #[schema(minimum = 0)]
    pub checkpoint: usize,
    /// One team's number; every team when absent.
    #[schema(minimum = 1)]
    pub team: Option<u32>,
}

/// A team's decision at the checkpoint released last.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"what": "Police check the mother's partner", "agency": "police", "why": "He is named as next of kin and may live in the home", "relied_on": []}))]
pub struct NewExerciseDecision {
    #[schema(min_length = 1, max_length = 2000)]
    pub what: String,
    /// The agency that is to act; the trainee's own when absent.
    pub agency: Option<Agency>,
    #[schema(min_length = 1, max_length = 2000)]
    pub why: String,
    /// Ids of the team's record's entries the decision rests on.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub relied_on: Vec<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
pub struct Decision {
    pub id: Uuid,
    pub team_id: Uuid,
    pub team: i32,
    pub child_id: Uuid,
    /// The checkpoint's number (1 for the first).
    pub checkpoint: i32,
    pub agency: Agency,
    pub what: String,
    pub why: String,
    pub relied_on: Vec<Uuid>,
    pub author_id: Uuid,
    pub author: String,
    pub recorded_at: DateTime<Utc>,
}

impl crate::audit::identified::Identified for Decision {
    fn id(&self) -> Uuid {
        self.id
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DecisionLog {
    pub items: Vec<Decision>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExerciseList {
    pub items: Vec<ExerciseView>,
}

/// How a team did on one expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExpectationOutcome {
    Met,
    MetLate,
    Missed,
    /// Released and not met yet, but not due yet in scenario time.
    Open,
    /// Its checkpoint is not released yet.
    NotReleased,
}

impl ExpectationOutcome {
    /// As the API says it.
    pub fn as_str(self) -> &'static str {
        match self {
            ExpectationOutcome::Met => "met",
            ExpectationOutcome::MetLate => "met_late",
            ExpectationOutcome::Missed => "missed",
            ExpectationOutcome::Open => "open",
            ExpectationOutcome::NotReleased => "not_released",
        }
    }

    /// As a person says it.
    pub fn label(self) -> &'static str {
        match self {
            ExpectationOutcome::Met => "met",
            ExpectationOutcome::MetLate => "met late",
            ExpectationOutcome::Missed => "missed",
            ExpectationOutcome::Open => "open",
            ExpectationOutcome::NotReleased => "not released",
        }
    }
}

/// An expectation of the scenario, with its checkpoint and when it falls due.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExpectationView {
    pub id: String,
    /// The checkpoint's number.
    pub checkpoint: usize,
    pub expectation: Expectation,
    /// Met by then (scenario time); met late after.
    pub due_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ExpectationResult {
    pub expectation: String,
    pub outcome: ExpectationOutcome,
    /// The points it earned: all of them when met, half when met late.
    pub points: u32,
    /// When the entry (scenario time) or decision (the service's clock) that met it happened.
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TeamScore {
    pub team: u32,
    pub team_id: Uuid,
    pub score: Score,
    pub results: Vec<ExpectationResult>,
}

/// Every team against every expectation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Scores {
    pub expectations: Vec<ExpectationView>,
    pub teams: Vec<TeamScore>,
}

/// What counts towards an expectation: a team member's entry in the team's record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeamEntry {
    /// `contact`, `person`, `check` or a process record's type.
    pub record: String,
    pub kind: Option<String>,
    pub agency: Agency,
    pub to_agency: Option<Agency>,
    /// When the trainee says it happened (scenario time).
    pub occurred_at: DateTime<Utc>,
    /// When they recorded it (the service's clock).
    pub recorded_at: DateTime<Utc>,
}

impl TeamEntry {
    pub fn is(&self, record: ExpectedRecord) -> bool {
        self.record == record.as_str()
    }
}
