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

/// A new password: 12 to 128 characters, kept exactly as typed (no trimming).
pub fn password(field: &str, value: &str) -> Result<(), ApiError> {
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
    Ok(())
}

/// A scenario time given by the client (defaulting to now): history may be replayed, but nothing is
/// recorded as having happened more than a day ahead of the server's clock.
pub fn scenario_time(
    field: &str,
    value: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<chrono::DateTime<chrono::Utc>, ApiError> {
    let now = chrono::Utc::now();
    let at = value.unwrap_or(now);
    if at > now + chrono::Duration::days(1) {
        return Err(ApiError::validation(
            field,
            "must not be more than a day in the future",
        ));
    }
    Ok(at)
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
        assert!(password("p", "short").is_err());
        assert!(password("p", "long-enough-pass").is_ok());
    }
}
