//! `cargo xtask dev`: the product running locally, populated.
//!
//! Applies the migrations to `.wrangler/state`, starts the OpenRouter
//! simulator (demo scenario: one account with two inference keys and a
//! management key) and `wrangler dev`, then makes a demo user, adds the
//! simulator's keys, fires one hourly sync and prints the login, so a
//! newcomer opens a populated dashboard within a minute.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::http::Client;
use crate::procs::Server;
use crate::tools::{apply_migrations, root, run, setup, step, wrangler, Result};

const WORKER_PORT: u16 = 8787;
const SIM_PORT: u16 = 8788;
const DEMO_EMAIL: &str = "demo@example.com";

pub fn start() -> Result {
    let started = Instant::now();
    setup()?;
    let root = root();
    let state = root.join(".wrangler/state");
    step("D1 migrations (local)");
    apply_migrations(&state)?;
    step(&format!(
        "OpenRouter simulator (demo scenario) on 127.0.0.1:{SIM_PORT}"
    ));
    run(Command::new("cargo")
        .args(["build", "--quiet", "-p", "openrouter-sim"])
        .current_dir(&root))?;
    fs::create_dir_all(root.join(".wrangler")).map_err(|e| e.to_string())?;
    let mut sim = Server::spawn(
        "openrouter-sim",
        SIM_PORT,
        Command::new(root.join("target/debug/openrouter-sim")).args([
            "--port",
            &SIM_PORT.to_string(),
            "--scenario",
            "demo",
        ]),
        &root.join(".wrangler/openrouter-sim.log"),
    )?;
    sim.wait_ready("/_sim/health", Duration::from_secs(30))?;

    step(&format!(
        "wrangler dev on http://127.0.0.1:{WORKER_PORT} (cron: /__scheduled?cron=0+*+*+*+*)"
    ));
    let mut wrangler_dev = wrangler(&root)
        .args(["dev", "--local", "--test-scheduled", "--ip", "127.0.0.1"])
        .args(["--port", &WORKER_PORT.to_string(), "--persist-to"])
        .arg(&state)
        .args([
            "--var",
            &format!("OPENROUTER_BASE_URL:http://127.0.0.1:{SIM_PORT}/api/v1"),
            "--var", // a webhook receiver on this machine is allowed (docs/alerts.md)
            "WEBHOOK_LOOPBACK:1",
            "--show-interactive-dev-session=false",
        ])
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("wrangler dev: {e}"))?;

    let worker = Client::new(WORKER_PORT).with_timeout(Duration::from_secs(30));
    match wait_healthy(&worker, Duration::from_secs(300))
        .and_then(|()| populate(&root, &worker, &sim.log))
    {
        Ok(password) => print_welcome(&password, started),
        Err(e) => eprintln!("demo data not created: {e}"),
    }
    let status = wrangler_dev.wait().map_err(|e| e.to_string())?;
    sim.stop();
    if status.success() {
        Ok(())
    } else {
        Err(format!("wrangler dev: {status}"))
    }
}

fn wait_healthy(worker: &Client, limit: Duration) -> Result {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if worker.get("/health", None).is_ok_and(|r| r.status == 200) {
            return Ok(());
        }
        sleep(Duration::from_millis(300));
    }
    Err(format!(
        "the Worker did not answer /health within {} s",
        limit.as_secs()
    ))
}

/// The demo user's password: random, made once per local state and kept
/// beside it (`.wrangler/` is never committed).
fn demo_password(root: &Path) -> Result<String> {
    let path = root.join(".wrangler/demo-password");
    if let Ok(existing) = fs::read_to_string(&path) {
        if !existing.trim().is_empty() {
            return Ok(existing.trim().to_owned());
        }
    }
    let mut bytes = [0u8; 12];
    getrandom::getrandom(&mut bytes).map_err(|e| e.to_string())?;
    let password = format!("demo-{}", hex(&bytes));
    fs::write(&path, &password).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(password)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Registers the demo user (once), adds the simulator's demo keys (once:
/// a second run answers 409) and fires one hourly sync.
fn populate(root: &Path, worker: &Client, sim_log: &Path) -> Result<String> {
    let password = demo_password(root)?;
    let credentials = json!({ "email": DEMO_EMAIL, "password": password }).to_string();
    let registered = worker.post("/api/auth/register", None, &credentials)?;
    if registered.status != 201 && registered.status != 409 {
        return Err(format!(
            "register: {} {}",
            registered.status, registered.body
        ));
    }
    let login = worker.post("/api/auth/login", None, &credentials)?;
    if login.status != 200 {
        return Err(format!(
            "login as {DEMO_EMAIL} failed ({}); delete .wrangler/state to start afresh",
            login.status
        ));
    }
    let jwt = login.json()?["access_token"]
        .as_str()
        .ok_or("login answered without a token")?
        .to_owned();
    // The simulator prints its demo keys when it starts (its control API
    // never hands a key out).
    let sim_log = fs::read_to_string(sim_log).map_err(|e| format!("{}: {e}", sim_log.display()))?;
    let mut demo_keys = demo_keys(&sim_log);
    if demo_keys.is_empty() {
        return Err("the simulator printed no demo keys".into());
    }
    // The management key first: the first sync then backfills per-model
    // activity for the inference keys.
    demo_keys.sort_by_key(|k| k.kind != "management");
    for key in demo_keys {
        let body = json!({ "name": key.label, "key": key.key, "kind": key.kind });
        let added = worker.post("/api/keys", Some(&jwt), &body.to_string())?;
        if added.status != 201 && added.status != 409 {
            return Err(format!("add key: {} {}", added.status, added.body));
        }
    }
    let synced = worker.get("/__scheduled?cron=0+*+*+*+*", None)?;
    if synced.status != 200 {
        return Err(format!("sync: {} {}", synced.status, synced.body));
    }
    Ok(password)
}

fn print_welcome(password: &str, started: Instant) {
    eprintln!(
        "\n\x1b[1m==> OpenRouter Watcher is running ({:.0} s): http://127.0.0.1:{WORKER_PORT}\x1b[0m\n    \
         log in as {DEMO_EMAIL} / {password} (3 demo keys added, synced once)\n    \
         fire a sync: curl 'http://127.0.0.1:{WORKER_PORT}/__scheduled?cron=0+*+*+*+*'\n",
        started.elapsed().as_secs_f64()
    );
}

/// A key the simulator's demo scenario made.
#[derive(Debug, PartialEq, Eq)]
struct DemoKey {
    label: String,
    kind: String,
    key: String,
}

/// The `demo key: <label> <kind> <key>` lines of the simulator's output.
fn demo_keys(log: &str) -> Vec<DemoKey> {
    log.lines()
        .filter_map(|line| line.strip_prefix("demo key: "))
        .filter_map(|rest| {
            let mut parts = rest.split_whitespace();
            Some(DemoKey {
                label: parts.next()?.to_owned(),
                kind: parts.next()?.to_owned(),
                key: parts.next()?.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_demo_keys_the_simulator_prints() {
        let log = "openrouter-sim listening on http://127.0.0.1:8788\n\
                   demo key: demo-alice inference sk-or-v1-aa\n\
                   demo key: demo-admin management sk-or-v1-bb\n\
                   demo key: truncated\n";
        assert_eq!(
            demo_keys(log),
            vec![
                DemoKey {
                    label: "demo-alice".into(),
                    kind: "inference".into(),
                    key: "sk-or-v1-aa".into()
                },
                DemoKey {
                    label: "demo-admin".into(),
                    kind: "management".into(),
                    key: "sk-or-v1-bb".into()
                },
            ]
        );
    }
}
