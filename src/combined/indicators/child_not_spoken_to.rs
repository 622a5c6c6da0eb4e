//! Indicator 20: four or more contacts within 180 days, at each of which the child was aged 3 or
//! over, was seen, and is recorded `child_spoken_to_alone: false`, with none in that period recording
//! `true`. Holds at the fourth.

use super::rule::{Finding, Indicator};
use crate::combined::types::Severity;
use crate::record::evidence::contact_evidence;
use crate::record::settings::RuleConfig;
use crate::record::snapshot::{ContactFact, Snapshot};

pub struct ChildNotSpokenTo;

impl Indicator for ChildNotSpokenTo {
    fn code(&self) -> &'static str {
        "child_not_spoken_to"
    }
    fn title(&self) -> &'static str {
        "The child is seen but never spoken to alone"
    }
    fn severity(&self) -> Severity {
        Severity::Medium
    }
    fn recommended_action(&self) -> &'static str {
        "See the child alone, away from the carers, in a place where they feel safe, and record \
         what they say and how they are, in their own words."
    }

    fn evaluate(&self, s: &Snapshot, config: &RuleConfig) -> Option<Finding> {
        let silent = |c: &ContactFact| {
            c.fields.child_spoken_to_alone == Some(false)
                && c.child_seen()
                && s.aged_at_least(config.spoken_to_from_age_years, c.at()) == Some(true)
        };
        let spoken = |c: &ContactFact| c.fields.child_spoken_to_alone == Some(true);
        let contacts: Vec<&ContactFact> = s.contacts.iter().collect();
        super::child_repeatedly_unseen::first_run(
            &contacts,
            silent,
            spoken,
            config.not_spoken_to_window,
            config.not_spoken_to_minimum,
        )
        .map(|run| Finding {
            first_held_at: run[run.len() - 1].at(),
            evidence: run.into_iter().map(contact_evidence).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::users::Agency::*;
    use crate::vocabulary::{Agency, ContactKind};
    use chrono::{DateTime, Duration, Utc};

    fn seen(agency: Agency, at: DateTime<Utc>, alone: Option<bool>) -> ContactFact {
        let mut c = contact(agency, at, ContactKind::HomeVisit);
        c.fields.child_seen = Some(true);
        c.fields.child_spoken_to_alone = alone;
        c
    }

    /// A child who turns 3 on day 100 (born 2004-04-11, day 100 being 2007-04-11).
    fn aged(mut s: Snapshot) -> Snapshot {
        s.date_of_birth = Some(chrono::NaiveDate::from_ymd_opt(2004, 4, 11).unwrap());
        assert_eq!(
            day(100).date_naive(),
            chrono::NaiveDate::from_ymd_opt(2007, 4, 11).unwrap()
        );
        s
    }

    fn four(from: i64, agencies: [Agency; 4]) -> Vec<ContactFact> {
        (0..4)
            .map(|i| seen(agencies[i], day(from + 60 * i as i64), Some(false)))
            .collect()
    }

    #[test]
    fn four_within_180_days_from_age_three_hold_at_the_fourth() {
        let s = aged(snapshot(
            day(600),
            four(100, [SocialCare, Health, Police, SocialCare]),
        ));
        let f = ChildNotSpokenTo
            .evaluate(&s, &RuleConfig::default())
            .unwrap();
        assert_eq!((f.first_held_at, f.evidence.len()), (day(280), 4));
        assert!(
            ChildNotSpokenTo
                .evaluate(&s.only(SocialCare), &RuleConfig::default())
                .is_none()
        );
        let all_social_care = aged(snapshot(day(600), four(100, [SocialCare; 4])));
        assert!(
            ChildNotSpokenTo
                .evaluate(&all_social_care.only(SocialCare), &RuleConfig::default())
                .is_some()
        );
    }

    #[test]
    fn under_three_too_spread_spoken_to_once_or_unrecorded_is_quiet() {
        let cfg = RuleConfig::default();
        // The first is the day before the third birthday.
        let young = aged(snapshot(day(600), four(99, [SocialCare; 4])));
        assert!(ChildNotSpokenTo.evaluate(&young, &cfg).is_none());
        let mut spread = four(100, [SocialCare; 4]);
        spread[3].fields.occurred_at = day(280) + Duration::seconds(1);
        assert!(
            ChildNotSpokenTo
                .evaluate(&aged(snapshot(day(600), spread)), &cfg)
                .is_none()
        );
        let mut once = four(100, [SocialCare; 4]);
        once.push(seen(Health, day(170), Some(true)));
        assert!(
            ChildNotSpokenTo
                .evaluate(&aged(snapshot(day(600), once)), &cfg)
                .is_none()
        );
        let mut unrecorded = four(100, [SocialCare; 4]);
        unrecorded[2].fields.child_spoken_to_alone = None;
        assert!(
            ChildNotSpokenTo
                .evaluate(&aged(snapshot(day(600), unrecorded)), &cfg)
                .is_none()
        );
        let no_birth_date = snapshot(day(600), four(100, [SocialCare; 4]));
        assert!(ChildNotSpokenTo.evaluate(&no_birth_date, &cfg).is_none());
    }
}
