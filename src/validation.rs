//! Field checks shared by every request body: trimmed, bounded text with no NUL characters
//! (PostgreSQL text cannot hold one), each failure naming its field.

use crate::error::ApiError;

/// Trims `value` and checks it holds `min..=max` characters and no NUL.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.contains('\0') {
        return Err(ApiError::validation(
            field,
            "must not contain the NUL character",
        ));
    }
    let len = trimmed.chars().count();
    if len < min {
        return Err(if min == 1 {
            ApiError::validation(field, "must not be empty")
        } else {
            ApiError::validation(field, format!("must be at least {min} characters"))
        });
    }
    if len > max {
        return Err(ApiError::validation(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(trimmed.to_string())
}

/// Optional text: absent stays absent, blank becomes absent.
pub fn optional_text(
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, 1, max).map(Some),
    }
}

/// A login name: 3 to 64 of letters, digits, `.`, `_`, `-`.
pub fn username(field: &str, value: &str) -> Result<String, ApiError> {
    let name = text(field, value, 3, 64)?;
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(ApiError::validation(
            field,
            "may hold only letters, digits, `.`, `_` and `-`",
        ));
    }
    Ok(name)
}

/// Least zxcvbn score a new password must reach (0 to 4): 3 is "safely unguessable", beyond what
/// an attacker can try online even unthrottled. Common passwords, repeats, keyboard runs and the
/// user's own name all score lower.
pub const MIN_PASSWORD_SCORE: zxcvbn::Score = zxcvbn::Score::Three;

/// A new password for `username`: 12 to 128 characters, kept exactly as typed (no trimming), not
/// the username, and not one a guesser would try early (zxcvbn, told the username).
pub fn password(field: &str, value: &str, username: &str) -> Result<(), ApiError> {
    let len = value.chars().count();
    if value.contains('\0') {
        return Err(ApiError::validation(
            field,
            "must not contain the NUL character",
        ));
    }
    if !(12..=128).contains(&len) {
        return Err(ApiError::validation(
            field,
            "must be between 12 and 128 characters",
        ));
    }
    if value.trim().eq_ignore_ascii_case(username.trim()) {
        return Err(ApiError::validation(field, "must not be the username"));
    }
    if zxcvbn::zxcvbn(value, &[username]).score() < MIN_PASSWORD_SCORE {
        return Err(ApiError::validation(
            field,
            "is too easy to guess (a common password, a repeat or a keyboard run); use a longer passphrase",
        ));
    }
    Ok(())
}

/// Years accepted in any date or time a client sends. PostgreSQL and chrono write years outside
/// 0001–9999 differently (`0100-01-01 BC` against `-0100-01-01`), and few clients read them at all.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

const YEARS_DETAIL: &str = "must be a date in the years 0001 to 9999";

/// The serde side of every date and time a client sends, in bodies and queries alike: each field
/// names one of these in `deserialize_with`, so an out-of-range year is a 422 naming the field.
pub mod dates {
    use chrono::{DateTime, Datelike, NaiveDate, Utc};
    use serde::{Deserialize, Deserializer, de::Error};

    use super::{YEARS, YEARS_DETAIL};

    fn checked<E: Error, T: Datelike>(value: T) -> Result<T, E> {
        if YEARS.contains(&value.year()) {
            Ok(value)
        } else {
            Err(E::custom(YEARS_DETAIL))
        }
    }

    pub fn moment<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        checked(DateTime::<Utc>::deserialize(d)?)
    }

    pub fn optional_moment<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        Option::<DateTime<Utc>>::deserialize(d)?
            .map(checked)
            .transpose()
    }

    pub fn day<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        checked(NaiveDate::deserialize(d)?)
    }

    pub fn optional_day<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<NaiveDate>::deserialize(d)?
            .map(checked)
            .transpose()
    }
}

/// Farthest ahead of the server's clock that anything may be recorded as having happened.
pub fn latest_allowed() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::Duration::days(1)
}

