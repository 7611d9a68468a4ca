//! The cron jobs against the simulator: numbers must equal what
//! OpenRouter reports, exactly.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;

pub const SYNC: &str = "0 * * * *";
const VALIDATE: &str = "0 2 * * *";
const CLEANUP: &str = "0 3 * * 0";

/// Decimal text to integer units of 1e-10 (the simulator's strings are exact).
pub fn units(decimal: &str) -> i128 {
    let negative = decimal.starts_with('-');
    let decimal = decimal.trim_start_matches('-');
    let (int, frac) = decimal.split_once('.').unwrap_or((decimal, ""));
    let frac = format!("{frac:0<10}");
    let value = int.parse::<i128>().unwrap() * 10_000_000_000 + frac[..10].parse::<i128>().unwrap();
    if negative {
        -value
    } else {
        value
    }
}

type Row = (i64, i64, i64, i128);

/// The simulator's truth for one key: (date, model) -> (requests, in, out, cost units)
/// over the 30 completed days `/activity` serves.
pub async fn truth_window(hash: &str) -> BTreeMap<(String, String), Row> {
    let truth = sim_get(&format!("/_sim/keys/{hash}/truth")).await;
    let (start, end) = (
        truth["activity_window_start"].as_str().unwrap().to_owned(),
        truth["activity_window_end"].as_str().unwrap().to_owned(),
    );
    truth["days"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            let date = d["date"].as_str().unwrap();
            date >= start.as_str() && date <= end.as_str()
        })
        .map(|d| {
            (
                (
                    d["date"].as_str().unwrap().to_owned(),
                    d["model"].as_str().unwrap().to_owned(),
                ),
                (
                    d["requests"].as_i64().unwrap(),
                    d["prompt_tokens"].as_i64().unwrap(),
                    d["completion_tokens"].as_i64().unwrap(),
                    units(d["usage"].as_str().unwrap()),
                ),
            )
        })
        .collect()
}

/// What D1 holds for one key, same shape.
pub(crate) fn stored(rows: &[Value], key_id: i64) -> BTreeMap<(String, String), Row> {
    rows.iter()
        .filter(|r| r["api_key_id"] == key_id)
        .map(|r| {
            (
                (
                    r["date"].as_str().unwrap().to_owned(),
                    r["model"].as_str().unwrap().to_owned(),
                ),
                (
                    r["requests_count"].as_i64().unwrap(),
                    r["tokens_input"].as_i64().unwrap(),
                    r["tokens_output"].as_i64().unwrap(),
                    r["cost"].as_str().unwrap().parse::<i128>().unwrap(),
                ),
            )
        })
        .collect()
}

fn usage_rows(user_id: i64) -> Vec<Value> {
    app().d1(&format!(
        "SELECT api_key_id, date, model, requests_count, tokens_input, tokens_output,
                CAST(cost AS TEXT) AS cost, source, updated_at
         FROM usage_stats WHERE org_id = {user_id} ORDER BY api_key_id, date, model"
    ))
}

pub async fn key_id(res: &Res) -> i64 {
    assert_eq!(res.status, 201, "{}", res.text);
    res.json["id"].as_i64().unwrap()
}

/// A user with a management key and `n` inference keys of one simulated account.
pub async fn user_with_activity(n: usize) -> (User, Vec<(i64, SimKey)>) {
    let admin = sim_key(json!({ "kind": "management" })).await;
    user_with_account(&admin, n).await
}

/// A user holding `admin` (a simulated management key) and `n` inference
/// keys of its account.
pub async fn user_with_account(admin: &SimKey, n: usize) -> (User, Vec<(i64, SimKey)>) {
    let user = new_user().await;
    key_id(&user.add_key("admin", &admin.key, "management").await).await;
    let mut keys = Vec::new();
    for i in 0..n {
        let sim = sim_key(json!({ "account": admin.account })).await;
        let id = key_id(
            &user
                .add_key(&format!("app-{i}"), &sim.key, "inference")
                .await,
        )
        .await;
        keys.push((id, sim));
    }
    (user, keys)
}

