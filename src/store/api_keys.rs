//! `api_keys` queries. The key itself only ever exists here as ciphertext.
//! What the jobs read and record of a key is in [`targets`]; the keys
//! imported from a management key's listing, without a secret, in
//! [`watched`].

mod targets;
mod watched;

pub use targets::*;
pub use watched::*;

use serde::Deserialize;
use worker::D1Database;

use super::{int_bool, money_text_opt};
use crate::args;
use crate::domain::key::{KeyKind, ValidationStatus};
use crate::domain::money::Money;
use crate::error::AppResult;

/// A key's public view, joined with its latest snapshot (columns
/// `snapshot_*`, NULL when there is none), decoded into types.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyRow {
    pub id: i64,
    pub name: String,
    pub kind: KeyKind,
    pub key_preview: String,
    #[serde(deserialize_with = "int_bool")]
    pub is_active: bool,
    pub validation_status: ValidationStatus,
    pub last_validated_at: Option<String>,
    pub last_synced_at: Option<String>,
    pub last_sync_error: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// The management key this key is watched through (no secret stored).
    pub watched_via: Option<i64>,
    /// The person who added it (`None` once their account is gone), and their address.
    pub added_by: Option<i64>,
    pub added_by_email: Option<String>,
    /// The OpenRouter member who created it, once a sync has read it.
    pub creator_user_id: Option<String>,
    pub snapshot_taken_at: Option<String>,
    #[serde(deserialize_with = "money_text_opt")]
    pub snapshot_limit: Option<Money>,
    #[serde(deserialize_with = "money_text_opt")]
    pub snapshot_limit_remaining: Option<Money>,
    pub snapshot_limit_reset: Option<String>,
    #[serde(deserialize_with = "money_text_opt")]
    pub snapshot_usage: Option<Money>,
    #[serde(deserialize_with = "money_text_opt")]
    pub snapshot_usage_daily: Option<Money>,
    #[serde(deserialize_with = "money_text_opt")]
    pub snapshot_usage_weekly: Option<Money>,
    #[serde(deserialize_with = "money_text_opt")]
    pub snapshot_usage_monthly: Option<Money>,
    pub snapshot_is_free_tier: Option<i64>,
    /// The key's latest drifting day (`key_drift`), NULL when none.
    pub drift_day: Option<String>,
    #[serde(deserialize_with = "money_text_opt")]
    pub drift_activity: Option<Money>,
    #[serde(deserialize_with = "money_text_opt")]
    pub drift_running_total: Option<Money>,
    /// Rows matching the list query, repeated on each row (window function).
    #[serde(default)]
    pub total: Option<i64>,
}

const VIEW: &str = "SELECT k.id, k.name, k.kind, k.key_preview, k.is_active, k.validation_status,
        k.last_validated_at, k.last_synced_at, k.last_sync_error, k.created_at, k.updated_at,
        k.watched_via, k.added_by, adder.email AS added_by_email, k.creator_user_id,
        s.taken_at AS snapshot_taken_at,
        CAST(s.credit_limit AS TEXT) AS snapshot_limit,
        CAST(s.limit_remaining AS TEXT) AS snapshot_limit_remaining,
        s.limit_reset AS snapshot_limit_reset,
        CAST(s.usage AS TEXT) AS snapshot_usage,
        CAST(s.usage_daily AS TEXT) AS snapshot_usage_daily,
        CAST(s.usage_weekly AS TEXT) AS snapshot_usage_weekly,
        CAST(s.usage_monthly AS TEXT) AS snapshot_usage_monthly,
        s.is_free_tier AS snapshot_is_free_tier";

/// [`VIEW`] with the latest drifting day's columns.
fn view() -> String {
    format!("{VIEW}, {}", super::key_drift::COLUMNS)
}

/// Who added `k`, its latest snapshot and drifting day joined to it.
fn joins() -> String {
    format!(
        "LEFT JOIN users adder ON adder.id = k.added_by {LATEST_SNAPSHOT} {}",
        super::key_drift::LATEST
    )
}

const LATEST_SNAPSHOT: &str = "LEFT JOIN key_snapshots s ON s.id =
        (SELECT id FROM key_snapshots WHERE api_key_id = k.id ORDER BY taken_at DESC, id DESC LIMIT 1)";

/// A key's row before it is sealed.
pub struct NewKey<'a> {
    pub org_id: i64,
    /// The person who added it.
    pub added_by: i64,
    pub name: &'a str,
    pub kind: KeyKind,
    pub preview: &'a str,
    pub key_hash: &'a str,
}

