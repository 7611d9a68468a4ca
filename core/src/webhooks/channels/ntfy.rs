//! An ntfy notification in its plain publishing form: `POST` to the topic's
//! URL (the webhook's URL, `https://ntfy.sh/<topic>`), the message as the
//! body (`text/plain`, UTF-8), and `Title`, `Priority` and `Tags` headers.
//! Chosen over the JSON form (`POST` to the server's root with a `topic`
//! field) because the topic URL is what people copy from the app, and works
//! for any server layout; the headers carry ASCII only (the title comes
//! from the event's kind), so a key's name travels in the UTF-8 body.
//!
//! https://docs.ntfy.sh/publish/ (message title, priority 1–5 with 3 the
//! default, tags as comma-separated emoji shortcodes or words: here the
//! severity's emoji and the kind's family) and its
//! limitations: a message over 4,096 bytes becomes an attachment, so the
//! body stays under [`BODY_MAX_BYTES`].

use super::{Rendered, View};
use crate::domain::severity::Severity;

pub const BODY_MAX_BYTES: usize = 4096;

/// `Priority`: 3 is ntfy's default, 4 high, 5 max (urgent).
fn priority(severity: Severity) -> &'static str {
    match severity {
        Severity::Info => "3",
        Severity::Warning => "4",
        Severity::Critical => "5",
    }
}

/// An emoji shortcode ntfy shows before the title (the severity's), and
/// the kind's family as a word.
fn tags(view: &View<'_>) -> String {
    let emoji = match view.severity {
        Severity::Info => "information_source",
        Severity::Warning => "warning",
        Severity::Critical => "rotating_light",
    };
    let family: String = crate::domain::severity::family(view.kind)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if family.is_empty() {
        emoji.to_owned()
    } else {
        format!("{emoji},{family}")
    }
}

/// `text` cut to at most `max` bytes on a character boundary, `…` when cut.
fn cut_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let room = max.saturating_sub('…'.len_utf8());
    let mut out = String::with_capacity(max);
    for c in text.chars() {
        if out.len().saturating_add(c.len_utf8()) > room {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

pub fn notification(view: &View<'_>) -> Rendered {
    let mut text = view.text.clone();
    for (label, value) in &view.facts {
        text.push_str(&format!("\n{label}: {value}"));
    }
    Rendered {
        body: cut_bytes(&text, BODY_MAX_BYTES).into_bytes(),
        content_type: "text/plain; charset=utf-8",
        headers: vec![
            ("Title", format!("OpenRouter Watcher: {}", view.title)),
            ("Priority", priority(view.severity).to_owned()),
            ("Tags", tags(view)),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::super::{fixtures, render, WebhookFormat};
    use super::*;

    /// The documented publishing form (see the module's links).
    fn check(rendered: &Rendered) {
        assert!(rendered.content_type.starts_with("text/plain"));
        assert!(!rendered.body.is_empty() && rendered.body.len() <= BODY_MAX_BYTES);
        assert!(std::str::from_utf8(&rendered.body).is_ok());
        let names: Vec<&str> = rendered.headers.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["Title", "Priority", "Tags"]);
        for (_, value) in &rendered.headers {
            // A header value the runtime can send: visible ASCII and spaces.
            assert!(value.bytes().all(|b| (0x20..0x7f).contains(&b)), "{value}");
        }
        let priority: u8 = rendered.headers[1].1.parse().unwrap();
        assert!((1..=5).contains(&priority));
        assert!(rendered.headers[2].1.split(',').all(|t| !t.is_empty()));
    }

    #[test]
    fn every_kind_renders_as_an_ntfy_publish() {
        for event in fixtures::every_kind().iter().chain([&fixtures::hostile()]) {
            check(&render(WebhookFormat::Ntfy, event, None).unwrap());
        }
    }

    #[test]
    fn severity_sets_priority_and_tags_and_the_body_keeps_the_facts() {
        let events = fixtures::every_kind();
        let disabled = events.iter().find(|e| e["type"] == "key.disabled").unwrap();
        let n = notification(&View::of(disabled));
        assert_eq!(n.headers[0].1, "OpenRouter Watcher: Key disabled");
        assert_eq!(n.headers[1].1, "5");
        assert_eq!(n.headers[2].1, "rotating_light,key");
        let body = String::from_utf8(n.body).unwrap();
        assert!(body.starts_with("Key “Production” was disabled"));
        assert!(body.contains("\nKey: Production"));
        assert_eq!(cut_bytes("ééé", 5), "é…");
    }
}
