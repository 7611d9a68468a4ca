//! `revoked_sessions`: the JWT `jti` denylist, each row kept until the
//! token's own expiry (after which the token is refused anyway).

use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::error::AppResult;

pub async fn revoke(db: &D1Database, jti: &str, expires_at: &str) -> AppResult<()> {
    super::run(
        db,
        "INSERT INTO revoked_sessions (jti, expires_at) VALUES (?1, ?2) ON CONFLICT (jti) DO NOTHING",
        args![jti, expires_at],
    )
    .await
    .map(drop)
}

/// Whether the session is live: its user exists and is still in the
/// session's epoch (no password change since), and its `jti` is not
/// revoked. One statement for all three checks.
pub async fn live_user(db: &D1Database, user_id: i64, epoch: i64, jti: &str) -> AppResult<bool> {
    #[derive(Deserialize)]
    struct Row {
        live: i64,
    }
    let row: Option<Row> = super::first(
        db,
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = ?1 AND session_epoch = ?3)
                AND NOT EXISTS (SELECT 1 FROM revoked_sessions WHERE jti = ?2) AS live",
        args![user_id, jti, epoch],
    )
    .await?;
    Ok(row.is_some_and(|r| r.live == 1))
}

pub async fn delete_expired(db: &D1Database, now: &str, batch: i64) -> AppResult<usize> {
    super::run(
        db,
        "DELETE FROM revoked_sessions WHERE jti IN
           (SELECT jti FROM revoked_sessions WHERE expires_at <= ?1 LIMIT ?2)",
        args![now, batch],
    )
    .await
}
