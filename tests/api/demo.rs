//! The demo `cargo xtask dev` shows a newcomer, made by the same code
//! (`watcher_stack::demo`) on a stack of its own, then walked in a real
//! browser (`web/tests/demo.mjs`): every screen populated, axe-clean at
//! both widths in both schemes. Also what the demo promises by itself: the
//! week of hourly readings is there, the budget's alerts, the history's
//! spike and a digest preview reached the receiver.

use chrono::Utc;
use watcher_stack::client::{Client, Reach};
use watcher_stack::demo::history;
use watcher_stack::demo::receiver::Receiver;
use watcher_stack::demo::Demo;
use watcher_stack::{free_port, SimConfig, Stack};

use crate::helpers::*;

const EMAIL: &str = "demo@example.com";

#[tokio::test]
async fn the_demo_fills_every_screen_in_a_real_browser() {
    let start = history::start(Utc::now()).expect("an hour");
    let run_dir = app().log_path.parent().expect("run dir").to_path_buf();
    let (dir, log) = (
        run_dir.join("demo-state"),
        run_dir.join("demo-wrangler.log"),
    );
    let password = format!("demo-{}", unique("pw"));
    remember_secret(&password);
    let made = tokio::task::spawn_blocking({
        let (dir, password) = (dir.clone(), password.clone());
        move || -> Result<_, String> {
            let builder = Stack::builder().sim(SimConfig {
                scenario: Some("demo".into()),
                clock: Some(start),
                ..SimConfig::default()
            });
            let stack = for_tests(builder, &dir, &log, &["WEBHOOK_LOOPBACK:1"]).start()?;
            let sim = stack.sim.as_ref().ok_or("no simulator")?;
            let receiver = Receiver::start(free_port()?, &dir.join("demo-webhook.log"))?;
            let worker: Client = stack.worker.client();
            let created = Demo {
                worker: &worker,
                sim: &sim.sim(),
                keys: sim.scenario_keys(),
                receiver: &receiver,
                persist_dir: &dir,
                email: EMAIL,
                password: &password,
            }
            .create(start)?;
            Ok((stack, receiver, created))
        }
    })
    .await
    .expect("joins")
    .unwrap_or_else(|why| panic!("the demo was not made: {why}"));
    let (stack, receiver, created) = made;
    remember_secret(&created.jwt);
    remember_secret(&created.api_token);

    // A reading in every hour of the history (on OpenRouter's clock, which
    // the hourly curve reads) and the real one after it, per inference key,
    // all taken by the Worker's sync.
    let readings = d1_query(
        &dir,
        "SELECT k.name, COUNT(DISTINCT substr(COALESCE(s.served_at, s.taken_at), 1, 13)) AS hours
           FROM key_snapshots s JOIN api_keys k ON k.id = s.api_key_id
          WHERE k.kind = 'inference' GROUP BY k.name ORDER BY k.name",
    );
    let hours = history::DAYS * 24;
    for row in &readings {
        assert!(
            row["hours"].as_i64().unwrap() > hours,
            "hourly readings of {}: {row}",
            row["name"]
        );
    }
    assert_eq!(readings.len(), 2, "{readings:?}");
    // The budget's alerts were delivered to the receiver.
    let delivered = std::fs::read_to_string(&receiver.log).unwrap_or_default();
    assert!(
        delivered.contains("budget.threshold"),
        "the receiver got: {delivered}"
    );
    // The runaway hour of the history raised one spike on its key (one
    // episode, not one per hour), with no budget asking for it; the receiver
    // has it, and the digest preview the demo sent.
    let spikes = d1_query(
        &dir,
        &format!(
            "SELECT COUNT(*) AS n FROM alert_events e JOIN api_keys k ON k.id = e.api_key_id
              WHERE e.type = 'spend.spike' AND k.name = '{}'",
            history::BUSIEST_KEY
        ),
    );
    assert_eq!(spikes[0]["n"], 1, "spikes on {}", history::BUSIEST_KEY);
    for kind in ["spend.spike", "digest.weekly"] {
        assert!(
            delivered.contains(kind),
            "no {kind}; the receiver got: {delivered}"
        );
    }

    let env = [
        ("ORW_BASE_URL", stack.worker.base_url.clone()),
        ("ORW_CLIENT_IP", unique_ip()),
        ("ORW_DEMO_EMAIL", EMAIL.to_owned()),
        ("ORW_DEMO_PASSWORD", password),
        ("ORW_SCREENSHOT_DIR", screenshot_dir().display().to_string()),
    ];
    walk("demo.mjs", &env).await;
    drop(stack);
}
