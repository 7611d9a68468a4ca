//! The public API's reads (`/api/v1`): one statement each, the token lookup
//! folded in (SQL in `public_sql.rs`).

use std::borrow::Cow;

use serde::Deserialize;
use worker::D1Database;

use super::public_sql::{
    PUBLIC_KEYS, PUBLIC_METRICS, PUBLIC_STATS, PUBLIC_STATS_BY_MEMBER, PUBLIC_USAGE,
};
use crate::args;
use crate::domain::dates::{format_day, DateRange};
use crate::error::{AppError, AppResult};
use crate::store;

#[derive(Debug, Deserialize)]
pub struct PublicStatsRow {
    pub token_id: i64,
    pub last_used_at: Option<String>,
    pub scopes: i64,
    pub expires_at: Option<String>,
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

/// `/api/v1/stats?group_by=member` as [`PUBLIC_STATS_BY_MEMBER`] reads it.
#[derive(Debug, Deserialize)]
pub struct PublicMemberStats {
    pub token_id: i64,
    pub last_used_at: Option<String>,
    pub scopes: i64,
    pub expires_at: Option<String>,
    /// The members' rows as compact JSON (see [`PUBLIC_STATS_BY_MEMBER`]).
    pub members: String,
    /// The OpenRouter members' rows, likewise.
    pub creators: String,
}

/// One row of [`PublicMemberStats::members`], fields in the order of the
/// statement's `json_array`.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct MemberCell {
    pub user_id: Option<i64>,
    pub email: Option<String>,
    pub spent: SpentCell,
}

/// One row of [`PublicMemberStats::creators`], likewise.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct CreatorCell {
    pub creator_user_id: Option<String>,
    pub spent: SpentCell,
}

/// What a group of keys spent over the range: the inner `json_array` of
/// both groupings.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct SpentCell {
    pub requests_count: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    /// Units of 1e-10 USD, as text.
    pub cost: String,
}

impl PublicMemberStats {
    pub fn cells(&self) -> AppResult<Vec<MemberCell>> {
        serde_json::from_str(&self.members).map_err(AppError::internal)
    }

    pub fn creator_cells(&self) -> AppResult<Vec<CreatorCell>> {
        serde_json::from_str(&self.creators).map_err(AppError::internal)
    }
}

/// `None`: no active token with this hash.
pub async fn public_stats_by_member(
    db: &D1Database,
    token_hash: &str,
    range: &DateRange,
) -> AppResult<Option<PublicMemberStats>> {
    store::first(
        db,
        PUBLIC_STATS_BY_MEMBER,
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
    pub scopes: i64,
    pub expires_at: Option<String>,
    pub total: i64,
    /// The page's rows as compact JSON (see [`PUBLIC_USAGE`]).
    pub items: String,
}

/// One row of [`PublicUsagePage::items`], borrowed from its text. The
/// fields are in the order of [`PUBLIC_USAGE`]'s `json_array` (serde reads
/// a struct from an array by field order): compact text, named fields.
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct UsageCell<'a> {
    #[serde(borrow)]
    pub date: Cow<'a, str>,
    #[serde(borrow)]
    pub model: Cow<'a, str>,
    pub requests_count: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    /// Units of 1e-10 USD, as text.
    #[serde(borrow)]
    pub cost: Cow<'a, str>,
}

impl PublicUsagePage {
    /// The page's rows, ordered by date then model (SQLite does not promise
    /// the order of an aggregate's elements: it is checked, and restored if
    /// ever needed).
    pub fn cells(&self) -> AppResult<Vec<UsageCell<'_>>> {
        let mut cells: Vec<UsageCell<'_>> =
            serde_json::from_str(&self.items).map_err(AppError::internal)?;
        let key = |c: &UsageCell<'_>| (c.date.to_string(), c.model.to_string());
        if !cells
            .windows(2)
            .all(|w| matches!(w, [a, b] if (&a.date, &a.model) <= (&b.date, &b.model)))
        {
            cells.sort_by_cached_key(key);
        }
        Ok(cells)
    }
}

