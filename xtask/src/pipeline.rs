//! `cargo xtask test`: every check and test, in the order that fails
//! fastest: static checks, unit tests, the build, then the real Worker
//! (integration and browser tests, the secret scan, the fuzzer).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::tools::{
    build_worker, offline_env, output, root, run, setup, step, Result, WASM_TARGET,
};

pub fn test(extra: &[String]) -> Result {
    let started = Instant::now();
    setup()?;
    let root = root();
    static_checks(&root)?;
    unit_tests(&root)?;
    step("build: the dashboard and the wasm Worker");
    build_worker()?;
    ensure_chromium()?;
    against_the_worker(&root, extra)?;
    eprintln!(
        "all tests passed in {:.0}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn cargo(root: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.args(args).current_dir(root);
    cmd
}

fn static_checks(root: &Path) -> Result {
    step("cargo fmt --check");
    run(&mut cargo(root, &["fmt", "--all", "--check"]))?;
    step("architecture: layering, SQL only in src/store/, file and function sizes");
    crate::lint::check(root)?;
    crate::openapi::check(root)?;
    step("clippy (host, all targets, the document's generator too) -D warnings");
    let deny = ["--", "-D", "warnings"];
    run(cargo(
        root,
        &["clippy", "--workspace", "--all-targets", "--all-features"],
    )
    .args(deny))?;
    step("clippy (wasm32: the Worker and its pure core) -D warnings");
    run(cargo(root, &["clippy", "--lib", "--target", WASM_TARGET]).args(deny))?;
    run(cargo(
        root,
        &[
            "clippy",
            "-p",
            "watcher-core",
            "--lib",
            "--target",
            WASM_TARGET,
        ],
    )
    .args(deny))
}

fn unit_tests(root: &Path) -> Result {
    step("native unit tests (the pure core, without worker; the Worker crate; xtask; the stack's launcher)");
    run(&mut cargo(root, &["test", "-p", "watcher-core"]))?;
    run(&mut cargo(
        root,
        // With the document's generator, whose rules are unit-tested too.
        &[
            "test",
            "--lib",
            "-p",
            "openrouter-watcher",
            "--features",
            "openapi",
        ],
    ))?;
    // xtask is a binary: `--lib` would silently skip its tests.
    run(&mut cargo(root, &["test", "-p", "xtask"]))?;
    run(&mut cargo(root, &["test", "-p", "watcher-stack"]))?;
    step("dashboard unit tests (node --test)");
    crate::web::unit_tests()?;
    step("simulator tests (incl. the official SDK conformance test)");
    run(&mut cargo(root, &["test", "-p", "openrouter-sim"]))
}

/// How long the integration and browser tests may take: about three times
/// their longest run beside a CPU-heavy neighbour on two cores (528 s), and
/// well inside CI's 90 minutes, so a hang fails here with a report.
const INTEGRATION_LIMIT: std::time::Duration = std::time::Duration::from_secs(25 * 60);

/// The integration and browser tests, the secret scan of what they saw,
/// and a bounded fuzz run, each against the real Worker under `wrangler dev`.
fn against_the_worker(root: &Path, extra: &[String]) -> Result {
    step("integration and browser tests against the real Worker under wrangler dev");
    // Each run keeps its wrangler log under target/it/<pid>; start clean.
    let _ = fs::remove_dir_all(root.join("target/it"));
    let mut it = cargo(
        root,
        &[
            "test",
            "-p",
            "openrouter-watcher",
            "--test",
            "api",
            "--",
            "--test-threads=6",
        ],
    );
    it.args(extra);
    offline_env(&mut it).env("ORW_SKIP_BUILD", "1");
    let tests =
        crate::watchdog::run_tests_within(&mut it, INTEGRATION_LIMIT, &root.join("target/it"));
    step("secret scan of every response and log of the run");
    let scanned = crate::secret_scan::scan(&root.join("target/it"));
    tests?;
    let (secrets, bytes) = scanned?;
    eprintln!("no secret found: {secrets} secrets checked against {bytes} bytes");
    step("fuzz (schemathesis, bounded)");
    crate::fuzz::bounded()
}

/// Debian's Chromium, which the browser tests drive through playwright-core
/// (it never downloads a browser of its own here).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Installs Debian's `chromium` when it is missing and we may (root), or
/// says exactly what to install.
fn ensure_chromium() -> Result {
    step("browser: Debian chromium");
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    let uid = output(Command::new("id").arg("-u")).unwrap_or_default();
    if uid.trim() != "0" {
        return Err(format!(
            "{CHROMIUM} is missing: install the Debian package `chromium` \
             (sudo apt-get update && sudo apt-get install -y chromium)"
        ));
    }
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .args(["install", "-y", "--no-install-recommends", "chromium"])
        .env("DEBIAN_FRONTEND", "noninteractive"))?;
    if Path::new(CHROMIUM).exists() {
        Ok(())
    } else {
        Err(format!(
            "apt-get installed chromium but {CHROMIUM} is missing"
        ))
    }
}
