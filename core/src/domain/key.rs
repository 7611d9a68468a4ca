//! What a stored key is and what OpenRouter last said about it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::money::Money;

/// `inference` keys are synced; a `management` key is only used to read
/// its account's activity (and can create, change and delete keys at
/// OpenRouter, which this product never does).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(
    description = "`inference`: a key whose own spend is tracked (GET /key snapshots). `management`: a key used to read the activity (per model, per day) of the user's inference keys."
)]
pub enum KeyKind {
    #[default]
    Inference,
    Management,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyKind::Inference => "inference",
            KeyKind::Management => "management",
        }
    }
}

/// The last validation's outcome: `unknown` until OpenRouter answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(
    description = "`valid`: OpenRouter accepted the key; `invalid`: it answered 401/403 (the key is not synced until it validates again); `unknown`: not checked yet or OpenRouter was unreachable."
)]
pub enum ValidationStatus {
    Unknown,
    Valid,
    Invalid,
}

impl ValidationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ValidationStatus::Unknown => "unknown",
            ValidationStatus::Valid => "valid",
            ValidationStatus::Invalid => "invalid",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_schema_and_the_api() {
        for kind in [KeyKind::Inference, KeyKind::Management] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for status in [
            ValidationStatus::Unknown,
            ValidationStatus::Valid,
            ValidationStatus::Invalid,
        ] {
            let back: ValidationStatus =
                serde_json::from_value(serde_json::json!(status.as_str())).unwrap();
            assert_eq!(back, status);
        }
    }
}

/// What OpenRouter said of a key at one moment (its `/key`, or its entry in a
/// management key's listing): the counters a snapshot stores
/// (`store::snapshots`), free of the wire format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCounters {
    pub label: Option<String>,
    /// `None`: unlimited.
    pub limit: Option<Money>,
    pub limit_remaining: Option<Money>,
    pub limit_reset: Option<String>,
    pub usage: Money,
    pub usage_daily: Money,
    pub usage_weekly: Money,
    pub usage_monthly: Money,
    /// `None`: not said (the management API's listing does not carry it); the
    /// key's previous snapshot's value is kept.
    pub is_free_tier: Option<bool>,
    pub rate_limit_requests: Option<i64>,
    pub rate_limit_interval: Option<String>,
    /// OpenRouter's clock when it answered (RFC 3339), when it said.
    pub served_at: Option<String>,
    /// The OpenRouter member who created the key, when OpenRouter said
    /// (see [`crate::openrouter::types::member_id`]).
    pub creator_user_id: Option<String>,
}
