//! Web-API (JWT) usage views for the dashboard: aggregates, filtered rows,
//! and the same rows as CSV.

use chrono::NaiveDate;
use serde::Serialize;

use super::answers::{Period, Summary};
use super::csv;
use crate::app::App;
use crate::auth::session;
use crate::clock;
use crate::domain::dates::{format_day, DateRange};
use crate::domain::money::Money;
use crate::domain::page::{parse_bounded, Page};
use crate::http::error::{AppError, AppResult};
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::http::Incoming;
use crate::store::{
    self,
    usage::{self, KeyUsageRow, UsageFilter},
};

const TOP_MODELS: usize = 10;

#[derive(Serialize)]
struct DayPoint {
    date: String,
    requests_count: i64,
    tokens_input: i64,
    tokens_output: i64,
    cost: Money,
}

#[derive(Serialize)]
struct ModelTotal {
    model: String,
    requests_count: i64,
    tokens_input: i64,
    tokens_output: i64,
    cost: Money,
}

#[derive(Serialize)]
struct KeyTotal {
    api_key_id: i64,
    name: String,
    requests_count: i64,
    cost: Money,
}

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
    keys: Vec<KeyTotal>,
    today: Today,
}

pub async fn dashboard(app: &App, req: &Incoming) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    let query = QueryParams::parse(req.query.as_deref(), &["days"])?;
    let days = parse_bounded("days", query.get("days"), 30, 1, 365)?;
    let today = clock::today();
    let range = DateRange::last_days(days, today)?;
    let data = usage::dashboard(&app.db()?, user.user_id, &range, today).await?;

    let mut totals = Summary::default();
    let mut by_day = std::collections::BTreeMap::new();
    for row in data.days {
        let cost = store::money(&row.cost)?;
        totals.total_requests += row.requests_count;
        totals.total_tokens_input += row.tokens_input;
        totals.total_tokens_output += row.tokens_output;
        totals.total_cost = totals
            .total_cost
            .checked_add(cost)
            .ok_or_else(|| AppError::internal("cost overflow"))?;
        by_day.insert(row.date.clone(), (row, cost));
    }
    // Every day of the range, zeros included, so a chart has no holes.
    let daily = range
        .iter()
        .map(|day| {
            let date = format_day(day);
            match by_day.remove(&date) {
                Some((row, cost)) => DayPoint {
                    date,
                    requests_count: row.requests_count,
                    tokens_input: row.tokens_input,
                    tokens_output: row.tokens_output,
                    cost,
                },
                None => DayPoint {
                    date,
                    requests_count: 0,
                    tokens_input: 0,
                    tokens_output: 0,
                    cost: Money::ZERO,
                },
            }
        })
        .collect();
    let top_models = data
        .models
        .into_iter()
        .take(TOP_MODELS)
        .map(|m| {
            Ok(ModelTotal {
                cost: store::money(&m.cost)?,
                model: m.model,
                requests_count: m.requests_count,
                tokens_input: m.tokens_input,
                tokens_output: m.tokens_output,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let keys = data
        .keys
        .into_iter()
        .map(|k| {
            Ok(KeyTotal {
                cost: store::money(&k.cost)?,
                api_key_id: k.api_key_id,
                name: k.name,
                requests_count: k.requests_count,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    let today_row = data.today;
    let today_view = Today {
        date: format_day(today),
        spend: today_row
            .as_ref()
            .map(|t| store::money(&t.usage_daily))
            .transpose()?
            .unwrap_or_default(),
        keys_reporting: today_row.map_or(0, |t| t.keys),
    };
    Reply::ok(&DashboardResponse {
        period: Period::of(&range),
        totals,
        daily,
        top_models,
        keys,
        today: today_view,
    })
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
    let api_key_id = query
        .get("api_key_id")
        .map(|v| parse_bounded("api_key_id", Some(v), 0, 1, i64::MAX))
        .transpose()?;
    let model = query.get("model");
    if model.is_some_and(|m| m.is_empty() || m.len() > 200) {
        return Err(AppError::invalid("model", "must be 1 to 200 characters"));
    }
    Ok(UsageFilter {
        user_id,
        range,
        api_key_id,
        model,
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

pub async fn usage(app: &App, req: &Incoming) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
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

pub async fn usage_csv(app: &App, req: &Incoming) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    let query = QueryParams::parse(req.query.as_deref(), &FILTERS)?;
    let filter = filter(user.user_id, &query, clock::today())?;
    let rows = usage::key_usage(&app.db()?, &filter, None).await?;
    let mut text = csv::line(&[
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
            item.date,
            item.model,
            item.api_key_id.to_string(),
            item.requests_count.to_string(),
            item.tokens_input.to_string(),
            item.tokens_output.to_string(),
            item.cost.to_string(),
        ]));
    }
    let filename = format!(
        "usage-{}-{}.csv",
        format_day(filter.range.start()),
        format_day(filter.range.end())
    );
    Ok(Reply::csv(text, &filename))
}
