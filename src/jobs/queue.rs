//! The consumers of `SYNC_QUEUE` and of its dead-letter queue: each
//! message is one batch of one hourly run (`jobs::fanout`), synced exactly
//! as the cron once did it (same arithmetic, retries and failure isolation,
//! `jobs::sync`), in an invocation of its own with its own subrequest
//! budget.
//!
//! Safe under redelivery: a batch is claimed in D1 before any work; a
//! message for a batch already final changes nothing, one for a batch
//! another delivery holds waits for its lease, and the retry of the message
//! that holds it takes it over (its earlier delivery has ended). A 429 from
//! OpenRouter ends the attempt: the keys done stay done, the others wait
//! for the message's retry after `Retry-After`. After the queue's last
//! retry the message goes to the dead-letter queue, whose consumer reports
//! the batch's keys on the run; the next hourly run syncs them first.

use std::cell::Cell;

use chrono::Duration as Span;
use futures_util::stream::{self, StreamExt};
use worker::{D1Database, Env, MessageBatch, MessageExt, QueueRetryOptionsBuilder};

use super::fanout::{retry_delay_secs, BatchMessage};
use super::plan::summarise;
use super::sync::{KeyResult, SyncRun, CONCURRENCY};
use super::Heartbeat;
use crate::app::App;
use crate::changes::{Changes, Forget};
use crate::clock;
use crate::domain::key::{KeyKind, ValidationStatus};
use crate::error::AppResult;
use crate::keys::vault::Vault;
use crate::openrouter::Budget;
use crate::store::api_keys::{self, SyncTarget};
use crate::store::job_runs::RunOutcome;
use crate::store::sync_batches::{self, Claim};

/// The dead-letter queue of `SYNC_QUEUE` (`wrangler.toml`, checked by a
/// test): its messages are batches the queue gave up on.
pub const DEAD_LETTER_QUEUE: &str = "openrouter-watcher-sync-dlq";

/// How long a consumer holds a batch: far longer than 50 keys take (each
/// at most a few calls of 8 s), so a live consumer keeps it against any
/// other delivery; the holding message's own retry takes it over at once.
const LEASE: Span = Span::minutes(10);

/// What to tell the queue about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ack,
    RetryAfter(u32),
}

/// `forget` clears a user's public answers after a batch's writes.
pub async fn consume(batch: MessageBatch<serde_json::Value>, env: Env, forget: Forget) {
    let dead_letters = batch.queue() == DEAD_LETTER_QUEUE;
    let app = match App::new(env) {
        Ok(app) => app,
        Err(e) => {
            worker::console_error!("queue {}: cannot start: {e}", batch.queue());
            batch.retry_all();
            return;
        }
    };
    let messages = match batch.messages() {
        Ok(messages) => messages,
        Err(e) => {
            worker::console_error!("queue {}: unreadable batch: {e}", batch.queue());
            batch.retry_all();
            return;
        }
    };
    for message in messages {
        let verdict = match serde_json::from_value::<BatchMessage>(message.body().clone()) {
            Err(e) => {
                worker::console_error!("queue {}: a message that is no batch: {e}", batch.queue());
                Verdict::Ack
            }
            Ok(m) if dead_letters => dead_letter(&app, m).await,
            Ok(m) => sync_message(&app, m, &message.id(), forget).await,
        };
        match verdict {
            Verdict::Ack => message.ack(),
            Verdict::RetryAfter(secs) => message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(secs)
                    .build(),
            ),
        }
    }
}

async fn dead_letter(app: &App, m: BatchMessage) -> Verdict {
    let now = clock::timestamp(clock::now());
    match app.db() {
        Ok(db) => match sync_batches::dead(&db, m.run_id, m.batch, &now).await {
            Ok(_) => Verdict::Ack,
            Err(e) => {
                worker::console_error!("dead batch {} of run {}: {e}", m.batch, m.run_id);
                Verdict::RetryAfter(30)
            }
        },
        Err(_) => Verdict::RetryAfter(30),
    }
}

