//! `usage_stats` and its rollups (`usage_org_day`, `usage_org_day_model`,
//! `usage_key_total`, kept exact by the triggers in `migrations/`).
//!
//! Public-API reads fold the token lookup into the data query, so each
//! `/api/v1` request costs one D1 statement.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use crate::args;
use crate::domain::dates::{format_day, DateRange};
use crate::domain::money::Money;
use crate::error::AppResult;

/// The model name of rows derived from key totals (no per-model split known).
pub const ALL_MODELS: &str = "(all models)";

const UPSERT: &str = "INSERT INTO usage_stats
        (api_key_id, org_id, date, model, requests_count, tokens_input, tokens_output, cost, source, updated_at)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, CAST(?8 AS INTEGER), ?9, ?10)
     ON CONFLICT (api_key_id, date, model) DO UPDATE SET
        requests_count = excluded.requests_count, tokens_input = excluded.tokens_input,
        tokens_output = excluded.tokens_output, cost = excluded.cost, source = excluded.source,
        updated_at = excluded.updated_at
     WHERE requests_count != excluded.requests_count OR tokens_input != excluded.tokens_input
        OR tokens_output != excluded.tokens_output OR cost != excluded.cost OR source != excluded.source";

use crate::domain::usage::ModelUsage;

/// Replaces one key's rows for one day with OpenRouter's activity, in one
/// transaction: models no longer reported and snapshot-derived rows go,
/// the rest are upserted (unchanged rows are not rewritten, so a second
/// sync changes nothing, `updated_at` included). Returns rows changed.
pub async fn replace_activity_day(
    db: &D1Database,
    api_key_id: i64,
    org_id: i64,
    day: NaiveDate,
    models: &BTreeMap<String, ModelUsage>,
    now: &str,
) -> AppResult<usize> {
    let date = format_day(day);
    let names =
        serde_json::to_string(&models.keys().collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into());
    let mut statements: Vec<D1PreparedStatement> = vec![super::statement(
        db,
        "DELETE FROM usage_stats WHERE api_key_id = ?1 AND date = ?2
           AND (source = 'key_totals' OR model NOT IN (SELECT value FROM json_each(?3)))",
        args![api_key_id, date.as_str(), names],
    )?];
    for (model, totals) in models {
        statements.push(super::statement(
            db,
            UPSERT,
            args![
                api_key_id,
                org_id,
                date.as_str(),
                model.as_str(),
                totals.requests,
                totals.tokens_input,
                totals.tokens_output,
                totals.cost,
                "activity",
                now
            ],
        )?);
    }
    super::batch(db, statements).await
}

/// Writes snapshot-derived `(all models)` rows for days that have no
/// activity rows (activity, when there is any, is more precise and wins).
pub async fn upsert_key_totals(
    db: &D1Database,
    api_key_id: i64,
    org_id: i64,
    days: &[(NaiveDate, Money)],
    now: &str,
) -> AppResult<usize> {
    let sql = "INSERT INTO usage_stats
            (api_key_id, org_id, date, model, requests_count, tokens_input, tokens_output, cost, source, updated_at)
         SELECT ?1, ?2, ?3, ?4, 0, 0, 0, CAST(?5 AS INTEGER), 'key_totals', ?6
         WHERE NOT EXISTS (SELECT 1 FROM usage_stats WHERE api_key_id = ?1 AND date = ?3 AND source = 'activity')
         ON CONFLICT (api_key_id, date, model) DO UPDATE SET cost = excluded.cost, updated_at = excluded.updated_at
         WHERE cost != excluded.cost";
    let statements = days
        .iter()
        .map(|(day, cost)| {
            super::statement(
                db,
                sql,
                args![api_key_id, org_id, format_day(*day), ALL_MODELS, *cost, now],
            )
        })
        .collect::<AppResult<Vec<_>>>()?;
    super::batch(db, statements).await
}

