//! Cron jobs: the scheduled handler dispatches on the cron string (SPEC §2)
//! and records every run in `job_runs`, whatever happens.

pub mod arithmetic;
pub mod cleanup;
pub mod sync;
pub mod validate;

use std::cell::Cell;

use chrono::Duration;
use worker::{D1Database, Env};

use crate::app::App;
use crate::clock;
use crate::store::job_runs::{self, RunOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Sync,
    Validate,
    Cleanup,
}

impl Job {
    /// The cron strings of `wrangler.toml`'s `[triggers]`.
    pub fn for_cron(cron: &str) -> Option<Job> {
        match cron
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .as_str()
        {
            "0 * * * *" => Some(Job::Sync),
            "0 2 * * *" => Some(Job::Validate),
            "0 3 * * 0" | "0 3 * * SUN" => Some(Job::Cleanup),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Job::Sync => "usage_sync",
            Job::Validate => "key_validation",
            Job::Cleanup => "cleanup",
        }
    }
}

pub async fn run_scheduled(cron: &str, env: Env) {
    let job = Job::for_cron(cron);
    let name = job.map_or("unknown", Job::name);
    let app = match App::new(env) {
        Ok(app) => app,
        Err(e) => {
            worker::console_error!("job {name} ({cron}) cannot start: {e}");
            return;
        }
    };
    let db = match app.db() {
        Ok(db) => db,
        Err(e) => {
            worker::console_error!("job {name} ({cron}) cannot start: {e}");
            return;
        }
    };
    let started = clock::now();
    // Runs killed mid-way (no heartbeat for the timeout) are closed first.
    let stale_before =
        clock::timestamp(started - Duration::seconds(app.config.job_heartbeat_timeout_secs));
    match job_runs::close_interrupted(&db, &stale_before, &clock::timestamp(started)).await {
        Ok(0) => {}
        Ok(n) => worker::console_warn!("job {name}: closed {n} interrupted run(s)"),
        Err(e) => worker::console_error!("job {name}: cannot close interrupted runs: {e}"),
    }
    let run_id = match job_runs::start(&db, name, cron, &clock::timestamp(started)).await {
        Ok(Some(id)) => Some(id),
        Ok(None) | Err(_) => {
            worker::console_error!("job {name}: cannot record its start");
            None
        }
    };
    let heartbeat = Heartbeat::new(
        &db,
        run_id,
        app.config.job_heartbeat_timeout_secs * 1000 / 4,
    );
    let outcome = match job {
        Some(Job::Sync) => sync::run(&app, &heartbeat).await,
        Some(Job::Validate) => validate::run(&app).await,
        Some(Job::Cleanup) => cleanup::run(&app).await,
        None => {
            worker::console_error!("unknown cron expression {cron:?}: no job runs");
            Ok(RunOutcome {
                error: Some(format!("unknown cron expression {cron:?}")),
                ..RunOutcome::default()
            })
        }
    };
    let outcome = outcome.unwrap_or_else(|e| {
        worker::console_error!("job {name} failed: {e}");
        RunOutcome {
            error: Some(e.to_string()),
            ..RunOutcome::default()
        }
    });
    worker::console_log!(
        "job {name}: {} (ok {}, failed {}, deferred {}, written {}, deleted {}, subrequests {})",
        outcome.status(),
        outcome.keys_ok,
        outcome.keys_failed,
        outcome.keys_deferred,
        outcome.rows_written,
        outcome.rows_deleted,
        outcome.subrequests
    );
    let finished = clock::now();
    if let Some(id) = run_id {
        let duration_ms = (finished - started).num_milliseconds();
        if let Err(e) =
            job_runs::finish(&db, id, &outcome, &clock::timestamp(finished), duration_ms).await
        {
            worker::console_error!("job {name}: cannot record its end: {e}");
        }
    }
}

/// Tells `job_runs` a run is alive, at most once per interval (a quarter
/// of the timeout after which the run counts as interrupted).
pub struct Heartbeat<'a> {
    db: &'a D1Database,
    run_id: Option<i64>,
    interval_ms: i64,
    last_ms: Cell<i64>,
}

impl<'a> Heartbeat<'a> {
    pub fn new(db: &'a D1Database, run_id: Option<i64>, interval_ms: i64) -> Self {
        Self {
            db,
            run_id,
            interval_ms,
            last_ms: Cell::new(clock::now().timestamp_millis()),
        }
    }

    pub async fn beat(&self) {
        let Some(id) = self.run_id else { return };
        let now = clock::now();
        if !due(self.last_ms.get(), now.timestamp_millis(), self.interval_ms) {
            return;
        }
        self.last_ms.set(now.timestamp_millis());
        if let Err(e) = job_runs::heartbeat(self.db, id, &clock::timestamp(now)).await {
            worker::console_error!("job run {id}: heartbeat failed: {e}");
        }
    }
}

fn due(last_ms: i64, now_ms: i64, interval_ms: i64) -> bool {
    now_ms - last_ms >= interval_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heartbeat_is_due_once_per_interval() {
        assert!(!due(1_000, 1_999, 1_000));
        assert!(due(1_000, 2_000, 1_000));
    }

    #[test]
    fn dispatches_the_three_crons() {
        assert_eq!(Job::for_cron("0 * * * *"), Some(Job::Sync));
        assert_eq!(Job::for_cron("0 2 * * *"), Some(Job::Validate));
        assert_eq!(Job::for_cron("0 3 * * 0"), Some(Job::Cleanup));
        assert_eq!(Job::for_cron(" 0  3 * * 0 "), Some(Job::Cleanup));
        assert_eq!(Job::for_cron("*/5 * * * *"), None);
        assert_eq!(Job::for_cron(""), None);
    }
}
