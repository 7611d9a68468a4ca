//! A Microsoft Teams message: an Adaptive Card in a `message` activity's
//! attachment, the shape a Teams Workflows webhook ("Post to a channel when
//! a webhook request is received") posts. Not the legacy MessageCard:
//! Office 365 connectors, which took it, are retired, and Workflows renders
//! MessageCards only in part.
//!
//! https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook
//! (`type: message`; `attachments[].contentType`
//! `application/vnd.microsoft.card.adaptive`; `content` an `AdaptiveCard`)
//! and https://adaptivecards.io/explorer/ (TextBlock, FactSet). Teams
//! takes messages up to about 28 KB; the card here stays under
//! [`BODY_MAX_BYTES`].

use serde_json::Value;

use super::{cut, obj, View};
use crate::domain::severity::Severity;

pub const CONTENT_TYPE: &str = "application/vnd.microsoft.card.adaptive";
/// Adaptive Cards 1.2: every element used here exists since 1.0, and
/// Teams renders up to 1.5.
pub const VERSION: &str = "1.2";
pub const BODY_MAX_BYTES: usize = 28 * 1024;
/// The text's share of the card (a character may be 4 bytes in UTF-8).
const TEXT_MAX: usize = 4000;
const FACT_MAX: usize = 500;

/// TextBlock's `color`: one of the card's named colours.
fn colour(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "Accent",
        Severity::Warning => "Warning",
        Severity::Critical => "Attention",
    }
}

pub fn message(view: &View<'_>) -> Value {
    let text = |t: String| Value::from(t);
    let title = obj(vec![
        ("type", "TextBlock".into()),
        ("text", text(cut(&view.title, 200))),
        ("weight", "Bolder".into()),
        ("size", "Medium".into()),
        ("color", colour(view.severity).into()),
        ("wrap", true.into()),
    ]);
    let message = obj(vec![
        ("type", "TextBlock".into()),
        ("text", text(cut(&view.text, TEXT_MAX))),
        ("wrap", true.into()),
    ]);
    let fact =
        |title: &str, value: String| obj(vec![("title", title.into()), ("value", text(value))]);
    let mut facts: Vec<Value> = view
        .facts
        .iter()
        .map(|(title, value)| fact(title, cut(value, FACT_MAX)))
        .collect();
    facts.push(fact("Severity", view.severity.as_str().to_owned()));
    if !view.created_at.is_empty() {
        facts.push(fact("At (UTC)", view.created_at.to_owned()));
    }
    let fact_set = obj(vec![("type", "FactSet".into()), ("facts", facts.into())]);
    let card = obj(vec![
        (
            "$schema",
            "http://adaptivecards.io/schemas/adaptive-card.json".into(),
        ),
        ("type", "AdaptiveCard".into()),
        ("version", VERSION.into()),
        ("body", vec![title, message, fact_set].into()),
    ]);
    let attachment = obj(vec![
        ("contentType", CONTENT_TYPE.into()),
        ("contentUrl", Value::Null),
        ("content", card),
    ]);
    obj(vec![
        ("type", "message".into()),
        ("attachments", vec![attachment].into()),
    ])
}

#[cfg(test)]
mod tests {
    use super::super::{fixtures, render, WebhookFormat};
    use super::*;

    /// The documented shape (see the module's links), element by element.
    fn check(body: &Value, size: usize) {
        assert!(size <= BODY_MAX_BYTES, "{size}");
        assert_eq!(body["type"], "message");
        let attachments = body["attachments"].as_array().unwrap();
        assert_eq!(attachments.len(), 1);
        assert_eq!(attachments[0]["contentType"], CONTENT_TYPE);
        let card = &attachments[0]["content"];
        assert_eq!(card["type"], "AdaptiveCard");
        assert_eq!(card["version"], VERSION);
        assert_eq!(
            card["$schema"],
            "http://adaptivecards.io/schemas/adaptive-card.json"
        );
        for element in card["body"].as_array().unwrap() {
            match element["type"].as_str().unwrap() {
                "TextBlock" => {
                    assert!(!element["text"].as_str().unwrap().is_empty());
                    if let Some(c) = element.get("color") {
                        let named = [
                            "Default",
                            "Dark",
                            "Light",
                            "Accent",
                            "Good",
                            "Warning",
                            "Attention",
                        ];
                        assert!(named.contains(&c.as_str().unwrap()));
                    }
                }
                "FactSet" => {
                    for fact in element["facts"].as_array().unwrap() {
                        assert!(fact["title"].is_string() && fact["value"].is_string());
                    }
                }
                other => panic!("unexpected element {other}"),
            }
        }
    }

    #[test]
    fn every_kind_renders_as_an_adaptive_card_teams_takes() {
        for event in fixtures::every_kind().iter().chain([&fixtures::hostile()]) {
            let rendered = render(WebhookFormat::Teams, event, None).unwrap();
            let body: Value = serde_json::from_slice(&rendered.body).unwrap();
            check(&body, rendered.body.len());
        }
    }

    #[test]
    fn the_card_leads_with_the_title_in_the_severitys_colour() {
        let events = fixtures::every_kind();
        let failed = events
            .iter()
            .find(|e| e["type"] == "policy.failed")
            .unwrap();
        let card = &message(&View::of(failed))["attachments"][0]["content"];
        assert_eq!(card["body"][0]["text"], "Policy failed");
        assert_eq!(card["body"][0]["color"], "Attention");
        assert!(card["body"][1]["text"]
            .as_str()
            .unwrap()
            .starts_with("Policy on key “Production”"));
    }
}
