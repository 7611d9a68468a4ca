//! What a delivery's body is, per channel: the event as JSON, Slack's
//! `{"text"}`, a Discord message, a Teams Adaptive Card, a PagerDuty Events
//! v2 event or an ntfy notification.
//!
//! Generic over the event: each renderer reads the rendered event
//! (`domain::event::render`: id, time, `type`, `message` and the kind's
//! fields), so a new kind renders without new code: its title comes from
//! its kind, its text from its `message` (else a fallback sentence), its
//! facts from the fields every kind shares ([`FACTS`]).

pub mod discord;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod ntfy;
pub mod pagerduty;
pub mod teams;

use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use crate::domain::severity::{self, Severity};
use crate::error::{AppError, AppResult};

/// How a delivery's body is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookFormat {
    /// The event as JSON, signed.
    #[default]
    Json,
    /// Slack's incoming-webhook text.
    Slack,
    /// A Discord webhook message with an embed.
    Discord,
    /// An Adaptive Card for a Microsoft Teams Workflows webhook.
    Teams,
    /// A PagerDuty Events API v2 event (needs `routing_key`).
    Pagerduty,
    /// An ntfy notification: the text as the body, Title/Priority/Tags headers.
    Ntfy,
}

impl WebhookFormat {
    pub const ALL: [WebhookFormat; 6] = [
        WebhookFormat::Json,
        WebhookFormat::Slack,
        WebhookFormat::Discord,
        WebhookFormat::Teams,
        WebhookFormat::Pagerduty,
        WebhookFormat::Ntfy,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Teams => "teams",
            Self::Pagerduty => "pagerduty",
            Self::Ntfy => "ntfy",
        }
    }

    pub fn parse(text: &str) -> AppResult<Self> {
        Self::ALL
            .into_iter()
            .find(|format| format.as_str() == text)
            .ok_or_else(|| {
                AppError::invalid(
                    "format",
                    "must be json, slack, discord, teams, pagerduty or ntfy",
                )
            })
    }
}

/// A delivery's body and the headers its channel reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub body: Vec<u8>,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
}

impl Rendered {
    fn json(value: &Value) -> AppResult<Self> {
        Ok(Self {
            body: serde_json::to_vec(value).map_err(AppError::internal)?,
            content_type: "application/json",
            headers: Vec::new(),
        })
    }
}

/// The body of a delivery of `event` (as `domain::event::render` shows it)
/// in `format`. `routing_key` is PagerDuty's (opened from its seal).
pub fn render(
    format: WebhookFormat,
    event: &Value,
    routing_key: Option<&str>,
) -> AppResult<Rendered> {
    let view = View::of(event);
    match format {
        WebhookFormat::Json => Rendered::json(&json!({ "event": event })),
        WebhookFormat::Slack => Rendered::json(&json!({ "text": view.text })),
        WebhookFormat::Discord => Rendered::json(&discord::message(&view)),
        WebhookFormat::Teams => Rendered::json(&teams::message(&view)),
        WebhookFormat::Pagerduty => {
            let key = routing_key
                .ok_or_else(|| AppError::internal("a pagerduty webhook without its routing key"))?;
            Rendered::json(&pagerduty::event(&view, key))
        }
        WebhookFormat::Ntfy => Ok(ntfy::notification(&view)),
    }
}

/// What every channel shows of an event.
#[derive(Debug, Clone)]
pub struct View<'a> {
    pub event: &'a Value,
    pub id: i64,
    pub kind: &'a str,
    pub severity: Severity,
    /// `Budget threshold reached`: the kind, as words (ASCII).
    pub title: String,
    /// The event's `message`, else a sentence naming its kind.
    pub text: String,
    pub created_at: &'a str,
    /// (label, value) of the shared fields the event has.
    pub facts: Vec<(&'static str, String)>,
}

/// The fields kinds share, with the label channels show them under.
pub const FACTS: &[(&str, &str)] = &[
    ("api_key_name", "Key"),
    ("scope", "Scope"),
    ("period", "Period"),
    ("threshold", "Threshold (%)"),
    ("percent_used", "Used (%)"),
    ("spent", "Spent (USD)"),
    ("amount", "Budget (USD)"),
    ("reached_at", "Reached at"),
    ("budget", "Budget"),
    ("trigger", "Trigger"),
    ("restore_at", "Until"),
    ("reason", "Reason"),
    ("silent_days", "Silent days"),
];

impl<'a> View<'a> {
    pub fn of(event: &'a Value) -> Self {
        let kind = event.get("type").and_then(Value::as_str).unwrap_or("event");
        let severity = severity::of_kind(kind);
        let title = title_of(kind);
        let text = match event.get("message").and_then(Value::as_str) {
            Some(message) if !message.trim().is_empty() => message.to_owned(),
            _ => format!("OpenRouter Watcher: {title} ({kind})."),
        };
        let facts = FACTS
            .iter()
            .filter_map(|(field, label)| scalar(event.get(*field)?).map(|v| (*label, v)))
            .collect();
        Self {
            event,
            id: event.get("id").and_then(Value::as_i64).unwrap_or(0),
            kind,
            severity,
            title,
            text,
            created_at: event
                .get("created_at")
                .and_then(Value::as_str)
                .unwrap_or(""),
            facts,
        }
    }
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `budget.threshold_reached` → `Budget threshold reached`; ASCII only
/// (it travels in ntfy's `Title` header).
pub fn title_of(kind: &str) -> String {
    let words: String = kind
        .chars()
        .map(|c| if c == '.' || c == '_' { ' ' } else { c })
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect();
    let mut chars = words.trim().chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => "Event".to_owned(),
    }
}