#[tokio::test]
async fn activity_sync_equals_openrouter_exactly_and_is_idempotent() {
    let (user, keys) = user_with_activity(3).await;
    fire_cron(SYNC).await;
    let first = usage_rows(user.org);
    for (id, sim) in &keys {
        let expected = truth_window(&sim.hash).await;
        assert!(
            expected.len() > 20,
            "the simulator generated a month of usage"
        );
        let got = stored(&first, *id);
        assert_eq!(
            got, expected,
            "key {id}: stored rows differ from OpenRouter's activity"
        );
    }
    assert!(first.iter().all(|r| r["source"] == "activity"));

    // The public total is the exact sum of those rows.
    let (_, token) = user.new_token("check").await;
    let start = day(-30);
    let stats = get(&format!(
        "/api/v1/stats?start_date={start}&end_date={}",
        day(0)
    ))
    .bearer(&token)
    .send()
    .await;
    let expected: i128 = first
        .iter()
        .map(|r| r["cost"].as_str().unwrap().parse::<i128>().unwrap())
        .sum();
    assert_eq!(
        units(stats.json["summary"]["total_cost"].as_str().unwrap()),
        expected,
        "{}",
        stats.text
    );

    fire_cron(SYNC).await;
    let second = usage_rows(user.org);
    assert_eq!(
        first, second,
        "a second sync must change nothing, updated_at included"
    );
}

#[tokio::test]
async fn without_a_management_key_closed_days_come_from_snapshots() {
    let user = new_user().await;
    let sim = sim_key(json!({ "generate": false })).await;
    let yesterday = day(-1);
    for (date, usage) in [
        (day(-5), "3.25"),
        (yesterday.clone(), "1.0000000007"),
        (yesterday.clone(), "0.5"),
        (day(0), "0.125"),
    ] {
        sim_post(
            &format!("/_sim/keys/{}/usage", sim.hash),
            &json!({ "date": date, "model": "openai/gpt-4o", "requests": 1, "prompt_tokens": 10, "completion_tokens": 5, "usage": usage }),
        )
        .await;
    }
    let id = key_id(&user.add_key("solo", &sim.key, "inference").await).await;
    let truth = sim_get(&format!("/_sim/keys/{}/truth", sim.hash)).await;
    let spent_yesterday = units("1.5000000007");
    // The snapshot yesterday's sync would have taken: all-time spend at the
    // start of yesterday = usage - today - yesterday, plus some of that day.
    let start_of_yesterday = units(truth["usage"].as_str().unwrap())
        - units(truth["usage_daily"].as_str().unwrap())
        - spent_yesterday;
    let partial = 12_345;
    app().d1(&format!(
        "INSERT INTO key_snapshots (api_key_id, taken_at, taken_on, usage, usage_daily, usage_weekly, usage_monthly, is_free_tier)
         VALUES ({id}, '{yesterday}T12:00:00Z', '{yesterday}', {}, {partial}, 0, 0, 0)",
        start_of_yesterday + partial
    ));
    fire_cron(SYNC).await;
    let rows = app().d1(&format!(
        "SELECT date, model, CAST(cost AS TEXT) AS cost, source, requests_count FROM usage_stats WHERE api_key_id = {id}"
    ));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["date"], yesterday.as_str());
    assert_eq!(rows[0]["model"], "(all models)");
    assert_eq!(rows[0]["source"], "key_totals");
    assert_eq!(
        rows[0]["cost"].as_str().unwrap().parse::<i128>().unwrap(),
        spent_yesterday
    );
}

