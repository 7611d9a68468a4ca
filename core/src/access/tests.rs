use super::keys::{self, Cached, Jwk, Lookup};
use super::*;
use proptest::prelude::*;
use serde_json::json;

const NOW: i64 = 1_800_000_000;
const AUD: &str = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

fn team() -> TeamOrigin {
    TeamOrigin::parse("myteam.cloudflareaccess.com").unwrap()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn token(header: Value, claims: Value) -> String {
    format!("{}.{}.c2ln", b64(&header), b64(&claims))
}

fn claims() -> Value {
    json!({
        "aud": [AUD],
        "email": "Ada@Example.com",
        "exp": NOW + 600,
        "iat": NOW - 5,
        "nbf": NOW - 5,
        "iss": "https://myteam.cloudflareaccess.com",
        "type": "app",
        "identity_nonce": "6ei69kawdKzMIAPF",
        "sub": "7335d417-61da-459d-899c-0a01c76a2f94",
        "country": "US"
    })
}

fn rs256() -> Value {
    json!({"alg": "RS256", "kid": "k1", "typ": "JWT"})
}

/// The identity `claims` give, their signature taken as verified.
fn identity(claims: Value) -> Result<Email, Refusal> {
    let token = token(rs256(), claims);
    let team = team();
    let expected = Expected {
        team: &team,
        audience: AUD,
        now: NOW,
    };
    Assertion::parse(&token)?.identity(&expected)
}

fn with(field: &str, value: Value) -> Value {
    let mut claims = claims();
    claims[field] = value;
    claims
}

fn without(field: &str) -> Value {
    let mut claims = claims();
    claims.as_object_mut().unwrap().remove(field);
    claims
}

#[test]
fn team_domains_are_hosts_or_origins() {
    let origin = |text: &str| TeamOrigin::parse(text).map(|t| t.issuer().to_owned());
    let https = Some("https://myteam.cloudflareaccess.com".to_owned());
    assert_eq!(origin("myteam.cloudflareaccess.com"), https);
    assert_eq!(origin(" https://MyTeam.cloudflareaccess.com/ "), https);
    assert_eq!(origin("https://myteam.cloudflareaccess.com:443"), https);
    assert_eq!(
        origin("http://127.0.0.1:9999").as_deref(),
        Some("http://127.0.0.1:9999")
    );
    assert_eq!(
        team().certs_url(),
        "https://myteam.cloudflareaccess.com/cdn-cgi/access/certs"
    );
    for refused in [
        "",
        "http://myteam.cloudflareaccess.com",
        "https://myteam.cloudflareaccess.com/path",
        "https://myteam.cloudflareaccess.com?x=1",
        "https://user:pw@myteam.cloudflareaccess.com",
        "ftp://myteam.cloudflareaccess.com",
        "my team",
        // Upper case beside non-ASCII once tripped a debug assertion in idna.
        "A\u{a1}",
    ] {
        assert_eq!(origin(refused), None, "{refused}");
    }
}

#[test]
fn a_valid_assertion_names_its_email_normalised() {
    assert_eq!(identity(claims()).unwrap().as_str(), "ada@example.com");
    assert!(identity(with("aud", json!(AUD))).is_ok(), "aud as a string");
    let token = token(rs256(), claims());
    let parsed = Assertion::parse(&token).unwrap();
    assert_eq!(parsed.kid, "k1");
    assert_eq!(parsed.signature, b"sig");
    assert_eq!(format!("{}.c2ln", parsed.signed), token);
}

#[test]
fn only_rs256_with_a_kid_passes_the_header() {
    let claims = b64(&claims());
    for alg in [json!("none"), json!("HS256"), json!("RS512"), json!(null)] {
        let header = b64(&json!({"alg": alg, "kid": "k1"}));
        for sig in ["", "c2ln"] {
            let token = format!("{header}.{claims}.{sig}");
            assert_eq!(Assertion::parse(&token), Err(Refusal::Algorithm), "{alg}");
        }
    }
    let header = b64(&json!({"alg": "RS256"}));
    let token = format!("{header}.{claims}.c2ln");
    assert_eq!(Assertion::parse(&token), Err(Refusal::NoKeyId));
}

#[test]
fn malformed_tokens_are_refused() {
    let good = token(rs256(), claims());
    let header = b64(&rs256());
    for bad in [
        "abc".to_owned(),
        "a.b".to_owned(),
        format!("{good}.extra"),
        format!("{header}.bm90IGpzb24.c2ln"),
        format!("{header}.W10.c2ln"),
        format!("{header}.{}.", b64(&claims())),
        format!("{header}.{}.c2ln=", b64(&claims())),
        format!("{}.{}", "a".repeat(MAX_TOKEN_BYTES), good),
    ] {
        assert_eq!(Assertion::parse(&bad), Err(Refusal::Malformed), "{bad:.60}");
    }
    assert_eq!(Assertion::parse("  "), Err(Refusal::Missing));
}

#[test]
fn each_claim_check_refuses_with_its_reason() {
    let cases = [
        (with("aud", json!(["other"])), Refusal::Audience),
        (with("aud", json!("other")), Refusal::Audience),
        (with("aud", json!(7)), Refusal::Audience),
        (without("aud"), Refusal::Audience),
        (
            with("iss", json!("https://other.cloudflareaccess.com")),
            Refusal::Issuer,
        ),
        (without("iss"), Refusal::Issuer),
        (with("exp", json!(NOW)), Refusal::Expired),
        (with("exp", json!(NOW - 3600)), Refusal::Expired),
        (without("exp"), Refusal::Expired),
        (with("exp", json!("tomorrow")), Refusal::Malformed),
        (
            with("nbf", json!(NOW + LEEWAY_SECS + 1)),
            Refusal::NotYetValid,
        ),
        (with("iat", json!(NOW + 3600)), Refusal::NotYetValid),
        (without("email"), Refusal::NoEmail),
        (with("email", json!("")), Refusal::NoEmail),
        (with("email", json!(["a@b.c"])), Refusal::NoEmail),
        (with("email", json!("not an address")), Refusal::BadEmail),
    ];
    for (claims, refusal) in cases {
        assert_eq!(identity(claims.clone()), Err(refusal), "{claims}");
    }
}

#[test]
fn the_leeway_covers_a_clock_a_little_behind_and_exp_gets_none() {
    assert!(identity(with("nbf", json!(NOW + LEEWAY_SECS))).is_ok());
    assert!(identity(with("iat", json!(NOW + 1))).is_ok());
    assert!(identity(with("exp", json!(NOW + 1))).is_ok());
    assert!(identity(with("exp", json!(1.0e300))).is_ok(), "far future");
    assert_eq!(
        identity(with("exp", json!(-1.0e300))),
        Err(Refusal::Expired)
    );
}

#[test]
fn an_empty_expected_audience_matches_nothing() {
    let token = token(rs256(), with("aud", json!([""])));
    let team = team();
    let expected = Expected {
        team: &team,
        audience: "",
        now: NOW,
    };
    let parsed = Assertion::parse(&token).unwrap();
    assert_eq!(parsed.identity(&expected), Err(Refusal::Audience));
}

/// Cloudflare's answer has this shape (trimmed): two keys, plus the same
/// keys as certificates.
const CERTS: &str = r#"{
  "keys": [
    {"kid": "k1", "kty": "RSA", "alg": "RS256", "use": "sig", "e": "AQAB", "n": "n1"},
    {"kid": "k2", "kty": "RSA", "alg": "RS256", "use": "sig", "e": "AQAB", "n": "n2"},
    {"kid": "ec", "kty": "EC", "crv": "P-256", "x": "x", "y": "y"},
    {"kid": "enc", "kty": "RSA", "use": "enc", "e": "AQAB", "n": "n3"},
    {"kid": "", "kty": "RSA", "e": "AQAB", "n": "n4"}
  ],
  "public_cert": {"kid": "k1", "cert": "-----BEGIN CERTIFICATE-----"},
  "public_certs": [{"kid": "k1", "cert": "…"}]
}"#;

