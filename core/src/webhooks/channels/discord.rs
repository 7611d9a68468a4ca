//! A Discord webhook message: a one-line `content` (what a notification
//! shows) and one embed with the text, the severity's colour, the shared
//! facts as fields and the event's time. No mention ever pings
//! (`allowed_mentions.parse` is empty: a key name may hold `@everyone`).
//!
//! Execute Webhook, https://discord.com/developers/docs/resources/webhook#execute-webhook
//! and the embed limits, https://discord.com/developers/docs/resources/message#embed-object-embed-limits:
//! `content` ≤ 2,000 characters; ≤ 10 embeds; title ≤ 256, description
//! ≤ 4,096, ≤ 25 fields (name ≤ 256, value ≤ 1,024), footer text ≤ 2,048,
//! and all of an embed's text together ≤ 6,000.

use serde_json::Value;

use super::{cut, obj, View};
use crate::domain::severity::Severity;

pub const CONTENT_MAX: usize = 2000;
pub const TITLE_MAX: usize = 256;
pub const DESCRIPTION_MAX: usize = 4096;
pub const FIELDS_MAX: usize = 25;
pub const FIELD_NAME_MAX: usize = 256;
pub const FIELD_VALUE_MAX: usize = 1024;
pub const FOOTER_MAX: usize = 2048;
pub const EMBED_TOTAL_MAX: usize = 6000;

fn colour(severity: Severity) -> u32 {
    match severity {
        Severity::Info => 0x3B82F6,
        Severity::Warning => 0xF59E0B,
        Severity::Critical => 0xDC2626,
    }
}

pub fn message(view: &View<'_>) -> Value {
    let title = cut(&view.title, TITLE_MAX);
    let footer = cut(
        &format!(
            "OpenRouter Watcher · {} · {}",
            view.severity.as_str(),
            view.kind
        ),
        FOOTER_MAX,
    );
    let fields: Vec<(String, String)> = view
        .facts
        .iter()
        .take(FIELDS_MAX)
        .map(|(label, value)| (cut(label, FIELD_NAME_MAX), cut(value, FIELD_VALUE_MAX)))
        .collect();
    let used = [&title, &footer]
        .iter()
        .map(|s| s.chars().count())
        .chain(
            fields
                .iter()
                .map(|(n, v)| n.chars().count().saturating_add(v.chars().count())),
        )
        .fold(0_usize, usize::saturating_add);
    let room = EMBED_TOTAL_MAX.saturating_sub(used).min(DESCRIPTION_MAX);
    let fields: Vec<Value> = fields
        .into_iter()
        .map(|(name, value)| {
            obj(vec![
                ("name", name.into()),
                ("value", value.into()),
                ("inline", true.into()),
            ])
        })
        .collect();
    let mut embed = vec![
        ("title", Value::from(title)),
        ("description", cut(&view.text, room).into()),
        ("color", colour(view.severity).into()),
        ("fields", fields.into()),
        ("footer", obj(vec![("text", footer.into())])),
    ];
    if !view.created_at.is_empty() {
        embed.push(("timestamp", view.created_at.into()));
    }
    let content = cut(
        &format!("[{}] {}", view.severity.as_str(), view.title),
        CONTENT_MAX,
    );
    obj(vec![
        ("content", content.into()),
        ("embeds", vec![obj(embed)].into()),
        (
            "allowed_mentions",
            obj(vec![("parse", Value::Array(Vec::new()))]),
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::{fixtures, render, WebhookFormat};
    use super::*;
    use serde_json::json;

    fn chars(v: &Value) -> usize {
        v.as_str().map_or(0, |s| s.chars().count())
    }

    /// The documented schema (see the module's links), checked field by field.
    fn check(body: &Value) {
        let top = body.as_object().unwrap();
        for key in top.keys() {
            assert!(
                ["content", "embeds", "allowed_mentions"].contains(&key.as_str()),
                "{key}"
            );
        }
        assert!(chars(&body["content"]) <= CONTENT_MAX && chars(&body["content"]) > 0);
        assert_eq!(body["allowed_mentions"], json!({"parse": []}));
        let embeds = body["embeds"].as_array().unwrap();
        assert!(!embeds.is_empty() && embeds.len() <= 10);
        for embed in embeds {
            assert!(chars(&embed["title"]) <= TITLE_MAX);
            assert!(chars(&embed["description"]) <= DESCRIPTION_MAX);
            assert!(chars(&embed["footer"]["text"]) <= FOOTER_MAX);
            assert!(embed["color"].as_u64().unwrap() <= 0xFFFFFF);
            if let Some(t) = embed.get("timestamp") {
                assert!(crate::clock::parse_timestamp(t.as_str().unwrap()).is_some());
            }
            let fields = embed["fields"].as_array().unwrap();
            assert!(fields.len() <= FIELDS_MAX);
            let mut total = chars(&embed["title"])
                + chars(&embed["description"])
                + chars(&embed["footer"]["text"]);
            for field in fields {
                let (name, value) = (chars(&field["name"]), chars(&field["value"]));
                assert!(
                    name > 0 && name <= FIELD_NAME_MAX && value > 0 && value <= FIELD_VALUE_MAX
                );
                assert!(field["inline"].is_boolean());
                total += name + value;
            }
            assert!(total <= EMBED_TOTAL_MAX, "{total}");
        }
    }

    #[test]
    fn every_kind_renders_within_discords_limits() {
        for event in fixtures::every_kind().iter().chain([&fixtures::hostile()]) {
            let rendered = render(WebhookFormat::Discord, event, None).unwrap();
            assert_eq!(rendered.content_type, "application/json");
            let body: Value = serde_json::from_slice(&rendered.body).unwrap();
            check(&body);
            assert!(!body["embeds"][0]["description"]
                .as_str()
                .unwrap()
                .is_empty());
        }
    }

    #[test]
    fn a_critical_event_is_red_and_names_its_facts() {
        let events = fixtures::every_kind();
        let disabled = events.iter().find(|e| e["type"] == "key.disabled").unwrap();
        let body = message(&View::of(disabled));
        assert_eq!(body["content"], "[critical] Key disabled");
        assert_eq!(body["embeds"][0]["color"], 0xDC2626);
        assert_eq!(
            body["embeds"][0]["fields"][0],
            json!({"name": "Key", "value": "Production", "inline": true})
        );
        assert_eq!(body["embeds"][0]["timestamp"], "2026-12-04T21:00:00Z");
    }
}
