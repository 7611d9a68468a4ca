//! `cargo xtask dev`: the product running locally, populated.
//!
//! Starts the stack through the launcher (`stack/`): the migrations
//! applied to `.wrangler/state`, the OpenRouter simulator in-process on
//! 127.0.0.1:8788 (demo scenario: one account with two inference keys and a
//! management key; its banner in `.wrangler/openrouter-sim.log`) and
//! `wrangler dev` on 127.0.0.1:8787 (its output on this terminal; it
//! rebuilds and reloads on every save). Then makes a demo user, adds the
//! simulator's keys, fires one hourly sync and prints the login, so a
//! newcomer opens a populated dashboard within a minute.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;
use watcher_stack::openrouter_sim::control::{KeyKind, RegisteredKey};
use watcher_stack::{SimConfig, Stack};

use crate::http::{Client, Reach};
use crate::tools::{root, setup, step, Result};

const WORKER_PORT: u16 = 8787;
const SIM_PORT: u16 = 8788;
const DEMO_EMAIL: &str = "demo@example.com";
/// How long the Worker may take to answer `/health` (its first build
/// included).
const HEALTH_DEADLINE: Duration = Duration::from_secs(300);

pub fn start() -> Result {
    let started = Instant::now();
    setup()?;
    let root = root();
    fs::create_dir_all(root.join(".wrangler")).map_err(|e| e.to_string())?;
    step(&format!(
        "D1 migrations (.wrangler/state), the OpenRouter simulator (demo scenario) on \
         127.0.0.1:{SIM_PORT}, wrangler dev on http://127.0.0.1:{WORKER_PORT} \
         (cron: /__scheduled?cron=0+*+*+*+*)"
    ));
    let mut stack = Stack::builder()
        .persist_dir(root.join(".wrangler/state"))
        .port(WORKER_PORT)
        .sim(SimConfig {
            port: SIM_PORT,
            scenario: Some("demo".into()),
            ..SimConfig::default()
        })
        .sim_log(root.join(".wrangler/openrouter-sim.log"))
        // A webhook receiver on this machine is allowed (docs/alerts.md).
        .var("WEBHOOK_LOOPBACK", "1")
        .launch()?;
    let sim = stack.sim.take().ok_or("the simulator did not start")?;
    let worker = stack.worker.client().with_timeout(Duration::from_secs(30));
    match stack
        .worker
        .wait_ready("/health", HEALTH_DEADLINE)
        .and_then(|()| populate(&root, &worker, sim.scenario_keys()))
    {
        Ok(password) => print_welcome(&password, started),
        Err(e) => eprintln!("demo data not created: {e}"),
    }
    let status = stack.worker.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("wrangler dev: {status}"))
    }
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
fn populate(root: &Path, worker: &Client, demo_keys: &[RegisteredKey]) -> Result<String> {
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
    let mut demo_keys = demo_keys.to_vec();
    if demo_keys.is_empty() {
        return Err("the simulator has no demo keys".into());
    }
    // The management key first: the first sync then backfills per-model
    // activity for the inference keys.
    demo_keys.sort_by_key(|k| k.kind != KeyKind::Management);
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
