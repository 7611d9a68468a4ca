//! Cloudflare Access assertions (`Cf-Access-Jwt-Assertion`), checked as
//! Cloudflare documents them ("Validate JWTs"): everything but the RSA
//! signature itself, which the Worker hands to WebCrypto (`auth::access`).
//!
//! The order is fixed so that no crypto runs on a token that could never
//! pass: [`Assertion::parse`] splits the token, refuses any header `alg`
//! but `RS256` (`none` included) and requires a `kid`; the Worker then
//! finds that `kid` in the team's key set ([`keys`]) and verifies the
//! signature over [`Assertion::signed`]; only a verified assertion's claims
//! are read by [`Assertion::identity`]: `aud` (a string or an array) holds
//! the application's tag, `iss` is the team's origin, `exp` is in the
//! future, `nbf` and `iat` are not (beyond [`LEEWAY_SECS`]), and `email` is
//! a valid address.
//!
//! Every refusal is a [`Refusal`]; no input panics (proptests below).

#![deny(clippy::arithmetic_side_effects)]

pub mod keys;
pub mod settings;
#[cfg(test)]
mod tests;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use crate::domain::account::Email;

/// How far ahead of this isolate's clock `nbf` and `iat` may be. workerd's
/// clock stands still while a request computes (it moves on I/O), so a
/// token issued this second can look a little early; a minute also covers
/// skew between the edge that signed it and the Worker. `exp` gets no
/// leeway: a token is refused from its expiry on (RFC 7519 §4.1.4).
pub const LEEWAY_SECS: i64 = 60;

/// Longer than any assertion Cloudflare issues (about 1 KB, more with
/// groups in the claims); a larger header is refused unread.
pub const MAX_TOKEN_BYTES: usize = 16 * 1024;

/// Why an assertion is refused: each is a 401 whose message says which
/// check failed (never the token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Cloudflare Access: no Cf-Access-Jwt-Assertion header.")]
    Missing,
    #[error("Cloudflare Access: the assertion is not a well-formed JWT.")]
    Malformed,
    #[error("Cloudflare Access: the assertion's algorithm is not RS256.")]
    Algorithm,
    #[error("Cloudflare Access: the assertion names no signing key (kid).")]
    NoKeyId,
    #[error("Cloudflare Access: the assertion is signed by a key not in the team's key set.")]
    UnknownKey,
    #[error("Cloudflare Access: the assertion's signature does not verify.")]
    Signature,
    #[error("Cloudflare Access: the assertion is not for this application (aud).")]
    Audience,
    #[error("Cloudflare Access: the assertion was not issued by this team (iss).")]
    Issuer,
    #[error("Cloudflare Access: the assertion has expired (exp).")]
    Expired,
    #[error("Cloudflare Access: the assertion is not valid yet (nbf or iat in the future).")]
    NotYetValid,
    #[error("Cloudflare Access: the assertion carries no e-mail address (a service token cannot sign in).")]
    NoEmail,
    #[error("Cloudflare Access: the assertion's e-mail address is not valid.")]
    BadEmail,
}

impl Refusal {
    /// A short name for the security log.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Algorithm => "algorithm",
            Self::NoKeyId => "no_kid",
            Self::UnknownKey => "unknown_key",
            Self::Signature => "signature",
            Self::Audience => "audience",
            Self::Issuer => "issuer",
            Self::Expired => "expired",
            Self::NotYetValid => "not_yet_valid",
            Self::NoEmail => "no_email",
            Self::BadEmail => "bad_email",
        }
    }
}

/// Where a team's Access lives: `ACCESS_TEAM_DOMAIN`, a bare host
/// (`myteam.cloudflareaccess.com`, meaning https) or an origin (`https://…`,
/// or `http://` to a loopback address for a local fake). Its serialisation
/// is the `iss` of the team's assertions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamOrigin(String);

impl TeamOrigin {
    /// `None` when the text is not a host or an origin (a path, query,
    /// credentials, or plain http to another machine are refused).
    pub fn parse(text: &str) -> Option<Self> {
        // Lower-cased first: a host is case-insensitive, and `idna`'s
        // ASCII-only adapter asserts (in debug builds) that it sees no
        // upper case beside non-ASCII letters.
        let text = text.trim().trim_end_matches('/').to_ascii_lowercase();
        let absolute = if text.contains("://") {
            text
        } else {
            format!("https://{text}")
        };
        let url = url::Url::parse(&absolute).ok()?;
        let target = crate::domain::network::UrlTarget::parse(&absolute)?;
        let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
        let scheme_ok = url.scheme() == "https" || (url.scheme() == "http" && target.is_loopback());
        (bare && scheme_ok && !target.has_credentials)
            .then(|| Self(url.origin().ascii_serialization()))
    }

