//! Rate limiting: the window algorithm (pure), the Durable Object that keeps
//! each bucket, and the Worker-side call.

pub mod object;
pub mod window;

use worker::{Method, Request, RequestInit};

use crate::app::App;
use crate::http::error::{AppError, AppResult};
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

/// One Durable Object round trip.
pub async fn check(app: &App, bucket: &Bucket<'_>, op: Op) -> AppResult<Decision> {
    let namespace = app.env.durable_object("RATE_LIMITER").map_err(|e| {
        AppError::Misconfigured(format!(
            "Durable Object binding RATE_LIMITER is missing ({e})"
        ))
    })?;
    let stub = namespace
        .id_from_name(bucket.name)
        .and_then(|id| id.get_stub())
        .map_err(AppError::internal)?;
    let op = match op {
        Op::Hit => "hit",
        Op::Peek => "peek",
    };
    let url = format!(
        "https://rate-limiter/{op}?limit={}&window={}",
        bucket.limit, bucket.window_secs
    );
    let mut init = RequestInit::new();
    init.with_method(Method::Post);
    let request = Request::new_with_init(&url, &init).map_err(AppError::internal)?;
    let mut response = stub
        .fetch_with_request(request)
        .await
        .map_err(AppError::internal)?;
    if response.status_code() != 200 {
        return Err(AppError::internal(format!(
            "rate limiter answered {}",
            response.status_code()
        )));
    }
    response
        .json::<Decision>()
        .await
        .map_err(AppError::internal)
}
