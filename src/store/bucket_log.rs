//! A bucket-keeping object's own SQLite storage (not D1): the log of the
//! requests a bucket allowed within its window, the window itself (for the
//! idle alarm), and whether a token was revoked. Every statement is
//! synchronous, so the object can read, decide and write with no await in
//! between.

use serde::Deserialize;
use worker::{Result, SqlStorage};

#[derive(Deserialize)]
struct Count {
    count: i64,
}

#[derive(Deserialize)]
struct Edge {
    at: Option<i64>,
}

#[derive(Deserialize)]
struct Window {
    window_ms: Option<i64>,
}

/// Creates the tables (idempotent).
pub fn create(sql: &SqlStorage) -> Result<()> {
    sql.exec(
        "CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL);
         CREATE INDEX IF NOT EXISTS hits_at ON hits (at);
         CREATE TABLE IF NOT EXISTS bucket (id INTEGER PRIMARY KEY CHECK (id = 1), window_ms INTEGER NOT NULL);
         CREATE TABLE IF NOT EXISTS revoked (at INTEGER NOT NULL);",
        None,
    )
    .map(drop)
}

/// Deletes the requests logged at or before `before_ms`; returns how many.
pub fn expire(sql: &SqlStorage, before_ms: i64) -> Result<i64> {
    let removed = sql
        .exec(
            "DELETE FROM hits WHERE at <= ? RETURNING at",
            vec![before_ms.into()],
        )?
        .to_array::<serde::de::IgnoredAny>()?;
    Ok(removed.len() as i64)
}

pub fn count(sql: &SqlStorage) -> Result<i64> {
    Ok(sql
        .exec("SELECT COUNT(*) AS count FROM hits", None)?
        .one::<Count>()?
        .count)
}

/// The oldest logged request (indexed: the first entry of `hits_at`).
pub fn oldest(sql: &SqlStorage) -> Result<Option<i64>> {
    Ok(sql
        .exec("SELECT MIN(at) AS at FROM hits", None)?
        .one::<Edge>()?
        .at)
}

pub fn newest(sql: &SqlStorage) -> Result<Option<i64>> {
    Ok(sql
        .exec("SELECT MAX(at) AS at FROM hits", None)?
        .one::<Edge>()?
        .at)
}

pub fn log(sql: &SqlStorage, at_ms: i64) -> Result<()> {
    sql.exec("INSERT INTO hits (at) VALUES (?)", vec![at_ms.into()])
        .map(drop)
}

/// Removes the newest logged request; returns how many went (0 or 1).
pub fn release_newest(sql: &SqlStorage) -> Result<i64> {
    let removed = sql
        .exec(
            "DELETE FROM hits WHERE rowid = (SELECT rowid FROM hits ORDER BY at DESC LIMIT 1)
             RETURNING at",
            None,
        )?
        .to_array::<serde::de::IgnoredAny>()?;
    Ok(removed.len() as i64)
}

pub fn set_window(sql: &SqlStorage, window_ms: i64) -> Result<()> {
    sql.exec(
        "INSERT INTO bucket (id, window_ms) VALUES (1, ?)
         ON CONFLICT (id) DO UPDATE SET window_ms = excluded.window_ms",
        vec![window_ms.into()],
    )
    .map(drop)
}

/// The bucket's window; `None` when nothing was ever logged here (no table).
pub fn window(sql: &SqlStorage) -> Result<Option<i64>> {
    match sql.exec("SELECT MAX(window_ms) AS window_ms FROM bucket", None) {
        Ok(cursor) => Ok(cursor.one::<Window>()?.window_ms),
        Err(_) => Ok(None),
    }
}

pub fn mark_revoked(sql: &SqlStorage, at_ms: i64) -> Result<()> {
    sql.exec("INSERT INTO revoked (at) VALUES (?)", vec![at_ms.into()])
        .map(drop)
}

/// Whether the token was revoked here (no table yet: never).
pub fn is_revoked(sql: &SqlStorage) -> Result<bool> {
    match sql.exec("SELECT COUNT(*) AS count FROM revoked", None) {
        Ok(cursor) => Ok(cursor.one::<Count>()?.count > 0),
        Err(_) => Ok(false),
    }
}
