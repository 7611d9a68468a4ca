//! `users` queries.

use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub created_at: String,
}

#[derive(Deserialize)]
pub struct Credentials {
    pub id: i64,
    pub email: String,
    /// [`NO_PASSWORD`] when `has_password` is false.
    pub password_hash: String,
    pub session_epoch: i64,
    /// False for an account created by a Cloudflare Access sign-in: no
    /// password can sign it in (migration 0018).
    #[serde(deserialize_with = "super::int_bool")]
    pub has_password: bool,
}

/// What an account without a password stores as its hash: not a PHC string
/// (no parameters, salt or hash), so no password can ever verify against
/// it, and the login never tries (`has_password`). Migration 0018 ties the
/// two together.
pub const NO_PASSWORD: &str = "$argon2id$none";

/// An account created by a Cloudflare Access sign-in: no password
/// ([`NO_PASSWORD`]); a duplicate email is a UNIQUE violation, as for
/// [`insert`].
pub async fn insert_without_password(
    db: &D1Database,
    email: &str,
    now: &str,
) -> AppResult<Option<Credentials>> {
    super::first(
        db,
        "INSERT INTO users (id, email, password_hash, has_password, created_at, updated_at)
         VALUES (MAX(COALESCE((SELECT MAX(id) FROM users), 0),
                     (SELECT id FROM user_id_high_water WHERE singleton = 1)) + 1,
                 ?1, ?2, 0, ?3, ?3)
         RETURNING id, email, password_hash, session_epoch, has_password",
        args![email, NO_PASSWORD, now],
    )
    .await
}

/// Inserts a user; a duplicate email surfaces as a UNIQUE violation. The id
/// is allocated above every id ever used, deleted accounts' included
/// (`user_id_high_water`, migration 0002): ids are never reused.
pub async fn insert(
    db: &D1Database,
    email: &str,
    password_hash: &str,
    now: &str,
) -> AppResult<Option<UserRow>> {
    super::first(
        db,
        "INSERT INTO users (id, email, password_hash, created_at, updated_at)
         VALUES (MAX(COALESCE((SELECT MAX(id) FROM users), 0),
                     (SELECT id FROM user_id_high_water WHERE singleton = 1)) + 1,
                 ?1, ?2, ?3, ?3)
         RETURNING id, email, created_at",
        args![email, password_hash, now],
    )
    .await
}

pub async fn credentials(db: &D1Database, email: &str) -> AppResult<Option<Credentials>> {
    super::first(
        db,
        "SELECT id, email, password_hash, session_epoch, has_password FROM users WHERE email = ?1",
        args![email],
    )
    .await
}

pub async fn credentials_by_id(db: &D1Database, id: i64) -> AppResult<Option<Credentials>> {
    super::first(
        db,
        "SELECT id, email, password_hash, session_epoch, has_password FROM users WHERE id = ?1",
        args![id],
    )
    .await
}

/// Sets a new password hash and moves the account to its next session
/// epoch (ending every session issued before); returns the new epoch.
pub async fn change_password(
    db: &D1Database,
    id: i64,
    password_hash: &str,
    now: &str,
) -> AppResult<Option<i64>> {
    #[derive(Deserialize)]
    struct Epoch {
        session_epoch: i64,
    }
    let row: Option<Epoch> = super::first(
        db,
        "UPDATE users SET password_hash = ?2, session_epoch = session_epoch + 1, updated_at = ?3
         WHERE id = ?1 RETURNING session_epoch",
        args![id, password_hash, now],
    )
    .await?;
    Ok(row.map(|r| r.session_epoch))
}

/// Deletes the account; its keys, snapshots, usage (rollups follow through
/// the triggers) and API tokens go with it by cascade, in one statement.
pub async fn delete(db: &D1Database, id: i64) -> AppResult<usize> {
    super::run(db, "DELETE FROM users WHERE id = ?1", args![id]).await
}

pub async fn by_id(db: &D1Database, id: i64) -> AppResult<Option<UserRow>> {
    super::first(
        db,
        "SELECT id, email, created_at FROM users WHERE id = ?1",
        args![id],
    )
    .await
}

/// The user's time-zone preference (an IANA name, `UTC` by default).
pub async fn tz(db: &D1Database, id: i64) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        tz: String,
    }
    Ok(
        super::first::<Row>(db, "SELECT tz FROM users WHERE id = ?1", args![id])
            .await?
            .map(|row| row.tz),
    )
}

pub async fn set_tz(db: &D1Database, id: i64, tz: &str, now: &str) -> AppResult<bool> {
    Ok(super::run(
        db,
        "UPDATE users SET tz = ?2, updated_at = ?3 WHERE id = ?1",
        args![id, tz, now],
    )
    .await?
        > 0)
}

/// The account's spike sensitivity (`off`, `low`, `normal`, `high`).
pub async fn spike_sensitivity(db: &D1Database, id: i64) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        spike_sensitivity: String,
    }
    Ok(super::first::<Row>(
        db,
        "SELECT spike_sensitivity FROM users WHERE id = ?1",
        args![id],
    )
    .await?
    .map(|row| row.spike_sensitivity))
}

pub async fn set_spike_sensitivity(
    db: &D1Database,
    id: i64,
    sensitivity: &str,
    now: &str,
) -> AppResult<bool> {
    Ok(super::run(
        db,
        "UPDATE users SET spike_sensitivity = ?2, updated_at = ?3 WHERE id = ?1",
        args![id, sensitivity, now],
    )
    .await?
        > 0)
}

/// The least severity of the events the account wants by e-mail; `None`:
/// none.
pub async fn alert_email_severity(db: &D1Database, id: i64) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Row {
        alert_email_severity: Option<String>,
    }
    Ok(super::first::<Row>(
        db,
        "SELECT alert_email_severity FROM users WHERE id = ?1",
        args![id],
    )
    .await?
    .and_then(|row| row.alert_email_severity))
}

pub async fn set_alert_email_severity(
    db: &D1Database,
    id: i64,
    severity: Option<&str>,
    now: &str,
) -> AppResult<bool> {
    Ok(super::run(
        db,
        "UPDATE users SET alert_email_severity = ?2, updated_at = ?3 WHERE id = ?1",
        args![id, severity, now],
    )
    .await?
        > 0)
}