#[tokio::test]
async fn one_key_failing_never_stops_the_others() {
    let user = new_user().await;
    let mut keys = Vec::new();
    for name in ["healthy", "throttled", "broken", "garbled", "slow"] {
        let sim = sim_key(json!({})).await;
        let id = key_id(&user.add_key(name, &sim.key, "inference").await).await;
        keys.push((name, id, sim));
    }
    // The newest snapshot of each key: a sync always adds one (and keeps it;
    // older ones of the same hour may go, so counts would not tell).
    let snapshot_counts = || {
        app().d1(&format!(
            "SELECT k.name, k.last_sync_error, k.validation_status, MAX(s.id) AS newest
             FROM api_keys k LEFT JOIN key_snapshots s ON s.api_key_id = k.id
             WHERE k.org_id = {} GROUP BY k.id ORDER BY k.id",
            user.org
        ))
    };
    let mut faults = Vec::new();
    for (name, _, sim) in &keys {
        let fault = match *name {
            "throttled" => json!({ "status": 429, "retry_after": 1, "times": 1 }),
            "broken" => json!({ "status": 500 }),
            "garbled" => json!({ "malformed": true }),
            "slow" => json!({ "delay_ms": 10_000 }),
            _ => continue,
        };
        let mut fault = fault;
        fault["key_hash"] = json!(sim.hash);
        fault["path"] = json!("/key");
        faults.push(add_fault(&fault).await);
    }
    // Count from here: a run that began before the faults may still store
    // snapshots fetched with the old answers.
    settle_job_runs().await;
    let before = snapshot_counts();
    let run_before = max_job_run_id();
    fire_cron(SYNC).await;
    let after = snapshot_counts();
    // Stop the faults and the keys so later runs of other tests stay fast.
    for id in &faults {
        lift_fault(id).await;
    }
    for (_, id, _) in &keys {
        call("PATCH", &format!("/api/keys/{id}"))
            .bearer(&user.jwt)
            .json(&json!({ "is_active": false }))
            .send()
            .await;
    }

    for (i, (name, _, sim)) in keys.iter().enumerate() {
        let (b, a) = (&before[i], &after[i]);
        let grew = a["newest"].as_i64() > b["newest"].as_i64();
        match *name {
            "healthy" | "throttled" => {
                assert!(grew, "{name} was synced: {a}");
                assert!(a["last_sync_error"].is_null(), "{name}: {a}");
            }
            _ => {
                assert!(!grew, "{name} stored nothing new: {a}");
                assert!(
                    a["last_sync_error"].is_string(),
                    "{name} carries its error: {a}"
                );
                assert_eq!(
                    a["validation_status"], "valid",
                    "{name} is not invalid for a server fault"
                );
            }
        }
        assert!(!a.to_string().contains(&sim.key));
    }
    // The throttled key was retried, no sooner than its Retry-After (other
    // tests' concurrent runs may also call it, so look for a later success).
    let throttled = &keys[1].2;
    let log = sim_get(&format!(
        "/_sim/requests?key_hash={}&path=/api/v1/key",
        throttled.hash
    ))
    .await;
    let calls: Vec<(i64, i64)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| Some((r["status"].as_i64()?, r["elapsed_ms"].as_i64()?)))
        .collect();
    let (_, limited_at) = *calls
        .iter()
        .find(|(status, _)| *status == 429)
        .expect("a 429 was served");
    assert!(
        calls
            .iter()
            .any(|(status, at)| *status == 200 && at - limited_at >= 900),
        "a success followed the Retry-After: {log}"
    );

    let runs = app().d1(&format!(
        "SELECT keys_ok, keys_failed, status, error FROM job_runs WHERE id > {run_before} AND job = 'usage_sync' ORDER BY id"
    ));
    assert!(
        runs.iter()
            .any(|r| r["keys_failed"].as_i64() >= Some(3) && r["status"] == "partial"),
        "a run counted the failures: {runs:?}"
    );
}

