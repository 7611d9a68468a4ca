//! The `RATE_LIMITER` Durable Object: one instance per bucket (an API token's
//! hash, a client network, a login email's hash, a key's manual sync...),
//! its log in SQLite storage so it survives eviction and restarts, and an
//! alarm that deletes that storage once the log is empty, so abandoned
//! buckets cost nothing.
//!
//! A token's object also answers for the token (`/public`): it decides
//! first (a refused request never reaches D1), then checks the token and
//! answers, from memory for `PUBLIC_ANSWER_CACHE_MS` (default
//! [`ANSWER_TTL_MS`](crate::config::ANSWER_TTL_MS); 0: never) or with
//! one D1 statement.
//! Every product write that changes what the token can see clears that
//! memory (`/invalidate`); a revocation (`/revoke`) is remembered in storage
//! and refuses the token without asking D1. Both bump a generation, so an
//! answer computed while they happened is served to its own request at most,
//! never kept.
//!
//! Protocol (internal, Worker to object), all `POST https://rate-limiter/…`:
//! `hit|peek?limit=N&window=SECONDS` -> [`Decision`]; `release` -> 204 (gives
//! back the newest slot); `public` with a [`PublicAsk`] -> [`PublicOutcome`];
//! `invalidate`, `revoke` -> 204.

use std::cell::{Cell, RefCell};

use chrono::Duration;
use worker::{
    durable_object, DurableObject, Env, Headers, Request, Response, Result, SqlStorage, State,
};

use super::wire::{
    PublicAsk, PublicOutcome, D1_STATEMENTS_HEADER, DECISION_HEADER, OUTCOME_HEADER,
};
use crate::clock;
use crate::config::Config;
use crate::error::AppError;
use crate::rate_limit::ops;
use crate::rate_limit::window::{
    alarm_plan, decide, expired_before, AlarmPlan, Decision, WindowState,
};
use crate::store::{bucket_log, tokens};
use crate::usage::answers::{self, PublicQuery};
use crate::usage::cache::TimedCache;
use crate::usage::shapes::Answer;

/// `last_used_at` is written at most this often per token.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

#[durable_object]
pub struct RateLimiter {
    state: State,
    env: Env,
    answers: RefCell<TimedCache<Answer>>,
    /// Bumped by every invalidation and revocation: an answer computed
    /// across a bump is not cached.
    generation: Cell<u64>,
    /// The token was found active in D1 (by an answer or a token check)
    /// this recently (epoch ms); cleared with the answers.
    token_seen_ms: Cell<Option<(i64, i64)>>,
    /// Read from storage once per object lifetime.
    revoked: Cell<Option<bool>>,
    /// When this object last recorded the token's use (epoch ms).
    last_used_ms: Cell<Option<i64>>,
    schema_ready: Cell<bool>,
    alarm_armed: Cell<bool>,
    /// Rows in `hits`, counted once per object lifetime and then kept in
    /// step with every insert and delete (all of which happen here), so a
    /// large budget's log is never re-counted per request.
    logged: Cell<Option<i64>>,
}

