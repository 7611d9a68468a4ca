//! `key_snapshots`: one row per key per successful reading of its counters
//! (`GET /key`, or its entry in a management key's listing).

use chrono::NaiveDate;
use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::domain::dates::format_day;
use crate::domain::key::KeyCounters;
use crate::domain::money::Money;
use crate::error::{AppError, AppResult};

/// One snapshot as the API shows it.
#[derive(Debug, Clone, Deserialize)]
pub struct SnapshotRow {
    pub taken_at: String,
    #[serde(deserialize_with = "super::money_text_opt")]
    pub credit_limit: Option<Money>,
    #[serde(deserialize_with = "super::money_text_opt")]
    pub limit_remaining: Option<Money>,
    pub limit_reset: Option<String>,
    #[serde(deserialize_with = "super::money_text")]
    pub usage: Money,
    #[serde(deserialize_with = "super::money_text")]
    pub usage_daily: Money,
    #[serde(deserialize_with = "super::money_text")]
    pub usage_weekly: Money,
    #[serde(deserialize_with = "super::money_text")]
    pub usage_monthly: Money,
    #[serde(deserialize_with = "super::int_bool")]
    pub is_free_tier: bool,
}

/// A user's key's snapshots, newest first; `None` when the key is not the
/// user's (or does not exist).
pub async fn of_key(
    db: &D1Database,
    org_id: i64,
    api_key_id: i64,
    limit: i64,
) -> AppResult<Option<Vec<SnapshotRow>>> {
    let owned = super::api_keys::get(db, org_id, api_key_id)
        .await?
        .is_some();
    if !owned {
        return Ok(None);
    }
    super::all(
        db,
        "SELECT taken_at, CAST(credit_limit AS TEXT) AS credit_limit,
                CAST(limit_remaining AS TEXT) AS limit_remaining, limit_reset,
                CAST(usage AS TEXT) AS usage, CAST(usage_daily AS TEXT) AS usage_daily,
                CAST(usage_weekly AS TEXT) AS usage_weekly,
                CAST(usage_monthly AS TEXT) AS usage_monthly, is_free_tier
         FROM key_snapshots WHERE api_key_id = ?1
         ORDER BY taken_at DESC, id DESC LIMIT ?2",
        args![api_key_id, limit],
    )
    .await
    .map(Some)
}

/// Stores a snapshot and thins the key's recent ones in the same batch:
/// of each hour (on OpenRouter's clock, the clock the hourly curve reads)
/// only the first snapshot stays, plus the newest of all. Whatever the
/// manual syncs, a key keeps at most 24 snapshots a day and one more; the
/// hourly curve (first of each hour), the day-start arithmetic (any of the
/// day's) and the runway (oldest and newest) read the same figures.
pub async fn insert(
    db: &D1Database,
    api_key_id: i64,
    counters: &KeyCounters,
    taken_at: &str,
    taken_on: NaiveDate,
) -> AppResult<usize> {
    let c = counters;
    super::batch(
        db,
        vec![
            super::statement(
                db,
                "INSERT INTO key_snapshots (api_key_id, taken_at, taken_on, label, credit_limit, limit_remaining,
                     limit_reset, usage, usage_daily, usage_weekly, usage_monthly, is_free_tier,
                     rate_limit_requests, rate_limit_interval, served_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
                         COALESCE(?12, (SELECT p.is_free_tier FROM key_snapshots p
                                        WHERE p.api_key_id = ?1 ORDER BY p.id DESC LIMIT 1), 0),
                         ?13, ?14, ?15)",
                args![
                    api_key_id,
                    taken_at,
                    format_day(taken_on),
                    c.label.clone(),
                    c.limit,
                    c.limit_remaining,
                    c.limit_reset.clone(),
                    c.usage,
                    c.usage_daily,
                    c.usage_weekly,
                    c.usage_monthly,
                    c.is_free_tier,
                    c.rate_limit_requests,
                    c.rate_limit_interval.clone(),
                    c.served_at.clone(),
                ],
            )?,
            super::statement(db, THIN, args![api_key_id, thinning_since(taken_at)])?,
        ],
    )
    .await
}

/// Deletes the key's snapshots taken since `?2` that are neither the first
/// of their hour nor the newest (only the recent ones can be: every insert
/// thins).
const THIN: &str = "DELETE FROM key_snapshots
     WHERE api_key_id = ?1 AND taken_at >= ?2
       AND id <> (SELECT MAX(id) FROM key_snapshots WHERE api_key_id = ?1)
       AND EXISTS (
           SELECT 1 FROM key_snapshots o
           WHERE o.api_key_id = ?1 AND o.taken_at >= ?2
             AND substr(COALESCE(o.served_at, o.taken_at), 1, 13)
                 = substr(COALESCE(key_snapshots.served_at, key_snapshots.taken_at), 1, 13)
             AND (COALESCE(o.served_at, o.taken_at) < COALESCE(key_snapshots.served_at, key_snapshots.taken_at)
                  OR (COALESCE(o.served_at, o.taken_at) = COALESCE(key_snapshots.served_at, key_snapshots.taken_at)
                      AND o.id < key_snapshots.id)))";

