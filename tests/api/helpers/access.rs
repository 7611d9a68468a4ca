//! A fake Cloudflare Access team for the shared Worker: a local server
//! publishing a key set of two RSA keys at `/cdn-cgi/access/certs` (two, so
//! a rotation's second key is exercised), the key it does not publish, and
//! assertions signed with any of them (RS256, by a dev-dependency: the
//! Worker itself verifies through WebCrypto).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::Sha256;

/// The application's audience tag the shared Worker expects (`ACCESS_AUD`).
pub const ACCESS_AUD: &str = "5a3c0e1f8b9d4e6f7a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f";

/// Which key signs an assertion.
#[derive(Debug, Clone, Copy)]
pub enum Key {
    /// Published, as the current key.
    Current,
    /// Published, as the next one of a rotation.
    Next,
    /// Never published: the set does not hold it.
    Stranger,
}

pub struct FakeTeam {
    /// `http://127.0.0.1:PORT`: `ACCESS_TEAM_DOMAIN` and every `iss`.
    pub origin: String,
    keys: [RsaPrivateKey; 3],
    fetches: Arc<AtomicUsize>,
}

static TEAM: OnceLock<FakeTeam> = OnceLock::new();

/// The team, started on first use (the harness starts it before the
/// Worker, whose settings name it).
pub fn fake_team() -> &'static FakeTeam {
    TEAM.get_or_init(FakeTeam::start)
}

impl FakeTeam {
    fn start() -> FakeTeam {
        let mut rng = rsa::rand_core::OsRng;
        let keys = [0, 1, 2].map(|_| RsaPrivateKey::new(&mut rng, 2048).expect("an RSA key"));
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port for the fake Access team");
        let origin = format!("http://{}", listener.local_addr().expect("its address"));
        let fetches = Arc::new(AtomicUsize::new(0));
        let certs = json!({
            "keys": [jwk(&keys[0], Key::Current), jwk(&keys[1], Key::Next)],
            // Cloudflare also publishes the keys as certificates: ignored.
            "public_cert": { "kid": kid(Key::Current), "cert": "-----BEGIN CERTIFICATE-----" },
        })
        .to_string();
        let counter = Arc::clone(&fetches);
        std::thread::spawn(move || serve(&listener, &certs, &counter));
        FakeTeam {
            origin,
            keys,
            fetches,
        }
    }

    /// How many times the key set was fetched so far.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// The claims of a valid assertion for `email` issued now.
    pub fn claims(&self, email: &str) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "aud": [ACCESS_AUD],
            "email": email,
            "exp": now + 600,
            "iat": now,
            "nbf": now,
            "iss": self.origin,
            "type": "app",
            "identity_nonce": "6ei69kawdKzMIAPF",
            "sub": "7335d417-61da-459d-899c-0a01c76a2f94",
            "country": "US",
        })
    }

    /// `claims` signed RS256 by `key`, with its `kid`.
    pub fn sign(&self, claims: &Value, key: Key) -> String {
        let header = json!({ "alg": "RS256", "kid": kid(key), "typ": "JWT" });
        let signed = format!("{}.{}", encode(&header), encode(claims));
        let private = match key {
            Key::Current => &self.keys[0],
            Key::Next => &self.keys[1],
            Key::Stranger => &self.keys[2],
        };
        let signature = SigningKey::<Sha256>::new(private.clone()).sign(signed.as_bytes());
        format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature.to_vec()))
    }

    /// A valid assertion for `email`, signed by the current key.
    pub fn assertion(&self, email: &str) -> String {
        self.sign(&self.claims(email), Key::Current)
    }
}

/// A JWT segment: base64url of the JSON.
pub fn encode(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn kid(key: Key) -> &'static str {
    match key {
        Key::Current => "test-current",
        Key::Next => "test-next",
        Key::Stranger => "test-stranger",
    }
}

fn jwk(key: &RsaPrivateKey, which: Key) -> Value {
    let b64 = |n: &rsa::BigUint| URL_SAFE_NO_PAD.encode(n.to_bytes_be());
    json!({
        "kid": kid(which),
        "kty": "RSA",
        "alg": "RS256",
        "use": "sig",
        "n": b64(key.n()),
        "e": b64(key.e()),
    })
}

/// Answers every request with the key set (one request per connection).
fn serve(listener: &TcpListener, certs: &str, fetches: &AtomicUsize) {
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let mut reader = BufReader::new(&mut stream);
        let mut line = String::new();
        // The request head, up to its blank line; the body (none) is not read.
        while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
            line.clear();
        }
        fetches.fetch_add(1, Ordering::SeqCst);
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{certs}",
            certs.len()
        );
        let _ = stream.write_all(answer.as_bytes());
    }
}
