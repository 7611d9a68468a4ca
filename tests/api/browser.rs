//! The dashboard in a real browser: `web/tests/e2e.mjs` drives Debian's
//! Chromium (playwright-core) against this run's Worker and simulator. The
//! script holds the steps and assertions (the acceptance flow, axe on
//! every screen, no console error, no CSP violation); this test prepares the
//! simulator's keys, runs it, and feeds the secrets it saw to the log scan.

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
    let secrets_out = app()
        .log_path
        .parent()
        .expect("run dir")
        .join("e2e-secrets.txt");
    // The walk's first step is a person behind Cloudflare Access.
    let access_assertion = fake_team().assertion(&format!("{}@example.com", unique("access")));
    remember_secret(&access_assertion);
    let env = [
        ("ORW_BASE_URL", app().base_url.clone()),
        ("ORW_ACCESS_ASSERTION", access_assertion),
        ("ORW_SIM_URL", app().sim.base_url()),
        ("ORW_SCREENSHOT_DIR", screenshot_dir().display().to_string()),
        ("ORW_CLIENT_IP", unique_ip()),
        ("ORW_CHROMIUM", CHROMIUM.to_owned()),
        ("ORW_KEY_INFERENCE", inference.key.clone()),
        ("ORW_KEY_MANAGEMENT", admin.key.clone()),
        ("ORW_KEY_REJECTED", rejected),
        ("ORW_UNTRACKED_NAME", untracked_name),
        ("ORW_SECRETS_OUT", secrets_out.display().to_string()),
    ];
    // The secrets the walk saw go to the log scan even when it fails.
    let walked = tokio::spawn(async move { walk("e2e.mjs", &env).await });
    let outcome = walked.await;
    for line in std::fs::read_to_string(&secrets_out)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
    {
        let secret = watcher_stack::scan_files::parse_secret(line);
        match secret.mailed_to {
            Some(to) => remember_mailed_secret(secret.text, to),
            None => remember_secret(secret.text),
        }
    }
    if let Err(failed) = outcome {
        std::panic::resume_unwind(failed.into_panic());
    }
}
