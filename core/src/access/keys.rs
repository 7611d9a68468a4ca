//! The team's signing keys: its JWKS (`/cdn-cgi/access/certs`) read into
//! plain values, and when the Worker may use its copy or must fetch again.
//!
//! Each isolate keeps one copy (plain values, never a promise: a request
//! never waits on another request's fetch) for [`FRESH_SECS`]; a `kid` it
//! does not hold makes it fetch again, at most once per
//! [`REFETCH_AFTER_SECS`], so Cloudflare's key rotation is picked up at
//! once while a stream of made-up `kid`s costs one fetch a minute.

#![deny(clippy::arithmetic_side_effects)]

use serde_json::Value;

/// How long a fetched key set is used before it is fetched again.
/// Cloudflare rotates the signing key every 6 weeks and keeps the previous
/// one published for 7 days, so an hour is never stale for long.
pub const FRESH_SECS: i64 = 3600;

/// The least time between two fetches caused by an unknown `kid`.
pub const REFETCH_AFTER_SECS: i64 = 60;

/// The largest key-set answer read (Cloudflare's is about 3 KB: two keys
/// and their certificates).
pub const MAX_KEY_SET_BYTES: usize = 64 * 1024;

/// An RSA public key of the set, as WebCrypto imports it (`jwk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jwk {
    pub kid: String,
    /// The modulus and exponent, base64url.
    pub n: String,
    pub e: String,
}

impl Jwk {
    /// The JSON WebCrypto's `importKey('jwk', …)` takes: an RS256 public key
    /// for verifying only.
    pub fn to_import_json(&self) -> String {
        serde_json::json!({
            "kty": "RSA",
            "alg": "RS256",
            "n": self.n,
            "e": self.e,
            "ext": true,
            "key_ops": ["verify"],
        })
        .to_string()
    }
}

/// The RS256 signing keys of a JWKS answer (`{"keys": [...]}`); entries of
/// another kind or use, or without `kid`, `n` and `e`, are skipped. `None`
/// when the answer is not a key set at all.
pub fn parse_key_set(body: &[u8]) -> Option<Vec<Jwk>> {
    if body.len() > MAX_KEY_SET_BYTES {
        return None;
    }
    // From text: see `access::json_object`.
    let set: Value = serde_json::from_str(std::str::from_utf8(body).ok()?).ok()?;
    let keys = set.get("keys")?.as_array()?;
    Some(keys.iter().filter_map(rs256_key).collect())
}

fn rs256_key(key: &Value) -> Option<Jwk> {
    let text = |name: &str| key.get(name).and_then(Value::as_str);
    let fits = |name: &str, wanted: &str| text(name).is_none_or(|v| v == wanted);
    let usable = text("kty") == Some("RSA") && fits("alg", "RS256") && fits("use", "sig");
    let nonempty = |name: &str| text(name).filter(|v| !v.is_empty()).map(str::to_owned);
    usable.then_some(())?;
    Some(Jwk {
        kid: nonempty("kid")?,
        n: nonempty("n")?,
        e: nonempty("e")?,
    })
}

/// An isolate's copy of a team's key set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cached {
    /// Where it came from: a copy of another team's set is no copy.
    pub url: String,
    /// When it was fetched, in seconds since the epoch.
    pub fetched_at: i64,
    pub keys: Vec<Jwk>,
}

/// What to do for one `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The copy holds it.
    Use(Jwk),
    /// No usable copy, or the `kid` is unknown and the copy is old enough
    /// to ask again: fetch, then [`find`] in what came.
    Fetch,
    /// Unknown, and the set was fetched less than a minute ago.
    Unknown,
}

/// Whether `cached` answers for `kid` of the set at `url` at `now`.
pub fn lookup(cached: Option<&Cached>, url: &str, kid: &str, now: i64) -> Lookup {
    let Some(cached) = cached.filter(|c| c.url == url) else {
        return Lookup::Fetch;
    };
    // A clock that went back makes the copy's age unknown: fetch again.
    let Some(age) = now.checked_sub(cached.fetched_at).filter(|age| *age >= 0) else {
        return Lookup::Fetch;
    };
    if age >= FRESH_SECS {
        return Lookup::Fetch;
    }
    match find(&cached.keys, kid) {
        Some(key) => Lookup::Use(key),
        None if age >= REFETCH_AFTER_SECS => Lookup::Fetch,
        None => Lookup::Unknown,
    }
}

/// The key `kid` names in `keys`.
pub fn find(keys: &[Jwk], kid: &str) -> Option<Jwk> {
    keys.iter().find(|key| key.kid == kid).cloned()
}
