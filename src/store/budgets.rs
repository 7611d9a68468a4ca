//! `budgets` and what budgets are read against: each key's latest snapshot
//! and the oldest one of the burn window, and the marks of what was alerted.

use serde::Deserialize;
use worker::D1Database;

use super::{money_text, money_text_opt};
use crate::args;
use crate::domain::money::Money;
use crate::error::AppResult;

#[derive(Debug, Clone, Deserialize)]
pub struct BudgetRow {
    pub id: i64,
    pub api_key_id: Option<i64>,
    #[serde(deserialize_with = "money_text")]
    pub amount: Money,
    pub period: String,
    pub thresholds: String,
    pub created_at: String,
    pub updated_at: String,
    pub action: String,
    pub action_at: Option<i64>,
    pub dry_run: i64,
    pub action_on_spike: i64,
}

/// A key of the account with its latest snapshot (columns NULL when none)
/// and the oldest snapshot of the burn window: the last `window_days` before
/// the latest, on OpenRouter's clock, like the periods.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyStateRow {
    pub api_key_id: i64,
    pub name: String,
    pub taken_at: Option<String>,
    pub served_at: Option<String>,
    #[serde(deserialize_with = "money_text_opt")]
    pub usage: Option<Money>,
    #[serde(deserialize_with = "money_text_opt")]
    pub usage_daily: Option<Money>,
    #[serde(deserialize_with = "money_text_opt")]
    pub usage_weekly: Option<Money>,
    #[serde(deserialize_with = "money_text_opt")]
    pub usage_monthly: Option<Money>,
    #[serde(deserialize_with = "money_text_opt")]
    pub credit_limit: Option<Money>,
    pub limit_reset: Option<String>,
    /// The oldest snapshot's time on OpenRouter's clock (the Worker's when
    /// unknown), like the latest's `served_at`.
    pub oldest_observed_at: Option<String>,
    #[serde(deserialize_with = "money_text_opt")]
    pub oldest_usage: Option<Money>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MarksRow {
    pub subject: String,
    pub terms: String,
    pub armed_at: String,
    pub period_start: String,
    pub fired_percent: i64,
    pub projection_alerted: i64,
}

const COLUMNS: &str =
    "id, api_key_id, CAST(amount AS TEXT) AS amount, period, thresholds, created_at, updated_at,
     action, action_at, dry_run, action_on_spike";

/// Everything a user's budgets are assessed from, in one batch: budgets,
/// keys with their snapshots, marks.
pub struct Standing {
    pub budgets: Vec<BudgetRow>,
    pub keys: Vec<KeyStateRow>,
    pub marks: Vec<MarksRow>,
}

/// `window_days`: the burn window, counted back from each key's newest
/// snapshot on OpenRouter's clock; `scan_since`: a bound on the Worker's
/// clock (indexed) a little wider than the window, so the index does the
/// work whatever small skew the two clocks have.
pub async fn standing(
    db: &D1Database,
    org_id: i64,
    scan_since: &str,
    window_days: i64,
) -> AppResult<Standing> {
    let statements = vec![
        super::statement(
            db,
            &format!("SELECT {COLUMNS} FROM budgets WHERE org_id = ?1 ORDER BY api_key_id IS NOT NULL, api_key_id, id"),
            args![org_id],
        )?,
        super::statement(
            db,
            "SELECT k.id AS api_key_id, k.name, s.taken_at, s.served_at,
                    CAST(s.usage AS TEXT) AS usage, CAST(s.usage_daily AS TEXT) AS usage_daily,
                    CAST(s.usage_weekly AS TEXT) AS usage_weekly,
                    CAST(s.usage_monthly AS TEXT) AS usage_monthly,
                    CAST(s.credit_limit AS TEXT) AS credit_limit, s.limit_reset,
                    COALESCE(o.served_at, o.taken_at) AS oldest_observed_at,
                    CAST(o.usage AS TEXT) AS oldest_usage
             FROM api_keys k
             LEFT JOIN key_snapshots s ON s.id =
                 (SELECT id FROM key_snapshots WHERE api_key_id = k.id ORDER BY taken_at DESC, id DESC LIMIT 1)
             LEFT JOIN key_snapshots o ON o.id =
                 (SELECT id FROM key_snapshots WHERE api_key_id = k.id AND taken_at >= ?2
                    AND COALESCE(served_at, taken_at) >= strftime('%Y-%m-%dT%H:%M:%SZ',
                        COALESCE(s.served_at, s.taken_at), '-' || ?3 || ' days')
                  ORDER BY taken_at ASC, id ASC LIMIT 1)
             WHERE k.org_id = ?1 ORDER BY k.id",
            args![org_id, scan_since, window_days],
        )?,
        super::statement(
            db,
            "SELECT subject, terms, armed_at, period_start, fired_percent, projection_alerted
             FROM alert_marks WHERE org_id = ?1",
            args![org_id],
        )?,
    ];
    let results = super::batch_results(db, statements).await?;
    let [budgets, keys, marks] = results.as_slice() else {
        return Err(crate::error::AppError::internal(
            "D1 batch: 3 results expected",
        ));
    };
    Ok(Standing {
        budgets: budgets.results().map_err(super::db_error)?,
        keys: keys.results().map_err(super::db_error)?,
        marks: marks.results().map_err(super::db_error)?,
    })
}

