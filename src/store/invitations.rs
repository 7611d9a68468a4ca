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
    /// Whether the person is in the organisation already.
    pub already_member: i64,
}

pub async fn find(db: &D1Database, token_hash: &str, user_id: i64) -> AppResult<Option<Found>> {
    super::first(
        db,
        "SELECT i.id, i.org_id, o.name AS org_name, i.email, i.role, i.expires_at, i.accepted_at,
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
         WHERE id = ?1 AND accepted_at IS NULL AND expires_at > ?3",
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
