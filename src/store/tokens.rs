//! `api_tokens` queries. Only the SHA-256 of a token is ever stored.

use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::domain::scope::Grant;
use crate::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub token_prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    #[serde(deserialize_with = "super::int_bool")]
    pub is_active: bool,
    /// Bit set of `domain::scope::Scopes`.
    pub scopes: i64,
    pub expires_at: Option<String>,
    #[serde(deserialize_with = "super::int_bool")]
    pub key_limited: bool,
    /// The keys of a limited token, comma-separated (listings only; NULL
    /// when it has none).
    #[serde(default)]
    pub key_ids: Option<String>,
}

const COLUMNS: &str =
    "id, name, token_prefix, created_at, last_used_at, is_active, scopes, expires_at, key_limited";

/// A token to store: its owner, the session creating it, what is shown.
pub struct NewToken<'a> {
    pub org_id: i64,
    /// The creating session's JWT id.
    pub session: &'a str,
    pub name: &'a str,
    pub hash: &'a str,
    pub prefix: &'a str,
    /// Bit set of `domain::scope::Scopes`.
    pub scopes: i64,
    pub expires_at: Option<String>,
    /// The only keys it may see (a JSON array of the user's key ids), or
    /// `None` for every key.
    pub key_ids: Option<String>,
}

/// Inserts a token unless the user already holds `max_active` active,
/// unexpired ones (checked in the same statement, so two racing requests
/// cannot both pass), with its keys in the same transaction.
pub async fn insert_capped(
    db: &D1Database,
    new: &NewToken<'_>,
    now: &str,
    max_active: i64,
) -> AppResult<Option<TokenRow>> {
    let insert = super::statement(
        db,
        &format!(
            "INSERT INTO api_tokens (org_id, name, token_hash, token_prefix, created_at, created_by_session,
                                     scopes, expires_at, key_limited)
             SELECT ?1, ?2, ?3, ?4, ?5, ?7, ?8, ?9, ?10 IS NOT NULL
             WHERE (SELECT COUNT(*) FROM api_tokens WHERE org_id = ?1 AND is_active = 1
                      AND (expires_at IS NULL OR expires_at > ?5)) < ?6
             RETURNING {COLUMNS}"
        ),
        args![
            new.org_id,
            new.name,
            new.hash,
            new.prefix,
            now,
            max_active,
            new.session,
            new.scopes,
            new.expires_at.as_deref(),
            new.key_ids.as_deref()
        ],
    )?;
    // Only the user's own keys, by the new token's (unique) hash: nothing
    // when the insert above was refused.
    let keys = super::statement(
        db,
        "INSERT INTO api_token_keys (token_id, api_key_id)
         SELECT t.id, k.id FROM api_tokens t
         JOIN api_keys k ON k.org_id = t.org_id AND k.id IN (SELECT value FROM json_each(?2))
         WHERE t.token_hash = ?1",
        args![new.hash, new.key_ids.as_deref().unwrap_or("[]")],
    )?;
    let results = super::batch_results(db, vec![insert, keys]).await?;
    let Some(inserted) = results.first() else {
        return Ok(None);
    };
    let rows: Vec<TokenRow> = inserted.results().map_err(super::db_error)?;
    Ok(rows.into_iter().next())
}

/// How many of these ids (a JSON array) are keys of the user.
pub async fn owned_keys(db: &D1Database, org_id: i64, key_ids: &str) -> AppResult<i64> {
    super::count(
        db,
        "SELECT COUNT(*) AS n FROM api_keys
         WHERE org_id = ?1 AND id IN (SELECT value FROM json_each(?2))",
        args![org_id, key_ids],
    )
    .await
}

/// Deletes tokens that expired before `before`, a batch at a time.
pub async fn delete_expired_before(db: &D1Database, before: &str, batch: i64) -> AppResult<usize> {
    super::run(
        db,
        "DELETE FROM api_tokens WHERE id IN
           (SELECT id FROM api_tokens WHERE expires_at < ?1 LIMIT ?2)",
        args![before, batch],
    )
    .await
}

/// Revokes the user's active tokens created by any session but `session`
/// (or before sessions were recorded); their hashes, to tell their objects.
pub async fn revoke_others(
    db: &D1Database,
    org_id: i64,
    session: &str,
    now: &str,
) -> AppResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Hash {
        token_hash: String,
    }
    let rows: Vec<Hash> = super::all(
        db,
        "UPDATE api_tokens SET is_active = 0, revoked_at = ?3
         WHERE org_id = ?1 AND is_active = 1
           AND (created_by_session IS NULL OR created_by_session <> ?2)
         RETURNING token_hash",
        args![org_id, session, now],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.token_hash).collect())
}

pub async fn list(db: &D1Database, org_id: i64) -> AppResult<Vec<TokenRow>> {
    super::all(
        db,
        &format!(
            "SELECT {COLUMNS},
                (SELECT group_concat(api_key_id) FROM api_token_keys WHERE token_id = api_tokens.id)
                  AS key_ids
             FROM api_tokens WHERE org_id = ?1 ORDER BY id"
        ),
        args![org_id],
    )
    .await
}

/// A revoked token: its hash (to drop what its object caches) and name.
#[derive(Deserialize)]
pub struct Revoked {
    pub token_hash: String,
    pub name: String,
}

/// Revokes a token of this user; `None` when there is no such token (or it
/// belongs to someone else: same answer, no existence leak).
pub async fn revoke(
    db: &D1Database,
    org_id: i64,
    id: i64,
    now: &str,
) -> AppResult<Option<Revoked>> {
    super::first(
        db,
        "UPDATE api_tokens SET is_active = 0, revoked_at = COALESCE(revoked_at, ?3)
         WHERE id = ?1 AND org_id = ?2 RETURNING token_hash, name",
        args![id, org_id, now],
    )
    .await
}

/// Hashes of a user's active tokens.
pub async fn active_hashes(db: &D1Database, org_id: i64) -> AppResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Hash {
        token_hash: String,
    }
    let rows: Vec<Hash> = super::all(
        db,
        "SELECT token_hash FROM api_tokens WHERE org_id = ?1 AND is_active = 1",
        args![org_id],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.token_hash).collect())
}

/// Records use at most once a minute per token (`last_used_at` is a
/// coarse signal; writing it on every call would double the public path's
/// database work).
pub async fn touch(db: &D1Database, id: i64, now: &str, stale_before: &str) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE api_tokens SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
        args![id, now, stale_before],
    )
    .await
}

/// What the active token with this hash is granted (the public path's
/// token check when a request carries no question to fold it into).
pub async fn active_grant(db: &D1Database, token_hash: &str) -> AppResult<Option<Grant>> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        last_used_at: Option<String>,
        scopes: i64,
        expires_at: Option<String>,
    }
    let row: Option<Row> = super::first(
        db,
        "SELECT id, last_used_at, scopes, expires_at FROM api_tokens
         WHERE token_hash = ?1 AND is_active = 1",
        args![token_hash],
    )
    .await?;
    Ok(row.map(|r| Grant::of(r.id, r.last_used_at, r.scopes, r.expires_at.as_deref())))
}
