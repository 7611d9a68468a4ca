//! `key_actions`: what policies did (or would do) to OpenRouter keys.
//!
//! A row is claimed once per budget, key and period (`key_actions_once`), in
//! the same batch as the evaluation that triggered it; a run works on a row
//! only while it holds its lease, so overlapping consumers never act twice;
//! the key's settings before the action are written once and never
//! overwritten (a retry after a PATCH that landed must not take the changed
//! state for the original one).

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use super::events::{self, EventWrite};
use super::money_text_opt;
use crate::args;
use crate::domain::audit::Entry;
use crate::domain::money::Money;
use crate::error::AppResult;

/// An action a triggered policy asks for (inserted unless its budget, key
/// and period already have one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub api_key_id: i64,
    pub budget_id: i64,
    pub budget_label: String,
    pub trigger_label: String,
    pub action: &'static str,
    pub dry_run: bool,
    pub period_start: String,
    pub period_end: String,
    pub target_limit: Option<Money>,
    pub target_reset: Option<&'static str>,
}

pub fn claim_statement(
    db: &D1Database,
    org_id: i64,
    claim: &Claim,
    now: &str,
) -> AppResult<D1PreparedStatement> {
    super::statement(
        db,
        "INSERT OR IGNORE INTO key_actions (org_id, api_key_id, budget_id, budget_label, trigger_label,
             action, dry_run, period_start, period_end, target_limit, target_reset, created_at, updated_at)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12
         WHERE EXISTS (SELECT 1 FROM budgets WHERE id = ?3 AND org_id = ?1)
           AND EXISTS (SELECT 1 FROM api_keys WHERE id = ?2 AND org_id = ?1)",
        args![
            org_id,
            claim.api_key_id,
            claim.budget_id,
            &claim.budget_label,
            &claim.trigger_label,
            claim.action,
            claim.dry_run,
            &claim.period_start,
            &claim.period_end,
            claim.target_limit,
            claim.target_reset,
            now
        ],
    )
}

/// An action with its key.
#[derive(Debug, Clone, Deserialize)]
pub struct ActionRow {
    pub id: i64,
    pub org_id: i64,
    pub api_key_id: i64,
    pub key_name: String,
    pub key_hash: String,
    pub budget_id: Option<i64>,
    pub budget_label: String,
    pub trigger_label: String,
    pub action: String,
    pub dry_run: i64,
    pub period_start: String,
    pub period_end: String,
    #[serde(deserialize_with = "money_text_opt")]
    pub target_limit: Option<Money>,
    pub target_reset: Option<String>,
    pub state: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub detail: Option<String>,
    pub attempts: i64,
    pub via_key_id: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub total: Option<i64>,
}

const COLUMNS: &str = "a.id, a.org_id, a.api_key_id, k.name AS key_name, k.key_hash, a.budget_id,
    a.budget_label, a.trigger_label, a.action, a.dry_run, a.period_start, a.period_end,
    CAST(a.target_limit AS TEXT) AS target_limit, a.target_reset, a.state, a.before, a.after,
    a.detail, a.attempts, a.via_key_id, a.created_at, a.updated_at";

/// Leases the account's actions that are due, and returns them: those not
/// taken yet, and those applied whose period ended by the Worker's clock or
/// by OpenRouter's as the account's latest snapshot saw it (a key a policy
/// disabled has no snapshot of its own: OpenRouter refuses it); the restore
/// checks OpenRouter's clock again on its answer.
pub async fn take_due(
    db: &D1Database,
    org_id: i64,
    now: &str,
    lease_until: &str,
) -> AppResult<Vec<ActionRow>> {
    let leased = super::statement(
        db,
        "UPDATE key_actions SET lease_until = ?3 WHERE id IN (
             SELECT a.id FROM key_actions a
             WHERE a.org_id = ?1 AND a.state IN ('pending', 'applied')
               AND (a.lease_until IS NULL OR a.lease_until < ?2)
               AND (a.state = 'pending' OR a.period_end <= ?2 OR a.period_end <= (
                   SELECT MAX((SELECT COALESCE(s.served_at, s.taken_at) FROM key_snapshots s
                               WHERE s.api_key_id = k.id ORDER BY s.taken_at DESC, s.id DESC LIMIT 1))
                   FROM api_keys k WHERE k.org_id = a.org_id))
             ORDER BY a.id LIMIT 20)",
        args![org_id, now, lease_until],
    )?;
    let read = super::statement(
        db,
        &format!(
            "SELECT {COLUMNS} FROM key_actions a JOIN api_keys k ON k.id = a.api_key_id
             WHERE a.org_id = ?1 AND a.lease_until = ?2 ORDER BY a.id"
        ),
        args![org_id, lease_until],
    )?;
    let results = super::batch_results(db, vec![leased, read]).await?;
    match results.get(1) {
        Some(rows) => rows.results::<ActionRow>().map_err(super::db_error),
        None => Ok(Vec::new()),
    }
}

/// Leases one applied action of the account (a person undoing it); `None`
/// when it is not the account's, not applied, or held by a run now.
pub async fn lease_applied(
    db: &D1Database,
    org_id: i64,
    id: i64,
    now: &str,
    lease_until: &str,
) -> AppResult<Option<ActionRow>> {
    let leased = super::run(
        db,
        "UPDATE key_actions SET lease_until = ?4
         WHERE id = ?2 AND org_id = ?1 AND state = 'applied'
           AND (lease_until IS NULL OR lease_until < ?3)",
        args![org_id, id, now, lease_until],
    )
    .await?;
    if leased == 0 {
        return Ok(None);
    }
    get(db, org_id, id).await
}

