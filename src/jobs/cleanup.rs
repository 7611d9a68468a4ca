//! Weekly cleanup (Sunday 03:00 UTC): usage past the retention period,
//! snapshots and job runs older than 90 days, expired session denylist rows.
//!
//! Deletes run in batches of [`BATCH`] rows, each its own statement, so no
//! single statement grows with the table; [`MAX_BATCHES`] per table bounds
//! one invocation, and whatever remains goes at the next run.

use chrono::Duration;

use crate::app::App;
use crate::clock;
use crate::domain::dates::format_day;
use crate::http::error::AppResult;
use crate::store::job_runs::RunOutcome;
use crate::store::{job_runs, sessions, snapshots, usage};

pub const BATCH: i64 = 5_000;
pub const MAX_BATCHES: usize = 100;
pub const OPERATIONAL_RETENTION_DAYS: i64 = 90;

pub async fn run(app: &App) -> AppResult<RunOutcome> {
    let db = app.db()?;
    let now = clock::now();
    let usage_before = now.date_naive() - Duration::days(app.config.usage_retention_days);
    let operational_before = clock::timestamp(now - Duration::days(OPERATIONAL_RETENTION_DAYS));
    let now_text = clock::timestamp(now);
    let mut deleted = 0usize;
    let mut exhausted = Vec::new();

    macro_rules! drain {
        ($label:expr, $delete:expr) => {{
            let mut batches = 0;
            loop {
                let removed = $delete.await?;
                deleted += removed;
                batches += 1;
                if (removed as i64) < BATCH {
                    break;
                }
                if batches == MAX_BATCHES {
                    exhausted.push($label);
                    break;
                }
            }
        }};
    }
    // Usage first, by hand: what `/api/v1` shows changes for its owners.
    let mut owners = std::collections::BTreeSet::new();
    for batch in 1..=MAX_BATCHES {
        let removed = usage::delete_older_than(&db, usage_before, BATCH).await?;
        deleted += removed.len();
        let done = (removed.len() as i64) < BATCH;
        owners.extend(removed);
        if done {
            break;
        }
        if batch == MAX_BATCHES {
            exhausted.push("usage_stats");
        }
    }
    for user_id in owners {
        crate::usage::public::forget_answers(app, user_id).await;
    }
    drain!(
        "key_snapshots",
        snapshots::delete_older_than(&db, &operational_before, BATCH)
    );
    drain!(
        "job_runs",
        job_runs::delete_older_than(&db, &operational_before, BATCH)
    );
    drain!(
        "revoked_sessions",
        sessions::delete_expired(&db, &now_text, BATCH)
    );

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