/// One page of (date, model) rows over the token's keys, plus the total
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
    pub scopes: i64,
    pub expires_at: Option<String>,
    pub id: Option<i64>,
    pub name: Option<String>,
    pub is_active: Option<i64>,
    pub total_requests: i64,
    pub total_cost: String,
}

/// The token's keys with all-time totals; one row with NULL key columns
/// when it sees none, no rows when the token is not valid.
pub async fn public_keys(db: &D1Database, token_hash: &str) -> AppResult<Vec<PublicKeyRow>> {
    store::all(db, PUBLIC_KEYS, args![token_hash]).await
}

/// What `/api/v1/metrics` reads, in one row (see [`PUBLIC_METRICS`]).
#[derive(Debug)]
pub struct PublicMetrics {
    pub token_id: i64,
    pub last_used_at: Option<String>,
    pub scopes: i64,
    pub expires_at: Option<String>,
    pub keys: Vec<MetricsKey>,
    pub models: Vec<MetricsModel>,
}

/// An inference key and its latest snapshot (money as unit text, every
/// snapshot field `None` without one).
#[derive(Debug, Deserialize)]
pub struct MetricsKey {
    pub id: i64,
    pub name: String,
    pub last_synced_at: Option<String>,
    pub taken_at: Option<String>,
    pub usage_daily: Option<String>,
    pub usage_weekly: Option<String>,
    pub usage_monthly: Option<String>,
    pub usage: Option<String>,
    pub credit_limit: Option<String>,
    pub limit_remaining: Option<String>,
    pub limit_reset: Option<String>,
}

/// A model's figures over the day (cost as unit text).
#[derive(Debug, Deserialize)]
pub struct MetricsModel {
    pub model: String,
    pub requests_count: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    pub cost: String,
}

pub async fn public_metrics(
    db: &D1Database,
    token_hash: &str,
    day: &str,
) -> AppResult<Option<PublicMetrics>> {
    #[derive(Deserialize)]
    struct Row {
        token_id: i64,
        last_used_at: Option<String>,
        scopes: i64,
        expires_at: Option<String>,
        keys: String,
        models: String,
    }
    let Some(row) = store::first::<Row>(db, PUBLIC_METRICS, args![token_hash, day]).await? else {
        return Ok(None);
    };
    Ok(Some(PublicMetrics {
        token_id: row.token_id,
        last_used_at: row.last_used_at,
        scopes: row.scopes,
        expires_at: row.expires_at,
        keys: serde_json::from_str(&row.keys).map_err(AppError::internal)?,
        models: serde_json::from_str(&row.models).map_err(AppError::internal)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(members: &str, creators: &str) -> PublicMemberStats {
        PublicMemberStats {
            token_id: 1,
            last_used_at: None,
            scopes: 0,
            expires_at: None,
            members: members.to_owned(),
            creators: creators.to_owned(),
        }
    }

    #[test]
    fn both_groupings_read_their_spent_from_the_inner_array() {
        let found = stats(
            r#"[[7,"a@example.com",[2,30,40,"5000"]],[null,null,[1,0,0,"0"]]]"#,
            r#"[["user_x",[3,30,40,"5000"]]]"#,
        );
        let spent = SpentCell {
            requests_count: 2,
            tokens_input: 30,
            tokens_output: 40,
            cost: "5000".to_owned(),
        };
        let members = found.cells().unwrap();
        assert_eq!(
            members[0],
            MemberCell {
                user_id: Some(7),
                email: Some("a@example.com".to_owned()),
                spent,
            }
        );
        assert_eq!(members[1].user_id, None);
        let creators = found.creator_cells().unwrap();
        assert_eq!(creators[0].creator_user_id.as_deref(), Some("user_x"));
        assert_eq!(creators[0].spent.requests_count, 3);
    }

    #[test]
    fn a_flat_row_is_refused_not_misread() {
        assert!(stats(r#"[[7,"a@example.com",2,30,40,"5000"]]"#, "[]")
            .cells()
            .is_err());
        assert!(stats("[]", r#"[["user_x",3,30,40,"5000"]]"#)
            .creator_cells()
            .is_err());
    }
}
