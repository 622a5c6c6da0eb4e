//! Scenario files (YAML): a child, actors and timed steps that replay a case through the public API.
//! `check` validates a file without a server; `replay` plays it against one.

pub mod check;
pub mod format;
pub mod replay;
pub mod steps;

/// The scenarios that ship with the service, by name (their file name without `.yaml`): an
/// exercise can be run from one without a copy of the file.
pub const BUNDLED: &[(&str, &str)] = &[
    (
        "child-p-2006-2007",
        include_str!("../../scenarios/child-p-2006-2007.yaml"),
    ),
    (
        "child-q-joined-up",
        include_str!("../../scenarios/child-q-joined-up.yaml"),
    ),
    (
        "child-s-2020",
        include_str!("../../scenarios/child-s-2020.yaml"),
    ),
];

/// A bundled scenario's text.
pub fn bundled(name: &str) -> Option<&'static str> {
    let name = name.strip_suffix(".yaml").unwrap_or(name);
    BUNDLED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}
