//! The JSON bodies of OpenRouter's answers, field for field as the official
//! `@openrouter/sdk` parses them.

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::state::{money_text, ActivityRow, KeyView, ManagedKey};

/// A JSON number whose text is the exact decimal (`0.0012345678`), never via `f64`.
pub(crate) struct Money(pub(crate) Decimal);

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = RawValue::from_string(money_text(self.0)).map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

/// OpenRouter wraps every answer in `{"data": ...}`.
#[derive(Serialize)]
pub(super) struct Data<T> {
    pub(super) data: T,
}

#[derive(Serialize)]
struct FreeModelDailyRequests {
    limit: u64,
    remaining: u64,
    used: u64,
}

#[derive(Serialize)]
struct RateLimit {
    requests: i64,
    interval: &'static str,
    note: &'static str,
}

/// `GET /api/v1/key`
#[derive(Serialize)]
pub(super) struct KeyData {
    label: String,
    limit: Option<Money>,
    limit_reset: Option<&'static str>,
    limit_remaining: Option<Money>,
    include_byok_in_limit: bool,
    usage: Money,
    usage_daily: Money,
    usage_weekly: Money,
    usage_monthly: Money,
    byok_usage: Money,
    byok_usage_daily: Money,
    byok_usage_weekly: Money,
    byok_usage_monthly: Money,
    is_free_tier: bool,
    is_management_key: bool,
    is_provisioning_key: bool,
    expires_at: Option<String>,
    allowed_data_regions: Vec<&'static str>,
    creator_user_id: Option<String>,
    organization_id: Option<String>,
    workspace_id: Option<String>,
    free_model_daily_requests: FreeModelDailyRequests,
    rate_limit: RateLimit,
}

impl KeyData {
    pub(super) fn new(v: KeyView, limit_remaining: Option<Decimal>) -> Self {
        let t = v.totals;
        // OpenRouter renamed provisioning keys to management keys and reports both flags.
        let management = v.kind == crate::control::KeyKind::Management;
        KeyData {
            label: v.masked,
            limit: v.limit.map(Money),
            limit_reset: v.limit_reset.map(|r| r.as_str()),
            limit_remaining: limit_remaining.map(Money),
            include_byok_in_limit: v.include_byok_in_limit,
            usage: Money(t.usage),
            usage_daily: Money(t.daily),
            usage_weekly: Money(t.weekly),
            usage_monthly: Money(t.monthly),
            byok_usage: Money(t.byok),
            byok_usage_daily: Money(t.byok_daily),
            byok_usage_weekly: Money(t.byok_weekly),
            byok_usage_monthly: Money(t.byok_monthly),
            is_free_tier: v.is_free_tier,
            is_management_key: management,
            is_provisioning_key: management,
            expires_at: None,
            allowed_data_regions: vec!["global"],
            creator_user_id: Some(v.user_id),
            organization_id: None,
            workspace_id: Some(v.workspace_id),
            free_model_daily_requests: FreeModelDailyRequests {
                limit: v.free_limit,
                remaining: v.free_limit.saturating_sub(v.free_used),
                used: v.free_used,
            },
            rate_limit: RateLimit {
                requests: -1,
                interval: "10s",
                note: "This field is deprecated and safe to ignore.",
            },
        }
    }
}

/// One element of `GET /api/v1/activity`.
#[derive(Serialize)]
pub(super) struct ActivityItem {
    date: String,
    model: String,
    model_permaslug: String,
    endpoint_id: String,
    provider_name: String,
    usage: Money,
    byok_usage_inference: Money,
    requests: u64,
    prompt_tokens: u64,
    completion_tokens: u64,
    reasoning_tokens: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace_id: Option<String>,
}

impl From<ActivityRow> for ActivityItem {
    fn from(r: ActivityRow) -> Self {
        ActivityItem {
            date: r.date.to_string(),
            model: r.model,
            model_permaslug: r.permaslug,
            endpoint_id: r.endpoint_id,
            provider_name: r.provider,
            usage: Money(r.usage),
            byok_usage_inference: Money(r.byok_usage_inference),
            requests: r.requests,
            prompt_tokens: r.prompt_tokens,
            completion_tokens: r.completion_tokens,
            reasoning_tokens: r.reasoning_tokens,
            workspace_id: r.workspace_id,
        }
    }
}

/// `GET /api/v1/credits`
#[derive(Serialize)]
pub(super) struct CreditsData {
    pub(super) total_credits: Money,
    pub(super) total_usage: Money,
}

/// One API key of the management API (`GET|PATCH /api/v1/keys/{hash}`, an element of
/// `GET /api/v1/keys`, the `data` of `POST /api/v1/keys`).
#[derive(Serialize)]
pub(super) struct ManagedKeyData {
    hash: String,
    name: String,
    label: String,
    disabled: bool,
    limit: Option<Money>,
    limit_remaining: Option<Money>,
    limit_reset: Option<&'static str>,
    include_byok_in_limit: bool,
    usage: Money,
    usage_daily: Money,
    usage_weekly: Money,
    usage_monthly: Money,
    byok_usage: Money,
    byok_usage_daily: Money,
    byok_usage_weekly: Money,
    byok_usage_monthly: Money,
    created_at: String,
    updated_at: Option<String>,
    expires_at: Option<String>,
    creator_user_id: Option<String>,
    workspace_id: String,
    /// A partner's end user (keys created with `external`): never here.
    external_user: Option<String>,
}

/// `2025-08-24T10:30:00Z`, as OpenRouter writes these timestamps.
fn iso_seconds(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl From<ManagedKey> for ManagedKeyData {
    fn from(k: ManagedKey) -> Self {
        let t = k.totals;
        ManagedKeyData {
            hash: k.hash,
            name: k.name,
            label: k.masked,
            disabled: k.disabled,
            limit: k.limit.map(Money),
            limit_remaining: k.limit_remaining.map(Money),
            limit_reset: k.limit_reset.map(|r| r.as_str()),
            include_byok_in_limit: k.include_byok_in_limit,
            usage: Money(t.usage),
            usage_daily: Money(t.daily),
            usage_weekly: Money(t.weekly),
            usage_monthly: Money(t.monthly),
            byok_usage: Money(t.byok),
            byok_usage_daily: Money(t.byok_daily),
            byok_usage_weekly: Money(t.byok_weekly),
            byok_usage_monthly: Money(t.byok_monthly),
            created_at: iso_seconds(k.created_at),
            updated_at: k.updated_at.map(iso_seconds),
            expires_at: k.expires_at.map(iso_seconds),
            creator_user_id: Some(k.user_id),
            workspace_id: k.workspace_id,
            external_user: None,
        }
    }
}

/// `POST /api/v1/keys` (201): the secret, shown this once, and the key.
#[derive(Serialize)]
pub(super) struct CreatedKey {
    pub(super) data: ManagedKeyData,
    pub(super) key: String,
}

/// `DELETE /api/v1/keys/{hash}`.
#[derive(Serialize)]
pub(super) struct Deleted {
    pub(super) deleted: bool,
}
