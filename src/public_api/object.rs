//! The `PUBLIC_TOKENS` Durable Object: one per API token (named by the
//! token's SHA-256, never the token), which keeps the token's bucket
//! ([`BucketLog`]) and answers for it. It decides first (a refused request
//! never reaches D1), then checks the token and answers, from memory for
//! `PUBLIC_ANSWER_CACHE_MS` (default
//! [`ANSWER_TTL_MS`](crate::config::ANSWER_TTL_MS); 0: never) or with one
//! D1 statement.
//! Every product write that changes what the token can see clears that
//! memory ([`TokenAsk::Invalidate`]); a revocation ([`TokenAsk::Revoke`]) is
//! remembered in storage and refuses the token without asking D1. Both bump
//! a generation, so an answer computed while they happened is served to its
//! own request at most, never kept. Each answer carries what the token's row
//! granted (scopes, expiry), checked whenever it is served: an expired token
//! is refused like an unknown one, a call outside its scopes is charged and
//! refused (`Denied`).

use std::cell::{Cell, RefCell};

use chrono::Duration;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::wire::{PublicAsk, PublicOutcome, TokenAsk};
use crate::clock;
use crate::config::Config;
use crate::domain::scope::{Grant, Scope};
use crate::error::AppError;
use crate::rate_limit::log::BucketLog;
use crate::store::{bucket_log, tokens};
use crate::usage::answers::{self, PublicQuery};
use crate::usage::cache::TimedCache;
use crate::usage::shapes::Answer;

/// `last_used_at` is written at most this often per token.
const LAST_USED_RESOLUTION_MS: i64 = 60_000;

#[durable_object]
pub struct PublicToken {
    state: State,
    env: Env,
    log: BucketLog,
    answers: RefCell<TimedCache<Answer>>,
    /// Bumped by every invalidation and revocation: an answer computed
    /// across a bump is not cached.
    generation: Cell<u64>,
    /// What D1 granted the token when it was last found active (by an
    /// answer or a token check), and when (epoch ms); cleared with the
    /// answers.
    token_seen: RefCell<Option<(Grant, i64)>>,
    /// Read from storage once per object lifetime.
    revoked: Cell<Option<bool>>,
    /// When this object last recorded the token's use (epoch ms).
    last_used_ms: Cell<Option<i64>>,
}

impl DurableObject for PublicToken {
    fn new(state: State, env: Env) -> Self {
        // A malformed setting makes every Worker request a 500 before it
        // gets here; should one arrive anyway, no cache is always correct.
        let answer_ttl_ms = Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))
            .map_or(0, |config| config.public_answer_cache_ms);
        Self {
            state,
            env,
            log: BucketLog::default(),
            answers: RefCell::new(TimedCache::new(answer_ttl_ms)),
            generation: Cell::new(0),
            token_seen: RefCell::new(None),
            revoked: Cell::new(None),
            last_used_ms: Cell::new(None),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let Ok(ask) = req.json::<TokenAsk>().await else {
            return Response::error("not a token question", 400);
        };
        match ask {
            TokenAsk::Public(ask) => {
                let mut d1_statements = 0;
                let outcome = match self.public(&ask, &mut d1_statements).await {
                    Ok(outcome) => outcome,
                    Err(e) => return Response::error(format!("public answer failed: {e}"), 500),
                };
                if matches!(
                    outcome,
                    PublicOutcome::Answered { .. } | PublicOutcome::Charged { .. }
                ) {
                    let window_ms = ask.window_secs.saturating_mul(1000);
                    self.log.arm_alarm(&self.state, window_ms).await?;
                }
                Response::ok(outcome.encode(d1_statements))
            }
            TokenAsk::Invalidate => {
                self.forget();
                Ok(Response::empty()?.with_status(204))
            }
            TokenAsk::Revoke => {
                self.forget();
                let sql = self.state.storage().sql();
                self.log.ensure_schema(&sql)?;
                bucket_log::mark_revoked(&sql, clock::now().timestamp_millis())?;
                self.revoked.set(Some(true));
                Ok(Response::empty()?.with_status(204))
            }
        }
    }

    /// The bucket's idle check; the revocation mark goes with the storage
    /// (D1 still refuses the token).
    async fn alarm(&self) -> Result<Response> {
        if self.log.on_alarm(&self.state).await? {
            self.revoked.set(None);
        }
        Response::empty()
    }
}

