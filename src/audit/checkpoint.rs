//! Signed checkpoints: statements of the chain's length and head hash, signed with an Ed25519 key the
//! service holds outside the database. A superuser can rewrite the whole trail and recompute every
//! link so that it verifies; they cannot sign a checkpoint. A copy of the checkpoints kept somewhere
//! else shows any such rewrite: the chain of today must still pass through every head they name.

use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A signed statement that the chain, at `made_at`, was `position` events long with `head_hash`
/// at its head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema, sqlx::FromRow)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "position": 42,
    "head_hash": "9f2c4e0b7a1d3c5e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6",
    "made_at": "2026-12-04T09:30:00.250000Z",
    "public_key": "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c",
    "signature": "404ecff64f4fb1ffb2c9ebe1225643f68a191677771c18624f896d2464db07e48b1fddcb9eb5ffdf6b9cf3b36e28d4db4d0bfc44ce0c1390678e89eb14fdc80f",
    "statement": "mash audit checkpoint\n42\n9f2c4e0b7a1d3c5e6f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6\n2026-12-04T09:30:00.250000Z\n"
}))]
pub struct Checkpoint {
    /// The chain's length: the position of its head.
    pub position: i64,
    pub head_hash: String,
    pub made_at: DateTime<Utc>,
    /// The signing key's public half, 32 bytes in hex (Ed25519, RFC 8032).
    pub public_key: String,
    /// The Ed25519 signature (RFC 8032, 64 bytes in hex) of `statement`'s UTF-8 bytes.
    pub signature: String,
    /// Exactly the text the signature covers, as UTF-8: the line `mash audit checkpoint`, then
    /// `position` in decimal, then `head_hash`, then `made_at` in RFC 3339 UTC with exactly six
    /// fractional digits and `Z` (`2026-12-04T09:30:00.250000Z`), each line ended by one `\n` (LF),
    /// nothing else. Verify the signature over these bytes, and check that they say what the other
    /// fields say.
    // Saved before it was answered, a checkpoint may lack it; the service always answers it.
    #[serde(default)]
    #[schema(required = true)]
    #[sqlx(skip)]
    pub statement: String,
}

