//! Every window and threshold of the rules as a setting: its name (`MASH_RULE_` and the name in
//! capitals sets it), the rules that read it, what it means, and its bounds. The defaults are
//! `RuleConfig::default()`, docs/domain.md's.

use std::collections::BTreeMap;

use chrono::Duration;

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

pub struct Setting {
    pub name: &'static str,
    pub unit: &'static str,
    pub rules: &'static str,
    pub meaning: &'static str,
    range: (i64, i64),
    get: fn(&RuleConfig) -> i64,
    set: fn(&mut RuleConfig, i64),
}

impl Setting {
    pub fn value(&self, config: &RuleConfig) -> i64 {
        (self.get)(config)
    }

    /// The environment variable that sets it.
    pub fn variable(&self) -> String {
        format!("MASH_RULE_{}", self.name.to_uppercase())
    }
}

macro_rules! settings {
    ($($field:ident: $unit:ident ($min:literal..=$max:literal), rules $rules:literal, $meaning:literal;)+) => {
        pub const SETTINGS: &[Setting] = &[$(Setting {
            name: stringify!($field),
            unit: settings!(@unit $unit),
            rules: $rules,
            meaning: $meaning,
            range: ($min, $max),
            get: |c| settings!(@get $unit c.$field),
            set: |c, v| c.$field = settings!(@set $unit v),
        },)+];
    };
    (@unit days) => { "days" };
    (@unit working_days) => { "working days" };
    (@unit count) => { "entries" };
    (@unit agencies) => { "agencies" };
    (@unit months) => { "months" };
    (@unit years) => { "years" };
    (@get days $v:expr) => { $v.num_days() };
    (@get $unit:ident $v:expr) => { $v as i64 };
    (@set days $v:expr) => { Duration::days($v) };
    (@set count $v:expr) => { $v as usize };
    (@set agencies $v:expr) => { $v as usize };
    (@set $unit:ident $v:expr) => { $v as u32 };
}

settings! {
    several_agencies_window: days (1..=3650), rules "1", "injuries recorded by different agencies this close together";
    several_agencies_minimum: agencies (2..=4), rules "1", "the fewest agencies recording them";
    police_notification_window: days (1..=3650), rules "2", "how long after a serious injury an entry by police is expected";
    third_party_explanations_minimum: count (2..=1000), rules "4", "the fewest injuries explained as caused by another child";
    examination_follow_up_window: days (1..=3650), rules "6", "how long after an incomplete examination a completed one is expected";
    concealment_window: days (1..=3650), rules "7", "how long after an injury an unseen or obscured child is suspicious";
    escalation_window: days (1..=3650), rules "8", "the length of each of the two windows compared";
    escalation_minimum: count (1..=1000), rules "8", "the fewest concern-bearing entries in the recent window";
    many_contacts_window: days (1..=3650), rules "9", "the window in which contacts are counted";
    many_contacts_minimum: count (1..=1000), rules "9", "the fewest contacts in it";
    many_contacts_agencies: agencies (1..=4), rules "9", "the fewest agencies among them";
    referral_decision_working_days: working_days (1..=260), rules "10, clocks", "after a referral's receipt, by when it is decided";
    strategy_discussion_working_days: working_days (1..=260), rules "11, clocks", "after a concern, by when a strategy discussion is held";
    plan_failures_minimum: count (1..=1000), rules "12", "the fewest plan actions not done, or entries recording the plan not followed";
    plan_response_working_days: working_days (1..=260), rules "12", "after a plan's second failure, by when a review conference, strategy discussion or legal planning meeting is held";
    assessment_working_days: working_days (1..=260), rules "13, clocks", "after an assessment starts, by when it is completed";
    initial_conference_working_days: working_days (1..=260), rules "13, clocks", "after a strategy discussion starts a section 47 enquiry, by when the initial conference is held";
    core_group_working_days: working_days (1..=260), rules "13, clocks", "after a plan is made, by when the core group first meets";
    first_review_months: months (1..=24), rules "13, clocks", "after the initial conference, by when the first review conference is held";
    later_review_months: months (1..=24), rules "13, clocks", "after a review that keeps the plan, by when the next is held";
    non_mobile_age: days (1..=3650), rules "14", "a child younger than this is taken as not independently mobile";
    unseen_window: days (1..=3650), rules "15", "the window in which visits without the child are counted";
    unseen_minimum: count (1..=1000), rules "15", "the fewest visits or appointments without the child";
    not_brought_window: days (1..=3650), rules "16", "the window in which health appointments the child was not brought to are counted";
    not_brought_minimum: count (1..=1000), rules "16", "the fewest of them (one is enough while on a plan)";
    announced_window: days (1..=3650), rules "17", "the window in which announced and unannounced visits are compared";
    unannounced_unseen_minimum: count (1..=1000), rules "17", "the fewest unannounced visits without the child";
    repeat_referrals_window: days (1..=3650), rules "18", "the window in which referrals closed one after another are counted";
    repeat_referrals_minimum: count (2..=1000), rules "18", "the fewest of them";
    lay_referrals_window: days (1..=3650), rules "19", "the window in which discounted lay referrals are counted";
    lay_referrals_minimum: count (1..=1000), rules "19", "the fewest of them";
    not_spoken_to_window: days (1..=3650), rules "20", "the window in which contacts without the child spoken to alone are counted";
    not_spoken_to_minimum: count (1..=1000), rules "20", "the fewest of them";
    spoken_to_from_age_years: years (0..=18), rules "20", "the age from which a child is expected to be spoken to alone";
    challenge_level_1_working_days: working_days (1..=260), rules "21, clocks", "a challenge at level 1 (practitioners): working days to answer before it escalates";
    challenge_level_2_working_days: working_days (1..=260), rules "21, clocks", "at level 2 (managers)";
    challenge_level_3_working_days: working_days (1..=260), rules "21, clocks", "at level 3 (senior managers)";
    challenge_level_4_working_days: working_days (1..=260), rules "21, clocks", "at level 4 (the safeguarding partnership)";
    disagreement_challenge_working_days: working_days (1..=260), rules "22", "after a professional disagreement first holds, by when a challenge is expected";
}

