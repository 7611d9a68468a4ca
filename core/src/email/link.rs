//! Signed links in messages: confirming an address and unsubscribing.
//!
//! A token is `<purpose>.<user>.<expires>.<signature>`, the signature an
//! HMAC-SHA256 over the same fields and the address's nonce, under a key
//! derived from `JWT_SECRET` (a link can never pass for a session, nor a
//! session for a link). The nonce is random per address set: a new address
//! makes every older link of the account worthless, and nothing in the
//! token names the address or any secret.

#![deny(clippy::arithmetic_side_effects)]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a confirmation link works.
pub const CONFIRM_TTL_SECS: i64 = 24 * 3600;
/// How long an unsubscribe link works: a year, so an old digest's link
/// still stops the mail.
pub const UNSUBSCRIBE_TTL_SECS: i64 = 365 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Confirm,
    Unsubscribe,
}

impl Purpose {
    fn tag(self) -> &'static str {
        match self {
            Purpose::Confirm => "c",
            Purpose::Unsubscribe => "u",
        }
    }

    pub fn ttl_secs(self) -> i64 {
        match self {
            Purpose::Confirm => CONFIRM_TTL_SECS,
            Purpose::Unsubscribe => UNSUBSCRIBE_TTL_SECS,
        }
    }
}

/// A token's claims, read before its signature is checked (the nonce to
/// check it with is the user's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claims {
    pub purpose: Purpose,
    pub org_id: i64,
    pub expires: i64,
}

/// Why a token is refused: said the same way to the caller either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Malformed,
    Expired,
    BadSignature,
}

fn derived_key(secret: &[u8]) -> Vec<u8> {
    mac(secret, b"openrouter-watcher email links v1")
}

fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn signed_part(claims: &Claims, nonce: &str) -> String {
    format!(
        "{}.{}.{}.{nonce}",
        claims.purpose.tag(),
        claims.org_id,
        claims.expires
    )
}

/// A token for `purpose`, valid from `now` (unix seconds) for its TTL.
pub fn sign(secret: &[u8], purpose: Purpose, org_id: i64, nonce: &str, now: i64) -> String {
    let claims = Claims {
        purpose,
        org_id,
        expires: now.saturating_add(purpose.ttl_secs()),
    };
    let signature = mac(&derived_key(secret), signed_part(&claims, nonce).as_bytes());
    format!(
        "{}.{}.{}.{}",
        purpose.tag(),
        org_id,
        claims.expires,
        URL_SAFE_NO_PAD.encode(signature)
    )
}

/// The claims of a well-formed token of `purpose` (unchecked).
pub fn claims(token: &str, purpose: Purpose) -> Result<Claims, Refused> {
    let mut parts = token.split('.');
    let (Some(tag), Some(user), Some(expires), Some(_), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(Refused::Malformed);
    };
    if tag != purpose.tag() {
        return Err(Refused::Malformed);
    }
    let org_id = user.parse::<i64>().map_err(|_| Refused::Malformed)?;
    let expires = expires.parse::<i64>().map_err(|_| Refused::Malformed)?;
    Ok(Claims {
        purpose,
        org_id,
        expires,
    })
}

/// Checks a token against the user's current nonce at `now`.
pub fn verify(
    secret: &[u8],
    token: &str,
    purpose: Purpose,
    nonce: &str,
    now: i64,
) -> Result<Claims, Refused> {
    let claims = claims(token, purpose)?;
    let given = token
        .rsplit('.')
        .next()
        .and_then(|s| URL_SAFE_NO_PAD.decode(s).ok())
        .ok_or(Refused::Malformed)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&derived_key(secret))
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(signed_part(&claims, nonce).as_bytes());
    // Constant time, whatever the given signature's length.
    mac.verify_slice(&given)
        .map_err(|_| Refused::BadSignature)?;
    if now >= claims.expires {
        return Err(Refused::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SECRET: &[u8] = b"a test secret of at least 32 bytes!!";

    #[test]
    fn a_token_verifies_until_it_expires() {
        let token = sign(SECRET, Purpose::Confirm, 7, "n1", 1_000);
        let ok = verify(SECRET, &token, Purpose::Confirm, "n1", 1_000).unwrap();
        assert_eq!((ok.org_id, ok.expires), (7, 1_000 + CONFIRM_TTL_SECS));
        assert_eq!(
            verify(
                SECRET,
                &token,
                Purpose::Confirm,
                "n1",
                1_000 + CONFIRM_TTL_SECS
            ),
            Err(Refused::Expired)
        );
    }

    #[test]
    fn another_nonce_purpose_secret_or_field_is_refused() {
        let token = sign(SECRET, Purpose::Confirm, 7, "n1", 1_000);
        assert_eq!(
            verify(SECRET, &token, Purpose::Confirm, "n2", 1_000),
            Err(Refused::BadSignature)
        );
        assert_eq!(
            verify(SECRET, &token, Purpose::Unsubscribe, "n1", 1_000),
            Err(Refused::Malformed)
        );
        assert_eq!(
            verify(b"another secret", &token, Purpose::Confirm, "n1", 1_000),
            Err(Refused::BadSignature)
        );
        let later = token.replacen(".87400.", ".99999999.", 1);
        assert_ne!(later, token);
        assert_eq!(
            verify(SECRET, &later, Purpose::Confirm, "n1", 1_000),
            Err(Refused::BadSignature)
        );
        let other_user = token.replacen("c.7.", "c.8.", 1);
        assert_eq!(
            verify(SECRET, &other_user, Purpose::Confirm, "n1", 1_000),
            Err(Refused::BadSignature)
        );
    }

    #[test]
    fn the_token_names_no_secret() {
        let token = sign(SECRET, Purpose::Unsubscribe, 7, "nonce-value", 1_000);
        assert!(!token.contains("nonce-value"));
        assert!(token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)));
    }

    proptest! {
        #[test]
        fn any_input_is_an_answer_not_a_panic(token in ".{0,200}", now in any::<i64>()) {
            let _ = verify(SECRET, &token, Purpose::Confirm, "n", now);
            let _ = verify(SECRET, &token, Purpose::Unsubscribe, "n", now);
        }

        #[test]
        fn extreme_times_sign_and_verify(now in any::<i64>(), user in any::<i64>()) {
            let token = sign(SECRET, Purpose::Unsubscribe, user, "n", now);
            let claims = claims(&token, Purpose::Unsubscribe).unwrap();
            prop_assert_eq!(claims.org_id, user);
            let verdict = verify(SECRET, &token, Purpose::Unsubscribe, "n", now);
            prop_assert!(verdict.is_ok() || now == i64::MAX || claims.expires == now);
        }
    }
}