/// Deletes one batch of usage older than `before`; returns the owner of each
/// deleted row (so their tokens' cached answers can be cleared).
pub async fn delete_older_than(
    db: &D1Database,
    before: NaiveDate,
    batch: i64,
) -> AppResult<Vec<i64>> {
    #[derive(Deserialize)]
    struct Owner {
        org_id: i64,
    }
    let owners: Vec<Owner> = super::all(
        db,
        "DELETE FROM usage_stats WHERE id IN (SELECT id FROM usage_stats WHERE date < ?1 LIMIT ?2)
         RETURNING org_id",
        args![format_day(before), batch],
    )
    .await?;
    Ok(owners.into_iter().map(|o| o.org_id).collect())
}

/// A key's `/activity` total of one day (the drift check).
#[derive(Debug, Deserialize)]
pub struct ActivityDay {
    pub api_key_id: i64,
    pub date: String,
    #[serde(deserialize_with = "super::money_text")]
    pub cost: Money,
}

/// The user's keys' `/activity` totals of the days `[from, to]` (rows
/// derived from snapshots are not OpenRouter's activity: left out).
pub async fn activity_days(
    db: &D1Database,
    org_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Vec<ActivityDay>> {
    super::all(
        db,
        "SELECT api_key_id, date, CAST(SUM(cost) AS TEXT) AS cost FROM usage_stats
         WHERE org_id = ?1 AND source = 'activity' AND date BETWEEN ?2 AND ?3
         GROUP BY api_key_id, date",
        args![org_id, format_day(from), format_day(to)],
    )
    .await
}

// ---- public API (token lookup folded in): `usage/public.rs` ---------------

mod public;
mod public_sql;
pub use public::*;
pub use public_sql::{
    PUBLIC_KEYS, PUBLIC_METRICS, PUBLIC_STATS, PUBLIC_STATS_BY_MEMBER, PUBLIC_USAGE,
};

// ---- web API (JWT) ----------------------------------------------------------

/// Filters of `/api/usage` and `/api/usage.csv`.
pub struct UsageFilter<'a> {
    pub org_id: i64,
    pub range: DateRange,
    pub api_key_id: Option<i64>,
    pub model: Option<&'a str>,
}

#[derive(Debug, Deserialize)]
pub struct KeyUsageRow {
    pub date: String,
    pub model: String,
    pub api_key_id: i64,
    pub requests_count: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    pub cost: String,
    #[serde(default)]
    pub total: Option<i64>,
}

const KEY_USAGE_WHERE: &str = "WHERE org_id = ?1 AND date BETWEEN ?2 AND ?3
       AND (?4 IS NULL OR api_key_id = ?4) AND (?5 IS NULL OR model = ?5)";

/// Rows per (date, model, key), ordered by date, model, key. `limit` None:
/// all of them (CSV export).
pub async fn key_usage(
    db: &D1Database,
    filter: &UsageFilter<'_>,
    page: Option<(i64, i64)>,
) -> AppResult<Vec<KeyUsageRow>> {
    let (limit, offset) = page.unwrap_or((-1, 0));
    super::all(
        db,
        &format!(
            "SELECT date, model, api_key_id, requests_count, tokens_input, tokens_output,
                    CAST(cost AS TEXT) AS cost, COUNT(*) OVER () AS total
             FROM usage_stats {KEY_USAGE_WHERE}
             ORDER BY date, model, api_key_id LIMIT ?6 OFFSET ?7"
        ),
        args![
            filter.org_id,
            format_day(filter.range.start()),
            format_day(filter.range.end()),
            filter.api_key_id,
            filter.model,
            limit,
            offset
        ],
    )
    .await
}

