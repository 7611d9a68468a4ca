//! `/api/stats/dashboard`: the overview in one call, every figure over one
//! range and the same filters, so they reconcile (see `usage::overview`).

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::local;
use super::members::{self, CreatorSpend, MemberSpend};
use super::overview::{self, Counts, DayPoint, KeyCell, KeyTotal, ModelCell, ModelTotal, Series};
use super::periods::{self, PeriodSpend, SnapshotSpend};
use super::rows::{key_filter, model_filter};
use super::shapes::{Period, Summary};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::dates::{format_day, DateRange};
use crate::domain::key::KeyKind;
use crate::domain::money::Money;
use crate::domain::page::parse_bounded;
use crate::domain::Invalid;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::keys::views::KeyView;
use crate::store::{
    self,
    api_keys::KeyRow,
    usage::{self, KeyCellRow, ModelCellRow, UsageFilter},
};

const TOP_MODELS: usize = 10;

#[derive(Serialize, ToSchema)]
struct Today {
    #[schema(value_type = vocabulary::schemas::Date)]
    date: String,
    /// Today's spend so far: the sum of `usage_daily` of each key's latest snapshot taken today (UTC).
    #[schema(value_type = String, pattern = r"^-?[0-9]+(\.[0-9]+)?$", examples("12.0153"))]
    spend: Money,
    /// Keys with a snapshot taken today.
    #[schema(minimum = 0)]
    keys_reporting: i64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Dashboard)]
struct DashboardResponse {
    period: Period,
    totals: Summary,
    /// Every day of the period in order, zeros included (no holes in a chart).
    #[schema(min_items = 1, max_items = 365)]
    daily: Vec<DayPoint>,
    /// The first 10 of `models`.
    #[schema(max_items = 10)]
    top_models: Vec<ModelTotal>,
    /// Every model with usage in the period (after the filters), by cost, highest first, then by name. Their costs sum exactly to `totals.total_cost`.
    models: Vec<ModelTotal>,
    /// Every key of the user (only the `api_key_id` one when filtered), oldest first, with its totals over the period (zeros included). Their costs sum exactly to `totals.total_cost`.
    keys: Vec<KeyTotal>,
    /// The same totals per person who added the keys, exactly as `GET /api/v1/stats?group_by=member` gives them for the range (people whose keys had no usage in it are left out), most expensive first; they add up to `totals` exactly.
    by_member: Vec<MemberSpend>,
    /// The same totals per OpenRouter member who created the keys (`creator_user_id`; null for keys no sync has read it of yet), likewise.
    by_openrouter_member: Vec<CreatorSpend>,
    /// The cost-per-day chart's stacked series; each `costs` array has one value per day of `daily`, in the same order.
    #[schema(inline)]
    series: Series,
    /// Kept for older clients: the same figure as `spend.today`.
    #[schema(inline)]
    today: Today,
    /// Spend so far in the current UTC day, week (from Monday) and month, from the latest OpenRouter snapshot of each inference key (only the filtered key with `api_key_id`; never filtered by model). A snapshot counts for a period only if it was taken in it.
    #[schema(inline)]
    spend: PeriodSpend,
    /// Every key of the user (only the filtered one with `api_key_id`), oldest first, exactly as `GET /api/keys` shows it: status, last sync and its error, latest snapshot (limit, remaining, reset period).
    key_status: Vec<KeyView>,
    /// Every budget of the account, as in `GET /api/budgets`.
    budgets: Vec<crate::alerts::view::BudgetView>,
    #[schema(value_type = vocabulary::schemas::TimeZone)]
    tz: &'static str,
    /// Days of the range as local days in `tz`, from the hourly curve; null in UTC (then `daily` is by local day). Per-model figures stay by UTC day.
    #[schema(required = true, max_items = 365)]
    local_daily: Option<Vec<local::LocalDayTotal>>,
}

