//! The `RATE_LIMITER` Durable Object: one instance per bucket (a client
//! network, a login email's hash, a key's manual sync...), its log in
//! SQLite storage so it survives eviction and restarts ([`BucketLog`]).
//! It speaks [`BucketAsk`] (JSON) and answers a [`Decision`] or 204.

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::log::BucketLog;
use super::BucketAsk;

#[durable_object]
pub struct RateLimiter {
    state: State,
    log: BucketLog,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        Self {
            state,
            log: BucketLog::default(),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let Ok(ask) = req.json::<BucketAsk>().await else {
            return Response::error("not a bucket question", 400);
        };
        let sql = self.state.storage().sql();
        match ask {
            BucketAsk::Hit { limit, window_secs } if limit == 0 || window_secs <= 0 => {
                Response::error("limit and window must be positive", 400)
            }
            BucketAsk::Hit { limit, window_secs } => {
                let window_ms = window_secs.saturating_mul(1000);
                let decision = self.log.decide(&sql, limit, window_ms, true)?;
                if decision.allowed {
                    self.log.arm_alarm(&self.state, window_ms).await?;
                }
                Response::from_json(&decision)
            }
            BucketAsk::Release => {
                self.log.release(&sql)?;
                Ok(Response::empty()?.with_status(204))
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        self.log.on_alarm(&self.state).await?;
        Response::empty()
    }
}
