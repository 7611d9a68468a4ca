//! What the jobs need of a key to call OpenRouter, and what they record.

use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::domain::key::{KeyKind, ValidationStatus};
use crate::error::AppResult;
use crate::store::int_bool;

/// What the jobs need to call OpenRouter with a key.
#[derive(Debug, Clone, Deserialize)]
pub struct SyncTarget {
    pub id: i64,
    pub org_id: i64,
    pub kind: KeyKind,
    pub key_hash: String,
    /// NULL for a watched key (and, for an instant, a key not sealed yet).
    pub key_ciphertext: Option<String>,
    pub key_nonce: Option<String>,
    pub validation_status: ValidationStatus,
    #[serde(deserialize_with = "int_bool")]
    pub is_active: bool,
    pub last_synced_at: Option<String>,
    pub activity_synced_through: Option<String>,
    /// The management key this key is read through (its account's listing,
    /// `/activity`), if any usable: for a watched key the one it was
    /// imported through, else the user's first active, not-invalid one.
    pub management_key_id: Option<i64>,
    /// Set for a key watched through a management key (no secret stored).
    pub watched_via: Option<i64>,
}

impl SyncTarget {
    /// A key stored with its secret (`GET /key` can be called with it).
    pub fn has_secret(&self) -> bool {
        self.key_ciphertext.is_some() && self.key_nonce.is_some()
    }
}

/// A usable management key: active, not invalid, sealed.
const USABLE: &str = "m.kind = 'management' AND m.is_active = 1
            AND m.validation_status != 'invalid' AND m.key_ciphertext IS NOT NULL";

/// The management key `k` is read through (see [`SyncTarget::management_key_id`]).
const VIA: &str = "CASE WHEN k.watched_via IS NOT NULL
          THEN (SELECT m.id FROM api_keys m WHERE m.id = k.watched_via AND {USABLE})
          ELSE (SELECT m.id FROM api_keys m WHERE m.org_id = k.org_id AND {USABLE}
                ORDER BY m.id LIMIT 1) END";

pub(super) fn target_sql() -> String {
    format!(
        "SELECT k.id, k.org_id, k.kind, k.key_hash, k.key_ciphertext, k.key_nonce,
            k.validation_status, k.is_active, k.last_synced_at, k.activity_synced_through,
            {} AS management_key_id, k.watched_via
          FROM api_keys k",
        VIA.replace("{USABLE}", USABLE)
    )
}

/// The keys the hourly sync reads: active, not-invalid inference keys,
/// sealed or watched.
const DUE: &str = "k.kind = 'inference' AND k.is_active = 1 AND k.validation_status != 'invalid'
           AND (k.key_ciphertext IS NOT NULL OR k.watched_via IS NOT NULL)";

/// Active, not-invalid inference keys, least recently synced first.
pub async fn sync_queue(db: &D1Database, limit: i64) -> AppResult<Vec<SyncTarget>> {
    crate::store::all(
        db,
        &format!(
            "{} WHERE {DUE}
             ORDER BY k.last_synced_at IS NOT NULL, k.last_synced_at, k.id LIMIT ?1",
            target_sql()
        ),
        args![limit],
    )
    .await
}

/// `(org_id, id, management key)` of the keys [`sync_queue`] would give, in
/// its order: what an hourly run plans its batches from (the consumers read
/// the rest); the management key is the listing the key is read from.
pub async fn sync_plan(db: &D1Database, limit: i64) -> AppResult<Vec<(i64, i64, Option<i64>)>> {
    #[derive(Deserialize)]
    struct Row {
        org_id: i64,
        id: i64,
        via: Option<i64>,
    }
    let sql = format!(
        "SELECT k.org_id, k.id, {} AS via FROM api_keys k
         WHERE {DUE}
         ORDER BY k.last_synced_at IS NOT NULL, k.last_synced_at, k.id LIMIT ?1",
        VIA.replace("{USABLE}", USABLE)
    );
    let rows: Vec<Row> = crate::store::all(db, &sql, args![limit]).await?;
    Ok(rows.into_iter().map(|r| (r.org_id, r.id, r.via)).collect())
}

/// Every key stored with its secret, least recently validated first (daily
/// validation; a watched key has nothing to validate with).
pub async fn validation_queue(db: &D1Database, limit: i64) -> AppResult<Vec<SyncTarget>> {
    crate::store::all(
        db,
        &format!(
            "{} WHERE k.key_ciphertext IS NOT NULL
             ORDER BY k.last_validated_at IS NOT NULL, k.last_validated_at, k.id LIMIT ?1",
            target_sql()
        ),
        args![limit],
    )
    .await
}

/// A user's key the sync can read: sealed, or watched.
pub async fn target(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<SyncTarget>> {
    crate::store::first(
        db,
        &format!(
            "{} WHERE k.id = ?1 AND k.org_id = ?2
               AND (k.key_ciphertext IS NOT NULL OR k.watched_via IS NOT NULL)",
            target_sql()
        ),
        args![id, org_id],
    )
    .await
}

pub async fn target_by_id(db: &D1Database, id: i64) -> AppResult<Option<SyncTarget>> {
    crate::store::first(db, &format!("{} WHERE k.id = ?1", target_sql()), args![id]).await
}

/// A sync that succeeded: when, through which day the activity is final,
/// and who created the key on OpenRouter (kept when OpenRouter did not say).
pub async fn record_sync_success(
    db: &D1Database,
    id: i64,
    now: &str,
    activity_synced_through: Option<&str>,
    creator_user_id: Option<&str>,
) -> AppResult<usize> {
    crate::store::run(
        db,
        "UPDATE api_keys SET last_synced_at = ?2, last_sync_error = NULL,
                activity_synced_through = COALESCE(?3, activity_synced_through),
                creator_user_id = COALESCE(?4, creator_user_id),
                validation_status = 'valid', last_validated_at = COALESCE(last_validated_at, ?2)
         WHERE id = ?1",
        args![id, now, activity_synced_through, creator_user_id],
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
    crate::store::run(
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
    crate::store::all(
        db,
        &format!(
            "{} WHERE k.id IN (SELECT value FROM json_each(?1))",
            target_sql()
        ),
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
    crate::store::run(
        db,
        "UPDATE api_keys SET activity_synced_through = ?2 WHERE id = ?1",
        args![id, final_through],
    )
    .await
}
