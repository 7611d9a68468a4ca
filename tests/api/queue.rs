//! The hourly sync fanned out through the queue (`SYNC_QUEUE`, Miniflare's
//! under `wrangler dev`): every key of every account synced by one run in
//! batches, a batch retried after OpenRouter's 429 until it completes, a
//! batch that never does dead-lettered and reported while the others are
//! intact, every batch delivered twice (`SYNC_REDELIVER_FOR_TESTS`)
//! without a row changing twice, and an attempt whose D1 writes are refused
//! taken over by its retry at once. On a Worker of its own, whose runs no
//! other test's keys join.

use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::helpers::*;

/// The run's Worker: accounts may hold and add hundreds of keys here.
async fn queue_worker() -> Worker {
    let (dir, log) = (
        run_dir().join("queue-state"),
        run_dir().join("queue-wrangler.log"),
    );
    const VARS: &[&str] = &[
        "MAX_KEYS_PER_USER:1000",
        "KEY_ADDS_PER_HOUR:5000",
        "SYNC_REDELIVER_FOR_TESTS:1",
    ];
    own_worker(dir, log, VARS).await
}

/// A user of `worker` with `count` new simulator keys stored: (jwt, [(key id, key hash)]).
async fn account_with_keys(worker: &Worker, count: u32) -> (String, Vec<(i64, String)>) {
    let base = worker.base_url.clone();
    let jwt = user_at(&base).await.jwt;
    let keys = sim_post(
        "/_sim/keys/bulk",
        &json!({ "count": count, "generate": false, "prefix": unique("q") }),
    )
    .await["keys"]
        .as_array()
        .unwrap()
        .clone();
    let stored: Vec<(i64, String)> = stream::iter(keys)
        .map(|k| {
            let (base, jwt) = (base.clone(), jwt.clone());
            async move {
                let key = k["key"].as_str().unwrap().to_owned();
                remember_secret(&key);
                let res = call_at(&base, "POST", "/api/keys")
                    .bearer(&jwt)
                    .json(&json!({ "name": k["label"], "key": key }))
                    .send()
                    .await;
                assert_eq!(res.status, 201, "{}", res.text);
                (
                    res.json["id"].as_i64().unwrap(),
                    k["key_hash"].as_str().unwrap().to_owned(),
                )
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    (jwt, stored)
}

/// Fires the hourly cron on `worker`, waits for its run to finish, and
/// returns the run's row.
pub(crate) async fn hourly_run(worker: &Worker) -> Value {
    let (before, _) = start_hourly_run(worker).await;
    wait_for_runs(&worker.persist_dir, before).await;
    newest_run(worker)
}

/// Fires the hourly cron on `worker` without waiting for its batches:
/// the newest run's id before, and the run the cron planned.
async fn start_hourly_run(worker: &Worker) -> (i64, i64) {
    let before = newest_run(worker)["id"].as_i64().unwrap_or(0);
    trigger_cron(worker, "0 * * * *").await;
    let run = newest_run(worker);
    assert!(run["id"].as_i64() > Some(before), "no new run: {run}");
    (before, run["id"].as_i64().unwrap_or_default())
}

fn newest_run(worker: &Worker) -> Value {
    d1_query(
        &worker.persist_dir,
        "SELECT * FROM job_runs ORDER BY id DESC LIMIT 1",
    )
    .into_iter()
    .next()
    .unwrap_or(Value::Null)
}

fn batches_of(worker: &Worker, run_id: i64) -> Vec<Value> {
    d1_query(
        &worker.persist_dir,
        &format!("SELECT batch, key_ids, keys, status, attempts, keys_ok, subrequests FROM sync_batches WHERE run_id = {run_id} ORDER BY batch"),
    )
}

fn batch_holding(batches: &[Value], key_id: i64) -> Value {
    batches
        .iter()
        .find(|b| {
            serde_json::from_str::<Vec<i64>>(b["key_ids"].as_str().unwrap())
                .unwrap()
                .contains(&key_id)
        })
        .cloned()
        .unwrap_or_else(|| panic!("no batch holds key {key_id}"))
}

#[tokio::test]
async fn the_hourly_sync_fans_out_retries_dead_letters_and_survives_redelivery() {
    let worker = queue_worker().await;
    let (_, small) = account_with_keys(&worker, 1).await;
    let (_, medium) = account_with_keys(&worker, 50).await;
    let (_, large) = account_with_keys(&worker, 500).await;
    let all: Vec<&(i64, String)> = small.iter().chain(&medium).chain(&large).collect();

    // One run syncs all 551 keys, 50 to a batch, accounts interleaved.
    let run = hourly_run(&worker).await;
    let id = run["id"].as_i64().unwrap();
    assert_eq!(
        (run["status"].as_str(), run["batches"].as_i64()),
        (Some("ok"), Some(12)),
        "{run}"
    );
    assert_eq!(
        (run["batches_done"].as_i64(), run["keys_ok"].as_i64()),
        (Some(12), Some(551)),
        "{run}"
    );
    assert!(run["max_subrequests"].as_i64().unwrap() < 1000, "{run}");
    let batches = batches_of(&worker, id);
    assert!(
        batches
            .iter()
            .all(|b| b["status"] == "ok" && b["attempts"] == 1),
        "{batches:?}"
    );
    let first: Vec<i64> = serde_json::from_str(batches[0]["key_ids"].as_str().unwrap()).unwrap();
    assert!(
        first.contains(&small[0].0) && first.contains(&medium[0].0),
        "the small accounts are in the first batch"
    );
    // Every batch was delivered twice; every key was read once by the run
    // (and once when it was stored), and has one snapshot of each.
    for (key, hash) in [all[0], all[300], all[550]] {
        let calls = sim_get(&format!("/_sim/requests?key_hash={hash}&path=/api/v1/key")).await;
        assert_eq!(
            calls.as_array().map(Vec::len),
            Some(2),
            "key {key}: {calls}"
        );
    }
    let snapshots = d1_query(
        &worker.persist_dir,
        "SELECT COUNT(*) AS n, COUNT(DISTINCT api_key_id) AS k FROM key_snapshots",
    );
    assert_eq!(
        (snapshots[0]["n"].as_i64(), snapshots[0]["k"].as_i64()),
        (Some(551 * 2), Some(551)),
        "validation + one sync each"
    );

    // A batch answered 429 twice is retried after Retry-After and completes.
    let (flaky, flaky_hash) = large[10].clone();
    add_fault(&json!({ "key_hash": flaky_hash, "path": "/key", "retry_after": 1, "times": 2 }))
        .await;
    let run = hourly_run(&worker).await;
    let batch = batch_holding(&batches_of(&worker, run["id"].as_i64().unwrap()), flaky);
    assert_eq!(
        (batch["status"].as_str(), batch["attempts"].as_i64()),
        (Some("ok"), Some(3)),
        "{batch}"
    );
    assert_eq!(
        (run["status"].as_str(), run["keys_ok"].as_i64()),
        (Some("ok"), Some(551)),
        "{run}"
    );

    // A batch that is always refused goes to the dead-letter queue and is
    // reported; the other batches are intact; the next run syncs its keys.
    let (stuck, stuck_hash) = medium[5].clone();
    let fault =
        add_fault(&json!({ "key_hash": stuck_hash, "path": "/key", "retry_after": 1 })).await;
    let run = hourly_run(&worker).await;
    let batches = batches_of(&worker, run["id"].as_i64().unwrap());
    let dead = batch_holding(&batches, stuck);
    assert_eq!(dead["status"], "dead", "{dead}");
    assert_eq!(
        batches.iter().filter(|b| b["status"] == "ok").count(),
        11,
        "{batches:?}"
    );
    assert_eq!(
        (run["status"].as_str(), run["batches_dead"].as_i64()),
        (Some("partial"), Some(1)),
        "{run}"
    );
    assert!(run["keys_dead"].as_i64() >= Some(1), "{run}");
    assert!(
        run["error"].as_str().unwrap().contains(&stuck.to_string()),
        "the dead keys are named: {run}"
    );
    lift_fault(&fault).await;
    let before: String = d1_query(
        &worker.persist_dir,
        &format!("SELECT last_synced_at FROM api_keys WHERE id = {stuck}"),
    )[0]["last_synced_at"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let run = hourly_run(&worker).await;
    assert_eq!(run["status"], "ok", "{run}");
    let after = d1_query(
        &worker.persist_dir,
        &format!("SELECT last_synced_at FROM api_keys WHERE id = {stuck}"),
    );
    assert!(
        after[0]["last_synced_at"].as_str().unwrap_or_default() > before.as_str(),
        "synced again"
    );

    // An attempt whose writes D1 refuses after it claimed its batch is
    // retried by its message, which takes the batch over at once rather
    // than waiting out the failed attempt's ten-minute lease.
    let (slow, slow_hash) = small[0].clone();
    add_fault(&json!({ "key_hash": slow_hash, "path": "/key", "delay_ms": 3000, "times": 1 }))
        .await;
    let (before, run_id) = start_hourly_run(&worker).await;
    let claimed = until(Duration::from_secs(120), || {
        let batch = batch_holding(&batches_of(&worker, run_id), slow);
        (batch["status"] == "running").then_some(batch)
    })
    .await
    .expect("the slow key's batch is claimed");
    let lock = hold_write_lock(&worker.persist_dir);
    let failed = format!("batch {} of run {run_id}:", claimed["batch"]);
    until(Duration::from_secs(120), || {
        worker.log().contains(&failed).then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("no failed attempt logged ({failed})"));
    drop(lock);
    wait_for_runs(&worker.persist_dir, before).await;
    let batch = batch_holding(&batches_of(&worker, run_id), slow);
    assert_eq!(batch["status"], "ok", "{batch}");
    assert!(batch["attempts"].as_i64() >= Some(2), "{batch}");
    worker.kill();
}

/// Polls `probe` every 100 ms until it answers, for up to `limit`.
async fn until<T>(limit: Duration, mut probe: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(found) = probe() {
            return Some(found);
        }
        if std::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
