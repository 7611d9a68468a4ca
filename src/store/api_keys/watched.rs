//! Keys watched through a management key (migration 0009): imported from
//! its account's listing by hash, without a secret; and what the import
//! needs to know of a user's keys.

use serde::Deserialize;
use worker::D1Database;

use super::targets::SyncTarget;
use crate::args;
use crate::error::AppResult;

/// A key to watch through `via`, a management key of the same user.
pub struct WatchedKey<'a> {
    pub org_id: i64,
    /// The person who imported it.
    pub added_by: i64,
    pub name: &'a str,
    /// OpenRouter's masked label, shown in place of a preview.
    pub preview: &'a str,
    pub key_hash: &'a str,
    pub via: i64,
}

/// Inserts a watched key (no ciphertext, `validation_status` `valid`: its
/// management key saw it); `None` when the user already holds `max_keys`
/// keys or `via` is not a usable management key of theirs (checked in the
/// same statement). UNIQUE violations (the same hash or name for this user)
/// surface to the caller.
pub async fn insert_watched(
    db: &D1Database,
    key: &WatchedKey<'_>,
    now: &str,
    max_keys: i64,
) -> AppResult<Option<i64>> {
    crate::store::first_id(
        db,
        "INSERT INTO api_keys (org_id, name, kind, key_preview, key_hash, watched_via,
                               validation_status, last_validated_at, created_at, updated_at, added_by)
         SELECT ?1, ?2, 'inference', ?3, ?4, ?5, 'valid', ?6, ?6, ?6, ?8
         WHERE (SELECT COUNT(*) FROM api_keys WHERE org_id = ?1) < ?7
           AND EXISTS (SELECT 1 FROM api_keys m WHERE m.id = ?5 AND m.org_id = ?1
                         AND m.kind = 'management' AND m.key_ciphertext IS NOT NULL)
         RETURNING id",
        args![
            key.org_id,
            key.name,
            key.preview,
            key.key_hash,
            key.via,
            now,
            max_keys,
            key.added_by
        ],
    )
    .await
}

/// The hashes of every key the user stores (sealed or watched).
pub async fn hashes_of_user(db: &D1Database, org_id: i64) -> AppResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Row {
        key_hash: String,
    }
    let rows: Vec<Row> = crate::store::all(
        db,
        "SELECT key_hash FROM api_keys WHERE org_id = ?1",
        args![org_id],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.key_hash).collect())
}

/// How many keys are watched through the user's key `id`.
pub async fn watched_through(db: &D1Database, org_id: i64, id: i64) -> AppResult<i64> {
    crate::store::count(
        db,
        "SELECT COUNT(*) AS n FROM api_keys WHERE org_id = ?1 AND watched_via = ?2",
        args![org_id, id],
    )
    .await
}

/// The user's usable management keys (active, not invalid, sealed), oldest
/// first: those whose listings the import reads.
pub async fn management_keys(db: &D1Database, org_id: i64) -> AppResult<Vec<SyncTarget>> {
    crate::store::all(
        db,
        &format!(
            "{} WHERE k.org_id = ?1 AND k.kind = 'management' AND k.is_active = 1
               AND k.validation_status != 'invalid' AND k.key_ciphertext IS NOT NULL
             ORDER BY k.id",
            super::targets::target_sql()
        ),
        args![org_id],
    )
    .await
}
