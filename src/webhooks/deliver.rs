//! Sending deliveries: a signed `POST` per try, with the retry rules of
//! [`super::attempts`], the outcome stored on the delivery.
//!
//! Fair by construction: a run takes at most [`PER_RUN`] due deliveries,
//! round-robin across accounts (each account's first, then each account's
//! second, …), fresh ones before retries, and at most [`PER_ACCOUNT`] of one
//! account. A receiver that keeps failing is tried again only after a
//! growing wait; test deliveries never enter this queue. So no account's
//! receivers or volume can hold back another account's alerts.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::stream::{self, StreamExt};
use worker::{
    AbortController, D1Database, Delay, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect,
};

use super::attempts::{
    next_wait_ms, retry_wait_secs, status_after, Attempt, DeliveryStatus, Failure, Run,
};
use super::channels::{self, Rendered};
use super::sign::signature;
use super::url;
use crate::clock;
use crate::config::WebhookPolicy;
use crate::error::{AppError, AppResult};
use crate::keys::vault::{Sealed, Vault};
use crate::store::webhooks::{self, DueRow, Outcome};

pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Deliveries one run sends (the first run of a delivery tries 3 times): 90
/// subrequests at most, inside the headroom the sync's budget leaves under
/// the platform's 1,000.
pub const PER_RUN: i64 = 30;
/// Deliveries of one account one run sends at most: a third of the run.
pub const PER_ACCOUNT: i64 = 10;
/// Deliveries in flight at once (Workers allow six open connections).
const CONCURRENCY: usize = 6;
/// How long a run holds a delivery: far longer than its tries take
/// (3 × 5 s timeouts and 4 s of backoff).
const CLAIM_SECS: i64 = 120;
/// Our payloads are small; this only guards against a bug.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What every try needs: the database, the sealed secrets' key, and the
/// URL rules of this deployment (checked again before each send).
pub struct Sender<'a> {
    pub db: &'a D1Database,
    pub vault: &'a Vault,
    pub policy: WebhookPolicy,
}

