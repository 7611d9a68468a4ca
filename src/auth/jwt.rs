//! Session tokens: HS256 JWTs via `jwt-compact`, claims `sub`, `iat`, `exp`,
//! `jti`, and `epoch`: the account's session epoch when it was issued (a
//! password change moves the account on, ending every older session).
//!
//! Validation pins the algorithm (a token whose header says `none` or any
//! other algorithm is refused by the HS256 validator), requires `exp` with no
//! leeway, and leaves the revocation check (the `jti` denylist) to the
//! caller, which owns the database.

use chrono::{DateTime, Duration, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{AlgorithmExt, Claims, Header, TimeOptions, UntrustedToken};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct SessionClaims {
    /// The user id, as a string (RFC 7519 `sub` is a string).
    sub: String,
    jti: String,
    /// Absent in sessions issued before epochs existed: epoch 0.
    #[serde(default)]
    epoch: i64,
}

/// A verified, unexpired session (not yet checked against the denylist).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: i64,
    pub jti: String,
    pub epoch: i64,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

pub struct IssuedToken {
    pub token: String,
    pub expires_in: i64,
}

pub fn issue(
    secret: &[u8],
    user_id: i64,
    epoch: i64,
    ttl_seconds: i64,
    now: DateTime<Utc>,
) -> AppResult<IssuedToken> {
    let mut jti = [0u8; 16];
    getrandom::getrandom(&mut jti).map_err(AppError::internal)?;
    let claims = Claims::new(SessionClaims {
        sub: user_id.to_string(),
        jti: hex::encode(jti),
        epoch,
    })
    .set_duration_and_issuance(
        &TimeOptions::new(Duration::zero(), move || now),
        Duration::seconds(ttl_seconds),
    );
    let token = Hs256
        .token(
            &Header::empty().with_token_type("JWT"),
            &claims,
            &Hs256Key::new(secret),
        )
        .map_err(AppError::internal)?;
    Ok(IssuedToken {
        token,
        expires_in: ttl_seconds,
    })
}

/// Every way a credential can be wrong gives the same 401 body, so the
/// response does not tell an attacker which check failed.
pub fn rejected() -> AppError {
    AppError::Unauthorized("Missing, invalid or expired session token.".to_owned())
}

pub fn verify(secret: &[u8], token: &str, now: DateTime<Utc>) -> AppResult<Session> {
    let untrusted = UntrustedToken::new(token).map_err(|_| rejected())?;
    let token = Hs256
        .validator::<SessionClaims>(&Hs256Key::new(secret))
        .validate(&untrusted)
        .map_err(|_| rejected())?;
    let claims = token.claims();
    claims
        .validate_expiration(&TimeOptions::new(Duration::zero(), move || now))
        .map_err(|_| rejected())?;
    let expires_at = claims.expiration.ok_or_else(rejected)?;
    // RFC 7519 §4.1.4: not accepted "on or after" `exp`.
    if now >= expires_at {
        return Err(rejected());
    }
    let user_id = claims.custom.sub.parse::<i64>().map_err(|_| rejected())?;
    // Every session this product issues says when (`iat`).
    let issued_at = claims.issued_at.ok_or_else(rejected)?;
    Ok(Session {
        user_id,
        jti: claims.custom.jti.clone(),
        epoch: claims.custom.epoch,
        issued_at,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn round_trips() {
        let issued = issue(SECRET, 42, 3, 3600, now()).unwrap();
        let session = verify(SECRET, &issued.token, now()).unwrap();
        assert_eq!(session.user_id, 42);
        assert_eq!(session.epoch, 3);
        assert_eq!(session.jti.len(), 32);
        assert_eq!(session.issued_at, now());
        assert_eq!(session.expires_at, now() + Duration::seconds(3600));
    }

    #[test]
    fn refuses_expired_tokens() {
        let issued = issue(SECRET, 1, 0, 60, now()).unwrap();
        assert!(verify(SECRET, &issued.token, now() + Duration::seconds(60)).is_err());
        assert!(verify(SECRET, &issued.token, now() + Duration::seconds(59)).is_ok());
    }

    #[test]
    fn refuses_other_secrets_and_tampering() {
        let issued = issue(SECRET, 1, 0, 60, now()).unwrap();
        assert!(verify(b"another secret of 32 bytes length!", &issued.token, now()).is_err());
        let mut parts: Vec<String> = issued.token.split('.').map(str::to_owned).collect();
        let forged = URL_SAFE_NO_PAD.encode(br#"{"sub":"2","jti":"x","exp":9999999999}"#);
        parts[1] = forged;
        assert!(verify(SECRET, &parts.join("."), now()).is_err());
    }

    #[test]
    fn refuses_alg_none_and_other_algorithms() {
        let claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"1","jti":"x","exp":9999999999,"iat":1}"#);
        for header in [
            r#"{"alg":"none","typ":"JWT"}"#,
            r#"{"alg":"HS512","typ":"JWT"}"#,
        ] {
            let token = format!("{}.{claims}.", URL_SAFE_NO_PAD.encode(header));
            assert!(verify(SECRET, &token, now()).is_err(), "{header}");
        }
    }

    #[test]
    fn sessions_issued_before_epochs_are_in_epoch_zero() {
        let claims = Claims::new(serde_json::json!({ "sub": "5", "jti": "old" }))
            .set_duration_and_issuance(
                &TimeOptions::new(Duration::zero(), now),
                Duration::seconds(60),
            );
        let token = Hs256
            .token(&Header::empty(), &claims, &Hs256Key::new(SECRET))
            .unwrap();
        let session = verify(SECRET, &token, now()).unwrap();
        assert_eq!((session.user_id, session.epoch), (5, 0));
    }

    #[test]
    fn refuses_tokens_without_expiry_and_garbage() {
        let claims = Claims::new(SessionClaims {
            sub: "1".into(),
            jti: "x".into(),
            epoch: 0,
        });
        let token = Hs256
            .token(&Header::empty(), &claims, &Hs256Key::new(SECRET))
            .unwrap();
        assert!(verify(SECRET, &token, now()).is_err());
        for garbage in ["", "abc", "a.b.c", "or_api_xxxxxxxx"] {
            assert!(verify(SECRET, garbage, now()).is_err());
        }
    }
}
