//! The picture drawn as SVG on the server, so a document can embed it and a test can read it
//! without a browser. Presentation attributes only (no inline styles or scripts), so the page's
//! content security policy lets it be placed in the page as it is; each marker is focusable and
//! carries its summary as a `<title>`.

use chrono::{DateTime, Utc};
use maud::{Markup, html};

use super::model::{Lens, Marker, Picture, Shape, next_month};
use crate::vocabulary::{Agency, ConcernLevel};

const WIDTH: f64 = 1400.0;
const LEFT: f64 = 150.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 100.0;
const LANE: f64 = 84.0;
const CLOCK_ROW: f64 = 12.0;
const LEGEND_ROW: f64 = 17.0;
/// Markers closer than this on a lane are set on different rows.
const CROWDED: f64 = 9.0;

/// The colour of a concern level; grey where none was recorded.
pub fn concern_colour(level: Option<ConcernLevel>) -> &'static str {
    match level {
        None => "#ced4da",
        Some(ConcernLevel::None) => "#f1f3f5",
        Some(ConcernLevel::Low) => "#ffe066",
        Some(ConcernLevel::Medium) => "#ff922b",
        Some(ConcernLevel::High) => "#e03131",
        Some(ConcernLevel::ImmediateRisk) => "#862e9c",
    }
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The marker's outline around (x, y).
fn shape(kind: Shape, x: f64, y: f64, fill: &str, stroke: &str, dashed: bool) -> Markup {
    let dash = dashed.then_some("3 2");
    let points = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|(dx, dy)| format!("{},{}", fmt(x + dx), fmt(y + dy)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    match kind {
        Shape::Contact => html! {
            circle cx=(fmt(x)) cy=(fmt(y)) r="7" fill=(fill) stroke=(stroke) stroke-dasharray=[dash] {}
        },
        Shape::Person => html! {
            rect x=(fmt(x - 6.0)) y=(fmt(y - 6.0)) width="12" height="12" fill=(fill) stroke=(stroke) stroke-dasharray=[dash] {}
        },
        Shape::Check => html! {
            polygon points=(points(&[(0.0, -8.0), (8.0, 0.0), (0.0, 8.0), (-8.0, 0.0)])) fill=(fill) stroke=(stroke) stroke-dasharray=[dash] {}
        },
        Shape::Referral => html! {
            polygon points=(points(&[(0.0, -8.0), (8.0, 6.0), (-8.0, 6.0)])) fill=(fill) stroke=(stroke) stroke-dasharray=[dash] {}
        },
        Shape::Meeting => html! {
            polygon points=(points(&[(-4.0, -7.0), (4.0, -7.0), (8.0, 0.0), (4.0, 7.0), (-4.0, 7.0), (-8.0, 0.0)])) fill=(fill) stroke=(stroke) stroke-dasharray=[dash] {}
        },
        Shape::PlanAction => html! {
            polygon points=(points(&[(-2.5, -8.0), (2.5, -8.0), (2.5, -2.5), (8.0, -2.5), (8.0, 2.5), (2.5, 2.5), (2.5, 8.0), (-2.5, 8.0), (-2.5, 2.5), (-8.0, 2.5), (-8.0, -2.5), (-2.5, -2.5)])) fill=(fill) stroke=(stroke) stroke-dasharray=[dash] {}
        },
        Shape::Challenge => html! {
            polygon points=(points(&[(0.0, -9.0), (2.6, -3.0), (9.0, -3.0), (4.0, 1.5), (6.0, 8.0), (0.0, 4.5), (-6.0, 8.0), (-4.0, 1.5), (-9.0, -3.0), (-2.6, -3.0)])) fill=(fill) stroke=(stroke) stroke-dasharray=[dash] {}
        },
        Shape::Process => html! {
            polygon points=(points(&[(-8.0, -6.0), (8.0, -6.0), (0.0, 8.0)])) fill=(fill) stroke=(stroke) stroke-dasharray=[dash] {}
        },
    }
}

fn marker(m: &Marker, x: f64, y: f64) -> Markup {
    let classes = format!(
        "marker{}{}",
        if m.restricted { " stub" } else { "" },
        if m.injuries > 0 { " injured" } else { "" }
    );
    let (fill, stroke) = if m.restricted {
        ("#ffffff", "#868e96")
    } else {
        (concern_colour(m.concern), "#212529")
    };
    html! {
        g class=(classes) tabindex="0" role="img" aria-label=(m.label)
          data-id=(m.id) data-agency=(m.agency.as_str()) data-kind=(m.kind)
          data-shape=(m.shape.as_str()) data-at=(m.at.to_rfc3339())
          data-concern=[m.concern.map(|c| c.as_str())] {
            title { (m.label) }
            @if m.injuries > 0 {
                circle class="injury" cx=(fmt(x)) cy=(fmt(y)) r="11.5" fill="none" stroke="#c2255c" stroke-width="2.5" {}
            }
            (shape(m.shape, x, y, fill, stroke, m.restricted))
        }
    }
}

/// The picture as one SVG document.
pub fn render(p: &Picture) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        element(p).into_string()
    )
}

