//! Writing an event (`alert_events`) and its pending deliveries: shared by
//! the hourly evaluation (`alerts`) and policy actions (`key_actions`).

use worker::{D1Database, D1PreparedStatement};

use crate::args;
use crate::domain::severity;
use crate::error::AppResult;

/// An event to store: unique per `(org_id, dedup_key)`, so a re-run or an
/// overlapping consumer stores nothing twice.
pub struct EventWrite {
    pub dedup_key: String,
    pub kind: &'static str,
    pub api_key_id: Option<i64>,
    pub payload: String,
}

/// Inserts an event (unless its dedup key exists) and its deliveries: to
/// `only_webhook` (a test, whatever its filters), or to every active webhook
/// of the account whose filters take it: `event_kinds` NULL or listing the
/// kind or its family, and `min_severity` at most the kind's severity (the
/// rule of `domain::severity::receives`).
pub fn event_statements(
    db: &D1Database,
    org_id: i64,
    e: &EventWrite,
    only_webhook: Option<i64>,
    now: &str,
) -> AppResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        super::statement(
            db,
            "INSERT OR IGNORE INTO alert_events (org_id, dedup_key, type, api_key_id, payload, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            args![org_id, &e.dedup_key, e.kind, e.api_key_id, &e.payload, now],
        )?,
        // Only an event created now (not one a re-run found already there).
        super::statement(
            db,
            "INSERT OR IGNORE INTO webhook_deliveries (webhook_id, event_id, created_at, updated_at)
             SELECT w.id, e.id, ?3, ?3 FROM alert_events e
             JOIN webhooks w ON w.org_id = e.org_id AND w.is_active = 1
             WHERE e.org_id = ?1 AND e.dedup_key = ?2 AND e.created_at = ?3
               AND (w.id = ?4 OR (?4 IS NULL
                   AND (w.event_kinds IS NULL
                        OR EXISTS (SELECT 1 FROM json_each(w.event_kinds) k WHERE k.value IN (?5, ?6)))
                   AND CASE w.min_severity WHEN 'critical' THEN 2 WHEN 'warning' THEN 1 ELSE 0 END <= ?7))",
            args![
                org_id,
                &e.dedup_key,
                now,
                only_webhook,
                e.kind,
                severity::family(e.kind),
                severity::of_kind(e.kind).rank()
            ],
        )?,
    ])
}
