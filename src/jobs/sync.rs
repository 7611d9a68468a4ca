//! The hourly usage sync, for all keys or for one.
//!
//! Per key: `GET /key` (a snapshot), then either the management key's
//! `/activity` per day not yet final, or per-day spend derived from
//! snapshots. Keys run at most [`CONCURRENCY`] at a time (Workers allow six
//! open connections); each failure stays with its key.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{Duration as Days, NaiveDate};
use worker::D1Database;

use super::arithmetic::{
    activity_days, aggregate_activity, final_through, final_through_after_failure, spend_per_day,
};
use crate::app::App;
use crate::clock;
use crate::domain::dates::{format_day, parse_day};
use crate::domain::money::Money;
use crate::error::{AppError, AppResult};
use crate::keys::vault::{Sealed, Vault};
use crate::openrouter::{Budget, CallError, Client};
use crate::store::api_keys::{self, SyncTarget};
use crate::store::job_runs::RunOutcome;
use crate::store::{key_actions, snapshots, sync_batches, usage};

pub const CONCURRENCY: usize = 6;
/// Per-call timeout for the jobs (a hung connection must not hold a slot).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(8);
/// Snapshots older than this are not needed to derive per-day spend.
const SNAPSHOT_LOOKBACK_DAYS: i64 = 40;
/// Keys looked at per run; far above what one run's budget can serve.
const QUEUE_LIMIT: i64 = 100_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyResult {
    Synced {
        rows: usize,
    },
    Failed {
        error: String,
    },
    /// Left for the next run (budget spent); nothing changed for it.
    Deferred,
    /// OpenRouter answered 429 (a queue consumer hands it off): left for the
    /// message's retry after `retry_after` seconds.
    RateLimited {
        retry_after: Option<u64>,
    },
}

/// Everything one run shares between its keys.
pub struct SyncRun<'a> {
    pub db: &'a D1Database,
    pub vault: &'a Vault,
    pub client: Client<'a>,
    pub budget: &'a Budget,
    /// Decrypted management keys by row id, loaded once per run.
    pub management_keys: HashMap<i64, String>,
    pub today: NaiveDate,
}

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
    sync_batches::plan(&db, run_id, &batches, &now()).await?;
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

/// The stored key's ciphertext, if the row was sealed.
pub fn sealed(target: &SyncTarget) -> Option<Sealed> {
    Some(Sealed {
        ciphertext: target.key_ciphertext.clone()?,
        nonce: target.key_nonce.clone()?,
    })
}

pub fn summarise(results: &[KeyResult], subrequests: u32) -> RunOutcome {
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
    if !errors.is_empty() {
        errors.sort();
        errors.dedup();
        outcome.error = Some(errors.into_iter().take(5).collect::<Vec<_>>().join("; "));
    }
    outcome
}

impl<'a> SyncRun<'a> {
    pub async fn prepare(
        db: &'a D1Database,
        vault: &'a Vault,
        base_url: &'a str,
        budget: &'a Budget,
        targets: &[SyncTarget],
    ) -> AppResult<SyncRun<'a>> {
        let mut ids: Vec<i64> = targets.iter().filter_map(|t| t.management_key_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut management_keys = HashMap::new();
        for target in api_keys::targets_by_ids(db, &ids).await? {
            match sealed(&target).map(|s| vault.open(&s, target.user_id, target.id)) {
                Some(Ok(plaintext)) => {
                    management_keys.insert(target.id, plaintext);
                }
                _ => worker::console_error!("management key {} cannot be decrypted", target.id),
            }
        }
        Ok(SyncRun {
            db,
            vault,
            client: Client::new(base_url, budget, CALL_TIMEOUT),
            budget,
            management_keys,
            today: clock::today(),
        })
    }

    /// A 429 ends a key's sync at once ([`KeyResult::RateLimited`]) instead
    /// of being waited out: a queue consumer retries its message later.
    pub fn handing_off_rate_limits(mut self) -> Self {
        self.client = self.client.handing_off_rate_limits();
        self
    }

    /// Syncs one key; never fails the run. Errors are recorded on the key.
    pub async fn key(&self, target: &SyncTarget) -> KeyResult {
        match self.try_key(target).await {
            Ok(result) => result,
            Err(e) => {
                worker::console_error!("sync of key {}: {e}", target.id);
                let error = "internal error while syncing".to_owned();
                let _ =
                    api_keys::record_sync_error(self.db, target.id, &error, false, &now()).await;
                KeyResult::Failed { error }
            }
        }
    }

    /// The key's plan (a snapshot, then the activity days not yet final
    /// when its account has a management key), if it fits the budget left.
    async fn try_key(&self, target: &SyncTarget) -> AppResult<KeyResult> {
        let management_key = target
            .management_key_id
            .and_then(|id| self.management_keys.get(&id));
        let synced_through = target
            .activity_synced_through
            .as_deref()
            .and_then(|d| parse_day("activity_synced_through", d).ok());
        let days = match management_key {
            Some(_) => activity_days(self.today, synced_through),
            None => Vec::new(),
        };
        // Start a key only if its whole plan fits the budget left; the rest
        // waits for the next run, oldest-synced first.
        if (self.budget.remaining() as usize) < 1 + days.len() {
            return Ok(KeyResult::Deferred);
        }
        let Some(key) =
            sealed(target).and_then(|s| self.vault.open(&s, target.user_id, target.id).ok())
        else {
            return self
                .fail(target, "the stored key cannot be decrypted", false)
                .await;
        };
        let info = match self.client.key_info(&key).await {
            Ok(info) => info,
            Err(CallError::BudgetExhausted) => return Ok(KeyResult::Deferred),
            Err(CallError::RateLimited { retry_after }) => {
                return Ok(KeyResult::RateLimited { retry_after })
            }
            Err(e) => {
                // A key a policy disabled is refused by OpenRouter until it
                // is put back: that is not an invalid key.
                let invalid = matches!(e, CallError::Rejected { .. })
                    && !key_actions::disabled_by_policy(self.db, target.id).await?;
                return self.fail(target, &e.describe(), invalid).await;
            }
        };
        let now = now();
        snapshots::insert(self.db, target.id, &info.counters(), &now, self.today).await?;
        match management_key {
            Some(management_key) => self.sync_activity(target, management_key, days, &now).await,
            None => {
                let rows = self.derive_from_snapshots(target, &now).await?;
                api_keys::record_sync_success(self.db, target.id, &now, None).await?;
                Ok(KeyResult::Synced { rows })
            }
        }
    }

