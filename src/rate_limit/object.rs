//! The `RATE_LIMITER` Durable Object: one instance per bucket (an API token's
//! hash, a client IP, a login email's hash, a key's manual sync), its log in
//! SQLite storage so it survives eviction and restarts.
//!
//! A token's object also answers for the token (`/public`): it checks the
//! token, charges its bucket and returns the public-API answer, which it
//! keeps in memory for [`ANSWER_TTL_MS`] unless told to forget
//! (`/invalidate`, sent by every product write that changes what the token
//! can see, and by revocation). A repeated public request thus costs the
//! Worker one round trip, and revocation stays immediate.
//!
//! Protocol (internal, Worker to object), all `POST https://rate-limiter/…`:
//! `hit|peek?limit=N&window=SECONDS` -> [`Decision`]; `public` with a
//! [`PublicAsk`] -> [`PublicOutcome`]; `invalidate` -> 204.

use std::cell::{Cell, RefCell};

use chrono::Duration;
use worker::{durable_object, DurableObject, Env, Headers, Request, Response, Result, State};

use super::window::{decide, expired_before, Decision, WindowState};
use super::{PublicAsk, PublicOutcome, DECISION_HEADER, OUTCOME_HEADER};
use crate::clock;
use crate::store::tokens;
use crate::usage::answers::{self, Answer};
use crate::usage::cache::{TimedCache, ANSWER_TTL_MS};

/// `last_used_at` is written at most this often per token.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

#[durable_object]
pub struct RateLimiter {
    state: State,
    env: Env,
    answers: RefCell<TimedCache<Answer>>,
    /// When this object last recorded the token's use (epoch ms).
    last_used_ms: Cell<Option<i64>>,
    schema_ready: Cell<bool>,
    /// Rows in `hits`, counted once per object lifetime and then kept in
    /// step with every insert and delete (all of which happen here), so a
    /// large budget's log is never re-counted per request.
    logged: Cell<Option<i64>>,
}

#[derive(serde::Deserialize)]
struct Count {
    count: i64,
}

#[derive(serde::Deserialize)]
struct Oldest {
    oldest: Option<i64>,
}

impl DurableObject for RateLimiter {
    fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            answers: RefCell::new(TimedCache::new(ANSWER_TTL_MS)),
            last_used_ms: Cell::new(None),
            schema_ready: Cell::new(false),
            logged: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let url = req.url()?;
        match url.path() {
            "/public" => {
                let ask: PublicAsk = req.json().await?;
                let outcome = match self.public(&ask).await {
                    Ok(outcome) => outcome,
                    Err(e) => return Response::error(format!("public answer failed: {e}"), 500),
                };
                let (name, decision, body) = outcome.to_parts();
                let headers = Headers::new();
                headers.set(OUTCOME_HEADER, name)?;
                if let Some(decision) = decision {
                    headers.set(DECISION_HEADER, &decision)?;
                }
                Ok(Response::ok(body)?.with_headers(headers))
            }
            "/invalidate" => {
                self.answers.borrow_mut().clear();
                Ok(Response::empty()?.with_status(204))
            }
            op @ ("/hit" | "/peek") => {
                let param = |name: &str| {
                    url.query_pairs()
                        .find(|(k, _)| k == name)
                        .and_then(|(_, v)| v.parse::<i64>().ok())
                        .filter(|v| *v > 0)
                };
                let (Some(limit), Some(window_secs)) = (param("limit"), param("window")) else {
                    return Response::error("limit and window are required", 400);
                };
                let decision = self.decide(limit as u32, window_secs * 1000, op == "/hit")?;
                Response::from_json(&decision)
            }
            _ => Response::error("unknown operation", 404),
        }
    }
}

impl RateLimiter {
    /// Read, decide and write with no await in between: the object handles
    /// one such step at a time, so concurrent requests cannot both take the
    /// last slot.
    fn decide(&self, limit: u32, window_ms: i64, record: bool) -> Result<Decision> {
        let sql = self.state.storage().sql();
        if !self.schema_ready.get() {
            // Created on first use, so an object asked only about an unknown
            // token stores nothing.
            sql.exec(
                "CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL);
                 CREATE INDEX IF NOT EXISTS hits_at ON hits (at);",
                None,
            )?;
            self.schema_ready.set(true);
        }
        let now_ms = clock::now().timestamp_millis();
        let expired = sql
            .exec(
                "DELETE FROM hits WHERE at <= ? RETURNING at",
                vec![expired_before(now_ms, window_ms).into()],
            )?
            .to_array::<serde::de::IgnoredAny>()?
            .len() as i64;
        let count = match self.logged.get() {
            Some(count) => count - expired,
            None => {
                sql.exec("SELECT COUNT(*) AS count FROM hits", None)?
                    .one::<Count>()?
                    .count
            }
        };
        // Indexed: the first entry of `hits_at`.
        let oldest = sql
            .exec("SELECT MIN(at) AS oldest FROM hits", None)?
            .one::<Oldest>()?
            .oldest;
        let decision = decide(
            WindowState {
                count: count.max(0) as u32,
                oldest_ms: oldest,
            },
            now_ms,
            window_ms,
            limit,
            record,
        );
        let recorded = decision.allowed && record;
        if recorded {
            sql.exec("INSERT INTO hits (at) VALUES (?)", vec![now_ms.into()])?;
        }
        self.logged.set(Some(count + i64::from(recorded)));
        Ok(decision)
    }

    async fn public(
        &self,
        ask: &PublicAsk,
    ) -> std::result::Result<PublicOutcome, crate::http::error::AppError> {
        let key = ask.query.cache_key();
        let cached = self
            .answers
            .borrow()
            .get(&key, clock::now().timestamp_millis());
        let answer = match cached {
            Some(answer) => answer,
            None => {
                let db = self
                    .env
                    .d1("DB")
                    .map_err(crate::http::error::AppError::internal)?;
                let Some(answer) = answers::answer(&db, &ask.token_hash, &ask.query).await? else {
                    return Ok(PublicOutcome::Invalid);
                };
                if self.last_used_ms.get().is_none() {
                    let stored = answer
                        .last_used_at
                        .as_deref()
                        .and_then(clock::parse_timestamp);
                    self.last_used_ms.set(stored.map(|t| t.timestamp_millis()));
                }
                self.answers
                    .borrow_mut()
                    .put(key, answer.clone(), clock::now().timestamp_millis());
                answer
            }
        };
        let decision = self
            .decide(ask.limit, ask.window_secs * 1000, true)
            .map_err(crate::http::error::AppError::internal)?;
        if !decision.allowed {
            return Ok(PublicOutcome::Limited { decision });
        }
        self.record_use(answer.token_id);
        Ok(PublicOutcome::Answered {
            decision,
            body: answer.body,
        })
    }

    /// Writes `last_used_at` at most once a minute, after the answer.
    fn record_use(&self, token_id: i64) {
        let now = clock::now();
        let now_ms = now.timestamp_millis();
        if self
            .last_used_ms
            .get()
            .is_some_and(|at| now_ms - at < LAST_USED_RESOLUTION_MS)
        {
            return;
        }
        self.last_used_ms.set(Some(now_ms));
        let Ok(db) = self.env.d1("DB") else { return };
        let stale_before = clock::timestamp(now - Duration::milliseconds(LAST_USED_RESOLUTION_MS));
        let now = clock::timestamp(now);
        self.state.wait_until(async move {
            if let Err(e) = tokens::touch(&db, token_id, &now, &stale_before).await {
                worker::console_error!("last_used_at update failed: {e}");
            }
        });
    }
}
