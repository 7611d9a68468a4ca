//! The hourly run's plan: the keys to sync, cut into queue batches by
//! `jobs::fanout` (an account's keys read through one management key's
//! listing kept together), one `SYNC_QUEUE` message each; and what the
//! keys of a batch (or of the daily validation) add up to.

use super::sync::KeyResult;
use crate::app::App;
use crate::clock;
use crate::error::{AppError, AppResult};
use crate::store::api_keys;
use crate::store::job_runs::RunOutcome;
use crate::store::sync_batches;

/// Keys looked at per run; far above what one run's budget can serve.
const QUEUE_LIMIT: i64 = 100_000;

/// The hourly run's plan: the keys to sync, oldest-synced first, dealt
/// across accounts into batches of `SYNC_BATCH_SIZE`, one `SYNC_QUEUE`
/// message each (see `jobs::queue` for their consumers). The run stays
/// `enqueued` until its last batch reports; `Some` closes it now (nothing
/// to sync, or nothing could be sent).
pub async fn plan(app: &App, run_id: Option<i64>) -> AppResult<Option<RunOutcome>> {
    let Some(run_id) = run_id else {
        return Err(AppError::internal("a queued sync needs its run recorded"));
    };
    let db = app.db()?;
    let queue = app.sync_queue()?;
    let targets = api_keys::sync_plan(&db, QUEUE_LIMIT).await?;
    if targets.is_empty() {
        return Ok(Some(RunOutcome::default()));
    }
    let batches = super::fanout::batches(&targets, app.config.sync_batch_size);
    sync_batches::plan(&db, run_id, &batches, &clock::timestamp(clock::now())).await?;
    let messages: Vec<super::fanout::BatchMessage> = (0..batches.len() as i64)
        .map(|batch| super::fanout::BatchMessage { run_id, batch })
        .collect();
    // The platform takes at most 100 messages per send.
    for (i, chunk) in messages.chunks(100).enumerate() {
        if let Err(e) = queue.send_batch(chunk.to_vec()).await {
            // The unsent batches will never report: the run is closed by the
            // next one as stalled, and their keys are first in its plan.
            worker::console_error!("sync run {run_id}: sending batches from {}: {e}", i * 100);
            return Err(AppError::Unavailable(format!(
                "SYNC_QUEUE refused the batches: {e}"
            )));
        }
    }
    Ok(None)
}

/// What a run's key results add up to, `notes` (what the run says besides
/// its keys' errors, e.g. a listing that failed) after the errors.
pub fn summarise(results: &[KeyResult], subrequests: u32, notes: Vec<String>) -> RunOutcome {
    let mut outcome = RunOutcome {
        subrequests: i64::from(subrequests),
        ..RunOutcome::default()
    };
    let mut errors = Vec::new();
    for result in results {
        match result {
            KeyResult::Synced { rows } => {
                outcome.keys_ok += 1;
                outcome.rows_written += *rows as i64;
            }
            KeyResult::Failed { error } => {
                outcome.keys_failed += 1;
                errors.push(error.clone());
            }
            KeyResult::Deferred | KeyResult::RateLimited { .. } => outcome.keys_deferred += 1,
        }
    }
    errors.sort();
    errors.dedup();
    errors.truncate(5);
    errors.extend(notes);
    if !errors.is_empty() {
        outcome.error = Some(errors.join("; "));
    }
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_count_each_outcome() {
        let results = [
            KeyResult::Synced { rows: 3 },
            KeyResult::Synced { rows: 0 },
            KeyResult::Failed {
                error: "key 9: boom".into(),
            },
            KeyResult::Deferred,
        ];
        let outcome = summarise(&results, 12, Vec::new());
        assert_eq!(
            (outcome.keys_ok, outcome.keys_failed, outcome.keys_deferred),
            (2, 1, 1)
        );
        assert_eq!(outcome.rows_written, 3);
        assert_eq!(outcome.subrequests, 12);
        assert_eq!(outcome.error.as_deref(), Some("key 9: boom"));
        assert_eq!(outcome.status(), "partial");
        assert_eq!(
            summarise(&[KeyResult::Synced { rows: 1 }], 1, Vec::new()).status(),
            "ok"
        );
        assert_eq!(
            summarise(&[KeyResult::Failed { error: "x".into() }], 1, Vec::new()).status(),
            "failed"
        );
        assert_eq!(summarise(&[], 0, Vec::new()).status(), "ok");
        let noted = summarise(
            &[KeyResult::Synced { rows: 1 }],
            3,
            vec!["listing failed".into()],
        );
        assert_eq!(noted.error.as_deref(), Some("listing failed"));
        assert_eq!(noted.status(), "partial");
    }
}