fn key(kid: &str, n: &str) -> Jwk {
    Jwk {
        kid: kid.into(),
        n: n.into(),
        e: "AQAB".into(),
    }
}

#[test]
fn the_key_set_keeps_rs256_signing_keys() {
    let keys = keys::parse_key_set(CERTS.as_bytes()).unwrap();
    assert_eq!(keys, vec![key("k1", "n1"), key("k2", "n2")]);
    assert_eq!(keys::parse_key_set(br#"{"keys": []}"#), Some(vec![]));
    for bad in [&b"[]"[..], b"{}", b"{\"keys\": 1}", b"<html>", b""] {
        assert_eq!(keys::parse_key_set(bad), None);
    }
    let import: Value = serde_json::from_str(&key("k1", "n1").to_import_json()).unwrap();
    assert_eq!(import["kty"], "RSA");
    assert_eq!(import["alg"], "RS256");
    assert_eq!(import["n"], "n1");
    assert_eq!(import["key_ops"], json!(["verify"]));
}

#[test]
fn the_copy_is_used_while_fresh_and_refetched_for_unknown_kids_once_a_minute() {
    let url = team().certs_url();
    let copy = Cached {
        url: url.clone(),
        fetched_at: NOW,
        keys: vec![key("k1", "n1")],
    };
    let at = |kid: &str, age: i64| keys::lookup(Some(&copy), &url, kid, NOW + age);
    assert_eq!(keys::lookup(None, &url, "k1", NOW), Lookup::Fetch);
    assert_eq!(at("k1", 0), Lookup::Use(key("k1", "n1")));
    assert_eq!(at("k1", keys::FRESH_SECS - 1), Lookup::Use(key("k1", "n1")));
    assert_eq!(at("k1", keys::FRESH_SECS), Lookup::Fetch);
    assert_eq!(at("k9", 0), Lookup::Unknown);
    assert_eq!(at("k9", keys::REFETCH_AFTER_SECS - 1), Lookup::Unknown);
    assert_eq!(at("k9", keys::REFETCH_AFTER_SECS), Lookup::Fetch);
    assert_eq!(at("k1", -1), Lookup::Fetch, "the clock went back");
    let elsewhere = "http://127.0.0.1:1/cdn-cgi/access/certs";
    assert_eq!(
        keys::lookup(Some(&copy), elsewhere, "k1", NOW),
        Lookup::Fetch
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_token_panics(token in ".{0,300}") {
        let team = team();
        let expected = Expected { team: &team, audience: AUD, now: NOW };
        if let Ok(parsed) = Assertion::parse(&token) {
            let _ = parsed.identity(&expected);
        }
    }

    #[test]
    fn no_claims_panic(
        exp in any::<f64>(),
        nbf in any::<i64>(),
        iat in any::<u64>(),
        now in any::<i64>(),
        aud in ".{0,20}",
        email in ".{0,40}",
    ) {
        let mut claims = claims();
        claims["exp"] = serde_json::Number::from_f64(exp).map_or(Value::Null, Value::Number);
        claims["nbf"] = json!(nbf);
        claims["iat"] = json!(iat);
        claims["aud"] = json!(aud);
        claims["email"] = json!(email);
        let token = token(rs256(), claims);
        let team = team();
        let expected = Expected { team: &team, audience: &aud, now };
        let _ = Assertion::parse(&token).unwrap().identity(&expected);
    }

    #[test]
    fn garbage_segments_never_panic(
        header in proptest::collection::vec(any::<u8>(), 0..80),
        payload in proptest::collection::vec(any::<u8>(), 0..80),
        sig in "[A-Za-z0-9_=.-]{0,40}",
    ) {
        let token = format!(
            "{}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload)
        );
        let _ = Assertion::parse(&token);
    }

    #[test]
    fn no_key_set_or_clock_panics(
        body in proptest::collection::vec(any::<u8>(), 0..200),
        fetched_at in any::<i64>(),
        now in any::<i64>(),
        kid in ".{0,8}",
    ) {
        let _ = keys::parse_key_set(&body);
        let copy = Cached { url: "u".into(), fetched_at, keys: vec![key("k1", "n1")] };
        let _ = keys::lookup(Some(&copy), "u", &kid, now);
    }

    #[test]
    fn team_domains_never_panic(text in ".{0,80}") {
        if let Some(team) = TeamOrigin::parse(&text) {
            prop_assert!(team.issuer().starts_with("http"));
        }
    }
}
