//! An event: what the product tells a person (an alert, a webhook's test),
//! stored once and shown in one shape by the API and by webhooks. Budgets
//! build theirs in `alerts::events`; deliveries only carry them.

use serde_json::{json, Value};

/// An event about to be stored (its id comes from the database).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// One event per key: a retry or an overlapping run stores nothing new.
    pub dedup_key: String,
    pub kind: &'static str,
    pub api_key_id: Option<i64>,
    pub payload: Value,
}

/// The event as the API and webhooks show it: its id and time, then its
/// payload.
pub fn render(id: i64, created_at: &str, payload: &str) -> Value {
    let mut event = json!({"id": id, "created_at": created_at});
    if let (Some(out), Ok(Value::Object(fields))) = (
        event.as_object_mut(),
        serde_json::from_str::<Value>(payload),
    ) {
        out.extend(fields);
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_follows_the_id_and_time_and_a_broken_one_is_left_out() {
        let event = render(
            7,
            "2026-12-01T00:00:00Z",
            r#"{"type":"test","message":"hi"}"#,
        );
        assert_eq!(
            event.to_string(),
            r#"{"id":7,"created_at":"2026-12-01T00:00:00Z","type":"test","message":"hi"}"#
        );
        assert_eq!(
            render(7, "t", "not json"),
            json!({"id": 7, "created_at": "t"})
        );
    }
}
