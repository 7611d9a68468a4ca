//! A browser walk of the dashboard (`web/tests/*.mjs` under Node, Debian's
//! Chromium through playwright-core) run to its end within a deadline: its
//! output kept beside the run's logs and the failing step leading the
//! panic (a CI log may keep only the head of one).

use std::path::PathBuf;
use std::process::Command;

use super::harness::{app, root};

/// Runs `web/tests/<script>` with `env`, within 10 minutes (coreutils
/// `timeout`, then SIGKILL: a browser that never finishes fails the test,
/// never the run); its output goes to `<run dir>/<script>.log`. Panics
/// with the failing step unless it passed.
pub async fn walk(script: &str, env: &[(&str, String)]) {
    let mut command = Command::new("timeout");
    command
        .args(["--kill-after=10", "600", "node"])
        .arg(root().join("web/tests").join(script))
        .current_dir(root());
    for (name, value) in env {
        command.env(name, value);
    }
    let out = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("the browser run joins")
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    let _ = std::fs::write(
        run_dir().join(format!("{script}.log")),
        format!("{stdout}\n{stderr}"),
    );
    let failure = stdout
        .find("FAIL - ")
        .map_or("(no failing step reported)", |at| &stdout[at..]);
    assert!(
        out.status.success(),
        "the browser run {script} failed ({}):\n{failure}\n--- stderr:\n{stderr}",
        out.status
    );
}

/// This run's directory (logs, state, the walks' output).
fn run_dir() -> PathBuf {
    app().log_path.parent().expect("run dir").to_path_buf()
}

/// Where every walk puts its screenshots.
pub fn screenshot_dir() -> PathBuf {
    let dir = root().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}
