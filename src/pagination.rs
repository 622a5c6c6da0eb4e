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
use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{IntoParams, PartialSchema, ToSchema};
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
fn seal(position: &str) -> String {
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
fn open(cursor: &str) -> Result<String, ApiError> {
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

/// A cursor for `position`: sealed, so opaque. Every list's cursor is made here, whatever its
/// position is (a time and an id, a place in the audit chain, a place in the chronology).
pub fn encode<P: Serialize>(position: &P) -> String {
    seal(&serde_json::to_string(position).expect("a position serialises"))
}

/// The position a cursor from [`encode`] holds; a 422 naming `cursor` for anything else.
pub fn decode<P: DeserializeOwned>(cursor: &str) -> Result<P, ApiError> {
    serde_json::from_str(&open(cursor)?)
        .map_err(|_| ApiError::validation("cursor", "not a cursor this service issued"))
}

/// The usual position: a list ordered by a timestamp and then an id.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

/// The page asked for: how many items, after which position.
#[derive(Debug, Clone, Copy)]
pub struct Window<P> {
    pub limit: i64,
    pub after: Option<P>,
}

impl<P> Window<P> {
    /// How many rows to read: one more than the page, to tell whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

impl PageParams {
    /// The page asked for, with its cursor opened.
    pub fn window<P: DeserializeOwned>(&self) -> Result<Window<P>, ApiError> {
        Ok(Window {
            limit: self.limit()?,
            after: self.cursor.as_deref().map(decode).transpose()?,
        })
    }
}

/// A page of a list: its items, and where the next page starts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page in `rows`, read with [`Window::fetch`]: the extra row, if there is one, is dropped
    /// and says that a next page starts after the last item kept.
    pub fn of<P: Serialize>(mut rows: Vec<T>, limit: i64, position: impl Fn(&T) -> P) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let next_cursor = (rows.len() > limit)
            .then(|| {
                rows.truncate(limit);
                rows.last().map(|r| encode(&position(r)))
            })
            .flatten();
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

/// Something lists are made of: the name its page has in the contract, and what the page's
/// cursor leads to.
pub trait Listed: ToSchema {
    const PAGE: &'static str;
    const NEXT: &'static str = "Pass as `cursor` for the next page; `null` on the last page.";
}

impl<T: Listed> PartialSchema for Page<T> {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property(
                "items",
                ArrayBuilder::new().items(Ref::from_schema_name(T::name())),
            )
            .required("items")
            .property(
                "next_cursor",
                ObjectBuilder::new()
                    .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                    .description(Some(T::NEXT)),
            )
            .into()
    }
}

impl<T: Listed> ToSchema for Page<T> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(T::PAGE)
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_only_sealed_ones_are_taken() {
        let c = Cursor {
            at: Utc::now(),
            id: Uuid::new_v4(),
        };
        assert_eq!(decode::<Cursor>(&encode(&c)).unwrap(), c);
        assert_eq!(decode::<i64>(&encode(&42i64)).unwrap(), 42);
        assert!(decode::<Cursor>("garbage!").is_err());
        // A cursor of one list is no cursor of another.
        assert!(decode::<Cursor>(&encode(&42i64)).is_err());
        // What a client could make of a position is refused, and a cursor shows nothing of it.
        let plain = URL_SAFE_NO_PAD.encode(serde_json::to_string(&c).unwrap());
        assert!(decode::<Cursor>(&plain).is_err());
        let sealed = URL_SAFE_NO_PAD.decode(encode(&c)).unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains(&c.id.to_string()));
    }

    #[test]
    fn limit_bounds() {
        assert_eq!(PageParams::default().limit().unwrap(), 50);
        for bad in [0, 501] {
            let params = PageParams {
                limit: Some(bad),
                cursor: None,
            };
            assert!(params.limit().is_err());
        }
    }

    #[test]
    fn a_page_says_where_the_next_starts_only_when_more_remain() {
        let key = |n: &u32| Cursor {
            at: DateTime::from_timestamp(i64::from(*n), 0).unwrap(),
            id: Uuid::nil(),
        };
        let page = Page::of(vec![1, 2, 3], 2, key);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(
            decode::<Cursor>(&page.next_cursor.unwrap()).unwrap(),
            key(&2)
        );
        assert_eq!(Page::of(vec![1, 2], 2, key).next_cursor, None);
    }
}
