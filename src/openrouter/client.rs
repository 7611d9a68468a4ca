//! The one OpenRouter client, shared by key validation and the sync jobs.
//!
//! Every call: bearer auth with the user's key, a timeout, retries per
//! [`super::retry`], and one unit of the invocation's subrequest budget per
//! attempt. Errors describe what happened without ever containing the key.

use std::cell::Cell;
use std::time::Duration;

use chrono::NaiveDate;
use futures_util::future::{select, Either};
use serde::de::DeserializeOwned;
use worker::{AbortController, Delay, Fetch, Method};

use super::request::{outbound, path_segment};
use super::retry::{is_retryable_status, next_wait_ms, parse_retry_after};
use super::types::{ActivityRow, Credits, Envelope, ErrorBody, KeyInfo, ManagedKey};
use crate::bounded::{read_bounded, Drain};
use crate::domain::dates::format_day;
use crate::policies::Patch;

/// OpenRouter's answers are small (30 days of activity of one key is a few
/// hundred KB at most); anything larger is refused unread.
pub const MAX_RESPONSE_BYTES: usize = 5 * 1024 * 1024;

/// Outbound calls one invocation may still make (`SYNC_SUBREQUEST_BUDGET`).
/// Shared by all keys of one run.
#[derive(Debug)]
pub struct Budget {
    limit: u32,
    used: Cell<u32>,
}

impl Budget {
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            used: Cell::new(0),
        }
    }

    pub fn try_take(&self) -> bool {
        let used = self.used.get();
        if used >= self.limit {
            return false;
        }
        self.used.set(used + 1);
        true
    }

    pub fn used(&self) -> u32 {
        self.used.get()
    }

    pub fn remaining(&self) -> u32 {
        self.limit - self.used.get()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// 401/403: the key is not (or no longer) accepted for this call.
    Rejected {
        status: u16,
    },
    /// Still 429 or 5xx after the retries.
    Unavailable {
        status: u16,
    },
    /// Another 4xx.
    Refused {
        status: u16,
    },
    Timeout,
    Network,
    /// 200 with a body that is not the documented shape.
    Malformed,
    /// An answer over [`MAX_RESPONSE_BYTES`].
    TooLarge,
    /// This invocation's subrequest budget is spent; try next run.
    BudgetExhausted,
    /// 429, handed to the caller at once instead of waited out (a queue
    /// consumer retries its message after `Retry-After`).
    RateLimited {
        retry_after: Option<u64>,
    },
}

impl CallError {
    /// Safe to store and show: no key, no response body.
    pub fn describe(&self) -> String {
        match self {
            Self::Rejected { status } => format!("OpenRouter rejected the key (HTTP {status})"),
            Self::Unavailable { status } => {
                format!("OpenRouter unavailable (HTTP {status}) after retries")
            }
            Self::Refused { status } => format!("OpenRouter refused the request (HTTP {status})"),
            Self::Timeout => "OpenRouter did not answer in time".to_owned(),
            Self::Network => "could not reach OpenRouter".to_owned(),
            Self::Malformed => "OpenRouter sent a response of an unexpected shape".to_owned(),
            Self::TooLarge => "OpenRouter sent a response over 5 MB".to_owned(),
            Self::BudgetExhausted => "deferred: this run's subrequest budget is spent".to_owned(),
            Self::RateLimited { .. } => {
                "OpenRouter is rate limiting these calls (HTTP 429)".to_owned()
            }
        }
    }
}

pub struct Client<'a> {
    base_url: &'a str,
    budget: &'a Budget,
    timeout: Duration,
    hand_off_429: bool,
}

impl<'a> Client<'a> {
    pub fn new(base_url: &'a str, budget: &'a Budget, timeout: Duration) -> Self {
        Self {
            base_url,
            budget,
            timeout,
            hand_off_429: false,
        }
    }

