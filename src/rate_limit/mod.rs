//! Rate limiting: the window algorithm (pure) and the Worker-side calls to
//! the `RATE_LIMITER` Durable Object that keeps each bucket (the object
//! itself lives in `public_api::object`, since a token's object also answers
//! for its token).

pub use watcher_core::rate_limit::window;

use worker::{Method, Request, RequestInit};

use crate::app::App;
use crate::error::{AppError, AppResult};
pub use window::Decision;

/// A named bucket with its budget.
pub struct Bucket<'a> {
    /// The Durable Object's name; never a secret (tokens are named by hash).
    pub name: &'a str,
    pub limit: u32,
    pub window_secs: i64,
}

pub enum Op {
    /// Count this request if it is allowed.
    Hit,
    /// Report without counting.
    Peek,
}

/// The token's object and the Worker agree on these paths.
pub mod ops {
    pub const PUBLIC: &str = "/public";
    pub const INVALIDATE: &str = "/invalidate";
    pub const REVOKE: &str = "/revoke";
    pub const RELEASE: &str = "/release";
}

fn stub(app: &App, name: &str) -> AppResult<worker::Stub> {
    let namespace = app.env.durable_object("RATE_LIMITER").map_err(|e| {
        AppError::Misconfigured(format!(
            "Durable Object binding RATE_LIMITER is missing ({e})"
        ))
    })?;
    namespace
        .id_from_name(name)
        .and_then(|id| id.get_stub())
        .map_err(AppError::internal)
}

pub(crate) async fn post(
    app: &App,
    bucket_name: &str,
    path: &str,
    body: Option<String>,
) -> AppResult<worker::Response> {
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    if let Some(body) = body {
        init.with_body(Some(body.into()));
    }
    let request = Request::new_with_init(&format!("https://rate-limiter{path}"), &init)
        .map_err(AppError::internal)?;
    let response = stub(app, bucket_name)?
        .fetch_with_request(request)
        .await
        .map_err(AppError::internal)?;
    match response.status_code() {
        200 | 204 => Ok(response),
        status => Err(AppError::internal(format!(
            "rate limiter answered {status}"
        ))),
    }
}

/// One Durable Object round trip.
pub async fn check(app: &App, bucket: &Bucket<'_>, op: Op) -> AppResult<Decision> {
    let op = match op {
        Op::Hit => "hit",
        Op::Peek => "peek",
    };
    let path = format!("/{op}?limit={}&window={}", bucket.limit, bucket.window_secs);
    post(app, bucket.name, &path, None)
        .await?
        .json::<Decision>()
        .await
        .map_err(AppError::internal)
}

/// Charges the bucket: a refused request is a 429 with the exact
/// `Retry-After`. The one way handlers rate-limit.
pub async fn enforce(app: &App, bucket: &Bucket<'_>) -> AppResult<Decision> {
    let decision = check(app, bucket, Op::Hit).await?;
    if decision.allowed {
        Ok(decision)
    } else {
        Err(AppError::RateLimited {
            retry_after: decision.retry_after,
        })
    }
}

/// Gives back the newest slot charged to the bucket: a reservation made
/// before work whose outcome should not count (a login that succeeded).
pub async fn release(app: &App, bucket_name: &str) -> AppResult<()> {
    post(app, bucket_name, ops::RELEASE, None).await.map(drop)
}