impl DurableObject for RateLimiter {
    fn new(state: State, env: Env) -> Self {
        // A malformed setting makes every Worker request a 500 before it
        // gets here; should one arrive anyway, no cache is always correct.
        let answer_ttl_ms = Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))
            .map_or(0, |config| config.public_answer_cache_ms);
        Self {
            state,
            env,
            answers: RefCell::new(TimedCache::new(answer_ttl_ms)),
            generation: Cell::new(0),
            token_seen_ms: Cell::new(None),
            revoked: Cell::new(None),
            last_used_ms: Cell::new(None),
            schema_ready: Cell::new(false),
            alarm_armed: Cell::new(false),
            logged: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let url = req.url()?;
        match url.path() {
            ops::PUBLIC => {
                let ask: PublicAsk = req.json().await?;
                let mut d1_statements = 0;
                let outcome = match self.public(&ask, &mut d1_statements).await {
                    Ok(outcome) => outcome,
                    Err(e) => return Response::error(format!("public answer failed: {e}"), 500),
                };
                if matches!(
                    outcome,
                    PublicOutcome::Answered { .. } | PublicOutcome::Charged { .. }
                ) {
                    self.arm_alarm(ask.window_secs * 1000).await?;
                }
                let (name, decision, body) = outcome.to_parts();
                let headers = Headers::new();
                headers.set(OUTCOME_HEADER, name)?;
                headers.set(D1_STATEMENTS_HEADER, &d1_statements.to_string())?;
                if let Some(decision) = decision {
                    headers.set(DECISION_HEADER, &decision)?;
                }
                Ok(Response::ok(body)?.with_headers(headers))
            }
            ops::INVALIDATE => {
                self.forget();
                Ok(Response::empty()?.with_status(204))
            }
            ops::REVOKE => {
                self.forget();
                self.ensure_schema()?;
                bucket_log::mark_revoked(&self.sql(), clock::now().timestamp_millis())?;
                self.revoked.set(Some(true));
                Ok(Response::empty()?.with_status(204))
            }
            ops::RELEASE => {
                self.release()?;
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
                let record = op == "/hit";
                let decision = self.decide(limit as u32, window_secs * 1000, record)?;
                if record && decision.allowed {
                    self.arm_alarm(window_secs * 1000).await?;
                }
                Response::from_json(&decision)
            }
            _ => Response::error("unknown operation", 404),
        }
    }

    /// The log's idle check: deletes the object's storage once the log is
    /// empty, or wakes again when it will be.
    async fn alarm(&self) -> Result<Response> {
        self.alarm_armed.set(false);
        let sql = self.sql();
        let window_ms = bucket_log::window(&sql)?;
        let newest = match window_ms {
            Some(_) => bucket_log::newest(&sql)?,
            None => None,
        };
        let now_ms = clock::now().timestamp_millis();
        match alarm_plan(newest, now_ms, window_ms.unwrap_or(0)) {
            AlarmPlan::DeleteStorage => {
                self.state.storage().delete_all().await?;
                self.schema_ready.set(false);
                self.logged.set(None);
                self.revoked.set(None);
            }
            AlarmPlan::WakeAt(at_ms) => {
                self.state.storage().set_alarm(at_ms - now_ms).await?;
                self.alarm_armed.set(true);
            }
        }
        Response::empty()
    }
}

impl RateLimiter {
    /// Creates the tables on first use, so an object asked only about an
    /// unknown token stores nothing.
    fn ensure_schema(&self) -> Result<()> {
        if !self.schema_ready.get() {
            bucket_log::create(&self.sql())?;
            self.schema_ready.set(true);
        }
        Ok(())
    }