    /// A 429 is returned at once as [`CallError::RateLimited`] (with its
    /// `Retry-After`) instead of being retried in the call: the queue
    /// consumer retries the whole message later rather than sleep.
    pub fn handing_off_rate_limits(mut self) -> Self {
        self.hand_off_429 = true;
        self
    }

    /// `GET /key`, with OpenRouter's clock when it answered
    /// ([`KeyInfo::served_at`]).
    pub async fn key_info(&self, key: &str) -> Result<KeyInfo, CallError> {
        let (mut info, served_at) = self.get_dated::<KeyInfo>(key, "/key").await?;
        info.served_at = served_at;
        Ok(info)
    }

    pub async fn credits(&self, key: &str) -> Result<Credits, CallError> {
        self.get::<Credits>(key, "/credits").await
    }

    /// One completed UTC day of one inference key's activity, read with a
    /// management key.
    pub async fn activity(
        &self,
        management_key: &str,
        date: NaiveDate,
        key_hash: &str,
    ) -> Result<Vec<ActivityRow>, CallError> {
        let path = format!(
            "/activity?date={}&api_key_hash={key_hash}",
            format_day(date)
        );
        self.get::<Vec<ActivityRow>>(management_key, &path).await
    }

    /// `GET /keys/{hash}` with a management key: the key as that account
    /// sees it (404, [`CallError::Refused`], when it is not the account's),
    /// with OpenRouter's clock when it answered.
    pub async fn managed_key(
        &self,
        management_key: &str,
        hash: &str,
    ) -> Result<ManagedKey, CallError> {
        let path = format!(
            "/keys/{}",
            path_segment(hash).ok_or(CallError::Refused { status: 400 })?
        );
        let (mut key, served_at) = self.get_dated::<ManagedKey>(management_key, &path).await?;
        key.served_at = served_at;
        Ok(key)
    }

    /// `PATCH /keys/{hash}`: only the fields `patch` names change. Setting
    /// the same values twice is harmless, so a retried PATCH is safe.
    pub async fn update_key(
        &self,
        management_key: &str,
        hash: &str,
        patch: &Patch,
    ) -> Result<ManagedKey, CallError> {
        let path = format!(
            "/keys/{}",
            path_segment(hash).ok_or(CallError::Refused { status: 400 })?
        );
        let body = serde_json::to_string(patch).map_err(|_| CallError::Malformed)?;
        self.call(management_key, Method::Patch, &path, Some(&body))
            .await
            .map(|(data, _)| data)
    }

    /// One page of the account's API keys, disabled ones included, read with a
    /// management key from `offset` (`GET /keys`, at most
    /// [`super::types::KEYS_PAGE_SIZE`] a page; a shorter page is the last),
    /// with OpenRouter's clock when it answered.
    pub async fn list_keys(
        &self,
        management_key: &str,
        offset: usize,
    ) -> Result<(Vec<ManagedKey>, Option<String>), CallError> {
        let path = format!("/keys?include_disabled=true&offset={offset}");
        self.get_dated::<Vec<ManagedKey>>(management_key, &path)
            .await
    }

    async fn get<T: DeserializeOwned>(&self, key: &str, path: &str) -> Result<T, CallError> {
        self.get_dated(key, path).await.map(|(data, _)| data)
    }

    /// The answer's data and its `Date` header (RFC 3339), if any.
    async fn get_dated<T: DeserializeOwned>(
        &self,
        key: &str,
        path: &str,
    ) -> Result<(T, Option<String>), CallError> {
        self.call(key, Method::Get, path, None).await
    }

