//! The chronology as a spreadsheet: the columns of a case review's multi-agency chronology. A
//! cell a spreadsheet would take for a formula (starting `=`, `+`, `-` or `@`, or a tab or carriage
//! return before one) is prefixed with `'`, and so is every part of a cell after a `;`, `,`, tab or
//! line break, where a spreadsheet that splits on another separator would start a cell: opening
//! the file runs nothing.

use std::collections::HashMap;

use uuid::Uuid;

use crate::combined::types::{ChronologyItem, EntryType};
use crate::record::snapshot::Snapshot;
use crate::safeguarding::types::{Details, EventDetails};

pub const COLUMNS: [&str; 8] = [
    "date",
    "agency",
    "author",
    "kind",
    "summary",
    "concern level",
    "injuries",
    "decision/outcome",
];

/// `cell` as a spreadsheet may safely open it, whatever separator it splits on.
pub fn defused(cell: &str) -> String {
    const FORMULA: [char; 4] = ['=', '+', '-', '@'];
    const STARTS_A_CELL: [char; 5] = [';', ',', '\t', '\r', '\n'];
    let mut out = String::with_capacity(cell.len() + 1);
    if cell.starts_with(['\t', '\r']) {
        out.push('\'');
    }
    let mut at_start = true;
    for c in cell.chars() {
        if at_start && FORMULA.contains(&c) {
            out.push('\'');
        }
        out.push(c);
        at_start = STARTS_A_CELL.contains(&c);
    }
    out
}

/// The file: a header line, then one line per entry in chronology order. `authors` names each
/// entry's author by entry id, where the reader may know it.
pub fn write(
    items: &[ChronologyItem],
    snapshot: &Snapshot,
    authors: &HashMap<Uuid, String>,
) -> Result<Vec<u8>, csv::Error> {
    let contacts: HashMap<Uuid, _> = snapshot.contacts.iter().map(|c| (c.id, c)).collect();
    let records: HashMap<Uuid, &Details> = snapshot
        .process
        .iter()
        .map(|p| (p.id, &p.details))
        .collect();
    let events: HashMap<Uuid, &EventDetails> = snapshot
        .process
        .iter()
        .flat_map(|p| p.events.iter().map(|e| (e.id, &e.details)))
        .collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(COLUMNS)?;
    for item in items {
        let contact = contacts.get(&item.id);
        let injuries = contact.map_or_else(String::new, |c| {
            c.fields
                .injuries
                .iter()
                .map(|i| {
                    let what = format!(
                        "{} to the {}",
                        i.injury_type.as_str().replace('_', " "),
                        i.body_location
                    );
                    match &i.description {
                        Some(d) => format!("{what}: {d}"),
                        None => what,
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        });
        let outcome = match (contact, item.entry_type) {
            (Some(c), _) => [
                c.fields.opinion.map(|o| o.as_str().replace('_', " ")),
                c.fields.outcome.map(|o| o.as_str().replace('_', " ")),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; "),
            (None, EntryType::ProcessEvent) => events
                .get(&item.id)
                .and_then(|d| d.outcome())
                .unwrap_or_default()
                .replace('_', " "),
            (None, _) => records
                .get(&item.id)
                .and_then(|d| d.outcome())
                .unwrap_or_default()
                .replace('_', " "),
        };
        let summary = if item.restricted {
            "(restricted: held by its agency)".to_string()
        } else {
            item.summary.clone().unwrap_or_default()
        };
        let row = [
            item.occurred_at.to_rfc3339(),
            item.agency.label().to_string(),
            // Who wrote another agency's restricted entry is not shared either.
            if item.restricted {
                String::new()
            } else {
                authors.get(&item.id).cloned().unwrap_or_default()
            },
            item.kind.replace('_', " "),
            summary,
            item.concern_level
                .map(|l| l.as_str().to_string())
                .unwrap_or_default(),
            injuries,
            outcome,
        ];
        out.write_record(row.iter().map(|cell| defused(cell)))?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_formula_is_defused_and_plain_text_is_not() {
        for cell in ["=1+1", "+44 20", "-2", "@SUM(A1)", "\t=1", "\r=1"] {
            assert!(defused(cell).starts_with('\''), "{cell:?}");
        }
        for cell in ["Home visit", "", "1 = 1", "bruise; scratch", "a - b"] {
            assert_eq!(defused(cell), cell);
        }
        // Where a spreadsheet splitting on `;`, `,` or a tab would start a cell.
        assert_eq!(defused("ok;=1+1"), "ok;'=1+1");
        assert_eq!(defused("ok,@SUM(A1)"), "ok,'@SUM(A1)");
        assert_eq!(defused("a\t-2;+3"), "a\t'-2;'+3");
    }
}
