//! The dashboard (`web/`): TypeScript checked by `tsc`, bundled by esbuild
//! into `public/assets/` (served by the Worker's static assets), held to a
//! size budget, and its pure modules unit-tested under Node.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::tools::{root, run, step, Result};

/// All of the dashboard's JavaScript, gzipped, may weigh at most this.
pub const JS_BUDGET_GZIP_BYTES: usize = 150 * 1024;

fn node_bin(root: &Path, name: &str) -> Command {
    let mut cmd = Command::new(root.join("node_modules/.bin").join(name));
    cmd.current_dir(root);
    cmd
}

/// Where the dashboard's types are generated (not checked in).
const GENERATED_TYPES: &str = "web/src/generated/openapi.ts";

/// Generates the dashboard's types from the API document, type-checks and
/// bundles the dashboard, then checks the budget.
pub fn build() -> Result {
    let root = root();
    generate_types(&root)?;
    let out = root.join("public/assets");
    let inputs = ["web/src", "web/tsconfig.json", "package-lock.json"].map(|p| root.join(p));
    if crate::tools::up_to_date(&out.join("app.js"), &inputs) {
        eprintln!("public/assets is newer than web/src: not rebuilt");
        return check_budget(js_gzip_bytes(&out)?);
    }
    step("dashboard: tsc (strict), esbuild bundle into public/assets");
    run(node_bin(&root, "tsc").args(["-p", "web/tsconfig.json"]))?;
    let _ = fs::remove_dir_all(&out);
    run(node_bin(&root, "esbuild").args([
        "web/src/main.tsx",
        "--bundle",
        "--minify",
        "--format=esm",
        "--target=es2022",
        "--outdir=public/assets",
        "--entry-names=app",
        "--log-level=warning",
    ]))?;
    let gzipped = js_gzip_bytes(&out)?;
    eprintln!(
        "dashboard JavaScript: {:.1} KB gzip (budget {} KB)",
        gzipped as f64 / 1024.0,
        JS_BUDGET_GZIP_BYTES / 1024
    );
    check_budget(gzipped)
}

/// Every shape of `web/src/api.ts` comes from `openapi.json` through
/// openapi-typescript (pinned in package-lock.json), so a field renamed in
/// the document fails `tsc` instead of a user's screen.
fn generate_types(root: &Path) -> Result {
    let inputs = ["openapi.json", "package-lock.json"].map(|p| root.join(p));
    if crate::tools::up_to_date(&root.join(GENERATED_TYPES), &inputs) {
        return Ok(());
    }
    step("dashboard: types from openapi.json (openapi-typescript)");
    run(node_bin(root, "openapi-typescript").args(["openapi.json", "--output", GENERATED_TYPES]))
}

fn check_budget(gzipped: usize) -> Result {
    if gzipped > JS_BUDGET_GZIP_BYTES {
        return Err(format!(
            "the dashboard's JavaScript is {gzipped} bytes gzipped, over the budget of {JS_BUDGET_GZIP_BYTES}"
        ));
    }
    Ok(())
}

/// Gzipped size of every `.js` file under `dir`.
fn js_gzip_bytes(dir: &Path) -> Result<usize> {
    let mut total = 0;
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "js") {
            let bytes = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            total += crate::tools::gzip_len(&bytes)?;
        }
    }
    if total == 0 {
        return Err(format!("no JavaScript was bundled into {}", dir.display()));
    }
    Ok(total)
}

/// The dashboard's unit tests (`web/tests/*.test.ts`): each bundled for
/// Node by esbuild and run by Node's own test runner.
pub fn unit_tests() -> Result {
    let root = root();
    let out = root.join("target/web-tests");
    let _ = fs::remove_dir_all(&out);
    let tests_dir = root.join("web/tests");
    let mut tests: Vec<String> = fs::read_dir(&tests_dir)
        .map_err(|e| format!("{}: {e}", tests_dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".test.ts"))
        .collect();
    tests.sort();
    if tests.is_empty() {
        return Err("no dashboard unit tests (web/tests/*.test.ts)".into());
    }
    let mut bundles = Vec::new();
    for test in &tests {
        let bundle = out.join(test.replace(".test.ts", ".test.mjs"));
        run(node_bin(&root, "esbuild")
            .arg(format!("web/tests/{test}"))
            .args([
                "--bundle",
                "--platform=node",
                "--format=esm",
                "--log-level=warning",
            ])
            .arg(format!("--outfile={}", bundle.display())))?;
        bundles.push(bundle);
    }
    run(Command::new("node")
        .arg("--test")
        .args(&bundles)
        .current_dir(&root))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_one_byte_more() {
        assert!(check_budget(JS_BUDGET_GZIP_BYTES).is_ok());
        assert!(check_budget(JS_BUDGET_GZIP_BYTES + 1).is_err());
    }

    #[test]
    fn gzip_shrinks_repetitive_text() {
        let text = "const a = 1;\n".repeat(1000);
        let len = crate::tools::gzip_len(text.as_bytes()).unwrap();
        assert!(len > 0 && len < text.len() / 10, "{len}");
    }
}
