//! Request and response bodies of the simulator's control API (`/_sim/...`).
//!
//! These are plain serde types so that tests in other crates can build requests and
//! read answers without re-declaring them. Money is carried as decimal *strings* here
//! (never `f64`); on input, a JSON number is accepted too and read from its exact text.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// The kind of an OpenRouter API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum KeyKind {
    /// A normal key, used for inference.
    #[default]
    Inference,
    /// A management (formerly "provisioning") key: it can read `/activity` and `/credits`.
    Management,
}

/// How often a key's spending limit resets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitReset {
    Daily,
    Weekly,
    Monthly,
}

impl LimitReset {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitReset::Daily => "daily",
            LimitReset::Weekly => "weekly",
            LimitReset::Monthly => "monthly",
        }
    }
}

/// `POST /_sim/keys`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterKeyRequest {
    /// The full key string; generated from the seed and the label when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The key's name; a unique one is made up when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The account the key belongs to; a new account is created when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The account member who created the key, any name such as `alice`; absent = the
    /// account's own user. It picks the key's `creator_user_id`, derived from the seed,
    /// the account and this name, so one member's keys share an id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<KeyKind>,
    /// Spending limit in USD (decimal string or number); absent or null = unlimited.
    #[serde(
        default,
        deserialize_with = "de_opt_decimal_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub limit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_reset: Option<LimitReset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub include_byok_in_limit: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_free_tier: Option<bool>,
    /// Generate a usage history (default: true for inference keys, false for management keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<bool>,
    /// Days of generated history ending today (default 40).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_days: Option<u32>,
    /// Seed for this key's key string and history (default: the simulator's seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Answer to `POST /_sim/keys` (status 201), and one element of a bulk answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredKey {
    /// The full key string (a fake key; send it as `Authorization: Bearer <key>`).
    pub key: String,
    /// Lowercase SHA-256 hex of `key`, as used by `/activity?api_key_hash=`.
    pub key_hash: String,
    pub label: String,
    pub account: String,
    pub kind: KeyKind,
    /// What `/key` and the management API report as the key's `creator_user_id`, and
    /// what `/activity?user_id=` matches.
    pub creator_user_id: String,
}

/// `POST /_sim/keys/bulk`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BulkRegisterRequest {
    pub count: u32,
    /// All keys go to this account, created by its own user; a new account is created
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Labels are `{prefix}{index:04}` (default prefix `bulk-`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<KeyKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Answer to `POST /_sim/keys/bulk` (status 201).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BulkRegisterResponse {
    pub keys: Vec<RegisteredKey>,
}

/// `POST /_sim/keys/{key_hash}/usage`: appends one activity record to the key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageRecordRequest {
    /// `YYYY-MM-DD` (UTC).
    pub date: String,
    pub model: String,
    /// Provider name (e.g. `OpenAI`); default: the model's first known provider.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_permaslug: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_id: Option<String>,
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    #[serde(default)]
    pub reasoning_tokens: u64,
    /// USD, at most 10 fractional digits (decimal string or number).
    #[serde(deserialize_with = "de_decimal_text")]
    pub usage: String,
    #[serde(
        default,
        deserialize_with = "de_opt_decimal_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub byok_usage_inference: Option<String>,
}

/// `POST /_sim/keys/{key_hash}/status`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyStatusRequest {
    pub revoked: bool,
}

/// Answer to `POST /_sim/keys/{key_hash}/status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyStatusResponse {
    pub key_hash: String,
    pub revoked: bool,
}

/// One (date, model) total of a key's records, summed across providers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TruthDay {
    pub date: String,
    pub model: String,
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub reasoning_tokens: u64,
    pub usage: String,
    pub byok_usage_inference: String,
    /// How many provider/endpoint records were summed into this row.
    pub endpoints: u32,
}