    /// One call with its retries (429 and 5xx, network errors).
    async fn call<T: DeserializeOwned>(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> Result<(T, Option<String>), CallError> {
        let url = format!("{}{path}", self.base_url);
        let mut attempt = 1;
        loop {
            if !self.budget.try_take() {
                return Err(CallError::BudgetExhausted);
            }
            let (error, retry_after) = match self.send(key, method.clone(), &url, body).await {
                Ok(Answer {
                    status: 200,
                    body,
                    date,
                    ..
                }) => {
                    return serde_json::from_str::<Envelope<T>>(&body)
                        .map(|e| (e.data, date))
                        .map_err(|_| CallError::Malformed);
                }
                Ok(Answer {
                    status: status @ (401 | 403),
                    ..
                }) => return Err(CallError::Rejected { status }),
                Ok(Answer {
                    status: 429,
                    retry_after,
                    ..
                }) if self.hand_off_429 => return Err(CallError::RateLimited { retry_after }),
                Ok(Answer {
                    status,
                    retry_after,
                    body,
                    ..
                }) if is_retryable_status(status) => {
                    log_error_body(status, &body);
                    (CallError::Unavailable { status }, retry_after)
                }
                Ok(Answer { status, body, .. }) => {
                    log_error_body(status, &body);
                    return Err(CallError::Refused { status });
                }
                Err(CallError::Network) => (CallError::Network, None),
                Err(other) => return Err(other),
            };
            match next_wait_ms(attempt, true, retry_after) {
                Some(wait) => {
                    Delay::from(Duration::from_millis(wait)).await;
                    attempt += 1;
                }
                None => return Err(error),
            }
        }
    }

    /// One attempt: its answer, or a transport error.
    async fn send(
        &self,
        key: &str,
        method: Method,
        url: &str,
        body: Option<&str>,
    ) -> Result<Answer, CallError> {
        let request = outbound(key, method, url, body).map_err(|_| CallError::Network)?;
        let controller = AbortController::default();
        let signal = controller.signal();
        let fetch = Fetch::Request(request);
        let exchange = async move {
            let mut response = fetch
                .send_with_signal(&signal)
                .await
                .map_err(|_| CallError::Network)?;
            let status = response.status_code();
            let header = |name: &str| response.headers().get(name).ok().flatten();
            let retry_after = parse_retry_after(header("Retry-After").as_deref());
            let date = header("Date").as_deref().and_then(http_date);
            let body = match response.stream() {
                Ok(stream) => read_bounded(stream, MAX_RESPONSE_BYTES, Drain::No)
                    .await
                    .map_err(|e| match e {
                        crate::bounded::ReadError::TooLarge => CallError::TooLarge,
                        crate::bounded::ReadError::Broken => CallError::Network,
                    })?,
                Err(_) => Vec::new(),
            };
            Ok(Answer {
                status,
                retry_after,
                date,
                body: String::from_utf8_lossy(&body).into_owned(),
            })
        };
        let timeout = Delay::from(self.timeout);
        let outcome = select(Box::pin(exchange), Box::pin(timeout)).await;
        match outcome {
            Either::Left((result, _)) => result,
            Either::Right(((), _)) => {
                controller.abort();
                Err(CallError::Timeout)
            }
        }
    }
}

/// One HTTP answer from OpenRouter.
struct Answer {
    status: u16,
    retry_after: Option<u64>,
    /// Its `Date` header as RFC 3339: OpenRouter's clock.
    date: Option<String>,
    body: String,
}

/// An HTTP-date (`Sun, 29 Nov 2026 11:33:16 GMT`) as RFC 3339 UTC.
fn http_date(value: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc2822(value.trim())
        .ok()
        .map(|t| crate::clock::timestamp(t.with_timezone(&chrono::Utc)))
}

/// OpenRouter's error message (never the request, which holds the key).
fn log_error_body(status: u16, body: &str) {
    let message = serde_json::from_str::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.error.message)
        .unwrap_or_default();
    worker::console_warn!(
        "OpenRouter answered {status}: {}",
        message.chars().take(200).collect::<String>()
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_openrouters_clock_from_an_http_date() {
        assert_eq!(
            http_date("Sun, 29 Nov 2026 11:33:16 GMT").as_deref(),
            Some("2026-11-29T11:33:16Z")
        );
        assert_eq!(http_date("yesterday"), None);
    }
}
