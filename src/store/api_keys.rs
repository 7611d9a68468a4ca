//! `api_keys` queries. The key itself only ever exists here as ciphertext.

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
    /// Rows matching the list query, repeated on each row (window function).
    #[serde(default)]
    pub total: Option<i64>,
}

const VIEW: &str = "SELECT k.id, k.name, k.kind, k.key_preview, k.is_active, k.validation_status,
        k.last_validated_at, k.last_synced_at, k.last_sync_error, k.created_at, k.updated_at,
        s.taken_at AS snapshot_taken_at,
        CAST(s.credit_limit AS TEXT) AS snapshot_limit,
        CAST(s.limit_remaining AS TEXT) AS snapshot_limit_remaining,
        s.limit_reset AS snapshot_limit_reset,
        CAST(s.usage AS TEXT) AS snapshot_usage,
        CAST(s.usage_daily AS TEXT) AS snapshot_usage_daily,
        CAST(s.usage_weekly AS TEXT) AS snapshot_usage_weekly,
        CAST(s.usage_monthly AS TEXT) AS snapshot_usage_monthly,
        s.is_free_tier AS snapshot_is_free_tier";

const LATEST_SNAPSHOT: &str = "LEFT JOIN key_snapshots s ON s.id =
        (SELECT id FROM key_snapshots WHERE api_key_id = k.id ORDER BY taken_at DESC, id DESC LIMIT 1)";

/// A key's row before it is sealed.
pub struct NewKey<'a> {
    pub user_id: i64,
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
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    let row: Option<Id> = super::first(
        db,
        "INSERT INTO api_keys (user_id, name, kind, key_preview, key_hash, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6
         WHERE (SELECT COUNT(*) FROM api_keys WHERE user_id = ?1) < ?7
         RETURNING id",
        args![
            key.user_id,
            key.name,
            key.kind.as_str(),
            key.preview,
            key.key_hash,
            now,
            max_keys
        ],
    )
    .await?;
    Ok(row.map(|r| r.id))
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
        "DELETE FROM api_keys WHERE id = ?1 AND key_ciphertext IS NULL",
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
pub async fn all_of_user(db: &D1Database, user_id: i64) -> AppResult<Vec<KeyRow>> {
    super::all(
        db,
        &format!("{VIEW} FROM api_keys k {LATEST_SNAPSHOT} WHERE k.user_id = ?1 ORDER BY k.id"),
        args![user_id],
    )
    .await
}

pub async fn list(
    db: &D1Database,
    user_id: i64,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<KeyRow>> {
    super::all(
        db,
        &format!(
            "{VIEW}, COUNT(*) OVER () AS total FROM api_keys k {LATEST_SNAPSHOT}
             WHERE k.user_id = ?1 ORDER BY k.id LIMIT ?2 OFFSET ?3"
        ),
        args![user_id, limit, offset],
    )
    .await
}

pub async fn count(db: &D1Database, user_id: i64) -> AppResult<i64> {
    super::count(
        db,
        "SELECT COUNT(*) AS n FROM api_keys WHERE user_id = ?1",
        args![user_id],
    )
    .await
}

/// The management key the account acts and reads activity through: its
/// first active, not-invalid one (the one [`SyncTarget::management_key_id`]
/// names).
pub async fn management_key_id(db: &D1Database, user_id: i64) -> AppResult<Option<i64>> {
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    Ok(super::first::<Id>(
        db,
        "SELECT id FROM api_keys WHERE user_id = ?1 AND kind = 'management' AND is_active = 1
           AND validation_status != 'invalid' AND key_ciphertext IS NOT NULL ORDER BY id LIMIT 1",
        args![user_id],
    )
    .await?
    .map(|row| row.id))
}

pub async fn get(db: &D1Database, user_id: i64, id: i64) -> AppResult<Option<KeyRow>> {
    super::first(
        db,
        &format!("{VIEW} FROM api_keys k {LATEST_SNAPSHOT} WHERE k.id = ?1 AND k.user_id = ?2"),
        args![id, user_id],
    )
    .await
}

/// Renames and/or (de)activates; `false` when the user has no such key.
pub async fn update(
    db: &D1Database,
    user_id: i64,
    id: i64,
    name: Option<&str>,
    is_active: Option<bool>,
    now: &str,
) -> AppResult<bool> {
    let changed = super::run(
        db,
        "UPDATE api_keys SET name = COALESCE(?3, name), is_active = COALESCE(?4, is_active), updated_at = ?5
         WHERE id = ?1 AND user_id = ?2",
        args![id, user_id, name, is_active, now],
    )
    .await?;
    Ok(changed > 0)
}

/// Deletes a key; its snapshots and usage go with it (ON DELETE CASCADE,
/// and the rollup triggers follow). Its name; `None` when the user has no
/// such key.
pub async fn delete(db: &D1Database, user_id: i64, id: i64) -> AppResult<Option<String>> {
    let deleted: Option<super::Named> = super::first(
        db,
        "DELETE FROM api_keys WHERE id = ?1 AND user_id = ?2 RETURNING name",
        args![id, user_id],
    )
    .await?;
    Ok(deleted.map(|row| row.name))
}

/// What the jobs need to call OpenRouter with a key.
#[derive(Debug, Clone, Deserialize)]
pub struct SyncTarget {
    pub id: i64,
    pub user_id: i64,
    pub kind: KeyKind,
    pub key_hash: String,
    pub key_ciphertext: Option<String>,
    pub key_nonce: Option<String>,
    pub validation_status: ValidationStatus,
    #[serde(deserialize_with = "int_bool")]
    pub is_active: bool,
    pub last_synced_at: Option<String>,
    pub activity_synced_through: Option<String>,
    /// The user's management key, if any (for `/activity`).
    pub management_key_id: Option<i64>,
}

const TARGET: &str = "SELECT k.id, k.user_id, k.kind, k.key_hash, k.key_ciphertext, k.key_nonce,
        k.validation_status, k.is_active, k.last_synced_at, k.activity_synced_through,
        (SELECT m.id FROM api_keys m
          WHERE m.user_id = k.user_id AND m.kind = 'management' AND m.is_active = 1
            AND m.validation_status != 'invalid' AND m.key_ciphertext IS NOT NULL
          ORDER BY m.id LIMIT 1) AS management_key_id
      FROM api_keys k";

/// Active, not-invalid inference keys, least recently synced first.
pub async fn sync_queue(db: &D1Database, limit: i64) -> AppResult<Vec<SyncTarget>> {
    super::all(
        db,
        &format!(
            "{TARGET} WHERE k.kind = 'inference' AND k.is_active = 1 AND k.validation_status != 'invalid'
               AND k.key_ciphertext IS NOT NULL
             ORDER BY k.last_synced_at IS NOT NULL, k.last_synced_at, k.id LIMIT ?1"
        ),
        args![limit],
    )
    .await
}

/// `(user_id, id)` of the keys [`sync_queue`] would give, in its order:
/// what an hourly run plans its batches from (the consumers read the rest).
pub async fn sync_plan(db: &D1Database, limit: i64) -> AppResult<Vec<(i64, i64)>> {
    #[derive(Deserialize)]
    struct Row {
        user_id: i64,
        id: i64,
    }
    let rows: Vec<Row> = super::all(
        db,
        "SELECT k.user_id, k.id FROM api_keys k
         WHERE k.kind = 'inference' AND k.is_active = 1 AND k.validation_status != 'invalid'
           AND k.key_ciphertext IS NOT NULL
         ORDER BY k.last_synced_at IS NOT NULL, k.last_synced_at, k.id LIMIT ?1",
        args![limit],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.id)).collect())
}

