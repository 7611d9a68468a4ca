//! The public API (`/api/v1`): API-token auth, rate limited, CORS for any
//! origin, response shapes exactly the original's.
//!
//! Cost per request: one Durable Object call. The token's object (named by
//! the token's SHA-256, never the token) checks the token, charges its
//! bucket and answers, from its short-lived cache or with one D1 statement
//! in which the token lookup is folded into the data query
//! (`usage::answers`). Requests without a valid token are charged to the
//! client IP's bucket instead, so guessing tokens is throttled too.
//! `last_used_at` is written by the token's object at most once a minute,
//! after the answer.

use crate::app::App;
use crate::clock;
use crate::domain::dates::DateRange;
use crate::domain::page::Page;
use crate::domain::scope::Scope;
use crate::domain::secrets::api_token_hash;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Incoming;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::http::route::{self, Public, Route};
use crate::rate_limit::{self, Bucket, Decision};
use wire::{PublicAsk, PublicOutcome, TokenAsk};

pub mod object;
pub mod wire;
use crate::store;
use crate::usage::answers::{KeysResponse, PublicQuery, StatsResponse, UsageResponse};
use crate::usage::metrics::OpenMetricsText;
use watcher_core::api_doc::vocabulary;

const TOKEN_WINDOW_SECS: i64 = 3600;
const IP_WINDOW_SECS: i64 = 60;

/// The public API's operations (`openapi.json`, tag `public`).
pub const ROUTES: &[Route] = &[
    route::public(
        "/api/v1/stats",
        Public {
            scope: Scope::StatsRead,
            question: stats,
            reply: json,
        },
    )
    .doc::<__path_stats>(),
    route::public(
        "/api/v1/usage",
        Public {
            scope: Scope::UsageRead,
            question: usage,
            reply: json,
        },
    )
    .doc::<__path_usage>(),
    route::public(
        "/api/v1/keys",
        Public {
            scope: Scope::KeysRead,
            question: keys,
            reply: json,
        },
    )
    .doc::<__path_keys>(),
    route::public(
        "/api/v1/metrics",
        Public {
            scope: Scope::MetricsRead,
            question: metrics,
            reply: Reply::openmetrics,
        },
    )
    .doc::<__path_metrics>(),
];

fn json(body: String) -> Reply {
    Reply::raw_json(200, body)
}

pub async fn handle(app: &App, endpoint: &Public, req: &Incoming) -> Reply {
    let Some(token_hash) = req.bearer().and_then(api_token_hash) else {
        return refuse(app, req, unauthenticated()).await;
    };
    // Invalid parameters are still a charged call of a valid token (an
    // invalid token is refused as unauthenticated first); the token's object
    // decides both without a D1 statement once the bucket is full.
    let (query, invalid) = match (endpoint.question)(req) {
        Ok(query) => (Some(query), None),
        Err(invalid) => (None, Some(invalid)),
    };
    match ask(app, &token_hash, endpoint.scope, query).await {
        Ok(Some((outcome, d1_statements))) => {
            let reply = match outcome {
                PublicOutcome::Answered { decision, body } => {
                    with_rate_headers((endpoint.reply)(body), &decision)
                }
                PublicOutcome::Charged { decision } => match invalid {
                    Some(invalid) => with_rate_headers(Reply::error(&invalid), &decision),
                    None => log_internal(AppError::internal("charged without an answer")),
                },
                PublicOutcome::Limited { decision } => limited(&decision),
                PublicOutcome::Denied { decision } => with_rate_headers(
                    Reply::error(&AppError::InsufficientScope(endpoint.scope)),
                    &decision,
                ),
                PublicOutcome::Invalid => return refuse(app, req, unauthenticated()).await,
            };
            with_debug_counter(app, reply, d1_statements)
        }
        Ok(None) => refuse(app, req, unauthenticated()).await,
        Err(e) => log_internal(e),
    }
}

/// `None` when the token is not an active, unexpired API token.
async fn ask(
    app: &App,
    token_hash: &str,
    scope: Scope,
    query: Option<PublicQuery>,
) -> AppResult<Option<(PublicOutcome, u32)>> {
    let bucket_name = token_bucket_name(token_hash);
    let bucket = token_bucket(app, &bucket_name);
    let ask = PublicAsk {
        token_hash: token_hash.to_owned(),
        scope: scope.name().to_owned(),
        query,
        limit: bucket.limit,
        window_secs: bucket.window_secs,
    };
    let answered = ask_object(app, bucket.name, ask).await?;
    Ok(Some(answered).filter(|(outcome, _)| *outcome != PublicOutcome::Invalid))
}

