//! The hourly usage sync, for all keys or for one.
//!
//! Per key: a snapshot, from its account's listing when a management key
//! reads it (`jobs::listing`: one call per 100 keys) or else `GET /key`,
//! then either the management key's `/activity` per day not yet final, or
//! per-day spend derived from snapshots. Keys run at most [`CONCURRENCY`] at
//! a time (Workers allow six open connections); each failure stays with its
//! key.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{Duration as Days, NaiveDate};
use worker::D1Database;

use super::arithmetic::{
    activity_days, aggregate_activity, final_through, final_through_after_failure, spend_per_day,
};
use super::listing::{self, Listings};
use crate::clock;
use crate::domain::dates::{format_day, parse_day};
use crate::domain::key::KeyCounters;
use crate::domain::money::Money;
use crate::error::{AppError, AppResult};
use crate::keys::vault::{Sealed, Vault};
use crate::openrouter::{Budget, CallError, Client};
use crate::store::api_keys::{self, SyncTarget};
use crate::store::{key_actions, snapshots, usage};

pub const CONCURRENCY: usize = 6;
/// Per-call timeout for the jobs (a hung connection must not hold a slot).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(8);
/// Snapshots older than this are not needed to derive per-day spend.
const SNAPSHOT_LOOKBACK_DAYS: i64 = 40;

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
    /// What the listings of those keys showed ([`SyncRun::read_listings`]).
    pub listings: Listings,
    pub today: NaiveDate,
}

/// The stored key's ciphertext, if the row was sealed.
pub fn sealed(target: &SyncTarget) -> Option<Sealed> {
    Some(Sealed {
        ciphertext: target.key_ciphertext.clone()?,
        nonce: target.key_nonce.clone()?,
    })
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
            match sealed(&target).map(|s| vault.open(&s, target.org_id, target.id)) {
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
            listings: Listings::default(),
            today: clock::today(),
        })
    }

    /// Reads the listings `targets` are read through (one subrequest per
    /// page). A listing that failed is said on its management key; the
    /// run's notes are [`Listings::notes`].
    pub async fn read_listings(&mut self, targets: &[SyncTarget]) -> AppResult<()> {
        self.listings = listing::read(&self.client, &self.management_keys, targets).await;
        for target in targets {
            let Some(id) = target.management_key_id else {
                continue;
            };
            if let Some(e) = self.listings.failure(id).filter(|e| !listing::waits(e)) {
                let why = format!(
                    "cannot list its account's keys ({}); they are read one by one",
                    e.describe()
                );
                api_keys::record_sync_error(self.db, id, &why, false, &now()).await?;
            }
        }
        Ok(())
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
        let listed = self.listings.get(&target.key_hash);
        // Start a key only if its whole plan fits the budget left; the rest
        // waits for the next run, oldest-synced first.
        let calls = usize::from(listed.is_none()).saturating_add(days.len());
        if (self.budget.remaining() as usize) < calls {
            return Ok(KeyResult::Deferred);
        }
        let counters = match listed {
            Some(l) => l.key.counters(l.served_at.clone()),
            None => match self.counters_of(target).await? {
                Ok(counters) => counters,
                Err(result) => return Ok(result),
            },
        };
        let now = now();
        snapshots::insert(self.db, target.id, &counters, &now, self.today).await?;
        let creator = counters.creator_user_id.as_deref();
        match management_key {
            Some(management_key) => {
                self.sync_activity(target, management_key, days, &now, creator)
                    .await
            }
            None => {
                let rows = self.derive_from_snapshots(target, &now).await?;
                api_keys::record_sync_success(self.db, target.id, &now, None, creator).await?;
                Ok(KeyResult::Synced { rows })
            }
        }
    }

    /// A key the listings did not show: its own `GET /key`, or why not
    /// (`Err`: the key's result, recorded).
    async fn counters_of(&self, target: &SyncTarget) -> AppResult<Result<KeyCounters, KeyResult>> {
        let failed = target
            .management_key_id
            .and_then(|id| self.listings.failure(id));
        match failed {
            Some(CallError::BudgetExhausted) => return Ok(Err(KeyResult::Deferred)),
            Some(CallError::RateLimited { retry_after }) => {
                let retry_after = *retry_after;
                return Ok(Err(KeyResult::RateLimited { retry_after }));
            }
            _ => {}
        }
        if !target.has_secret() {
            let why = match failed {
                Some(e) => format!("its management key could not list the account's keys ({})", e.describe()),
                None => "not in its management key's listing (deleted on OpenRouter, or that management key is unusable)".to_owned(),
            };
            return self.fail(target, &why, false).await.map(Err);
        }
        let Some(key) =
            sealed(target).and_then(|s| self.vault.open(&s, target.org_id, target.id).ok())
        else {
            return self
                .fail(target, "the stored key cannot be decrypted", false)
                .await
                .map(Err);
        };
        match self.client.key_info(&key).await {
            Ok(info) => Ok(Ok(info.counters())),
            Err(CallError::BudgetExhausted) => Ok(Err(KeyResult::Deferred)),
            Err(CallError::RateLimited { retry_after }) => {
                Ok(Err(KeyResult::RateLimited { retry_after }))
            }
            Err(e) => {
                // A key a policy disabled is refused by OpenRouter until it
                // is put back: that is not an invalid key.
                let invalid = matches!(e, CallError::Rejected { .. })
                    && !key_actions::disabled_by_policy(self.db, target.id).await?;
                self.fail(target, &e.describe(), invalid).await.map(Err)
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
        creator: Option<&str>,
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
                        target.org_id,
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
                api_keys::record_sync_success(self.db, target.id, now, Some(&through), creator)
                    .await?;
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
        usage::upsert_key_totals(self.db, target.id, target.org_id, &days, now).await
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
