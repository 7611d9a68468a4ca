//! The public API (`/api/v1`): API-token auth, rate limited, CORS for any
//! origin, response shapes exactly the original's.
//!
//! Cost per request: one D1 statement (the token lookup is folded into the
//! data query) and one Durable Object call (the rate-limit bucket). The
//! bucket is the token's when the token is valid, else the client IP's, so
//! guessing tokens is throttled too. `last_used_at` is written at most once
//! a minute per token, after the response (`wait_until`).

use chrono::Duration;
use serde::Serialize;

use crate::app::App;
use crate::clock;
use crate::domain::dates::{format_day, DateRange};
use crate::domain::money::Money;
use crate::domain::page::{Page, Pagination};
use crate::domain::secrets::api_token_hash;
use crate::http::error::{AppError, AppResult};
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::http::router::Route;
use crate::http::Incoming;
use crate::rate_limit::{self, Bucket, Decision, Op};
use crate::store::{self, tokens, usage};

const TOKEN_WINDOW_SECS: i64 = 3600;
const IP_WINDOW_SECS: i64 = 60;
/// `last_used_at` is refreshed when older than this.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

#[derive(Serialize)]
struct Summary {
    total_requests: i64,
    total_cost: Money,
    total_tokens_input: i64,
    total_tokens_output: i64,
}

#[derive(Serialize)]
struct Period {
    start_date: String,
    end_date: String,
    days: i64,
}

#[derive(Serialize)]
struct StatsResponse {
    summary: Summary,
    period: Period,
}

#[derive(Serialize)]
struct UsageItem {
    date: String,
    model: String,
    requests_count: i64,
    tokens_input: i64,
    tokens_output: i64,
    cost: Money,
}

#[derive(Serialize)]
struct UsageResponse {
    items: Vec<UsageItem>,
    pagination: Pagination,
}

#[derive(Serialize)]
struct KeyStats {
    total_requests: i64,
    total_cost: Money,
}

#[derive(Serialize)]
struct KeyItem {
    id: i64,
    name: String,
    is_active: bool,
    stats: KeyStats,
}

#[derive(Serialize)]
struct KeysResponse {
    items: Vec<KeyItem>,
    total: usize,
}

/// A request whose parameters parsed: what to query.
enum Query {
    Stats(DateRange),
    Usage(DateRange, Page),
    Keys,
}

/// What the data query found: the token (if valid) and the body to send.
struct Found {
    token_id: i64,
    last_used_at: Option<String>,
    reply: Reply,
}

pub async fn handle(app: &App, route: Route, req: &Incoming) -> Reply {
    if route == Route::PublicPreflight {
        // Browsers send these on their own: reported, never charged.
        let bucket_name = ip_bucket_name(req);
        return match rate_limit::check(app, &ip_bucket(app, &bucket_name), Op::Peek).await {
            Ok(decision) => with_rate_headers(preflight(), &decision),
            Err(e) => log_internal(e),
        };
    }
    let token_hash = req.bearer().and_then(api_token_hash);
    let query = parse(route, req);
    // Look the token up (folded into the data query when the parameters
    // are valid), then charge the right bucket.
    let found: AppResult<Option<Found>> = match (&token_hash, &query) {
        (None, _) => Ok(None),
        (Some(hash), Ok(query)) => fetch(app, hash, query).await,
        (Some(hash), Err(_)) => token_only(app, hash).await,
    };
    let found = match found {
        Ok(found) => found,
        Err(e) => return log_internal(e),
    };
    let bucket_name;
    let bucket = match &found {
        Some(_) => {
            bucket_name = format!("token:{}", token_hash.as_deref().unwrap_or_default());
            Bucket {
                name: &bucket_name,
                limit: app.config.public_rate_limit_per_hour,
                window_secs: TOKEN_WINDOW_SECS,
            }
        }
        None => {
            bucket_name = format!("ip:{}", req.client_ip());
            Bucket {
                name: &bucket_name,
                limit: app.config.ip_rate_limit_per_minute,
                window_secs: IP_WINDOW_SECS,
            }
        }
    };
    let decision = match rate_limit::check(app, &bucket, Op::Hit).await {
        Ok(decision) => decision,
        Err(e) => return log_internal(e),
    };
    let reply = if !decision.allowed {
        Reply::error(&AppError::RateLimited {
            retry_after: decision.retry_after,
        })
    } else {
        match (found, query) {
            (None, _) => Reply::error(&AppError::Unauthorized(
                "A valid API token is required: Authorization: Bearer or_api_…".to_owned(),
            )),
            (Some(_), Err(e)) => Reply::error(&e),
            (Some(found), Ok(_)) => {
                touch_later(app, found.token_id, found.last_used_at).await;
                found.reply
            }
        }
    };
    with_rate_headers(reply, &decision)
}

