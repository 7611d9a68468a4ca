//! OpenRouter's response shapes, as documented and as its official SDK
//! validates them. Only the fields the product uses are named; unknown extra
//! fields are ignored (OpenRouter adds fields over time). Money is parsed
//! from the JSON number's own text into [`Money`], never through `f64`.

use serde::Deserialize;

use crate::domain::key::KeyCounters;
use crate::domain::money::Money;

#[derive(Debug, Deserialize)]
pub struct Envelope<T> {
    pub data: T,
}

/// `GET /api/v1/key`.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyInfo {
    #[serde(default)]
    pub label: Option<String>,
    /// `None`: unlimited.
    #[serde(default)]
    pub limit: Option<Money>,
    #[serde(default)]
    pub limit_remaining: Option<Money>,
    #[serde(default)]
    pub limit_reset: Option<String>,
    pub usage: Money,
    #[serde(default)]
    pub usage_daily: Option<Money>,
    #[serde(default)]
    pub usage_weekly: Option<Money>,
    #[serde(default)]
    pub usage_monthly: Option<Money>,
    #[serde(default)]
    pub is_free_tier: bool,
    #[serde(default)]
    pub is_management_key: bool,
    #[serde(default)]
    pub rate_limit: Option<RateLimitInfo>,
    /// The OpenRouter member who created the key.
    #[serde(default, deserialize_with = "text_or_none")]
    pub creator_user_id: Option<String>,
    /// OpenRouter's clock when it answered (its `Date` header, RFC 3339):
    /// its usage counters reset on that clock. Not in the body.
    #[serde(skip)]
    pub served_at: Option<String>,
}

