//! Alerts for an agency's users: what on the records of the children it is involved with asks
//! for its attention. Worked out from the records when asked (a pure function of a snapshot, like
//! the rules), so they are never out of step with them; only "read" is stored.

pub mod handlers;
pub mod streams;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::record::clocks::clocks;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::Snapshot;
use crate::record::working_days::working_days_after;
use crate::safeguarding::types::Details;
use crate::vocabulary::{Agency, ClockName, ClockState, ConcernLevel};

/// What raised an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AlertKind {
    /// A referral made to the agency.
    ReferralReceived,
    /// Another involved agency recorded an entry at concern level high or above.
    HighConcernEntry,
    /// Another agency challenged one of the agency's entries or decisions.
    ChallengeReceived,
    /// A clock the agency answers is due within a working day.
    ClockDueSoon,
    /// A clock the agency answers is overdue.
    ClockOverdue,
    /// A user of an agency not involved broke glass on the record.
    BreakGlass,
    /// A break-glass on the record was reviewed `not_justified`, and closed.
    BreakGlassNotJustified,
    /// An involved agency (or a facilitator) brought the agency in to the record.
    BroughtIn,
    /// An agency not involved with the record shared its first entry on it.
    NewAgencyEntry,
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    /// Stable for what raised it: mark it read with this.
    pub id: String,
    pub kind: AlertKind,
    pub child_id: Uuid,
    /// The entry that raised it (for a clock, the entry that started it).
    pub entry_id: Option<Uuid>,
    /// The agency whose entry or action raised it.
    pub from_agency: Option<Agency>,
    /// When it arose: the entry's moment (scenario time), a clock's due moment, a break-glass's
    /// opening (real time).
    pub at: DateTime<Utc>,
    pub summary: String,
    pub read: bool,
}

/// The agency that answers a clock: the receiving agency of a referral, the owner of a plan
/// action, the challenged agency of a challenge, social care for the rest.
fn answering(s: &Snapshot, name: ClockName, started_by: Uuid) -> Agency {
    match name {
        ClockName::ReferralDecision | ClockName::PlanAction | ClockName::ChallengeResponse => s
            .process
            .iter()
            .find(|p| p.id == started_by)
            .and_then(|p| p.details.party())
            .unwrap_or(Agency::SocialCare),
        _ => Agency::SocialCare,
    }
}

