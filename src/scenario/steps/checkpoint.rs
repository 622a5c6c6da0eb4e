//! A checkpoint: what the combined record shows at its moment, said to the room.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use super::{CheckpointReport, MissedClock, Playing, Progress, ReplayError, Said, Transport};
use crate::scenario::format::CheckpointStep;

/// Reads what the record shows at a checkpoint, and says it to the room.
pub async fn checkpoint<T: Transport>(
    p: &Playing<'_, T>,
    progress: &mut Progress,
    checkpoint: &CheckpointStep,
    when: &str,
    say: &mut dyn FnMut(Said),
) -> Result<CheckpointReport, ReplayError> {
    let Playing {
        transport,
        at,
        base,
        ..
    } = *p;
    let Progress { held_before, .. } = progress;
    let as_of = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (gap, _) = transport
        .call(
            Method::GET,
            &format!("{base}/gap-report?as_of={as_of}"),
            None,
            None,
            None,
        )
        .await?;
    let held: BTreeSet<String> = gap["indicators"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["code"].as_str().map(str::to_string))
        .collect();
    let new: Vec<String> = held.difference(held_before).cloned().collect();
    let expected: Option<BTreeSet<String>> = checkpoint
        .expect
        .as_ref()
        .map(|e| e.iter().cloned().collect());
    let as_expected = expected.as_ref().is_none_or(|e| *e == held);
    let headline = gap["summary"]["headline"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (timescales, _) = transport
        .call(
            Method::GET,
            &format!("{base}/timescales?as_of={as_of}"),
            None,
            None,
            None,
        )
        .await?;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let missed: Vec<MissedClock> = timescales["clocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["state"] == "overdue" || c["state"] == "met_late")
        .map(|c| MissedClock {
            clock: text(&c["clock"]),
            started_by: text(&c["started_by"]["kind"]),
            started_at: text(&c["started_at"]),
            due_at: text(&c["due_at"]),
            state: text(&c["state"]),
        })
        .collect();
    say(Said::Line(format!(
        "\n== Checkpoint {}: {}",
        when, checkpoint.title
    )));
    if let Some(q) = &checkpoint.question {
        say(Said::Line(format!("   Ask the room: {q}")));
    }
    say(Said::Line(format!("   The combined record: {headline}")));
    say(Said::Line(if new.is_empty() {
        "   Nothing new since the last checkpoint.".to_string()
    } else {
        format!("   New since the last checkpoint: {}", new.join(", "))
    }));
    // Why each new one holds, and what to do, as the gap report words it.
    for indicator in gap["indicators"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|i| new.iter().any(|code| i["code"] == code.as_str()))
    {
        say(Said::Line(format!(
            "     {}: {}",
            text(&indicator["code"]),
            text(&indicator["explanation"])
        )));
        say(Said::Line(format!(
            "       What to do: {}",
            text(&indicator["recommended_action"])
        )));
    }
    if let Some(expected) = &expected {
        if as_expected {
            say(Said::Line("   As the scenario expects.".to_string()));
        } else {
            let list = |set: Vec<&String>| {
                if set.is_empty() {
                    "nothing".to_string()
                } else {
                    set.into_iter().cloned().collect::<Vec<_>>().join(", ")
                }
            };
            say(Said::Line(format!(
                "   NOT as the scenario expects: missing {}; not expected {}.",
                list(expected.difference(&held).collect()),
                list(held.difference(expected).collect())
            )));
        }
    }
    if missed.is_empty() {
        say(Said::Line(
            "   No statutory clock missed so far.".to_string(),
        ));
    } else {
        say(Said::Line("   Statutory clocks missed so far:".to_string()));
        for m in &missed {
            say(Said::Line(format!(
                "     {}: started {} ({}), due {}, {}",
                m.clock,
                m.started_at.get(..10).unwrap_or_default(),
                m.started_by.replace('_', " "),
                m.due_at.get(..10).unwrap_or_default(),
                m.state.replace('_', " ")
            )));
        }
    }
    say(Said::Line(String::new()));
    let report = CheckpointReport {
        title: checkpoint.title.clone(),
        at,
        headline,
        new_indicators: new,
        missed_clocks: missed,
        indicators: held.iter().cloned().collect(),
        expected: expected.map(|e| e.into_iter().collect()),
        as_expected,
    };
    *held_before = held;
    say(Said::Checkpoint);
    Ok(report)
}
