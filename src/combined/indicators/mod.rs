//! The gap indicators of docs/domain.md: each a pure function of a snapshot, in a file of its own.
//! Adding an indicator means writing one unit that implements `Indicator` and adding it to
//! `INDICATORS`.

mod challenge_unanswered;
mod child_not_spoken_to;
mod child_repeatedly_unseen;
mod concealment_suspected;
mod disagreement_not_escalated;
mod escalating_concerns;
pub mod explain;
mod incomplete_examination;
mod injuries_seen_by_several_agencies;
mod injury_not_shared_with_police;
mod injury_to_non_mobile_infant;
mod lay_concerns_discounted;
mod many_contacts_no_escalation;
mod no_strategy_discussion_after_nai;
mod plan_not_followed;
mod professional_disagreement;
mod referral_not_decided_in_time;
mod repeat_referrals_closed;
mod repeated_third_party_explanation;
mod seen_only_when_announced;
pub mod settings;
mod statutory_timescale_missed;
mod unverified_adult_in_household;
mod was_not_brought_pattern;

#[cfg(test)]
pub(crate) mod testing;

use chrono::{DateTime, Duration, Utc};

use super::snapshot::{CheckFact, ContactFact, EventFact, PersonFact, ProcessFact, Snapshot};
use super::types::{
    AgencyCounts, AgencyFlags, EntryType, Evidence, GapSummary, IndicatorReport, Severity,
};
use crate::vocabulary::Agency;

/// Windows and thresholds, with the defaults of docs/domain.md.
#[derive(Debug, Clone)]
pub struct RuleConfig {
    /// Rule 1: injuries by different agencies this close together, and how many agencies.
    pub several_agencies_window: Duration,
    pub several_agencies_minimum: usize,
    /// Rule 2: how long after a serious injury a police entry is expected.
    pub police_notification_window: Duration,
    /// Rule 4: the fewest injuries explained as caused by another child.
    pub third_party_explanations_minimum: usize,
    /// Rule 6: how long after an incomplete examination a completed one is expected.
    pub examination_follow_up_window: Duration,
    /// Rule 7: how long after an injury an unseen or obscured child is suspicious.
    pub concealment_window: Duration,
    /// Rule 8: the length of each of the two windows compared.
    pub escalation_window: Duration,
    /// Rule 8: the fewest concern-bearing entries in the recent window.
    pub escalation_minimum: usize,
    /// Rule 9: the window in which contacts are counted.
    pub many_contacts_window: Duration,
    pub many_contacts_minimum: usize,
    pub many_contacts_agencies: usize,
    /// Rule 10 and the `referral_decision` clock: working days after receipt by which a referral
    /// is decided.
    pub referral_decision_working_days: u32,
    /// Rule 11 and the `strategy_discussion` clock: working days after a concern by which a
    /// strategy discussion is held (set by local procedures).
    pub strategy_discussion_working_days: u32,
    /// Rule 12: the fewest failures (actions not done, or entries recording the plan not
    /// followed), and working days after the last of them of a plan in which a review conference,
    /// strategy discussion or legal planning meeting is expected.
    pub plan_failures_minimum: usize,
    pub plan_response_working_days: u32,
    /// Rule 13's clocks (statutory, so rarely changed): working days for an assessment, from a
    /// section 47 strategy discussion to the initial conference, and from a plan to the first
    /// core group; months to the first review conference and between later ones.
    pub assessment_working_days: u32,
    pub initial_conference_working_days: u32,
    pub core_group_working_days: u32,
    pub first_review_months: u32,
    pub later_review_months: u32,
    /// Rule 14: a child younger than this is taken as not independently mobile.
    pub non_mobile_age: Duration,
    /// Rule 15: the window, and the fewest visits or appointments without the child in it.
    pub unseen_window: Duration,
    pub unseen_minimum: usize,
    /// Rule 16: the window, and the fewest health appointments the child was not brought to.
    pub not_brought_window: Duration,
    pub not_brought_minimum: usize,
    /// Rule 17: the window, and the fewest unannounced visits without the child in it.
    pub announced_window: Duration,
    pub unannounced_unseen_minimum: usize,
    /// Rule 18: the window, and the fewest referrals closed one after another.
    pub repeat_referrals_window: Duration,
    pub repeat_referrals_minimum: usize,
    /// Rule 19: the window, and the fewest lay referrals discounted.
    pub lay_referrals_window: Duration,
    pub lay_referrals_minimum: usize,
    /// Rule 20: the window, the fewest contacts without the child spoken to alone, and the age
    /// (in years) from which a child is expected to be spoken to.
    pub not_spoken_to_window: Duration,
    pub not_spoken_to_minimum: usize,
    pub spoken_to_from_age_years: u32,
    /// Challenges (rule 21 and the `challenge_response` clock): working days the challenged
    /// agency has to answer at each level before the challenge escalates to the next.
    pub challenge_level_1_working_days: u32,
    pub challenge_level_2_working_days: u32,
    pub challenge_level_3_working_days: u32,
    pub challenge_level_4_working_days: u32,
    /// Rule 22: working days after a professional disagreement first holds in which a challenge
    /// is expected.
    pub disagreement_challenge_working_days: u32,
}

