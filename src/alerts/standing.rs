//! An account's budgets as the pure modules see them, read from D1 in one
//! batch: the explicit budgets, the implicit ones (OpenRouter limits), each
//! key's latest snapshot and burn basis, and the marks of past alerts.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use worker::D1Database;

use super::assess::{implicit_budgets, BudgetDef, KeyState, Latest, Source};
use super::marks::Marks;
use super::period::{Counters, Period};
use super::runway::Point;
use super::thresholds::Thresholds;
use crate::clock::parse_timestamp;
use crate::error::{AppError, AppResult};
use crate::policies::{Action, Policy};
use crate::store::budgets::{self, BudgetRow, KeyStateRow, MarksRow};

pub struct AccountStanding {
    pub keys: Vec<KeyState>,
    /// The user's budgets, then the implicit ones.
    pub budgets: Vec<BudgetDef>,
    pub marks: HashMap<String, Marks>,
}

impl AccountStanding {
    pub fn key_name(&self, api_key_id: Option<i64>) -> Option<&str> {
        let id = api_key_id?;
        self.keys
            .iter()
            .find(|k| k.api_key_id == id)
            .map(|k| k.name.as_str())
    }
}

pub async fn load(db: &D1Database, org_id: i64, now: DateTime<Utc>) -> AppResult<AccountStanding> {
    let since = crate::clock::timestamp(super::assess::burn_scan_start(now));
    let rows = budgets::standing(db, org_id, &since, super::runway::WINDOW_DAYS).await?;
    let keys: Vec<KeyState> = rows.keys.into_iter().map(key_state).collect();
    let mut defs = rows
        .budgets
        .into_iter()
        .map(budget_def)
        .collect::<AppResult<Vec<_>>>()?;
    defs.extend(implicit_budgets(&keys, &defs));
    Ok(AccountStanding {
        keys,
        budgets: defs,
        marks: rows
            .marks
            .into_iter()
            .map(marks)
            .map(|m| (m.0, m.1))
            .collect(),
    })
}

pub fn budget_def(row: BudgetRow) -> AppResult<BudgetDef> {
    let corrupt =
        |what: &str| AppError::internal(format!("budget {}: stored {what} unreadable", row.id));
    Ok(BudgetDef {
        id: Some(row.id),
        source: Source::Budget,
        api_key_id: row.api_key_id,
        amount: row.amount,
        period: Period::parse("period", &row.period).map_err(|_| corrupt("period"))?,
        thresholds: Thresholds::from_text(&row.thresholds).ok_or_else(|| corrupt("thresholds"))?,
        created_at: Some(row.created_at),
        updated_at: Some(row.updated_at),
        policy: Policy {
            action: Action::parse("action", &row.action).map_err(|_| corrupt("action"))?,
            at_percent: match row.action_at {
                Some(p) => Some(u8::try_from(p).map_err(|_| corrupt("action_at"))?),
                None => None,
            },
            dry_run: row.dry_run != 0,
            on_spike: row.action_on_spike != 0,
        },
    })
}

fn key_state(row: KeyStateRow) -> KeyState {
    let taken_at = row.taken_at.as_deref().and_then(parse_timestamp);
    let latest = match (taken_at, row.usage) {
        (Some(taken_at), Some(usage)) => Some(Latest {
            counters: Counters {
                usage,
                daily: row.usage_daily.unwrap_or_default(),
                weekly: row.usage_weekly.unwrap_or_default(),
                monthly: row.usage_monthly.unwrap_or_default(),
            },
            observed_at: row
                .served_at
                .as_deref()
                .and_then(parse_timestamp)
                .unwrap_or(taken_at),
            taken_at,
            limit: row.credit_limit,
            limit_reset: row.limit_reset,
        }),
        _ => None,
    };
    let oldest = match (
        row.oldest_observed_at.as_deref().and_then(parse_timestamp),
        row.oldest_usage,
    ) {
        (Some(at), Some(usage)) => Some(Point { at, usage }),
        _ => None,
    };
    KeyState {
        api_key_id: row.api_key_id,
        name: row.name,
        latest,
        oldest,
    }
}

fn marks(row: MarksRow) -> (String, Marks) {
    (
        row.subject,
        Marks {
            terms: row.terms,
            armed_at: row.armed_at,
            period: row.period_start,
            fired_percent: u8::try_from(row.fired_percent).unwrap_or(100),
            projection_alerted: row.projection_alerted != 0,
        },
    )
}
