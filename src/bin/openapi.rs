//! `openapi [--check]`: writes `openapi.json` from the code, or (`--check`)
//! fails naming what differs. Run by `cargo xtask openapi` and `cargo xtask
//! test`; see `openrouter_watcher::openapi::generate`.

use std::process::ExitCode;

use serde_json::Value;

const DOCUMENT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");

fn main() -> ExitCode {
    let check = std::env::args().any(|arg| arg == "--check");
    match run(check) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("openapi: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(check: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(DOCUMENT).unwrap_or_default();
    let generated = openrouter_watcher::openapi::generate::document()?;
    let mut written = serde_json::to_string_pretty(&generated).map_err(|e| e.to_string())?;
    written.push('\n');
    if written == text {
        return Ok(());
    }
    if check {
        return Err(format!(
            "openapi.json is stale: it differs from what the code generates ({}). \
             Run `cargo xtask openapi` and commit the result.",
            differences(&serde_json::from_str(&text).unwrap_or_default(), &generated).join(", ")
        ));
    }
    std::fs::write(DOCUMENT, written).map_err(|e| format!("{DOCUMENT}: {e}"))
}

/// The top-level entries that differ: paths and components by name.
fn differences(old: &Value, new: &Value) -> Vec<String> {
    let mut found = Vec::new();
    for (section, parent) in [
        ("paths", &["paths"][..]),
        ("schemas", &["components", "schemas"][..]),
        ("responses", &["components", "responses"][..]),
        ("parameters", &["components", "parameters"][..]),
    ] {
        let at = |doc: &Value| parent.iter().fold(doc.clone(), |v, key| v[*key].clone());
        let (old, new) = (at(old), at(new));
        let names = old
            .as_object()
            .into_iter()
            .chain(new.as_object())
            .flat_map(|map| map.keys().cloned())
            .collect::<std::collections::BTreeSet<_>>();
        for name in names {
            if old.get(&name) != new.get(&name) {
                found.push(format!("{section} {name}"));
            }
        }
    }
    if found.is_empty() {
        found.push("formatting or the document's frame".to_owned());
    }
    found
}
