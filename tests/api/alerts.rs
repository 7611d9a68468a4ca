//! Budgets, alerts, runway and webhooks (docs/alerts.md) against the real
//! Worker, the simulator and a local webhook receiver.
//!
//! The threshold and month-rollover scenario moves the simulator's clock, so
//! it runs on the clocked stack (`helpers::clocked`); the others share the
//! run's Worker and simulator.

use chrono::{Datelike, Timelike, Utc};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::sync::{units, SYNC};

/// `POST path` with a session; asserts `status` and returns the body.
async fn created(base: &str, jwt: &str, path: &str, body: Value, status: u16) -> Value {
    let res = call_at(base, "POST", path)
        .bearer(jwt)
        .json(&body)
        .send()
        .await;
    assert_eq!(res.status, status, "POST {path}: {}", res.text);
    res.json
}

async fn read(base: &str, jwt: &str, path: &str) -> Value {
    let res = call_at(base, "GET", path).bearer(jwt).send().await;
    assert_eq!(res.status, 200, "GET {path}: {}", res.text);
    res.json
}

/// A webhook of the user to `receiver` at `path`; its signing secret.
async fn webhook(base: &str, jwt: &str, url: &str, format: &str) -> (i64, String) {
    let hook = created(
        base,
        jwt,
        "/api/webhooks",
        json!({ "name": unique("hook"), "url": url, "format": format }),
        201,
    )
    .await;
    let secret = hook["secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    remember_secret(&secret);
    (hook["id"].as_i64().expect("id"), secret)
}

#[tokio::test]
async fn each_threshold_fires_once_per_period_signed_and_a_new_month_re_arms() {
    let (_turn, stack) = clocked().await;
    let sim = &stack.sim;
    stack.freeze("2026-11-15T12:00:00Z");
    let base = stack.worker.base_url.clone();
    let receiver = Receiver::start().await;
    let jwt = user_at(&base).await.jwt;

    let production = sim
        .sim()
        .register_key(serde_json::from_value(json!({ "generate": false })).unwrap())
        .unwrap();
    let limited = sim
        .sim()
        .register_key(
            serde_json::from_value(
                json!({ "generate": false, "limit": "4", "limit_reset": "monthly" }),
            )
            .unwrap(),
        )
        .unwrap();
    remember_secret(&production.key);
    remember_secret(&limited.key);
    let key = created(
        &base,
        &jwt,
        "/api/keys",
        json!({ "name": "Production", "key": production.key }),
        201,
    )
    .await;
    let key_id = key["id"].as_i64().unwrap();
    let limited_id = created(
        &base,
        &jwt,
        "/api/keys",
        json!({ "name": "Limited", "key": limited.key }),
        201,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let budget = created(
        &base,
        &jwt,
        "/api/budgets",
        json!({ "api_key_id": key_id, "amount": 10, "period": "monthly" }),
        201,
    )
    .await;
    assert_eq!(budget["thresholds"], json!([50, 80, 100]));
    let budget_id = budget["id"].as_i64().unwrap();
    let (hook_id, secret) =
        webhook(&base, &jwt, &format!("{}/hooks", receiver.base_url), "json").await;

    let events_of = |key: i64| {
        receiver
            .received("/hooks")
            .into_iter()
            .map(|r| r.json()["event"].clone())
            .filter(|e| e["api_key_id"] == key)
            .collect::<Vec<Value>>()
    };
    // 5.1, then 8.2, then 10.3: one event per threshold, in order.
    for (more, threshold, total) in [("5.1", 50, "5.1"), ("3.1", 80, "8.2"), ("2.1", 100, "10.3")] {
        stack.spend(&production.key_hash, "2026-11-15", more);
        stack.sync().await;
        let events = events_of(key_id);
        let last = events.last().expect("an event");
        assert_eq!(last["type"], "budget.threshold_reached", "{events:?}");
        assert_eq!(
            (last["threshold"].as_i64(), last["spent"].as_str()),
            (Some(threshold), Some(total))
        );
        assert_eq!(last["period_start"], "2026-11-01T00:00:00Z");
        assert_eq!(last["budget_id"], budget_id);
    }
    assert_eq!(events_of(key_id).len(), 3);
    let deliveries = receiver.received("/hooks");
    assert!(
        deliveries.iter().all(|d| d.signed_with(&secret)),
        "every delivery is signed"
    );
    assert!(
        !deliveries[0].signed_with("whsec_another"),
        "and the check can fail"
    );
    assert_eq!(
        deliveries[0].headers["x-watcher-event"],
        "budget.threshold_reached"
    );

    // Another run with the same figures sends nothing new.
    stack.sync().await;
    assert_eq!(events_of(key_id).len(), 3);
    let standing = read(&base, &jwt, &format!("/api/budgets/{budget_id}")).await;
    assert_eq!(standing["status"]["fired"], json!([50, 80, 100]));
    assert_eq!(
        (
            standing["status"]["spent"].as_str(),
            standing["status"]["percent_used"].as_str()
        ),
        (Some("10.3"), Some("103"))
    );

    // December on OpenRouter's clock: `recovered`, then December's own 50 %.
    stack.freeze("2026-12-01T00:30:00Z");
    stack.sync().await;
    let recovered = events_of(key_id).last().cloned().unwrap();
    assert_eq!(recovered["type"], "budget.recovered", "{recovered}");
    assert_eq!(recovered["previous_period_start"], "2026-11-01T00:00:00Z");
    assert_eq!(recovered["period_start"], "2026-12-01T00:00:00Z");
    stack.spend(&production.key_hash, "2026-12-01", "6");
    stack.sync().await;
    let december = events_of(key_id);
    assert_eq!(december.len(), 5, "{december:?}");
    assert_eq!(
        (
            december[4]["threshold"].as_i64(),
            december[4]["period_start"].as_str()
        ),
        (Some(50), Some("2026-12-01T00:00:00Z"))
    );

    // A key's own OpenRouter limit is a budget too.
    stack.spend(&limited.key_hash, "2026-12-01", "2.5");
    stack.sync().await;
    let limit_events = events_of(limited_id);
    assert_eq!(limit_events.len(), 1, "{limit_events:?}");
    assert_eq!(
        (
            limit_events[0]["source"].as_str(),
            limit_events[0]["threshold"].as_i64()
        ),
        (Some("openrouter_limit"), Some(50))
    );
    assert!(limit_events[0]["message"]
        .as_str()
        .unwrap()
        .contains("OpenRouter limit of 4 USD"));

    let log = read(&base, &jwt, &format!("/api/webhooks/{hook_id}/deliveries")).await;
    assert_eq!(log["pagination"]["total"], 6);
    for delivery in log["items"].as_array().unwrap() {
        assert_eq!(delivery["status"], "delivered", "{delivery}");
        assert_eq!(delivery["attempts"].as_array().unwrap().len(), 1);
        assert_eq!(delivery["attempts"][0]["status_code"], 200);
    }
    let alerts = read(&base, &jwt, "/api/alerts").await;
    assert_eq!(alerts["pagination"]["total"], 6);
    assert_eq!(
        alerts["items"][0]["source"], "openrouter_limit",
        "newest first"
    );
}

/// A session user of the shared Worker with one key (no history) in the
/// shared simulator: (user, key id, simulated key).
async fn budgeted_user() -> (User, i64, SimKey) {
    let user = new_user().await;
    let sim = sim_key(json!({ "generate": false })).await;
    let res = user.add_key("Budgeted", &sim.key, "inference").await;
    assert_eq!(res.status, 201, "{}", res.text);
    (user, res.json["id"].as_i64().unwrap(), sim)
}

#[tokio::test]
async fn a_flaky_receiver_gets_it_on_the_third_try_and_a_dead_one_leaves_the_sync_alone() {
    let (user, key_id, sim) = budgeted_user().await;
    let base = &app().base_url;
    created(
        base,
        &user.jwt,
        "/api/budgets",
        json!({ "api_key_id": key_id, "amount": "1", "period": "daily" }),
        201,
    )
    .await;
    let receiver = Receiver::start().await;
    receiver.script("/flaky", &[500, 500]);
    let (flaky, secret) = webhook(
        base,
        &user.jwt,
        &format!("{}/flaky", receiver.base_url),
        "slack",
    )
    .await;
    // A port held bound but never listening: connections are refused, and no
    // other server of the run can take it over while the test holds it.
    let closed = tokio::net::TcpSocket::new_v4().expect("a socket");
    closed
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("a local port");
    let dead_port = closed.local_addr().expect("an address").port();
    let (dead, _) = webhook(
        base,
        &user.jwt,
        &format!("http://127.0.0.1:{dead_port}/gone"),
        "json",
    )
    .await;

    spend_today(&sim, "0.6").await;
    fire_cron(SYNC).await;
    settle_job_runs().await;

    let tries = receiver.received("/flaky");
    assert_eq!(tries.len(), 3, "two 5xx, then delivered");
    assert!(tries.iter().all(|t| t.signed_with(&secret)));
    let slack = tries[2].json();
    assert!(
        slack["text"]
            .as_str()
            .unwrap()
            .contains("60% of its 1 USD daily budget"),
        "{slack}"
    );
    let log = read(
        base,
        &user.jwt,
        &format!("/api/webhooks/{flaky}/deliveries"),
    )
    .await;
    let delivery = &log["items"][0];
    assert_eq!(delivery["status"], "delivered");
    let codes: Vec<Value> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, [json!(500), json!(500), json!(200)]);

    let delivery = settled_delivery(base, &user.jwt, dead).await;
    // Three tries in the first run, then kept for later runs (each due
    // minutes later, so no other test's run can have tried it yet).
    let attempts = delivery["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 3, "{delivery}");
    assert_eq!(delivery["status"], "retrying", "{delivery}");
    // No HTTP answer: a category, and no timing to map ports with.
    assert!(attempts.iter().all(|a| a["status_code"].is_null()
        && a["duration_ms"].is_null()
        && a["error"] == "the connection failed"));
    // The key itself synced as if nothing happened.
    let key = read(base, &user.jwt, &format!("/api/keys/{key_id}")).await;
    assert_eq!(key["last_sync_error"], Value::Null);
    assert_eq!(key["snapshot"]["usage_daily"], "0.6");
    let listed = read(base, &user.jwt, "/api/webhooks").await;
    assert!(listed["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|w| w.get("secret").is_none()));
}

/// The newest delivery of a webhook once no run holds it (`sending` is a
/// run's claim, in flight): waits for a settled status, with a deadline.
async fn settled_delivery(base: &str, jwt: &str, webhook: i64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let log = read(base, jwt, &format!("/api/webhooks/{webhook}/deliveries")).await;
        let newest = log["items"][0].clone();
        if ["retrying", "delivered", "failed"].contains(&newest["status"].as_str().unwrap_or("")) {
            return newest;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "delivery still in flight after 2 minutes: {newest}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// `(status, error code, field)` of a request with a session.
async fn refused(
    method: &str,
    path: &str,
    jwt: &str,
    body: Option<Value>,
) -> (u16, String, String) {
    let mut call = call(method, path).bearer(jwt);
    if let Some(body) = body {
        call = call.json(&body);
    }
    let res = call.send().await;
    (
        res.status,
        res.json["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        res.json["error"]["details"][0]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

#[tokio::test]
async fn bad_budgets_and_webhooks_are_422_and_another_users_are_404() {
    let (user, key_id, _) = budgeted_user().await;
    let (other, other_key, _) = budgeted_user().await;
    let jwt = &user.jwt;
    let invalid = |field: &str| (422, "validation_error".to_owned(), field.to_owned());
    for (body, field) in [
        (json!({ "amount": -5, "period": "monthly" }), "amount"),
        (json!({ "amount": "abc", "period": "monthly" }), "amount"),
        (json!({ "amount": 0, "period": "monthly" }), "amount"),
        (
            json!({ "amount": "2000000", "period": "monthly" }),
            "amount",
        ),
        (json!({ "amount": 10, "period": "yearly" }), "period"),
        (
            json!({ "amount": 10, "period": "monthly", "thresholds": [0] }),
            "thresholds",
        ),
        (
            json!({ "amount": 10, "period": "monthly", "thresholds": [101] }),
            "thresholds",
        ),
        (
            json!({ "amount": 10, "period": "monthly", "thresholds": [50, 50] }),
            "thresholds",
        ),
        (
            json!({ "amount": 10, "period": "monthly", "thresholds": [] }),
            "thresholds",
        ),
        (json!({ "period": "monthly" }), "amount"),
        (
            json!({ "amount": 10, "period": "monthly", "currency": "EUR" }),
            "currency",
        ),
    ] {
        assert_eq!(
            refused("POST", "/api/budgets", jwt, Some(body.clone())).await,
            invalid(field),
            "{body}"
        );
    }
    let not_found = (404, "not_found".to_owned(), String::new());
    let on_their_key = json!({ "api_key_id": other_key, "amount": 10, "period": "daily" });
    assert_eq!(
        refused("POST", "/api/budgets", jwt, Some(on_their_key)).await,
        not_found
    );

    let mine = created(
        &app().base_url,
        jwt,
        "/api/budgets",
        json!({ "api_key_id": key_id, "amount": 10, "period": "weekly" }),
        201,
    )
    .await;
    let again = json!({ "api_key_id": key_id, "amount": 20, "period": "weekly" });
    assert_eq!(
        refused("POST", "/api/budgets", jwt, Some(again)).await.0,
        409
    );
    let path = format!("/api/budgets/{}", mine["id"]);
    assert_eq!(
        refused("PATCH", &path, jwt, Some(json!({}))).await,
        invalid("body")
    );
    assert_eq!(
        refused("PATCH", &path, jwt, Some(json!({ "amount": -1 }))).await,
        invalid("amount")
    );
    for method in ["GET", "DELETE"] {
        assert_eq!(
            refused(method, &path, &other.jwt, None).await,
            not_found,
            "{method}"
        );
    }
    assert_eq!(
        refused("PATCH", &path, &other.jwt, Some(json!({ "amount": 1 }))).await,
        not_found
    );

    for (url, why) in [
        ("http://example.com/hook", "plain http off this machine"),
        ("https://10.0.0.1/hook", "a private address"),
        (
            "https://169.254.169.254/latest",
            "link-local (cloud metadata)",
        ),
        ("https://user:pw@example.com/", "credentials"),
        ("ftp://example.com/", "not https"),
    ] {
        let body = json!({ "name": "x", "url": url });
        assert_eq!(
            refused("POST", "/api/webhooks", jwt, Some(body)).await,
            invalid("url"),
            "{why}"
        );
    }
    let body = json!({ "name": "x", "url": "https://example.com/hook", "format": "xml" });
    assert_eq!(
        refused("POST", "/api/webhooks", jwt, Some(body)).await,
        invalid("format")
    );
    let (hook, _) = webhook(&app().base_url, jwt, "https://example.com/hook", "json").await;
    for (method, path) in [
        ("GET", format!("/api/webhooks/{hook}")),
        ("DELETE", format!("/api/webhooks/{hook}")),
        ("GET", format!("/api/webhooks/{hook}/deliveries")),
        ("POST", format!("/api/webhooks/{hook}/test")),
    ] {
        assert_eq!(
            refused(method, &path, &other.jwt, None).await,
            not_found,
            "{method} {path}"
        );
    }
    let rename = Some(json!({ "name": "mine now" }));
    assert_eq!(
        refused(
            "PATCH",
            &format!("/api/webhooks/{hook}"),
            &other.jwt,
            rename
        )
        .await,
        not_found
    );
    // Nothing of the first user changed.
    let budgets = read(&app().base_url, jwt, "/api/budgets").await;
    assert_eq!(budgets["budgets"][0]["amount"], "10");
    assert_eq!(
        read(&app().base_url, jwt, &format!("/api/webhooks/{hook}")).await["name"]
            .as_str()
            .map(|n| n.starts_with("hook")),
        Some(true)
    );
}

#[tokio::test]
async fn a_test_event_is_signed_delivered_and_logged() {
    let (user, _, _) = budgeted_user().await;
    let base = &app().base_url;
    let receiver = Receiver::start().await;
    let (hook, secret) = webhook(
        base,
        &user.jwt,
        &format!("{}/test", receiver.base_url),
        "json",
    )
    .await;
    let delivery = created(
        base,
        &user.jwt,
        &format!("/api/webhooks/{hook}/test"),
        json!({}),
        200,
    )
    .await;
    assert_eq!(delivery["status"], "delivered", "{delivery}");
    assert_eq!(delivery["event"]["type"], "test");
    let got = receiver.received("/test");
    assert_eq!(got.len(), 1);
    assert!(got[0].signed_with(&secret));
    assert_eq!(got[0].headers["x-watcher-event"], "test");
    assert_eq!(
        got[0].headers["x-watcher-delivery"],
        delivery["id"].to_string()
    );
    assert_eq!(got[0].json()["event"]["id"], delivery["event"]["id"]);
    let hook_view = read(base, &user.jwt, &format!("/api/webhooks/{hook}")).await;
    assert_eq!(hook_view["last_delivery"]["status"], "delivered");

    let off = call("PATCH", &format!("/api/webhooks/{hook}"))
        .bearer(&user.jwt)
        .json(&json!({ "is_active": false }))
        .send()
        .await;
    assert_eq!(off.json["is_active"], false);
    call("POST", &format!("/api/webhooks/{hook}/test"))
        .bearer(&user.jwt)
        .send()
        .await
        .assert_error(409, "conflict");
    assert_eq!(receiver.received("/test").len(), 1);
}

#[tokio::test]
async fn a_key_silent_for_two_weeks_that_spends_again_raises_an_alert() {
    let (user, key_id, sim) = budgeted_user().await;
    // The first run starts the key's watch.
    fire_cron(SYNC).await;
    settle_job_runs().await;
    let silent_since = (Utc::now() - chrono::Duration::days(20))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    app().d1(&format!(
        "UPDATE key_activity_marks SET last_spent_at = '{silent_since}' WHERE api_key_id = {key_id}"
    ));
    spend_today(&sim, "0.01").await;
    fire_cron(SYNC).await;
    settle_job_runs().await;
    let alerts = read(&app().base_url, &user.jwt, "/api/alerts").await;
    let woke: Vec<&Value> = alerts["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "key.woke_up")
        .collect();
    assert_eq!(woke.len(), 1, "{alerts}");
    assert_eq!(woke[0]["api_key_id"], key_id);
    assert_eq!(woke[0]["silent_days"], 20);
    assert!(woke[0]["message"]
        .as_str()
        .unwrap()
        .contains("after 20 days without spend"));
}

#[tokio::test]
async fn runway_reaches_the_budget_on_the_arithmetic_day() {
    let (user, key_id, _) = budgeted_user().await;
    let base = &app().base_url;
    // Disabled, so no sync adds a snapshot to the series below.
    call("PATCH", &format!("/api/keys/{key_id}"))
        .bearer(&user.jwt)
        .json(&json!({ "is_active": false }))
        .send()
        .await;
    settle_job_runs().await;
    // 0.25 USD an hour for 72 hours, ending an hour ago with 1 USD spent
    // this month; a 2 USD monthly budget.
    let newest = Utc::now()
        .date_naive()
        .and_hms_opt(Utc::now().hour(), 0, 0)
        .unwrap()
        .and_utc()
        - chrono::Duration::hours(1);
    let quarter = 2_500_000_000_i64;
    let rows: Vec<String> = (0..=72)
        .map(|i| {
            let at = newest - chrono::Duration::hours(72 - i);
            format!(
                "({key_id}, '{}', '{}', 'x', NULL, NULL, NULL, {}, 0, 0, {}, 0)",
                at.format("%Y-%m-%dT%H:%M:%SZ"),
                at.format("%Y-%m-%d"),
                1_000_000_000_000 + quarter * i,
                10_000_000_000 - quarter * (72 - i).min(4),
            )
        })
        .collect();
    app().d1(&format!(
        "DELETE FROM key_snapshots WHERE api_key_id = {key_id};
         INSERT INTO key_snapshots (api_key_id, taken_at, taken_on, label, credit_limit, limit_remaining,
             limit_reset, usage, usage_daily, usage_weekly, usage_monthly, is_free_tier) VALUES {}",
        rows.join(", ")
    ));
    let budget = created(
        base,
        &user.jwt,
        "/api/budgets",
        json!({ "api_key_id": key_id, "amount": 2, "period": "monthly" }),
        201,
    )
    .await;

    // The arithmetic: 1 USD to go at 0.25 USD/h is 4 hours after `newest`.
    let reached = newest + chrono::Duration::hours(4);
    let month = newest.date_naive().with_day(1).unwrap();
    let reset = month
        .checked_add_months(chrono::Months::new(1))
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    let hours_left = (reset - newest).num_hours();
    let runway = &budget["runway"];
    assert_eq!(runway["burn_rate_per_day"], "6");
    assert_eq!(
        runway["resets_at"],
        reset.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    let projected = 10_000_000_000_i128 + i128::from(quarter) * i128::from(hours_left);
    assert_eq!(
        units(runway["projected_period_spend"].as_str().unwrap()),
        projected
    );
    if reached < reset {
        assert_eq!(runway["status"], "will_exceed", "{runway}");
        assert_eq!(
            runway["reached_at"],
            reached.format("%Y-%m-%dT%H:%M:%SZ").to_string()
        );
        assert_eq!(runway["days_before_reset"], (reset - reached).num_days());
    } else {
        assert_eq!(
            (runway["status"].as_str(), &runway["reached_at"]),
            (Some("on_track"), &Value::Null)
        );
    }
    let key = read(base, &user.jwt, &format!("/api/keys/{key_id}")).await;
    assert_eq!(&key["runway"], runway);
    assert_eq!(key["budgets"][0]["id"], budget["id"]);
    let dashboard = read(base, &user.jwt, "/api/stats/dashboard").await;
    assert_eq!(dashboard["budgets"][0]["runway"], *runway);
}

#[tokio::test]
async fn in_production_config_webhooks_must_be_public_https() {
    let (dir, log) = (
        run_dir().join("prod-state"),
        run_dir().join("prod-wrangler.log"),
    );
    // No WEBHOOK_LOOPBACK: the variables of wrangler.toml, as deployed.
    let worker = own_worker(dir, log, &[]).await;
    let jwt = user_at(&worker.base_url).await.jwt;
    for url in [
        "http://127.0.0.1:9/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "http://example.com/hook",
        // Spellings of internal addresses as the runtime reads them (the
        // unit tests of webhooks::url hold the whole list).
        "https://2130706433/",
        "https://0x7f000001/",
        "https://127%2e0%2e0%2e1/",
        "https://\u{ff11}\u{ff12}\u{ff17}.0.0.1/",
        "https://[::127.0.0.1]/",
        "https://metadata.google.internal/",
    ] {
        let res = call_at(&worker.base_url, "POST", "/api/webhooks")
            .bearer(&jwt)
            .json(&json!({ "name": "local", "url": url }))
            .send()
            .await;
        res.assert_error(422, "validation_error");
        assert_eq!(res.json["error"]["details"][0]["field"], "url", "{url}");
    }
    webhook(
        &worker.base_url,
        &jwt,
        "https://hooks.example.com/alerts",
        "slack",
    )
    .await;
    // What is stored (and called) is the URL as the parser writes it.
    let stored = created(
        &worker.base_url,
        &jwt,
        "/api/webhooks",
        json!({ "name": "normalised", "url": "HTTPS://Hooks.Example.COM" }),
        201,
    )
    .await;
    remember_secret(stored["secret"].as_str().unwrap_or_default());
    assert_eq!(stored["url"], "https://hooks.example.com/");
    worker.kill();
}
