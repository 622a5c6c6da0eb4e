//! Keyset pagination shared by every list: `limit` (default 50, at most 500) and an opaque `cursor`.
//!
//! A cursor names a position, and a position may hold what the reader may not see (the recording
//! time of another agency's restricted contact, say), so every cursor is sealed: encrypted and
//! authenticated with a key of the service's, so a client can neither read one nor forge one.

use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Items per page (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500, default = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl PageParams {
    pub fn limit(&self) -> Result<i64, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::validation(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            )),
        }
    }

    /// The position after which the page starts, if any.
    pub fn after(&self) -> Result<Option<Cursor>, ApiError> {
        self.cursor.as_deref().map(Cursor::decode).transpose()
    }
}

static CURSOR_KEY: OnceLock<Key> = OnceLock::new();

/// Derives the cursor key from the service's secret, so that cursors outlive a restart and are
/// honoured by every instance that shares the secret. Without it, a key is made per process.
pub fn use_secret(secret: &[u8]) {
    let mut key = Key::default();
    hkdf::Hkdf::<sha2::Sha256>::new(Some(b"mash cursors"), secret)
        .expand(b"cursor sealing key", &mut key)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    let _ = CURSOR_KEY.set(key);
}

fn cipher() -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(CURSOR_KEY.get_or_init(|| XChaCha20Poly1305::generate_key(&mut OsRng)))
}

/// `position`, sealed for a client to hand back.
pub fn seal(position: &str) -> String {
    let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut sealed = nonce.to_vec();
    sealed.extend(
        cipher()
            .encrypt(&nonce, position.as_bytes())
            .expect("encrypting in memory does not fail"),
    );
    URL_SAFE_NO_PAD.encode(sealed)
}

/// The position a cursor sealed by [`seal`] holds; a 422 naming `cursor` for anything else.
pub fn open(cursor: &str) -> Result<String, ApiError> {
    let invalid = || ApiError::validation("cursor", "not a cursor this service issued");
    let sealed = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    if sealed.len() < 24 {
        return Err(invalid());
    }
    let (nonce, text) = sealed.split_at(24);
    let nonce: &XNonce = nonce.into();
    let plain = cipher().decrypt(nonce, text).map_err(|_| invalid())?;
    String::from_utf8(plain).map_err(|_| invalid())
}

/// A position in a list ordered by a timestamp and then an id.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        seal(&format!("{}|{}", self.at.to_rfc3339(), self.id))
    }

    pub fn decode(raw: &str) -> Result<Self, ApiError> {
        let invalid = || ApiError::validation("cursor", "not a cursor this service issued");
        let text = open(raw)?;
        let (at, id) = text.split_once('|').ok_or_else(invalid)?;
        Ok(Cursor {
            at: DateTime::parse_from_rfc3339(at)
                .map_err(|_| invalid())?
                .with_timezone(&Utc),
            id: id.parse().map_err(|_| invalid())?,
        })
    }
}

/// Given `limit + 1` rows fetched, trims the extra one and says where the next page starts.
pub fn split_page<T>(
    mut rows: Vec<T>,
    limit: i64,
    key: impl Fn(&T) -> Cursor,
) -> (Vec<T>, Option<String>) {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if rows.len() > limit {
        rows.truncate(limit);
        let next = rows.last().map(|r| key(r).encode());
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips() {
        let c = Cursor {
            at: Utc::now(),
            id: Uuid::new_v4(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("garbage!").is_err());
        // What a client could make of the position is refused: only sealed cursors are taken.
        let plain = URL_SAFE_NO_PAD.encode(format!("{}|{}", c.at.to_rfc3339(), c.id));
        assert!(Cursor::decode(&plain).is_err());
        assert!(
            !String::from_utf8_lossy(&URL_SAFE_NO_PAD.decode(c.encode()).unwrap())
                .contains(&c.id.to_string())
        );
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(PageParams::default().limit().unwrap(), 50);
        assert!(
            PageParams {
                limit: Some(0),
                cursor: None
            }
            .limit()
            .is_err()
        );
        assert!(
            PageParams {
                limit: Some(501),
                cursor: None
            }
            .limit()
            .is_err()
        );
    }

    #[test]
    fn split_page_reports_a_next_cursor_only_when_more_remain() {
        let key = |n: &u32| Cursor {
            at: DateTime::from_timestamp(i64::from(*n), 0).unwrap(),
            id: Uuid::nil(),
        };
        let (rows, next) = split_page(vec![1, 2, 3], 2, key);
        assert_eq!(rows, vec![1, 2]);
        assert_eq!(Cursor::decode(&next.unwrap()).unwrap(), key(&2));
        assert_eq!(split_page(vec![1, 2], 2, key).1, None);
    }
}
