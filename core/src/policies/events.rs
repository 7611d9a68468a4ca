//! What a policy's action tells people: `key.disabled`, `key.enabled`,
//! `key.limit_changed` and `policy.failed`, each with the key's settings
//! before and after (never a secret: OpenRouter's settings only).

use serde_json::json;

use super::KeySettings;
pub use crate::domain::event::NewEvent;

pub const DISABLED: &str = "key.disabled";
pub const ENABLED: &str = "key.enabled";
pub const LIMIT_CHANGED: &str = "key.limit_changed";
pub const FAILED: &str = "policy.failed";

/// One action, as every event about it names it.
#[derive(Debug, Clone)]
pub struct ActionFacts<'a> {
    pub action_id: i64,
    pub action: &'a str,
    pub api_key_id: i64,
    pub key_name: &'a str,
    pub budget_id: Option<i64>,
    /// `10 USD monthly budget`.
    pub budget_label: &'a str,
    /// `80 %`, `projected exhaustion`.
    pub trigger: &'a str,
    /// When the product puts the key back (the period's end).
    pub restore_at: &'a str,
}

/// What happened to the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The action was taken.
    Applied,
    /// The period ended: what the action changed was put back.
    Restored,
    /// A person undid it from the dashboard.
    Undone,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::Applied => "applied",
            Step::Restored => "restored",
            Step::Undone => "undone",
        }
    }
}

/// Day and minute, UTC, for sentences.
fn minute(timestamp: &str) -> String {
    crate::clock::parse_timestamp(timestamp)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| timestamp.to_owned())
}

/// The key's settings changed by the product: applied, restored or undone.
pub fn changed(
    facts: &ActionFacts<'_>,
    step: Step,
    before: &KeySettings,
    after: &KeySettings,
) -> NewEvent {
    let kind = if before.disabled != after.disabled {
        if after.disabled {
            DISABLED
        } else {
            ENABLED
        }
    } else {
        LIMIT_CHANGED
    };
    let name = facts.key_name;
    let why = format!("{}, {}", facts.budget_label, facts.trigger);
    let message = match (kind, step) {
        (DISABLED, _) => format!(
            "Key “{name}” was disabled on OpenRouter by policy ({why}) until {}.",
            minute(facts.restore_at)
        ),
        (ENABLED, Step::Undone) => {
            format!("Key “{name}” was enabled again on OpenRouter (undone by you).")
        }
        (ENABLED, _) => {
            format!("Key “{name}” was enabled again on OpenRouter: the budget's period ended.")
        }
        (_, Step::Applied) => format!(
            "Key “{name}” now has an OpenRouter limit of {} USD {} by policy ({why}) until {}.",
            money(after),
            after.limit_reset.as_deref().unwrap_or("lifetime"),
            minute(facts.restore_at)
        ),
        (_, _) => format!(
            "Key “{name}”'s OpenRouter limit is back to {}.",
            limit_text(after)
        ),
    };
    event(
        facts,
        kind,
        step.as_str(),
        message,
        Some((before, after)),
        None,
    )
}

/// The action could not be taken (or put back); `reason` says why.
pub fn failed(facts: &ActionFacts<'_>, reason: &str) -> NewEvent {
    let message = format!(
        "Policy on key “{}” ({}, {}) could not {}: {reason}.",
        facts.key_name, facts.budget_label, facts.trigger, facts.action
    );
    event(facts, FAILED, "failed", message, None, Some(reason))
}

fn money(settings: &KeySettings) -> String {
    settings.limit.map(|m| m.to_string()).unwrap_or_default()
}

fn limit_text(settings: &KeySettings) -> String {
    match settings.limit {
        Some(limit) => format!(
            "{limit} USD {}",
            settings.limit_reset.as_deref().unwrap_or("lifetime")
        ),
        None => "none".to_owned(),
    }
}

fn event(
    facts: &ActionFacts<'_>,
    kind: &'static str,
    step: &str,
    message: String,
    change: Option<(&KeySettings, &KeySettings)>,
    reason: Option<&str>,
) -> NewEvent {
    NewEvent {
        dedup_key: format!("action:{}:{step}", facts.action_id),
        kind,
        api_key_id: Some(facts.api_key_id),
        payload: json!({
            "type": kind,
            "message": message,
            "api_key_id": facts.api_key_id,
            "api_key_name": facts.key_name,
            "budget_id": facts.budget_id,
            "action_id": facts.action_id,
            "action": facts.action,
            "step": step,
            "budget": facts.budget_label,
            "trigger": facts.trigger,
            "restore_at": facts.restore_at,
            "before": change.map(|c| c.0),
            "after": change.map(|c| c.1),
            "reason": reason,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::usd;

    fn facts() -> ActionFacts<'static> {
        ActionFacts {
            action_id: 4,
            action: "disable",
            api_key_id: 7,
            key_name: "Production",
            budget_id: Some(3),
            budget_label: "10 USD monthly budget",
            trigger: "80 %",
            restore_at: "2027-01-01T00:00:00Z",
        }
    }

    #[test]
    fn an_event_names_the_change_with_both_settings() {
        let on = KeySettings {
            disabled: false,
            limit: None,
            limit_reset: None,
        };
        let off = KeySettings {
            disabled: true,
            ..on.clone()
        };
        let e = changed(&facts(), Step::Applied, &on, &off);
        assert_eq!(e.kind, DISABLED);
        assert_eq!(e.dedup_key, "action:4:applied");
        assert_eq!(
            e.payload["message"],
            "Key “Production” was disabled on OpenRouter by policy (10 USD monthly budget, 80 %) until 2027-01-01 00:00 UTC."
        );
        assert_eq!(e.payload["before"]["disabled"], false);
        assert_eq!(e.payload["after"]["disabled"], true);
        assert_eq!(changed(&facts(), Step::Undone, &off, &on).kind, ENABLED);

        let limited = KeySettings {
            limit: Some(usd("10")),
            limit_reset: Some("monthly".into()),
            ..on.clone()
        };
        let e = changed(&facts(), Step::Applied, &on, &limited);
        assert_eq!(e.kind, LIMIT_CHANGED);
        assert_eq!(e.payload["after"]["limit"], "10");
        let f = failed(&facts(), "OpenRouter unavailable (HTTP 503) after retries");
        assert_eq!(f.kind, FAILED);
        assert_eq!(f.payload["before"], serde_json::Value::Null);
    }
}
