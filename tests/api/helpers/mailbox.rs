//! What the Worker "sent": under `wrangler dev` the `send_email` binding
//! writes each raw message to an `.eml` file and logs its path
//! ("send_email binding called with the following message:" then the
//! path). This reads those paths from the run's wrangler logs and parses
//! the messages (headers, and each part's text decoded from base64).
//! The files live in wrangler's temporary directory, removed when it
//! exits: at exit every message is copied, decoded, into `mail.log`
//! under the run's directory for the secret scan.

use std::path::PathBuf;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::harness::run_dir;
use watcher_stack::scan_files::message_heading;

const MARK: &str = "send_email binding called with the following message:";

#[derive(Debug, Clone)]
pub struct Mail {
    pub headers: Vec<(String, String)>,
    /// Each part's decoded text (plain first, then HTML).
    pub parts: Vec<String>,
}

impl Mail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The subject, its RFC 2047 `=?UTF-8?B?…?=` words decoded.
    pub fn subject(&self) -> String {
        // Folded words arrive joined (`?==?`): apart again first.
        let raw = self
            .header("Subject")
            .unwrap_or_default()
            .replace("?==?", "?= =?");
        raw.split_whitespace()
            .map(|word| {
                word.strip_prefix("=?UTF-8?B?")
                    .and_then(|w| w.strip_suffix("?="))
                    .and_then(|b64| STANDARD.decode(b64).ok())
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .unwrap_or_else(|| format!("{word} "))
            })
            .collect::<String>()
            .trim_end()
            .to_owned()
    }

    pub fn text(&self) -> &str {
        self.parts.first().map_or("", String::as_str)
    }

    /// The `token` of the first link in the text that starts with `prefix`.
    pub fn token_after(&self, prefix: &str) -> Option<String> {
        let text = self.text();
        let rest = &text[text.find(prefix)?..];
        let token = rest.split("token=").nth(1)?;
        Some(
            token
                .split_whitespace()
                .next()?
                .trim_end_matches('>')
                .to_owned(),
        )
    }
}

fn strip_ansi(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Every `.eml` path logged by any Worker of this run, in order per log.
pub fn message_paths() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    let Ok(entries) = std::fs::read_dir(run_dir()) else {
        return paths;
    };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with("wrangler.log") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        let lines: Vec<String> = text.lines().map(strip_ansi).collect();
        for (i, line) in lines.iter().enumerate() {
            if line.contains(MARK) {
                if let Some(path) = lines.get(i + 1).map(|l| l.trim()) {
                    if path.ends_with(".eml") {
                        paths.push(PathBuf::from(path));
                    }
                }
            }
        }
    }
    paths
}

pub fn parse(raw: &str) -> Mail {
    let raw = raw.replace("\r\n", "\n");
    let (head, body) = raw.split_once("\n\n").unwrap_or((&raw, ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some(last) = headers.last_mut() {
                last.1.push_str(line.trim_start());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let parts = body
        .split("Content-Transfer-Encoding: base64\n\n")
        .skip(usize::from(
            !head.contains("Content-Transfer-Encoding: base64"),
        ))
        .map(|chunk| {
            let b64: String = chunk
                .lines()
                .take_while(|l| !l.is_empty() && !l.starts_with("--"))
                .collect();
            String::from_utf8(STANDARD.decode(b64).unwrap_or_default()).unwrap_or_default()
        })
        .filter(|p| !p.is_empty())
        .collect();
    Mail { headers, parts }
}

/// Every message sent to `to` so far.
pub fn mail_to(to: &str) -> Vec<Mail> {
    message_paths()
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|raw| parse(&raw))
        .filter(|m| m.header("To") == Some(&format!("<{to}>")))
        .collect()
}

/// Waits until `to` has received at least `n` messages (a deadline: the
/// log line may trail the answer), then returns them all.
pub async fn wait_for_mail(to: &str, n: usize) -> Vec<Mail> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mail = mail_to(to);
        if mail.len() >= n || tokio::time::Instant::now() > deadline {
            assert!(mail.len() >= n, "{n} messages to {to}: {mail:#?}");
            return mail;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// At exit (wrangler still running, its files still there): every message
/// of the run, headers and decoded parts, into `mail.log` for the scan.
pub fn keep_mail_at_exit() {
    watcher_stack::before_exit(Box::new(|| {
        let mut out = String::new();
        for path in message_paths() {
            let raw = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| format!("{}: {e}\n", path.display()));
            let mail = parse(&raw);
            let to = mail.header("To").unwrap_or_default();
            out.push_str(&message_heading(to.trim_matches(['<', '>', ' '])));
            out.push_str(&raw);
            out.push('\n');
            for part in mail.parts {
                out.push_str(&part);
                out.push('\n');
            }
        }
        let _ = std::fs::write(run_dir().join("mail.log"), out);
    }));
}
