//! `api_tokens` queries. Only the SHA-256 of a token is ever stored.

use serde::Deserialize;
use worker::D1Database;

use crate::args;
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
}

const COLUMNS: &str = "id, name, token_prefix, created_at, last_used_at, is_active";

/// A token to store: its owner, the session creating it, what is shown.
pub struct NewToken<'a> {
    pub user_id: i64,
    /// The creating session's JWT id.
    pub session: &'a str,
    pub name: &'a str,
    pub hash: &'a str,
    pub prefix: &'a str,
}

/// Inserts a token unless the user already holds `max_active` active ones
/// (checked in the same statement, so two racing requests cannot both pass).
pub async fn insert_capped(
    db: &D1Database,
    new: &NewToken<'_>,
    now: &str,
    max_active: i64,
) -> AppResult<Option<TokenRow>> {
    super::first(
        db,
        &format!(
            "INSERT INTO api_tokens (user_id, name, token_hash, token_prefix, created_at, created_by_session)
             SELECT ?1, ?2, ?3, ?4, ?5, ?7
             WHERE (SELECT COUNT(*) FROM api_tokens WHERE user_id = ?1 AND is_active = 1) < ?6
             RETURNING {COLUMNS}"
        ),
        args![new.user_id, new.name, new.hash, new.prefix, now, max_active, new.session],
    )
    .await
}

/// Revokes the user's active tokens created by any session but `session`
/// (or before sessions were recorded); their hashes, to tell their objects.
pub async fn revoke_others(
    db: &D1Database,
    user_id: i64,
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
         WHERE user_id = ?1 AND is_active = 1
           AND (created_by_session IS NULL OR created_by_session <> ?2)
         RETURNING token_hash",
        args![user_id, session, now],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.token_hash).collect())
}

pub async fn list(db: &D1Database, user_id: i64) -> AppResult<Vec<TokenRow>> {
    super::all(
        db,
        &format!("SELECT {COLUMNS} FROM api_tokens WHERE user_id = ?1 ORDER BY id"),
        args![user_id],
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
    user_id: i64,
    id: i64,
    now: &str,
) -> AppResult<Option<Revoked>> {
    super::first(
        db,
        "UPDATE api_tokens SET is_active = 0, revoked_at = COALESCE(revoked_at, ?3)
         WHERE id = ?1 AND user_id = ?2 RETURNING token_hash, name",
        args![id, user_id, now],
    )
    .await
}

/// Hashes of a user's active tokens.
pub async fn active_hashes(db: &D1Database, user_id: i64) -> AppResult<Vec<String>> {
    #[derive(Deserialize)]
    struct Hash {
        token_hash: String,
    }
    let rows: Vec<Hash> = super::all(
        db,
        "SELECT token_hash FROM api_tokens WHERE user_id = ?1 AND is_active = 1",
        args![user_id],
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

/// The id of the active token with this hash (the public path's token check
/// when a request carries no question to fold it into).
pub async fn active_id(db: &D1Database, token_hash: &str) -> AppResult<Option<i64>> {
    super::first_id(
        db,
        "SELECT id FROM api_tokens WHERE token_hash = ?1 AND is_active = 1",
        args![token_hash],
    )
    .await
}
