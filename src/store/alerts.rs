//! `alert_marks`, `key_activity_marks` and `alert_events`: what the hourly
//! evaluation remembers and what it raised. One evaluation of one account
//! is written in one batch (one transaction); events are unique per
//! `(org_id, dedup_key)`, so a re-run inserts nothing twice.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use super::events::EventWrite;
use super::money_text;
use crate::args;
use crate::domain::money::Money;
use crate::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct ActivityMarkRow {
    pub api_key_id: i64,
    #[serde(deserialize_with = "money_text")]
    pub snapshot_usage: Money,
    pub last_spent_at: String,
}

pub async fn activity_marks(db: &D1Database, org_id: i64) -> AppResult<Vec<ActivityMarkRow>> {
    super::all(
        db,
        "SELECT m.api_key_id, CAST(m.snapshot_usage AS TEXT) AS snapshot_usage, m.last_spent_at
         FROM key_activity_marks m JOIN api_keys k ON k.id = m.api_key_id
         WHERE k.org_id = ?1",
        args![org_id],
    )
    .await
}

pub struct MarksWrite {
    pub subject: String,
    pub budget_id: Option<i64>,
    pub api_key_id: Option<i64>,
    pub terms: String,
    pub armed_at: String,
    pub period_start: String,
    pub fired_percent: u8,
    pub projection_alerted: bool,
}

pub struct ActivityWrite {
    pub api_key_id: i64,
    pub usage: Money,
    pub last_spent_at: String,
}

/// One account's evaluation.
pub struct Evaluation {
    pub org_id: i64,
    pub marks: Vec<MarksWrite>,
    pub activity: Vec<ActivityWrite>,
    pub events: Vec<EventWrite>,
    /// Actions its policies ask for (`key_actions`).
    pub claims: Vec<super::key_actions::Claim>,
    pub spike_marks: Vec<super::spike_marks::SpikeMarkWrite>,
    pub drifts: Vec<super::key_drift::DriftWrite>,
}

impl Evaluation {
    pub fn is_empty(&self) -> bool {
        self.marks.is_empty()
            && self.activity.is_empty()
            && self.events.is_empty()
            && self.claims.is_empty()
            && self.spike_marks.is_empty()
            && self.drifts.is_empty()
    }
}

/// Writes it atomically; each new event gets a pending delivery per active
/// webhook of the account. Marks of a budget or key deleted meanwhile are
/// skipped rather than failing the batch.
pub async fn record(db: &D1Database, evaluation: &Evaluation, now: &str) -> AppResult<usize> {
    let org_id = evaluation.org_id;
    let mut statements: Vec<D1PreparedStatement> = Vec::new();
    for m in &evaluation.marks {
        statements.push(super::statement(
            db,
            "INSERT INTO alert_marks (subject, org_id, budget_id, api_key_id, terms, armed_at, period_start,
                 fired_percent, projection_alerted, updated_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10
             WHERE (?3 IS NULL OR EXISTS (SELECT 1 FROM budgets WHERE id = ?3))
               AND (?4 IS NULL OR EXISTS (SELECT 1 FROM api_keys WHERE id = ?4))
             ON CONFLICT (subject) DO UPDATE SET terms = excluded.terms, armed_at = excluded.armed_at,
                 period_start = excluded.period_start, fired_percent = excluded.fired_percent,
                 projection_alerted = excluded.projection_alerted, updated_at = excluded.updated_at",
            args![
                &m.subject,
                org_id,
                m.budget_id,
                m.api_key_id,
                &m.terms,
                &m.armed_at,
                &m.period_start,
                i64::from(m.fired_percent),
                m.projection_alerted,
                now
            ],
        )?);
    }
    for a in &evaluation.activity {
        statements.push(super::statement(
            db,
            "INSERT INTO key_activity_marks (api_key_id, snapshot_usage, last_spent_at, updated_at)
             SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = ?1)
             ON CONFLICT (api_key_id) DO UPDATE SET snapshot_usage = excluded.snapshot_usage,
                 last_spent_at = excluded.last_spent_at, updated_at = excluded.updated_at",
            args![a.api_key_id, a.usage, &a.last_spent_at, now],
        )?);
    }
    for e in &evaluation.events {
        statements.extend(super::events::event_statements(db, org_id, e, None, now)?);
    }
    for mark in &evaluation.spike_marks {
        statements.push(super::spike_marks::statement(db, org_id, mark, now)?);
    }
    for drift in &evaluation.drifts {
        statements.push(super::key_drift::statement(db, drift, now)?);
    }
    for claim in &evaluation.claims {
        statements.push(super::key_actions::claim_statement(db, org_id, claim, now)?);
    }
    super::batch(db, statements).await
}

/// A test event for one webhook; its delivery's id.
pub async fn insert_test(
    db: &D1Database,
    org_id: i64,
    webhook_id: i64,
    event: &EventWrite,
    now: &str,
) -> AppResult<Option<i64>> {
    super::batch(
        db,
        super::events::event_statements(db, org_id, event, Some(webhook_id), now)?,
    )
    .await?;
    super::first_id(
        db,
        "SELECT d.id FROM webhook_deliveries d JOIN alert_events e ON e.id = d.event_id
         WHERE e.org_id = ?1 AND e.dedup_key = ?2 AND d.webhook_id = ?3",
        args![org_id, &event.dedup_key, webhook_id],
    )
    .await
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub payload: String,
    pub created_at: String,
    #[serde(default)]
    pub total: Option<i64>,
}

pub async fn events(
    db: &D1Database,
    org_id: i64,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<EventRow>> {
    super::all(
        db,
        "SELECT id, payload, created_at, COUNT(*) OVER () AS total FROM alert_events
         WHERE org_id = ?1 ORDER BY created_at DESC, id DESC LIMIT ?2 OFFSET ?3",
        args![org_id, limit, offset],
    )
    .await
}

pub async fn count_events(db: &D1Database, org_id: i64) -> AppResult<i64> {
    super::count(
        db,
        "SELECT COUNT(*) AS n FROM alert_events WHERE org_id = ?1",
        args![org_id],
    )
    .await
}

/// Events (and their deliveries, by cascade) older than `before`.
pub async fn delete_events_older_than(
    db: &D1Database,
    before: &str,
    batch: i64,
) -> AppResult<usize> {
    super::run(
        db,
        "DELETE FROM alert_events WHERE id IN (SELECT id FROM alert_events WHERE created_at < ?1 LIMIT ?2)",
        args![before, batch],
    )
    .await
}

/// The account's alert events from `from` (included) to `to` (excluded),
/// oldest first: what a digest lists. Tests and digests themselves are
/// not alerts.
pub async fn events_between(
    db: &D1Database,
    org_id: i64,
    from: &str,
    to: &str,
    limit: i64,
) -> AppResult<Vec<EventRow>> {
    super::all(
        db,
        "SELECT id, payload, created_at, COUNT(*) OVER () AS total FROM alert_events
         WHERE org_id = ?1 AND created_at >= ?2 AND created_at < ?3
           AND type <> 'test' AND type NOT LIKE 'digest.%'
         ORDER BY created_at, id LIMIT ?4",
        args![org_id, from, to, limit],
    )
    .await
}
