//! The debrief: one self-contained HTML document a facilitator hands out or prints to PDF. It opens
//! with the picture, then the gap report with its explanations, the statutory clocks, the merged
//! chronology, and who looked at the record, when. Everything it needs is inside it.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html};
use uuid::Uuid;

use super::drawn::Drawn;
use super::svg;
use crate::audit::repo::Access;

/// How many of the latest accesses the debrief lists.
pub const ACCESSES: i64 = 500;

pub const STYLE: &str = "
body { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 11pt; margin: 1.5em; color: #212529; }
h1 { font-size: 18pt; } h2 { font-size: 14pt; margin-top: 1.5em; border-bottom: 1px solid #adb5bd; }
table { border-collapse: collapse; width: 100%; font-size: 9.5pt; }
th, td { border: 1px solid #ced4da; padding: 3px 5px; text-align: left; vertical-align: top; }
th { background: #f1f3f5; }
.picture svg { width: 100%; height: auto; }
.indicator { margin: 0.8em 0; } .indicator h3 { font-size: 11.5pt; margin: 0; }
.combined-only { color: #5f3dc4; font-weight: bold; }
@page { size: A4 landscape; margin: 12mm; }
@media print { h2 { break-after: avoid; } tr { break-inside: avoid; } }
";

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M").to_string()
}

pub fn render(drawn: &Drawn, accesses: &[Access], authors: &HashMap<Uuid, String>) -> String {
    let p = &drawn.picture;
    let page: Markup = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Debrief: " (p.child_name) " as of " (when(p.as_of)) }
                style { (STYLE) }
            }
            body {
                h1 { "Debrief: " (p.child_name) }
                p { "The record as of " strong { (when(p.as_of)) } " (UTC, scenario time). "
                    "Made " (when(Utc::now())) "." }
                section class="picture" { (svg::element(p)) }

                h2 { "Gap report" }
                p { strong { (drawn.summary.headline) } }
                @if drawn.indicators.is_empty() {
                    p { "No indicator held by then." }
                }
                @for (n, i) in drawn.indicators.iter().enumerate() {
                    @let alone = i.visible_to_single_agency.iter()
                        .filter(|(_, seen)| *seen).map(|(a, _)| a.label()).collect::<Vec<_>>();
                    div class="indicator" data-code=(i.code) {
                        h3 { (n + 1) ". " (i.title) " (" code { (i.code) } ")" }
                        p { "First held " (when(i.first_held_at)) ". "
                            @if alone.is_empty() {
                                span class="combined-only" { "Visible to no single agency: only the combined record showed it." }
                            } @else {
                                "Could have been seen alone by: " (alone.join(", ")) "."
                            }
                        }
                        p { (i.explanation) }
                        p { em { "What to do: " } (i.recommended_action) }
                    }
                }

                h2 { "Statutory clocks" }
                @if drawn.clocks.is_empty() {
                    p { "No clock started by then." }
                } @else {
                    table class="clocks" {
                        thead { tr { th { "Clock" } th { "Started" } th { "By" } th { "Due" } th { "Met" } th { "State" } } }
                        tbody {
                            @for c in &drawn.clocks {
                                tr data-state=(c.state.as_str()) {
                                    td { (c.clock.as_str().replace('_', " ")) }
                                    td { (when(c.started_at)) }
                                    td { (c.started_by.kind.replace('_', " ")) " (" (c.started_by.agency.label()) ")" }
                                    td { (when(c.due_at)) }
                                    td { @if let Some(m) = &c.met_by { (when(m.occurred_at)) } }
                                    td { (c.state.as_str().replace('_', " ")) }
                                }
                            }
                        }
                    }
                }

                h2 { "Merged chronology" }
                table class="chronology" {
                    thead { tr { th { "When" } th { "Agency" } th { "Author" } th { "Kind" } th { "Summary" } th { "Concern" } th { "Injuries" } } }
                    tbody {
                        @for item in &drawn.chronology {
                            tr {
                                td { (when(item.occurred_at)) }
                                td { (item.agency.label()) }
                                td { @if !item.restricted { (authors.get(&item.id).map(String::as_str).unwrap_or("")) } }
                                td { (item.kind.replace('_', " ")) }
                                td { @if item.restricted { em { "restricted: held by its agency" } } @else { (item.summary.as_deref().unwrap_or("")) } }
                                td { (item.concern_level.map(|l| l.as_str()).unwrap_or("")) }
                                td { @if item.injury_count > 0 { (item.injury_count) } }
                            }
                        }
                    }
                }

                h2 { "Who looked at the record, when" }
                p { "The latest " (accesses.len()) " accesses recorded in the audit trail, newest first." }
                table class="accesses" {
                    thead { tr { th { "When (real time)" } th { "Who" } th { "Agency" } th { "Role" } th { "Action" } th { "Outcome" } } }
                    tbody {
                        @for a in accesses {
                            @let e = &a.entry;
                            tr {
                                td { (e.occurred_at.format("%Y-%m-%d %H:%M:%S")) }
                                td { (e.display_name.as_deref().or(e.username.as_deref()).unwrap_or("anonymous")) }
                                td { (e.agency.map(|x| x.label()).unwrap_or("")) }
                                td { (e.role.map(|r| r.as_str()).unwrap_or("")) }
                                td { (e.action) }
                                td { (e.outcome.as_str()) }
                            }
                        }
                    }
                }
            }
        }
    };
    page.into_string()
}
