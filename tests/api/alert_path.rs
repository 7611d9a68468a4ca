//! The alert path made trustworthy: no input stops it, no account starves
//! another, and what it sends is exact (issue "Alerts you can bet on").
//!
//! The first test runs the whole path through the queue on a Worker of its
//! own (one batch holds every account's keys): a budget that once panicked
//! the consumer and an account flooding the delivery queue sit beside an
//! account whose alert must still go out in the same run.

use chrono::{Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::*;

fn stamp(at: chrono::DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Stores a simulated key for the user of the Worker at `base`; its id.
async fn add_key(base: &str, jwt: &str, sim: &SimKey) -> i64 {
    let res = call_at(base, "POST", "/api/keys")
        .bearer(jwt)
        .json(&json!({ "name": unique("key"), "key": sim.key }))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json["id"].as_i64().expect("id")
}

/// A snapshot of `usage_units` (all-time) taken `days` ago, so the burn
/// rate has a basis.
fn seed_snapshot(persist_dir: &std::path::Path, key_id: i64, days: i64, usage_units: i64) {
    seed_snapshots(
        persist_dir,
        &[(
            key_id,
            stamp(Utc::now() - Duration::days(days)),
            usage_units,
        )],
    );
}

async fn json_at(base: &str, jwt: &str, method: &str, path: &str, body: Option<Value>) -> Res {
    let mut call = call_at(base, method, path).bearer(jwt);
    if let Some(body) = body {
        call = call.json(&body);
    }
    call.send().await
}

/// A webhook of the user at `url`; its id.
async fn hook(base: &str, jwt: &str, url: &str) -> i64 {
    let res = json_at(
        base,
        jwt,
        "POST",
        "/api/webhooks",
        Some(json!({ "name": unique("hook"), "url": url })),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text);
    remember_secret(res.json["secret"].as_str().expect("a secret"));
    res.json["id"].as_i64().expect("id")
}

#[tokio::test]
async fn a_poisoned_and_a_noisy_account_do_not_stop_anothers_alert_in_the_same_run() {
    let (dir, log) = (
        run_dir().join("alert-path-state"),
        run_dir().join("alert-path-wrangler.log"),
    );
    let worker = own_worker(dir, log, &["WEBHOOK_LOOPBACK:1"]).await;
    let base = worker.base_url.clone();
    let receiver = Receiver::start().await;

    // Poisoned: an OpenRouter limit of 1,000,000 USD that never resets (an
    // implicit budget: no budget created at all), 0.000001 USD spent in
    // three days. Reaching the limit at that rate lies ~8e11 years ahead.
    let poisoned = user_at(&base).await;
    let limited = sim_key(json!({ "generate": false, "limit": "1000000" })).await;
    spend_today(&limited, "0.000001").await;
    let poisoned_key = add_key(&base, &poisoned.jwt, &limited).await;
    seed_snapshot(&worker.persist_dir, poisoned_key, 3, 0);

    // Noisy: forty alerts retrying against a receiver that answers 503,
    // all older than anything the victim will raise.
    let noisy = user_at(&base).await;
    add_key(
        &base,
        &noisy.jwt,
        &sim_key(json!({ "generate": false })).await,
    )
    .await;
    receiver.script("/noisy", &[503; 400]);
    let noisy_hook = hook(&base, &noisy.jwt, &format!("{}/noisy", receiver.base_url)).await;
    let hour_ago = stamp(Utc::now() - Duration::hours(1));
    let tried = r#"[{"at":"x","status_code":503,"error":null,"duration_ms":1}]"#;
    d1_query(
        &worker.persist_dir,
        &format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
             INSERT INTO alert_events (org_id, dedup_key, type, api_key_id, payload, created_at)
             SELECT {}, 'noise-' || i, 'budget.threshold_reached', NULL,
                    '{{\"type\":\"budget.threshold_reached\",\"message\":\"noise\"}}', '{hour_ago}' FROM n;
             INSERT INTO webhook_deliveries (webhook_id, event_id, status, attempts, attempt_count, created_at, updated_at)
             SELECT {noisy_hook}, id, 'retrying', '{tried}', 3, '{hour_ago}', '{hour_ago}'
             FROM alert_events WHERE dedup_key LIKE 'noise-%';",
            noisy.id
        ),
    );

    // The victim: 0.6 of a 1 USD daily budget, a healthy receiver.
    let victim = user_at(&base).await;
    let victim_sim = sim_key(json!({ "generate": false })).await;
    let victim_key = add_key(&base, &victim.jwt, &victim_sim).await;
    let budget = json_at(
        &base,
        &victim.jwt,
        "POST",
        "/api/budgets",
        Some(json!({ "api_key_id": victim_key, "amount": "1", "period": "daily" })),
    )
    .await;
    assert_eq!(budget.status, 201, "{}", budget.text);
    let victim_hook = hook(&base, &victim.jwt, &format!("{}/victim", receiver.base_url)).await;
    spend_today(&victim_sim, "0.6").await;

    let run = crate::queue::hourly_run(&worker).await;
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(run["batches"], 1, "every account in one batch: {run}");

    let got = receiver.received("/victim");
    assert_eq!(got.len(), 1, "the victim's alert went out in this run");
    assert_eq!(got[0].json()["event"]["threshold"], 50);
    let log = json_at(
        &base,
        &victim.jwt,
        "GET",
        &format!("/api/webhooks/{victim_hook}/deliveries"),
        None,
    )
    .await;
    assert_eq!(log.json["items"][0]["status"], "delivered", "{}", log.text);
    let noise = receiver.received("/noisy").len();
    assert!(
        (1..=10).contains(&noise),
        "one account gets at most its share of a run: {noise} tries"
    );

    // The poisoned account's own views answer too: not reachable in sight.
    let key = json_at(
        &base,
        &poisoned.jwt,
        "GET",
        &format!("/api/keys/{poisoned_key}"),
        None,
    )
    .await;
    assert_eq!(key.status, 200, "{}", key.text);
    assert_eq!(key.json["budgets"][0]["source"], "openrouter_limit");
    assert_eq!(key.json["runway"]["status"], "on_track", "{}", key.text);
    assert_eq!(key.json["runway"]["reached_at"], Value::Null);
    let text = worker.log();
    assert!(!text.contains("panicked"), "the Worker panicked:\n{text}");
    worker.kill();
}

#[tokio::test]
async fn a_budget_out_of_reach_is_an_answer_and_every_view_of_the_account_works() {
    let user = new_user().await;
    let base = app().base_url.clone();
    let sim = sim_key(json!({ "generate": false })).await;
    spend_today(&sim, "0.000001").await;
    let key = add_key(&base, &user.jwt, &sim).await;
    seed_snapshot(&app().persist_dir, key, 6, 0);
    // 100 USD at 0.000001 USD a week; 1,000,000 USD on the account.
    for (body, scope) in [
        (
            json!({ "api_key_id": key, "amount": 100, "period": "monthly" }),
            "key",
        ),
        (
            json!({ "amount": "1000000", "period": "monthly" }),
            "account",
        ),
    ] {
        let res = json_at(&base, &user.jwt, "POST", "/api/budgets", Some(body)).await;
        assert_eq!(res.status, 201, "{}", res.text);
        assert_eq!(res.json["scope"], scope);
        assert_eq!(res.json["runway"]["status"], "on_track", "{}", res.text);
        assert_eq!(res.json["runway"]["reached_at"], Value::Null);
    }
    for path in [
        "/api/budgets".to_owned(),
        format!("/api/keys/{key}"),
        "/api/keys".to_owned(),
        "/api/stats/dashboard".to_owned(),
    ] {
        let res = json_at(&base, &user.jwt, "GET", &path, None).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text);
    }
}