pub async fn key_usage_count(db: &D1Database, filter: &UsageFilter<'_>) -> AppResult<i64> {
    super::count(
        db,
        &format!("SELECT COUNT(*) AS n FROM usage_stats {KEY_USAGE_WHERE}"),
        args![
            filter.org_id,
            format_day(filter.range.start()),
            format_day(filter.range.end()),
            filter.api_key_id,
            filter.model
        ],
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ModelCellRow {
    pub date: String,
    pub model: String,
    pub requests_count: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    #[serde(deserialize_with = "super::money_text")]
    pub cost: Money,
}

#[derive(Debug, Deserialize)]
pub struct KeyCellRow {
    pub date: String,
    pub api_key_id: i64,
    pub requests_count: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    #[serde(deserialize_with = "super::money_text")]
    pub cost: Money,
}

/// The overview's cells: per (day, model) and per (day, key), over the same
/// filtered rows, read in one batch (one transaction) so they agree.
pub struct OverviewCells {
    pub models: Vec<ModelCellRow>,
    pub keys: Vec<KeyCellRow>,
}

/// Per (day, model) from the per-user rollup when no key is singled out
/// (at most days x models rows); from `usage_stats` otherwise.
const MODEL_CELLS_ROLLUP: &str = "SELECT date, model, requests_count, tokens_input, tokens_output,
        CAST(cost AS TEXT) AS cost
     FROM usage_org_day_model
     WHERE org_id = ?1 AND date BETWEEN ?2 AND ?3 AND (?5 IS NULL OR model = ?5)";

const MODEL_CELLS_OF_KEY: &str = "SELECT date, model, requests_count, tokens_input, tokens_output,
        CAST(cost AS TEXT) AS cost
     FROM usage_stats
     WHERE org_id = ?1 AND date BETWEEN ?2 AND ?3 AND api_key_id = ?4 AND (?5 IS NULL OR model = ?5)";

const KEY_CELLS: &str = "SELECT date, api_key_id, SUM(requests_count) AS requests_count,
        SUM(tokens_input) AS tokens_input, SUM(tokens_output) AS tokens_output,
        CAST(SUM(cost) AS TEXT) AS cost
     FROM usage_stats WHERE org_id = ?1 AND date BETWEEN ?2 AND ?3
       AND (?4 IS NULL OR api_key_id = ?4) AND (?5 IS NULL OR model = ?5)
     GROUP BY date, api_key_id";

pub async fn overview_cells(db: &D1Database, filter: &UsageFilter<'_>) -> AppResult<OverviewCells> {
    let (start, end) = (
        format_day(filter.range.start()),
        format_day(filter.range.end()),
    );
    let args = || {
        args![
            filter.org_id,
            start.as_str(),
            end.as_str(),
            filter.api_key_id,
            filter.model
        ]
    };
    let model_sql = if filter.api_key_id.is_some() {
        MODEL_CELLS_OF_KEY
    } else {
        MODEL_CELLS_ROLLUP
    };
    let statements = vec![
        super::statement(db, model_sql, args())?,
        super::statement(db, KEY_CELLS, args())?,
    ];
    let mut results = super::batch_results(db, statements).await?.into_iter();
    let mut next = || {
        results
            .next()
            .ok_or_else(|| crate::error::AppError::internal("short D1 batch"))
    };
    let models = next()?.results::<ModelCellRow>().map_err(super::db_error)?;
    let keys = next()?.results::<KeyCellRow>().map_err(super::db_error)?;
    Ok(OverviewCells { models, keys })
}

/// One model's all-time figures for one account.
#[derive(Debug, Deserialize)]
pub struct ModelSpendRow {
    pub model: String,
    pub first_date: String,
    pub last_date: String,
    pub requests_count: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    #[serde(deserialize_with = "super::money_text")]
    pub cost: Money,
}

/// Every model the account's keys have used, from the per-user rollup (its
/// primary key starts with `org_id`), most expensive first, then by name.
pub async fn models_used(db: &D1Database, org_id: i64) -> AppResult<Vec<ModelSpendRow>> {
    super::all(
        db,
        "SELECT model, MIN(date) AS first_date, MAX(date) AS last_date,
                SUM(requests_count) AS requests_count, SUM(tokens_input) AS tokens_input,
                SUM(tokens_output) AS tokens_output, CAST(SUM(cost) AS TEXT) AS cost
         FROM usage_org_day_model WHERE org_id = ?1
         GROUP BY model ORDER BY SUM(cost) DESC, model",
        args![org_id],
    )
    .await
}
