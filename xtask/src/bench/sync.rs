//! Sync at scale: ten accounts store 10,000 simulator keys through the web
//! API, each with its OpenRouter account's management key, then the hourly
//! job is fired twice on the same keys: once with `SYNC_KEY_LISTING=0` (one
//! `GET /key` per key, as before the listing) and once as configured (each
//! account's keys read from its management key's listing, `GET /keys`, 100
//! a page). Both runs are the steady hourly state: the keys' activity is
//! set final up to four days ago first (as after a first sync), so each
//! key refetches the last 3 days of `/activity` in both. The cron plans
//! each run into queue batches and returns; a run is final when its last
//! batch reports. Reported per run: the wall time from the cron to the
//! run's final status, the batches, the run's subrequests (exact: counted
//! by the Worker), the simulator's `GET /key` and `GET /keys` calls, the
//! most subrequests one consumer invocation made (the platform's limit is
//! per invocation) and keys per second.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::account::{expect, register_and_login};
use super::stack::Stack;
use crate::tools::Result;
use watcher_stack::client::{Client, Reach};

pub const SYNC_KEYS: usize = 10_000;
/// The keys belong to this many accounts (1,000 each): one account's key
/// additions go through one rate-limit window, whose log a single account
/// of 10,000 would make the slow part of the benchmark.
const ACCOUNTS: usize = 10;
const HTTP_THREADS: usize = 12;
pub const SYNC_CRON: &str = "0+*+*+*+*";

/// The report's lines (prose, then a table of runs).
pub fn check(stack: &mut Stack) -> Result<Vec<String>> {
    let mut lines = Vec::new();
    let t = Instant::now();
    let (keys, admins) = simulator_keys(&stack.sim.client())?;
    lines.push(format!(
        "{SYNC_KEYS} inference keys registered in the simulator, {ACCOUNTS} OpenRouter accounts of {} keys, in {:.1}s (`POST /_sim/keys/bulk`).",
        SYNC_KEYS / ACCOUNTS,
        t.elapsed().as_secs_f64()
    ));
    let api = stack.worker.client();
    let mut sessions = Vec::with_capacity(ACCOUNTS);
    for i in 0..ACCOUNTS {
        sessions.push(register_and_login(&api, &format!("sync{i}"))?);
    }
    let jwts: Vec<String> = sessions.iter().map(|(_, jwt)| jwt.clone()).collect();
    lines.extend(store_keys(&api, &jwts, &keys));
    store_admins(&api, &jwts, &admins)?;
    let first_user = sessions.iter().map(|(id, _)| *id).min().unwrap_or(0);
    // The steady hourly state: activity final up to four days ago, so each
    // key refetches the last 3 days (as after its first sync).
    stack.query(&format!(
        "UPDATE api_keys SET activity_synced_through = date('now', '-4 days')          WHERE org_id >= {first_user} AND kind = 'inference'"
    ))?;
    lines.push(format!(
        "Each account also stores its OpenRouter account's management key; the keys' activity is set final up to {} (the steady hourly state: 3 days of `/activity` per key per run).",
        "four days ago"
    ));
    lines.push(String::new());
    lines.push(
        "| listing | cron answered | run final | status | batches | keys_ok | keys_failed | keys_dead | subrequests | `GET /key` | `GET /keys` | most in one invocation | keys/s | keys synced |"
            .into(),
    );
    lines.push(
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |".into(),
    );
    stack.restart_worker("sync-without-listing", &["SYNC_KEY_LISTING:0"])?;
    lines.extend(run_job(stack, first_user, "off (`/key` per key)")?);
    stack.restart_worker("sync-with-listing", &[])?;
    lines.extend(run_job(stack, first_user, "on (`GET /keys`)")?);
    Ok(lines)
}

/// Each account stores its OpenRouter account's management key.
fn store_admins(api: &Client, jwts: &[String], admins: &[String]) -> Result {
    for (i, (jwt, key)) in jwts.iter().zip(admins).enumerate() {
        let body =
            json!({ "name": format!("admin{i}"), "key": key, "kind": "management" }).to_string();
        expect(
            api.post("/api/keys", Some(jwt), &body)?,
            201,
            "POST /api/keys (management)",
        )?;
    }
    Ok(())
}

/// (label, key) of `SYNC_KEYS` new simulator keys, `SYNC_KEYS / ACCOUNTS`
/// per OpenRouter account (the simulator, like OpenRouter, reads a key's
/// account-wide figures on every `/key`), without generated history: the
/// run's work is the calls and writes, whatever the keys spent; and each
/// account's management key.
type SimKeys = (Vec<(String, String)>, Vec<String>);

fn simulator_keys(sim: &Client) -> Result<SimKeys> {
    let mut keys = Vec::with_capacity(SYNC_KEYS);
    let mut admins = Vec::with_capacity(ACCOUNTS);
    for account in 0..ACCOUNTS {
        let name = format!("bench-sync-{account}-{}", std::process::id());
        let admin =
            json!({ "label": format!("{name}-admin"), "account": name, "kind": "management" });
        let made = expect(
            sim.post("/_sim/keys", None, &admin.to_string())?,
            201,
            "POST /_sim/keys",
        )?
        .json()?;
        admins.push(made["key"].as_str().ok_or("no management key")?.to_owned());
        let body = json!({
            "count": SYNC_KEYS / ACCOUNTS,
            "account": name,
            "generate": false,
            "prefix": format!("sync{account}-"),
        })
        .to_string();
        let made = expect(
            sim.post("/_sim/keys/bulk", None, &body)?,
            201,
            "POST /_sim/keys/bulk",
        )?
        .json()?;
        keys.extend(
            made["keys"]
                .as_array()
                .ok_or("bulk: no keys")?
                .iter()
                .filter_map(|k| {
                    Some((
                        k["label"].as_str()?.to_owned(),
                        k["key"].as_str()?.to_owned(),
                    ))
                }),
        );
    }
    if keys.len() != SYNC_KEYS {
        return Err(format!(
            "the simulator made {} keys, not {SYNC_KEYS}",
            keys.len()
        ));
    }
    Ok((keys, admins))
}