async fn sync_message(app: &App, m: BatchMessage, message_id: &str, forget: Forget) -> Verdict {
    let verdict = match sync_batch(app, m, message_id, forget).await {
        Ok(Verdict::Ack) if app.config.redeliver_for_tests => {
            // Tests only (`SYNC_REDELIVER_FOR_TESTS`): the queue delivers
            // this message once more, as at-least-once delivery may.
            Verdict::RetryAfter(1)
        }
        Ok(verdict) => verdict,
        Err(e) => {
            worker::console_error!("batch {} of run {}: {e}", m.batch, m.run_id);
            Verdict::RetryAfter(10)
        }
    };
    // The consumer's last word on the message: a delivery that logged it
    // and never ended was held up after the handler, not in it.
    worker::console_log!("batch {} of run {}: {verdict:?}", m.batch, m.run_id);
    verdict
}

async fn sync_batch(
    app: &App,
    m: BatchMessage,
    message_id: &str,
    forget: Forget,
) -> AppResult<Verdict> {
    let db = app.db()?;
    let now = clock::now();
    let until = now + LEASE;
    let claim = sync_batches::claim(
        &db,
        m.run_id,
        m.batch,
        message_id,
        &clock::timestamp(now),
        &clock::timestamp(until),
    )
    .await?;
    let key_ids = match claim {
        Claim::Gone | Claim::Done => return Ok(Verdict::Ack),
        Claim::Untaken => {
            worker::console_warn!(
                "batch {} of run {}: not claimed; tried again",
                m.batch,
                m.run_id
            );
            return Ok(Verdict::RetryAfter(5));
        }
        Claim::Held { until } => {
            let wait = clock::parse_timestamp(&until).map_or(60, |t| (t - now).num_seconds());
            return Ok(Verdict::RetryAfter(retry_delay_secs(Some(
                wait.max(1) as u64
            ))));
        }
        Claim::Taken(ids) => ids,
    };
    let changes = Changes::new(forget);
    let attempt = run_keys(app, &db, m.run_id, &key_ids, &changes).await?;
    let now = clock::timestamp(clock::now());
    let remaining = attempt.rate_limited.map(|_| attempt.remaining.as_slice());
    sync_batches::record(&db, m.run_id, m.batch, &attempt.outcome, remaining, &now).await?;
    changes.publish(app).await;
    Ok(match attempt.rate_limited {
        Some(retry_after) => Verdict::RetryAfter(retry_delay_secs(retry_after)),
        None => Verdict::Ack,
    })
}

/// One attempt at a batch's keys.
struct Attempt {
    outcome: RunOutcome,
    /// The keys left for the retry (rate limited or not started).
    remaining: Vec<i64>,
    /// `Some(Retry-After)` when OpenRouter answered 429.
    rate_limited: Option<Option<u64>>,
}

async fn run_keys(
    app: &App,
    db: &D1Database,
    run_id: i64,
    key_ids: &[i64],
    changes: &Changes,
) -> AppResult<Attempt> {
    let vault = Vault::new(&app.encryption_key()?);
    let budget = Budget::new(app.config.sync_subrequest_budget);
    let targets = still_due(db, key_ids).await?;
    let mut run = SyncRun::prepare(
        db,
        &vault,
        &app.config.openrouter_base_url,
        &budget,
        &targets,
    )
    .await?
    .handing_off_rate_limits();
    if app.config.sync_key_listing {
        run.read_listings(&targets).await?;
    }
    let heartbeat = Heartbeat::new(
        db,
        Some(run_id),
        app.config.job_heartbeat_timeout_secs * 1000 / 4,
    );
    let (results, rate_limited) = sync_keys(&run, &targets, &heartbeat).await;
    let synced: Vec<(i64, KeyResult)> = results
        .iter()
        .filter_map(|(user, _, r)| r.clone().map(|r| (*user, r)))
        .filter(|(_, r)| !matches!(r, KeyResult::RateLimited { .. }))
        .collect();
    changes.orgs(
        synced
            .iter()
            .filter(|(_, r)| matches!(r, KeyResult::Synced { rows } if *rows > 0))
            .map(|(user, _)| *user),
    );
    let sender = crate::webhooks::deliver::Sender {
        db,
        vault: &vault,
        policy: app.config.webhook_policy,
    };
    after_sync(app, &run, &sender, &synced, &heartbeat).await;
    let remaining = results
        .iter()
        .filter(|(_, _, r)| matches!(r, None | Some(KeyResult::RateLimited { .. })))
        .map(|(_, id, _)| *id)
        .collect();
    let done: Vec<KeyResult> = synced.into_iter().map(|(_, r)| r).collect();
    Ok(Attempt {
        outcome: summarise(&done, budget.used(), run.listings.notes()),
        remaining,
        rate_limited,
    })
}

