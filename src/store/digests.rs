//! `digest_settings` and `digest_runs`: what digests an account wants, and
//! each account, kind and period claimed once before it is sent.

use serde::Deserialize;
use worker::D1Database;

use crate::args;
use crate::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct SettingsRow {
    pub schedule: String,
    pub channel: String,
    pub webhook_id: Option<i64>,
}

pub async fn settings(db: &D1Database, org_id: i64) -> AppResult<Option<SettingsRow>> {
    super::first(
        db,
        "SELECT schedule, channel, webhook_id FROM digest_settings WHERE org_id = ?1",
        args![org_id],
    )
    .await
}

pub async fn set_settings(
    db: &D1Database,
    org_id: i64,
    row: &SettingsRow,
    now: &str,
) -> AppResult<usize> {
    super::run(
        db,
        "INSERT INTO digest_settings (org_id, schedule, channel, webhook_id, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (org_id) DO UPDATE SET schedule = excluded.schedule,
             channel = excluded.channel, webhook_id = excluded.webhook_id,
             updated_at = excluded.updated_at",
        args![org_id, &row.schedule, &row.channel, row.webhook_id, now],
    )
    .await
}

/// An account that wants digests, with its zone.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscriber {
    pub org_id: i64,
    pub schedule: String,
    pub channel: String,
    pub webhook_id: Option<i64>,
    pub tz: Option<String>,
}

/// Accounts that want digests, after `after_org` (a run's page).
pub async fn subscribers(
    db: &D1Database,
    after_org: i64,
    limit: i64,
) -> AppResult<Vec<Subscriber>> {
    super::all(
        db,
        "SELECT d.org_id, d.schedule, d.channel, d.webhook_id, o.tz
         FROM digest_settings d JOIN organisations o ON o.id = d.org_id
         WHERE d.schedule <> 'off' AND d.org_id > ?1
         ORDER BY d.org_id LIMIT ?2",
        args![after_org, limit],
    )
    .await
}

/// Claims an account's digest of a period: its row id when this caller is
/// the first, `None` when it was claimed before (a re-run sends nothing).
pub async fn claim(
    db: &D1Database,
    org_id: i64,
    kind: &str,
    period: (&str, &str),
    channel: &str,
    now: &str,
) -> AppResult<Option<i64>> {
    super::first_id(
        db,
        "INSERT INTO digest_runs (org_id, kind, period_start, period_end, channel, status, claimed_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'claimed', ?6)
         ON CONFLICT (org_id, kind, period_start) DO NOTHING
         RETURNING id",
        args![org_id, kind, period.0, period.1, channel, now],
    ).await
}

/// What became of a claimed digest.
pub async fn finish(
    db: &D1Database,
    id: i64,
    status: &str,
    detail: Option<&str>,
    now: &str,
) -> AppResult<usize> {
    super::run(
        db,
        "UPDATE digest_runs SET status = ?2, detail = ?3, finished_at = ?4 WHERE id = ?1",
        args![id, status, detail, now],
    )
    .await
}
