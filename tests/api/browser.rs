//! The dashboard in a real browser: `web/tests/e2e.mjs` drives Debian's
//! Chromium (playwright-core) against this run's Worker and simulator. The
//! script holds the steps and assertions (the acceptance flow, axe on
//! every screen, no console error, no CSP violation); this test prepares the
//! simulator's keys, runs it, and feeds the secrets it saw to the log scan.

use std::process::Command;

use serde_json::json;

use crate::helpers::*;

/// The browser the setup installs (`apt-get install chromium`).
const CHROMIUM: &str = "/usr/bin/chromium";

#[tokio::test]
async fn the_dashboard_in_a_real_browser() {
    let admin = sim_key(json!({ "kind": "management" })).await;
    let inference = sim_key(json!({ "account": admin.account })).await;
    // A third key of the account, never given to the dashboard: listed as
    // not tracked yet, and imported without its secret.
    let untracked_name = unique("Staging");
    sim_key(json!({ "account": admin.account, "label": untracked_name })).await;
    // Well formed, unknown to the simulator: OpenRouter answers 401.
    let rejected = format!("sk-or-v1-{}", "0bad".repeat(16));
    let run_dir = app().log_path.parent().expect("run dir").to_path_buf();
    let secrets_out = run_dir.join("e2e-secrets.txt");
    let screenshots = root().join("target/screenshots");
    std::fs::create_dir_all(&screenshots).expect("screenshot dir");

    // A deadline on the whole walk (coreutils `timeout`, then SIGKILL): a
    // browser that never finishes fails this test, never the run.
    let mut script = Command::new("timeout");
    script
        .args(["--kill-after=10", "600", "node"])
        .arg(root().join("web/tests/e2e.mjs"))
        .current_dir(root())
        .env("ORW_BASE_URL", &app().base_url)
        .env("ORW_SIM_URL", app().sim.base_url())
        .env("ORW_SCREENSHOT_DIR", &screenshots)
        .env("ORW_CLIENT_IP", unique_ip())
        .env("ORW_CHROMIUM", CHROMIUM)
        .env("ORW_KEY_INFERENCE", &inference.key)
        .env("ORW_KEY_MANAGEMENT", &admin.key)
        .env("ORW_KEY_REJECTED", &rejected)
        .env("ORW_UNTRACKED_NAME", &untracked_name)
        .env("ORW_SECRETS_OUT", &secrets_out);
    let out = tokio::task::spawn_blocking(move || script.output())
        .await
        .expect("the browser run joins")
        .expect("node runs");
    for secret in std::fs::read_to_string(&secrets_out)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        remember_secret(secret.trim());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    let _ = std::fs::write(run_dir.join("e2e.log"), format!("{stdout}\n{stderr}"));
    // The failing step first: a CI log may keep only the head of a panic.
    let failure = stdout
        .find("FAIL - ")
        .map_or("(no failing step reported)", |at| &stdout[at..]);
    assert!(
        out.status.success(),
        "the browser run failed ({}):\n{failure}\n--- stderr:\n{stderr}",
        out.status
    );
}
