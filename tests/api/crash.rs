//! Crash safety: a Worker killed in the middle of a sync leaves no
//! half-written day for any key, its run is recorded as `interrupted` once
//! its heartbeat is overdue, and the next sync completes the work. Runs on a
//! Worker of its own (its own D1), so killing it disturbs no other test.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::*;
use crate::sync::{stored, truth_window};

const KEYS: usize = 12;
const SYNC: &str = "/__scheduled?cron=0+*+*+*+*";

fn usage_of(worker: &Worker, user_id: i64) -> Vec<Value> {
    d1_query(
        &worker.persist_dir,
        &format!(
            "SELECT api_key_id, date, model, requests_count, tokens_input, tokens_output,
                    CAST(cost AS TEXT) AS cost
             FROM usage_stats WHERE org_id = {user_id} ORDER BY api_key_id, date, model"
        ),
    )
}

/// Rows grouped by day: (model -> figures) per date.
fn by_day<V: Clone>(rows: &BTreeMap<(String, String), V>) -> BTreeMap<String, BTreeMap<String, V>> {
    let mut days: BTreeMap<String, BTreeMap<String, V>> = BTreeMap::new();
    for ((date, model), figures) in rows {
        days.entry(date.clone())
            .or_default()
            .insert(model.clone(), figures.clone());
    }
    days
}

async fn start_worker(dir: std::path::PathBuf, log: std::path::PathBuf) -> Worker {
    const VARS: &[&str] = &[
        "JOB_HEARTBEAT_TIMEOUT_SECS:2",
        "SYNC_STALL_TIMEOUT_SECS:2",
        "KEY_ADDS_PER_HOUR:1000",
    ];
    own_worker(dir, log, VARS).await
}

#[tokio::test]
async fn a_sync_killed_midway_leaves_whole_days_and_the_next_run_completes_it() {
    let dir = run_dir().join("crash-state");
    let log = run_dir().join("crash-wrangler.log");
    let worker = start_worker(dir.clone(), log.clone()).await;

    let user = user_at(&worker.base_url).await;
    let (user_id, jwt) = (user.org, user.jwt);
    let admin = sim_key(json!({ "kind": "management" })).await;
    let add = |name: String, key: String, kind: &'static str| {
        let jwt = jwt.clone();
        let base = worker.base_url.clone();
        async move {
            let res = call_at(&base, "POST", "/api/keys")
                .bearer(&jwt)
                .json(&json!({ "name": name, "key": key, "kind": kind }))
                .send()
                .await;
            assert_eq!(res.status, 201, "{}", res.text);
            res.json["id"].as_i64().unwrap()
        }
    };
    add("admin".into(), admin.key.clone(), "management").await;
    let mut keys = Vec::new();
    for i in 0..KEYS {
        let sim = sim_key(json!({ "account": admin.account })).await;
        keys.push((
            add(format!("app-{i}"), sim.key.clone(), "inference").await,
            sim,
        ));
    }

    // Slow OpenRouter down so the sync is still running when the Worker dies.
    let slow =
        add_fault(&json!({ "key_hash": admin.hash, "path": "/activity", "delay_ms": 300 })).await;
    let base = worker.base_url.clone();
    let first_run = tokio::spawn(async move { client().get(format!("{base}{SYNC}")).send().await });
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let rows = usage_of(&worker, user_id);
        if !rows.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "the sync wrote nothing in 60 s");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    worker.kill();
    let _ = first_run.await;

    // Killed midway: the run's batch was being consumed; some days are
    // stored, and each is whole.
    let runs = d1_query(&dir, "SELECT id, status FROM job_runs ORDER BY id");
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0]["status"], "enqueued", "{runs:?}");
    let rows = usage_of(&worker, user_id);
    let mut days_stored = 0;
    let mut truths = Vec::new();
    for (id, sim) in &keys {
        let truth = by_day(&truth_window(&sim.hash).await);
        for (date, models) in by_day(&stored(&rows, *id)) {
            assert_eq!(
                Some(&models),
                truth.get(&date),
                "key {id}: {date} is stored half-written"
            );
            days_stored += 1;
        }
        truths.push(truth);
    }
    let total_days: usize = truths.iter().map(BTreeMap::len).sum();
    assert!(
        days_stored > 0 && days_stored < total_days,
        "the kill came mid-sync ({days_stored} of {total_days} key-days stored)"
    );

    // Restarted: once its batches stop reporting for the stall timeout, the
    // next run closes the interrupted one, and completes the work.
    lift_fault(&slow).await;
    let worker = start_worker(dir.clone(), log).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let res = call_at(&worker.base_url, "GET", SYNC)
        .send_unchecked()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    wait_for_runs(&dir, runs[0]["id"].as_i64().unwrap()).await;
    let runs = d1_query(&dir, "SELECT id, status, error FROM job_runs ORDER BY id");
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0]["status"], "interrupted", "{runs:?}");
    assert!(runs[0]["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("interrupted")));
    assert_eq!(runs[1]["status"], "ok", "{runs:?}");
    let rows = usage_of(&worker, user_id);
    for ((id, sim), truth) in keys.iter().zip(&truths) {
        assert_eq!(
            &by_day(&stored(&rows, *id)),
            truth,
            "key {id} ({}) is complete after the next run",
            sim.hash
        );
    }
    worker.kill();
}
