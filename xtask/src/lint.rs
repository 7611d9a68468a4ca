//! Architecture checks that `cargo xtask test` runs, so the layering the
//! README describes stays true:
//!
//! * no SQL outside `src/store/` (D1's and the rate limiter's storage alike);
//! * `src/domain/` and `src/jobs/` do not import the HTTP layer (nor `jobs`
//!   the public API);
//! * `src/rate_limit/` and `src/usage/` do not import each other;
//! * `src/webhooks/` does not import `src/alerts/`, nor `src/alerts/` the jobs;
//! * the shared layer (`config`, `changes`, `app`) and the store import no
//!   feature, and the store no OpenRouter wire type;
//! * the pure core (`core/`) depends on no runtime crate, so what it holds
//!   is pure by construction (its files are held to the rules of the paths
//!   the Worker crate re-exports them at);
//! * no import circle among the modules of `src/` (`circles`);
//! * every wait in a test has a deadline (`deadlines`);
//! * no file over 400 lines and no function over 60 lines in `src/`,
//!   `core/src/`, `sim/src/`, `stack/src/` and `xtask/src/` (rustfmt-formatted
//!   code: a function ends at the first line holding only its closing brace
//!   at its own indentation).

use std::fs;
use std::path::Path;

use crate::tools::Result;

pub const MAX_FILE_LINES: usize = 400;
pub const MAX_FN_LINES: usize = 60;

/// SQL that may only appear in `src/store/`.
const SQL_MARKERS: [&str; 8] = [
    "\"SELECT ",
    "\"INSERT ",
    "\"UPDATE ",
    "\"DELETE ",
    "\"WITH ",
    "\"CREATE ",
    "\"DROP ",
    "\"ALTER ",
];

/// (module, modules it must not import).
const FORBIDDEN_IMPORTS: [(&str, &[&str]); 11] = [
    ("src/domain/", &["crate::http"]),
    ("src/jobs/", &["crate::http", "crate::public_api"]),
    ("src/rate_limit/", &["crate::usage"]),
    ("src/usage/", &["crate::rate_limit"]),
    // Deliveries carry events (`domain::event`) and know nothing of budgets.
    ("src/webhooks/", &["crate::alerts"]),
    // The jobs run the alerts, never the other way round.
    ("src/alerts/", &["crate::jobs"]),
    // What every layer uses knows no feature: otherwise a rule above breaks
    // through it (`rate_limit` reaching `usage` through `config`).
    ("src/config.rs", &FEATURES),
    ("src/changes.rs", &FEATURES),
    ("src/app.rs", &FEATURES),
    // The store takes and gives plain values: no wire type of OpenRouter's.
    ("src/store/", &FEATURES),
    ("src/store/", &["crate::openrouter"]),
];

/// The product's features, above the shared layer.
const FEATURES: [&str; 9] = [
    "crate::http",
    "crate::public_api",
    "crate::usage",
    "crate::rate_limit",
    "crate::webhooks",
    "crate::alerts",
    "crate::keys",
    "crate::auth",
    "crate::jobs",
];

/// What the pure core (`core/`) may not depend on: the runtime. Its
/// modules are then pure by construction (the compiler refuses the rest).
const RUNTIME_CRATES: [&str; 4] = ["worker", "wasm-bindgen", "js-sys", "web-sys"];

/// The modules that compute on money, time and counts: each denies
/// unchecked arithmetic (`clippy::arithmetic_side_effects`), so an overflow
/// is a checked or saturating operation that says what happens at the edge.
pub const CHECKED_ARITHMETIC: [&str; 19] = [
    "core/src/alerts/assess.rs",
    "src/alerts/evaluate.rs",
    "core/src/alerts/marks.rs",
    "core/src/alerts/period.rs",
    "core/src/alerts/runway.rs",
    "core/src/alerts/thresholds.rs",
    "core/src/digest/period.rs",
    "core/src/domain/dates.rs",
    "core/src/domain/money.rs",
    "core/src/domain/page.rs",
    "core/src/domain/tz.rs",
    "core/src/email/link.rs",
    "core/src/jobs/arithmetic.rs",
    "core/src/jobs/fanout.rs",
    "core/src/rate_limit/window.rs",
    "core/src/usage/hourly.rs",
    "src/usage/local.rs",
    "core/src/usage/periods.rs",
    "core/src/webhooks/attempts.rs",
];
const ARITHMETIC_DENIAL: &str = "#![deny(clippy::arithmetic_side_effects)]";
/// What both crates deny outside tests (`src/lib.rs`, `core/src/lib.rs`):
/// what panics on bad data.
const PANIC_DENIALS: [&str; 4] = [
    "clippy::unwrap_used",
    "clippy::expect_used",
    "clippy::panic",
    "clippy::indexing_slicing",
];

