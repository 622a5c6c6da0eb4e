//! What an indicator is: a pure rule over a snapshot that, when it holds, says from when and on
//! which entries.

use chrono::{DateTime, Utc};

use crate::combined::types::{Evidence, Severity};
use crate::record::settings::RuleConfig;
use crate::record::snapshot::Snapshot;

/// An indicator that held: from when, and on which entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub first_held_at: DateTime<Utc>,
    pub evidence: Vec<Evidence>,
}

pub trait Indicator: Sync {
    fn code(&self) -> &'static str;
    fn title(&self) -> &'static str;
    fn severity(&self) -> Severity;
    fn recommended_action(&self) -> &'static str;
    /// Whether the indicator held at some moment up to the snapshot's horizon, and first when.
    fn evaluate(&self, snapshot: &Snapshot, config: &RuleConfig) -> Option<Finding>;
}
