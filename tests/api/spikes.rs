//! Spend spikes and the drift check (docs/alerts.md) through the queue, on
//! the clocked stack: the simulator's clock moves hour by hour, the real
//! hourly sync runs, and the events are read back from `/api/alerts`.

use chrono::{Duration, NaiveDate, Timelike, Utc};
use serde_json::{json, Value};

use crate::helpers::*;

const USD: i64 = 10_000_000_000;

fn register(stack: &Clocked, account: &str, kind: &str) -> (String, String) {
    let key = stack
        .sim
        .sim()
        .register_key(
            serde_json::from_value(json!({ "generate": false, "account": account, "kind": kind }))
                .expect("a key request"),
        )
        .expect("the simulator registers the key");
    remember_secret(&key.key);
    (key.key, key.key_hash)
}

async fn store_key(base: &str, jwt: &str, name: &str, key: &str, kind: &str) -> i64 {
    let res = call_at(base, "POST", "/api/keys")
        .bearer(jwt)
        .json(&json!({ "name": name, "key": key, "kind": kind }))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json["id"].as_i64().expect("id")
}

fn stamp(at: chrono::DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[tokio::test]
async fn a_runaway_hour_raises_one_spike_and_steady_or_cent_level_keys_none() {
    let (_turn, stack) = clocked().await;
    let t0: chrono::DateTime<Utc> = "2026-10-08T00:00:30Z".parse().expect("a time");
    stack.freeze(&stamp(t0));
    let base = stack.worker.base_url.clone();
    let jwt = user_at(&base).await.jwt;
    let account = unique("spiky");
    // (name, spend an hour in 1e-10 USD, 169 such hours, each hour after t0).
    let plan = [
        ("Runaway", 2 * USD, "338", "40"),
        ("Steady", 2 * USD, "338", "2.1"),
        ("Cents", USD / 1_000, "0.169", "0.9"),
    ];
    let mut keys = Vec::new();
    for (name, per_hour, total, _) in plan {
        let (key, hash) = register(stack, &account, "inference");
        // So OpenRouter's running total continues the readings seeded below.
        stack.spend(&hash, "2026-10-01", total);
        let id = store_key(&base, &jwt, name, &key, "inference").await;
        keys.push((id, hash, per_hour));
    }
    // A week of hourly readings before t0, as the sync would have taken.
    for (id, _, per_hour) in &keys {
        let rows: Vec<(i64, String, i64)> = (1..=169)
            .map(|back| {
                (
                    *id,
                    stamp(t0 - Duration::hours(back)),
                    per_hour * (169 - back),
                )
            })
            .collect();
        seed_snapshots(&stack.worker.persist_dir, &rows);
    }
    stack.sync().await;
    // Two runaway hours in a row: one episode.
    for hour in 1..=2 {
        for ((_, hash, _), (_, _, _, next)) in keys.iter().zip(plan) {
            stack.spend(hash, "2026-10-08", next);
        }
        stack.freeze(&stamp(t0 + Duration::hours(hour)));
        stack.sync().await;
    }
    let spikes = events_of(&base, &jwt, "spend.spike").await;
    let of = |id: i64| {
        spikes
            .iter()
            .filter(|e| e["api_key_id"] == id)
            .collect::<Vec<_>>()
    };
    let runaway = of(keys[0].0);
    assert_eq!(runaway.len(), 1, "one event per episode: {spikes:?}");
    assert_eq!(runaway[0]["hour"], "2026-10-08T00:00:00Z");
    assert_eq!(runaway[0]["spend"], "40");
    assert_eq!(runaway[0]["baseline"], "2");
    assert_eq!(runaway[0]["factor"], "20");
    assert_eq!(runaway[0]["sensitivity"], "normal");
    assert!(of(keys[1].0).is_empty(), "a steady key: {spikes:?}");
    assert!(of(keys[2].0).is_empty(), "a cent-level key: {spikes:?}");
}

/// Yesterday on the Worker's clock (the sync asks OpenRouter for the
/// completed days of its own calendar); near midnight, after it.
async fn settled_yesterday() -> NaiveDate {
    let now = Utc::now();
    if now.hour() == 23 && now.minute() >= 55 {
        tokio::time::sleep(std::time::Duration::from_secs(
            u64::from(60 - now.minute()) * 60 + 60,
        ))
        .await;
    }
    Utc::now().date_naive() - Duration::days(1)
}

#[tokio::test]
async fn a_day_whose_activity_differs_from_the_running_total_drifts_once() {
    let (_turn, stack) = clocked().await;
    let day = settled_yesterday().await;
    let next = day + Duration::days(1);
    stack.freeze(&format!("{day}T12:00:00Z"));
    let base = stack.worker.base_url.clone();
    let jwt = user_at(&base).await.jwt;
    let account = unique("drift");
    let (admin, _) = register(stack, &account, "management");
    let (late, late_hash) = register(stack, &account, "inference");
    let (fine, fine_hash) = register(stack, &account, "inference");
    store_key(&base, &jwt, "Admin", &admin, "management").await;
    let late_id = store_key(&base, &jwt, "Late", &late, "inference").await;
    let fine_id = store_key(&base, &jwt, "Fine", &fine, "inference").await;
    stack.spend(&late_hash, &day.to_string(), "3");
    stack.spend(&fine_hash, &day.to_string(), "2");
    stack.sync().await;
    stack.freeze(&format!("{next}T00:30:00Z"));
    stack.sync().await;
    // Usage OpenRouter records for the day after the day ended: its
    // activity has it, the running total's day boundary does not.
    stack.spend(&late_hash, &day.to_string(), "0.5");
    stack.freeze(&format!("{next}T03:00:00Z"));
    stack.sync().await;
    stack.sync().await;
    let drifts = events_of(&base, &jwt, "data.drift").await;
    assert_eq!(drifts.len(), 1, "{drifts:?}");
    let drift = &drifts[0];
    assert_eq!(drift["api_key_id"], late_id);
    assert_eq!(drift["day"], day.to_string());
    assert_eq!(
        (
            drift["activity"].as_str(),
            drift["running_total"].as_str(),
            drift["difference"].as_str()
        ),
        (Some("3.5"), Some("3"), Some("0.5"))
    );
    assert!(drifts.iter().all(|e| e["api_key_id"] != fine_id));
    let key = call_at(&base, "GET", &format!("/api/keys/{late_id}"))
        .bearer(&jwt)
        .send()
        .await;
    assert_eq!(key.json["drift"]["activity"], "3.5", "{}", key.text);
    assert_eq!(key.json["drift"]["running_total"], "3");
    let other = call_at(&base, "GET", &format!("/api/keys/{fine_id}"))
        .bearer(&jwt)
        .send()
        .await;
    assert_eq!(other.json["drift"], Value::Null, "{}", other.text);
}