#[tokio::test]
async fn rejected_keys_become_invalid_are_skipped_and_come_back() {
    let user = new_user().await;
    let sim = sim_key(json!({})).await;
    let id = key_id(&user.add_key("flaky", &sim.key, "inference").await).await;
    let status = |json: &Value| {
        json["validation_status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    // Each change waits out runs in flight, which saw the key as it was.
    set_revoked(&sim, true).await;
    settle_job_runs().await;
    fire_cron(VALIDATE).await;
    let key = get(&format!("/api/keys/{id}"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(status(&key.json), "invalid", "{}", key.text);

    let seen = sim_get(&format!("/_sim/requests?key_hash={}", sim.hash))
        .await
        .as_array()
        .unwrap()
        .len();
    fire_cron(SYNC).await;
    let log = sim_get(&format!("/_sim/requests?key_hash={}", sim.hash)).await;
    let new: Vec<&Value> = log.as_array().unwrap()[seen..].iter().collect();
    assert!(
        new.iter()
            .all(|r| r["path"] != "/api/v1/key" || r["status"] == 401),
        "only validations may touch an invalid key, never the sync: {new:?}"
    );

    set_revoked(&sim, false).await;
    settle_job_runs().await;
    fire_cron(VALIDATE).await;
    let key = get(&format!("/api/keys/{id}"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(status(&key.json), "valid", "{}", key.text);
    assert!(key.json["last_validated_at"].is_string());
}

#[tokio::test]
async fn cleanup_deletes_exactly_what_is_past_retention() {
    let user = new_user().await;
    let sim = sim_key(json!({})).await;
    let id = key_id(&user.add_key("history", &sim.key, "inference").await).await;
    let (old, kept_edge, recent) = (day(-400), day(-364), day(-10));
    let old_snapshot =
        (chrono::Utc::now() - chrono::Duration::days(100)).format("%Y-%m-%dT%H:%M:%SZ");
    app().d1(&format!(
        "INSERT INTO usage_stats (api_key_id, org_id, date, model, requests_count, tokens_input, tokens_output, cost, source, updated_at)
         VALUES ({id}, {uid}, '{old}', 'm', 1, 1, 1, 10, 'activity', 'x'),
                ({id}, {uid}, '{kept_edge}', 'm', 2, 2, 2, 20, 'activity', 'x'),
                ({id}, {uid}, '{recent}', 'm', 3, 3, 3, 30, 'activity', 'x');
         INSERT INTO key_snapshots (api_key_id, taken_at, taken_on, usage, usage_daily, usage_weekly, usage_monthly, is_free_tier)
         VALUES ({id}, '{old_snapshot}', '{}', 1, 0, 0, 0, 0);
         INSERT INTO alert_events (org_id, dedup_key, type, payload, created_at)
         VALUES ({uid}, 'old', 'test', '{{}}', '{old_snapshot}'), ({uid}, 'new', 'test', '{{}}', '{now}');",
        &old_snapshot.to_string()[..10],
        uid = user.org,
        now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"),
    ));
    fire_cron(CLEANUP).await;
    let rows = app().d1(&format!(
        "SELECT (SELECT GROUP_CONCAT(date) FROM (SELECT date FROM usage_stats WHERE api_key_id = {id} ORDER BY date)) AS dates,
                (SELECT COUNT(*) FROM key_snapshots WHERE api_key_id = {id} AND taken_at < '{edge}') AS old_snapshots,
                (SELECT COUNT(*) FROM key_snapshots WHERE api_key_id = {id}) AS snapshots,
                (SELECT COUNT(*) FROM usage_org_day WHERE org_id = {uid} AND date = '{old}') AS old_rollup,
                (SELECT CAST(cost AS TEXT) FROM usage_key_total WHERE api_key_id = {id}) AS key_total,
                (SELECT GROUP_CONCAT(dedup_key) FROM alert_events WHERE org_id = {uid}) AS events",
        uid = user.org,
        edge = (chrono::Utc::now() - chrono::Duration::days(89)).format("%Y-%m-%dT%H:%M:%SZ"),
    ));
    let r = &rows[0];
    assert_eq!(r["dates"], format!("{kept_edge},{recent}"), "{r}");
    assert_eq!(r["old_snapshots"], 0, "{r}");
    assert!(
        r["snapshots"].as_i64() >= Some(1),
        "today's snapshots stay: {r}"
    );
    assert_eq!(r["old_rollup"], 0, "{r}");
    assert_eq!(r["key_total"], "50", "{r}");
    assert_eq!(r["events"], "new", "alert history is kept 90 days: {r}");
}

#[tokio::test]
async fn a_key_can_be_synced_on_demand_once_a_minute() {
    let (user, keys) = user_with_activity(1).await;
    let (id, sim) = &keys[0];
    let res = post(&format!("/api/keys/{id}/sync"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json["sync"]["status"], "ok");
    assert!(res.json["key"]["last_synced_at"].is_string());
    assert!(!res.text.contains(&sim.key));
    let rows = usage_rows(user.org);
    assert_eq!(stored(&rows, *id), truth_window(&sim.hash).await);
    let again = post(&format!("/api/keys/{id}/sync"))
        .bearer(&user.jwt)
        .send()
        .await;
    again.assert_error(429, "rate_limited");
    let retry = again.retry_after();
    assert!((1..=60).contains(&retry));
    tokio::time::sleep(Duration::from_millis(1)).await;
}

#[tokio::test]
async fn activity_replaces_snapshot_derived_days_once_a_management_key_arrives() {
    let user = new_user().await;
    let admin = sim_key(json!({ "kind": "management" })).await;
    let sim = sim_key(json!({ "account": admin.account })).await;
    let id = key_id(&user.add_key("late admin", &sim.key, "inference").await).await;
    // What a sync without a management key would have written for two days.
    let (yesterday, before) = (day(-1), day(-2));
    app().d1(&format!(
        "INSERT INTO usage_stats (api_key_id, org_id, date, model, cost, source, updated_at)
         VALUES ({id}, {uid}, '{yesterday}', '(all models)', 999, 'key_totals', 'x'),
                ({id}, {uid}, '{before}', '(all models)', 777, 'key_totals', 'x')",
        uid = user.org
    ));
    key_id(&user.add_key("admin", &admin.key, "management").await).await;
    fire_cron(SYNC).await;
    let rows = usage_rows(user.org);
    assert!(
        rows.iter()
            .all(|r| r["source"] == "activity" && r["model"] != "(all models)"),
        "activity replaced the derived rows: {rows:?}"
    );
    assert_eq!(stored(&rows, id), truth_window(&sim.hash).await);
}
