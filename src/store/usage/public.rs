//! The public API's reads (`/api/v1`): one statement each, the token lookup
//! folded in (SQL in `public_sql.rs`).

use std::borrow::Cow;

use serde::Deserialize;
use worker::D1Database;

use super::public_sql::{PUBLIC_KEYS, PUBLIC_METRICS, PUBLIC_STATS, PUBLIC_USAGE};
use crate::args;
use crate::domain::dates::{format_day, DateRange};
use crate::error::{AppError, AppResult};
use crate::store;

/// The token's row fields every public query returns.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenUse {
    pub token_id: i64,
    pub last_used_at: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct PublicStatsRow {
    pub token_id: i64,
    pub last_used_at: Option<String>,
    pub total_requests: i64,
    pub total_cost: String,
    pub total_tokens_input: i64,
    pub total_tokens_output: i64,
}

/// `None`: no active token with this hash.
pub async fn public_stats(
    db: &D1Database,
    token_hash: &str,
    range: &DateRange,
) -> AppResult<Option<PublicStatsRow>> {
    store::first(
        db,
        PUBLIC_STATS,
        args![
            token_hash,
            format_day(range.start()),
            format_day(range.end())
        ],
    )
    .await
}

/// One page of `/api/v1/usage` as [`PUBLIC_USAGE`] reads it.
#[derive(Debug, Deserialize)]
pub struct PublicUsagePage {
    pub token_id: i64,
    pub last_used_at: Option<String>,
    pub total: i64,
    /// The page's rows as compact JSON (see [`PUBLIC_USAGE`]).
    pub items: String,
}

/// One row of [`PublicUsagePage::items`], borrowed from its text: date,
/// model, requests, tokens in, tokens out, cost (units, as text).
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct UsageCell<'a>(
    #[serde(borrow)] pub Cow<'a, str>,
    #[serde(borrow)] pub Cow<'a, str>,
    pub i64,
    pub i64,
    pub i64,
    #[serde(borrow)] pub Cow<'a, str>,
);

impl PublicUsagePage {
    /// The page's rows, ordered by date then model (SQLite does not promise
    /// the order of an aggregate's elements: it is checked, and restored if
    /// ever needed).
    pub fn cells(&self) -> AppResult<Vec<UsageCell<'_>>> {
        let mut cells: Vec<UsageCell<'_>> =
            serde_json::from_str(&self.items).map_err(AppError::internal)?;
        let key = |c: &UsageCell<'_>| (c.0.to_string(), c.1.to_string());
        if !cells
            .windows(2)
            .all(|w| matches!(w, [a, b] if (&a.0, &a.1) <= (&b.0, &b.1)))
        {
            cells.sort_by_cached_key(key);
        }
        Ok(cells)
    }
}

/// One page of (date, model) rows over all the user's keys, plus the total
/// count; `None` when the token is not valid (a page past the end is `[]`).
pub async fn public_usage(
    db: &D1Database,
    token_hash: &str,
    range: &DateRange,
    limit: i64,
    offset: i64,
) -> AppResult<Option<PublicUsagePage>> {
    store::first(
        db,
        PUBLIC_USAGE,
        args![
            token_hash,
            format_day(range.start()),
            format_day(range.end()),
            limit,
            offset
        ],
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct PublicKeyRow {
    pub token_id: i64,
    pub last_used_at: Option<String>,
    pub id: Option<i64>,
    pub name: Option<String>,
    pub is_active: Option<i64>,
    pub total_requests: i64,
    pub total_cost: String,
}

/// The user's keys with all-time totals; one row with NULL key columns when
/// the user has no keys, no rows when the token is not valid.
pub async fn public_keys(db: &D1Database, token_hash: &str) -> AppResult<Vec<PublicKeyRow>> {
    store::all(db, PUBLIC_KEYS, args![token_hash]).await
}

/// What `/api/v1/metrics` reads, in one row (see [`PUBLIC_METRICS`]).
#[derive(Debug, Deserialize)]
pub struct PublicMetricsRow {
    pub token_id: i64,
    pub last_used_at: Option<String>,
    pub keys: String,
    pub models: String,
}

/// `None`: no active token with this hash.
pub async fn public_metrics(
    db: &D1Database,
    token_hash: &str,
    day: &str,
) -> AppResult<Option<PublicMetricsRow>> {
    store::first(db, PUBLIC_METRICS, args![token_hash, day]).await
}
