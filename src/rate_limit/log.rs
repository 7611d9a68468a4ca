//! A bucket's sliding-window log, kept in its Durable Object's SQLite
//! storage: what both objects that hold a bucket (a plain bucket,
//! [`super::object::RateLimiter`], and an API token's,
//! `public_api::object::PublicToken`) share.
//!
//! Every step reads, decides and writes with no await in between: an object
//! handles one such step at a time, so concurrent requests cannot both take
//! the last slot. An alarm deletes the storage once the log is empty, so an
//! abandoned bucket costs nothing.

use std::cell::Cell;

use worker::{Result, SqlStorage, State};

use super::window::{alarm_plan, decide, expired_before, AlarmPlan, Decision, WindowState};
use crate::clock;
use crate::store::bucket_log;

#[derive(Default)]
pub struct BucketLog {
    schema_ready: Cell<bool>,
    alarm_armed: Cell<bool>,
    /// Rows in `hits`, counted once per object lifetime and then kept in
    /// step with every insert and delete (all of which happen here), so a
    /// large budget's log is never re-counted per request.
    logged: Cell<Option<i64>>,
    /// The oldest row of `hits` (`Some(None)`: none), kept the same way:
    /// while it is inside the window nothing can have expired, and a
    /// decision needs no statement but the insert of the request it counts.
    oldest: Cell<Option<Option<i64>>>,
}

impl BucketLog {
    /// Creates the tables on first use, so an object that never logs
    /// anything stores nothing.
    pub fn ensure_schema(&self, sql: &SqlStorage) -> Result<()> {
        if !self.schema_ready.get() {
            bucket_log::create(sql)?;
            self.schema_ready.set(true);
        }
        Ok(())
    }

    /// Whether one more request fits in the window; `record`: count it if
    /// it does.
    pub fn decide(
        &self,
        sql: &SqlStorage,
        limit: u32,
        window_ms: i64,
        record: bool,
    ) -> Result<Decision> {
        self.ensure_schema(sql)?;
        let now_ms = clock::now().timestamp_millis();
        let cutoff = expired_before(now_ms, window_ms);
        let known_oldest = self.oldest.get();
        let may_expire = match known_oldest {
            Some(Some(oldest)) => oldest <= cutoff,
            Some(None) => false,
            None => true,
        };
        let expired = if may_expire {
            bucket_log::expire(sql, cutoff)?
        } else {
            0
        };
        let count = match self.logged.get() {
            Some(count) => count - expired,
            None => bucket_log::count(sql)?,
        };
        let oldest = match known_oldest {
            Some(oldest) if !may_expire => oldest,
            _ => bucket_log::oldest(sql)?,
        };
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
            bucket_log::log(sql, now_ms)?;
        }
        self.logged.set(Some(count + i64::from(recorded)));
        self.oldest.set(Some(oldest.or(recorded.then_some(now_ms))));
        Ok(decision)
    }

    /// Gives back the newest logged request.
    pub fn release(&self, sql: &SqlStorage) -> Result<()> {
        self.ensure_schema(sql)?;
        let released = bucket_log::release_newest(sql)?;
        if let Some(count) = self.logged.get() {
            self.logged.set(Some(count - released));
        }
        // The newest may have been the only one: read the oldest again.
        self.oldest.set(None);
        Ok(())
    }

    /// Arms the idle check once per object lifetime (the alarm re-arms
    /// itself while the log has entries); remembers the window for it.
    pub async fn arm_alarm(&self, state: &State, window_ms: i64) -> Result<()> {
        if self.alarm_armed.get() {
            return Ok(());
        }
        let sql = state.storage().sql();
        self.ensure_schema(&sql)?;
        bucket_log::set_window(&sql, window_ms)?;
        self.alarm_armed.set(true);
        if state.storage().get_alarm().await?.is_none() {
            state.storage().set_alarm(window_ms).await?;
        }
        Ok(())
    }

    /// The idle check: deletes the object's storage once the log is empty
    /// (true), or wakes again when it will be.
    pub async fn on_alarm(&self, state: &State) -> Result<bool> {
        self.alarm_armed.set(false);
        let sql = state.storage().sql();
        let window_ms = bucket_log::window(&sql)?;
        let newest = match window_ms {
            Some(_) => bucket_log::newest(&sql)?,
            None => None,
        };
        let now_ms = clock::now().timestamp_millis();
        match alarm_plan(newest, now_ms, window_ms.unwrap_or(0)) {
            AlarmPlan::DeleteStorage => {
                state.storage().delete_all().await?;
                self.schema_ready.set(false);
                self.logged.set(None);
                self.oldest.set(None);
                Ok(true)
            }
            AlarmPlan::WakeAt(at_ms) => {
                state.storage().set_alarm(at_ms - now_ms).await?;
                self.alarm_armed.set(true);
                Ok(false)
            }
        }
    }
}
