//! The formats of two files a test run leaves for the secret scan
//! (`cargo xtask test`): written by the integration tests' harness, read by
//! `xtask`'s scan, defined once here so the two cannot drift apart.
//!
//! * `secrets.txt`: one secret a line; a secret meant to be mailed to one
//!   address (an invitation's token) carries that address after a tab.
//! * `mail.log`: every message the run's Workers sent, each after a
//!   heading line that names its recipient.

/// A secret of the run, and the one address it may be mailed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Secret<'a> {
    pub text: &'a str,
    pub mailed_to: Option<&'a str>,
}

/// The line of `secrets.txt` for `secret`.
pub fn secret_line(secret: &str, mailed_to: Option<&str>) -> String {
    match mailed_to {
        Some(to) => format!("{secret}\t{to}\n"),
        None => format!("{secret}\n"),
    }
}

/// A line of `secrets.txt`, trimmed.
pub fn parse_secret(line: &str) -> Secret<'_> {
    let line = line.trim();
    match line.split_once('\t') {
        Some((text, to)) => Secret {
            text: text.trim(),
            mailed_to: Some(to.trim()),
        },
        None => Secret {
            text: line,
            mailed_to: None,
        },
    }
}

const HEADING_START: &str = "===== message to <";
const HEADING_END: &str = "> =====";

/// The line that starts a message to `to` in `mail.log`.
pub fn message_heading(to: &str) -> String {
    format!("{HEADING_START}{to}{HEADING_END}\n")
}

/// `mail.log` cut into its messages, each with its recipient; text before
/// the first heading has none.
pub fn messages(log: &str) -> Vec<(Option<&str>, &str)> {
    let mut out = Vec::new();
    let mut to = None;
    let mut start = 0;
    let mut at = 0;
    for line in log.split_inclusive('\n') {
        let heading = line
            .trim_end()
            .strip_prefix(HEADING_START)
            .and_then(|rest| rest.strip_suffix(HEADING_END));
        if let Some(next) = heading {
            if at > start || to.is_some() {
                out.push((to, &log[start..at]));
            }
            to = Some(next);
            start = at + line.len();
        }
        at += line.len();
    }
    if at > start || to.is_some() {
        out.push((to, &log[start..at]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_with_and_without_an_address() {
        let plain = secret_line("or_api_x", None);
        assert_eq!(
            parse_secret(&plain),
            Secret {
                text: "or_api_x",
                mailed_to: None
            }
        );
        let mailed = secret_line("or_inv_y", Some("a@example.com"));
        assert_eq!(
            parse_secret(&mailed),
            Secret {
                text: "or_inv_y",
                mailed_to: Some("a@example.com")
            }
        );
    }

    #[test]
    fn the_log_splits_into_messages_with_their_recipients() {
        let log = format!(
            "stray\n{}To: <a@x.org>\nbody a\n{}To: <b@x.org>\nbody b\n",
            message_heading("a@x.org"),
            message_heading("b@x.org")
        );
        assert_eq!(
            messages(&log),
            [
                (None, "stray\n"),
                (Some("a@x.org"), "To: <a@x.org>\nbody a\n"),
                (Some("b@x.org"), "To: <b@x.org>\nbody b\n"),
            ]
        );
        assert_eq!(messages(""), []);
    }
}