/// A scenario time given by the client for something that happened to the child (defaulting to
/// now): history may be replayed, but not from before the child was born, and nothing is recorded
/// as having happened more than a day ahead of the server's clock.
pub fn scenario_time(
    field: &str,
    value: Option<chrono::DateTime<chrono::Utc>>,
    born: chrono::NaiveDate,
) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    let at = value.unwrap_or_else(chrono::Utc::now);
    check_scenario_time(field, at, born)?;
    Ok(at)
}

/// The bounds of [`scenario_time`], for a time that is already given.
pub fn check_scenario_time(
    field: &str,
    at: chrono::DateTime<chrono::Utc>,
    born: chrono::NaiveDate,
) -> Result<(), ApiError> {
    if at > latest_allowed() {
        return Err(ApiError::validation(
            field,
            "must not be more than a day in the future",
        ));
    }
    if at < born.and_time(chrono::NaiveTime::MIN).and_utc() {
        return Err(ApiError::validation(
            field,
            "must not be before the child's date of birth",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(text("f", "  hi ", 1, 5).unwrap(), "hi");
        assert!(text("f", "   ", 1, 5).is_err());
        assert!(text("f", "toolong", 1, 5).is_err());
        assert!(text("f", "a\0b", 1, 5).is_err());
        // Bounds count characters, not bytes.
        assert_eq!(text("f", "ééééé", 1, 5).unwrap(), "ééééé");
    }

    #[test]
    fn usernames_and_passwords() {
        assert!(username("u", "police_demo").is_ok());
        assert!(username("u", "no spaces").is_err());
        assert!(password("p", "short", "u").is_err());
        assert!(password("p", "a-new-and-longer-passphrase", "sw_ward").is_ok());
        for weak in [
            "passwordpassword",
            "aaaaaaaaaaaa",
            "Sw_Ward_Trainee",
            "1q2w3e4r5t6y7u8i",
        ] {
            assert!(
                password("p", weak, "sw_ward_trainee").is_err(),
                "{weak} was accepted"
            );
        }
    }

    #[derive(Debug, serde::Deserialize)]
    struct Dated {
        #[serde(default, deserialize_with = "dates::optional_moment")]
        at: Option<chrono::DateTime<chrono::Utc>>,
        #[serde(default, deserialize_with = "dates::optional_day")]
        on: Option<chrono::NaiveDate>,
    }

    #[test]
    fn dates_outside_years_1_to_9999_are_refused() {
        let parse = |json: &str| serde_json::from_str::<Dated>(json);
        assert!(parse(r#"{"at": "0001-01-01T00:00:00Z", "on": "9999-12-31"}"#).is_ok());
        let parsed = parse(r#"{"at": null, "on": "2006-03-01"}"#).unwrap();
        assert!(parsed.at.is_none());
        assert_eq!(parsed.on, chrono::NaiveDate::from_ymd_opt(2006, 3, 1));
        for bad in [
            r#"{"on": "+10000-01-01"}"#,
            r#"{"on": "-0100-01-01"}"#,
            r#"{"on": "0000-12-31"}"#,
            r#"{"at": "-0100-01-01T00:00:00Z"}"#,
            r#"{"at": "0000-12-31T23:59:59Z"}"#,
            // A moment in year 1 by its offset, but in year 0 in UTC.
            r#"{"at": "0001-01-01T00:30:00+01:00"}"#,
        ] {
            let error = parse(bad).unwrap_err().to_string();
            assert!(error.contains("years 0001 to 9999"), "{bad}: {error}");
        }
    }

    #[test]
    fn scenario_times_lie_between_birth_and_tomorrow() {
        let born = chrono::NaiveDate::from_ymd_opt(2006, 3, 1).unwrap();
        let at = |s: &str| s.parse::<chrono::DateTime<chrono::Utc>>().unwrap();
        assert!(check_scenario_time("f", at("2006-03-01T00:00:00Z"), born).is_ok());
        assert!(check_scenario_time("f", at("2006-02-28T23:59:59Z"), born).is_err());
        assert!(check_scenario_time("f", latest_allowed(), born).is_ok());
        assert!(
            check_scenario_time("f", latest_allowed() + chrono::Duration::minutes(1), born)
                .is_err()
        );
    }
}