/// Dashboard aggregates
///
/// The overview in one call, over the last `days` UTC days ending today or over `start_date`..`end_date` (not both), optionally restricted to one key (`api_key_id`) and/or one model (`model`): totals, a per-day series with every day present, every model, every key, the chart's per-day series by model and by key, spend today/this week/this month from snapshots, and each key's status. All figures come from the same rows, so `totals.total_cost` equals the sum of `keys[].cost`, of `models[].cost` and of `daily[].cost` exactly, and, without filters, `/api/v1/stats` for the same range.
#[utoipa::path(
    get,
    path = "/api/stats/dashboard",
    operation_id = "dashboard",
    tag = "usage",
    params(vocabulary::params::Days, ("start_date" = Option<vocabulary::schemas::Date>, Query, description = "First UTC day of a custom range (instead of `days`; giving both is 422 on `days`). Default: end_date - 29 days. Same rules as everywhere: not after end_date, at most 365 days counting both ends."), ("end_date" = Option<vocabulary::schemas::Date>, Query, description = "Last UTC day of a custom range (instead of `days`). Default: today (UTC)."), vocabulary::params::ApiKeyIdFilter, vocabulary::params::ModelFilter, vocabulary::params::TimeZoneQuery),
    responses(
        (status = 200, description = "Aggregates.", body = DashboardResponse),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn dashboard(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    const PARAMS: [&str; 6] = [
        "days",
        "start_date",
        "end_date",
        "api_key_id",
        "model",
        "tz",
    ];
    let query = QueryParams::parse(req.query.as_deref(), &PARAMS)?;
    let now = clock::now();
    let range = dashboard_range(&query, now.date_naive())?;
    let filter = UsageFilter {
        org_id: user.org_id,
        range,
        api_key_id: key_filter(&query)?,
        model: model_filter(&query)?,
    };
    let db = app.db()?;
    let mut key_rows = store::api_keys::all_of_user(&db, user.org_id).await?;
    // Like the other usage filters, another user's key simply matches nothing.
    if let Some(id) = filter.api_key_id {
        key_rows.retain(|k| k.id == id);
    }
    let names: Vec<(i64, String)> = key_rows.iter().map(|k| (k.id, k.name.clone())).collect();
    let view = overview_of(&db, &filter, &names).await?;
    let (by_member, by_openrouter_member) = attributed(&view.keys, &key_rows)?;
    let spend = period_spend(&key_rows, now)?;
    let key_status = key_rows.into_iter().map(KeyView::from).collect();
    let standing = crate::alerts::standing::load(&db, user.org_id, now).await?;
    let zone = local::zone_of(&db, user.org_id, query.get("tz")).await?;
    let days = local_days_of(&query, &range, zone.day_of(now))?;
    let local_daily = local::local_daily(&db, user.org_id, filter.api_key_id, &zone, &days);
    Reply::ok(&DashboardResponse {
        period: Period::of(&range),
        totals: view.totals,
        daily: view.daily,
        top_models: view.models.iter().take(TOP_MODELS).cloned().collect(),
        models: view.models,
        keys: view.keys,
        by_member,
        by_openrouter_member,
        series: view.series,
        today: Today {
            date: format_day(now.date_naive()),
            spend: spend.today,
            keys_reporting: spend.keys_reporting,
        },
        spend,
        key_status,
        budgets: crate::alerts::view::all(&standing),
        tz: zone.name(),
        local_daily: local_daily.await?,
    })
}

/// Totals, keys and models of `filter` from the same rows: what the
/// dashboard shows, and what a digest says (`digest::gather`), so the two
/// agree to the last unit.
pub async fn overview_of(
    db: &worker::D1Database,
    filter: &UsageFilter<'_>,
    names: &[(i64, String)],
) -> AppResult<overview::Overview> {
    let cells = usage::overview_cells(db, filter).await?;
    let model_cells: Vec<ModelCell> = cells.models.into_iter().map(model_cell).collect();
    let key_cells: Vec<KeyCell> = cells.keys.into_iter().map(key_cell).collect();
    overview::build(&filter.range, &model_cells, &key_cells, names).map_err(overflow)
}

fn model_cell(row: ModelCellRow) -> ModelCell {
    ModelCell {
        date: row.date,
        model: row.model,
        counts: Counts {
            requests_count: row.requests_count,
            tokens_input: row.tokens_input,
            tokens_output: row.tokens_output,
            cost: row.cost,
        },
    }
}

fn key_cell(row: KeyCellRow) -> KeyCell {
    KeyCell {
        date: row.date,
        api_key_id: row.api_key_id,
        counts: Counts {
            requests_count: row.requests_count,
            tokens_input: row.tokens_input,
            tokens_output: row.tokens_output,
            cost: row.cost,
        },
    }
}

/// The keys' totals per person who added them and per OpenRouter member
/// who created them, as the public API's statement groups them: only keys
/// with usage in the range count (the overview lists every key, zeros
/// included; a person is not a member of the spend for a key that spent
/// nothing).
fn attributed(
    totals: &[KeyTotal],
    rows: &[KeyRow],
) -> AppResult<(Vec<MemberSpend>, Vec<CreatorSpend>)> {
    let too_big = || AppError::internal("member totals overflow");
    let row_of: HashMap<i64, &KeyRow> = rows.iter().map(|r| (r.id, r)).collect();
    let row = |k: &KeyTotal| row_of.get(&k.api_key_id).copied();
    let used: Vec<&KeyTotal> = totals
        .iter()
        .filter(|k| k.counts != Counts::default())
        .collect();
    let adders = members::group_keys(used.iter().map(|k| {
        let adder = row(k).and_then(|r| Some((r.added_by?, r.added_by_email.clone())));
        (adder, k.counts)
    }))
    .ok_or_else(too_big)?;
    let creators = members::group_keys(
        used.iter()
            .map(|k| (row(k).and_then(|r| r.creator_user_id.clone()), k.counts)),
    )
    .ok_or_else(too_big)?;
    let members = adders
        .into_iter()
        .map(|(adder, totals)| {
            let (user_id, email) = adder.map_or((None, None), |(id, email)| (Some(id), email));
            MemberSpend {
                user_id,
                email,
                totals,
            }
        })
        .collect();
    let creators = creators
        .into_iter()
        .map(|(creator_user_id, totals)| CreatorSpend {
            creator_user_id,
            totals,
        })
        .collect();
    let (_, members) = members::ranked_with_total(members).ok_or_else(too_big)?;
    let (_, creators) = members::ranked_with_total(creators).ok_or_else(too_big)?;
    Ok((members, creators))
}

/// `days` (the last N days, default 30) or `start_date`/`end_date` (a custom
/// range, month to date), not both.
fn dashboard_range(query: &QueryParams, today: NaiveDate) -> AppResult<DateRange> {
    let dates_given = query.get("start_date").is_some() || query.get("end_date").is_some();
    let range = match (query.get("days"), dates_given) {
        (Some(_), true) => Err(Invalid::new(
            "days",
            "cannot be combined with start_date or end_date",
        )),
        (days, false) => DateRange::last_days(parse_bounded("days", days, 30, 1, 365)?, today),
        (None, true) => {
            DateRange::with_defaults(query.get("start_date"), query.get("end_date"), today)
        }
    };
    Ok(range?)
}

/// The local days `local_daily` covers: the same dates when given, else
/// the last N days ending today in the zone (not today in UTC, which west
/// of UTC after midnight is tomorrow there).
fn local_days_of(
    query: &QueryParams,
    range: &DateRange,
    local_today: NaiveDate,
) -> AppResult<DateRange> {
    if query.get("start_date").is_some() || query.get("end_date").is_some() {
        return Ok(*range);
    }
    Ok(DateRange::last_days(range.days(), local_today)?)
}

/// Today, this week and this month from the inference keys' snapshots.
fn period_spend(keys: &[KeyRow], now: chrono::DateTime<chrono::Utc>) -> AppResult<PeriodSpend> {
    let snapshots: Vec<SnapshotSpend> = keys
        .iter()
        .filter(|k| k.kind == KeyKind::Inference)
        .filter_map(snapshot_spend)
        .collect();
    periods::period_spend(&snapshots, now).map_err(overflow)
}

/// The spend a key's latest snapshot reports, if it has one.
fn snapshot_spend(row: &KeyRow) -> Option<SnapshotSpend> {
    Some(SnapshotSpend {
        taken_at: clock::parse_timestamp(row.snapshot_taken_at.as_deref()?)?,
        usage_daily: row.snapshot_usage_daily.unwrap_or_default(),
        usage_weekly: row.snapshot_usage_weekly.unwrap_or_default(),
        usage_monthly: row.snapshot_usage_monthly.unwrap_or_default(),
    })
}

fn overflow(_: overview::Overflow) -> AppError {
    AppError::internal("cost overflow")
}
