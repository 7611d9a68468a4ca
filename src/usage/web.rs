//! Web-API (JWT) usage views for the dashboard: aggregates, filtered rows,
//! and the same rows as CSV.

use chrono::NaiveDate;
use serde::Serialize;

use super::csv::{self, Cell};
use super::focus;
use super::local;
use super::overview::{self, DayPoint, KeyCell, KeyTotal, ModelCell, ModelTotal, Series};
use super::periods::{self, PeriodSpend, SnapshotSpend};
use super::shapes::{Period, Summary};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::dates::{format_day, DateRange};
use crate::domain::key::KeyKind;
use crate::domain::money::Money;
use crate::domain::page::{parse_bounded, Page};
use crate::domain::Invalid;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::keys::views::KeyView;
use crate::store::{
    self,
    api_keys::KeyRow,
    usage::{self, KeyCellRow, KeyUsageRow, ModelCellRow, UsageFilter},
};

const TOP_MODELS: usize = 10;

#[derive(Serialize)]
struct Today {
    date: String,
    /// Sum of `usage_daily` of each key's latest snapshot taken today.
    spend: Money,
    keys_reporting: i64,
}

#[derive(Serialize)]
struct DashboardResponse {
    period: Period,
    totals: Summary,
    daily: Vec<DayPoint>,
    top_models: Vec<ModelTotal>,
    models: Vec<ModelTotal>,
    keys: Vec<KeyTotal>,
    series: Series,
    today: Today,
    spend: PeriodSpend,
    key_status: Vec<KeyView>,
    /// Every budget of the account, with its status and runway.
    budgets: Vec<crate::alerts::view::BudgetView>,
    /// The zone of `local_daily` (docs/integrations.md).
    tz: &'static str,
    local_daily: Option<Vec<local::LocalDayTotal>>,
}