    /// The `iss` the team's assertions carry.
    pub fn issuer(&self) -> &str {
        &self.0
    }

    /// Where the team publishes its signing keys (a JWKS).
    pub fn certs_url(&self) -> String {
        format!("{}/cdn-cgi/access/certs", self.0)
    }
}

/// What the deployment expects of an assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected<'a> {
    pub team: &'a TeamOrigin,
    /// `ACCESS_AUD`: the application's audience tag.
    pub audience: &'a str,
    /// This isolate's clock, in seconds since the epoch.
    pub now: i64,
}

/// A split assertion whose header passed; its signature is not checked yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Assertion<'t> {
    /// The signing key's id, to find in the team's key set.
    pub kid: String,
    /// `header.payload`: the bytes the signature covers.
    pub signed: &'t str,
    pub signature: Vec<u8>,
    claims: Map<String, Value>,
}

impl<'t> Assertion<'t> {
    /// Splits `token` and checks its header; reads the claims as JSON
    /// without trusting them.
    pub fn parse(token: &'t str) -> Result<Self, Refusal> {
        let token = token.trim();
        if token.is_empty() {
            return Err(Refusal::Missing);
        }
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Refusal::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Refusal::Malformed);
        };
        let header = json_object(header)?;
        if header.get("alg").and_then(Value::as_str) != Some("RS256") {
            return Err(Refusal::Algorithm);
        }
        let kid = match header.get("kid") {
            Some(Value::String(kid)) if !kid.is_empty() => kid.clone(),
            _ => return Err(Refusal::NoKeyId),
        };
        let claims = json_object(payload)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .filter(|s| !s.is_empty())
            .ok_or(Refusal::Malformed)?;
        let signed_len = token.len().saturating_sub(signature_len(token));
        let signed = token.get(..signed_len).ok_or(Refusal::Malformed)?;
        Ok(Self {
            kid,
            signed,
            signature,
            claims,
        })
    }

    /// The signed-in person, once the signature verified: every claim check
    /// Cloudflare documents, then the e-mail address.
    pub fn identity(&self, expected: &Expected<'_>) -> Result<Email, Refusal> {
        let claims = &self.claims;
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => aud == expected.audience,
            Some(Value::Array(auds)) => auds
                .iter()
                .any(|aud| aud.as_str() == Some(expected.audience)),
            _ => false,
        };
        if !audience_ok || expected.audience.is_empty() {
            return Err(Refusal::Audience);
        }
        if claims.get("iss").and_then(Value::as_str) != Some(expected.team.issuer()) {
            return Err(Refusal::Issuer);
        }
        let expires = seconds(claims.get("exp"))?.ok_or(Refusal::Expired)?;
        if expected.now >= expires {
            return Err(Refusal::Expired);
        }
        let latest_start = expected.now.saturating_add(LEEWAY_SECS);
        for claim in ["nbf", "iat"] {
            if seconds(claims.get(claim))?.is_some_and(|at| at > latest_start) {
                return Err(Refusal::NotYetValid);
            }
        }
        let email = match claims.get("email") {
            Some(Value::String(email)) if !email.trim().is_empty() => email,
            _ => return Err(Refusal::NoEmail),
        };
        Email::parse(email).map_err(|_| Refusal::BadEmail)
    }
}

/// The length of the token's last segment and the dot before it.
fn signature_len(token: &str) -> usize {
    token
        .rsplit('.')
        .next()
        .map_or(0, |s| s.len().saturating_add(1))
}

/// A base64url segment holding a JSON object.
fn json_object(segment: &str) -> Result<Map<String, Value>, Refusal> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| Refusal::Malformed)?;
    // From text, as the Worker's other JSON values are read: one copy of
    // the parser in the wasm, not a second for byte slices.
    let text = std::str::from_utf8(&bytes).map_err(|_| Refusal::Malformed)?;
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Refusal::Malformed),
    }
}

/// A NumericDate claim in whole seconds (RFC 7519 allows fractions; they
/// are dropped). Absent: `None`; not a number: malformed.
fn seconds(claim: Option<&Value>) -> Result<Option<i64>, Refusal> {
    match claim {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(saturating_seconds))
            .map(Some)
            .ok_or(Refusal::Malformed),
        Some(_) => Err(Refusal::Malformed),
    }
}

/// `f64 as i64` saturates at the bounds (no overflow, no panic): a date
/// beyond them is as far as a date can be.
#[allow(clippy::cast_possible_truncation)]
fn saturating_seconds(f: f64) -> i64 {
    f.floor() as i64
}