impl RuleConfig {
    /// The defaults with each `MASH_RULE_*` variable among `vars` laid over them. An unknown name
    /// or a value out of its bounds is refused, naming it.
    pub fn from_vars(
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<RuleConfig> {
        let mut config = RuleConfig::default();
        for (name, value) in vars {
            let Some(short) = name.strip_prefix("MASH_RULE_") else {
                continue;
            };
            let setting = SETTINGS
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(short))
                .ok_or_else(|| {
                    anyhow::anyhow!("{name}: no such rule setting (`mash rules` lists them)")
                })?;
            let (min, max) = setting.range;
            let number: i64 = value
                .trim()
                .parse()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "{name}: must be a whole number from {min} to {max} ({})",
                        setting.unit
                    )
                })?;
            (setting.set)(&mut config, number);
        }
        Ok(config)
    }

    /// Every setting's value, by name.
    pub fn values(&self) -> BTreeMap<String, i64> {
        SETTINGS
            .iter()
            .map(|s| (s.name.to_string(), s.value(self)))
            .collect()
    }

    /// The settings whose value is not the default.
    pub fn changed(&self) -> Vec<String> {
        let default = RuleConfig::default();
        SETTINGS
            .iter()
            .filter(|s| s.value(self) != s.value(&default))
            .map(|s| s.name.to_string())
            .collect()
    }

    /// The table `mash rules` prints.
    pub fn describe(&self) -> String {
        let default = RuleConfig::default();
        let mut out = format!(
            "{:<34} {:>6} {:>8}  {:<13} {:<10} meaning\n",
            "setting (MASH_RULE_...)", "value", "default", "unit", "rules"
        );
        for s in SETTINGS {
            let changed = if s.value(self) != s.value(&default) {
                "*"
            } else {
                " "
            };
            out += &format!(
                "{:<34} {:>5}{changed} {:>8}  {:<13} {:<10} {}\n",
                s.name,
                s.value(self),
                s.value(&default),
                s.unit,
                s.rules,
                s.meaning
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_field_is_a_setting_and_defaults_read_back() {
        let config = RuleConfig::default();
        assert_eq!(SETTINGS.len(), 39);
        assert_eq!(config.values()["several_agencies_window"], 90);
        assert_eq!(config.values()["strategy_discussion_working_days"], 3);
        assert_eq!(config.values()["non_mobile_age"], 182);
        assert!(config.changed().is_empty());
        // Setting each to another value changes that one field only.
        for s in SETTINGS {
            let mut c = RuleConfig::default();
            let other = if s.value(&c) == s.range.1 {
                s.range.0
            } else {
                s.value(&c) + 1
            };
            (s.set)(&mut c, other);
            assert_eq!(c.changed(), vec![s.name.to_string()], "{}", s.name);
        }
    }

    #[test]
    fn variables_set_windows_and_bad_ones_are_refused_by_name() {
        let c = RuleConfig::from_vars(vars(&[
            ("MASH_RULE_SEVERAL_AGENCIES_WINDOW", "120"),
            ("MASH_RULE_unseen_minimum", " 4 "),
            ("PATH", "/usr/bin"),
        ]))
        .unwrap();
        assert_eq!(c.several_agencies_window, Duration::days(120));
        assert_eq!(c.unseen_minimum, 4);
        assert_eq!(
            c.changed(),
            vec!["several_agencies_window", "unseen_minimum"]
        );
        assert!(
            c.describe()
                .contains("several_agencies_window              120*")
        );
        for (name, value, says) in [
            (
                "MASH_RULE_SEVERAL_AGENCY_WINDOW",
                "5",
                "no such rule setting",
            ),
            ("MASH_RULE_UNSEEN_MINIMUM", "0", "from 1 to 1000"),
            (
                "MASH_RULE_UNSEEN_WINDOW",
                "ninety",
                "MASH_RULE_UNSEEN_WINDOW",
            ),
            ("MASH_RULE_MANY_CONTACTS_AGENCIES", "5", "from 1 to 4"),
        ] {
            let error = RuleConfig::from_vars(vars(&[(name, value)])).unwrap_err();
            assert!(error.to_string().contains(says), "{name}: {error}");
        }
    }
}