/// The overview in one call: every figure over one range and the same
/// filters, so they reconcile (see `usage::overview`), plus each key's
/// status and latest snapshot for the keys table.
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
        user_id: user.user_id,
        range,
        api_key_id: key_filter(&query)?,
        model: model_filter(&query)?,
    };
    let db = app.db()?;
    let mut key_rows = store::api_keys::all_of_user(&db, user.user_id).await?;
    // Like the other usage filters, another user's key simply matches nothing.
    if let Some(id) = filter.api_key_id {
        key_rows.retain(|k| k.id == id);
    }
    let cells = usage::overview_cells(&db, &filter).await?;
    let model_cells: Vec<ModelCell> = cells.models.into_iter().map(model_cell).collect();
    let key_cells: Vec<KeyCell> = cells.keys.into_iter().map(key_cell).collect();
    let names: Vec<(i64, String)> = key_rows.iter().map(|k| (k.id, k.name.clone())).collect();
    let view = overview::build(&range, &model_cells, &key_cells, &names).map_err(overflow)?;
    let spend = period_spend(&key_rows, now)?;
    let key_status = key_rows.into_iter().map(KeyView::from).collect();
    let standing = crate::alerts::standing::load(&db, user.user_id, now).await?;
    let zone = local::zone_of(&db, user.user_id, query.get("tz")).await?;
    let days = local_days_of(&query, &range, zone.day_of(now))?;
    let local_daily = local::local_daily(&db, user.user_id, filter.api_key_id, &zone, &days);
    Reply::ok(&DashboardResponse {
        period: Period::of(&range),
        totals: view.totals,
        daily: view.daily,
        top_models: view.models.iter().take(TOP_MODELS).cloned().collect(),
        models: view.models,
        keys: view.keys,
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

fn model_cell(row: ModelCellRow) -> ModelCell {
    ModelCell {
        date: row.date,
        model: row.model,
        requests_count: row.requests_count,
        tokens_input: row.tokens_input,
        tokens_output: row.tokens_output,
        cost: row.cost,
    }
}

fn key_cell(row: KeyCellRow) -> KeyCell {
    KeyCell {
        date: row.date,
        api_key_id: row.api_key_id,
        requests_count: row.requests_count,
        cost: row.cost,
    }
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

fn key_filter(query: &QueryParams) -> AppResult<Option<i64>> {
    query
        .get("api_key_id")
        .map(|v| parse_bounded("api_key_id", Some(v), 0, 1, i64::MAX))
        .transpose()
        .map_err(AppError::from)
}

fn model_filter(query: &QueryParams) -> AppResult<Option<&str>> {
    let model = query.get("model");
    if model.is_some_and(|m| m.is_empty() || m.len() > 200) {
        return Err(AppError::invalid("model", "must be 1 to 200 characters"));
    }
    Ok(model)
}

const FILTERS: [&str; 4] = ["start_date", "end_date", "api_key_id", "model"];

/// Shared by `/api/usage` and `/api/usage.csv`: dates default like the
/// public stats (last 30 days).
fn filter<'q>(
    user_id: i64,
    query: &'q QueryParams,
    today: NaiveDate,
) -> AppResult<UsageFilter<'q>> {
    let range = DateRange::with_defaults(query.get("start_date"), query.get("end_date"), today)?;
    Ok(UsageFilter {
        user_id,
        range,
        api_key_id: key_filter(query)?,
        model: model_filter(query)?,
    })
}

#[derive(Serialize)]
struct UsageItem {
    date: String,
    model: String,
    api_key_id: i64,
    requests_count: i64,
    tokens_input: i64,
    tokens_output: i64,
    cost: Money,
}

impl UsageItem {
    fn from_row(row: KeyUsageRow) -> AppResult<Self> {
        Ok(Self {
            cost: store::money(&row.cost)?,
            date: row.date,
            model: row.model,
            api_key_id: row.api_key_id,
            requests_count: row.requests_count,
            tokens_input: row.tokens_input,
            tokens_output: row.tokens_output,
        })
    }
}

pub async fn usage(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let mut known = FILTERS.to_vec();
    known.extend(["page", "limit"]);
    let query = QueryParams::parse(req.query.as_deref(), &known)?;
    let filter = filter(user.user_id, &query, clock::today())?;
    let page = Page::parse(query.get("page"), query.get("limit"))?;
    let db = app.db()?;
    let rows = usage::key_usage(&db, &filter, Some((page.limit(), page.offset()))).await?;
    let total = match rows.first().and_then(|r| r.total) {
        Some(total) => total,
        None => usage::key_usage_count(&db, &filter).await?,
    };
    let items = rows
        .into_iter()
        .map(UsageItem::from_row)
        .collect::<AppResult<Vec<_>>>()?;
    Reply::ok(&serde_json::json!({ "items": items, "pagination": page.info(total) }))
}

/// Rows one CSV export may hold (about 8 MB): a larger export is refused
/// with the count, so the user narrows the range or filters instead of
/// getting a silently cut file.
pub const CSV_MAX_ROWS: i64 = 100_000;

/// `GET /api/usage.csv`: the usage rows of the filters, plain
/// (`format=csv`, the default) or in the FinOps FOCUS columns
/// (`format=focus`, see `usage::focus`).
pub async fn usage_csv(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let mut known = FILTERS.to_vec();
    known.push("format");
    let query = QueryParams::parse(req.query.as_deref(), &known)?;
    let focus = match query.get("format") {
        None | Some("csv") => false,
        Some("focus") => true,
        Some(_) => return Err(AppError::invalid("format", "must be csv or focus")),
    };
    let filter = filter(user.user_id, &query, clock::today())?;
    let db = app.db()?;
    let rows = usage::key_usage(&db, &filter, Some((CSV_MAX_ROWS + 1, 0))).await?;
    if rows.len() as i64 > CSV_MAX_ROWS {
        return Err(AppError::invalid(
            "start_date",
            format!(
                "selects more than {CSV_MAX_ROWS} rows; export a shorter range or filter by key or model"
            ),
        ));
    }
    let (start, end) = (
        format_day(filter.range.start()),
        format_day(filter.range.end()),
    );
    if focus {
        let text = focus_csv(&db, user.user_id, rows).await?;
        return Ok(Reply::csv(text, &format!("usage-focus-{start}-{end}.csv")));
    }
    Ok(Reply::csv(
        plain_csv(rows)?,
        &format!("usage-{start}-{end}.csv"),
    ))
}

fn plain_csv(rows: Vec<KeyUsageRow>) -> AppResult<String> {
    let mut text = csv::header(&[
        "date",
        "model",
        "api_key_id",
        "requests_count",
        "tokens_input",
        "tokens_output",
        "cost",
    ]);
    for row in rows {
        let item = UsageItem::from_row(row)?;
        text.push_str(&csv::line(&[
            Cell::Text(&item.date),
            Cell::Text(&item.model),
            Cell::Number(&item.api_key_id.to_string()),
            Cell::Number(&item.requests_count.to_string()),
            Cell::Number(&item.tokens_input.to_string()),
            Cell::Number(&item.tokens_output.to_string()),
            Cell::Number(&item.cost.to_string()),
        ]));
    }
    Ok(text)
}

async fn focus_csv(
    db: &worker::D1Database,
    user_id: i64,
    rows: Vec<KeyUsageRow>,
) -> AppResult<String> {
    let account = store::users::by_id(db, user_id)
        .await?
        .ok_or_else(crate::auth::jwt::rejected)?;
    let names: std::collections::HashMap<i64, String> = store::api_keys::all_of_user(db, user_id)
        .await?
        .into_iter()
        .map(|k| (k.id, k.name))
        .collect();
    let account = focus::Account {
        id: user_id,
        name: &account.email,
    };
    let mut text = focus::header();
    for row in rows {
        let line = focus::UsageLine {
            date: crate::domain::dates::parse_day("date", &row.date)?,
            model: &row.model,
            api_key_id: row.api_key_id,
            key_name: names.get(&row.api_key_id).map_or("", String::as_str),
            requests: row.requests_count,
            tokens_input: row.tokens_input,
            tokens_output: row.tokens_output,
            cost: store::money(&row.cost)?,
        };
        text.push_str(&focus::line(&account, &line));
    }
    Ok(text)
}
