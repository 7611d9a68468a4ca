//! `cargo xtask openapi`: writes `openapi.json` from the code (the Worker
//! crate's `openapi` binary, native, feature `openapi`); `check` is the
//! step of `cargo xtask test` that fails when the checked-in copy is stale.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::tools::{root, run, step, Result};

fn generator(root: &Path) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.args([
        "run",
        "--quiet",
        "-p",
        "openrouter-watcher",
        "--features",
        "openapi",
        "--bin",
        "openapi",
        "--",
    ])
    .current_dir(root);
    cmd
}

/// Rewrites the document from the route tables and the types.
pub fn write() -> Result {
    step("openapi.json from the code");
    run(&mut generator(&root()))
}

/// Fails, naming what differs, when the checked-in document is not what
/// the code generates.
pub fn check(root: &Path) -> Result {
    step("openapi.json is what the code generates");
    run(generator(root).arg("--check"))
}

/// Where the Worker reads the document it serves at `/openapi.json`: a
/// static asset (`public/`, fetched through the `ASSETS` binding), not a
/// string in the wasm, whose every byte is paid at each cold start.
pub const SERVED: &str = "public/openapi.json";

/// Writes the served copy: the checked-in document without the whitespace
/// between tokens (the checked-in file stays pretty-printed for people and
/// diffs).
pub fn write_served(root: &Path) -> Result {
    let source = root.join("openapi.json");
    let document = fs::read_to_string(&source).map_err(|e| format!("{}: {e}", source.display()))?;
    let target = root.join(SERVED);
    let text = minified(&document);
    if fs::read_to_string(&target).ok().as_deref() == Some(text.as_str()) {
        return Ok(());
    }
    fs::write(&target, text).map_err(|e| format!("{}: {e}", target.display()))
}

/// `json` without the whitespace outside its strings.
fn minified(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_ascii_whitespace() {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_served_document_is_the_checked_in_one_without_whitespace() {
        let pretty = fs::read_to_string(root().join("openapi.json")).unwrap();
        let served = minified(&pretty);
        let a: serde_json::Value = serde_json::from_str(&pretty).unwrap();
        let b: serde_json::Value = serde_json::from_str(&served).unwrap();
        assert_eq!(a, b);
        assert_eq!(b["openapi"], "3.1.0");
        assert!(!served.contains("\n  ") && served.len() < pretty.len());
        assert_eq!(
            minified(r#"{ "a b": "x \" y",  "c" : [1, 2] }"#),
            r#"{"a b":"x \" y","c":[1,2]}"#
        );
    }
}
