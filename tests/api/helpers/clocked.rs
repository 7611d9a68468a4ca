//! A Worker and a simulator of their own, for the tests that move the
//! simulator's clock (months rolling over, hours passing): moving the shared
//! simulator's clock would pull the ground from under every other test.
//! They take turns through [`clocked`].

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, MutexGuard};
use watcher_stack::{SimConfig, SimHandle, Stack};

use super::d1::d1_query;
use super::harness::{for_tests, run_dir, Worker};

pub struct Clocked {
    pub sim: SimHandle,
    pub worker: Worker,
}

impl Clocked {
    /// Freezes the simulator's clock (OpenRouter's) at `at` (RFC 3339).
    pub fn freeze(&self, at: &str) {
        let at: DateTime<Utc> = at.parse().expect("an RFC 3339 time");
        self.sim.sim().set_clock(Some(at));
    }

    /// Records `usage` USD of spend on `day` for a simulated key.
    pub fn spend(&self, hash: &str, day: &str, usage: &str) {
        let record = serde_json::from_value(serde_json::json!({
            "date": day, "model": "openai/gpt-4o", "requests": 1,
            "prompt_tokens": 100, "completion_tokens": 50, "usage": usage
        }))
        .expect("a usage record");
        self.sim
            .sim()
            .add_usage(hash, record)
            .expect("the simulator takes the usage");
    }

    /// Fires the hourly sync and waits for its run to finish (its batches
    /// are consumed from the queue).
    pub async fn sync(&self) {
        let dir = self.worker.persist_dir.clone();
        let before = tokio::task::spawn_blocking(move || {
            d1_query(&dir, "SELECT COALESCE(MAX(id), 0) AS id FROM job_runs")[0]["id"]
                .as_i64()
                .unwrap_or(0)
        })
        .await
        .expect("joins");
        super::fixtures::trigger_cron(&self.worker, "0 * * * *").await;
        super::fixtures::wait_for_runs(&self.worker.persist_dir, before).await;
    }
}

static STACK: OnceLock<Result<Clocked, String>> = OnceLock::new();
static TURN: Mutex<()> = Mutex::const_new(());

/// The clocked stack (started on first use, with loopback webhooks
/// allowed), held for the caller's turn.
pub async fn clocked() -> (MutexGuard<'static, ()>, &'static Clocked) {
    let turn = TURN.lock().await;
    let stack = tokio::task::spawn_blocking(|| STACK.get_or_init(start).as_ref())
        .await
        .expect("joins")
        .unwrap_or_else(|why| panic!("the clocked stack did not start: {why}"));
    (turn, stack)
}

fn start() -> Result<Clocked, String> {
    start_own("clocked", 7, &["WEBHOOK_LOOPBACK:1"])
}

/// A simulator and a Worker of their own (`<name>-state`, `<name>-wrangler.log`
/// in the run's directory), the Worker started with `vars`.
pub fn start_own(name: &str, seed: u64, vars: &[&str]) -> Result<Clocked, String> {
    let sim = Stack::builder().sim(SimConfig {
        port: 0,
        seed,
        scenario: None,
        clock: None,
    });
    let (dir, log) = (
        run_dir().join(format!("{name}-state")),
        run_dir().join(format!("{name}-wrangler.log")),
    );
    let stack = for_tests(sim, &dir, &log, vars).start()?;
    super::harness::dump_audit_log_at_exit(&dir);
    let sim = stack
        .sim
        .ok_or(format!("the {name} stack has no simulator"))?;
    Ok(Clocked {
        sim,
        worker: stack.worker,
    })
}
