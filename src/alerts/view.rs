//! A budget as the API shows it (docs/alerts.md): its terms, where it stands
//! in the current period, and its runway.

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::assess::{assess, BudgetDef, Source};
use super::period::Period;
use super::runway::{Outlook, Runway};
use super::standing::AccountStanding;
use super::thresholds::percent_of;
use crate::domain::money::Money;

// Whether a budget covers one key or the whole account.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Key,
    Account,
}

// A threshold already alerted, in whole percent of the amount.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(transparent)]
#[schema(minimum = 1, maximum = 100)]
pub struct FiredThreshold(u8);

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Budget, description = "A budget: the user's (`source: budget`), or a key's OpenRouter limit (`source: openrouter_limit`, `id` null, not editable).")]
pub struct BudgetView {
    #[schema(minimum = 1, maximum = 9007199254740991_i64, required = true)]
    pub id: Option<i64>,
    #[schema(inline)]
    pub source: Source,
    #[schema(inline)]
    pub scope: Scope,
    #[schema(minimum = 1, maximum = 9007199254740991_i64, required = true)]
    pub api_key_id: Option<i64>,
    #[schema(required = true)]
    pub api_key_name: Option<String>,
    pub amount: Money,
    pub period: Period,
    #[schema(value_type = vocabulary::schemas::Thresholds)]
    pub thresholds: Vec<u8>,
    #[schema(value_type = vocabulary::schemas::NullableTimestamp, required = true)]
    pub created_at: Option<String>,
    #[schema(value_type = vocabulary::schemas::NullableTimestamp, required = true)]
    pub updated_at: Option<String>,
    /// What the budget does to its keys besides alerting (docs/policies.md); implicit budgets only notify.
    #[schema(inline)]
    pub action: crate::policies::Action,
    /// The percentage of the amount at which the action is taken; null: on projected exhaustion (or `notify`).
    #[schema(required = true, minimum = 1, maximum = 100)]
    pub action_at: Option<u8>,
    /// true: the action is recorded, never taken.
    pub dry_run: bool,
    /// true: the action is also taken when a spend spike starts on a key the budget covers (docs/alerts.md), whatever its spend.
    pub action_on_spike: bool,
    /// Null until a snapshot exists.
    #[schema(required = true)]
    pub status: Option<StatusView>,
    /// Null without two snapshots an hour apart in the last 7 days.
    #[schema(required = true)]
    pub runway: Option<Runway>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BudgetStatus, description = "Where the budget stands in its current period, from the latest snapshots.")]
pub struct StatusView {
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    pub as_of: String,
    #[schema(value_type = vocabulary::schemas::NullableTimestamp, required = true)]
    pub period_start: Option<String>,
    #[schema(value_type = vocabulary::schemas::NullableTimestamp, required = true)]
    pub period_end: Option<String>,
    pub spent: Money,
    pub remaining: Money,
    #[schema(value_type = vocabulary::schemas::Percent)]
    pub percent_used: Decimal,
    /// Thresholds already alerted in this period.
    #[schema(inline)]
    pub fired: Vec<FiredThreshold>,
}

pub fn budget_view(budget: &BudgetDef, standing: &AccountStanding) -> BudgetView {
    let assessment = assess(budget, &standing.keys);
    let marks = standing.marks.get(&budget.subject());
    let status = assessment.as_ref().map(|a| {
        let current = marks.filter(|m| m.terms == budget.terms() && m.period == a.window.label());
        StatusView {
            as_of: crate::clock::timestamp(a.as_of),
            period_start: a.window.start.map(crate::clock::timestamp),
            period_end: a.window.end.map(crate::clock::timestamp),
            spent: a.spent,
            remaining: budget
                .amount
                .checked_sub(a.spent)
                .filter(|r| *r > Money::ZERO)
                .unwrap_or(Money::ZERO),
            percent_used: percent_of(a.spent, budget.amount),
            fired: budget
                .thresholds
                .as_slice()
                .iter()
                .copied()
                .filter(|p| current.is_some_and(|m| *p <= m.fired_percent))
                .map(FiredThreshold)
                .collect(),
        }
    });
    BudgetView {
        id: budget.id,
        source: budget.source,
        scope: if budget.api_key_id.is_some() {
            Scope::Key
        } else {
            Scope::Account
        },
        api_key_id: budget.api_key_id,
        api_key_name: standing.key_name(budget.api_key_id).map(str::to_owned),
        amount: budget.amount,
        period: budget.period,
        thresholds: budget.thresholds.as_slice().to_vec(),
        created_at: budget.created_at.clone(),
        updated_at: budget.updated_at.clone(),
        action: budget.policy.action,
        action_at: budget.policy.at_percent,
        dry_run: budget.policy.dry_run,
        action_on_spike: budget.policy.on_spike,
        status,
        runway: assessment.and_then(|a| a.runway),
    }
}

pub fn all(standing: &AccountStanding) -> Vec<BudgetView> {
    standing
        .budgets
        .iter()
        .map(|b| budget_view(b, standing))
        .collect()
}

/// One key's budgets, and the runway of the one whose amount is reached
/// first (an exceeded budget first of all).
pub fn of_key(standing: &AccountStanding, api_key_id: i64) -> (Vec<BudgetView>, Option<Runway>) {
    let views: Vec<BudgetView> = standing
        .budgets
        .iter()
        .filter(|b| b.api_key_id == Some(api_key_id))
        .map(|b| budget_view(b, standing))
        .collect();
    let first = views
        .iter()
        .filter_map(|v| v.runway.as_ref())
        .min_by_key(|r| match r.status {
            Outlook::Exceeded => (0, String::new()),
            Outlook::WillExceed => (1, r.reached_at.clone().unwrap_or_default()),
            Outlook::OnTrack => (2, String::new()),
            Outlook::Idle => (3, String::new()),
        })
        .cloned();
    (views, first)
}
