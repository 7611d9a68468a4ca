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

/// A live session's membership: `None` fields when the person is no member
/// of the organisation asked for.
#[derive(Deserialize)]
pub struct LiveMember {
    pub org_id: Option<i64>,
    pub role: Option<String>,
}

/// Whether the session is live (its user exists and is still in the
/// session's epoch, no password change since, and its `jti` is not
/// revoked), and the person's organisation and role: the one asked for, or
/// their personal one (then the first they joined, should it be gone). One statement for all of it.
pub async fn live_member(
    db: &D1Database,
    user_id: i64,
    epoch: i64,
    jti: &str,
    org_id: Option<i64>,
) -> AppResult<Option<LiveMember>> {
    super::first(
        db,
        "SELECT m.org_id, m.role
         FROM users u
         LEFT JOIN memberships m ON m.user_id = u.id AND (?4 IS NULL OR m.org_id = ?4)
         WHERE u.id = ?1 AND u.session_epoch = ?3
           AND NOT EXISTS (SELECT 1 FROM revoked_sessions WHERE jti = ?2)
         ORDER BY m.org_id IS u.personal_org_id DESC, m.joined_at, m.org_id
         LIMIT 1",
        args![user_id, jti, epoch, org_id],
    )
    .await
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
