//! `cargo xtask dev`: the product running locally, populated.
//!
//! Starts the stack through the launcher (`stack/`): the migrations
//! applied to `.wrangler/state`, the OpenRouter simulator in-process on
//! 127.0.0.1:8788 (demo scenario: one account with two inference keys and a
//! management key; its banner in `.wrangler/openrouter-sim.log`) and
//! `wrangler dev` on 127.0.0.1:8787 (its output on this terminal; it
//! rebuilds and reloads on every save). Then makes a demo user, adds the
//! simulator's keys, records a week of hourly history through the
//! simulator's clock and the real sync, sets a budget near its alert,
//! delivers that alert to a webhook receiver on this machine
//! (`watcher_stack::demo`) and prints the login, so a newcomer opens a
//! dashboard with every screen populated.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use watcher_stack::client::{Client, Reach};
use watcher_stack::demo::history;
use watcher_stack::demo::receiver::Receiver;
use watcher_stack::demo::Demo;
use watcher_stack::{SimConfig, SimHandle, Stack};

use crate::tools::{root, setup, step, Result};

const WORKER_PORT: u16 = 8787;
const SIM_PORT: u16 = 8788;
const RECEIVER_PORT: u16 = 8789;
/// Where the demo's history started, beside the local D1 it lives in (so
/// deleting `.wrangler/state` starts a fresh demo).
const HISTORY_MARK: &str = ".wrangler/state/demo-history-start";
const DEMO_EMAIL: &str = "demo@example.com";
/// How long the Worker may take to answer `/health` (its first build
/// included).
const HEALTH_DEADLINE: Duration = Duration::from_secs(300);

pub fn start() -> Result {
    let started = Instant::now();
    setup()?;
    let root = root();
    fs::create_dir_all(root.join(".wrangler/state")).map_err(|e| e.to_string())?;
    let recorded = fs::read_to_string(root.join(HISTORY_MARK))
        .ok()
        .and_then(|s| s.trim().parse::<DateTime<Utc>>().ok());
    let history_start = match recorded {
        Some(start) => start,
        None => history::start(Utc::now())?,
    };
    let receiver = Receiver::start(RECEIVER_PORT, &root.join(".wrangler/demo-webhook.log"))?;
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
            // The demo keys' generated history ends where the recorded one
            // starts.
            clock: Some(history_start),
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
        .and_then(|()| populate(&root, &worker, &sim, &receiver, recorded, history_start))
    {
        Ok((password, api_token)) => print_welcome(&password, api_token.as_deref(), started),
        Err(e) => eprintln!("demo data not created: {e}"),
    }
    let status = stack.worker.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("wrangler dev: {status}"))
    }
}

/// The demo, made afresh from `start` or (`recorded`) resumed; answers the
/// demo user's password and, made afresh, its API token.
fn populate(
    root: &Path,
    worker: &Client,
    sim: &SimHandle,
    receiver: &Receiver,
    recorded: Option<DateTime<Utc>>,
    start: DateTime<Utc>,
) -> Result<(String, Option<String>)> {
    let password = demo_password(root)?;
    let demo = Demo {
        worker,
        sim: &sim.sim(),
        keys: sim.scenario_keys(),
        receiver,
        persist_dir: &root.join(".wrangler/state"),
        email: DEMO_EMAIL,
        password: &password,
    };
    if recorded.is_some() {
        demo.resume(start)?;
        return Ok((password, None));
    }
    step(&format!(
        "the demo's history: {} days of hourly readings through the hourly sync",
        history::DAYS
    ));
    let created = demo.create(start)?;
    fs::write(root.join(HISTORY_MARK), start.to_rfc3339())
        .map_err(|e| format!("{HISTORY_MARK}: {e}"))?;
    Ok((password, Some(created.api_token)))
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

fn print_welcome(password: &str, api_token: Option<&str>, started: Instant) {
    let base = format!("http://127.0.0.1:{WORKER_PORT}");
    eprintln!(
        "\n\x1b[1m==> OpenRouter Watcher is running ({:.0} s): {base}\x1b[0m\n    \
         log in as {DEMO_EMAIL} / {password} (3 demo keys, {} days of hourly history)\n    \
         webhook deliveries: .wrangler/demo-webhook.log\n    \
         fire a sync: curl '{base}/__scheduled?cron=0+*+*+*+*'",
        started.elapsed().as_secs_f64(),
        history::DAYS
    );
    if let Some(token) = api_token {
        eprintln!(
            "    the public API (this token is shown once): \
             curl -H 'Authorization: Bearer {token}' '{base}/api/v1/stats'"
        );
    }
    eprintln!();
}
