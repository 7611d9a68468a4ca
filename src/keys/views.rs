//! What a stored key looks like to its owner: never the key, only its
//! preview, its status and OpenRouter's latest figures.

use serde::Serialize;

use crate::domain::key::{KeyKind, ValidationStatus};
use crate::domain::money::Money;
use crate::store::api_keys::KeyRow;
use crate::store::snapshots::SnapshotRow;

#[derive(Debug, Serialize)]
pub struct SnapshotView {
    taken_at: String,
    limit: Option<Money>,
    limit_remaining: Option<Money>,
    limit_reset: Option<String>,
    usage: Money,
    usage_daily: Money,
    usage_weekly: Money,
    usage_monthly: Money,
    is_free_tier: bool,
}

impl From<SnapshotRow> for SnapshotView {
    fn from(row: SnapshotRow) -> Self {
        Self {
            taken_at: row.taken_at,
            limit: row.credit_limit,
            limit_remaining: row.limit_remaining,
            limit_reset: row.limit_reset,
            usage: row.usage,
            usage_daily: row.usage_daily,
            usage_weekly: row.usage_weekly,
            usage_monthly: row.usage_monthly,
            is_free_tier: row.is_free_tier,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct KeyView {
    id: i64,
    name: String,
    kind: KeyKind,
    key_preview: String,
    is_active: bool,
    validation_status: ValidationStatus,
    last_validated_at: Option<String>,
    last_synced_at: Option<String>,
    last_sync_error: Option<String>,
    created_at: String,
    updated_at: String,
    snapshot: Option<SnapshotView>,
}

impl KeyView {
    pub fn last_sync_error(&self) -> Option<&str> {
        self.last_sync_error.as_deref()
    }
}

impl From<KeyRow> for KeyView {
    fn from(row: KeyRow) -> Self {
        let snapshot = match (row.snapshot_taken_at, row.snapshot_usage) {
            (Some(taken_at), Some(usage)) => Some(SnapshotView {
                taken_at,
                limit: row.snapshot_limit,
                limit_remaining: row.snapshot_limit_remaining,
                limit_reset: row.snapshot_limit_reset,
                usage,
                usage_daily: row.snapshot_usage_daily.unwrap_or_default(),
                usage_weekly: row.snapshot_usage_weekly.unwrap_or_default(),
                usage_monthly: row.snapshot_usage_monthly.unwrap_or_default(),
                is_free_tier: row.snapshot_is_free_tier == Some(1),
            }),
            _ => None,
        };
        Self {
            id: row.id,
            name: row.name,
            kind: row.kind,
            key_preview: row.key_preview,
            is_active: row.is_active,
            validation_status: row.validation_status,
            last_validated_at: row.last_validated_at,
            last_synced_at: row.last_synced_at,
            last_sync_error: row.last_sync_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
            snapshot,
        }
    }
}
