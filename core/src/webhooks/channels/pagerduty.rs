//! A PagerDuty Events API v2 alert event, posted to
//! `https://events.pagerduty.com/v2/enqueue` (the webhook's URL).
//!
//! https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ and
//! https://developer.pagerduty.com/docs/events-api-v2/resolve-events/:
//! `routing_key` (the integration key), `event_action` `trigger` |
//! `acknowledge` | `resolve`, `dedup_key` (≤ 255 characters); for a
//! trigger `payload.summary` (≤ 1,024), `payload.source`,
//! `payload.severity` `critical` | `error` | `warning` | `info`, and
//! optional `timestamp`, `component`, `group`, `class`, `custom_details`.
//!
//! One incident per budget and period, or per policy action: a threshold or
//! projection triggers `orw:budget:<budget>:<period start>` and the next
//! period's `budget.recovered` resolves it; a policy action triggers
//! `orw:action:<id>` and putting the key back (restored, undone) resolves
//! it. Any other event triggers an incident of its own
//! (`orw:event:<id>`).

use serde_json::Value;

use super::{cut, obj, View};

pub const SUMMARY_MAX: usize = 1024;
pub const DEDUP_KEY_MAX: usize = 255;

/// `trigger` or `resolve`, and the incident's key.
pub fn action_and_key(view: &View<'_>) -> (&'static str, String) {
    let field = |name: &str| -> Option<String> {
        match view.event.get(name)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    };
    if let Some(action) = field("action_id") {
        let resolved = matches!(field("step").as_deref(), Some("restored" | "undone"));
        return (
            if resolved { "resolve" } else { "trigger" },
            format!("orw:action:{action}"),
        );
    }
    let budget = field("budget_id").or_else(|| field("api_key_id").map(|key| format!("key-{key}")));
    let recovered = view.kind == "budget.recovered";
    let start = if recovered {
        field("previous_period_start")
    } else {
        field("period_start")
    };
    if let (true, Some(budget), Some(start)) = (view.kind.starts_with("budget."), budget, start) {
        let action = if recovered { "resolve" } else { "trigger" };
        return (
            action,
            cut(&format!("orw:budget:{budget}:{start}"), DEDUP_KEY_MAX),
        );
    }
    ("trigger", format!("orw:event:{}", view.id))
}

pub fn event(view: &View<'_>, routing_key: &str) -> Value {
    let (action, dedup_key) = action_and_key(view);
    let mut event = vec![
        ("routing_key", Value::from(routing_key)),
        ("event_action", action.into()),
        ("dedup_key", dedup_key.into()),
    ];
    if action == "trigger" {
        let source = view
            .event
            .get("api_key_name")
            .and_then(Value::as_str)
            .map_or_else(
                || "OpenRouter account".to_owned(),
                |name| format!("OpenRouter key {name}"),
            );
        let mut payload = vec![
            ("summary", Value::from(cut(&view.text, SUMMARY_MAX))),
            ("source", cut(&source, 255).into()),
            ("severity", view.severity.as_str().into()),
            ("component", "openrouter-watcher".into()),
            ("group", crate::domain::severity::family(view.kind).into()),
            ("class", view.kind.into()),
            ("custom_details", view.event.clone()),
        ];
        if !view.created_at.is_empty() {
            payload.push(("timestamp", view.created_at.into()));
        }
        event.push(("payload", obj(payload)));
        event.push(("client", "OpenRouter Watcher".into()));
    }
    obj(event)
}

#[cfg(test)]
mod tests {
    use super::super::{fixtures, render, WebhookFormat};
    use super::*;

    const KEY: &str = "R0123456789abcdef0123456789abcde";

    /// The documented required fields and enumerations (see the module's links).
    fn check(body: &Value) {
        assert_eq!(body["routing_key"], KEY);
        let action = body["event_action"].as_str().unwrap();
        assert!(["trigger", "acknowledge", "resolve"].contains(&action));
        let dedup = body["dedup_key"].as_str().unwrap();
        assert!(!dedup.is_empty() && dedup.chars().count() <= DEDUP_KEY_MAX);
        if action == "trigger" {
            let p = &body["payload"];
            let summary = p["summary"].as_str().unwrap();
            assert!(!summary.is_empty() && summary.chars().count() <= SUMMARY_MAX);
            assert!(!p["source"].as_str().unwrap().is_empty());
            assert!(
                ["critical", "error", "warning", "info"].contains(&p["severity"].as_str().unwrap())
            );
            assert!(p["custom_details"].is_object());
            assert!(crate::clock::parse_timestamp(p["timestamp"].as_str().unwrap()).is_some());
        }
    }

    #[test]
    fn every_kind_renders_as_an_events_v2_event() {
        for event in fixtures::every_kind().iter().chain([&fixtures::hostile()]) {
            let rendered = render(WebhookFormat::Pagerduty, event, Some(KEY)).unwrap();
            check(&serde_json::from_slice(&rendered.body).unwrap());
        }
    }

    #[test]
    fn a_period_or_an_action_is_one_incident_triggered_then_resolved() {
        let events = fixtures::every_kind();
        let of = |kind: &str, step: Option<&str>| {
            let e = events
                .iter()
                .find(|e| e["type"] == kind && step.is_none_or(|s| e["step"] == s))
                .unwrap();
            action_and_key(&View::of(e))
        };
        let open = of("budget.threshold_reached", None);
        assert_eq!(
            open,
            ("trigger", "orw:budget:3:2026-12-01T00:00:00Z".to_owned())
        );
        assert_eq!(of("budget.projected_exhaustion", None), open);
        assert_eq!(
            of("budget.recovered", None),
            ("resolve", "orw:budget:3:2026-11-01T00:00:00Z".to_owned())
        );
        assert_eq!(
            of("key.disabled", None),
            ("trigger", "orw:action:4".to_owned())
        );
        assert_eq!(
            of("key.enabled", None),
            ("resolve", "orw:action:4".to_owned())
        );
        assert_eq!(of("key.limit_changed", Some("undone")).0, "resolve");
        assert_eq!(of("policy.failed", None).0, "trigger");
        assert_eq!(of("test", None), ("trigger", "orw:event:12".to_owned()));
        let critical = event(
            &View::of(events.iter().find(|e| e["type"] == "key.disabled").unwrap()),
            KEY,
        );
        assert_eq!(critical["payload"]["severity"], "critical");
        assert_eq!(critical["payload"]["source"], "OpenRouter key Production");
    }
}