/// Inserts the row without its ciphertext: the ciphertext's associated data
/// needs the row id. [`seal`] completes it. UNIQUE violations (same key or
/// same name for this user) surface to the caller; `None` when the user
/// already holds `max_keys` keys (checked in the same statement).
pub async fn insert_unsealed(
    db: &D1Database,
    key: &NewKey<'_>,
    now: &str,
    max_keys: i64,
) -> AppResult<Option<i64>> {
    super::first_id(
        db,
        "INSERT INTO api_keys (org_id, name, kind, key_preview, key_hash, created_at, updated_at, added_by)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6, ?8
         WHERE (SELECT COUNT(*) FROM api_keys WHERE org_id = ?1) < ?7
         RETURNING id",
        args![
            key.org_id,
            key.name,
            key.kind.as_str(),
            key.preview,
            key.key_hash,
            now,
            max_keys,
            key.added_by
        ],
    )
    .await
}

/// Stores the key's ciphertext and nonce (base64) on its row.
pub async fn seal(db: &D1Database, id: i64, ciphertext: &str, nonce: &str) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE api_keys SET key_ciphertext = ?2, key_nonce = ?3 WHERE id = ?1",
        args![id, ciphertext, nonce],
    )
    .await
}

pub async fn remove_unsealed(db: &D1Database, id: i64) -> AppResult<usize> {
    super::run(
        db,
        "DELETE FROM api_keys WHERE id = ?1 AND key_ciphertext IS NULL AND watched_via IS NULL",
        args![id],
    )
    .await
}

pub async fn set_validation(
    db: &D1Database,
    id: i64,
    status: ValidationStatus,
    now: &str,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE api_keys SET validation_status = ?2, last_validated_at = ?3, updated_at = ?3 WHERE id = ?1",
        args![id, status.as_str(), now],
    )
    .await
}

/// Every key of a user with its latest snapshot, oldest first (the
/// dashboard's status table; a user's keys are few).
pub async fn all_of_user(db: &D1Database, org_id: i64) -> AppResult<Vec<KeyRow>> {
    super::all(
        db,
        &format!(
            "{} FROM api_keys k {} WHERE k.org_id = ?1 ORDER BY k.id",
            view(),
            joins()
        ),
        args![org_id],
    )
    .await
}

pub async fn list(db: &D1Database, org_id: i64, limit: i64, offset: i64) -> AppResult<Vec<KeyRow>> {
    super::all(
        db,
        &format!(
            "{}, COUNT(*) OVER () AS total FROM api_keys k {}
             WHERE k.org_id = ?1 ORDER BY k.id LIMIT ?2 OFFSET ?3",
            view(),
            joins()
        ),
        args![org_id, limit, offset],
    )
    .await
}

pub async fn count(db: &D1Database, org_id: i64) -> AppResult<i64> {
    super::count(
        db,
        "SELECT COUNT(*) AS n FROM api_keys WHERE org_id = ?1",
        args![org_id],
    )
    .await
}

/// The management key the account acts and reads activity through: its
/// first active, not-invalid one (the one [`SyncTarget::management_key_id`]
/// names).
pub async fn management_key_id(db: &D1Database, org_id: i64) -> AppResult<Option<i64>> {
    super::first_id(
        db,
        "SELECT id FROM api_keys WHERE org_id = ?1 AND kind = 'management' AND is_active = 1
           AND validation_status != 'invalid' AND key_ciphertext IS NOT NULL ORDER BY id LIMIT 1",
        args![org_id],
    )
    .await
}

pub async fn get(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<KeyRow>> {
    super::first(
        db,
        &format!(
            "{} FROM api_keys k {} WHERE k.id = ?1 AND k.org_id = ?2",
            view(),
            joins()
        ),
        args![id, org_id],
    )
    .await
}

/// Renames and/or (de)activates; `false` when the user has no such key.
pub async fn update(
    db: &D1Database,
    org_id: i64,
    id: i64,
    name: Option<&str>,
    is_active: Option<bool>,
    now: &str,
) -> AppResult<bool> {
    let changed = super::run(
        db,
        "UPDATE api_keys SET name = COALESCE(?3, name), is_active = COALESCE(?4, is_active), updated_at = ?5
         WHERE id = ?1 AND org_id = ?2",
        args![id, org_id, name, is_active, now],
    )
    .await?;
    Ok(changed > 0)
}

/// Deletes a key; its snapshots and usage go with it (ON DELETE CASCADE,
/// and the rollup triggers follow). Its name; `None` when the user has no
/// such key.
pub async fn delete(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<String>> {
    let deleted: Option<super::Named> = super::first(
        db,
        "DELETE FROM api_keys WHERE id = ?1 AND org_id = ?2 RETURNING name",
        args![id, org_id],
    )
    .await?;
    Ok(deleted.map(|row| row.name))
}

/// Who added the organisation's key `id` (`None`: no such key, or its
/// person is gone).
pub async fn added_by(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<i64>> {
    #[derive(Deserialize)]
    struct Row {
        added_by: Option<i64>,
    }
    Ok(super::first::<Row>(
        db,
        "SELECT added_by FROM api_keys WHERE id = ?1 AND org_id = ?2",
        args![id, org_id],
    )
    .await?
    .and_then(|row| row.added_by))
}
