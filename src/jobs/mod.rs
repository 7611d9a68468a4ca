//! Cron jobs: the scheduled handler dispatches on the cron string
//! and records every run in `job_runs`, whatever happens.

pub use watcher_core::jobs::arithmetic;
pub mod cleanup;
pub use watcher_core::jobs::fanout;
pub mod listing;
pub mod plan;
pub mod queue;
pub mod sync;
pub mod validate;

use std::cell::Cell;

use chrono::{DateTime, Duration, Utc};
use worker::{D1Database, Env};

use crate::app::App;
use crate::changes::{Changes, Forget};
use crate::clock;
use crate::store::job_runs::{self, RunOutcome};
use crate::store::sync_batches;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    Sync,
    Validate,
    Cleanup,
    /// Weekly and monthly digests (`digest::job`), half an hour after the
    /// sync so a period's last hours are in.
    Digest,
}

impl Job {
    pub const ALL: [Job; 4] = [Job::Sync, Job::Validate, Job::Cleanup, Job::Digest];

    /// Its trigger in `wrangler.toml`'s `[triggers] crons` (a test keeps the
    /// two equal).
    pub fn cron(self) -> &'static str {
        match self {
            Job::Sync => "0 * * * *",
            Job::Validate => "0 2 * * *",
            Job::Cleanup => "0 3 * * 0",
            Job::Digest => "30 * * * *",
        }
    }

    /// The job a cron string names (whitespace-insensitive; Sunday may be
    /// written `SUN`).
    pub fn for_cron(cron: &str) -> Option<Job> {
        let normalised = cron
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace(" SUN", " 0");
        Job::ALL.into_iter().find(|job| job.cron() == normalised)
    }

    pub fn name(self) -> &'static str {
        match self {
            Job::Sync => "usage_sync",
            Job::Validate => "key_validation",
            Job::Cleanup => "cleanup",
            Job::Digest => "digests",
        }
    }
}

/// `forget` clears a user's public answers after the job's writes.
pub async fn run_scheduled(cron: &str, env: Env, forget: Forget) {
    let job = Job::for_cron(cron);
    let name = job.map_or("unknown", Job::name);
    let (app, db) = match App::new(env).and_then(|app| app.db().map(|db| (app, db))) {
        Ok(ready) => ready,
        Err(e) => {
            worker::console_error!("job {name} ({cron}) cannot start: {e}");
            return;
        }
    };
    let started = clock::now();
    let run_id = open_run(&app, &db, name, cron, started).await;
    let changes = Changes::new(forget);
    let outcome = match job {
        // Planned into queue batches: the run stays `enqueued` until its
        // last batch reports (`jobs::queue`), unless there is nothing to do.
        Some(Job::Sync) => match plan::plan(&app, run_id).await {
            Ok(None) => return,
            Ok(Some(outcome)) => Ok(outcome),
            Err(e) => Err(e),
        },
        Some(Job::Validate) => validate::run(&app).await,
        Some(Job::Cleanup) => cleanup::run(&app, &changes).await,
        Some(Job::Digest) => crate::digest::job::run(&app).await,
        None => Ok(RunOutcome {
            error: Some(format!("unknown cron expression {cron:?}")),
            ..RunOutcome::default()
        }),
    };
    changes.publish(&app).await;
    let outcome = outcome.unwrap_or_else(|e| RunOutcome {
        error: Some(e.to_string()),
        ..RunOutcome::default()
    });
    close_run(&db, name, run_id, &outcome, started).await;
}

/// Closes runs killed mid-way (no heartbeat for the timeout), then records
/// this one's start; `None` when it cannot be recorded (the job runs anyway).
async fn open_run(
    app: &App,
    db: &D1Database,
    name: &str,
    cron: &str,
    started: DateTime<Utc>,
) -> Option<i64> {
    let now = clock::timestamp(started);
    let stale_before =
        clock::timestamp(started - Duration::seconds(app.config.job_heartbeat_timeout_secs));
    match job_runs::close_interrupted(db, &stale_before, &now).await {
        Ok(0) => {}
        Ok(n) => worker::console_warn!("job {name}: closed {n} interrupted run(s)"),
        Err(e) => worker::console_error!("job {name}: cannot close interrupted runs: {e}"),
    }
    let stalled_before =
        clock::timestamp(started - Duration::seconds(app.config.sync_stall_timeout_secs));
    match sync_batches::close_stalled_runs(db, &stalled_before, &now).await {
        Ok(0) => {}
        Ok(n) => worker::console_warn!("job {name}: closed {n} stalled queued run(s)"),
        Err(e) => worker::console_error!("job {name}: cannot close stalled queued runs: {e}"),
    }
    match job_runs::start(db, name, cron, &now).await {
        Ok(Some(id)) => Some(id),
        Ok(None) | Err(_) => {
            worker::console_error!("job {name}: cannot record its start");
            None
        }
    }
}

async fn close_run(
    db: &D1Database,
    name: &str,
    run_id: Option<i64>,
    outcome: &RunOutcome,
    started: DateTime<Utc>,
) {
    if let Some(error) = &outcome.error {
        worker::console_error!("job {name}: {error}");
    }
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
    let Some(id) = run_id else { return };
    let finished = clock::now();
    let duration_ms = (finished - started).num_milliseconds();
    if let Err(e) =
        job_runs::finish(db, id, outcome, &clock::timestamp(finished), duration_ms).await
    {
        worker::console_error!("job {name}: cannot record its end: {e}");
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
    fn the_crons_are_those_of_wrangler_toml() {
        let toml = include_str!("../../wrangler.toml");
        let line = toml
            .lines()
            .find(|l| l.trim_start().starts_with("crons"))
            .expect("a crons line in wrangler.toml");
        let declared: Vec<&str> = line.split('"').skip(1).step_by(2).collect();
        let ours: Vec<&str> = Job::ALL.iter().map(|j| j.cron()).collect();
        assert_eq!(declared, ours);
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