impl RuleConfig {
    /// Working days a challenge at `level` (1 to 4) has for its answer.
    pub fn challenge_working_days(&self, level: u8) -> u32 {
        match level {
            0 | 1 => self.challenge_level_1_working_days,
            2 => self.challenge_level_2_working_days,
            3 => self.challenge_level_3_working_days,
            _ => self.challenge_level_4_working_days,
        }
    }

    /// The longest window any rule looks across: a report at a moment this long after the last
    /// entry is the report at any later moment too.
    pub fn longest_window(&self) -> Duration {
        [
            self.several_agencies_window,
            self.police_notification_window,
            self.examination_follow_up_window,
            self.concealment_window,
            self.escalation_window,
            self.many_contacts_window,
            self.unseen_window,
            self.not_brought_window,
            self.announced_window,
            self.repeat_referrals_window,
            self.lay_referrals_window,
            self.not_spoken_to_window,
            // Working days, at their longest over Christmas and New Year.
            Duration::days(
                i64::from(
                    self.strategy_discussion_working_days
                        .max(self.plan_response_working_days)
                        .max(self.referral_decision_working_days)
                        .max(self.challenge_level_1_working_days)
                        .max(self.disagreement_challenge_working_days),
                ) * 7
                    / 5
                    + 7,
            ),
        ]
        .into_iter()
        .max()
        .unwrap_or_default()
    }
}

impl Default for RuleConfig {
    fn default() -> Self {
        RuleConfig {
            several_agencies_window: Duration::days(90),
            several_agencies_minimum: 2,
            third_party_explanations_minimum: 2,
            police_notification_window: Duration::days(7),
            examination_follow_up_window: Duration::days(14),
            concealment_window: Duration::days(30),
            escalation_window: Duration::days(30),
            escalation_minimum: 3,
            many_contacts_window: Duration::days(90),
            many_contacts_minimum: 10,
            many_contacts_agencies: 3,
            referral_decision_working_days: 1,
            strategy_discussion_working_days: 3,
            plan_failures_minimum: 2,
            plan_response_working_days: 10,
            assessment_working_days: 45,
            initial_conference_working_days: 15,
            core_group_working_days: 10,
            first_review_months: 3,
            later_review_months: 6,
            non_mobile_age: Duration::days(182),
            unseen_window: Duration::days(90),
            unseen_minimum: 3,
            not_brought_window: Duration::days(180),
            not_brought_minimum: 2,
            announced_window: Duration::days(90),
            unannounced_unseen_minimum: 2,
            repeat_referrals_window: Duration::days(365),
            repeat_referrals_minimum: 3,
            lay_referrals_window: Duration::days(180),
            lay_referrals_minimum: 2,
            not_spoken_to_window: Duration::days(180),
            not_spoken_to_minimum: 4,
            spoken_to_from_age_years: 3,
            challenge_level_1_working_days: 5,
            challenge_level_2_working_days: 5,
            challenge_level_3_working_days: 10,
            challenge_level_4_working_days: 10,
            disagreement_challenge_working_days: 5,
        }
    }
}

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

/// Every indicator, in the order of docs/domain.md.
pub const INDICATORS: &[&dyn Indicator] = &[
    &injuries_seen_by_several_agencies::InjuriesSeenBySeveralAgencies,
    &injury_not_shared_with_police::InjuryNotSharedWithPolice,
    &unverified_adult_in_household::UnverifiedAdultInHousehold,
    &repeated_third_party_explanation::RepeatedThirdPartyExplanation,
    &professional_disagreement::ProfessionalDisagreement,
    &incomplete_examination::IncompleteExamination,
    &concealment_suspected::ConcealmentSuspected,
    &escalating_concerns::EscalatingConcerns,
    &many_contacts_no_escalation::ManyContactsNoEscalation,
    &referral_not_decided_in_time::ReferralNotDecidedInTime,
    &no_strategy_discussion_after_nai::NoStrategyDiscussionAfterNai,
    &plan_not_followed::PlanNotFollowed,
    &statutory_timescale_missed::StatutoryTimescaleMissed,
    &injury_to_non_mobile_infant::InjuryToNonMobileInfant,
    &child_repeatedly_unseen::ChildRepeatedlyUnseen,
    &was_not_brought_pattern::WasNotBroughtPattern,
    &seen_only_when_announced::SeenOnlyWhenAnnounced,
    &repeat_referrals_closed::RepeatReferralsClosed,
    &lay_concerns_discounted::LayConcernsDiscounted,
    &child_not_spoken_to::ChildNotSpokenTo,
    &challenge_unanswered::ChallengeUnanswered,
    &disagreement_not_escalated::DisagreementNotEscalated,
];