/// The alerts `agency` has on one child's record as it sees it (`s`), at `at`.
pub fn on_record(
    agency: Agency,
    child_id: Uuid,
    s: &Snapshot,
    config: &RuleConfig,
    at: DateTime<Utc>,
) -> Vec<Alert> {
    let mut out = Vec::new();
    let alert =
        |kind: AlertKind, id: String, entry: Option<Uuid>, from, when, summary: String| Alert {
            id,
            kind,
            child_id,
            entry_id: entry,
            from_agency: from,
            at: when,
            summary,
            read: false,
        };
    let high = |l: Option<ConcernLevel>| l.is_some_and(|l| l >= ConcernLevel::High);
    for c in s
        .contacts
        .iter()
        .filter(|c| c.agency != agency && high(c.fields.concern_level))
    {
        out.push(alert(
            AlertKind::HighConcernEntry,
            format!("high_concern_entry.{}", c.id),
            Some(c.id),
            Some(c.agency),
            c.at(),
            format!(
                "{} recorded {} at concern level {}: {}",
                c.agency.label(),
                match c.fields.kind.as_str() {
                    "other" => "an entry".to_string(),
                    kind if kind.starts_with(['a', 'e', 'i', 'o', 'u']) => {
                        format!("an {}", kind.replace('_', " "))
                    }
                    kind => format!("a {}", kind.replace('_', " ")),
                },
                c.fields
                    .concern_level
                    .map_or("", |l| l.as_str())
                    .replace('_', " "),
                c.fields.summary
            ),
        ));
    }
    for p in s.process.iter() {
        if let Details::Involvement { brought_in, reason } = &p.details {
            if *brought_in == agency {
                out.push(alert(
                    AlertKind::BroughtIn,
                    format!("brought_in.{}", p.id),
                    Some(p.id),
                    (p.agency != agency).then_some(p.agency),
                    p.at,
                    format!("Your agency was brought in to the record: {reason}"),
                ));
            }
            continue;
        }
        if p.agency == agency {
            continue;
        }
        match &p.details {
            Details::Referral { to_agency, .. } if *to_agency == agency => out.push(alert(
                AlertKind::ReferralReceived,
                format!("referral_received.{}", p.id),
                Some(p.id),
                Some(p.agency),
                p.at,
                p.details.summary(),
            )),
            Details::Challenge {
                challenged_agency, ..
            } if *challenged_agency == agency => out.push(alert(
                AlertKind::ChallengeReceived,
                format!("challenge_received.{}", p.id),
                Some(p.id),
                Some(p.agency),
                p.at,
                p.details.summary(),
            )),
            details if high(details.concern().map(|(level, _)| level)) => out.push(alert(
                AlertKind::HighConcernEntry,
                format!("high_concern_entry.{}", p.id),
                Some(p.id),
                Some(p.agency),
                p.at,
                details.summary(),
            )),
            _ => {}
        }
    }
    for c in clocks(s, config) {
        if answering(s, c.clock, c.started_by.entry_id) != agency {
            continue;
        }
        let name = c.clock.as_str().replace('_', " ");
        let key = format!(
            "{}.{}.{}",
            c.clock.as_str(),
            c.started_by.entry_id,
            c.level.unwrap_or(0)
        );
        match c.state_at(at) {
            ClockState::Overdue => out.push(alert(
                AlertKind::ClockOverdue,
                format!("clock_overdue.{key}"),
                Some(c.started_by.entry_id),
                None,
                c.due_at,
                format!(
                    "The {name} clock was due {}: overdue",
                    c.due_at.format("%Y-%m-%d")
                ),
            )),
            ClockState::Running if c.due_at <= working_days_after(at, 1) => out.push(alert(
                AlertKind::ClockDueSoon,
                format!("clock_due_soon.{key}"),
                Some(c.started_by.entry_id),
                None,
                c.started_at.max(at.min(c.due_at)),
                format!(
                    "The {name} clock is due {}",
                    c.due_at.format("%Y-%m-%d %H:%M")
                ),
            )),
            _ => {}
        }
    }
    out
}

/// One entry as an alert about who shared it needs it: whose, which, when, and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryMark {
    pub agency: Agency,
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub what: String,
}

