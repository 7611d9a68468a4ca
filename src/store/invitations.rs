//! `invitations`: single-use, expiring invitations to an organisation
//! (migration 0020); only each token's hash is kept.

use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::error::AppResult;

pub struct NewInvitation<'a> {
    pub org_id: i64,
    pub email: &'a str,
    pub role: &'a str,
    pub token_hash: &'a str,
    pub invited_by: i64,
    pub expires_at: &'a str,
}

pub async fn insert(db: &D1Database, new: &NewInvitation<'_>, now: &str) -> AppResult<Option<i64>> {
    super::first_id(
        db,
        "INSERT INTO invitations (org_id, email, role, token_hash, invited_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        args![
            new.org_id,
            new.email,
            new.role,
            new.token_hash,
            new.invited_by,
            now,
            new.expires_at
        ],
    )
    .await
}

/// An invitation that can still be accepted, as the organisation sees it.
#[derive(Debug, Deserialize)]
pub struct Pending {
    pub id: i64,
    pub email: String,
    pub role: String,
    /// Who invited, while their account exists.
    pub invited_by: Option<String>,
    pub created_at: String,
    pub expires_at: String,
}

/// `org_id`'s invitations neither accepted, revoked nor expired at `now`,
/// newest first.
pub async fn pending(db: &D1Database, org_id: i64, now: &str) -> AppResult<Vec<Pending>> {
    super::all(
        db,
        "SELECT i.id, i.email, i.role, u.email AS invited_by, i.created_at, i.expires_at
         FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
         WHERE i.org_id = ?1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
           AND i.expires_at > ?2
         ORDER BY i.id DESC",
        args![org_id, now],
    )
    .await
}

/// One of `org_id`'s invitations, whatever its state.
#[derive(Debug, Deserialize)]
pub struct Held {
    pub email: String,
    pub role: String,
    pub expires_at: String,
}

pub async fn in_org(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<Held>> {
    super::first(
        db,
        "SELECT email, role, expires_at FROM invitations WHERE id = ?1 AND org_id = ?2",
        args![id, org_id],
    )
    .await
}

/// Revokes a pending invitation of `org_id`; false when it was accepted or
/// revoked meanwhile.
pub async fn revoke(db: &D1Database, org_id: i64, id: i64, by: i64, now: &str) -> AppResult<bool> {
    let changed = super::run(
        db,
        "UPDATE invitations SET revoked_at = ?4, revoked_by = ?3
         WHERE id = ?1 AND org_id = ?2 AND accepted_at IS NULL AND revoked_at IS NULL",
        args![id, org_id, by, now],
    )
    .await?;
    Ok(changed == 1)
}

/// An invitation the address can still accept, with its organisation.
#[derive(Debug, Deserialize)]
pub struct Open {
    pub id: i64,
    pub org_id: i64,
    pub role: String,
}

/// The invitations to `email` that can still be accepted at `now`, in
/// organisations `user_id` is not in, oldest first (the partial index of
/// migration 0021).
pub async fn open_for(
    db: &D1Database,
    email: &str,
    user_id: i64,
    now: &str,
) -> AppResult<Vec<Open>> {
    super::all(
        db,
        "SELECT i.id, i.org_id, i.role FROM invitations i
         WHERE i.email = ?1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL
           AND i.expires_at > ?3
           AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = i.org_id AND m.user_id = ?2)
         ORDER BY i.id",
        args![email, user_id, now],
    )
    .await
}

/// An invitation as its token finds it.
#[derive(Debug, Deserialize)]
pub struct Found {
    pub id: i64,
    pub org_id: i64,
    pub org_name: String,
    pub email: String,
    pub role: String,
    pub expires_at: String,
    pub accepted_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Whether the person is in the organisation already.
    pub already_member: i64,
}

pub async fn find(db: &D1Database, token_hash: &str, user_id: i64) -> AppResult<Option<Found>> {
    super::first(
        db,
        "SELECT i.id, i.org_id, o.name AS org_name, i.email, i.role, i.expires_at, i.accepted_at,
                i.revoked_at,
                EXISTS (SELECT 1 FROM memberships m WHERE m.org_id = i.org_id AND m.user_id = ?2)
                  AS already_member
         FROM invitations i JOIN organisations o ON o.id = i.org_id
         WHERE i.token_hash = ?1",
        args![token_hash, user_id],
    )
    .await
}

/// Takes the invitation for `user_id` and makes them a member with its
/// role, as one transaction; false when it was taken or expired meanwhile.
pub async fn accept(db: &D1Database, id: i64, user_id: i64, now: &str) -> AppResult<bool> {
    let take = super::statement(
        db,
        "UPDATE invitations SET accepted_at = ?3, accepted_by = ?2
         WHERE id = ?1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?3",
        args![id, user_id, now],
    )?;
    let join = super::statement(
        db,
        "INSERT INTO memberships (org_id, user_id, role, joined_at)
         SELECT org_id, ?2, role, ?3 FROM invitations
         WHERE id = ?1 AND accepted_by = ?2 AND accepted_at = ?3
         ON CONFLICT (org_id, user_id) DO NOTHING",
        args![id, user_id, now],
    )?;
    let results = super::batch_results(db, vec![take, join]).await?;
    let mut changed = Vec::new();
    for result in &results {
        changed.push(super::changes(result)?);
    }
    Ok(changed == [1, 1])
}
