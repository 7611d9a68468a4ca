//! Settings from `[vars]` and secrets, parsed into types once per use.
//!
//! Parsing is pure (a lookup function in, a value or an error naming the
//! variable out) so every default and bound is unit-tested natively. A
//! missing or malformed secret is an error naming the variable, never a
//! panic and never its value.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::domain::network::UrlTarget;
use crate::error::AppError;

pub const DEFAULT_OPENROUTER_BASE_URL: &str = "https://openrouter.ai/api/v1";
/// An operator's direct SQL write shows in `/api/v1` within this at most.
pub const MAX_PUBLIC_ANSWER_CACHE_MS: i64 = 60_000;

/// The default of `PUBLIC_ANSWER_CACHE_MS`: how long a token's object keeps
/// an answer (`usage::cache`).
pub const ANSWER_TTL_MS: i64 = 2_000;

/// Which webhook URLs the deployment accepts (`webhooks::url`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookPolicy {
    Production,
    /// `WEBHOOK_LOOPBACK=1`, set by the local tooling only.
    AllowLoopback,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub openrouter_base_url: String,
    pub usage_retention_days: i64,
    pub public_rate_limit_per_hour: u32,
    pub ip_rate_limit_per_minute: u32,
    pub jwt_ttl_seconds: i64,
    pub sync_subrequest_budget: u32,
    /// Keys per queued sync batch (`SYNC_BATCH_SIZE`, 50): one consumer
    /// invocation's work. A key costs at most ~10 subrequests (`/key`, a
    /// few `/activity` days, their retries, D1 writes), so 50 keys stay near
    /// half the platform's 1,000 per invocation, and well inside its CPU.
    pub sync_batch_size: usize,
    /// Keys one account may hold (`MAX_KEYS_PER_USER`, 50): the sync's
    /// subrequest budget is shared by everyone.
    pub max_keys_per_user: i64,
    /// Keys one account may add per hour (`KEY_ADDS_PER_HOUR`, 20): each is
    /// checked against OpenRouter at once, and the product must not become a
    /// validity checker for leaked keys.
    pub key_adds_per_hour: u32,
    /// A `running` job whose heartbeat is older than this was killed
    /// (`JOB_HEARTBEAT_TIMEOUT_SECS`, 120): the next run closes it as
    /// `interrupted`. Well above the longest a live run goes between
    /// heartbeats (one key: 8 s timeouts, retries, up to 20 s Retry-After).
    pub job_heartbeat_timeout_secs: i64,
    /// A queued sync run with no batch report for this long is closed as
    /// interrupted by the next run (`SYNC_STALL_TIMEOUT_SECS`, 3300: under
    /// the hour, so the next hourly run tidies up before it plans). Its
    /// messages were lost, or the queue is not being consumed.
    pub sync_stall_timeout_secs: i64,
    /// How long a token's Durable Object keeps a public answer in memory
    /// (`PUBLIC_ANSWER_CACHE_MS`, 2000 ms; 0: no answer cache, every public
    /// request asks D1; the benchmark's cold rows run with 0). Product writes
    /// clear the cache at once; this bounds only writes made outside the
    /// product.
    pub public_answer_cache_ms: i64,
    /// Which webhook URLs are accepted: production rules, or loopback too
    /// (`WEBHOOK_LOOPBACK=1`, set by `cargo xtask dev` and the tests for a
    /// local receiver; never in `wrangler.toml`).
    pub webhook_policy: WebhookPolicy,
    /// `SYNC_REDELIVER_FOR_TESTS=1`: every finished sync batch's message is
    /// delivered once more, as at-least-once delivery may do, so the tests
    /// prove a redelivery changes nothing. Never in `wrangler.toml`.
    pub redeliver_for_tests: bool,
    /// Whether a sync reads a management key's listing of its account's
    /// keys (`GET /keys`, one call per 100 keys) instead of one `GET /key`
    /// per key (`SYNC_KEY_LISTING`, on; `0` turns it off: every key with a
    /// secret is read by `/key` as before, a watched key is not synced).
    /// The benchmark compares the two; an operator may fall back with it.
    pub sync_key_listing: bool,
    /// `ORW_DEBUG_COUNTERS=1`: public answers carry `X-Debug-D1-Statements`.
    /// Set by the integration tests to prove a refused request costs no D1
    /// statement; never set in `wrangler.toml`.
    pub debug_counters: bool,
}

