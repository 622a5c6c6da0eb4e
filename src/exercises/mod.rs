//! Training exercises: a facilitator runs a scenario for several teams at once. Each team of four
//! trainees (police, health, social care, legal) works its own copy of the child's record in a
//! closed workspace (`policy::in_workspace`); the service itself plays the scenario's steps into
//! every team's record stage by stage (`play`), as the scenario's actors; trainees record what
//! they decide at each checkpoint; each team is scored against the scenario's expectations
//! (`score`); and the room's debrief compares the teams (`debrief`).

pub mod cli;
pub mod debrief;
pub mod handlers;
pub mod play;
pub mod repo;
pub mod score;
pub mod service;
pub mod setup;
pub mod types;