pub fn check(root: &Path) -> Result {
    let mut problems: Vec<String> = CHECKED_ARITHMETIC
        .iter()
        .filter(|path| !root.join(path).is_file())
        .map(|path| format!("{path}: listed as computing on money, time or counts, but missing"))
        .collect();
    problems.extend(runtime_in_core(&root.join("core/Cargo.toml"))?);
    for dir in ["src", "core/src", "sim/src", "stack/src", "xtask/src"] {
        for (shown, text) in sources(root, dir)? {
            problems.extend(check_file(&shown, &text));
        }
    }
    problems.extend(crate::deadlines::check(root)?);
    for dir in ["src", "core/src"] {
        problems.extend(
            crate::circles::find(&root.join(dir))?
                .into_iter()
                .map(|circle| format!("{dir}/: import circle among {}", circle.join(", "))),
        );
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} architecture problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

/// Every `.rs` file under `root/dir`: its path relative to `root` and its text.
pub fn sources(root: &Path, dir: &str) -> Result<Vec<(String, String)>> {
    crate::tools::files_ending(&root.join(dir), "rs")
        .into_iter()
        .map(|file| {
            let text = fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let shown = file
                .strip_prefix(root)
                .unwrap_or(&file)
                .display()
                .to_string();
            Ok((shown, text))
        })
        .collect()
}

/// The runtime crates `core/Cargo.toml` names.
fn runtime_in_core(manifest: &Path) -> Result<Vec<String>> {
    let text = fs::read_to_string(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    Ok(text
        .lines()
        .filter_map(|line| {
            let name = line.split('=').next()?.trim();
            RUNTIME_CRATES
                .contains(&name)
                .then(|| format!("core/Cargo.toml: the pure core depends on {name}"))
        })
        .collect())
}

/// Every problem of one file (`path` relative to the repository root).
/// The core's modules are held to the rules of the paths the Worker crate
/// re-exports them at (`core/src/config.rs` is `src/config.rs`).
pub fn check_file(path: &str, text: &str) -> Vec<String> {
    let shown = path;
    let path = path.strip_prefix("core/").unwrap_or(path);
    let mut problems = Vec::new();
    let lines = text.lines().count();
    if lines > MAX_FILE_LINES {
        problems.push(format!("{shown}: {lines} lines (at most {MAX_FILE_LINES})"));
    }
    for (name, start, length) in long_functions(text) {
        problems.push(format!(
            "{shown}:{start}: fn {name} is {length} lines (at most {MAX_FN_LINES})"
        ));
    }
    if path.starts_with("src/") && !path.starts_with("src/store/") {
        for (i, line) in text.lines().enumerate() {
            if SQL_MARKERS.iter().any(|m| line.contains(m)) {
                problems.push(format!("{shown}:{}: SQL outside src/store/", i + 1));
            }
        }
    }
    if CHECKED_ARITHMETIC.contains(&shown) && !text.contains(ARITHMETIC_DENIAL) {
        problems.push(format!(
            "{shown}: computes on money, time or counts without {ARITHMETIC_DENIAL}"
        ));
    }
    if path == "src/lib.rs" {
        for denial in PANIC_DENIALS.iter().filter(|d| !text.contains(*d)) {
            problems.push(format!("{shown}: does not deny {denial}"));
        }
    }
    for (module, forbidden) in FORBIDDEN_IMPORTS {
        if !path.starts_with(module) {
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            if let Some(import) = forbidden.iter().find(|f| line.contains(*f)) {
                problems.push(format!("{shown}:{}: {module} uses {import}", i + 1));
            }
        }
    }
    problems
}

/// (name, first line, length) of every function over [`MAX_FN_LINES`].
fn long_functions(text: &str) -> Vec<(String, usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut long = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let indent = line.len() - line.trim_start().len();
        // A declaration without a body (trait item) ends with `;`.
        let body_end = lines[i..]
            .iter()
            .position(|l| {
                let trimmed = l.trim_end();
                trimmed.len() - trimmed.trim_start().len() == indent
                    && (trimmed.trim_start() == "}" || trimmed.ends_with(';'))
            })
            .map(|offset| i + offset);
        if let Some(end) = body_end {
            let length = end - i + 1;
            if length > MAX_FN_LINES {
                long.push((name, i + 1, length));
            }
        }
    }
    long
}

/// The function's name when `line` starts a function item.
fn fn_name(line: &str) -> Option<String> {
    let mut rest = line.trim_start();
    for prefix in [
        "pub(crate) ",
        "pub(super) ",
        "pub ",
        "const ",
        "async ",
        "unsafe ",
        "extern \"C\" ",
    ] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    let rest = rest.strip_prefix("async ").unwrap_or(rest);
    let after = rest.strip_prefix("fn ")?;
    let name: String = after
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function(name: &str, body_lines: usize) -> String {
        let body: String = (0..body_lines)
            .map(|i| format!("    let _x{i} = {i};\n"))
            .collect();
        format!("pub async fn {name}() {{\n{body}}}\n")
    }

    #[test]
    fn finds_functions_over_sixty_lines_only() {
        let text = format!("{}{}", function("short", 58), function("long", 59));
        assert_eq!(long_functions(&text), vec![("long".to_owned(), 61, 61)]);
    }

    #[test]
    fn nested_functions_and_trait_items_are_measured_on_their_own() {
        let text = "impl X {\n    fn a() {\n        1\n    }\n    fn b();\n}\n";
        assert!(long_functions(text).is_empty());
        assert_eq!(
            fn_name("    pub(crate) async fn go(x: i64) {").as_deref(),
            Some("go")
        );
        assert_eq!(fn_name("    let f = |x| x;"), None);
    }

    #[test]
    fn sql_belongs_in_the_store() {
        let text = "let q = \"SELECT 1\";\n";
        assert_eq!(check_file("src/store/users.rs", text), Vec::<String>::new());
        assert_eq!(
            check_file("src/usage/public.rs", text),
            vec!["src/usage/public.rs:1: SQL outside src/store/".to_owned()]
        );
    }

    #[test]
    fn the_core_depends_on_no_runtime() {
        let dir = std::env::temp_dir().join(format!("lint-core-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let manifest = dir.join("Cargo.toml");
        std::fs::write(
            &manifest,
            "[dependencies]\nserde = \"1\"\nworker = \"0.8\"\n",
        )
        .unwrap();
        assert_eq!(runtime_in_core(&manifest).unwrap().len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
        let real = crate::tools::root().join("core/Cargo.toml");
        assert!(runtime_in_core(&real).unwrap().is_empty());
    }

    #[test]
    fn layers_do_not_import_what_they_must_not() {
        let text = "use crate::http::error::AppError;\n";
        assert_eq!(check_file("src/domain/network.rs", text).len(), 1);
        assert_eq!(check_file("src/keys/vault.rs", text).len(), 0);
        let text = "use crate::usage::answers::PublicQuery;\n";
        assert_eq!(check_file("src/rate_limit/mod.rs", text).len(), 1);
    }

    #[test]
    fn money_time_and_count_modules_deny_unchecked_arithmetic() {
        assert_eq!(
            check_file("core/src/alerts/runway.rs", "fn a() {}\n").len(),
            1
        );
        assert_eq!(
            check_file("src/lib.rs", "#![deny(clippy::panic)]\n").len(),
            3
        );
        assert_eq!(
            check_file("core/src/lib.rs", "#![deny(clippy::panic)]\n").len(),
            3
        );
        for path in CHECKED_ARITHMETIC
            .iter()
            .chain(["src/lib.rs", "core/src/lib.rs"].iter())
        {
            let text = std::fs::read_to_string(crate::tools::root().join(path)).unwrap();
            let problems = check_file(path, &text);
            assert!(problems.iter().all(|p| !p.contains("deny")), "{problems:?}");
        }
    }

    #[test]
    fn files_over_the_limit_are_reported() {
        let text = "\n".repeat(MAX_FILE_LINES + 1);
        assert_eq!(check_file("xtask/src/big.rs", &text).len(), 1);
    }
}