    /// Read, decide and write with no await in between: the object handles
    /// one such step at a time, so concurrent requests cannot both take the
    /// last slot.
    fn decide(&self, limit: u32, window_ms: i64, record: bool) -> Result<Decision> {
        self.ensure_schema()?;
        let sql = self.sql();
        let now_ms = clock::now().timestamp_millis();
        let expired = bucket_log::expire(&sql, expired_before(now_ms, window_ms))?;
        let count = match self.logged.get() {
            Some(count) => count - expired,
            None => bucket_log::count(&sql)?,
        };
        let oldest = bucket_log::oldest(&sql)?;
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
            bucket_log::log(&sql, now_ms)?;
        }
        self.logged.set(Some(count + i64::from(recorded)));
        Ok(decision)
    }

    /// Gives back the newest logged request.
    fn release(&self) -> Result<()> {
        self.ensure_schema()?;
        let released = bucket_log::release_newest(&self.sql())?;
        if let Some(count) = self.logged.get() {
            self.logged.set(Some(count - released));
        }
        Ok(())
    }

    /// Arms the idle check once per object lifetime (the alarm re-arms
    /// itself while the log has entries); remembers the window for it.
    async fn arm_alarm(&self, window_ms: i64) -> Result<()> {
        if self.alarm_armed.get() {
            return Ok(());
        }
        self.ensure_schema()?;
        bucket_log::set_window(&self.sql(), window_ms)?;
        self.alarm_armed.set(true);
        if self.state.storage().get_alarm().await?.is_none() {
            self.state.storage().set_alarm(window_ms).await?;
        }
        Ok(())
    }

    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    fn forget(&self) {
        self.answers.borrow_mut().clear();
        self.token_seen_ms.set(None);
        self.generation.set(self.generation.get().wrapping_add(1));
    }

    fn is_revoked(&self) -> Result<bool> {
        if let Some(revoked) = self.revoked.get() {
            return Ok(revoked);
        }
        let revoked = bucket_log::is_revoked(&self.sql())?;
        self.revoked.set(Some(revoked));
        Ok(revoked)
    }

    async fn public(
        &self,
        ask: &PublicAsk,
        d1_statements: &mut u32,
    ) -> std::result::Result<PublicOutcome, AppError> {
        let window_ms = ask.window_secs * 1000;
        if self.is_revoked().map_err(AppError::internal)? {
            return Ok(PublicOutcome::Invalid);
        }
        // Decide first: a refused request costs no D1 statement. (Only valid
        // tokens are ever charged, so a full log means a known token.)
        let peek = self
            .decide(ask.limit, window_ms, false)
            .map_err(AppError::internal)?;
        if !peek.allowed {
            return Ok(PublicOutcome::Limited { decision: peek });
        }
        let found = match &ask.query {
            Some(query) => self.answer(ask, query, d1_statements).await?,
            None => self.check_token(ask, d1_statements).await?,
        };
        let Some((token_id, body)) = found else {
            return Ok(PublicOutcome::Invalid);
        };
        let decision = self
            .decide(ask.limit, window_ms, true)
            .map_err(AppError::internal)?;
        if !decision.allowed {
            return Ok(PublicOutcome::Limited { decision });
        }
        self.record_use(token_id);
        Ok(match body {
            Some(body) => PublicOutcome::Answered { decision, body },
            None => PublicOutcome::Charged { decision },
        })
    }

    /// The answer to the question, from memory or one D1 statement; `None`
    /// when the token is not (or no longer) valid. A revocation or a change
    /// that arrived while D1 answered wins: the answer is not kept.
    async fn answer(
        &self,
        ask: &PublicAsk,
        query: &PublicQuery,
        d1_statements: &mut u32,
    ) -> std::result::Result<Option<(i64, Option<String>)>, AppError> {
        let generation = self.generation.get();
        let now_ms = clock::now().timestamp_millis();
        let key = query.cache_key();
        let cached = self.answers.borrow().get(&key, now_ms);
        if let Some(answer) = cached {
            return Ok(Some((answer.token_id, Some(answer.body))));
        }
        let db = self.env.d1("DB").map_err(AppError::internal)?;
        *d1_statements += 1;
        let Some(answer) = answers::answer(&db, &ask.token_hash, query).await? else {
            return Ok(None);
        };
        if self.generation.get() != generation {
            if self.is_revoked().map_err(AppError::internal)? {
                return Ok(None);
            }
        } else {
            self.remember_last_used(&answer);
            let stored_at = clock::now().timestamp_millis();
            self.answers
                .borrow_mut()
                .put(key, answer.clone(), stored_at);
            self.token_seen_ms.set(Some((answer.token_id, now_ms)));
        }
        Ok(Some((answer.token_id, Some(answer.body))))
    }

    /// A request without a question (invalid parameters): only whether the
    /// token is valid, from memory or one D1 statement.
    async fn check_token(
        &self,
        ask: &PublicAsk,
        d1_statements: &mut u32,
    ) -> std::result::Result<Option<(i64, Option<String>)>, AppError> {
        let generation = self.generation.get();
        let now_ms = clock::now().timestamp_millis();
        if let Some((id, seen)) = self.token_seen_ms.get() {
            if now_ms - seen < self.answers.borrow().ttl_ms() {
                return Ok(Some((id, None)));
            }
        }
        let db = self.env.d1("DB").map_err(AppError::internal)?;
        *d1_statements += 1;
        let Some(id) = tokens::active_id(&db, &ask.token_hash).await? else {
            return Ok(None);
        };
        if self.generation.get() != generation && self.is_revoked().map_err(AppError::internal)? {
            return Ok(None);
        }
        self.token_seen_ms.set(Some((id, now_ms)));
        Ok(Some((id, None)))
    }

    fn remember_last_used(&self, answer: &Answer) {
        if self.last_used_ms.get().is_none() {
            let stored = answer
                .last_used_at
                .as_deref()
                .and_then(clock::parse_timestamp);
            self.last_used_ms.set(stored.map(|t| t.timestamp_millis()));
        }
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