/// An unknown path or method under `/api/v1`: the caller is not
/// authenticated for anything, so the IP bucket pays, and the answer carries
/// the rate-limit headers like every public-API response.
pub async fn refuse(app: &App, req: &Incoming, err: AppError) -> Reply {
    let bucket_name = ip_bucket_name(req);
    match rate_limit::check(app, &ip_bucket(app, &bucket_name), Op::Hit).await {
        Ok(decision) if !decision.allowed => with_rate_headers(
            Reply::error(&AppError::RateLimited {
                retry_after: decision.retry_after,
            }),
            &decision,
        ),
        Ok(decision) => with_rate_headers(Reply::error(&err), &decision),
        Err(e) => log_internal(e),
    }
}

fn ip_bucket_name(req: &Incoming) -> String {
    format!("ip:{}", req.client_ip())
}

fn ip_bucket<'a>(app: &App, name: &'a str) -> Bucket<'a> {
    Bucket {
        name,
        limit: app.config.ip_rate_limit_per_minute,
        window_secs: IP_WINDOW_SECS,
    }
}

fn parse(route: Route, req: &Incoming) -> AppResult<Query> {
    let today = clock::today();
    match route {
        Route::PublicStats => {
            let q = QueryParams::parse(req.query.as_deref(), &["start_date", "end_date"])?;
            Ok(Query::Stats(DateRange::with_defaults(
                q.get("start_date"),
                q.get("end_date"),
                today,
            )?))
        }
        Route::PublicUsage => {
            let q = QueryParams::parse(
                req.query.as_deref(),
                &["start_date", "end_date", "page", "limit"],
            )?;
            let range = DateRange::required(q.get("start_date"), q.get("end_date"))?;
            Ok(Query::Usage(
                range,
                Page::parse(q.get("page"), q.get("limit"))?,
            ))
        }
        _ => Ok(Query::Keys),
    }
}

