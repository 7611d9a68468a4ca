//! `/api/usage` and `/api/usage.csv`: the stored rows per key, model and
//! UTC day, a page at a time or as one file (plain or FinOps FOCUS).

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::csv::{self, Cell};
use super::export::{CsvExport, ExportFormat};
use super::focus;
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::dates::{format_day, DateRange};
use crate::domain::money::Money;
use crate::domain::page::{parse_bounded, Page, Pagination};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::store::{
    self,
    usage::{self, KeyUsageRow, UsageFilter},
};

pub(super) fn key_filter(query: &QueryParams) -> AppResult<Option<i64>> {
    query
        .get("api_key_id")
        .map(|v| parse_bounded("api_key_id", Some(v), 0, 1, i64::MAX))
        .transpose()
        .map_err(AppError::from)
}

pub(super) fn model_filter(query: &QueryParams) -> AppResult<Option<&str>> {
    let model = query.get("model");
    if model.is_some_and(|m| m.is_empty() || m.len() > 200) {
        return Err(AppError::invalid("model", "must be 1 to 200 characters"));
    }
    Ok(model)
}

const FILTERS: [&str; 4] = ["start_date", "end_date", "api_key_id", "model"];

/// Shared by `/api/usage` and `/api/usage.csv`: dates default like the
/// public stats (last 30 days).
fn filter<'q>(org_id: i64, query: &'q QueryParams, today: NaiveDate) -> AppResult<UsageFilter<'q>> {
    let range = DateRange::with_defaults(query.get("start_date"), query.get("end_date"), today)?;
    Ok(UsageFilter {
        org_id,
        range,
        api_key_id: key_filter(query)?,
        model: model_filter(query)?,
    })
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebUsageItem)]
struct UsageItem {
    #[schema(value_type = vocabulary::schemas::Date)]
    date: String,
    /// Model slug, or `(all models)` for days known only from the key's totals (no management key).
    model: String,
    /// Key id.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    api_key_id: i64,
    #[schema(minimum = 0)]
    requests_count: i64,
    #[schema(minimum = 0)]
    tokens_input: i64,
    #[schema(minimum = 0)]
    tokens_output: i64,
    cost: Money,
}

#[derive(Serialize, ToSchema)]
#[schema(as = WebUsagePage)]
struct UsagePage {
    items: Vec<UsageItem>,
    pagination: Pagination,
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

/// Usage rows per key, model and day
///
/// The user's `usage_stats` rows (one per key, day and model) filtered by date range (defaults: the last 30 days ending today), key and model; ordered by date, then model, then key; paginated.
#[utoipa::path(
    get,
    path = "/api/usage",
    operation_id = "usage",
    tag = "usage",
    params(vocabulary::params::StartDateOptional, vocabulary::params::EndDateOptional, vocabulary::params::ApiKeyIdFilter, vocabulary::params::ModelFilter, vocabulary::params::Page, vocabulary::params::Limit),
    responses(
        (status = 200, description = "One page of rows.", body = UsagePage),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn usage(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let mut known = FILTERS.to_vec();
    known.extend(["page", "limit"]);
    let query = QueryParams::parse(req.query.as_deref(), &known)?;
    let filter = filter(user.org_id, &query, clock::today())?;
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
    Reply::ok(&UsagePage {
        items,
        pagination: page.info(total),
    })
}

/// Rows one CSV export may hold (about 8 MB): a larger export is refused
/// with the count, so the user narrows the range or filters instead of
/// getting a silently cut file.
pub const CSV_MAX_ROWS: i64 = 100_000;

/// Usage rows as CSV
///
/// The same filters as GET /api/usage, all matching rows (no pagination), as RFC 4180 CSV with a header row `date,model,api_key_id,requests_count,tokens_input,tokens_output,cost` (CRLF line ends; fields quoted when needed). Errors are JSON. At most 100,000 rows: a larger export is 422 on `start_date` (narrow the range or filter). Text cells that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) are prefixed with a single quote. `format=focus` exports the FinOps FOCUS 1.0 columns instead (`BillingAccountId,BillingAccountName,BillingCurrency,BillingPeriodStart,BillingPeriodEnd,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ChargeClass,ChargeDescription,BilledCost,EffectiveCost,ListCost,ContractedCost,InvoiceIssuerName,ProviderName,PublisherName,ServiceCategory,ServiceName,ResourceId,ResourceName,ResourceType,SkuId,ConsumedQuantity,ConsumedUnit,PricingQuantity,PricingUnit,x_Requests,x_InputTokens,x_OutputTokens`; mapping in the README), one row per key, model and UTC day.
#[utoipa::path(
    get,
    path = "/api/usage.csv",
    operation_id = "usageCsv",
    tag = "usage",
    params(vocabulary::params::StartDateOptional, vocabulary::params::EndDateOptional, vocabulary::params::ApiKeyIdFilter, vocabulary::params::ModelFilter, ("format" = inline(Option<ExportFormat>), Query, description = "`csv` (default) or `focus` (FinOps FOCUS 1.0 columns).")),
    responses(
        (status = 200, description = "The CSV file (`text/csv; charset=utf-8`).", body = inline(CsvExport), content_type = "text/csv", headers(("Content-Disposition" = String))),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn usage_csv(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let mut known = FILTERS.to_vec();
    known.push("format");
    let query = QueryParams::parse(req.query.as_deref(), &known)?;
    let format = ExportFormat::parse(query.get("format"))?;
    let filter = filter(user.org_id, &query, clock::today())?;
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
    Ok(match format {
        ExportFormat::Csv => Reply::csv(plain_csv(rows)?, &format!("usage-{start}-{end}.csv")),
        ExportFormat::Focus => Reply::csv(
            focus_csv(&db, user.org_id, rows).await?,
            &format!("usage-focus-{start}-{end}.csv"),
        ),
    })
}

fn plain_csv(rows: Vec<KeyUsageRow>) -> AppResult<String> {
    let mut text = csv::header(ExportFormat::Csv.columns());
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
    org_id: i64,
    rows: Vec<KeyUsageRow>,
) -> AppResult<String> {
    let org_name = store::organisations::name(db, org_id)
        .await?
        .ok_or_else(crate::auth::jwt::rejected)?;
    let names: std::collections::HashMap<i64, String> = store::api_keys::all_of_user(db, org_id)
        .await?
        .into_iter()
        .map(|k| (k.id, k.name))
        .collect();
    let account = focus::Account {
        id: org_id,
        name: &org_name,
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
