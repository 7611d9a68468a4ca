//! Settings from `[vars]` and secrets, parsed into types once per use.
//!
//! Parsing is pure (a lookup function in, a value or an error naming the
//! variable out) so every default and bound is unit-tested natively. A
//! missing or malformed secret is an error naming the variable, never a
//! panic and never its value.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::http::error::AppError;

pub const DEFAULT_OPENROUTER_BASE_URL: &str = "https://openrouter.ai/api/v1";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub openrouter_base_url: String,
    pub usage_retention_days: i64,
    pub public_rate_limit_per_hour: u32,
    pub ip_rate_limit_per_minute: u32,
    pub jwt_ttl_seconds: i64,
    pub sync_subrequest_budget: u32,
}

impl Config {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, AppError> {
        let base_url = lookup("OPENROUTER_BASE_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_OPENROUTER_BASE_URL.to_owned());
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(AppError::Misconfigured(
                "OPENROUTER_BASE_URL must be an http(s) URL".to_owned(),
            ));
        }
        Ok(Self {
            openrouter_base_url: base_url,
            usage_retention_days: number(&lookup, "USAGE_RETENTION_DAYS", 365, 1, 36_500)?,
            public_rate_limit_per_hour: number(
                &lookup,
                "PUBLIC_RATE_LIMIT_PER_HOUR",
                100,
                1,
                1_000_000,
            )? as u32,
            ip_rate_limit_per_minute: number(&lookup, "IP_RATE_LIMIT_PER_MINUTE", 30, 1, 1_000_000)?
                as u32,
            jwt_ttl_seconds: number(&lookup, "JWT_TTL_SECONDS", 86_400, 60, 31_536_000)?,
            sync_subrequest_budget: number(&lookup, "SYNC_SUBREQUEST_BUDGET", 900, 1, 100_000)?
                as u32,
        })
    }
}

fn number(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, AppError> {
    let Some(raw) = lookup(name).filter(|v| !v.trim().is_empty()) else {
        return Ok(default);
    };
    raw.trim()
        .parse::<i64>()
        .ok()
        .filter(|v| (min..=max).contains(v))
        .ok_or_else(|| {
            AppError::Misconfigured(format!("{name} must be an integer between {min} and {max}"))
        })
}

/// The HS256 signing secret: at least 32 bytes.
pub fn jwt_secret(raw: Option<String>) -> Result<Vec<u8>, AppError> {
    let secret = raw.ok_or_else(|| AppError::Misconfigured("JWT_SECRET is not set".to_owned()))?;
    if secret.len() < 32 {
        return Err(AppError::Misconfigured(
            "JWT_SECRET must be at least 32 bytes".to_owned(),
        ));
    }
    Ok(secret.into_bytes())
}

/// The AES-256 key: 32 bytes, base64.
pub fn encryption_key(raw: Option<String>) -> Result<[u8; 32], AppError> {
    let raw = raw.ok_or_else(|| AppError::Misconfigured("ENCRYPTION_KEY is not set".to_owned()))?;
    STANDARD
        .decode(raw.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| {
            AppError::Misconfigured("ENCRYPTION_KEY must be 32 bytes encoded as base64".to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(pairs: &[(&str, &str)]) -> Result<Config, AppError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn defaults_follow_the_spec() {
        let c = config(&[]).unwrap();
        assert_eq!(c.openrouter_base_url, "https://openrouter.ai/api/v1");
        assert_eq!(c.usage_retention_days, 365);
        assert_eq!(c.public_rate_limit_per_hour, 100);
        assert_eq!(c.ip_rate_limit_per_minute, 30);
        assert_eq!(c.jwt_ttl_seconds, 86_400);
        assert_eq!(c.sync_subrequest_budget, 900);
    }

    #[test]
    fn overrides_are_parsed_and_bounded() {
        let c = config(&[
            ("OPENROUTER_BASE_URL", "http://127.0.0.1:9/api/v1/"),
            ("PUBLIC_RATE_LIMIT_PER_HOUR", "5"),
        ])
        .unwrap();
        assert_eq!(c.openrouter_base_url, "http://127.0.0.1:9/api/v1");
        assert_eq!(c.public_rate_limit_per_hour, 5);
        for (name, value) in [
            ("USAGE_RETENTION_DAYS", "abc"),
            ("JWT_TTL_SECONDS", "0"),
            ("OPENROUTER_BASE_URL", "ftp://x"),
        ] {
            let err = config(&[(name, value)]).unwrap_err();
            assert!(err.to_string().contains(name), "{err}");
        }
    }

    #[test]
    fn secrets_are_checked_and_named() {
        assert!(jwt_secret(Some("x".repeat(32))).is_ok());
        let err = jwt_secret(Some("short".into())).unwrap_err();
        assert!(err.to_string().contains("JWT_SECRET"));
        assert!(jwt_secret(None)
            .unwrap_err()
            .to_string()
            .contains("JWT_SECRET"));
        let key = STANDARD.encode([9u8; 32]);
        assert_eq!(encryption_key(Some(key)).unwrap(), [9u8; 32]);
        for bad in [
            None,
            Some("not base64!".to_owned()),
            Some(STANDARD.encode([1u8; 16])),
        ] {
            let err = encryption_key(bad).unwrap_err();
            assert!(err.to_string().contains("ENCRYPTION_KEY"));
            assert_eq!(err.status(), 500);
        }
    }
}