async fn fetch(app: &App, token_hash: &str, query: &Query) -> AppResult<Option<Found>> {
    let db = app.db()?;
    match query {
        Query::Stats(range) => {
            let Some(row) = usage::public_stats(&db, token_hash, range).await? else {
                return Ok(None);
            };
            let body = StatsResponse {
                summary: Summary {
                    total_requests: row.total_requests,
                    total_cost: store::money(&row.total_cost)?,
                    total_tokens_input: row.total_tokens_input,
                    total_tokens_output: row.total_tokens_output,
                },
                period: period(range),
            };
            Ok(Some(Found {
                token_id: row.token_id,
                last_used_at: row.last_used_at,
                reply: Reply::ok(&body)?,
            }))
        }
        Query::Usage(range, page) => {
            let rows =
                usage::public_usage(&db, token_hash, range, page.limit(), page.offset()).await?;
            let Some(first) = rows.first() else {
                return Ok(None);
            };
            let (token_id, last_used_at, total) =
                (first.token_id, first.last_used_at.clone(), first.total);
            let items = rows
                .into_iter()
                .filter_map(|row| {
                    Some((
                        row.date?,
                        row.model?,
                        row.requests_count?,
                        row.tokens_input?,
                        row.tokens_output?,
                        row.cost?,
                    ))
                })
                .map(
                    |(date, model, requests_count, tokens_input, tokens_output, cost)| {
                        Ok(UsageItem {
                            date,
                            model,
                            requests_count,
                            tokens_input,
                            tokens_output,
                            cost: store::money(&cost)?,
                        })
                    },
                )
                .collect::<AppResult<Vec<_>>>()?;
            let body = UsageResponse {
                items,
                pagination: page.info(total),
            };
            Ok(Some(Found {
                token_id,
                last_used_at,
                reply: Reply::ok(&body)?,
            }))
        }
        Query::Keys => {
            let rows = usage::public_keys(&db, token_hash).await?;
            let Some(first) = rows.first() else {
                return Ok(None);
            };
            let (token_id, last_used_at) = (first.token_id, first.last_used_at.clone());
            let items = rows
                .into_iter()
                .filter_map(|row| {
                    let (id, name, is_active) = (row.id?, row.name?, row.is_active?);
                    Some((id, name, is_active, row.total_requests, row.total_cost))
                })
                .map(|(id, name, is_active, total_requests, total_cost)| {
                    Ok(KeyItem {
                        id,
                        name,
                        is_active: is_active == 1,
                        stats: KeyStats {
                            total_requests,
                            total_cost: store::money(&total_cost)?,
                        },
                    })
                })
                .collect::<AppResult<Vec<_>>>()?;
            let total = items.len();
            Ok(Some(Found {
                token_id,
                last_used_at,
                reply: Reply::ok(&KeysResponse { items, total })?,
            }))
        }
    }
}

/// The token alone, for requests whose parameters are invalid: they are
/// still charged to the token (or refused as unauthenticated first).
async fn token_only(app: &App, token_hash: &str) -> AppResult<Option<Found>> {
    #[derive(serde::Deserialize)]
    struct Row {
        id: i64,
        last_used_at: Option<String>,
    }
    let row: Option<Row> = store::first(
        &app.db()?,
        "SELECT id, last_used_at FROM api_tokens WHERE token_hash = ?1 AND is_active = 1",
        crate::args![token_hash],
    )
    .await?;
    Ok(row.map(|row| Found {
        token_id: row.id,
        last_used_at: row.last_used_at,
        reply: Reply::no_content(),
    }))
}

fn period(range: &DateRange) -> Period {
    Period {
        start_date: format_day(range.start()),
        end_date: format_day(range.end()),
        days: range.days(),
    }
}

/// Records use after the response, at most once a minute per token.
async fn touch_later(app: &App, token_id: i64, last_used_at: Option<String>) {
    let now = clock::now();
    let stale_before = now - Duration::seconds(LAST_USED_RESOLUTION_SECS);
    let fresh = last_used_at
        .as_deref()
        .and_then(clock::parse_timestamp)
        .is_some_and(|at| at > stale_before);
    if fresh {
        return;
    }
    let Ok(db) = app.db() else { return };
    let (now, stale_before) = (clock::timestamp(now), clock::timestamp(stale_before));
    app.in_background(async move {
        if let Err(e) = tokens::touch(&db, token_id, &now, &stale_before).await {
            worker::console_error!("last_used_at update failed: {e}");
        }
    })
    .await;
}

fn with_rate_headers(reply: Reply, decision: &Decision) -> Reply {
    reply
        .with_header("X-RateLimit-Limit", decision.limit.to_string())
        .with_header("X-RateLimit-Remaining", decision.remaining.to_string())
        .with_header("X-RateLimit-Reset", decision.reset_epoch.to_string())
}

fn preflight() -> Reply {
    Reply::no_content()
        .with_header("Access-Control-Allow-Methods", "GET, OPTIONS")
        .with_header(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type",
        )
        .with_header("Access-Control-Max-Age", "86400")
}

fn log_internal(err: AppError) -> Reply {
    if let AppError::Internal(cause) | AppError::Misconfigured(cause) = &err {
        worker::console_error!("public API: {cause}");
    }
    Reply::error(&err)
}
