//! A budget's policy as a request sets it, checked against what can work:
//! an action needs a management key to act through, and `limit` one key.

use crate::auth::session::AuthUser;
use crate::error::{AppError, AppResult};
use crate::policies::{Action, Policy};
use crate::store::budgets::{BudgetRow, PolicyColumns};

/// The policy fields of a budget request (absent: unchanged, or the default
/// for a new budget).
pub struct Requested<'a> {
    pub action: Option<&'a str>,
    /// `Some(None)`: act on projected exhaustion.
    pub action_at: Option<Option<i64>>,
    pub dry_run: Option<bool>,
    pub action_on_spike: Option<bool>,
}

/// Where an action with no `action_at` acts: when the amount is reached.
const DEFAULT_AT: u8 = 100;

/// The policy a request leaves the budget with, from `current` (`None` for
/// a new budget). `has_management_key`: whether the account can act at all.
pub fn resolve(
    requested: &Requested<'_>,
    current: Option<&BudgetRow>,
    key_scoped: bool,
    has_management_key: bool,
) -> AppResult<Policy> {
    let action = match (requested.action, current) {
        (Some(text), _) => Action::parse("action", text)?,
        (None, Some(row)) => Action::parse("action", &row.action)?,
        (None, None) => Action::Notify,
    };
    let at_percent = match (requested.action_at, current) {
        (Some(Some(p)), _) => Some(
            u8::try_from(p)
                .ok()
                .filter(|p| (1..=100).contains(p))
                .ok_or_else(|| AppError::invalid("action_at", "must be 1 to 100, or null"))?,
        ),
        (Some(None), _) => None,
        (None, Some(row)) => row.action_at.and_then(|p| u8::try_from(p).ok()),
        (None, None) => Some(DEFAULT_AT),
    };
    let dry_run = requested
        .dry_run
        .unwrap_or_else(|| current.is_some_and(|row| row.dry_run != 0));
    // Asked for in this request, a spike trigger needs an action; kept from
    // before, it lapses with the action (a notify-only budget never acts).
    let on_spike = match (requested.action_on_spike, current) {
        (Some(true), _) if action == Action::Notify => {
            return Err(AppError::invalid(
                "action_on_spike",
                "acts with the budget's action: set \"action\" to \"disable\" or \"limit\"",
            ))
        }
        (Some(asked), _) => asked,
        (None, Some(row)) => row.action_on_spike != 0 && action != Action::Notify,
        (None, None) => false,
    };
    if action != Action::Notify && !has_management_key {
        return Err(AppError::invalid(
            "action",
            "a policy acts on OpenRouter keys through your management key: add one \
             (Keys, kind \"management\") first, or keep \"notify\"",
        ));
    }
    if action == Action::Limit && !key_scoped {
        return Err(AppError::invalid(
            "action",
            "\"limit\" sets one key's OpenRouter limit: put it on a key's budget, \
             or use \"disable\" for the account",
        ));
    }
    Ok(Policy {
        action,
        at_percent,
        dry_run,
        on_spike,
    })
}

/// As stored.
pub fn columns(policy: &Policy) -> PolicyColumns<'static> {
    PolicyColumns {
        action: policy.action.as_str(),
        action_at: policy.at_percent.map(i64::from),
        dry_run: policy.dry_run,
        on_spike: policy.on_spike,
    }
}

pub fn requested(
    action: &Option<String>,
    action_at: Option<Option<i64>>,
    dry_run: Option<bool>,
    action_on_spike: Option<bool>,
) -> Requested<'_> {
    Requested {
        action: action.as_deref(),
        action_at,
        dry_run,
        action_on_spike,
    }
}

pub async fn policy_of(
    db: &worker::D1Database,
    user: &AuthUser,
    asked: &Requested<'_>,
    current: Option<&BudgetRow>,
    api_key_id: Option<i64>,
) -> AppResult<Policy> {
    let acts = asked.action.is_some_and(|a| a != "notify")
        || (asked.action.is_none() && current.is_some_and(|row| row.action != "notify"));
    let has_management_key = acts
        && crate::store::api_keys::management_key_id(db, user.org_id)
            .await?
            .is_some();
    resolve(asked, current, api_key_id.is_some(), has_management_key)
}