/// How far back an insert thins: three hours before it, on the Worker's
/// clock (the indexed one), enough for a skew between the two clocks.
fn thinning_since(taken_at: &str) -> String {
    crate::clock::parse_timestamp(taken_at)
        .and_then(|t| t.checked_sub_signed(chrono::Duration::hours(3)))
        .map_or_else(|| taken_at.to_owned(), crate::clock::timestamp)
}

/// The all-time spend at the start of each UTC day with a snapshot since
/// `since` (`usage - usage_daily`, from that day's latest snapshot).
#[derive(Debug, Deserialize)]
pub struct DayStart {
    pub taken_on: String,
    pub spent_before: String,
}

pub async fn day_starts(
    db: &D1Database,
    api_key_id: i64,
    since: NaiveDate,
) -> AppResult<Vec<DayStart>> {
    super::all(
        db,
        "SELECT taken_on, CAST(usage - usage_daily AS TEXT) AS spent_before FROM key_snapshots
         WHERE id IN (SELECT MAX(id) FROM key_snapshots WHERE api_key_id = ?1 AND taken_on >= ?2 GROUP BY taken_on)
         ORDER BY taken_on",
        args![api_key_id, format_day(since)],
    )
    .await
}

pub async fn delete_older_than(db: &D1Database, before: &str, batch: i64) -> AppResult<usize> {
    super::run(
        db,
        "DELETE FROM key_snapshots WHERE id IN (SELECT id FROM key_snapshots WHERE taken_at < ?1 LIMIT ?2)",
        args![before, batch],
    )
    .await
}

/// One reading of a key's running total: the fields in the order of the
/// `json_array` of [`readings`] (serde reads a struct from an array by
/// field order).
#[derive(Debug, PartialEq, Eq, Deserialize)]
pub struct KeyReading {
    pub api_key_id: i64,
    /// On OpenRouter's clock when it said (`served_at`), else ours.
    pub observed_at: String,
    /// Units of 1e-10 USD, as text.
    pub usage: String,
}

/// The user's keys' snapshots (one key's with `api_key_id`) observed in
/// `[from, to)` on OpenRouter's clock, ordered by key then time. D1 hands
/// them over as one compact JSON text (far faster than thousands of rows).
pub async fn readings(
    db: &D1Database,
    org_id: i64,
    api_key_id: Option<i64>,
    from: &str,
    to: &str,
) -> AppResult<Vec<KeyReading>> {
    #[derive(Deserialize)]
    struct Row {
        readings: String,
    }
    let text = super::first::<Row>(
        db,
        "SELECT json_group_array(json_array(r.api_key_id, r.observed_at, r.usage)) AS readings
         FROM (SELECT s.api_key_id, COALESCE(s.served_at, s.taken_at) AS observed_at,
                      CAST(s.usage AS TEXT) AS usage
               FROM key_snapshots s
               WHERE s.api_key_id IN (SELECT id FROM api_keys WHERE org_id = ?1 AND (?2 IS NULL OR id = ?2))
                 AND COALESCE(s.served_at, s.taken_at) >= ?3 AND COALESCE(s.served_at, s.taken_at) < ?4
               ORDER BY s.api_key_id, observed_at) r",
        args![org_id, api_key_id, from, to],
    )
    .await?;
    match text {
        Some(row) => serde_json::from_str(&row.readings).map_err(AppError::internal),
        None => Ok(Vec::new()),
    }
}

/// A key's running total at the start of a UTC day (OpenRouter's clock),
/// from the day's first snapshot: `usage - usage_daily`.
#[derive(Debug, Deserialize)]
pub struct DayStartTotal {
    pub api_key_id: i64,
    pub day: String,
    #[serde(deserialize_with = "super::money_text")]
    pub start_total: Money,
}

/// The user's keys' day-start totals of the days from `from_day` on.
pub async fn day_start_totals(
    db: &D1Database,
    org_id: i64,
    from_day: &str,
) -> AppResult<Vec<DayStartTotal>> {
    super::all(
        db,
        "SELECT api_key_id, day, CAST(start_total AS TEXT) AS start_total FROM (
             SELECT s.api_key_id, substr(COALESCE(s.served_at, s.taken_at), 1, 10) AS day,
                    s.usage - s.usage_daily AS start_total,
                    ROW_NUMBER() OVER (PARTITION BY s.api_key_id, substr(COALESCE(s.served_at, s.taken_at), 1, 10)
                                       ORDER BY COALESCE(s.served_at, s.taken_at), s.id) AS n
             FROM key_snapshots s
             WHERE s.api_key_id IN (SELECT id FROM api_keys WHERE org_id = ?1)
               AND COALESCE(s.served_at, s.taken_at) >= ?2)
         WHERE n = 1",
        args![org_id, from_day],
    )
    .await
}