/// Whether the token may be given what it asks (an unknown scope: no).
fn allows(grant: &Grant, ask: &PublicAsk) -> bool {
    Scope::parse(&ask.scope).is_some_and(|scope| grant.scopes.allows(scope))
}

impl PublicToken {
    fn decide(
        &self,
        limit: u32,
        window_ms: i64,
        record: bool,
    ) -> Result<crate::rate_limit::Decision> {
        self.log
            .decide(&self.state.storage().sql(), limit, window_ms, record)
    }

    fn forget(&self) {
        self.answers.borrow_mut().clear();
        *self.token_seen.borrow_mut() = None;
        self.generation.set(self.generation.get().wrapping_add(1));
    }

    fn is_revoked(&self) -> Result<bool> {
        if let Some(revoked) = self.revoked.get() {
            return Ok(revoked);
        }
        let revoked = bucket_log::is_revoked(&self.state.storage().sql())?;
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
        // Checked on every answer, fresh or cached: an expired token is
        // unknown, and the expiry is read anew, never cached past.
        let Some((grant, body)) = found.filter(|(grant, _)| !grant.is_expired(clock::now())) else {
            return Ok(PublicOutcome::Invalid);
        };
        let decision = self
            .decide(ask.limit, window_ms, true)
            .map_err(AppError::internal)?;
        if !decision.allowed {
            return Ok(PublicOutcome::Limited { decision });
        }
        if !allows(&grant, ask) {
            return Ok(PublicOutcome::Denied { decision });
        }
        self.record_use(grant.token_id);
        Ok(match body {
            Some(body) => PublicOutcome::Answered { decision, body },
            None => PublicOutcome::Charged { decision },
        })
    }

    /// The answer to the question, from memory or one D1 statement; `None`
    /// when the token is not (or no longer) valid. A revocation or a change
    /// that arrived while D1 answered wins: the answer is not kept. Only an
    /// answer the token may be given is kept; the cache is this token's
    /// alone (one object per token) and its scopes never change, yet the
    /// grant is checked again whenever an answer is served.
    async fn answer(
        &self,
        ask: &PublicAsk,
        query: &PublicQuery,
        d1_statements: &mut u32,
    ) -> std::result::Result<Option<(Grant, Option<String>)>, AppError> {
        let generation = self.generation.get();
        let now_ms = clock::now().timestamp_millis();
        let key = query.cache_key();
        let cached = self.answers.borrow().get(&key, now_ms);
        if let Some(answer) = cached {
            return Ok(Some((answer.grant, Some(answer.body))));
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
            self.remember_last_used(&answer.grant);
            *self.token_seen.borrow_mut() = Some((answer.grant.clone(), now_ms));
            if allows(&answer.grant, ask) {
                let stored_at = clock::now().timestamp_millis();
                self.answers
                    .borrow_mut()
                    .put(key, answer.clone(), stored_at);
            }
        }
        Ok(Some((answer.grant, Some(answer.body))))
    }

    /// A request without a question (invalid parameters): only whether the
    /// token is valid, from memory or one D1 statement.
    async fn check_token(
        &self,
        ask: &PublicAsk,
        d1_statements: &mut u32,
    ) -> std::result::Result<Option<(Grant, Option<String>)>, AppError> {
        let generation = self.generation.get();
        let now_ms = clock::now().timestamp_millis();
        if let Some((grant, seen)) = self.token_seen.borrow().as_ref() {
            if now_ms - seen < self.answers.borrow().ttl_ms() {
                return Ok(Some((grant.clone(), None)));
            }
        }
        let db = self.env.d1("DB").map_err(AppError::internal)?;
        *d1_statements += 1;
        let Some(grant) = tokens::active_grant(&db, &ask.token_hash).await? else {
            return Ok(None);
        };
        if self.generation.get() != generation && self.is_revoked().map_err(AppError::internal)? {
            return Ok(None);
        }
        *self.token_seen.borrow_mut() = Some((grant.clone(), now_ms));
        Ok(Some((grant, None)))
    }

    fn remember_last_used(&self, grant: &Grant) {
        if self.last_used_ms.get().is_none() {
            let stored = grant
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
