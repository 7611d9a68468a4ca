//! Rate limiting: the window algorithm (pure), the Durable Object that keeps
//! each bucket, and the Worker-side call.

pub mod object;
pub mod window;

use worker::{Method, Request, RequestInit};

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::http::error::{AppError, AppResult};
use crate::usage::answers::PublicQuery;
pub use window::Decision;

/// A public-API request for its token's object to answer.
#[derive(Debug, Serialize, Deserialize)]
pub struct PublicAsk {
    pub token_hash: String,
    pub query: PublicQuery,
    pub limit: u32,
    pub window_secs: i64,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PublicOutcome {
    Answered {
        decision: Decision,
        body: serde_json::Value,
    },
    Limited {
        decision: Decision,
    },
    /// Not an active API token: nothing charged, nothing stored.
    Invalid,
}

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

async fn post(
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

/// The token's object checks the token, charges its bucket and answers.
pub async fn ask_public(app: &App, bucket_name: &str, ask: &PublicAsk) -> AppResult<PublicOutcome> {
    let body = serde_json::to_string(ask).map_err(AppError::internal)?;
    post(app, bucket_name, "/public", Some(body))
        .await?
        .json::<PublicOutcome>()
        .await
        .map_err(AppError::internal)
}

/// Makes a token's object forget its cached answers.
pub async fn invalidate(app: &App, bucket_name: &str) -> AppResult<()> {
    post(app, bucket_name, "/invalidate", None).await.map(drop)
}
