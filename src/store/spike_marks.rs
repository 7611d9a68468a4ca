//! `spike_marks`: where each subject's spike episodes are (migration
//! 0012). Written in the evaluation's batch; a write never moves a mark
//! back, so an evaluation that read an older mark cannot undo a newer one.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use crate::args;
use crate::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct SpikeMarkRow {
    pub subject: String,
    pub episode_start: String,
    pub last_spike: String,
}

pub async fn of_user(db: &D1Database, org_id: i64) -> AppResult<Vec<SpikeMarkRow>> {
    super::all(
        db,
        "SELECT subject, episode_start, last_spike FROM spike_marks WHERE org_id = ?1",
        args![org_id],
    )
    .await
}

pub struct SpikeMarkWrite {
    pub subject: String,
    pub api_key_id: Option<i64>,
    pub episode_start: String,
    pub last_spike: String,
}

/// The mark's upsert; skipped when its key was deleted meanwhile.
pub fn statement(
    db: &D1Database,
    org_id: i64,
    mark: &SpikeMarkWrite,
    now: &str,
) -> AppResult<D1PreparedStatement> {
    super::statement(
        db,
        "INSERT INTO spike_marks (org_id, subject, api_key_id, episode_start, last_spike, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6
         WHERE ?3 IS NULL OR EXISTS (SELECT 1 FROM api_keys WHERE id = ?3)
         ON CONFLICT (org_id, subject) DO UPDATE SET episode_start = excluded.episode_start,
             last_spike = excluded.last_spike, updated_at = excluded.updated_at
         WHERE excluded.last_spike > spike_marks.last_spike",
        args![
            org_id,
            &mark.subject,
            mark.api_key_id,
            &mark.episode_start,
            &mark.last_spike,
            now
        ],
    )
}
