//! What an alert e-mail says: the events one evaluation raised for an
//! account, those at or above the severity it asked for, in one message.
//!
//! Each event's own sentence (`message` of its payload, written where the
//! event is: budgets, spikes, drift, policies) is the body, so a mail says
//! exactly what a webhook says; no key, token or secret is in an event.

use serde_json::Value;

use crate::domain::severity::{of_kind, Severity};

/// Events of these kinds are never mailed as alerts: a webhook's test is
/// for its receiver, a digest has its own message.
fn mailable(kind: &str) -> bool {
    kind != "test" && !kind.starts_with("digest.")
}

/// Whether an event of `kind` goes to an account that asked for `least`.
pub fn wanted(kind: &str, least: Severity) -> bool {
    mailable(kind) && of_kind(kind) >= least
}

/// One event as the message lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub severity: Severity,
    pub text: String,
}

/// An event's line from its stored payload: its `message`, or its type
/// when it has none (an older payload).
pub fn line(payload: &str) -> Line {
    let value: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
    let field = |name: &str| value.get(name).and_then(Value::as_str);
    let kind = field("type").unwrap_or("alert");
    let text = field("message").map_or_else(|| kind.to_owned(), str::to_owned);
    Line {
        severity: of_kind(kind),
        text,
    }
}

/// The subject and plain text of the message for `lines` (not empty),
/// most severe first, with a link to the dashboard's Alerts screen.
pub fn render(lines: &[Line], dashboard_url: &str) -> (String, String) {
    let mut sorted: Vec<&Line> = lines.iter().collect();
    sorted.sort_by_key(|line| std::cmp::Reverse(line.severity));
    let subject = match sorted.as_slice() {
        [one] => format!("OpenRouter Watcher: {}", shorten(&one.text, 120)),
        many => format!("OpenRouter Watcher: {} alerts", many.len()),
    };
    let mut text = String::new();
    for line in &sorted {
        text.push_str(&format!("[{}] {}\n", line.severity.as_str(), line.text));
    }
    text.push_str(&format!(
        "\nEvery alert and what was done about it: {dashboard_url}#/alerts\n\
         Which alerts come by e-mail: Settings › E-mail and digests.\n"
    ));
    (subject, text)
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_gets_the_kinds_at_or_above_its_severity_and_never_tests_or_digests() {
        assert!(wanted("key.disabled", Severity::Critical));
        assert!(!wanted("budget.threshold_reached", Severity::Critical));
        assert!(wanted("budget.threshold_reached", Severity::Warning));
        assert!(wanted("budget.recovered", Severity::Info));
        assert!(!wanted("test", Severity::Info));
        assert!(!wanted("digest.weekly", Severity::Info));
    }

    #[test]
    fn one_event_is_the_subject_and_several_are_counted_most_severe_first() {
        let spike = line(r#"{"type":"spend.spike","message":"Key “a” spent 40 USD in the hour."}"#);
        let disabled = line(r#"{"type":"key.disabled","message":"Key “a” was disabled."}"#);
        let (subject, text) = render(std::slice::from_ref(&spike), "https://w.example/");
        assert_eq!(
            subject,
            "OpenRouter Watcher: Key “a” spent 40 USD in the hour."
        );
        assert!(text.starts_with("[warning] Key “a” spent 40 USD in the hour.\n"));
        assert!(text.contains("https://w.example/#/alerts"));
        let (subject, text) = render(&[spike, disabled], "https://w.example/");
        assert_eq!(subject, "OpenRouter Watcher: 2 alerts");
        assert!(
            text.starts_with("[critical] Key “a” was disabled.\n[warning]"),
            "{text}"
        );
    }

    #[test]
    fn a_payload_without_a_message_says_its_type_and_a_long_subject_is_cut() {
        assert_eq!(line(r#"{"type":"data.drift"}"#).text, "data.drift");
        assert_eq!(line("not json").text, "alert");
        let long = Line {
            severity: Severity::Warning,
            text: "x".repeat(300),
        };
        let (subject, _) = render(&[long], "/");
        assert_eq!(subject.chars().count(), "OpenRouter Watcher: ".len() + 120);
        assert!(subject.ends_with('…'));
    }
}
