//! One event of every kind the product emits, as deliveries carry them
//! (`domain::event::render` of the payloads `alerts::events` and
//! `policies::events` build), plus kinds added later and a hostile one: the
//! channels' tests check each against the receiving service's schema.

use serde_json::{json, Value};

use crate::domain::event::render;
use crate::policies::events::{changed, failed, ActionFacts, Step};
use crate::policies::KeySettings;
use crate::testing::usd;

fn with_id(id: i64, payload: &Value) -> Value {
    render(id, "2026-12-04T21:00:00Z", &payload.to_string())
}

fn budget(kind: &str, message: &str, extra: Value) -> Value {
    let mut payload = json!({
        "type": kind,
        "message": message,
        "api_key_id": 7,
        "api_key_name": "Production",
        "budget_id": 3,
        "source": "budget",
        "scope": "key",
        "period": "monthly",
        "period_start": "2026-12-01T00:00:00Z",
        "period_end": "2027-01-01T00:00:00Z",
        "previous_period_start": null,
        "threshold": null,
        "amount": "10",
        "spent": "8.5",
        "percent_used": 85,
        "reached_at": null,
    });
    if let (Some(out), Value::Object(fields)) = (payload.as_object_mut(), extra) {
        out.extend(fields);
    }
    payload
}

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

/// Every kind, each once.
pub fn every_kind() -> Vec<Value> {
    let on = KeySettings {
        disabled: false,
        limit: None,
        limit_reset: None,
    };
    let off = KeySettings {
        disabled: true,
        ..on.clone()
    };
    let limited = KeySettings {
        limit: Some(usd("10")),
        limit_reset: Some("monthly".into()),
        ..on.clone()
    };
    let payloads = vec![
        budget(
            "budget.threshold_reached",
            "Key “Production” has used 85% of its 10 USD monthly budget (8.5 USD spent; threshold 80%).",
            json!({"threshold": 80}),
        ),
        budget(
            "budget.projected_exhaustion",
            "At the current rate, key “Production” reaches its 10 USD monthly budget on 2026-12-20 08:00 UTC, before it resets on 2027-01-01 00:00 UTC (8.5 USD spent so far).",
            json!({"reached_at": "2026-12-20T08:00:00Z"}),
        ),
        budget(
            "budget.recovered",
            "A new monthly period began: the alerts of the 10 USD monthly budget of key “Production” are re-armed.",
            json!({"previous_period_start": "2026-11-01T00:00:00Z"}),
        ),
        // As `alerts::events::woke_up_event` builds it.
        json!({"type": "key.woke_up", "message": "Key “Production” is spending again after 21 days without spend. If nobody expected it, revoke it on OpenRouter.", "api_key_id": 7, "api_key_name": "Production", "silent_days": 21, "usage": "12.5"}),
        changed(&facts(), Step::Applied, &on, &off).payload,
        changed(&facts(), Step::Restored, &off, &on).payload,
        changed(&facts(), Step::Applied, &on, &limited).payload,
        changed(&facts(), Step::Undone, &limited, &on).payload,
        failed(&facts(), "OpenRouter unavailable (HTTP 503) after retries").payload,
        json!({"type": "spend.spike", "message": "Key “Production” spent 4 USD in the last hour, 8× its usual.", "api_key_id": 7, "api_key_name": "Production", "spent": "4"}),
        json!({"type": "data.drift", "message": "Stored usage differs from OpenRouter's."}),
        json!({"type": "test", "message": "Test event from OpenRouter Watcher: this webhook receives alerts."}),
        json!({"type": "brand.new_kind", "whatever": {"nested": true}}),
    ];
    payloads
        .iter()
        .zip(1..)
        .map(|(payload, id)| with_id(id, payload))
        .collect()
}

/// Text at every limit: a 10,000-character message with mentions and
/// markup, a 300-character key name.
pub fn hostile() -> Value {
    let name = "@everyone ".repeat(30);
    let message = format!("<@&123> **{}** {}", name, "é".repeat(10_000));
    with_id(
        99,
        &json!({"type": "policy.failed", "message": message, "api_key_name": name, "reason": "x".repeat(2000), "action_id": 4, "step": "failed"}),
    )
}
