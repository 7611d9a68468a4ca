//! Rate limiting: the window algorithm (pure), the Durable Object that keeps
//! each bucket, and the Worker-side call.

pub mod object;
pub mod window;

use worker::{Method, Request, RequestInit};

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::error::{AppError, AppResult};
use crate::usage::answers::PublicQuery;
pub use window::Decision;

/// A public-API request for its token's object: answer a question, or
/// (`query: None`, the parameters were invalid) only check the token and
/// charge its bucket, so the Worker can send the validation error.
#[derive(Debug, Serialize, Deserialize)]
pub struct PublicAsk {
    pub token_hash: String,
    pub query: Option<PublicQuery>,
    pub limit: u32,
    pub window_secs: i64,
}

/// The object's answer. On the wire: the answer's JSON as the response body
/// (passed through untouched, however large), the outcome and the decision
/// in headers.
#[derive(Debug, PartialEq)]
pub enum PublicOutcome {
    Answered {
        decision: Decision,
        body: String,
    },
    /// A valid token charged for a request without a question (invalid
    /// parameters).
    Charged {
        decision: Decision,
    },
    Limited {
        decision: Decision,
    },
    /// Not an active API token: nothing charged, nothing stored.
    Invalid,
}

pub const OUTCOME_HEADER: &str = "X-Orw-Outcome";
pub const DECISION_HEADER: &str = "X-Orw-Decision";
/// How many D1 statements the object ran for this request (0 or 1).
pub const D1_STATEMENTS_HEADER: &str = "X-Orw-D1-Statements";

impl PublicOutcome {
    /// (outcome, decision as JSON, body) for the response of the object.
    pub fn to_parts(&self) -> (&'static str, Option<String>, &str) {
        let decision = |d: &Decision| serde_json::to_string(d).ok();
        match self {
            Self::Answered { decision: d, body } => ("answered", decision(d), body),
            Self::Charged { decision: d } => ("charged", decision(d), ""),
            Self::Limited { decision: d } => ("limited", decision(d), ""),
            Self::Invalid => ("invalid", None, ""),
        }
    }

    pub fn from_parts(outcome: Option<&str>, decision: Option<&str>, body: String) -> Option<Self> {
        let decision = || decision.and_then(|d| serde_json::from_str::<Decision>(d).ok());
        match outcome? {
            "answered" => Some(Self::Answered {
                decision: decision()?,
                body,
            }),
            "charged" => Some(Self::Charged {
                decision: decision()?,
            }),
            "limited" => Some(Self::Limited {
                decision: decision()?,
            }),
            "invalid" => Some(Self::Invalid),
            _ => None,
        }
    }
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

/// The token's object checks the token, charges its bucket and answers.
/// Also returns how many D1 statements that took (for the debug header).
pub async fn ask_public(
    app: &App,
    bucket_name: &str,
    ask: &PublicAsk,
) -> AppResult<(PublicOutcome, u32)> {
    let body = serde_json::to_string(ask).map_err(AppError::internal)?;
    let mut response = post(app, bucket_name, ops::PUBLIC, Some(body)).await?;
    let header = |name: &str| response.headers().get(name).ok().flatten();
    let (outcome, decision) = (header(OUTCOME_HEADER), header(DECISION_HEADER));
    let statements = header(D1_STATEMENTS_HEADER)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let body = response.text().await.map_err(AppError::internal)?;
    let outcome = PublicOutcome::from_parts(outcome.as_deref(), decision.as_deref(), body)
        .ok_or_else(|| AppError::internal("malformed answer from the token's rate limiter"))?;
    Ok((outcome, statements))
}

/// Makes a token's object forget its cached answers.
pub async fn invalidate(app: &App, bucket_name: &str) -> AppResult<()> {
    post(app, bucket_name, ops::INVALIDATE, None)
        .await
        .map(drop)
}

/// Tells a token's object its token is revoked: from now on it refuses the
/// token without asking D1, and nothing it was computing is kept.
pub async fn revoke(app: &App, bucket_name: &str) -> AppResult<()> {
    post(app, bucket_name, ops::REVOKE, None).await.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_cross_the_wire_intact() {
        let decision = Decision {
            allowed: true,
            limit: 100,
            remaining: 99,
            reset_epoch: 1_800_000_000,
            retry_after: 0,
        };
        for outcome in [
            PublicOutcome::Answered {
                decision,
                body: r#"{"items":[],"total":0}"#.to_owned(),
            },
            PublicOutcome::Limited {
                decision: Decision {
                    allowed: false,
                    remaining: 0,
                    retry_after: 36,
                    ..decision
                },
            },
            PublicOutcome::Charged { decision },
            PublicOutcome::Invalid,
        ] {
            let (name, decision, body) = outcome.to_parts();
            let back = PublicOutcome::from_parts(Some(name), decision.as_deref(), body.to_owned());
            assert_eq!(back, Some(outcome));
        }
        assert_eq!(
            PublicOutcome::from_parts(Some("answered"), None, String::new()),
            None
        );
        assert_eq!(PublicOutcome::from_parts(None, None, String::new()), None);
    }
}
