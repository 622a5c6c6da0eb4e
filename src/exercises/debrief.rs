//! The room's debrief: one self-contained HTML document comparing the teams: the expectations
//! table, each team's gap report headline at each checkpoint, the decisions log, and each team's
//! picture and gap report.

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use uuid::Uuid;

use super::repo::{Exercise, Team};
use super::types::{Decision, ExerciseState, Scores};
use crate::picture::drawn::Drawn;

pub struct Room<'a> {
    pub exercise: &'a Exercise,
    pub state: ExerciseState,
    pub clock: Option<DateTime<Utc>>,
    pub released: usize,
    /// (number, title) of every checkpoint of the scenario.
    pub checkpoints: &'a [(usize, String)],
    pub scores: &'a Scores,
    /// (team number, checkpoint index from 0, headline)
    pub headlines: &'a [(i32, i32, String)],
    pub decisions: &'a [Decision],
    pub teams: &'a [(Team, Option<Uuid>, Option<Drawn>)],
}

const STYLE: &str = "
td.met { background: #d3f9d8; } td.met_late { background: #fff3bf; } td.missed { background: #ffe3e3; }
td.open, td.not_released { color: #868e96; }
";

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

pub fn render(room: &Room<'_>) -> String {
    let e = room.exercise;
    let page: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Debrief: " (e.name) }
                style { (crate::picture::debrief::STYLE) (STYLE) }
            }
            body {
                h1 { "Debrief: " (e.name) }
                p { "Scenario: " strong { (e.scenario_name) } ". The exercise is " (room.state.as_str())
                    "; " (room.released) " of " (room.checkpoints.len()) " checkpoints released"
                    @if let Some(c) = room.clock { "; scenario clock " (when(c)) " (UTC)" } ". "
                    "Made " (when(Utc::now())) "." }

                h2 { "Expectations" }
                @if room.scores.expectations.is_empty() {
                    p { "The scenario lists no expectations." }
                } @else {
                    table class="expectations" {
                        thead { tr {
                            th { "Checkpoint" } th { "Expectation" } th { "Points" } th { "Due (scenario time)" }
                            @for t in &room.scores.teams { th { "Team " (t.team) } }
                        } }
                        tbody {
                            @for (i, x) in room.scores.expectations.iter().enumerate() {
                                tr data-expectation=(x.id) {
                                    td { (x.checkpoint) }
                                    td { (x.expectation.description) }
                                    td { (x.expectation.points) }
                                    td { (when(x.due_at)) }
                                    @for t in &room.scores.teams {
                                        @if let Some(r) = t.results.get(i) {
                                            td class=(r.outcome.as_str()) data-team=(t.team) {
                                                (r.outcome.label())
                                                @if r.points > 0 { " (" (r.points) ")" }
                                            }
                                        } @else { td {} }
                                    }
                                }
                            }
                            tr class="totals" {
                                td colspan="4" { strong { "Score" } }
                                @for t in &room.scores.teams {
                                    td data-team=(t.team) { strong { (t.score.points) " / " (t.score.possible) } }
                                }
                            }
                        }
                    }
                }

                h2 { "The combined record at each checkpoint" }
                table class="headlines" {
                    thead { tr { th { "Checkpoint" } @for (t, _, _) in room.teams { th { "Team " (t.number) } } } }
                    tbody {
                        @for (number, title) in room.checkpoints {
                            tr {
                                td { (number) ". " (title) }
                                @for (t, _, _) in room.teams {
                                    td { (room.headlines.iter()
                                        .find(|(team, c, _)| *team == t.number && usize::try_from(*c).ok() == Some(number - 1))
                                        .map_or("", |(_, _, h)| h.as_str())) }
                                }
                            }
                        }
                    }
                }

                h2 { "Decisions" }
                @if room.decisions.is_empty() {
                    p { "No team recorded a decision." }
                } @else {
                    table class="decisions" {
                        thead { tr { th { "Team" } th { "Checkpoint" } th { "Agency" } th { "What" } th { "Why" } th { "Entries relied on" } th { "By" } th { "When (real time)" } } }
                        tbody {
                            @for d in room.decisions {
                                tr {
                                    td { (d.team) } td { (d.checkpoint) } td { (d.agency.label()) }
                                    td { (d.what) } td { (d.why) } td { (d.relied_on.len()) }
                                    td { (d.author) } td { (when(d.recorded_at)) }
                                }
                            }
                        }
                    }
                }

                @for (team, child, drawn) in room.teams {
                    h2 { "Team " (team.number) }
                    @if let Some(child) = child {
                        p { "Record " code { (child) } "; its full debrief: " code { "GET /api/v1/children/" (child) "/debrief" } "." }
                    }
                    @if let Some(d) = drawn {
                        section class="picture" { (crate::picture::svg::element(&d.picture)) }
                        p { strong { (d.summary.headline) } }
                        ul {
                            @for i in &d.indicators {
                                li data-code=(i.code) { (i.title) " (" code { (i.code) } "), first held " (when(i.first_held_at)) }
                            }
                        }
                    } @else {
                        p { "The team's record is not open yet." }
                    }
                }
            }
        }
    };
    page.into_string()
}
