//! What a stored key looks like to its owner: never the key, only its
//! preview, its status and OpenRouter's latest figures.

use crate::domain::role::Role;
use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;
use watcher_core::api_doc::vocabulary::schemas::{NullableMoney, NullableTimestamp, Timestamp};

use crate::domain::key::{KeyKind, ValidationStatus};
use crate::domain::money::Money;
use crate::domain::page::Pagination;
use crate::store::api_keys::KeyRow;
use crate::store::snapshots::SnapshotRow;

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = KeySnapshot, description = "The latest numbers OpenRouter reported for this key (GET /key): credit limit and remaining (null when unlimited), all-time spend and spend of the current UTC day/week/month.")]
pub struct SnapshotView {
    #[schema(value_type = Timestamp)]
    taken_at: String,
    #[schema(value_type = NullableMoney, required = true)]
    limit: Option<Money>,
    #[schema(value_type = NullableMoney, required = true)]
    limit_remaining: Option<Money>,
    /// OpenRouter's reset period of the limit (e.g. `monthly`), or null.
    #[schema(required = true)]
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

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Key, description = "A stored key's public view. Never contains the key value.")]
pub struct KeyView {
    /// Key id.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    kind: KeyKind,
    /// The key's family prefix and last 4 characters only, e.g. `sk-or-v1-…a1b2`; for a key watched through a management key (no secret stored), OpenRouter's masked label, e.g. `sk-or-v1-abc...xyz`. Null for a viewer (the finance role sees no part of a key).
    #[schema(
        pattern = "^sk-or-(v1-)?(…[A-Za-z0-9_-]{4}|[A-Za-z0-9_-]{0,8}\\.\\.\\.[A-Za-z0-9_-]{0,8})$",
        required = true
    )]
    key_preview: Option<String>,
    is_active: bool,
    validation_status: ValidationStatus,
    #[schema(value_type = NullableTimestamp, required = true)]
    last_validated_at: Option<String>,
    #[schema(value_type = NullableTimestamp, required = true)]
    last_synced_at: Option<String>,
    /// Why the last sync or validation attempt failed (never contains the key).
    #[schema(required = true)]
    last_sync_error: Option<String>,
    #[schema(value_type = Timestamp)]
    created_at: String,
    #[schema(value_type = Timestamp)]
    updated_at: String,
    /// The management key this key is watched through (imported from its account's listing with `POST /api/keys/import`): no secret is stored, the key is synced from that key's listing and never validated on its own. null for a key stored with its secret.
    #[schema(required = true, minimum = 1, maximum = 9007199254740991_i64)]
    watched_via: Option<i64>,
    /// The person who added the key (a member's id, as in `GET /api/organisations/members`); null once their account is gone. A member may change only the keys they added.
    #[schema(required = true, minimum = 1, maximum = 9007199254740991_i64)]
    added_by: Option<i64>,
    /// The OpenRouter member who created the key, as OpenRouter says (`creator_user_id` of `/key` and of a management key's listing); null until a sync has read it.
    #[schema(required = true, max_length = 64)]
    creator_user_id: Option<String>,
    /// Latest snapshot, or null when the key was never read from OpenRouter (management keys never have one).
    #[schema(required = true)]
    snapshot: Option<SnapshotView>,
    /// The latest UTC day whose OpenRouter `/activity` rows and running total disagreed by more than 0.0001 USD (docs/alerts.md), with both exact figures; null when no checked day ever did. Stored figures are never rewritten.
    #[schema(required = true)]
    drift: Option<DriftView>,
}

/// A day whose two figures of a key's spend disagree.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = KeyDrift)]
pub struct DriftView {
    #[schema(value_type = vocabulary::schemas::Date)]
    day: String,
    /// The sum of OpenRouter's `/activity` rows of the day.
    activity: Money,
    /// What the key's running total (`usage`) grew by over the day.
    running_total: Money,
}

impl KeyView {
    /// The view as `role` may see it: a viewer sees no preview.
    pub fn seen_by(mut self, role: Role) -> Self {
        if role == Role::Viewer {
            self.key_preview = None;
        }
        self
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_active(&self) -> bool {
        self.is_active
    }

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
        let drift = match (row.drift_day, row.drift_activity, row.drift_running_total) {
            (Some(day), Some(activity), Some(running_total)) => Some(DriftView {
                day,
                activity,
                running_total,
            }),
            _ => None,
        };
        Self {
            drift,
            id: row.id,
            name: row.name,
            kind: row.kind,
            key_preview: Some(row.key_preview),
            is_active: row.is_active,
            validation_status: row.validation_status,
            last_validated_at: row.last_validated_at,
            last_synced_at: row.last_synced_at,
            last_sync_error: row.last_sync_error,
            created_at: row.created_at,
            updated_at: row.updated_at,
            watched_via: row.watched_via,
            added_by: row.added_by,
            creator_user_id: row.creator_user_id,
            snapshot,
        }
    }
}

watcher_core::named_params!(
    SnapshotLimit,
    serde_json::json!({
        "name": "limit",
        "in": "query",
        "required": false,
        "description": "Snapshots to return, 1 to 1000 (422 otherwise).",
        "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 168 }
    })
);

/// One page of the user's keys.
#[derive(Serialize, ToSchema)]
#[schema(description = "The user's keys, oldest first.")]
pub struct KeyList {
    pub items: Vec<KeyView>,
    pub pagination: Pagination,
}

/// A key's snapshots (one per sync: a spend curve for the key).
#[derive(Serialize, ToSchema)]
#[schema(description = "A key's OpenRouter snapshots (one per sync), newest first.")]
pub struct KeySnapshotList {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub api_key_id: i64,
    #[schema(max_items = 1000)]
    pub items: Vec<SnapshotView>,
}
