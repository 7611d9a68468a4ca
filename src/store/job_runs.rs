//! `job_runs`: one row per cron invocation, opened at start, closed at end.

use worker::D1Database;

use crate::args;
use crate::error::AppResult;

/// What a finished run reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOutcome {
    pub keys_ok: i64,
    pub keys_failed: i64,
    pub keys_deferred: i64,
    pub rows_written: i64,
    pub rows_deleted: i64,
    pub subrequests: i64,
    pub error: Option<String>,
}

impl RunOutcome {
    /// `failed` when nothing worked, `partial` when some keys failed or were
    /// deferred, else `ok`.
    pub fn status(&self) -> &'static str {
        let troubled = self.keys_failed > 0 || self.keys_deferred > 0 || self.error.is_some();
        if !troubled {
            "ok"
        } else if self.keys_ok == 0
            && self.rows_written == 0
            && self.rows_deleted == 0
            && self.keys_deferred == 0
        {
            "failed"
        } else {
            "partial"
        }
    }
}

/// A real query on the schema (`/health`): a database without the
/// migrations is not "ok".
pub async fn probe(db: &D1Database) -> AppResult<()> {
    super::first::<serde::de::IgnoredAny>(
        db,
        "SELECT EXISTS (SELECT 1 FROM job_runs) AS ok",
        vec![],
    )
    .await
    .map(drop)
}

pub async fn start(db: &D1Database, job: &str, cron: &str, now: &str) -> AppResult<Option<i64>> {
    super::first_id(
        db,
        "INSERT INTO job_runs (job, cron, started_at, status) VALUES (?1, ?2, ?3, 'running') RETURNING id",
        args![job, cron, now],
    ).await
}

pub async fn finish(
    db: &D1Database,
    id: i64,
    outcome: &RunOutcome,
    now: &str,
    duration_ms: i64,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE job_runs SET finished_at = ?2, status = ?3, keys_ok = ?4, keys_failed = ?5, keys_deferred = ?6,
                rows_written = ?7, rows_deleted = ?8, subrequests = ?9, duration_ms = ?10, error = ?11
         WHERE id = ?1",
        args![
            id,
            now,
            outcome.status(),
            outcome.keys_ok,
            outcome.keys_failed,
            outcome.keys_deferred,
            outcome.rows_written,
            outcome.rows_deleted,
            outcome.subrequests,
            duration_ms,
            outcome.error.clone()
        ],
    )
    .await
}

/// The run is alive: written by `jobs::Heartbeat` while it works.
pub async fn heartbeat(db: &D1Database, id: i64, now: &str) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE job_runs SET heartbeat_at = ?2 WHERE id = ?1 AND status IN ('running', 'enqueued')",
        args![id, now],
    )
    .await
}

/// Closes runs whose invocation died: still `running`, with no heartbeat
/// (or start) since `stale_before`. Returns how many.
pub async fn close_interrupted(db: &D1Database, stale_before: &str, now: &str) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE job_runs SET status = 'interrupted', finished_at = ?2,
                error = 'interrupted: the invocation stopped without finishing (last sign of life '
                        || COALESCE(heartbeat_at, started_at) || ')'
         WHERE status = 'running' AND COALESCE(heartbeat_at, started_at) < ?1",
        args![stale_before, now],
    )
    .await
}

pub async fn delete_older_than(db: &D1Database, before: &str, batch: i64) -> AppResult<usize> {
    super::run(
        db,
        "DELETE FROM job_runs WHERE id IN (SELECT id FROM job_runs WHERE started_at < ?1 LIMIT ?2)",
        args![before, batch],
    )
    .await
}
