//! Weekly cleanup (Sunday 03:00 UTC): usage past the retention period,
//! snapshots, job runs and alert events (with their webhook deliveries)
//! older than 90 days, audit log entries older than a year, expired session
//! denylist rows, API tokens expired for more than 30 days.
//!
//! Deletes run in batches of [`BATCH`] rows, each its own statement, so no
//! single statement grows with the table; [`MAX_BATCHES`] per table bounds
//! one invocation, and whatever remains goes at the next run.

use chrono::{Duration, NaiveDate};
use worker::D1Database;

use crate::app::App;
use crate::changes::Changes;
use crate::clock;
use crate::domain::dates::format_day;
use crate::domain::scope;
use crate::error::{AppError, AppResult};
use crate::store::job_runs::RunOutcome;
use crate::store::{alerts, audit_log, job_runs, sessions, snapshots, tokens, usage};

pub const BATCH: i64 = 5_000;
pub const MAX_BATCHES: usize = 100;
pub const OPERATIONAL_RETENTION_DAYS: i64 = 90;
/// How long the audit log keeps an entry (README: "Audit log").
pub const AUDIT_RETENTION_DAYS: i64 = 365;

pub async fn run(app: &App, changes: &Changes) -> AppResult<RunOutcome> {
    let db = app.db()?;
    let now = clock::now();
    let usage_before = now.date_naive() - Duration::days(app.config.usage_retention_days);
    let operational_before = clock::timestamp(now - Duration::days(OPERATIONAL_RETENTION_DAYS));
    let audit_before = clock::timestamp(now - Duration::days(AUDIT_RETENTION_DAYS));
    let now_text = clock::timestamp(now);
    // An expired token is listed as such for a while, so its owner sees
    // why their integration stopped, then goes.
    let tokens_before = scope::purge_before(now)
        .map(clock::timestamp)
        .ok_or_else(|| AppError::internal("the calendar cannot go back 30 days"))?;
    let drained = [
        (
            "usage_stats",
            drain_usage(&db, usage_before, changes).await?,
        ),
        (
            "key_snapshots",
            drain(|| snapshots::delete_older_than(&db, &operational_before, BATCH)).await?,
        ),
        (
            "job_runs",
            drain(|| job_runs::delete_older_than(&db, &operational_before, BATCH)).await?,
        ),
        (
            "alert_events",
            drain(|| alerts::delete_events_older_than(&db, &operational_before, BATCH)).await?,
        ),
        (
            "audit_log",
            drain(|| audit_log::delete_older_than(&db, &audit_before, BATCH)).await?,
        ),
        (
            "revoked_sessions",
            drain(|| sessions::delete_expired(&db, &now_text, BATCH)).await?,
        ),
        (
            "api_tokens",
            drain(|| tokens::delete_expired_before(&db, &tokens_before, BATCH)).await?,
        ),
    ];
    let deleted: usize = drained.iter().map(|(_, (rows, _))| rows).sum();
    let exhausted: Vec<&str> = drained
        .iter()
        .filter(|(_, (_, more))| *more)
        .map(|(table, _)| *table)
        .collect();
    worker::console_log!(
        "cleanup: deleted {deleted} rows (usage before {})",
        format_day(usage_before)
    );
    Ok(RunOutcome {
        rows_deleted: deleted as i64,
        error: (!exhausted.is_empty())
            .then(|| format!("more rows remain in: {}", exhausted.join(", "))),
        ..RunOutcome::default()
    })
}

/// Deletes batch after batch until one is short or [`MAX_BATCHES`] ran:
/// (rows deleted, whether rows may remain).
async fn drain<F, Fut>(mut delete_batch: F) -> AppResult<(usize, bool)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = AppResult<usize>>,
{
    let mut deleted = 0;
    for _ in 0..MAX_BATCHES {
        let removed = delete_batch().await?;
        deleted += removed;
        if (removed as i64) < BATCH {
            return Ok((deleted, false));
        }
    }
    Ok((deleted, true))
}

/// Like [`drain`], for usage: what `/api/v1` shows changes for its owners.
async fn drain_usage(
    db: &D1Database,
    before: NaiveDate,
    changes: &Changes,
) -> AppResult<(usize, bool)> {
    let mut deleted = 0;
    for _ in 0..MAX_BATCHES {
        let owners = usage::delete_older_than(db, before, BATCH).await?;
        deleted += owners.len();
        let short = (owners.len() as i64) < BATCH;
        changes.orgs(owners);
        if short {
            return Ok((deleted, false));
        }
    }
    Ok((deleted, true))
}
