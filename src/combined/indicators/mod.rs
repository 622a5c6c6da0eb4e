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
pub mod rule;
mod seen_only_when_announced;
mod statutory_timescale_missed;
mod unverified_adult_in_household;
mod was_not_brought_pattern;

#[cfg(test)]
pub(crate) mod testing;

use self::rule::Indicator;
use crate::record::settings::RuleConfig;

use super::types::{GapSummary, IndicatorReport};
use crate::per_agency::{AgencyCounts, AgencyFlags};
use crate::record::snapshot::Snapshot;
use crate::vocabulary::Agency;

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
        let mut alone = AgencyCounts::default();
        for (agency, n) in [
            (Agency::Police, 1),
            (Agency::Health, 2),
            (Agency::SocialCare, 1),
        ] {
            alone.set(agency, n);
        }
        let said = headline(7, &alone);
        assert!(
            said.starts_with(
                "7 indicators on the combined record; police alone could see 1, health 2, social care 1, legal 0"
            ),
            "{said}"
        );
        // Every agency is named once, and the sentence ends.
        for agency in Agency::ALL {
            assert_eq!(said.matches(agency.label()).count(), 1, "{said}");
        }
        assert!(said.ends_with(" 0.") || said.ends_with(" 1.") || said.ends_with(" 2."));
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