/// Under `ORW_DEBUG_COUNTERS` (set by the integration tests, never in
/// `wrangler.toml`), public answers say how many D1 statements they cost.
fn with_debug_counter(app: &App, reply: Reply, d1_statements: u32) -> Reply {
    if app.config.debug_counters {
        reply.with_header("X-Debug-D1-Statements", d1_statements.to_string())
    } else {
        reply
    }
}

fn unauthenticated() -> AppError {
    AppError::Unauthorized(
        "A valid API token is required: Authorization: Bearer or_api_…".to_owned(),
    )
}

/// An unauthenticated call (or an unknown path or method under `/api/v1`):
/// charged to the IP bucket, answered with the rate-limit headers like every
/// public-API response.
pub async fn refuse(app: &App, req: &Incoming, err: AppError) -> Reply {
    let bucket_name = ip_bucket_name(req);
    match rate_limit::hit(app, &ip_bucket(app, &bucket_name)).await {
        Ok(decision) if !decision.allowed => limited(&decision),
        Ok(decision) => with_rate_headers(Reply::error(&err), &decision),
        Err(e) => log_internal(e),
    }
}

/// Makes every active token of a user forget its cached answers: called by
/// each product write that changes what `/api/v1` shows. Failures are logged;
/// the caches expire on their own within seconds.
pub async fn forget_answers(app: &App, org_id: i64) {
    let hashes = match app.db() {
        Ok(db) => store::tokens::active_hashes(&db, org_id).await,
        Err(e) => Err(e),
    };
    match hashes {
        Ok(hashes) => {
            for hash in hashes {
                forget_token(app, &hash).await;
            }
        }
        Err(e) => worker::console_error!("cannot list tokens to refresh: {e}"),
    }
}

/// How long a write waits for a token's object to forget its answers.
/// Forgetting is a courtesy (the answers expire on their own within
/// seconds); an object that does not answer must not hold up the write
/// that asked, least of all a queue consumer, whose batch would stay
/// unreported and hold up every batch after it (seen under `wrangler
/// dev`: a consumer's run never reported while the object kept silent).
const FORGET_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

pub async fn forget_token(app: &App, token_hash: &str) {
    let object = token_bucket_name(token_hash);
    let asked = Box::pin(invalidate(app, &object));
    let waited = Box::pin(worker::Delay::from(FORGET_WAIT));
    let outcome = futures_util::future::select(asked, waited).await;
    match outcome {
        futures_util::future::Either::Left((Ok(()), _)) => {}
        futures_util::future::Either::Left((Err(e), _)) => {
            worker::console_error!("cannot refresh a token's answers: {e}");
        }
        futures_util::future::Either::Right(_) => worker::console_warn!(
            "a token's object did not answer within {FORGET_WAIT:?}; its answers expire on their own"
        ),
    };
}

/// Tells a revoked token's object, so it refuses the token at once and
/// without D1 from now on. A failure is logged; D1 refuses the token anyway
/// once the object's answers expire.
pub async fn revoke_token(app: &App, token_hash: &str) {
    if let Err(e) = revoke(app, &token_bucket_name(token_hash)).await {
        worker::console_error!("cannot tell a token's object it is revoked: {e}");
    }
}

/// The token's object (`object::PublicToken`).
fn token_stub(app: &App, object_name: &str) -> AppResult<worker::Stub> {
    rate_limit::stub(app, "PUBLIC_TOKENS", object_name)
}

fn token_bucket_name(token_hash: &str) -> String {
    format!("token:{token_hash}")
}

fn token_bucket<'a>(app: &App, name: &'a str) -> Bucket<'a> {
    Bucket {
        name,
        limit: app.config.public_rate_limit_per_hour,
        window_secs: TOKEN_WINDOW_SECS,
    }
}

fn ip_bucket_name(req: &Incoming) -> String {
    format!("ip:{}", req.client_network())
}

