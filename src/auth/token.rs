//! Access tokens: HS256 JWTs with `sub`, `sid` (the session), `agency`, `role`, `iat`, `nbf`, `exp`,
//! `iss` and `aud`. Only HS256 is accepted, and every claim above is required and checked: a token
//! issued in the future, or living longer than the service issues them for, is refused too. A
//! token's signature is not enough on its own: the caller checks that its session is still live.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::users::User;
use crate::vocabulary::{Agency, Role};

pub const ISSUER: &str = "mash";
pub const AUDIENCE: &str = "mash-api";
/// Clock difference tolerated between issuing and checking.
const LEEWAY_SECS: u64 = 5;

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    /// The session the token belongs to.
    pub sid: Uuid,
    pub agency: Option<Agency>,
    pub role: Role,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "sub", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            ttl,
        }
    }

    pub fn issue(&self, user: &User, session: Uuid) -> anyhow::Result<String> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user.id,
            sid: session,
            agency: user.agency,
            role: user.role,
            iat: now,
            nbf: now,
            exp: now + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2),
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        let claims = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()?
            .claims;
        let leeway = LEEWAY_SECS as i64;
        let longest = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let issued_in_the_future = claims.iat > Utc::now().timestamp() + leeway;
        let lives_too_long = claims.exp.saturating_sub(claims.iat) > longest + leeway;
        (!issued_in_the_future && !lives_too_long).then_some(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: Uuid::new_v4(),
            username: "u".into(),
            display_name: "U".into(),
            agency: Some(Agency::Police),
            role: Role::Practitioner,
            password_hash: String::new(),
            disabled: false,
            created_at: Utc::now(),
            team_id: None,
        }
    }

    #[test]
    fn issued_tokens_verify_and_foreign_ones_do_not() {
        let keys = TokenKeys::new(&[7; 32], Duration::from_secs(60));
        let other = TokenKeys::new(&[8; 32], Duration::from_secs(60));
        let u = user();
        let token = keys.issue(&u, Uuid::new_v4()).unwrap();
        let claims = keys.verify(&token).unwrap();
        assert_eq!(
            (claims.sub, claims.agency, claims.role),
            (u.id, u.agency, u.role)
        );
        assert!(other.verify(&token).is_none());
        assert!(keys.verify("not.a.token").is_none());
    }

    #[test]
    fn expired_tokens_are_refused() {
        let keys = TokenKeys::new(&[7; 32], Duration::from_secs(0));
        let mut claims = keys
            .verify(&keys.issue(&user(), Uuid::new_v4()).unwrap())
            .unwrap();
        claims.exp -= 3600;
        claims.iat -= 3600;
        claims.nbf -= 3600;
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding).unwrap();
        assert!(keys.verify(&token).is_none());
    }

    #[test]
    fn tokens_from_the_future_or_living_too_long_are_refused() {
        let keys = TokenKeys::new(&[7; 32], Duration::from_secs(900));
        let good = keys
            .verify(&keys.issue(&user(), Uuid::new_v4()).unwrap())
            .unwrap();
        let sign = |c: &Claims| {
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), c, &keys.encoding).unwrap()
        };
        let hour = 3600;
        let future_iat = Claims {
            iat: good.iat + hour,
            ..clone(&good)
        };
        let not_yet = Claims {
            nbf: good.nbf + hour,
            ..clone(&good)
        };
        let too_long = Claims {
            exp: good.iat + 10 * hour,
            ..clone(&good)
        };
        for claims in [future_iat, not_yet, too_long] {
            assert!(keys.verify(&sign(&claims)).is_none(), "{claims:?}");
        }
        assert!(keys.verify(&sign(&good)).is_some());
    }

    fn clone(c: &Claims) -> Claims {
        serde_json::from_value(serde_json::to_value(c).unwrap()).unwrap()
    }
}