/// Every stored key, least recently validated first (daily validation).
pub async fn validation_queue(db: &D1Database, limit: i64) -> AppResult<Vec<SyncTarget>> {
    super::all(
        db,
        &format!(
            "{TARGET} WHERE k.key_ciphertext IS NOT NULL
             ORDER BY k.last_validated_at IS NOT NULL, k.last_validated_at, k.id LIMIT ?1"
        ),
        args![limit],
    )
    .await
}

pub async fn target(db: &D1Database, user_id: i64, id: i64) -> AppResult<Option<SyncTarget>> {
    super::first(
        db,
        &format!("{TARGET} WHERE k.id = ?1 AND k.user_id = ?2 AND k.key_ciphertext IS NOT NULL"),
        args![id, user_id],
    )
    .await
}

pub async fn target_by_id(db: &D1Database, id: i64) -> AppResult<Option<SyncTarget>> {
    super::first(db, &format!("{TARGET} WHERE k.id = ?1"), args![id]).await
}

pub async fn record_sync_success(
    db: &D1Database,
    id: i64,
    now: &str,
    activity_synced_through: Option<&str>,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE api_keys SET last_synced_at = ?2, last_sync_error = NULL,
                activity_synced_through = COALESCE(?3, activity_synced_through),
                validation_status = 'valid', last_validated_at = COALESCE(last_validated_at, ?2)
         WHERE id = ?1",
        args![id, now, activity_synced_through],
    )
    .await
}

pub async fn record_sync_error(
    db: &D1Database,
    id: i64,
    error: &str,
    invalid: bool,
    now: &str,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE api_keys SET last_sync_error = ?2,
                validation_status = CASE WHEN ?3 = 1 THEN 'invalid' ELSE validation_status END,
                last_validated_at = CASE WHEN ?3 = 1 THEN ?4 ELSE last_validated_at END
         WHERE id = ?1",
        args![id, error, invalid, now],
    )
    .await
}

/// Several keys by id (the management keys a sync run needs).
pub async fn targets_by_ids(db: &D1Database, ids: &[i64]) -> AppResult<Vec<SyncTarget>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
    super::all(
        db,
        &format!("{TARGET} WHERE k.id IN (SELECT value FROM json_each(?1))"),
        args![ids],
    )
    .await
}

/// Advances the activity resume point without marking the key synced
/// (a run that ran out of budget half-way).
pub async fn record_activity_progress(
    db: &D1Database,
    id: i64,
    final_through: &str,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE api_keys SET activity_synced_through = ?2 WHERE id = ?1",
        args![id, final_through],
    )
    .await
}