    /// Replaces each day's rows with OpenRouter's activity, day by day (each
    /// day in one transaction); stops at a rejection or the budget's end.
    async fn sync_activity(
        &self,
        target: &SyncTarget,
        management_key: &str,
        days: Vec<NaiveDate>,
        now: &str,
    ) -> AppResult<KeyResult> {
        let mut rows = 0;
        let mut earliest_failure: Option<(NaiveDate, CallError)> = None;
        for day in days {
            let activity = self
                .client
                .activity(management_key, day, &target.key_hash)
                .await;
            match activity.map(|rows| aggregate_activity(day, &rows)) {
                Ok(Ok(models)) => {
                    rows += usage::replace_activity_day(
                        self.db,
                        target.id,
                        target.user_id,
                        day,
                        &models,
                        now,
                    )
                    .await?;
                }
                Ok(Err(_)) => {
                    earliest_failure.get_or_insert((day, CallError::Malformed));
                }
                Err(e) => {
                    let stop = matches!(
                        e,
                        CallError::BudgetExhausted
                            | CallError::Rejected { .. }
                            | CallError::RateLimited { .. }
                    );
                    earliest_failure.get_or_insert((day, e));
                    if stop {
                        break;
                    }
                }
            }
        }
        match earliest_failure {
            None => {
                let through = format_day(final_through(self.today));
                api_keys::record_sync_success(self.db, target.id, now, Some(&through)).await?;
                Ok(KeyResult::Synced { rows })
            }
            Some((day, error)) => self.activity_failed(target, day, error, now).await,
        }
    }

    /// Keeps what was final before the failed day, and records the failure
    /// (a rejected management key is marked on that key too).
    async fn activity_failed(
        &self,
        target: &SyncTarget,
        day: NaiveDate,
        error: CallError,
        now: &str,
    ) -> AppResult<KeyResult> {
        if let Some(through) = final_through_after_failure(self.today, day) {
            api_keys::record_activity_progress(self.db, target.id, &format_day(through)).await?;
        }
        match error {
            CallError::BudgetExhausted => Ok(KeyResult::Deferred),
            CallError::RateLimited { retry_after } => Ok(KeyResult::RateLimited { retry_after }),
            CallError::Rejected { .. } => {
                if let Some(id) = target.management_key_id {
                    let why = "OpenRouter rejected this management key";
                    api_keys::record_sync_error(self.db, id, why, true, now).await?;
                }
                let why = "the management key was rejected by OpenRouter";
                self.fail(target, why, false).await
            }
            other => {
                let message = format!("activity for {}: {}", format_day(day), other.describe());
                self.fail(target, &message, false).await
            }
        }
    }

    /// Per-day spend from this key's snapshots (no management key).
    async fn derive_from_snapshots(&self, target: &SyncTarget, now: &str) -> AppResult<usize> {
        let since = self.today - Days::days(SNAPSHOT_LOOKBACK_DAYS);
        let starts = snapshots::day_starts(self.db, target.id, since)
            .await?
            .into_iter()
            .map(|row| {
                let day = parse_day("taken_on", &row.taken_on)?;
                let spent = Money::parse_units(&row.spent_before).map_err(AppError::internal)?;
                Ok((day, spent))
            })
            .collect::<AppResult<Vec<_>>>()?;
        let days = spend_per_day(&starts);
        usage::upsert_key_totals(self.db, target.id, target.user_id, &days, now).await
    }

    async fn fail(&self, target: &SyncTarget, error: &str, invalid: bool) -> AppResult<KeyResult> {
        api_keys::record_sync_error(self.db, target.id, error, invalid, &now()).await?;
        Ok(KeyResult::Failed {
            error: format!("key {}: {error}", target.id),
        })
    }
}

fn now() -> String {
    clock::timestamp(clock::now())
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
        let outcome = summarise(&results, 12);
        assert_eq!(
            (outcome.keys_ok, outcome.keys_failed, outcome.keys_deferred),
            (2, 1, 1)
        );
        assert_eq!(outcome.rows_written, 3);
        assert_eq!(outcome.subrequests, 12);
        assert_eq!(outcome.error.as_deref(), Some("key 9: boom"));
        assert_eq!(outcome.status(), "partial");
        assert_eq!(
            summarise(&[KeyResult::Synced { rows: 1 }], 1).status(),
            "ok"
        );
        assert_eq!(
            summarise(&[KeyResult::Failed { error: "x".into() }], 1).status(),
            "failed"
        );
        assert_eq!(summarise(&[], 0).status(), "ok");
    }
}
