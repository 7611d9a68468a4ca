//! What each public endpoint asks: its query string, validated into the
//! [`PublicQuery`] the token's object answers, and its place in the API
//! document (parameters, responses).

use crate::clock;
use crate::domain::dates::DateRange;
use crate::domain::page::Page;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Incoming;
use crate::http::query::QueryParams;
use crate::usage::answers::{KeysResponse, PublicQuery, UsageResponse};
use crate::usage::metrics::OpenMetricsText;
use crate::usage::stats::StatsResponse;
use watcher_core::api_doc::vocabulary;

/// How `/api/v1/stats` may split its totals.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum StatsGrouping {
    Member,
}

/// Totals over a date range
///
/// Needs scope `stats:read`. Totals of requests, cost and tokens over the token's keys (the account's, or those it is limited to) between start_date and end_date (inclusive). Defaults: end = today (UTC), start = end - 29 days. With `group_by=member`, the same totals per person who added the keys as well (`by_member`; a team's spend by member). Each response carries X-RateLimit-Limit/Remaining/Reset; a successful call refreshes the token's `last_used_at` (written at most once a minute per token, after the response).
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    operation_id = "publicStats",
    tag = "public",
    params(
        vocabulary::params::StartDateOptional,
        vocabulary::params::EndDateOptional,
        ("group_by" = inline(Option<StatsGrouping>), Query, description = "`member`: the totals per person who added the keys as well (`by_member`)."),
    ),
    responses(
        (status = 200, description = "Totals.", body = StatsResponse, headers(("X-RateLimit-Limit" = String), ("X-RateLimit-Remaining" = String), ("X-RateLimit-Reset" = String), ("Access-Control-Allow-Origin" = String), ("Access-Control-Expose-Headers" = String))),
        (status = 400, response = vocabulary::responses::PublicBadRequest),
        (status = 422, response = vocabulary::responses::PublicValidationError),
    )
)]
pub fn stats(req: &Incoming) -> AppResult<PublicQuery> {
    let q = QueryParams::parse(
        req.query.as_deref(),
        &["start_date", "end_date", "group_by"],
    )?;
    let range = DateRange::with_defaults(q.get("start_date"), q.get("end_date"), clock::today())?;
    match q.get("group_by") {
        None => Ok(PublicQuery::stats(&range)),
        Some("member") => Ok(PublicQuery::stats_by_member(&range)),
        Some(_) => Err(AppError::invalid("group_by", "must be member (or absent)")),
    }
}

/// Usage per day and model
///
/// Needs scope `usage:read`. Rows aggregated over the token's keys (the account's, or those it is limited to) by (date, model), ordered by date then model, paginated. Both dates are required. Each response carries X-RateLimit-Limit/Remaining/Reset; a successful call refreshes the token's `last_used_at` (written at most once a minute per token, after the response).
#[utoipa::path(
    get,
    path = "/api/v1/usage",
    operation_id = "publicUsage",
    tag = "public",
    params(vocabulary::params::StartDateRequired, vocabulary::params::EndDateRequired, vocabulary::params::Page, vocabulary::params::Limit),
    responses(
        (status = 200, description = "One page of rows.", body = UsageResponse, headers(("X-RateLimit-Limit" = String), ("X-RateLimit-Remaining" = String), ("X-RateLimit-Reset" = String), ("Access-Control-Allow-Origin" = String), ("Access-Control-Expose-Headers" = String))),
        (status = 400, response = vocabulary::responses::PublicBadRequest),
        (status = 422, response = vocabulary::responses::PublicValidationError),
    )
)]
pub fn usage(req: &Incoming) -> AppResult<PublicQuery> {
    let q = QueryParams::parse(
        req.query.as_deref(),
        &["start_date", "end_date", "page", "limit"],
    )?;
    let range = DateRange::required(q.get("start_date"), q.get("end_date"))?;
    Ok(PublicQuery::usage(
        &range,
        &Page::parse(q.get("page"), q.get("limit"))?,
    ))
}

/// Keys with all-time totals
///
/// Needs scope `keys:read`. The token's keys (the account's, or those it is limited to) with their all-time requests and cost. Never a key value or preview. Takes no parameters. Each response carries X-RateLimit-Limit/Remaining/Reset; a successful call refreshes the token's `last_used_at` (written at most once a minute per token, after the response).
#[utoipa::path(
    get,
    path = "/api/v1/keys",
    operation_id = "publicKeys",
    tag = "public",
    responses(
        (status = 200, description = "The keys.", body = KeysResponse, headers(("X-RateLimit-Limit" = String), ("X-RateLimit-Remaining" = String), ("X-RateLimit-Reset" = String), ("Access-Control-Allow-Origin" = String), ("Access-Control-Expose-Headers" = String))),
    )
)]
pub fn keys(_: &Incoming) -> AppResult<PublicQuery> {
    Ok(PublicQuery::Keys)
}

/// OpenMetrics for Prometheus and Grafana
///
/// Needs scope `metrics:read`. The figures of the token's keys (the account's, or those it is limited to) as OpenMetrics text (`application/openmetrics-text; version=1.0.0`): per key spend in the current UTC day/week/month (`openrouter_key_spend_usd{period}`), all-time usage (`openrouter_key_usage_usd_total`), limit and remaining (absent, never +Inf, when unlimited), seconds since the last sync; per model requests, tokens and spend of the last completed UTC day (named by `openrouter_model_day_info{day}`). Exact decimals. Same token and rate limit as every /api/v1 route (scrape every few minutes: the figures change hourly). Takes no parameters.
#[utoipa::path(
    get,
    path = "/api/v1/metrics",
    operation_id = "publicMetrics",
    tag = "public",
    responses(
        (status = 200, description = "The metrics, ending with `# EOF`.", body = inline(OpenMetricsText), content_type = "application/openmetrics-text", headers(("X-RateLimit-Limit" = String), ("X-RateLimit-Remaining" = String), ("X-RateLimit-Reset" = String), ("Access-Control-Allow-Origin" = String), ("Access-Control-Expose-Headers" = String))),
    )
)]
pub fn metrics(req: &Incoming) -> AppResult<PublicQuery> {
    QueryParams::parse(req.query.as_deref(), &[])?;
    let yesterday = clock::today() - chrono::Duration::days(1);
    Ok(PublicQuery::Metrics {
        day: crate::domain::dates::format_day(yesterday),
    })
}