pub async fn get(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<BudgetRow>> {
    super::first(
        db,
        &format!("SELECT {COLUMNS} FROM budgets WHERE id = ?1 AND org_id = ?2"),
        args![id, org_id],
    )
    .await
}

pub struct NewBudget<'a> {
    pub org_id: i64,
    pub api_key_id: Option<i64>,
    pub amount: Money,
    pub period: &'a str,
    pub thresholds: &'a str,
    pub policy: PolicyColumns<'a>,
}

impl BudgetRow {
    /// Its policy columns.
    pub fn policy(&self) -> PolicyColumns<'_> {
        PolicyColumns {
            action: &self.action,
            action_at: self.action_at,
            dry_run: self.dry_run != 0,
            on_spike: self.action_on_spike != 0,
        }
    }
}

/// A budget's policy as stored (`policies::Policy`).
pub struct PolicyColumns<'a> {
    pub action: &'a str,
    pub action_at: Option<i64>,
    pub dry_run: bool,
    pub on_spike: bool,
}

/// The new row; `None` when `api_key_id` is not a key of the user or the
/// user already has `max` budgets (both checked in the same statement). A
/// second budget for one scope and period breaks `budgets_scope_period`
/// ([`super::Unique::BudgetOfScope`]).
pub async fn insert(
    db: &D1Database,
    new: &NewBudget<'_>,
    max: i64,
    now: &str,
) -> AppResult<Option<BudgetRow>> {
    super::first(
        db,
        &format!(
            "INSERT INTO budgets (org_id, api_key_id, amount, period, thresholds, created_at, updated_at,
                 action, action_at, dry_run, action_on_spike)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?6, ?8, ?9, ?10, ?11
             WHERE (?2 IS NULL OR EXISTS (SELECT 1 FROM api_keys WHERE id = ?2 AND org_id = ?1))
               AND (SELECT COUNT(*) FROM budgets WHERE org_id = ?1) < ?7
             RETURNING {COLUMNS}"
        ),
        args![
            new.org_id,
            new.api_key_id,
            new.amount,
            new.period,
            new.thresholds,
            now,
            max,
            new.policy.action,
            new.policy.action_at,
            new.policy.dry_run,
            new.policy.on_spike
        ],
    )
    .await
}

pub async fn count(db: &D1Database, org_id: i64) -> AppResult<i64> {
    super::count(
        db,
        "SELECT COUNT(*) AS n FROM budgets WHERE org_id = ?1",
        args![org_id],
    )
    .await
}

/// Changes the terms (and policy); the budget's marks go (it is re-armed).
/// `terms.org_id` and `terms.api_key_id` are not changed.
pub async fn update(db: &D1Database, id: i64, terms: &NewBudget<'_>, now: &str) -> AppResult<bool> {
    let (org_id, policy) = (terms.org_id, &terms.policy);
    let changed = super::batch(
        db,
        vec![
            super::statement(
                db,
                "UPDATE budgets SET amount = ?3, period = ?4, thresholds = ?5, updated_at = ?6,
                     action = ?7, action_at = ?8, dry_run = ?9, action_on_spike = ?10
                 WHERE id = ?1 AND org_id = ?2",
                args![
                    id,
                    org_id,
                    terms.amount,
                    terms.period,
                    terms.thresholds,
                    now,
                    policy.action,
                    policy.action_at,
                    policy.dry_run,
                    policy.on_spike
                ],
            )?,
            super::statement(
                db,
                "DELETE FROM alert_marks WHERE budget_id = ?1 AND org_id = ?2",
                args![id, org_id],
            )?,
        ],
    )
    .await?;
    Ok(changed > 0)
}

/// The deleted row; `None` when the user has no such budget.
pub async fn delete(db: &D1Database, org_id: i64, id: i64) -> AppResult<Option<BudgetRow>> {
    super::first(
        db,
        &format!("DELETE FROM budgets WHERE id = ?1 AND org_id = ?2 RETURNING {COLUMNS}"),
        args![id, org_id],
    )
    .await
}