pub fn contact_evidence(c: &ContactFact) -> Evidence {
    Evidence {
        entry_id: c.id,
        entry_type: EntryType::Contact,
        agency: c.agency,
        kind: c.fields.kind.as_str().to_string(),
        occurred_at: c.at(),
    }
}

pub fn process_evidence(p: &ProcessFact) -> Evidence {
    let record_type = p.details.record_type();
    Evidence {
        entry_id: p.id,
        entry_type: record_type.into(),
        agency: p.agency,
        kind: record_type.as_str().into(),
        occurred_at: p.at,
    }
}

/// A change of `record`'s state.
pub fn event_evidence(record: &ProcessFact, event: &EventFact) -> Evidence {
    Evidence {
        entry_id: event.id,
        entry_type: EntryType::ProcessEvent,
        agency: event.agency,
        kind: format!(
            "{}_{}",
            record.details.record_type().as_str(),
            event.details.event_type().as_str()
        ),
        occurred_at: event.at,
    }
}

pub fn person_evidence(p: &PersonFact) -> Evidence {
    Evidence {
        entry_id: p.id,
        entry_type: EntryType::Person,
        agency: p.agency,
        kind: "person".into(),
        occurred_at: p.at,
    }
}

pub fn check_evidence(c: &CheckFact) -> Evidence {
    Evidence {
        entry_id: c.id,
        entry_type: EntryType::Check,
        agency: c.agency,
        kind: "background_check".into(),
        occurred_at: c.at,
    }
}

/// Every indicator that held on `snapshot`, with whether each agency could have seen it alone,
/// and the summary a trainer reads out.
pub fn gap_report(snapshot: &Snapshot, config: &RuleConfig) -> (Vec<IndicatorReport>, GapSummary) {
    gap_report_with(snapshot, &snapshot.alone(), config)
}

/// `gap_report`, given what each agency could see alone (`snapshot.alone()`, or kept from before).
#[tracing::instrument(
    level = "debug",
    skip_all,
    fields(horizon = %snapshot.horizon, contacts = snapshot.contacts.len())
)]
pub fn gap_report_with(
    snapshot: &Snapshot,
    alone: &[(Agency, Snapshot)],
    config: &RuleConfig,
) -> (Vec<IndicatorReport>, GapSummary) {
    let started = std::time::Instant::now();
    let mut reports = Vec::new();
    let mut by_agency_alone = AgencyCounts::default();
    for indicator in INDICATORS {
        let Some(finding) = indicator.evaluate(snapshot, config) else {
            continue;
        };
        let mut visible = AgencyFlags::default();
        for (agency, own) in alone {
            let seen = indicator.evaluate(own, config).is_some();
            visible.set(*agency, seen);
            if seen {
                by_agency_alone.add(*agency);
            }
        }
        let mut agencies: Vec<Agency> = finding.evidence.iter().map(|e| e.agency).collect();
        agencies.sort();
        agencies.dedup();
        let explanation = explain::explain(snapshot, indicator.title(), &finding, &visible);
        reports.push(IndicatorReport {
            code: indicator.code().into(),
            title: indicator.title().into(),
            severity: indicator.severity(),
            holds: true,
            first_held_at: finding.first_held_at,
            evidence: finding.evidence,
            agencies,
            visible_to_single_agency: visible,
            explanation,
            recommended_action: indicator.recommended_action().into(),
        });
    }
    let only_visible_combined = reports
        .iter()
        .filter(|r| !r.visible_to_single_agency.any())
        .count();
    let summary = GapSummary {
        combined: reports.len(),
        by_agency_alone,
        only_visible_combined,
        headline: headline(reports.len(), &by_agency_alone),
    };
    metrics::counter!("mash_gap_reports_total").increment(1);
    metrics::histogram!("mash_gap_report_duration_seconds").record(started.elapsed().as_secs_f64());
    (reports, summary)
}

/// "7 indicators on the combined record; police alone could see 1, health 2, social care 1, legal 0."
pub fn headline(combined: usize, alone: &AgencyCounts) -> String {
    let noun = if combined == 1 {
        "indicator"
    } else {
        "indicators"
    };
    let parts: Vec<String> = Agency::ALL
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let n = alone.get(*a);
            if i == 0 {
                format!("{} alone could see {n}", a.label())
            } else {
                format!("{} {n}", a.label())
            }
        })
        .collect();
    format!(
        "{combined} {noun} on the combined record; {}.",
        parts.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_headline_reads_as_a_sentence() {
        let alone = AgencyCounts {
            police: 1,
            health: 2,
            social_care: 1,
            legal: 0,
        };
        assert_eq!(
            headline(7, &alone),
            "7 indicators on the combined record; police alone could see 1, health 2, social care 1, legal 0."
        );
        assert!(headline(1, &AgencyCounts::default()).starts_with("1 indicator on"));
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<&str> = INDICATORS.iter().map(|i| i.code()).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), INDICATORS.len());
    }
}