#[tokio::test]
async fn a_test_delivery_is_tried_once_in_its_request_throttled_and_never_retried() {
    let user = new_user().await;
    let base = app().base_url.clone();
    let receiver = Receiver::start().await;
    receiver.script("/down", &[503; 100]);
    let down = hook(&base, &user.jwt, &format!("{}/down", receiver.base_url)).await;
    let test_path = format!("/api/webhooks/{down}/test");
    let res = json_at(&base, &user.jwt, "POST", &test_path, None).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.json["status"], "failed",
        "a test is final: {}",
        res.text
    );
    let attempts = res.json["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0]["status_code"], 503);
    assert_eq!(receiver.received("/down").len(), 1);

    // Hourly runs never pick it up again.
    fire_cron(crate::sync::SYNC).await;
    let log = json_at(
        &base,
        &user.jwt,
        "GET",
        &format!("/api/webhooks/{down}/deliveries"),
        None,
    )
    .await;
    assert_eq!(
        log.json["items"][0]["attempts"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(receiver.received("/down").len(), 1, "no retry of a test");

    // Ten tests an hour per webhook; thirty per account.
    for _ in 1..10 {
        let res = json_at(&base, &user.jwt, "POST", &test_path, None).await;
        assert_eq!(res.status, 200, "{}", res.text);
    }
    let throttled = json_at(&base, &user.jwt, "POST", &test_path, None).await;
    throttled.assert_error(429, "rate_limited");
    assert!(throttled.retry_after() >= 1);
    let mut sent = 10;
    for _ in 0..2 {
        let other = hook(&base, &user.jwt, &format!("{}/up", receiver.base_url)).await;
        for _ in 0..10 {
            let path = format!("/api/webhooks/{other}/test");
            let res = json_at(&base, &user.jwt, "POST", &path, None).await;
            assert_eq!(res.status, 200, "test {sent}: {}", res.text);
            sent += 1;
        }
    }
    let fourth = hook(&base, &user.jwt, &format!("{}/up", receiver.base_url)).await;
    json_at(
        &base,
        &user.jwt,
        "POST",
        &format!("/api/webhooks/{fourth}/test"),
        None,
    )
    .await
    .assert_error(429, "rate_limited");
    assert_eq!(
        receiver.received("/down").len() + receiver.received("/up").len(),
        30
    );
}

#[tokio::test]
async fn an_unreachable_receiver_shows_a_category_and_no_timing() {
    let user = new_user().await;
    let base = app().base_url.clone();
    // A port held bound but never listening: connections are refused.
    let closed = tokio::net::TcpSocket::new_v4().expect("a socket");
    closed
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("a local port");
    let port = closed.local_addr().expect("an address").port();
    let id = hook(&base, &user.jwt, &format!("http://127.0.0.1:{port}/x")).await;
    let res = json_at(
        &base,
        &user.jwt,
        "POST",
        &format!("/api/webhooks/{id}/test"),
        None,
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let attempt = &res.json["attempts"][0];
    assert_eq!(attempt["status_code"], Value::Null);
    assert_eq!(attempt["duration_ms"], Value::Null, "no timing: {attempt}");
    assert_eq!(attempt["error"], "the connection failed");
}

#[tokio::test]
async fn amounts_are_exact_or_refused_naming_the_field() {
    let user = new_user().await;
    let base = app().base_url.clone();
    // JSON texts as a client writes them (a `Value` would re-render 1e2
    // as 100.0).
    for amount in [
        r#""1.12345678901""#,
        r#""1e2""#,
        r#"" 5""#,
        r#""1000000.00000000001""#,
        r#""-1""#,
        r#""+1""#,
        r#""0x10""#,
        r#""1,5""#,
        r#""""#,
        "1e2",
        "1E2",
        "1.12345678901",
        "1000000.00000000001",
        "-1",
    ] {
        let body = format!(r#"{{"amount": {amount}, "period": "daily"}}"#);
        let res = call_at(&base, "POST", "/api/budgets")
            .bearer(&user.jwt)
            .raw("application/json", body)
            .send()
            .await;
        res.assert_error(422, "validation_error");
        assert_eq!(res.error_field(), "amount", "{amount}");
    }
    // Exactly what was typed, to the tenth decimal.
    for (amount, period, stored) in [
        (json!("1.1234567891"), "daily", "1.1234567891"),
        (json!(100), "weekly", "100"),
        (json!("0.0000000001"), "monthly", "0.0000000001"),
    ] {
        let body = json!({ "amount": amount, "period": period });
        let res = json_at(&base, &user.jwt, "POST", "/api/budgets", Some(body)).await;
        assert_eq!(res.status, 201, "{}", res.text);
        assert_eq!(res.json["amount"], stored);
        let patch = call_at(&base, "PATCH", &format!("/api/budgets/{}", res.json["id"]))
            .bearer(&user.jwt)
            .raw("application/json", r#"{"amount": 1e3}"#)
            .send()
            .await;
        patch.assert_error(422, "validation_error");
        assert_eq!(patch.error_field(), "amount");
    }
}

/// A user of the clocked stack with one stored key of the stack's
/// simulator (spent `spent` USD on `day` before it is stored) and a 10 USD
/// monthly budget on it: (jwt, key id, key hash, budget id).
async fn clocked_budget(stack: &Clocked, day: &str, spent: &str) -> (String, i64, String, i64) {
    let base = stack.worker.base_url.clone();
    let sim = stack
        .sim
        .sim()
        .register_key(serde_json::from_value(json!({ "generate": false })).expect("a key"))
        .expect("the simulator takes it");
    remember_secret(&sim.key);
    stack.spend(&sim.key_hash, day, spent);
    let jwt = user_at(&base).await.jwt;
    let res = call_at(&base, "POST", "/api/keys")
        .bearer(&jwt)
        .json(&json!({ "name": unique("clocked"), "key": sim.key }))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let key = res.json["id"].as_i64().expect("id");
    let body = json!({ "api_key_id": key, "amount": 10, "period": "monthly" });
    let budget = json_at(&base, &jwt, "POST", "/api/budgets", Some(body)).await;
    assert_eq!(budget.status, 201, "{}", budget.text);
    (
        jwt,
        key,
        sim.key_hash,
        budget.json["id"].as_i64().expect("id"),
    )
}

#[tokio::test]
async fn an_evaluation_that_missed_anothers_marks_a_second_later_alerts_nothing_twice() {
    let (_turn, stack) = clocked().await;
    stack.freeze("2026-11-10T12:00:00Z");
    let receiver = Receiver::start().await;
    let (jwt, key, hash, budget) = clocked_budget(stack, "2026-11-10", "0").await;
    let base = stack.worker.base_url.clone();
    hook(&base, &jwt, &format!("{}/clocked", receiver.base_url)).await;
    let of_key = || {
        receiver
            .received("/clocked")
            .into_iter()
            .map(|r| r.json()["event"].clone())
            .filter(|e| e["api_key_id"] == key)
            .collect::<Vec<Value>>()
    };
    stack.spend(&hash, "2026-11-10", "5.1");
    stack.sync().await;
    assert_eq!(of_key().len(), 1, "the 50 % alert");
    // A second consumer read the account before the first wrote its marks,
    // and evaluates a second (or more) later: it sees no marks at all.
    d1_query(
        &stack.worker.persist_dir,
        &format!("DELETE FROM alert_marks WHERE budget_id = {budget}"),
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    stack.sync().await;
    // Two runs at once: their consumers evaluate the account side by side.
    stack.spend(&hash, "2026-11-10", "3.1");
    d1_query(
        &stack.worker.persist_dir,
        &format!("DELETE FROM alert_marks WHERE budget_id = {budget}"),
    );
    futures::join!(stack.sync(), stack.sync());
    let events = of_key();
    let thresholds: Vec<i64> = events
        .iter()
        .filter_map(|e| e["threshold"].as_i64())
        .collect();
    assert_eq!(thresholds, [50, 80], "each line once: {events:?}");
}

#[tokio::test]
async fn the_runway_runs_on_openrouters_clock_like_the_period() {
    let (_turn, stack) = clocked().await;
    // OpenRouter's clock is days behind the Worker's (a skew no real clock
    // has, so any mix of the two shows).
    stack.freeze("2026-11-20T06:00:00Z");
    let (jwt, _, hash, id) = clocked_budget(stack, "2026-11-20", "1").await;
    let base = stack.worker.base_url.clone();
    // Six hours later on OpenRouter's clock, seconds later on the Worker's.
    stack.freeze("2026-11-20T12:00:00Z");
    stack.spend(&hash, "2026-11-20", "1.5");
    stack.sync().await;
    let view = json_at(&base, &jwt, "GET", &format!("/api/budgets/{id}"), None).await;
    let (status, runway) = (&view.json["status"], &view.json["runway"]);
    assert_eq!(status["as_of"], "2026-11-20T12:00:00Z", "{}", view.text);
    assert_eq!(status["spent"], "2.5");
    // 1.5 USD in 6 hours: 6 USD a day; 7.5 USD to go is 30 hours.
    assert_eq!(runway["basis_from"], "2026-11-20T06:00:00Z", "{runway}");
    assert_eq!(runway["basis_to"], "2026-11-20T12:00:00Z");
    assert_eq!(runway["burn_rate_per_day"], "6");
    assert_eq!(runway["status"], "will_exceed");
    assert_eq!(runway["reached_at"], "2026-11-21T18:00:00Z");
    assert_eq!(runway["resets_at"], "2026-12-01T00:00:00Z");
    assert_eq!(runway["days_before_reset"], 9);
    // 2.5 + 0.25 USD an hour for the 252 hours to the reset.
    assert_eq!(runway["projected_period_spend"], "65.5");
}