/// `POST /api/keys` for each, `HTTP_THREADS` at a time: the report's lines.
fn store_keys(api: &Client, jwts: &[String], keys: &[(String, String)]) -> Vec<String> {
    let t = Instant::now();
    let next = AtomicUsize::new(0);
    let statuses: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..HTTP_THREADS {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((name, key)) = keys.get(i) else {
                    break;
                };
                let body = json!({ "name": name, "key": key }).to_string();
                // The user of the key's OpenRouter account (keys come
                // account by account): its management key lists them all.
                let per_account = keys.len().div_ceil(jwts.len().max(1)).max(1);
                let Some(jwt) = jwts.get(i / per_account) else {
                    break;
                };
                let outcome = match api.post("/api/keys", Some(jwt), &body) {
                    Ok(resp) => resp.status.to_string(),
                    Err(e) => format!("error ({e})"),
                };
                *statuses.lock().unwrap().entry(outcome).or_default() += 1;
            });
        }
    });
    let statuses = statuses.into_inner().unwrap_or_default();
    let took = t.elapsed().as_secs_f64();
    let mut lines = vec![format!(
        "{SYNC_KEYS} keys stored through `POST /api/keys` by {ACCOUNTS} accounts ({HTTP_THREADS} at a time, each validated against the simulator) in {took:.1}s ({:.0}/s): {}.",
        SYNC_KEYS as f64 / took,
        statuses
            .iter()
            .map(|(s, n)| format!("{s} × {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    if statuses.get("201").copied().unwrap_or(0) != SYNC_KEYS {
        lines.push("WARNING: not every key was stored (see the statuses above).".into());
    }
    lines
}

/// Fires the hourly job once and waits for its run's final status: one
/// table row (`listing`: its first cell). The accounts' ids follow
/// `first_user`.
fn run_job(stack: &Stack, first_user: i64, listing: &str) -> Result<Vec<String>> {
    let scheduler = stack.worker.client().with_timeout(Duration::from_secs(600));
    let sim = stack.sim.client();
    expect(
        sim.send("DELETE", "/_sim/requests", None, None)?,
        200,
        "DELETE /_sim/requests",
    )?;
    let before = stack
        .query("SELECT COALESCE(MAX(id), 0) AS id FROM job_runs")?
        .first()
        .and_then(|r| r["id"].as_i64())
        .unwrap_or(0);
    let t = Instant::now();
    expect(
        scheduler.get(&format!("/__scheduled?cron={SYNC_CRON}"), None)?,
        200,
        "GET /__scheduled",
    )?;
    let answered = t.elapsed().as_secs_f64();
    let row = latest_sync_run(stack, before)?;
    let wall = t.elapsed().as_secs_f64();
    let calls = |path: &str| -> Result<usize> {
        let log = expect(
            sim.get(&format!("/_sim/requests?path={path}"), None)?,
            200,
            "GET /_sim/requests",
        )?;
        Ok(log.json()?.as_array().map_or(0, Vec::len))
    };
    let (key_calls, listing_calls) = (calls("/key")?, calls("/keys")?);
    let synced_sql = format!(
        "SELECT COUNT(*) AS n FROM api_keys WHERE org_id >= {first_user} AND last_synced_at IS NOT NULL"
    );
    let synced = stack
        .query(&synced_sql)?
        .first()
        .and_then(|r| r["n"].as_i64())
        .unwrap_or(-1);
    let f = |name| field(&row, name);
    let keys_ok = row["keys_ok"].as_f64().unwrap_or(0.0);
    let line = format!(
        "| {listing} | {answered:.1} s | {wall:.1} s | {} | {} | {} | {} | {} | {} | {key_calls} | {listing_calls} | {} | {:.0} | {synced} / {SYNC_KEYS} |",
        f("status"),
        f("batches"),
        f("keys_ok"),
        f("keys_failed"),
        f("keys_dead"),
        f("subrequests"),
        f("max_subrequests"),
        keys_ok / wall,
    );
    eprintln!("{line}");
    let mut lines = vec![line];
    if f("error") != "-" {
        lines.push(format!("|  | error: {} |", f("error").replace('|', "/")));
    }
    Ok(lines)
}

fn field(row: &Value, name: &str) -> String {
    match &row[name] {
        Value::Null => "-".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The newest `usage_sync` row after `after_id`, once it has finished.
fn latest_sync_run(stack: &Stack, after_id: i64) -> Result<Value> {
    let sql = format!(
        "SELECT id, status, batches, keys_ok, keys_failed, keys_dead, rows_written, subrequests, \
                max_subrequests, duration_ms, error \
         FROM job_runs WHERE job = 'usage_sync' AND id > {after_id} ORDER BY id DESC LIMIT 1"
    );
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        // The consumers write while this reads: a local D1 busy for a moment
        // (SQLITE_BUSY) is asked again.
        let rows = match stack.query(&sql) {
            Ok(rows) => rows,
            Err(e) if e.contains("SQLITE_BUSY") || e.contains("database is locked") => Vec::new(),
            Err(e) => return Err(e),
        };
        if let Some(row) = rows.into_iter().next() {
            if !matches!(row["status"].as_str(), Some("running" | "enqueued")) {
                return Ok(row);
            }
        }
        if Instant::now() > deadline {
            return Err("the sync run did not finish within 30 minutes".into());
        }
        std::thread::sleep(Duration::from_secs(2));
    }
}
