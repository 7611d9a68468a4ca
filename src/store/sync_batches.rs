//! `sync_batches`: the batches of a queued sync run (migration 0006). A
//! batch's final status is reported to its run by a trigger, once.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use crate::args;
use crate::error::{AppError, AppResult};
use crate::store::job_runs::RunOutcome;

/// Rows written per D1 batch when planning (D1 takes up to 100 statements
/// a batch comfortably; a plan of 10,000 keys is a few batches).
const INSERTS_PER_BATCH: usize = 50;

/// Records the plan: the batches, and the run as `enqueued` with their
/// count, before any message is sent (so the last report can close it).
pub async fn plan(db: &D1Database, run_id: i64, batches: &[Vec<i64>], now: &str) -> AppResult<()> {
    let mut statements: Vec<D1PreparedStatement> = Vec::new();
    for (i, keys) in batches.iter().enumerate() {
        let ids = serde_json::to_string(keys).map_err(AppError::internal)?;
        statements.push(super::statement(
            db,
            "INSERT INTO sync_batches (run_id, batch, key_ids, keys) VALUES (?1, ?2, ?3, ?4)",
            args![run_id, i as i64, ids, keys.len() as i64],
        )?);
    }
    for chunk in statements.chunks(INSERTS_PER_BATCH) {
        super::batch(db, chunk.to_vec()).await?;
    }
    super::run(
        db,
        "UPDATE job_runs SET status = 'enqueued', batches = ?2, heartbeat_at = ?3 WHERE id = ?1",
        args![run_id, batches.len() as i64, now],
    )
    .await
    .map(drop)
}

/// What a consumer found when it tried to take a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Taken: its keys still to sync.
    Taken(Vec<i64>),
    /// Already final (a redelivered message): nothing to do.
    Done,
    /// Another consumer holds it until then.
    Held { until: String },
    /// No such batch (its run was cleaned up).
    Gone,
    /// Still queued, yet the claim took nothing (D1 reported no change):
    /// never acknowledged, or the batch would stay queued and its run open
    /// until the next run closes it as stalled; the message is tried again.
    Untaken,
}

#[derive(Deserialize)]
struct State {
    status: String,
    key_ids: String,
    leased_until: Option<String>,
}

/// Takes a batch for the delivery of queue message `holder` until `until`:
/// a queued batch, one whose lease ran out, or one an earlier delivery of
/// the same message holds. The queue delivers a message again only once
/// its previous delivery ended (a retry, an error, a timeout), so that
/// lease is void: an attempt that failed after its claim costs the retry's
/// delay, not the rest of its lease.
pub async fn claim(
    db: &D1Database,
    run_id: i64,
    batch: i64,
    holder: &str,
    now: &str,
    until: &str,
) -> AppResult<Claim> {
    let taken = super::run(
        db,
        "UPDATE sync_batches SET status = 'running', attempts = attempts + 1, leased_until = ?4,
                lease_holder = ?5, started_at = COALESCE(started_at, ?3)
         WHERE run_id = ?1 AND batch = ?2
           AND (status = 'queued'
                OR (status = 'running' AND (leased_until < ?3 OR lease_holder = ?5)))",
        args![run_id, batch, now, until, holder],
    )
    .await?;
    let state: Option<State> = super::first(
        db,
        "SELECT status, key_ids, leased_until FROM sync_batches WHERE run_id = ?1 AND batch = ?2",
        args![run_id, batch],
    )
    .await?;
    Ok(match state {
        None => Claim::Gone,
        Some(s) if taken == 1 => {
            Claim::Taken(serde_json::from_str(&s.key_ids).map_err(AppError::internal)?)
        }
        Some(s) if s.status == "running" => Claim::Held {
            until: s.leased_until.unwrap_or_default(),
        },
        Some(s) if s.status == "queued" => Claim::Untaken,
        Some(_) => Claim::Done,
    })
}

/// One attempt's outcome: its figures are added to the batch's; `remaining`
/// keys (a rate-limited attempt) stay for the retry, else the batch takes
/// its final status (and the trigger reports it to the run).
pub async fn record(
    db: &D1Database,
    run_id: i64,
    batch: i64,
    outcome: &RunOutcome,
    remaining: Option<&[i64]>,
    now: &str,
) -> AppResult<()> {
    let (status, ids) = match remaining {
        Some(keys) => (
            "queued",
            Some(serde_json::to_string(keys).map_err(AppError::internal)?),
        ),
        None => (outcome.status(), None),
    };
    let statements = vec![
        super::statement(
            db,
            "UPDATE sync_batches SET keys_ok = keys_ok + ?3, keys_failed = keys_failed + ?4,
                    keys_deferred = keys_deferred + ?5, rows_written = rows_written + ?6,
                    subrequests = subrequests + ?7, error = COALESCE(?8, error), leased_until = NULL,
                    lease_holder = NULL, key_ids = COALESCE(?9, key_ids), finished_at = ?10, status = ?11
             WHERE run_id = ?1 AND batch = ?2 AND status = 'running'",
            args![
                run_id,
                batch,
                outcome.keys_ok,
                outcome.keys_failed,
                outcome.keys_deferred,
                outcome.rows_written,
                outcome.subrequests,
                outcome.error.clone(),
                ids,
                now,
                status
            ],
        )?,
        super::statement(
            db,
            "UPDATE job_runs SET max_subrequests = MAX(max_subrequests, ?2) WHERE id = ?1",
            args![run_id, outcome.subrequests],
        )?,
    ];
    super::batch(db, statements).await.map(drop)
}

/// A batch the queue gave up on (its dead-letter queue): reported to the
/// run with the keys it still had, which the next run syncs.
pub async fn dead(db: &D1Database, run_id: i64, batch: i64, now: &str) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE sync_batches SET status = 'dead', finished_at = ?3, leased_until = NULL,
                error = 'batch ' || batch || ': the queue gave up after ' || attempts
                        || ' attempt(s); its keys ' || key_ids || ' are synced by the next run'
         WHERE run_id = ?1 AND batch = ?2 AND status IN ('queued', 'running')",
        args![run_id, batch, now],
    )
    .await
}

/// Closes queued runs that never finished (their messages were lost, or
/// the queue is not consuming): still `enqueued` with no report since
/// `stale_before`. Returns how many.
pub async fn close_stalled_runs(
    db: &D1Database,
    stale_before: &str,
    now: &str,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE job_runs SET status = 'interrupted', finished_at = ?2,
                error = 'interrupted: ' || (batches - batches_done - batches_dead)
                        || ' of ' || batches || ' batches never reported (last report '
                        || COALESCE(heartbeat_at, started_at) || ')'
         WHERE status = 'enqueued' AND COALESCE(heartbeat_at, started_at) < ?1",
        args![stale_before, now],
    )
    .await
}
