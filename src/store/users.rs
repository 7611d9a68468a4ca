//! `users` queries.

use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::http::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub created_at: String,
}

#[derive(Deserialize)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
}

/// Inserts a user; a duplicate email surfaces as a UNIQUE violation.
pub async fn insert(
    db: &D1Database,
    email: &str,
    password_hash: &str,
    now: &str,
) -> AppResult<Option<UserRow>> {
    super::first(
        db,
        "INSERT INTO users (email, password_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?3)
         RETURNING id, email, created_at",
        args![email, password_hash, now],
    )
    .await
}

pub async fn credentials(db: &D1Database, email: &str) -> AppResult<Option<Credentials>> {
    super::first(
        db,
        "SELECT id, password_hash FROM users WHERE email = ?1",
        args![email],
    )
    .await
}

pub async fn by_id(db: &D1Database, id: i64) -> AppResult<Option<UserRow>> {
    super::first(
        db,
        "SELECT id, email, created_at FROM users WHERE id = ?1",
        args![id],
    )
    .await
}