/// Answer to `GET /_sim/keys/{key_hash}/truth`: what the simulator knows, money as strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TruthResponse {
    pub key_hash: String,
    pub label: String,
    pub account: String,
    pub kind: KeyKind,
    pub revoked: bool,
    /// Disabled through the management API (`PATCH /api/v1/keys/{hash}`).
    pub disabled: bool,
    /// Deleted through the management API.
    pub deleted: bool,
    /// The spending limit (USD, decimal string), null when unlimited.
    pub limit: Option<String>,
    pub limit_reset: Option<LimitReset>,
    pub include_byok_in_limit: bool,
    /// What `/key` and the management API report as `limit_remaining`.
    pub limit_remaining: Option<String>,
    /// RFC 3339 on the simulator's clock.
    pub created_at: String,
    /// The last `PATCH`, if any.
    pub updated_at: Option<String>,
    pub expires_at: Option<String>,
    /// The simulator's current UTC day.
    pub today: String,
    pub usage: String,
    pub usage_daily: String,
    pub usage_weekly: String,
    pub usage_monthly: String,
    pub byok_usage: String,
    pub byok_usage_daily: String,
    pub byok_usage_weekly: String,
    pub byok_usage_monthly: String,
    /// First and last day served by `/activity` (today-30 ..= today-1).
    pub activity_window_start: String,
    pub activity_window_end: String,
    /// Sum of the usage of the records inside that window.
    pub usage_in_activity_window: String,
    /// Per (date, model) totals over ALL the key's records, oldest first.
    pub days: Vec<TruthDay>,
}

/// `POST /_sim/faults`
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    /// Only requests whose bearer hashes to this (lowercase SHA-256 hex).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_hash: Option<String>,
    /// Only requests to this path (`/api/v1/key`; `/key` is read as `/api/v1/key`). A
    /// trailing `*` matches every path it begins (`/keys/*`: any key of the management
    /// API, `/keys*`: the listing too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Only requests of this method (`PATCH`; any case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Answer with this status and OpenRouter's error body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Seconds, sent as `Retry-After` (status defaults to 429 when only this is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Wait this long before answering (or before going on normally when nothing else is set).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Answer 200 with a body that is not valid JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub malformed: Option<bool>,
    /// Close the TCP connection without any HTTP response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop_connection: Option<bool>,
    /// Apply to the next N matching requests, then expire; absent = forever.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<u32>,
}

/// Answer to `POST /_sim/faults` (status 201).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultCreated {
    pub id: u64,
}

/// One active fault, as listed by `GET /_sim/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultInfo {
    pub id: u64,
    pub spec: FaultRequest,
    /// Remaining applications (null = forever).
    pub remaining: Option<u32>,
}

/// One entry of `GET /_sim/requests`. The full key is never stored, only its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestLogEntry {
    pub method: String,
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// SHA-256 hex of the bearer token, or null when none was sent.
    pub key_hash: Option<String>,
    /// The HTTP status sent; null when the connection was dropped without a response.
    pub status: Option<u16>,
    /// Whether a fault was applied to this request.
    pub fault: bool,
    /// RFC 3339 time of the request on the simulator's clock (frozen when the clock is set).
    pub at: String,
    /// Real milliseconds since the simulator started (monotonic; for measuring the spacing
    /// of retries, whatever the simulated clock says).
    #[serde(default)]
    pub elapsed_ms: u64,
}

/// `POST /_sim/clock`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetClockRequest {
    /// RFC 3339; the clock stays frozen at this instant until changed or deleted.
    pub now: String,
}

/// Answer to `POST|DELETE|GET /_sim/clock`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClockResponse {
    pub now: String,
    pub today: String,
    /// True when the clock is frozen by `POST /_sim/clock`, false when it follows real time.
    pub frozen: bool,
}

/// `POST /_sim/accounts/{account}/credits`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetCreditsRequest {
    /// Total credits purchased (decimal string or number); null returns to the default.
    #[serde(default, deserialize_with = "de_opt_decimal_text")]
    pub total_credits: Option<String>,
}

/// Answer to `GET|POST /_sim/accounts/{account}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountInfo {
    pub account: String,
    pub total_credits: String,
    pub total_usage: String,
    pub key_hashes: Vec<String>,
}

/// The error body used everywhere, OpenRouter's shape: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: u16,
    pub message: String,
    /// What OpenRouter adds to some errors (a 402's `limit_source`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

/// Reads a JSON string or number as the exact decimal text (no trip through `f64`).
fn de_decimal_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    raw_to_decimal_text(&raw).map_err(serde::de::Error::custom)
}

fn de_opt_decimal_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw = Box::<RawValue>::deserialize(d)?;
    if raw.get().trim() == "null" {
        return Ok(None);
    }
    raw_to_decimal_text(&raw)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

fn raw_to_decimal_text(raw: &RawValue) -> Result<String, String> {
    let text = raw.get().trim();
    if text.starts_with('"') {
        serde_json::from_str::<String>(text).map_err(|e| e.to_string())
    } else if text
        .chars()
        .next()
        .is_some_and(|c| c == '-' || c.is_ascii_digit())
    {
        Ok(text.to_string())
    } else {
        Err(format!("expected a decimal string or number, got {text}"))
    }
}