impl KeyInfo {
    /// The counters a snapshot keeps (absent period counters are zero).
    pub fn counters(&self) -> KeyCounters {
        let rate_limit = self.rate_limit.as_ref();
        KeyCounters {
            label: self.label.clone(),
            limit: self.limit,
            limit_remaining: self.limit_remaining,
            limit_reset: self.limit_reset.clone(),
            usage: self.usage,
            usage_daily: self.usage_daily.unwrap_or(Money::ZERO),
            usage_weekly: self.usage_weekly.unwrap_or(Money::ZERO),
            usage_monthly: self.usage_monthly.unwrap_or(Money::ZERO),
            is_free_tier: Some(self.is_free_tier),
            rate_limit_requests: rate_limit.and_then(|r| r.requests),
            rate_limit_interval: rate_limit.and_then(|r| r.interval.clone()),
            served_at: self.served_at.clone(),
            creator_user_id: member_id(self.creator_user_id.as_deref()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct RateLimitInfo {
    #[serde(default)]
    pub requests: Option<i64>,
    #[serde(default)]
    pub interval: Option<String>,
}

/// A key as OpenRouter's management API shows it: an item of a management
/// key's listing, `GET /api/v1/keys` (at most [`KEYS_PAGE_SIZE`] a page),
/// and the answer of `GET|PATCH /api/v1/keys/{hash}`. Its counters are
/// those of its own `/key`.
#[derive(Debug, Clone, Deserialize)]
pub struct ManagedKey {
    /// SHA-256 hex of the key: what this product stores as `key_hash`.
    pub hash: String,
    #[serde(default)]
    pub name: Option<String>,
    /// The masked key (`sk-or-v1-abc...xyz`), as `/key` gives it.
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub disabled: bool,
    /// `None`: unlimited.
    #[serde(default)]
    pub limit: Option<Money>,
    #[serde(default)]
    pub limit_remaining: Option<Money>,
    #[serde(default)]
    pub limit_reset: Option<String>,
    pub usage: Money,
    #[serde(default)]
    pub usage_daily: Option<Money>,
    #[serde(default)]
    pub usage_weekly: Option<Money>,
    #[serde(default)]
    pub usage_monthly: Option<Money>,
    /// The OpenRouter member who created the key.
    #[serde(default, deserialize_with = "text_or_none")]
    pub creator_user_id: Option<String>,
    /// OpenRouter's clock when it answered `GET|PATCH /keys/{hash}` (its
    /// `Date` header; a listing's pages carry theirs beside the keys). Not
    /// in the body.
    #[serde(skip)]
    pub served_at: Option<String>,
}

/// Keys per page of `GET /api/v1/keys`: a shorter page is the last.
pub const KEYS_PAGE_SIZE: usize = 100;

impl ManagedKey {
    /// The settings a policy may change.
    pub fn settings(&self) -> crate::policies::KeySettings {
        crate::policies::KeySettings {
            disabled: self.disabled,
            limit: self.limit,
            limit_reset: self.limit_reset.clone(),
        }
    }

    /// OpenRouter's usage counter over a budget period.
    pub fn usage_over(&self, period: crate::alerts::period::Period) -> Money {
        use crate::alerts::period::Period;
        match period {
            Period::Daily => self.usage_daily,
            Period::Weekly => self.usage_weekly,
            Period::Monthly => self.usage_monthly,
            Period::Lifetime => None,
        }
        .unwrap_or(Money::ZERO)
    }

    /// The counters a snapshot keeps, read on OpenRouter's clock `served_at`
    /// (the `Date` of the page's answer). The listing has no `is_free_tier`
    /// nor rate limit: the snapshot keeps the key's previous free-tier flag.
    pub fn counters(&self, served_at: Option<String>) -> KeyCounters {
        KeyCounters {
            label: self.label.clone(),
            limit: self.limit,
            limit_remaining: self.limit_remaining,
            limit_reset: self.limit_reset.clone(),
            usage: self.usage,
            usage_daily: self.usage_daily.unwrap_or(Money::ZERO),
            usage_weekly: self.usage_weekly.unwrap_or(Money::ZERO),
            usage_monthly: self.usage_monthly.unwrap_or(Money::ZERO),
            is_free_tier: None,
            rate_limit_requests: None,
            rate_limit_interval: None,
            served_at,
            creator_user_id: member_id(self.creator_user_id.as_deref()),
        }
    }
}

/// One row of `GET /api/v1/activity`: one model through one endpoint
/// (provider) on one UTC day.
#[derive(Debug, Clone, Deserialize)]
pub struct ActivityRow {
    pub date: String,
    pub model: String,
    pub usage: Money,
    #[serde(default)]
    pub requests: i64,
    #[serde(default)]
    pub prompt_tokens: i64,
    #[serde(default)]
    pub completion_tokens: i64,
}

/// A string field that is kept only when it is a string: a field the
/// product merely shows must not make a whole key unreadable.
fn text_or_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Some(s),
        _ => None,
    })
}

/// Longest OpenRouter member id kept (theirs are `user_` and 27 characters).
pub const MEMBER_ID_MAX: usize = 64;

/// An OpenRouter member id as OpenRouter sent it, kept only when it looks
/// like one: short, visible ASCII. Anything else is dropped rather than
/// stored and shown, since it comes from outside.
pub fn member_id(text: Option<&str>) -> Option<String> {
    let id = text?.trim();
    let plausible =
        !id.is_empty() && id.len() <= MEMBER_ID_MAX && id.bytes().all(|b| b.is_ascii_graphic());
    plausible.then(|| id.to_owned())
}

/// `GET /api/v1/credits`.
#[derive(Debug, Clone, Deserialize)]
pub struct Credits {
    pub total_credits: Money,
    pub total_usage: Money,
}

/// OpenRouter's error body: `{"error": {"code": 401, "message": "..."}}`.
#[derive(Debug, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
pub struct ErrorDetail {
    #[serde(default)]
    pub message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_key_shape_with_extra_fields() {
        let body = r#"{"data":{"label":"sk-or-v1-abc...xyz","limit":25.5,"limit_reset":"monthly",
            "limit_remaining":20.1234567891,"include_byok_in_limit":false,"usage":5.3765432109,
            "usage_daily":0.25,"usage_weekly":1.5,"usage_monthly":5.3765432109,"byok_usage":0,
            "byok_usage_daily":0,"byok_usage_weekly":0,"byok_usage_monthly":0,"is_free_tier":false,
            "is_management_key":false,"is_provisioning_key":false,"expires_at":null,
            "rate_limit":{"requests":-1,"interval":"10s","note":"deprecated"},"brand_new_field":{"x":1}}}"#;
        let key: Envelope<KeyInfo> = serde_json::from_str(body).unwrap();
        let key = key.data;
        assert_eq!(key.limit.unwrap().units(), 255_000_000_000);
        assert_eq!(key.limit_remaining.unwrap().units(), 201_234_567_891);
        assert_eq!(key.usage.units(), 53_765_432_109);
        assert_eq!(key.usage_daily.unwrap().units(), 2_500_000_000);
        assert_eq!(key.rate_limit.unwrap().interval.as_deref(), Some("10s"));
    }

    #[test]
    fn unlimited_keys_have_no_limit() {
        let body = r#"{"data":{"limit":null,"limit_remaining":null,"usage":0,"usage_daily":0,
            "usage_weekly":0,"usage_monthly":0,"is_free_tier":true}}"#;
        let key: Envelope<KeyInfo> = serde_json::from_str(body).unwrap();
        assert!(key.data.limit.is_none());
        assert!(key.data.is_free_tier);
    }

    #[test]
    fn parses_the_documented_listing_shape() {
        let body = r#"{"data":[{"hash":"f01d52606dc8f0a8303a7b5cc3fa07109c2e346cec7c0a16b40de462992ce943",
            "name":"My Production Key","label":"sk-or-v1-0e6...c96","disabled":false,"limit":100,
            "limit_remaining":74.5000000001,"limit_reset":"monthly","include_byok_in_limit":false,
            "usage":25.4999999999,"usage_daily":0.1,"usage_weekly":1.5,"usage_monthly":25.4999999999,
            "byok_usage":17.38,"byok_usage_daily":0,"byok_usage_weekly":0,"byok_usage_monthly":0,
            "created_at":"2025-08-24T10:30:00Z","updated_at":null,"expires_at":null,
            "creator_user_id":"user_1","workspace_id":"w","external_user":null,"new_field":1}]}"#;
        let page: Envelope<Vec<ManagedKey>> = serde_json::from_str(body).unwrap();
        let key = &page.data[0];
        assert_eq!(key.limit_remaining.unwrap().units(), 745_000_000_001);
        let c = key.counters(Some("2026-11-29T11:33:16Z".into()));
        assert_eq!(c.creator_user_id.as_deref(), Some("user_1"));
        assert_eq!(c.usage.units(), 254_999_999_999);
        assert_eq!(c.usage_daily.units(), 1_000_000_000);
        assert_eq!(c.limit_reset.as_deref(), Some("monthly"));
        assert_eq!(c.label.as_deref(), Some("sk-or-v1-0e6...c96"));
        assert_eq!(c.is_free_tier, None);
        assert_eq!(c.served_at.as_deref(), Some("2026-11-29T11:33:16Z"));
        assert!(
            serde_json::from_str::<Envelope<Vec<ManagedKey>>>(r#"{"data":[{"hash":"x"}]}"#)
                .is_err()
        );
    }

    #[test]
    fn keeps_only_plausible_member_ids() {
        assert_eq!(member_id(Some(" user_2abc ")).as_deref(), Some("user_2abc"));
        assert_eq!(member_id(None), None);
        assert_eq!(member_id(Some("")), None);
        assert_eq!(member_id(Some("user 1")), None);
        assert_eq!(member_id(Some("<script>")).as_deref(), Some("<script>"));
        assert_eq!(member_id(Some("usér")), None);
        assert_eq!(
            member_id(Some(&"u".repeat(MEMBER_ID_MAX))).map(|s| s.len()),
            Some(64)
        );
        assert_eq!(member_id(Some(&"u".repeat(MEMBER_ID_MAX + 1))), None);
        let odd = r#"{"data":{"usage":1,"creator_user_id":{"id":7}}}"#;
        let key: Envelope<KeyInfo> = serde_json::from_str(odd).unwrap();
        assert_eq!(key.data.counters().creator_user_id, None);
    }

    #[test]
    fn parses_activity_rows() {
        let body = r#"{"data":[{"date":"2026-11-24","model":"openai/gpt-4o","model_permaslug":"openai/gpt-4o-2024-08-06",
            "endpoint_id":"e1","provider_name":"OpenAI","usage":0.0123456789,"byok_usage_inference":0,
            "requests":3,"prompt_tokens":1200,"completion_tokens":340,"reasoning_tokens":0}]}"#;
        let rows: Envelope<Vec<ActivityRow>> = serde_json::from_str(body).unwrap();
        assert_eq!(rows.data[0].usage.units(), 123_456_789);
        assert_eq!(rows.data[0].prompt_tokens, 1200);
    }

    #[test]
    fn refuses_bodies_without_the_required_fields() {
        assert!(serde_json::from_str::<Envelope<KeyInfo>>(r#"{"data":{"label":"x"}}"#).is_err());
        assert!(serde_json::from_str::<Envelope<KeyInfo>>(r#"{"error":{"code":500}}"#).is_err());
        assert!(serde_json::from_str::<Envelope<KeyInfo>>("<html>").is_err());
    }
}
