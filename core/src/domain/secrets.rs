//! Secret formats: API tokens (`or_api_…`) and OpenRouter keys (`sk-or-…`),
//! and the one-way fingerprints stored in their place.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::Invalid;

pub const API_TOKEN_PREFIX: &str = "or_api_";
const API_TOKEN_RANDOM_BYTES: usize = 32;
/// Characters of the token kept for display (`or_api_` plus 6).
const API_TOKEN_DISPLAY_CHARS: usize = API_TOKEN_PREFIX.len() + 6;

/// Lower-case hex SHA-256: how tokens and keys are looked up without being kept.
pub fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

/// A freshly minted API token. The plaintext leaves the Worker once, in the
/// creation response; only `hash` and `prefix` are stored.
pub struct NewApiToken {
    pub plaintext: String,
    pub hash: String,
    pub prefix: String,
}

impl NewApiToken {
    pub fn from_random(random: [u8; API_TOKEN_RANDOM_BYTES]) -> Self {
        let plaintext = format!("{API_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
        Self {
            hash: sha256_hex(&plaintext),
            prefix: plaintext[..API_TOKEN_DISPLAY_CHARS].to_owned(),
            plaintext,
        }
    }

    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut random = [0u8; API_TOKEN_RANDOM_BYTES];
        getrandom::getrandom(&mut random)?;
        Ok(Self::from_random(random))
    }
}

/// Invitations' single-use tokens (`or_inv_` + 43 base64url characters):
/// shown once to whoever invites, only their hash kept.
pub const INVITATION_PREFIX: &str = "or_inv_";

/// How long an invitation can be accepted.
pub const INVITATION_DAYS: i64 = 7;

/// A new invitation token: (plaintext, hash).
pub fn new_invitation_token() -> Result<(String, String), getrandom::Error> {
    let mut random = [0u8; API_TOKEN_RANDOM_BYTES];
    getrandom::getrandom(&mut random)?;
    let plaintext = format!("{INVITATION_PREFIX}{}", URL_SAFE_NO_PAD.encode(random));
    let hash = sha256_hex(&plaintext);
    Ok((plaintext, hash))
}

/// The hash of a presented invitation token of the shape we mint, else
/// `None` (nothing malformed reaches the database).
pub fn invitation_hash(presented: &str) -> Option<String> {
    let body = presented.strip_prefix(INVITATION_PREFIX)?;
    let decoded = URL_SAFE_NO_PAD.decode(body).ok()?;
    (decoded.len() == API_TOKEN_RANDOM_BYTES).then(|| sha256_hex(presented))
}

/// The hash of a presented API token if it has the exact shape we mint
/// (`or_api_` + 43 base64url characters), else `None`: malformed tokens
/// never reach the database.
pub fn api_token_hash(presented: &str) -> Option<String> {
    let body = presented.strip_prefix(API_TOKEN_PREFIX)?;
    let decoded = URL_SAFE_NO_PAD.decode(body).ok()?;
    (decoded.len() == API_TOKEN_RANDOM_BYTES).then(|| sha256_hex(presented))
}

pub fn looks_like_api_token(presented: &str) -> bool {
    presented.starts_with(API_TOKEN_PREFIX)
}

/// A syntactically plausible OpenRouter key. Its `Debug` never shows it.
pub struct OpenRouterKey(String);

impl OpenRouterKey {
    /// `sk-or-` followed by 20–200 characters of `[A-Za-z0-9_-]`
    /// (today's keys are `sk-or-v1-` + 64 hex).
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let key = input.trim();
        let rest = key
            .strip_prefix("sk-or-")
            .ok_or_else(|| Invalid::new("key", "must be an OpenRouter key starting with sk-or-"))?;
        let charset_ok = rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !(20..=200).contains(&rest.len()) || !charset_ok {
            return Err(Invalid::new("key", "is not a well-formed OpenRouter key"));
        }
        Ok(Self(key.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }

    /// What the dashboard may show: the family prefix and the last 4 chars.
    pub fn preview(&self) -> String {
        let family = if self.0.starts_with("sk-or-v1-") {
            "sk-or-v1-"
        } else {
            "sk-or-"
        };
        let tail = &self.0[self.0.len() - 4..];
        format!("{family}…{tail}")
    }
}

impl std::fmt::Debug for OpenRouterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "OpenRouterKey({})", self.preview())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_documented_shape() {
        let token = NewApiToken::from_random([7u8; 32]);
        assert!(token.plaintext.starts_with("or_api_"));
        assert_eq!(token.plaintext.len(), 7 + 43);
        assert_eq!(token.hash.len(), 64);
        assert_eq!(token.hash, sha256_hex(&token.plaintext));
        assert!(token.plaintext.starts_with(&token.prefix));
        assert_eq!(token.prefix.len(), 13);
        assert_eq!(api_token_hash(&token.plaintext), Some(token.hash));
    }

    #[test]
    fn generated_tokens_differ() {
        let a = NewApiToken::generate().unwrap();
        let b = NewApiToken::generate().unwrap();
        assert_ne!(a.plaintext, b.plaintext);
    }

    #[test]
    fn malformed_tokens_have_no_hash() {
        let good = NewApiToken::from_random([1u8; 32]).plaintext;
        for bad in [
            "",
            "or_api_",
            "or_api_short",
            "Bearer x",
            "eyJhbGciOiJIUzI1NiJ9.e30.x",
            &good[1..],
            &format!("{good}A"),
        ] {
            assert_eq!(api_token_hash(bad), None, "{bad}");
        }
    }

    #[test]
    fn openrouter_keys_are_checked_and_previewed() {
        let raw = format!("sk-or-v1-{}", "ab12".repeat(16));
        let key = OpenRouterKey::parse(&raw).unwrap();
        assert_eq!(key.preview(), "sk-or-v1-…ab12");
        assert!(!format!("{key:?}").contains(&raw));
        assert_eq!(key.hash(), sha256_hex(&raw));
        for bad in [
            "",
            "sk-123",
            "sk-or-",
            "sk-or-short",
            &format!("sk-or-v1-{}!", "a".repeat(40)),
            &format!("sk-or-{}", "a".repeat(201)),
        ] {
            assert!(OpenRouterKey::parse(bad).is_err(), "{bad}");
        }
    }
}
