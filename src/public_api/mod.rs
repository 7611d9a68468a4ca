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
use crate::domain::scope::Scope;
use crate::domain::secrets::api_token_hash;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Incoming;
use crate::http::reply::Reply;
use crate::http::route::{self, Public, Route};
use crate::rate_limit::{self, Bucket, Decision};
use wire::{PublicAsk, PublicOutcome, TokenAsk};

pub mod object;
mod questions;
pub mod wire;
use crate::store;
use crate::usage::answers::PublicQuery;

const TOKEN_WINDOW_SECS: i64 = 3600;
const IP_WINDOW_SECS: i64 = 60;

/// The public API's operations (`openapi.json`, tag `public`).
pub const ROUTES: &[Route] = &[
    route::public(
        "/api/v1/stats",
        Public {
            scope: Scope::StatsRead,
            question: questions::stats,
            reply: json,
        },
    )
    .doc::<questions::__path_stats>(),
    route::public(
        "/api/v1/usage",
        Public {
            scope: Scope::UsageRead,
            question: questions::usage,
            reply: json,
        },
    )
    .doc::<questions::__path_usage>(),
    route::public(
        "/api/v1/keys",
        Public {
            scope: Scope::KeysRead,
            question: questions::keys,
            reply: json,
        },
    )
    .doc::<questions::__path_keys>(),
    route::public(
        "/api/v1/metrics",
        Public {
            scope: Scope::MetricsRead,
            question: questions::metrics,
            reply: Reply::openmetrics,
        },
    )
    .doc::<questions::__path_metrics>(),
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