/// The first entry (by scenario time, up to `at`) of each agency that is not involved with the
/// record, other than `agency` itself: writing does not involve an agency, so the involved ones
/// are told that a new agency has shared something.
pub fn new_agency_entries(
    agency: Agency,
    child_id: Uuid,
    involved: &std::collections::BTreeSet<Agency>,
    entries: impl IntoIterator<Item = EntryMark>,
    at: DateTime<Utc>,
) -> Vec<Alert> {
    let mut first: std::collections::BTreeMap<Agency, EntryMark> = Default::default();
    for e in entries {
        if e.agency == agency || involved.contains(&e.agency) || e.at > at {
            continue;
        }
        match first.get(&e.agency) {
            Some(f) if (f.at, f.id) <= (e.at, e.id) => {}
            _ => {
                first.insert(e.agency, e);
            }
        }
    }
    first
        .into_values()
        .map(|e| Alert {
            id: format!("new_agency_entry.{}", e.id),
            kind: AlertKind::NewAgencyEntry,
            child_id,
            entry_id: Some(e.id),
            from_agency: Some(e.agency),
            at: e.at,
            summary: format!(
                "{}, not involved with the record, shared its first entry on it ({}): ask whether it should be brought in",
                e.agency.label(),
                e.what.replace('_', " ")
            ),
            read: false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::combined::indicators::testing::*;
    use crate::vocabulary::Referrer;
    use chrono::Duration;

    #[test]
    fn a_referral_to_the_agency_and_another_agencys_high_concern_raise_alerts() {
        let r = referral(Agency::Police, day(1), Referrer::Professional);
        let police_high = level(call(Agency::Police, day(2)), ConcernLevel::High);
        let own_high = level(call(Agency::SocialCare, day(3)), ConcernLevel::High);
        let s = with_process(snapshot(day(2), vec![police_high, own_high]), vec![r]);
        let kinds: Vec<AlertKind> = on_record(
            Agency::SocialCare,
            Uuid::nil(),
            &s,
            &RuleConfig::default(),
            day(2),
        )
        .into_iter()
        .map(|a| a.kind)
        .collect();
        // The referral's decision clock is social care's too: overdue by day 2 + a working day.
        assert!(kinds.contains(&AlertKind::ReferralReceived), "{kinds:?}");
        assert_eq!(
            kinds
                .iter()
                .filter(|k| **k == AlertKind::HighConcernEntry)
                .count(),
            1,
            "not its own entry: {kinds:?}"
        );
        // Police, who made the referral, are not alerted to it.
        let police = on_record(
            Agency::Police,
            Uuid::nil(),
            &s,
            &RuleConfig::default(),
            day(2),
        );
        assert!(police.iter().all(|a| a.kind != AlertKind::ReferralReceived));
    }

    #[test]
    fn an_uninvolved_agencys_first_entry_alerts_the_involved_ones_once() {
        let mark = |agency, d: i64, n: u128| EntryMark {
            agency,
            id: Uuid::from_u128(n),
            at: day(d),
            what: "home_visit".into(),
        };
        let involved = std::collections::BTreeSet::from([Agency::Health]);
        let entries = vec![
            mark(Agency::Police, 5, 2),
            mark(Agency::Police, 3, 1),
            mark(Agency::Health, 1, 3),
            mark(Agency::Legal, 9, 4),
        ];
        let alerts = new_agency_entries(
            Agency::Health,
            Uuid::nil(),
            &involved,
            entries.clone(),
            day(6),
        );
        // Police's first (day 3) only; legal's is after `at`; health is involved.
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].entry_id, Some(Uuid::from_u128(1)));
        assert_eq!(alerts[0].kind, AlertKind::NewAgencyEntry);
        // Once police is involved, its entries raise nothing.
        let both = std::collections::BTreeSet::from([Agency::Health, Agency::Police]);
        assert!(new_agency_entries(Agency::Health, Uuid::nil(), &both, entries, day(6)).is_empty());
    }

    #[test]
    fn a_clock_alerts_its_answering_agency_within_a_working_day_and_when_overdue() {
        let r = referral(Agency::Police, day(1), Referrer::Professional);
        let s = with_process(snapshot(day(40), vec![]), vec![r]);
        let due = clocks(&s, &RuleConfig::default())[0].due_at;
        let kinds = |at| -> Vec<AlertKind> {
            on_record(
                Agency::SocialCare,
                Uuid::nil(),
                &s,
                &RuleConfig::default(),
                at,
            )
            .into_iter()
            .map(|a| a.kind)
            .filter(|k| matches!(k, AlertKind::ClockDueSoon | AlertKind::ClockOverdue))
            .collect()
        };
        assert_eq!(
            kinds(due - Duration::hours(1)),
            vec![AlertKind::ClockDueSoon]
        );
        assert_eq!(
            kinds(due + Duration::seconds(1)),
            vec![AlertKind::ClockOverdue]
        );
        assert!(
            on_record(
                Agency::Health,
                Uuid::nil(),
                &s,
                &RuleConfig::default(),
                due + Duration::seconds(1)
            )
            .iter()
            .all(|a| a.kind != AlertKind::ClockOverdue)
        );
    }
}
