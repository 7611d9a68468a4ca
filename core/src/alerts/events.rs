//! What an alert says: its event (`domain::event`) and its sentence.

use serde_json::json;

use super::assess::{Assessment, BudgetDef};
use super::marks::Alert;
use super::thresholds::percent_of;
pub use crate::domain::event::NewEvent;
use crate::domain::money::Money;

pub const THRESHOLD_REACHED: &str = "budget.threshold_reached";
pub const PROJECTED_EXHAUSTION: &str = "budget.projected_exhaustion";
pub const RECOVERED: &str = "budget.recovered";
pub const WOKE_UP: &str = "key.woke_up";

/// The budget's owner as a sentence starts: `Key “Production”`.
fn whose(key_name: Option<&str>) -> String {
    match key_name {
        Some(name) => format!("Key “{name}”"),
        None => "Your account".to_owned(),
    }
}

fn what(budget: &BudgetDef) -> String {
    let amount = budget.amount;
    match (budget.source, budget.period) {
        (super::assess::Source::OpenrouterLimit, super::period::Period::Lifetime) => {
            format!("OpenRouter limit of {amount} USD")
        }
        (super::assess::Source::OpenrouterLimit, period) => {
            format!("{} OpenRouter limit of {amount} USD", period.as_str())
        }
        (_, period) => format!("{amount} USD {} budget", period.as_str()),
    }
}

/// Day and minute, UTC, for sentences: `2026-12-02 08:00 UTC`.
fn minute(timestamp: &str) -> String {
    crate::clock::parse_timestamp(timestamp)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| timestamp.to_owned())
}

pub fn budget_event(
    budget: &BudgetDef,
    key_name: Option<&str>,
    state: &Assessment,
    alert: &Alert,
    dedup_key: String,
) -> NewEvent {
    let reached_at = match alert {
        Alert::ProjectedExhaustion => state.runway.as_ref().and_then(|r| r.reached_at.clone()),
        _ => None,
    };
    let (kind, threshold, previous_period) = match alert {
        Alert::Threshold(p) => (THRESHOLD_REACHED, Some(*p), None),
        Alert::ProjectedExhaustion => (PROJECTED_EXHAUSTION, None, None),
        Alert::Recovered { previous_period } => (RECOVERED, None, Some(previous_period.clone())),
    };
    NewEvent {
        dedup_key,
        kind,
        api_key_id: budget.api_key_id,
        payload: json!({
            "type": kind,
            "message": sentence(budget, key_name, state, alert),
            "api_key_id": budget.api_key_id,
            "api_key_name": key_name,
            "budget_id": budget.id,
            "source": budget.source,
            "scope": if budget.api_key_id.is_some() { "key" } else { "account" },
            "period": budget.period,
            "period_start": state.window.start.map(crate::clock::timestamp),
            "period_end": state.window.end.map(crate::clock::timestamp),
            "previous_period_start": previous_period,
            "threshold": threshold,
            "amount": budget.amount,
            "spent": state.spent,
            "percent_used": percent_of(state.spent, budget.amount),
            "reached_at": reached_at,
        }),
    }
}

/// What the alert says, in a sentence a person reads in Slack.
fn sentence(
    budget: &BudgetDef,
    key_name: Option<&str>,
    state: &Assessment,
    alert: &Alert,
) -> String {
    let who = whose(key_name);
    let what = what(budget);
    let spent = state.spent;
    match alert {
        Alert::Threshold(p) => {
            let used = percent_of(spent, budget.amount);
            format!("{who} has used {used}% of its {what} ({spent} USD spent; threshold {p}%).")
        }
        Alert::ProjectedExhaustion => {
            let reached = state.runway.as_ref().and_then(|r| r.reached_at.as_deref());
            let resets = state.window.end.map(crate::clock::timestamp);
            format!(
                "At the current rate, {} reaches its {what} on {}, before it resets on {} ({spent} USD spent so far).",
                lower_first(&who),
                reached.map(minute).unwrap_or_default(),
                resets.as_deref().map(minute).unwrap_or_default(),
            )
        }
        Alert::Recovered { .. } => format!(
            "A new {} period began: the alerts of the {what} of {} are re-armed.",
            budget.period.as_str(),
            lower_first(&who)
        ),
    }
}

/// `silent_since`: when the key last spent before it woke up. It names the
/// wake-up, so evaluations of different snapshots of it (two runs at once)
/// store one event.
pub fn woke_up_event(
    api_key_id: i64,
    key_name: &str,
    silent_days: i64,
    usage: Money,
    silent_since: &str,
) -> NewEvent {
    let message = format!(
        "Key “{key_name}” is spending again after {silent_days} days without spend. If nobody expected it, revoke it on OpenRouter."
    );
    NewEvent {
        dedup_key: format!("woke:{api_key_id}|{silent_since}"),
        kind: WOKE_UP,
        api_key_id: Some(api_key_id),
        payload: json!({
            "type": WOKE_UP,
            "message": message,
            "api_key_id": api_key_id,
            "api_key_name": key_name,
            "silent_days": silent_days,
            "usage": usage,
        }),
    }
}

/// `Key …` → `key …` inside a sentence; `Your account` → `your account`.
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