impl Sender<'_> {
    /// Sends what is due; each delivery's failure stays with it. Returns
    /// how many were delivered.
    pub async fn due(&self) -> AppResult<usize> {
        let now = clock::timestamp(clock::now());
        let rows = webhooks::due(self.db, &now, PER_RUN, PER_ACCOUNT).await?;
        let outcomes: Vec<bool> = stream::iter(rows)
            .map(|row| async move {
                let id = row.id;
                let run = Run::of(usize::try_from(row.attempt_count).unwrap_or(usize::MAX));
                match self.deliver(row, run).await {
                    Ok(delivered) => delivered,
                    Err(e) => {
                        worker::console_error!("delivery {id}: {e}");
                        false
                    }
                }
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        Ok(outcomes.into_iter().filter(|d| *d).count())
    }

    /// Sends a test delivery now: one try, in the caller's request, final.
    pub async fn test(&self, id: i64) -> AppResult<()> {
        let row = webhooks::due_one(self.db, id)
            .await?
            .ok_or_else(|| AppError::internal(format!("delivery {id} vanished")))?;
        self.deliver(row, Run::Test).await.map(|_| ())
    }

    /// Tries a delivery up to the run's allowance and stores the outcome;
    /// `true` when delivered.
    async fn deliver(&self, row: DueRow, run: Run) -> AppResult<bool> {
        let now = clock::now();
        let until = clock::timestamp(now + chrono::Duration::seconds(CLAIM_SECS));
        if !webhooks::claim(self.db, row.id, &clock::timestamp(now), &until).await? {
            return Ok(false);
        }
        let mut attempts: Vec<Attempt> = serde_json::from_str(&row.attempts).unwrap_or_default();
        let sealed = Sealed {
            ciphertext: row.secret_ciphertext.clone().unwrap_or_default(),
            nonce: row.secret_nonce.clone().unwrap_or_default(),
        };
        let secret = match self
            .vault
            .open_webhook_secret(&sealed, row.org_id, row.webhook_id)
        {
            Ok(secret) => secret,
            Err(e) => {
                worker::console_error!("webhook {}: {e}", row.webhook_id);
                return self
                    .record(&row, run, &attempts, DeliveryStatus::Failed)
                    .await;
            }
        };
        let body = match self.body(&row) {
            Ok(body) => body,
            Err(e) => {
                worker::console_error!("webhook {}: {e}", row.webhook_id);
                return self
                    .record(&row, run, &attempts, DeliveryStatus::Failed)
                    .await;
            }
        };
        let mut tried: u32 = 0;
        loop {
            tried = tried.saturating_add(1);
            let attempt = self.send(&row, &secret, &body).await;
            let verdict = attempt.verdict();
            attempts.push(attempt);
            let total = u32::try_from(attempts.len()).unwrap_or(u32::MAX);
            match next_wait_ms(run, tried, total, verdict) {
                Some(ms) => Delay::from(Duration::from_millis(ms)).await,
                None => break,
            }
        }
        let age_hours = clock::parse_timestamp(&row.created_at).map_or(0, |created| {
            clock::now().signed_duration_since(created).num_hours()
        });
        let total = u32::try_from(attempts.len()).unwrap_or(u32::MAX);
        let status = attempts.last().map_or(DeliveryStatus::Failed, |last| {
            status_after(run, last, total, age_hours)
        });
        self.record(&row, run, &attempts, status).await
    }

    async fn record(
        &self,
        row: &DueRow,
        run: Run,
        attempts: &[Attempt],
        status: DeliveryStatus,
    ) -> AppResult<bool> {
        let log = serde_json::to_string(attempts).map_err(AppError::internal)?;
        let now = clock::now();
        let total = u32::try_from(attempts.len()).unwrap_or(u32::MAX);
        let next_attempt_at = (status == DeliveryStatus::Retrying && run != Run::Test)
            .then(|| clock::timestamp(now + chrono::Duration::seconds(retry_wait_secs(total))));
        let outcome = Outcome {
            status: status.as_str(),
            attempts_json: &log,
            attempt_count: i64::from(total),
            next_attempt_at: next_attempt_at.as_deref(),
        };
        webhooks::record_attempts(self.db, row.id, &outcome, &clock::timestamp(now)).await?;
        Ok(status == DeliveryStatus::Delivered)
    }

    /// One try. A URL this deployment would not accept today (stored before
    /// a rule tightened) is not called at all.
    /// The body in the webhook's channel; PagerDuty's routing key is
    /// opened here, for this body only.
    fn body(&self, row: &DueRow) -> AppResult<Rendered> {
        let format = channels::WebhookFormat::parse(&row.format)?;
        let routing_key = match (&row.routing_key_ciphertext, &row.routing_key_nonce) {
            (Some(ciphertext), Some(nonce)) => Some(self.vault.open_routing_key(
                &Sealed {
                    ciphertext: ciphertext.clone(),
                    nonce: nonce.clone(),
                },
                row.org_id,
                row.webhook_id,
            )?),
            _ => None,
        };
        let event =
            crate::domain::event::render(row.event_id, &row.event_created_at, &row.event_payload);
        let rendered = channels::render(format, &event, routing_key.as_deref())?;
        if rendered.body.len() > MAX_BODY_BYTES {
            return Err(AppError::internal("webhook payload over its bound"));
        }
        Ok(rendered)
    }

    async fn send(&self, row: &DueRow, secret: &str, body: &Rendered) -> Attempt {
        let started = clock::now();
        let at = clock::timestamp(started);
        let Ok(target) = url::check(self.policy, &row.url) else {
            return Attempt::failed(at, Failure::RefusedTarget);
        };
        match exchange(row, &target, secret, body).await {
            Ok(status) => {
                let elapsed = clock::now().signed_duration_since(started);
                let duration_ms = u64::try_from(elapsed.num_milliseconds()).unwrap_or(0);
                Attempt::answered(at, status, duration_ms)
            }
            Err(why) => Attempt::failed(at, why),
        }
    }
}

/// One `POST` to `url`: its status, or why there was none (never a secret).
async fn exchange(
    row: &DueRow,
    url: &str,
    secret: &str,
    rendered: &Rendered,
) -> Result<u16, Failure> {
    let body = rendered.body.as_slice();
    let timestamp = clock::now().timestamp();
    let headers = Headers::new();
    let set = [
        ("Content-Type", rendered.content_type.to_owned()),
        ("User-Agent", "OpenRouter-Watcher-Webhooks/1".to_owned()),
        ("X-Watcher-Event", row.event_type.clone()),
        ("X-Watcher-Delivery", row.id.to_string()),
        ("X-Watcher-Timestamp", timestamp.to_string()),
        ("X-Watcher-Signature", signature(secret, timestamp, body)),
    ];
    for (name, value) in set.iter().chain(&rendered.headers) {
        headers.set(name, value).map_err(|_| Failure::Unsendable)?;
    }
    let mut init = RequestInit::new();
    // A redirect is an answer (and a failure), never followed: it could
    // point anywhere.
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(worker::wasm_bindgen::JsValue::from(
            worker::js_sys::Uint8Array::from(body),
        )))
        .with_redirect(RequestRedirect::Manual);
    let request = Request::new_with_init(url, &init).map_err(|_| Failure::Unsendable)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let call = async move {
        Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map(|response| response.status_code())
            .map_err(|_| Failure::ConnectionFailed)
    };
    match select(Box::pin(call), Box::pin(Delay::from(TIMEOUT))).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => {
            controller.abort();
            Err(Failure::TimedOut)
        }
    }
}