impl Config {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, AppError> {
        let base_url = lookup("OPENROUTER_BASE_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_OPENROUTER_BASE_URL.to_owned());
        let base_url = base_url.trim().trim_end_matches('/').to_owned();
        if !(base_url.starts_with("https://") || is_loopback_http(&base_url)) {
            // The keys travel in its Authorization header: never in clear
            // over a network (plain http only to this machine, for the
            // simulator).
            return Err(AppError::Misconfigured(
                "OPENROUTER_BASE_URL must be an https URL (http only to a loopback address)"
                    .to_owned(),
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
            sync_batch_size: number(&lookup, "SYNC_BATCH_SIZE", 50, 1, 500)? as usize,
            max_keys_per_user: number(&lookup, "MAX_KEYS_PER_USER", 50, 1, 1_000_000)?,
            key_adds_per_hour: number(&lookup, "KEY_ADDS_PER_HOUR", 20, 1, 1_000_000)? as u32,
            job_heartbeat_timeout_secs: number(
                &lookup,
                "JOB_HEARTBEAT_TIMEOUT_SECS",
                120,
                1,
                86_400,
            )?,
            sync_stall_timeout_secs: number(&lookup, "SYNC_STALL_TIMEOUT_SECS", 3_300, 1, 86_400)?,
            public_answer_cache_ms: number(
                &lookup,
                "PUBLIC_ANSWER_CACHE_MS",
                ANSWER_TTL_MS,
                0,
                MAX_PUBLIC_ANSWER_CACHE_MS,
            )?,
            webhook_policy: if lookup("WEBHOOK_LOOPBACK").is_some_and(|v| v.trim() == "1") {
                WebhookPolicy::AllowLoopback
            } else {
                WebhookPolicy::Production
            },
            sync_key_listing: lookup("SYNC_KEY_LISTING").is_none_or(|v| v.trim() != "0"),
            redeliver_for_tests: lookup("SYNC_REDELIVER_FOR_TESTS")
                .is_some_and(|v| v.trim() == "1"),
            debug_counters: lookup("ORW_DEBUG_COUNTERS").is_some_and(|v| v.trim() == "1"),
        })
    }
}

/// `http://` to 127.0.0.0/8, `localhost` or `[::1]`, with any port and no
/// credentials.
fn is_loopback_http(url: &str) -> bool {
    UrlTarget::parse(url)
        .is_some_and(|t| t.scheme == "http" && !t.has_credentials && t.is_loopback())
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
        assert_eq!(c.max_keys_per_user, 50);
        assert_eq!(c.sync_batch_size, 50);
        assert_eq!(c.key_adds_per_hour, 20);
        assert_eq!(c.job_heartbeat_timeout_secs, 120);
        assert_eq!(c.sync_stall_timeout_secs, 3_300);
        assert_eq!(c.public_answer_cache_ms, 2_000);
        assert!(!c.debug_counters);
        assert!(c.sync_key_listing);
        assert!(
            !config(&[("SYNC_KEY_LISTING", "0")])
                .unwrap()
                .sync_key_listing
        );
        assert_eq!(c.webhook_policy, WebhookPolicy::Production);
        let dev = config(&[("WEBHOOK_LOOPBACK", "1")]).unwrap();
        assert_eq!(dev.webhook_policy, WebhookPolicy::AllowLoopback);
    }

    #[test]
    fn the_public_answer_cache_can_be_turned_off_but_not_made_long() {
        let ms =
            |v: &str| config(&[("PUBLIC_ANSWER_CACHE_MS", v)]).map(|c| c.public_answer_cache_ms);
        assert_eq!(ms("").unwrap(), ANSWER_TTL_MS);
        assert_eq!(ms("0").unwrap(), 0);
        assert_eq!(ms(" 500 ").unwrap(), 500);
        assert_eq!(ms("60000").unwrap(), MAX_PUBLIC_ANSWER_CACHE_MS);
        for bad in ["-1", "60001", "2s", "1.5"] {
            let err = ms(bad).unwrap_err();
            assert!(
                err.to_string().contains("PUBLIC_ANSWER_CACHE_MS"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn openrouter_is_reached_over_https_or_on_this_machine_only() {
        for ok in [
            "https://openrouter.ai/api/v1",
            "http://127.0.0.1:8788/api/v1",
            "http://127.9.9.9/api/v1",
            "http://localhost:9/api/v1",
            "http://[::1]:9/api/v1",
        ] {
            assert!(config(&[("OPENROUTER_BASE_URL", ok)]).is_ok(), "{ok}");
        }
        for refused in [
            "http://openrouter.ai/api/v1",
            "http://10.0.0.1/api/v1",
            "http://127.0.0.1.evil.example/api/v1",
            "http://localhost.evil.example/api/v1",
            "http://user@127.0.0.1/api/v1",
            "ftp://127.0.0.1/",
        ] {
            let err = config(&[("OPENROUTER_BASE_URL", refused)]).unwrap_err();
            assert!(err.to_string().contains("OPENROUTER_BASE_URL"), "{refused}");
        }
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

    #[test]
    fn test_only_switches_are_never_deployed() {
        let deployed = include_str!("../../wrangler.toml");
        for switch in [
            "WEBHOOK_LOOPBACK",
            "ORW_DEBUG_COUNTERS",
            "SYNC_REDELIVER_FOR_TESTS",
        ] {
            assert!(!deployed.contains(switch), "{switch} in wrangler.toml");
        }
    }
}