/// The picture as an `<svg>` element, to place in an HTML document.
pub fn element(p: &Picture) -> Markup {
    let lanes: Vec<Agency> = match p.lens {
        Lens::Shared => Agency::ALL.to_vec(),
        Lens::Siloed(agency) => vec![agency],
    };
    let plot = WIDTH - LEFT - RIGHT;
    let span = (p.end - p.start).num_seconds().max(1) as f64;
    let x = |at: DateTime<Utc>| {
        let s = (at - p.start).num_seconds() as f64;
        LEFT + (s / span).clamp(0.0, 1.0) * plot
    };
    let lane_y = |agency: Agency| {
        let k = lanes.iter().position(|a| *a == agency).unwrap_or(0) as f64;
        TOP + k * LANE
    };
    let lanes_bottom = TOP + lanes.len() as f64 * LANE;
    let clocks_top = lanes_bottom + 22.0;
    let axis_y = clocks_top + p.missed_clocks.len() as f64 * CLOCK_ROW + 8.0;
    let legend_y = axis_y + 40.0;
    let height = legend_y + (3 + p.indicators.len()) as f64 * LEGEND_ROW + 10.0;

    // Month ticks; every third month labelled on a long record.
    let mut months = Vec::new();
    let mut m = p.start;
    while m <= p.end {
        months.push(m);
        m = next_month(m);
    }
    let every = if months.len() > 24 { 3 } else { 1 };

    // Markers on crowded days take turns above and below the lane's middle.
    let mut placed: Vec<(&Marker, f64, f64)> = Vec::with_capacity(p.markers.len());
    for agency in &lanes {
        let mid = lane_y(*agency) + LANE / 2.0;
        let mut last_x = f64::NEG_INFINITY;
        let mut row = 0usize;
        // Alone, an agency's lane holds all it held, referrals other agencies made to it too.
        let on_lane = |mk: &&Marker| lanes.len() == 1 || mk.agency == *agency;
        for mk in p.markers.iter().filter(on_lane) {
            let mx = x(mk.at);
            row = if mx - last_x < CROWDED {
                (row + 1) % 5
            } else {
                0
            };
            last_x = mx;
            let offset = [0.0, -16.0, 16.0, -32.0, 32.0][row];
            placed.push((mk, mx, mid + offset));
        }
    }
    // Each indicator's badge: on the first of three rows with room at its moment, else beside the
    // nearest so that none hides another.
    let mut rows_end = [f64::NEG_INFINITY; 3];
    let mut badges = vec![(0.0, 0.0); p.indicators.len()];
    let mut by_time: Vec<usize> = (0..p.indicators.len()).collect();
    by_time.sort_by_key(|n| p.indicators[*n].at);
    for n in by_time {
        let lx = x(p.indicators[n].at);
        let free = rows_end.iter().position(|end| lx - end >= 16.0);
        let (row, bx) = match free {
            Some(row) => (row, lx),
            None => {
                let row = (0..3)
                    .min_by(|a, b| rows_end[*a].total_cmp(&rows_end[*b]))
                    .unwrap_or(0);
                (row, rows_end[row] + 16.0)
            }
        };
        rows_end[row] = bx;
        badges[n] = (bx, 58.0 + row as f64 * 14.0);
    }
    let combined_only = p.indicators.iter().filter(|i| i.combined_only).count();
    let title = format!(
        "{}: {} as of {}",
        p.child_name,
        p.lens.describe(),
        date(p.as_of)
    );
    let subtitle = format!(
        "{} entries; {} indicators ({} visible to no single agency); {} missed clocks",
        p.markers.len(),
        p.indicators.len(),
        combined_only,
        p.missed_clocks.len()
    );

    html! {
        svg xmlns="http://www.w3.org/2000/svg" class="timeline" role="img" aria-labelledby="timeline-title"
            width=(fmt(WIDTH)) height=(fmt(height)) viewBox=(format!("0 0 {} {}", fmt(WIDTH), fmt(height)))
            font-family="DejaVu Sans, Arial, sans-serif" font-size="12"
            data-axis-start=(p.start.to_rfc3339()) data-axis-end=(p.end.to_rfc3339())
            data-as-of=(p.as_of.to_rfc3339()) data-view=(p.lens.as_str())
            data-markers=(p.markers.len()) data-indicators=(p.indicators.len()) {
            title id="timeline-title" { (title) }
            rect x="0" y="0" width=(fmt(WIDTH)) height=(fmt(height)) fill="#ffffff" {}
            text x="16" y="24" font-size="18" font-weight="bold" { (title) }
            text x="16" y="44" fill="#495057" { (subtitle) }

            // Lanes.
            @for (k, agency) in lanes.iter().enumerate() {
                g class="lane" data-agency=(agency.as_str()) {
                    rect x=(fmt(LEFT)) y=(fmt(lane_y(*agency))) width=(fmt(plot)) height=(fmt(LANE))
                        fill=(if k % 2 == 0 { "#f8f9fa" } else { "#eef1f4" }) {}
                    text x="16" y=(fmt(lane_y(*agency) + LANE / 2.0 + 5.0)) font-size="14" font-weight="bold" {
                        (capitalised(agency.label()))
                    }
                }
            }
            // Month ticks.
            @for (n, month) in months.iter().enumerate() {
                line x1=(fmt(x(*month))) y1=(fmt(TOP)) x2=(fmt(x(*month))) y2=(fmt(axis_y + 6.0)) stroke="#dee2e6" {}
                @if n % every == 0 && *month < p.end {
                    text class="month" x=(fmt(x(*month) + 3.0)) y=(fmt(axis_y + 20.0)) fill="#495057" {
                        (month.format("%b %Y"))
                    }
                }
            }
            line x1=(fmt(LEFT)) y1=(fmt(axis_y + 6.0)) x2=(fmt(LEFT + plot)) y2=(fmt(axis_y + 6.0)) stroke="#495057" {}

            // Indicators: a line at first_held_at, solid across the lanes holding the evidence.
            @for (n, line) in p.indicators.iter().enumerate() {
                @let lx = x(line.at);
                @let (badge_x, badge_y) = badges[n];
                g class=(if line.combined_only { "indicator combined-only" } else { "indicator" })
                  data-code=(line.code) data-at=(line.at.to_rfc3339()) data-rule=(line.rule)
                  data-lanes=(line.lanes.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" ")) {
                    title { (format!("{}. {}: first held {}{}", n + 1, line.title, date(line.at),
                        if line.combined_only { "; visible to no single agency" } else { "" })) }
                    line x1=(fmt(badge_x)) y1=(fmt(badge_y + 7.0)) x2=(fmt(lx)) y2=(fmt(TOP)) stroke="#5f3dc4" stroke-width="1" {}
                    line x1=(fmt(lx)) y1=(fmt(TOP)) x2=(fmt(lx)) y2=(fmt(lanes_bottom)) stroke="#5f3dc4" stroke-width="1" stroke-dasharray="4 3" {}
                    @for agency in lanes.iter().filter(|a| line.lanes.contains(a)) {
                        rect class="evidence-lane" data-agency=(agency.as_str()) x=(fmt(lx - 5.0)) y=(fmt(lane_y(*agency))) width="10" height=(fmt(LANE)) fill="#7048e8" fill-opacity="0.18" {}
                        line x1=(fmt(lx)) y1=(fmt(lane_y(*agency))) x2=(fmt(lx)) y2=(fmt(lane_y(*agency) + LANE)) stroke="#5f3dc4" stroke-width="3" {}
                    }
                    circle cx=(fmt(badge_x)) cy=(fmt(badge_y)) r="7" fill=(if line.combined_only { "#5f3dc4" } else { "#ffffff" }) stroke="#5f3dc4" {}
                    text x=(fmt(badge_x)) y=(fmt(badge_y + 3.5)) font-size="9" text-anchor="middle" fill=(if line.combined_only { "#ffffff" } else { "#5f3dc4" }) { (n + 1) }
                }
            }

            // Entries.
            @for (mk, mx, my) in &placed {
                (marker(mk, *mx, *my))
            }

            // Missed clocks: red from the due moment to when it was met, or to as_of.
            @if !p.missed_clocks.is_empty() {
                text x="16" y=(fmt(clocks_top + 8.0)) font-size="11" fill="#c92a2a" { "Missed clocks" }
            }
            @for (n, c) in p.missed_clocks.iter().enumerate() {
                @let (x1, x2) = (x(c.from), x(c.to));
                @let y = clocks_top + n as f64 * CLOCK_ROW;
                g class="missed-clock" data-clock=(c.clock.as_str()) data-from=(c.from.to_rfc3339()) data-to=(c.to.to_rfc3339()) {
                    title { (format!("{}: due {}, {}", c.clock.as_str().replace('_', " "), date(c.from),
                        if c.met_late { format!("met late {}", date(c.to)) } else { "still overdue".to_string() })) }
                    rect x=(fmt(x1)) y=(fmt(y)) width=(fmt((x2 - x1).max(2.0))) height="8" fill="#e03131" {}
                    // After the span where there is room, else before it.
                    @let (tx, anchor) = if x2 + 110.0 < WIDTH { (x2 + 4.0, "start") } else { (x1 - 4.0, "end") };
                    text x=(fmt(tx)) y=(fmt(y + 8.0)) font-size="9" fill="#c92a2a" text-anchor=(anchor) { (c.clock.as_str().replace('_', " ")) }
                }
            }

            // As of.
            line class="as-of" x1=(fmt(x(p.as_of))) y1=(fmt(TOP - 4.0)) x2=(fmt(x(p.as_of))) y2=(fmt(axis_y + 6.0)) stroke="#1971c2" stroke-width="2" {}

            // Legend: shapes, colours, and the indicators by number.
            g class="legend" {
                @for (n, s) in Shape::ALL.iter().enumerate() {
                    @let lx = LEFT + n as f64 * 115.0;
                    (shape(*s, lx, legend_y - 4.0, "#ffffff", "#212529", false))
                    text x=(fmt(lx + 12.0)) y=(fmt(legend_y)) { (s.as_str().replace('_', " ")) }
                }
                @for (n, level) in ConcernLevel::ALL.iter().enumerate() {
                    @let lx = LEFT + n as f64 * 115.0;
                    rect x=(fmt(lx - 6.0)) y=(fmt(legend_y + LEGEND_ROW - 10.0)) width="12" height="12" fill=(concern_colour(Some(*level))) stroke="#212529" {}
                    text x=(fmt(lx + 12.0)) y=(fmt(legend_y + LEGEND_ROW)) { (level.as_str().replace('_', " ")) }
                }
                circle cx=(fmt(LEFT + 5.0 * 115.0)) cy=(fmt(legend_y + LEGEND_ROW - 4.0)) r="8" fill="none" stroke="#c2255c" stroke-width="2.5" {}
                text x=(fmt(LEFT + 5.0 * 115.0 + 12.0)) y=(fmt(legend_y + LEGEND_ROW)) { "injury recorded" }
                rect x=(fmt(LEFT + 6.0 * 115.0 + 20.0)) y=(fmt(legend_y + LEGEND_ROW - 8.0)) width="20" height="8" fill="#e03131" {}
                text x=(fmt(LEFT + 6.0 * 115.0 + 44.0)) y=(fmt(legend_y + LEGEND_ROW)) { "missed clock" }
                @for (n, line) in p.indicators.iter().enumerate() {
                    text class="indicator-key" x=(fmt(LEFT)) y=(fmt(legend_y + (2 + n) as f64 * LEGEND_ROW + 6.0)) {
                        (format!("{}. {} (rule {}): first held {}{}", n + 1, line.title, line.rule, date(line.at),
                            if line.combined_only { " — visible to no single agency" } else { "" }))
                    }
                }
            }
        }
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}
