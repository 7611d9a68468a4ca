//! A message as the `send_email` binding takes it: raw RFC 5322 text,
//! `multipart/alternative` (plain text, then HTML) when there is HTML.
//!
//! Every header value is ours or checked: the addresses are parsed
//! (`domain::account::Email`, no CR/LF can pass), the subject is
//! RFC 2047-encoded, and the unsubscribe URL is ASCII without spaces. The
//! bodies travel base64-encoded (UTF-8, no line-length limit to respect).
//! Every message to an account's address carries RFC 8058 one-click
//! unsubscribe headers; an invitation, sent once to someone who subscribed
//! to nothing, has nothing to unsubscribe from and carries none.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chrono::{DateTime, Utc};

/// What one message says and where it goes.
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub from: &'a str,
    pub from_name: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: Option<&'a str>,
    /// `https://…/api/email/unsubscribe?token=…`; `None` for a one-off
    /// message to an address that is not the account's.
    pub unsubscribe_url: Option<&'a str>,
    /// Random, unique per message: the `Message-ID`'s local part and the
    /// multipart boundary.
    pub unique: &'a str,
    pub date: DateTime<Utc>,
}

/// Header values must not break the header block.
fn one_line(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
}

/// RFC 2047 `encoded-word`s for anything that is not plain ASCII text,
/// cut so no encoded word exceeds 75 characters.
fn encoded(text: &str) -> String {
    let text = one_line(text);
    if text.chars().all(|c| c.is_ascii() && c != '=' && c != '?') {
        return text;
    }
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len().saturating_add(c.len_utf8()) > 45 {
            words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", STANDARD.encode(chunk.as_bytes())));
    }
    words.join("\r\n ")
}

/// Base64 in lines of 76 characters (RFC 2045).
fn body_base64(text: &str) -> String {
    let encoded = STANDARD.encode(text.as_bytes());
    let mut out = String::with_capacity(encoded.len().saturating_add(encoded.len() / 76 * 2));
    let bytes = encoded.as_bytes();
    for line in bytes.chunks(76) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

fn domain_of(address: &str) -> &str {
    address.rsplit_once('@').map_or("localhost", |(_, d)| d)
}

fn part(content_type: &str, text: &str) -> String {
    format!(
        "Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        body_base64(text)
    )
}

/// The raw message.
pub fn render(m: &Message<'_>) -> String {
    let mut out = String::new();
    let name = one_line(m.from_name).replace(['"', '\\'], "");
    out.push_str(&format!("From: \"{}\" <{}>\r\n", encoded(&name), m.from));
    out.push_str(&format!("To: <{}>\r\n", m.to));
    out.push_str(&format!("Subject: {}\r\n", encoded(m.subject)));
    out.push_str(&format!("Date: {}\r\n", m.date.to_rfc2822()));
    out.push_str(&format!(
        "Message-ID: <{}@{}>\r\n",
        one_line(m.unique),
        domain_of(m.from)
    ));
    if let Some(url) = m.unsubscribe_url {
        out.push_str(&format!("List-Unsubscribe: <{}>\r\n", one_line(url)));
        out.push_str("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
    }
    out.push_str("Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n");
    match m.html {
        None => out.push_str(&part("text/plain", m.text)),
        Some(html) => {
            let boundary = format!("=_orw_{}", one_line(m.unique));
            out.push_str(&format!(
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
            ));
            out.push_str(&format!("--{boundary}\r\n{}", part("text/plain", m.text)));
            out.push_str(&format!("--{boundary}\r\n{}", part("text/html", html)));
            out.push_str(&format!("--{boundary}--\r\n"));
        }
    }
    out
}

/// Text made safe inside HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<'a>(subject: &'a str, html: Option<&'a str>) -> Message<'a> {
        Message {
            from: "watcher@example.com",
            from_name: "OpenRouter Watcher",
            to: "you@example.org",
            subject,
            text: "Hello\nworld",
            html,
            unsubscribe_url: Some("https://w.example/api/email/unsubscribe?token=u.1.2.abc"),
            unique: "0123abcd",
            date: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
        }
    }

    fn decoded_parts(raw: &str) -> Vec<String> {
        raw.split("Content-Transfer-Encoding: base64\r\n\r\n")
            .skip(1)
            .map(|rest| {
                let b64: String = rest
                    .lines()
                    .take_while(|l| !l.is_empty() && !l.starts_with("--"))
                    .collect();
                String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap()
            })
            .collect()
    }

    #[test]
    fn one_click_unsubscribe_headers_and_both_parts() {
        let raw = render(&message("Your weekly digest", Some("<p>Hello</p>")));
        assert!(raw.contains(
            "List-Unsubscribe: <https://w.example/api/email/unsubscribe?token=u.1.2.abc>\r\n"
        ));
        assert!(raw.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        assert!(raw.contains("Message-ID: <0123abcd@example.com>\r\n"));
        assert!(raw.contains("multipart/alternative; boundary=\"=_orw_0123abcd\""));
        assert_eq!(decoded_parts(&raw), ["Hello\nworld", "<p>Hello</p>"]);
        assert!(raw.ends_with("--=_orw_0123abcd--\r\n"));
    }

    #[test]
    fn a_one_off_message_has_no_unsubscribe_headers() {
        let raw = render(&Message {
            unsubscribe_url: None,
            ..message("You are invited", None)
        });
        assert!(!raw.contains("List-Unsubscribe"), "{raw}");
        assert!(raw.contains("Auto-Submitted: auto-generated\r\n"));
        assert_eq!(decoded_parts(&raw), ["Hello\nworld"]);
    }

    #[test]
    fn a_subject_cannot_add_a_header() {
        let raw = render(&message("Hi\r\nBcc: evil@example.net", None));
        assert!(!raw.contains("\r\nBcc:"));
        let raw = render(&message(
            "Dépenses « hebdo » ✓ of a rather long subject line here",
            None,
        ));
        let subject = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
        assert!(subject.contains("=?UTF-8?B?"));
        assert!(raw.lines().all(|l| l.len() <= 998));
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }
}