/// The bytes a checkpoint's signature covers: a fixed text, so that any client can rebuild it.
pub fn statement(position: i64, head_hash: &str, made_at: DateTime<Utc>) -> String {
    format!(
        "mash audit checkpoint\n{position}\n{head_hash}\n{}\n",
        made_at.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

impl Checkpoint {
    /// The checkpoint with the text it signs, as it is answered.
    pub fn stated(mut self) -> Checkpoint {
        self.statement = statement(self.position, &self.head_hash, self.made_at);
        self
    }

    /// Whether the signature is the named key's, over this checkpoint's statement (and the
    /// statement it carries, if any, is that one).
    pub fn signed(&self) -> bool {
        let rebuilt = statement(self.position, &self.head_hash, self.made_at);
        if !self.statement.is_empty() && self.statement != rebuilt {
            return false;
        }
        let key = hex::decode(&self.public_key)
            .ok()
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .and_then(|k| VerifyingKey::from_bytes(&k).ok());
        let signature = hex::decode(&self.signature)
            .ok()
            .and_then(|s| <[u8; 64]>::try_from(s).ok())
            .map(|s| Signature::from_bytes(&s));
        match (key, signature) {
            (Some(key), Some(signature)) => {
                key.verify_strict(rebuilt.as_bytes(), &signature).is_ok()
            }
            _ => false,
        }
    }
}

/// The service's signing key.
pub struct Signer {
    key: SigningKey,
}

impl Signer {
    /// The key in `path` (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes), made there
    /// first, readable by its owner only, when the file does not exist.
    pub fn from_file(path: &Path) -> anyhow::Result<Signer> {
        use anyhow::Context;
        match std::fs::read_to_string(path) {
            Ok(pem) => {
                let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                    anyhow::anyhow!("{}: not an Ed25519 private key in PEM: {e}", path.display())
                })?;
                Ok(Signer { key })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let signer = Signer::generate();
                let pem = signer
                    .key
                    .to_pkcs8_pem(Default::default())
                    .map_err(|e| anyhow::anyhow!("encoding the new key: {e}"))?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                }
                use std::io::Write;
                use std::os::unix::fs::OpenOptionsExt;
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(path)
                    .and_then(|mut f| f.write_all(pem.as_bytes()))
                    .with_context(|| format!("writing {}", path.display()))?;
                tracing::info!(
                    path = %path.display(),
                    public_key = signer.public_key(),
                    "made a new audit signing key"
                );
                Ok(signer)
            }
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// A new key that lives only as long as this process.
    pub fn generate() -> Signer {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        Signer {
            key: SigningKey::from_bytes(&seed),
        }
    }

    pub fn public_key(&self) -> String {
        hex::encode(self.key.verifying_key().as_bytes())
    }

    pub fn sign(&self, position: i64, head_hash: &str, made_at: DateTime<Utc>) -> Checkpoint {
        let signature = self
            .key
            .sign(statement(position, head_hash, made_at).as_bytes());
        Checkpoint {
            position,
            head_hash: head_hash.to_string(),
            made_at,
            public_key: self.public_key(),
            signature: hex::encode(signature.to_bytes()),
            statement: String::new(),
        }
        .stated()
    }
}

/// Reads checkpoints saved earlier: a JSON array of them, a page of `GET /audit/checkpoints`
/// (its `items`), or one per line, each line a checkpoint or a whole page (as a scheduled `curl`
/// appending pages to a file leaves them).
pub fn parse_file(text: &str) -> anyhow::Result<Vec<Checkpoint>> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Saved {
        Array(Vec<Checkpoint>),
        Page { items: Vec<Checkpoint> },
        One(Box<Checkpoint>),
    }
    let flatten = |saved: Saved| match saved {
        Saved::Array(items) | Saved::Page { items } => items,
        Saved::One(one) => vec![*one],
    };
    if let Ok(whole) = serde_json::from_str::<Saved>(text) {
        return Ok(flatten(whole));
    }
    let mut all = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let saved = serde_json::from_str::<Saved>(line).map_err(|e| {
            anyhow::anyhow!("line {}: not a checkpoint or a page of them: {e}", i + 1)
        })?;
        all.extend(flatten(saved));
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_only_as_signed() {
        let signer = Signer::generate();
        let at = DateTime::from_timestamp(1_180_000_000, 123_456_000).unwrap();
        let good = signer.sign(7, &"a".repeat(64), at);
        assert!(good.signed());
        let mut moved = good.clone();
        moved.position = 8;
        assert!(!moved.signed());
        let mut rehashed = good.clone();
        rehashed.head_hash = "b".repeat(64);
        assert!(!rehashed.signed());
        let mut other = good.clone();
        other.public_key = Signer::generate().public_key();
        assert!(!other.signed());
        let mut garbage = good.clone();
        garbage.signature = "zz".into();
        assert!(!garbage.signed());
    }

    #[test]
    fn a_key_file_is_made_once_and_read_back() {
        let dir = std::env::temp_dir().join(format!("mash-key-{}", uuid::Uuid::new_v4()));
        let path = dir.join("audit.pem");
        let made = Signer::from_file(&path).unwrap();
        let read = Signer::from_file(&path).unwrap();
        assert_eq!(made.public_key(), read.public_key());
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&path, "not a key").unwrap();
        assert!(Signer::from_file(&path).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn saved_checkpoints_are_read_in_each_form() {
        let signer = Signer::generate();
        let at = DateTime::from_timestamp(1_180_000_000, 0).unwrap();
        let (a, b) = (signer.sign(1, "h1", at), signer.sign(2, "h2", at));
        let array = serde_json::to_string(&vec![&a, &b]).unwrap();
        let page = serde_json::json!({"items": [&a, &b], "next_cursor": null}).to_string();
        let lines = format!(
            "{}\n\n{}\n",
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
        let pages = format!(
            "{}\n{}\n",
            serde_json::json!({"items": [&a], "next_cursor": null}),
            serde_json::json!({"items": [&b], "next_cursor": null})
        );
        for text in [array, page, lines, pages] {
            assert_eq!(parse_file(&text).unwrap(), vec![a.clone(), b.clone()]);
        }
        assert!(parse_file("{\"position\": 1}\n").is_err());
    }
}
