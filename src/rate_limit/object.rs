//! The `RATE_LIMITER` Durable Object: one instance per bucket (an API token's
//! hash, a client IP, a login email's hash), its log in SQLite storage so it
//! survives eviction and restarts.
//!
//! Protocol (internal, Worker to object): `POST https://rate-limiter/{hit|peek}
//! ?limit=N&window=SECONDS`, answered with a JSON [`Decision`].

use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use super::window::{decide, expired_before, Decision, WindowState};

#[durable_object]
pub struct RateLimiter {
    state: State,
}

#[derive(serde::Deserialize)]
struct Row {
    count: i64,
    oldest: Option<i64>,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(
            "CREATE TABLE IF NOT EXISTS hits (at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS hits_at ON hits (at);",
            None,
        ) {
            worker::console_error!("rate limiter schema: {e}");
        }
        Self { state }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        let url = req.url()?;
        let record = match url.path() {
            "/hit" => true,
            "/peek" => false,
            _ => return Response::error("unknown operation", 404),
        };
        let param = |name: &str| {
            url.query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<i64>().ok())
                .filter(|v| *v > 0)
        };
        let (Some(limit), Some(window_secs)) = (param("limit"), param("window")) else {
            return Response::error("limit and window are required", 400);
        };
        let decision = self.decide(limit as u32, window_secs * 1000, record)?;
        Response::from_json(&decision)
    }
}

impl RateLimiter {
    /// Read, decide and write with no await in between: the object handles
    /// one such step at a time, so concurrent requests cannot both take the
    /// last slot.
    fn decide(&self, limit: u32, window_ms: i64, record: bool) -> Result<Decision> {
        let sql = self.state.storage().sql();
        let now_ms = worker::Date::now().as_millis() as i64;
        sql.exec(
            "DELETE FROM hits WHERE at <= ?",
            vec![expired_before(now_ms, window_ms).into()],
        )?;
        let row: Row = sql
            .exec(
                "SELECT COUNT(*) AS count, MIN(at) AS oldest FROM hits",
                None,
            )?
            .one()?;
        let decision = decide(
            WindowState {
                count: row.count as u32,
                oldest_ms: row.oldest,
            },
            now_ms,
            window_ms,
            limit,
            record,
        );
        if decision.allowed && record {
            sql.exec("INSERT INTO hits (at) VALUES (?)", vec![now_ms.into()])?;
        }
        Ok(decision)
    }
}
