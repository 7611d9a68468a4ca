//! Runs `node --test sim/conformance/sdk.test.mjs` against an in-process simulator: the
//! official `@openrouter/sdk` must parse every answer and map errors to its typed classes.

use std::path::PathBuf;
use std::process::Command;

use openrouter_sim::{spawn_in_thread, SimConfig};

#[test]
fn official_sdk_parses_the_simulator() {
    let sim_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = sim_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| sim_dir.clone());
    let sdk = root.join("node_modules/@openrouter/sdk/package.json");
    assert!(
        sdk.exists(),
        "{} is missing: the SDK conformance test needs the official @openrouter/sdk; \
         run `cargo xtask setup` (it runs `npm ci` at the workspace root) and try again",
        sdk.display()
    );

    let sim = spawn_in_thread(SimConfig::default()).expect("start the simulator");
    // A deadline on the whole run (coreutils `timeout`, then SIGKILL).
    let output = Command::new("timeout")
        .args(["--kill-after=10", "300", "node", "--test"])
        .arg("sim/conformance/sdk.test.mjs")
        .current_dir(&root)
        .env("OPENROUTER_SIM_URL", sim.base_url())
        .env_remove("OPENROUTER_BASE_URL")
        .output()
        .unwrap_or_else(|e| panic!("cannot run node (is Node.js 20+ installed?): {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "node --test sim/conformance/sdk.test.mjs failed ({}):\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        output.status
    );
    // Make sure tests actually ran.
    assert!(
        stdout.contains("# pass ") && !stdout.contains("# pass 0"),
        "no SDK test ran:\n{stdout}\n{stderr}"
    );
}
