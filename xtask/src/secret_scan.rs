//! The secret scan that runs last: after the integration and browser tests,
//! every response body they received (`responses.log`, less the responses
//! that hand a secret out once), the whole wrangler log of the run and every
//! entry of the audit log as the run ended (`audit_log.txt`) and every
//! e-mail message sent (`mail.log`, raw and decoded) are searched
//! for every password, JWT, API token, OpenRouter key and webhook secret the
//! tests used (`secrets.txt`). A secret meant to be mailed to one address
//! (an invitation's token) may appear in the messages to that address and
//! nowhere else. The harness writes those files under `target/it/<pid>/`
//! (their formats: `watcher_stack::scan_files`); a hit fails the run.

use std::fs;
use std::path::Path;

use watcher_stack::scan_files::{messages, parse_secret, Secret};

use crate::tools::Result;

/// Files of a run that must not contain any secret: `mail.log` holds
/// every message the run's Workers sent, raw and decoded.
const SCANNED: [&str; 4] = ["responses.log", "wrangler.log", "audit_log.txt", "mail.log"];

/// Scans every run directory under `runs`; returns how many secrets were
/// checked against how many bytes.
pub fn scan(runs: &Path) -> Result<(usize, usize)> {
    let mut checked = (0, 0);
    let entries = fs::read_dir(runs).map_err(|e| format!("{}: {e}", runs.display()))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let dir = entry.path();
        let secrets = fs::read_to_string(dir.join("secrets.txt")).unwrap_or_default();
        let secrets: Vec<Secret<'_>> = secrets
            .lines()
            .map(parse_secret)
            .filter(|s| s.text.len() >= 8)
            .collect();
        for file in SCANNED {
            let text = fs::read_to_string(dir.join(file)).unwrap_or_default();
            let hit = if file == "mail.log" {
                messages(&text)
                    .into_iter()
                    .find_map(|(to, message)| find_secret(message, &secrets, to))
            } else {
                find_secret(&text, &secrets, None)
            };
            if let Some(hit) = hit {
                return Err(format!(
                    "a secret of the test run ({}…) appears in {}",
                    &hit[..6.min(hit.len())],
                    dir.join(file).display()
                ));
            }
            checked.1 += text.len();
        }
        checked.0 += secrets.len();
    }
    if checked.0 == 0 {
        return Err(format!(
            "no secrets were recorded under {}: the scan would prove nothing",
            runs.display()
        ));
    }
    Ok(checked)
}

/// A secret in `text`, other than those mailed to `to` (text of a message
/// to that address).
fn find_secret<'a>(text: &str, secrets: &[Secret<'a>], to: Option<&str>) -> Option<&'a str> {
    secrets
        .iter()
        .filter(|s| s.mailed_to.is_none() || s.mailed_to != to)
        .map(|s| s.text)
        .find(|s| text.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_secret_in_a_log_and_only_then() {
        let dir = std::env::temp_dir().join(format!("orw-scan-{}", std::process::id()));
        let run = dir.join("1234");
        fs::create_dir_all(&run).unwrap();
        fs::write(run.join("secrets.txt"), "or_api_abcdefghijkl\nshort\n").unwrap();
        fs::write(run.join("responses.log"), "GET /api/v1/stats 200\n{}\n").unwrap();
        fs::write(
            run.join("wrangler.log"),
            "[wrangler] GET /health 200 short\n",
        )
        .unwrap();
        assert_eq!(
            scan(&dir).unwrap().0,
            1,
            "secrets under 8 chars are not scanned"
        );
        fs::write(run.join("wrangler.log"), "oops: or_api_abcdefghijkl\n").unwrap();
        let err = scan(&dir).unwrap_err();
        assert!(
            err.contains("wrangler.log") && err.contains("or_api"),
            "{err}"
        );
        assert!(
            !err.contains("abcdefghijkl"),
            "the report does not repeat the secret"
        );
        fs::write(run.join("wrangler.log"), "clean\n").unwrap();
        fs::write(
            run.join("audit_log.txt"),
            "{\"kind\":\"token.created\",\"after\":\"or_api_abcdefghijkl\"}\n",
        )
        .unwrap();
        let err = scan(&dir).unwrap_err();
        assert!(
            err.contains("audit_log.txt"),
            "the audit log is scanned: {err}"
        );
        fs::write(run.join("audit_log.txt"), "clean\n").unwrap();
        fs::write(run.join("mail.log"), "Subject: x\n\nor_api_abcdefghijkl\n").unwrap();
        let err = scan(&dir).unwrap_err();
        assert!(err.contains("mail.log"), "every message is scanned: {err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_mailed_secret_may_be_in_the_messages_to_its_address_only() {
        use watcher_stack::scan_files::{message_heading, secret_line};
        let dir = std::env::temp_dir().join(format!("orw-scan-mail-{}", std::process::id()));
        let run = dir.join("1");
        fs::create_dir_all(&run).unwrap();
        let secrets = secret_line("or_inv_abcdefghijkl", Some("new@example.org"))
            + &secret_line("or_api_abcdefghijkl", None);
        fs::write(run.join("secrets.txt"), secrets).unwrap();
        let to_them =
            message_heading("new@example.org") + "Join: #/join?token=or_inv_abcdefghijkl\n";
        fs::write(run.join("mail.log"), &to_them).unwrap();
        assert_eq!(
            scan(&dir).unwrap().0,
            2,
            "the invited address may read its link"
        );
        let elsewhere = message_heading("other@example.org") + "or_inv_abcdefghijkl\n";
        fs::write(run.join("mail.log"), format!("{to_them}{elsewhere}")).unwrap();
        assert!(
            scan(&dir).unwrap_err().contains("mail.log"),
            "another address may not"
        );
        let api_token = message_heading("new@example.org") + "or_api_abcdefghijkl\n";
        fs::write(run.join("mail.log"), api_token).unwrap();
        assert!(
            scan(&dir).is_err(),
            "other secrets stay out of every message"
        );
        fs::write(run.join("mail.log"), "").unwrap();
        fs::write(run.join("wrangler.log"), "token or_inv_abcdefghijkl\n").unwrap();
        assert!(
            scan(&dir).unwrap_err().contains("wrangler.log"),
            "a mailed secret stays out of the logs"
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_run_without_secrets_proves_nothing() {
        let dir = std::env::temp_dir().join(format!("orw-scan-empty-{}", std::process::id()));
        fs::create_dir_all(dir.join("1")).unwrap();
        assert!(scan(&dir).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
