//! Sending deliveries: a signed `POST` per try, with the retry rules of
//! [`super::attempts`], the outcome stored on the delivery.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::stream::{self, StreamExt};
use worker::{
    AbortController, D1Database, Delay, Fetch, Headers, Method, Request, RequestInit,
    RequestRedirect,
};

use super::attempts::{next_wait_ms, status_after, Attempt};
use super::sign::signature;
use crate::clock;
use crate::error::{AppError, AppResult};
use crate::keys::vault::{Sealed, Vault};
use crate::store::webhooks::{self, DueRow};

pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Deliveries one run sends (each up to 3 tries): 90 subrequests at most,
/// inside the headroom the sync's budget leaves under the platform's 1,000.
pub const PER_RUN: i64 = 30;
/// Deliveries in flight at once (Workers allow six open connections).
const CONCURRENCY: usize = 6;
/// How long a run holds a delivery: far longer than its tries take
/// (3 × 5 s timeouts and 4 s of backoff).
const CLAIM_SECS: i64 = 120;
/// Our payloads are small; this only guards against a bug.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// Sends what is due; each delivery's failure stays with it. Returns how
/// many were delivered.
pub async fn due(db: &D1Database, vault: &Vault) -> AppResult<usize> {
    let now = clock::timestamp(clock::now());
    let rows = webhooks::due(db, &now, PER_RUN).await?;
    let outcomes: Vec<bool> = stream::iter(rows)
        .map(|row| async move {
            let id = row.id;
            match deliver(db, vault, row).await {
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

/// Sends one delivery now (the test endpoint).
pub async fn one(db: &D1Database, vault: &Vault, id: i64) -> AppResult<()> {
    let row = webhooks::due_one(db, id)
        .await?
        .ok_or_else(|| AppError::internal(format!("delivery {id} vanished")))?;
    deliver(db, vault, row).await.map(|_| ())
}

/// Tries a delivery up to this run's allowance and stores the outcome;
/// `true` when delivered.
async fn deliver(db: &D1Database, vault: &Vault, row: DueRow) -> AppResult<bool> {
    let now = clock::now();
    let until = clock::timestamp(now + chrono::Duration::seconds(CLAIM_SECS));
    if !webhooks::claim(db, row.id, &clock::timestamp(now), &until).await? {
        return Ok(false);
    }
    let mut attempts: Vec<Attempt> = serde_json::from_str(&row.attempts).unwrap_or_default();
    let sealed = Sealed {
        ciphertext: row.secret_ciphertext.clone().unwrap_or_default(),
        nonce: row.secret_nonce.clone().unwrap_or_default(),
    };
    let status = match vault.open_webhook_secret(&sealed, row.user_id, row.webhook_id) {
        Ok(secret) => {
            let body = body(&row)?;
            let mut tried = 0;
            loop {
                tried += 1;
                let attempt = send(&row, &secret, &body).await;
                let verdict = attempt.verdict();
                attempts.push(attempt);
                match next_wait_ms(tried, attempts.len() as u32, verdict) {
                    Some(ms) => Delay::from(Duration::from_millis(ms)).await,
                    None => break,
                }
            }
            let age_hours = clock::parse_timestamp(&row.created_at)
                .map_or(0, |created| (clock::now() - created).num_hours());
            attempts.last().map_or("failed", |last| {
                status_after(last, attempts.len() as u32, age_hours)
            })
        }
        Err(e) => {
            worker::console_error!("webhook {}: {e}", row.webhook_id);
            "failed"
        }
    };
    let log = serde_json::to_string(&attempts).map_err(AppError::internal)?;
    let now = clock::timestamp(clock::now());
    webhooks::record_attempts(db, row.id, status, &log, attempts.len() as i64, &now).await?;
    Ok(status == "delivered")
}

/// `{"event": …}`, or `{"text": …}` for Slack-compatible receivers.
fn body(row: &DueRow) -> AppResult<Vec<u8>> {
    let event =
        crate::alerts::events::render(row.event_id, &row.event_created_at, &row.event_payload);
    let value = match row.format.as_str() {
        "slack" => serde_json::json!({ "text": event["message"] }),
        _ => serde_json::json!({ "event": event }),
    };
    let bytes = serde_json::to_vec(&value).map_err(AppError::internal)?;
    if bytes.len() > MAX_BODY_BYTES {
        return Err(AppError::internal("webhook payload over its bound"));
    }
    Ok(bytes)
}

async fn send(row: &DueRow, secret: &str, body: &[u8]) -> Attempt {
    let started = clock::now();
    let outcome = exchange(row, secret, body).await;
    let duration_ms = u64::try_from((clock::now() - started).num_milliseconds()).unwrap_or(0);
    let (status_code, error) = match outcome {
        Ok(status) => (Some(status), None),
        Err(why) => (None, Some(why.to_owned())),
    };
    Attempt {
        at: clock::timestamp(started),
        status_code,
        error,
        duration_ms,
    }
}

/// One `POST`: its status, or what went wrong (never a secret).
async fn exchange(row: &DueRow, secret: &str, body: &[u8]) -> Result<u16, &'static str> {
    let timestamp = clock::now().timestamp();
    let headers = Headers::new();
    let set = [
        ("Content-Type", "application/json".to_owned()),
        ("User-Agent", "OpenRouter-Watcher-Webhooks/1".to_owned()),
        ("X-Watcher-Event", row.event_type.clone()),
        ("X-Watcher-Delivery", row.id.to_string()),
        ("X-Watcher-Timestamp", timestamp.to_string()),
        ("X-Watcher-Signature", signature(secret, timestamp, body)),
    ];
    for (name, value) in &set {
        headers
            .set(name, value)
            .map_err(|_| "the request could not be built")?;
    }
    let mut init = RequestInit::new();
    // A redirect is an answer (and a failure), never followed: it could
    // point anywhere.
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(worker::wasm_bindgen::JsValue::from(js_sys_bytes(
            body,
        ))))
        .with_redirect(RequestRedirect::Manual);
    let request =
        Request::new_with_init(&row.url, &init).map_err(|_| "the URL could not be requested")?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let call = async move {
        Fetch::Request(request)
            .send_with_signal(&signal)
            .await
            .map(|response| response.status_code())
            .map_err(|_| "the connection failed")
    };
    match select(Box::pin(call), Box::pin(Delay::from(TIMEOUT))).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => {
            controller.abort();
            Err("no answer within 5 s")
        }
    }
}

fn js_sys_bytes(body: &[u8]) -> worker::js_sys::Uint8Array {
    worker::js_sys::Uint8Array::from(body)
}