fn ip_bucket<'a>(app: &App, name: &'a str) -> Bucket<'a> {
    Bucket {
        name,
        limit: app.config.ip_rate_limit_per_minute,
        window_secs: IP_WINDOW_SECS,
    }
}

/// Totals over a date range
///
/// Needs scope `stats:read`. Totals of requests, cost and tokens over the token's keys (the account's, or those it is limited to) between start_date and end_date (inclusive). Defaults: end = today (UTC), start = end - 29 days. Each response carries X-RateLimit-Limit/Remaining/Reset; a successful call refreshes the token's `last_used_at` (written at most once a minute per token, after the response).
#[utoipa::path(
    get,
    path = "/api/v1/stats",
    operation_id = "publicStats",
    tag = "public",
    params(vocabulary::params::StartDateOptional, vocabulary::params::EndDateOptional),
    responses(
        (status = 200, description = "Totals.", body = StatsResponse, headers(("X-RateLimit-Limit" = String), ("X-RateLimit-Remaining" = String), ("X-RateLimit-Reset" = String), ("Access-Control-Allow-Origin" = String), ("Access-Control-Expose-Headers" = String))),
        (status = 400, response = vocabulary::responses::PublicBadRequest),
        (status = 422, response = vocabulary::responses::PublicValidationError),
    )
)]
fn stats(req: &Incoming) -> AppResult<PublicQuery> {
    let q = QueryParams::parse(req.query.as_deref(), &["start_date", "end_date"])?;
    let range = DateRange::with_defaults(q.get("start_date"), q.get("end_date"), clock::today())?;
    Ok(PublicQuery::stats(&range))
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
fn usage(req: &Incoming) -> AppResult<PublicQuery> {
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
fn keys(_: &Incoming) -> AppResult<PublicQuery> {
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
fn metrics(req: &Incoming) -> AppResult<PublicQuery> {
    QueryParams::parse(req.query.as_deref(), &[])?;
    let yesterday = clock::today() - chrono::Duration::days(1);
    Ok(PublicQuery::Metrics {
        day: crate::domain::dates::format_day(yesterday),
    })
}

fn limited(decision: &Decision) -> Reply {
    with_rate_headers(
        Reply::error(&AppError::RateLimited {
            retry_after: decision.retry_after,
        }),
        decision,
    )
}

fn with_rate_headers(reply: Reply, decision: &Decision) -> Reply {
    reply
        .with_header("X-RateLimit-Limit", decision.limit.to_string())
        .with_header("X-RateLimit-Remaining", decision.remaining.to_string())
        .with_header("X-RateLimit-Reset", decision.reset_epoch.to_string())
}

/// CORS preflight
///
/// Any OPTIONS request under /api/v1/ is answered as a CORS preflight, without authentication or rate limiting: any origin, GET, headers Authorization and Content-Type.
#[utoipa::path(
    options,
    path = "/api/v1/",
    operation_id = "preflight",
    tag = "public",
    responses(
        (status = 204, description = "Preflight accepted.", headers(("Access-Control-Allow-Origin" = String), ("Access-Control-Allow-Methods" = String), ("Access-Control-Allow-Headers" = String), ("Access-Control-Max-Age" = String))),
    )
)]
pub fn preflight() -> Reply {
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

/// The token's object checks the token, charges its bucket and answers.
/// Also returns how many D1 statements that took (for the debug header).
async fn ask_object(
    app: &App,
    object_name: &str,
    ask: PublicAsk,
) -> AppResult<(PublicOutcome, u32)> {
    let text = rate_limit::send(token_stub(app, object_name)?, &TokenAsk::Public(ask)).await?;
    PublicOutcome::decode(text)
        .ok_or_else(|| AppError::internal("malformed answer from the token's object"))
}

/// Makes a token's object forget its cached answers.
async fn invalidate(app: &App, object_name: &str) -> AppResult<()> {
    rate_limit::send(token_stub(app, object_name)?, &TokenAsk::Invalidate)
        .await
        .map(drop)
}

/// Tells a token's object its token is revoked: from now on it refuses the
/// token without asking D1, and nothing it was computing is kept.
async fn revoke(app: &App, object_name: &str) -> AppResult<()> {
    rate_limit::send(token_stub(app, object_name)?, &TokenAsk::Revoke)
        .await
        .map(drop)
}