pub async fn get(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<ActionRow>> {
    super::first(
        db,
        &format!(
            "SELECT {COLUMNS} FROM key_actions a JOIN api_keys k ON k.id = a.api_key_id
             WHERE a.id = ?1 AND a.org_id = ?2"
        ),
        args![id, org_id],
    )
    .await
}

/// Writes the key's settings before the action unless some are written
/// already; returns the ones stored.
pub async fn keep_before(db: &D1Database, id: i64, before: &str) -> AppResult<Option<String>> {
    #[derive(Deserialize)]
    struct Before {
        before: Option<String>,
    }
    Ok(super::first::<Before>(
        db,
        "UPDATE key_actions SET before = COALESCE(before, ?2) WHERE id = ?1 RETURNING before",
        args![id, before],
    )
    .await?
    .and_then(|row| row.before))
}

/// Where a run leaves an action.
pub struct Outcome<'a> {
    pub id: i64,
    pub org_id: i64,
    pub state: &'a str,
    pub after: Option<String>,
    pub detail: Option<String>,
    /// One more failed try.
    pub failed_try: bool,
    pub via_key_id: Option<i64>,
    /// Held only by the run that leased it: another's lease is not undone.
    pub lease: &'a str,
    pub event: Option<EventWrite>,
    /// The audit log's entry for what the product did, in the same batch.
    pub audit: Option<Entry>,
}

/// Settles an action and raises its event, in one batch; `false` when the
/// lease was lost meanwhile (nothing written).
pub async fn settle(db: &D1Database, outcome: &Outcome<'_>, now: &str) -> AppResult<bool> {
    let mut statements = vec![super::statement(
        db,
        "UPDATE key_actions SET state = ?3, after = COALESCE(?4, after), detail = ?5,
             attempts = attempts + ?6, via_key_id = COALESCE(?7, via_key_id),
             lease_until = NULL, updated_at = ?8
         WHERE id = ?1 AND org_id = ?2 AND lease_until = ?9",
        args![
            outcome.id,
            outcome.org_id,
            outcome.state,
            outcome.after.as_deref(),
            outcome.detail.as_deref(),
            i64::from(outcome.failed_try),
            outcome.via_key_id,
            now,
            outcome.lease
        ],
    )?];
    if let Some(entry) = &outcome.audit {
        statements.push(super::audit_log::statement(db, entry, now)?);
    }
    if let Some(event) = &outcome.event {
        statements.extend(events::event_statements(
            db,
            outcome.org_id,
            event,
            None,
            now,
        )?);
    }
    let results = super::batch_results(db, statements).await?;
    match results.first() {
        Some(updated) => Ok(super::changes(updated)? > 0),
        None => Ok(false),
    }
}

/// A page of the account's actions, newest first; `state` filters.
pub async fn list(
    db: &D1Database,
    org_id: i64,
    state: Option<&str>,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<ActionRow>> {
    super::all(
        db,
        &format!(
            "SELECT {COLUMNS}, COUNT(*) OVER () AS total
             FROM key_actions a JOIN api_keys k ON k.id = a.api_key_id
             WHERE a.org_id = ?1 AND (?2 IS NULL OR a.state = ?2)
             ORDER BY a.id DESC LIMIT ?3 OFFSET ?4"
        ),
        args![org_id, state, limit, offset],
    )
    .await
}

pub async fn count(db: &D1Database, org_id: i64, state: Option<&str>) -> AppResult<i64> {
    super::count(
        db,
        "SELECT COUNT(*) AS n FROM key_actions WHERE org_id = ?1 AND (?2 IS NULL OR state = ?2)",
        args![org_id, state],
    )
    .await
}

/// Whether a policy's `disable` is in force on the key.
pub async fn disabled_by_policy(db: &D1Database, api_key_id: i64) -> AppResult<bool> {
    Ok(super::count(
        db,
        "SELECT COUNT(*) AS n FROM key_actions
         WHERE api_key_id = ?1 AND state = 'applied' AND action = 'disable'",
        args![api_key_id],
    )
    .await?
        > 0)
}

/// A limit a person set from the dashboard (`policies::limit`): recorded
/// as an action that is never put back.
pub struct Set<'a> {
    pub org_id: i64,
    pub api_key_id: i64,
    pub via_key_id: i64,
    pub before: String,
    pub after: String,
    pub target_limit: Money,
    pub target_reset: Option<&'a str>,
}

/// Its id.
pub async fn record_set(db: &D1Database, set: &Set<'_>, now: &str) -> AppResult<i64> {
    super::first_id(
        db,
        "INSERT INTO key_actions (org_id, api_key_id, budget_id, budget_label, trigger_label, action,
             dry_run, period_start, period_end, target_limit, target_reset, state, before, after,
             via_key_id, created_at, updated_at)
         VALUES (?1, ?2, NULL, 'set by you', 'one click', 'limit', 0, ?3, ?3, ?4, ?5, 'set', ?6, ?7, ?8, ?3, ?3)
         RETURNING id",
        args![
            set.org_id,
            set.api_key_id,
            now,
            set.target_limit,
            set.target_reset,
            set.before.as_str(),
            set.after.as_str(),
            set.via_key_id
        ],
    )
    .await?
    .ok_or_else(|| crate::error::AppError::internal("the action was not recorded"))
}
