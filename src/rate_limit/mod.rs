//! Rate limiting: the window algorithm (pure), the bucket log both
//! bucket-keeping objects share ([`log`]), the `RATE_LIMITER` object that
//! keeps a plain bucket ([`object`]), and the Worker-side calls to it. An
//! API token's bucket lives in the token's own object
//! (`public_api::object`), which also answers for the token.

pub mod log;
pub mod object;
pub use watcher_core::rate_limit::window;

use serde::{Deserialize, Serialize};
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

/// What the Worker asks a bucket's object.
#[derive(Debug, Serialize, Deserialize)]
pub enum BucketAsk {
    /// Count this request if it fits; answers the [`Decision`].
    Hit { limit: u32, window_secs: i64 },
    /// Give back the newest counted request; answers 204.
    Release,
}

/// The object named `name` of the Durable Object binding `binding`.
pub(crate) fn stub(app: &App, binding: &str, name: &str) -> AppResult<worker::Stub> {
    let namespace = app.env.durable_object(binding).map_err(|e| {
        AppError::Misconfigured(format!("Durable Object binding {binding} is missing ({e})"))
    })?;
    namespace
        .id_from_name(name)
        .and_then(|id| id.get_stub())
        .map_err(AppError::internal)
}

/// One round trip: `message` (JSON) to the object, its answer if 200 or 204.
pub(crate) async fn send<M: Serialize>(
    stub: &worker::Stub,
    message: &M,
) -> AppResult<worker::Response> {
    let body = serde_json::to_string(message).map_err(AppError::internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    // Objects are addressed by their stub; the URL is only a formality.
    let request = Request::new_with_init("https://object/", &init).map_err(AppError::internal)?;
    let response = stub
        .fetch_with_request(request)
        .await
        .map_err(AppError::internal)?;
    match response.status_code() {
        200 | 204 => Ok(response),
        status => Err(AppError::internal(format!(
            "a Durable Object answered {status}"
        ))),
    }
}

fn bucket_stub(app: &App, name: &str) -> AppResult<worker::Stub> {
    stub(app, "RATE_LIMITER", name)
}

/// Counts this request against the bucket if it fits: one round trip.
pub async fn hit(app: &App, bucket: &Bucket<'_>) -> AppResult<Decision> {
    let ask = BucketAsk::Hit {
        limit: bucket.limit,
        window_secs: bucket.window_secs,
    };
    send(&bucket_stub(app, bucket.name)?, &ask)
        .await?
        .json::<Decision>()
        .await
        .map_err(AppError::internal)
}

/// Charges the bucket: a refused request is a 429 with the exact
/// `Retry-After`. The one way handlers rate-limit.
pub async fn enforce(app: &App, bucket: &Bucket<'_>) -> AppResult<Decision> {
    let decision = hit(app, bucket).await?;
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
    send(&bucket_stub(app, bucket_name)?, &BucketAsk::Release)
        .await
        .map(drop)
}
