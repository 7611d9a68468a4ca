//! Rate limiting: the window algorithm (pure), the bucket log both
//! bucket-keeping objects share ([`log`]), the `RATE_LIMITER` object that
//! keeps a plain bucket ([`object`]), and the Worker-side calls to it. An
//! API token's bucket lives in the token's own object
//! (`public_api::object`), which also answers for the token.

pub mod log;
pub mod object;
pub use watcher_core::rate_limit::window;

use serde::{Deserialize, Serialize};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Method, Request, RequestInit};

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

/// One round trip: `message` (JSON) to the object, the text of its answer
/// if 200 or 204. The answer is read by the runtime (`Response.text()`),
/// not streamed into the wasm chunk by chunk: `worker::Response::text`
/// reads through a stream reader whose release alone took 0.5-1.8 ms of
/// the isolate per cold public request (`cargo xtask bench --profile`).
pub(crate) async fn send<M: Serialize>(stub: worker::Stub, message: &M) -> AppResult<String> {
    let body = serde_json::to_string(message).map_err(AppError::internal)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    // Objects are addressed by their stub; the URL is only a formality.
    let request = Request::new_with_init("https://object/", &init).map_err(AppError::internal)?;
    let stub: worker::worker_sys::DurableObject = stub.into_rpc();
    let answered = stub.fetch_with_request(request.inner()).map_err(js_error)?;
    let response: web_sys::Response = JsFuture::from(answered)
        .await
        .map_err(js_error)?
        .dyn_into()
        .map_err(js_error)?;
    match response.status() {
        200 | 204 => {}
        status => {
            return Err(AppError::internal(format!(
                "a Durable Object answered {status}"
            )))
        }
    }
    let text = JsFuture::from(response.text().map_err(js_error)?)
        .await
        .map_err(js_error)?;
    text.as_string()
        .ok_or_else(|| AppError::internal("a Durable Object's answer is not text"))
}

fn js_error(value: JsValue) -> AppError {
    AppError::internal(worker::Error::from(value))
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
    let text = send(bucket_stub(app, bucket.name)?, &ask).await?;
    serde_json::from_str(&text).map_err(AppError::internal)
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
    send(bucket_stub(app, bucket_name)?, &BucketAsk::Release)
        .await
        .map(drop)
}
