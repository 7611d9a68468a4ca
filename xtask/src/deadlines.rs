//! Every wait in a test has a deadline: a test whose peer never answers
//! fails with the name of what it waited for; it never hangs the run until
//! CI's own timeout kills it without a word.
//!
//! What this checks under `tests/` and `sim/tests/` (the loops that wait
//! for a state carry their own deadline and are read in review):
//!
//! * an HTTP client is only built by the one function of each suite that
//!   gives it a connect and an answer timeout (`reqwest::get` and bare
//!   clients wait forever on a peer that accepts and never answers);
//! * `node` only runs under coreutils `timeout`.

use std::path::Path;

use crate::tools::Result;

/// The suites' test trees, each with the file that builds its clients.
const SUITES: [(&str, &str); 2] = [
    ("tests", "tests/api/helpers/http.rs"),
    ("sim/tests", "sim/tests/common/mod.rs"),
];

/// (what may wait forever, what to use instead).
const UNBOUNDED: [(&str, &str); 4] = [
    ("reqwest::get(", "the suite's client()"),
    ("Client::new()", "the suite's client()"),
    ("Client::builder()", "the suite's client()"),
    (
        "Command::new(\"node\")",
        "Command::new(\"timeout\") with the node command",
    ),
];

/// Every unbounded wait in the suites of the repository at `root`.
pub fn check(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for (dir, client_file) in SUITES {
        for (shown, text) in crate::lint::sources(root, dir)? {
            problems.extend(check_file(&shown, &text, client_file));
        }
    }
    Ok(problems)
}

fn check_file(path: &str, text: &str, client_file: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        for (wait, instead) in UNBOUNDED {
            let is_the_client = path == client_file && wait.starts_with("Client::");
            if line.contains(wait) && !is_the_client {
                problems.push(format!(
                    "{path}:{}: {wait} may wait forever; use {instead}",
                    i + 1
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_without_deadlines_are_refused_outside_the_clients_file() {
        let text = "let c = reqwest::Client::builder().build();\n";
        let client_file = "tests/api/helpers/http.rs";
        assert!(check_file(client_file, text, client_file).is_empty());
        assert_eq!(
            check_file("tests/api/keys.rs", text, client_file),
            vec![
                "tests/api/keys.rs:1: Client::builder() may wait forever; use the suite's client()"
                    .to_owned()
            ]
        );
        let text = "let r = reqwest::get(url).await;\n";
        assert_eq!(check_file(client_file, text, client_file).len(), 1);
    }

    #[test]
    fn node_runs_under_timeout() {
        let text = "let out = Command::new(\"node\").arg(\"x.mjs\").output();\n";
        assert_eq!(check_file("tests/api/browser.rs", text, "").len(), 1);
        let text = "Command::new(\"timeout\").args([\"600\", \"node\"]);\n";
        assert!(check_file("tests/api/browser.rs", text, "").is_empty());
    }

    #[test]
    fn the_suites_have_no_unbounded_wait() {
        assert_eq!(check(&crate::tools::root()).unwrap(), Vec::<String>::new());
    }
}