/// The batch's keys still to sync: those deleted, disabled or found invalid
/// since the plan are skipped.
async fn still_due(db: &D1Database, key_ids: &[i64]) -> AppResult<Vec<SyncTarget>> {
    Ok(api_keys::targets_by_ids(db, key_ids)
        .await?
        .into_iter()
        .filter(|t| {
            t.kind == KeyKind::Inference
                && t.is_active
                && t.validation_status != ValidationStatus::Invalid
        })
        .collect())
}

/// `(user, key, result)` of each target (`None`: not started, a 429 came
/// first), and the `Retry-After` of the first 429 if any.
async fn sync_keys(
    run: &SyncRun<'_>,
    targets: &[SyncTarget],
    heartbeat: &Heartbeat<'_>,
) -> (Vec<(i64, i64, Option<KeyResult>)>, Option<Option<u64>>) {
    let limited: Cell<Option<Option<u64>>> = Cell::new(None);
    let results = stream::iter(targets.iter())
        .map(|target| async {
            // After a 429 the rest of the batch waits for the retry.
            if limited.get().is_some() {
                return (target.org_id, target.id, None);
            }
            let result = run.key(target).await;
            if let KeyResult::RateLimited { retry_after } = result {
                limited.set(Some(retry_after));
            }
            heartbeat.beat().await;
            (target.org_id, target.id, Some(result))
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    (results, limited.get())
}

/// Budgets and alerts of the accounts with a fresh snapshot, the actions
/// their policies ask for, then the webhook deliveries due (the actions'
/// events among them). None can fail the sync: what goes wrong is logged,
/// and stays pending for the next run.
async fn after_sync(
    app: &App,
    run: &SyncRun<'_>,
    sender: &crate::webhooks::deliver::Sender<'_>,
    synced: &[(i64, KeyResult)],
    heartbeat: &Heartbeat<'_>,
) {
    let mut users: Vec<i64> = synced
        .iter()
        .filter(|(_, result)| matches!(result, KeyResult::Synced { .. }))
        .map(|(org_id, _)| *org_id)
        .collect();
    users.sort_unstable();
    users.dedup();
    let raised = crate::alerts::evaluate::accounts(sender.db, &users).await;
    heartbeat.beat().await;
    // Every account of the batch, synced or not: a key disabled by policy
    // may fail its sync, and must still be put back at its period's end.
    let mut accounts: Vec<i64> = synced.iter().map(|(org_id, _)| *org_id).collect();
    accounts.sort_unstable();
    accounts.dedup();
    let acted = crate::policies::act::accounts(sender.db, run.vault, &run.client, &accounts).await;
    if acted > 0 {
        worker::console_log!("policies: {acted} actions settled");
    }
    heartbeat.beat().await;
    match sender.due().await {
        Ok(delivered) => worker::console_log!("alerts: {raised} raised, {delivered} delivered"),
        Err(e) => worker::console_error!("webhook deliveries: {e}"),
    }
    heartbeat.beat().await;
    // After the policies: a key they disabled is in the same message.
    let mailed = crate::email::alerts::send_due(app, &accounts).await;
    if mailed > 0 {
        worker::console_log!("alerts: {mailed} e-mail(s) sent");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dead_letter_queue_is_the_one_wrangler_toml_names() {
        let toml = include_str!("../../wrangler.toml");
        assert!(toml.contains(&format!("dead_letter_queue = \"{DEAD_LETTER_QUEUE}\"")));
        assert!(toml.contains(&format!("queue = \"{DEAD_LETTER_QUEUE}\"\nmax_batch_size")));
        assert!(toml.contains("binding = \"SYNC_QUEUE\""));
    }
}