/// A JSON object of these fields, in this order. A function rather than
/// `json!`, whose every field expands inline: the wasm stays smaller.
pub fn obj(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// `text` cut to at most `max` characters (Unicode scalar values, as the
/// services count), ending in `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_name_and_anything_else_names_the_field() {
        for format in WebhookFormat::ALL {
            assert_eq!(WebhookFormat::parse(format.as_str()).ok(), Some(format));
        }
        let err = WebhookFormat::parse("email").unwrap_err();
        assert!(err.to_string().contains("format"), "{err}");
    }

    #[test]
    fn a_kind_becomes_a_title_and_text_is_cut_by_characters() {
        assert_eq!(
            title_of("budget.threshold_reached"),
            "Budget threshold reached"
        );
        assert_eq!(title_of("test"), "Test");
        assert_eq!(title_of("é"), "Event");
        assert_eq!(cut("héllo", 5), "héllo");
        assert_eq!(cut("héllo!", 5), "héll…");
        assert_eq!(cut("abc", 0), "…");
    }

    #[test]
    fn an_unknown_kind_without_a_message_still_says_something() {
        let event = json!({"id": 9, "created_at": "2026-12-04T21:00:00Z", "type": "brand.new", "spent": "3.5"});
        let view = View::of(&event);
        assert_eq!(view.text, "OpenRouter Watcher: Brand new (brand.new).");
        assert_eq!(view.severity, Severity::Warning);
        assert_eq!(view.facts, vec![("Spent (USD)", "3.5".to_owned())]);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any text, any bound: at most `max` characters, and what is
            /// kept is the text's start.
            #[test]
            fn cut_stays_within_its_bound(text in "\\PC{0,300}", max in 0usize..400) {
                let out = cut(&text, max);
                prop_assert!(out.chars().count() <= max.max(1));
                let kept = out.strip_suffix('…').unwrap_or(&out);
                prop_assert!(text.starts_with(kept));
            }

            /// Any message, key name and reason: every channel's body keeps
            /// its service's limits (checked by each module's `check`).
            #[test]
            fn any_event_renders_in_every_format(
                message in "\\PC{0,3000}",
                name in "\\PC{0,400}",
                kind in "[a-z_.]{0,40}",
            ) {
                let event = json!({"id": 1, "created_at": "2026-12-04T21:00:00Z", "type": kind, "message": message, "api_key_name": name, "reason": name});
                for format in WebhookFormat::ALL {
                    let rendered = render(format, &event, Some("R0123456789abcdef0123456789abcde"));
                    prop_assert!(rendered.is_ok());
                }
                let view = View::of(&event);
                let body = super::super::discord::message(&view);
                let total: usize = ["title", "description"]
                    .iter()
                    .map(|f| body["embeds"][0][f].as_str().map_or(0, |s| s.chars().count()))
                    .sum::<usize>()
                    + body["embeds"][0]["fields"].as_array().map_or(0, |fs| fs.iter().map(|f| {
                        f["name"].as_str().map_or(0, |s| s.chars().count()) + f["value"].as_str().map_or(0, |s| s.chars().count())
                    }).sum())
                    + body["embeds"][0]["footer"]["text"].as_str().map_or(0, |s| s.chars().count());
                prop_assert!(total <= super::super::discord::EMBED_TOTAL_MAX);
                prop_assert!(body["content"].as_str().map_or(0, |s| s.chars().count()) <= super::super::discord::CONTENT_MAX);
                let ntfy = super::super::ntfy::notification(&view);
                prop_assert!(ntfy.body.len() <= super::super::ntfy::BODY_MAX_BYTES);
                prop_assert!(ntfy.headers.iter().all(|(_, v)| v.bytes().all(|b| (0x20..0x7f).contains(&b))));
                let pd = super::super::pagerduty::event(&view, "k");
                let summary = pd["payload"]["summary"].as_str().map_or(0, |s| s.chars().count());
                prop_assert!((1..=super::super::pagerduty::SUMMARY_MAX).contains(&summary));
                prop_assert!(pd["dedup_key"].as_str().map_or(0, |s| s.chars().count()) <= super::super::pagerduty::DEDUP_KEY_MAX);
            }
        }
    }

    #[test]
    fn json_and_slack_keep_their_shapes() {
        let event = json!({"id": 1, "created_at": "t", "type": "test", "message": "hi"});
        let body = |f| String::from_utf8(render(f, &event, None).unwrap().body).unwrap();
        assert_eq!(body(WebhookFormat::Slack), r#"{"text":"hi"}"#);
        assert_eq!(
            body(WebhookFormat::Json),
            r#"{"event":{"id":1,"created_at":"t","type":"test","message":"hi"}}"#
        );
        assert!(render(WebhookFormat::Pagerduty, &event, None).is_err());
    }
}
