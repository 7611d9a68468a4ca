//! Webhook secrets and signatures.
//!
//! A delivery carries `X-Watcher-Timestamp: <unix seconds>` and
//! `X-Watcher-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`:
//! the receiver recomputes it over the raw body, compares in constant time,
//! and refuses old timestamps (a replayed delivery).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SECRET_PREFIX: &str = "whsec_";
const SECRET_RANDOM_BYTES: usize = 32;

/// A new signing secret: shown to its owner once, then stored sealed.
pub fn new_secret() -> Result<String, getrandom::Error> {
    let mut random = [0u8; SECRET_RANDOM_BYTES];
    getrandom::getrandom(&mut random)?;
    Ok(format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(random)))
}

/// The `X-Watcher-Signature` value for `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_timestamp_and_the_raw_body() {
        // Reference value: python3 -c "import hmac,hashlib;
        // print(hmac.new(b'whsec_test', b'1700000000.{\"a\":1}', hashlib.sha256).hexdigest())"
        assert_eq!(
            signature("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert_ne!(
            signature("whsec_test", 1_700_000_001, br#"{"a":1}"#),
            signature("whsec_test", 1_700_000_000, br#"{"a":1}"#)
        );
    }

    #[test]
    fn secrets_are_random_and_prefixed() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert!(a.starts_with(SECRET_PREFIX));
        assert_eq!(a.len(), SECRET_PREFIX.len() + 43);
        assert_ne!(a, b);
    }
}
