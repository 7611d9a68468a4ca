//! The public API `/api/v1`: shapes, defaults, rate limits, CORS.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::sync::{truth_window, units, user_with_account, user_with_activity, SYNC};

fn assert_rate_headers(res: &Res) {
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        let value = res
            .header(name)
            .unwrap_or_else(|| panic!("{name} missing on {}: {}", res.status, res.text));
        assert!(value.parse::<i64>().is_ok(), "{name}: {value}");
    }
}

#[tokio::test]
async fn stats_default_to_the_last_thirty_days() {
    let (user, keys, token) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (0, 0, "m/a", 1, 10, 20, 5),
            (1, -29, "m/b", 2, 1, 2, 7),
            (0, -30, "m/a", 100, 100, 100, 1_000),
        ],
    );
    let res = get("/api/v1/stats").bearer(&token).send().await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.json,
        json!({
            "summary": { "total_requests": 3, "total_cost": "0.0000000012", "total_tokens_input": 11, "total_tokens_output": 22 },
            "period": { "start_date": day(-29), "end_date": day(0), "days": 30 }
        })
    );
    assert_rate_headers(&res);
    assert_eq!(res.header("x-ratelimit-limit"), Some("100"));
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn stats_take_custom_dates() {
    let (user, keys, token) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (0, -40, "m/a", 4, 4, 4, 123_456_789_012),
            (1, -35, "m/a", 1, 1, 1, 1),
            (0, -10, "m/a", 9, 9, 9, 9),
        ],
    );
    let (start, end) = (day(-40), day(-35));
    let res = get(&format!("/api/v1/stats?start_date={start}&end_date={end}"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(res.json["summary"]["total_requests"], 5);
    assert_eq!(res.json["summary"]["total_cost"], "12.3456789013");
    assert_eq!(
        res.json["period"],
        json!({ "start_date": start, "end_date": end, "days": 6 })
    );
    // Only an end date: the 30 days before it.
    let res = get(&format!("/api/v1/stats?end_date={end}"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(res.json["period"]["start_date"], day(-35 - 29));
}

#[tokio::test]
async fn credentials_other_than_a_live_api_token_are_401() {
    let (user, _, token) = user_with_keys().await;
    let (revoked_id, revoked) = user.new_token("to revoke").await;
    call("DELETE", &format!("/api/tokens/{revoked_id}"))
        .bearer(&user.jwt)
        .send()
        .await;
    let forged = format!("or_api_{}", "A".repeat(43));
    for (what, credential) in [
        ("none", None),
        ("jwt", Some(user.jwt.as_str())),
        ("revoked", Some(revoked.as_str())),
        ("unknown", Some(forged.as_str())),
        ("malformed", Some("or_api_short")),
        ("key-like", Some("sk-or-v1-0000")),
    ] {
        for path in [
            "/api/v1/stats",
            "/api/v1/keys",
            &format!("/api/v1/usage?start_date={}&end_date={}", day(-1), day(0)),
        ] {
            let mut request = get(path);
            if let Some(credential) = credential {
                request = request.bearer(credential);
            }
            let res = request.send().await;
            res.assert_error(401, "unauthorized");
            assert_eq!(res.header("www-authenticate"), Some("Bearer"), "{what}");
            assert_rate_headers(&res);
            assert_eq!(
                res.header("x-ratelimit-limit"),
                Some("30"),
                "{what} counts against the IP"
            );
        }
    }
    assert_eq!(get("/api/v1/stats").bearer(&token).send().await.status, 200);
}

#[tokio::test]
async fn each_call_records_last_used_at() {
    let (user, _, token) = user_with_keys().await;
    assert_eq!(get("/api/v1/keys").bearer(&token).send().await.status, 200);
    // Written by the token's object after the answer: wait for it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let used = loop {
        let list = get("/api/tokens").bearer(&user.jwt).send().await;
        if let Some(used) = list.json[0]["last_used_at"].as_str() {
            break used.to_owned();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "last_used_at never set: {}",
            list.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(used.ends_with('Z'));
    let rows = app().d1(&format!(
        "SELECT last_used_at FROM api_tokens WHERE org_id = {}",
        user.org
    ));
    assert_eq!(rows[0]["last_used_at"], used.as_str());
}

#[tokio::test]
async fn usage_is_paginated_by_date_then_model_over_all_keys() {
    let (user, keys, token) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (0, -3, "z/last", 1, 1, 1, 1),
            (0, -3, "a/first", 2, 2, 2, 2),
            (1, -3, "a/first", 3, 3, 3, 3),
            (0, -2, "m/mid", 4, 4, 4, 4),
            (1, -1, "m/mid", 5, 5, 5, 5_000_000_000),
        ],
    );
    let range = format!("start_date={}&end_date={}", day(-3), day(0));
    let page = |n: i64| {
        let token = token.clone();
        let range = range.clone();
        async move {
            get(&format!("/api/v1/usage?{range}&limit=2&page={n}"))
                .bearer(&token)
                .send()
                .await
        }
    };
    let first = page(1).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(
        first.json["pagination"],
        json!({ "page": 1, "limit": 2, "total": 4, "pages": 2 })
    );
    assert_eq!(
        first.json["items"],
        json!([
            { "date": day(-3), "model": "a/first", "requests_count": 5, "tokens_input": 5, "tokens_output": 5, "cost": "0.0000000005" },
            { "date": day(-3), "model": "z/last", "requests_count": 1, "tokens_input": 1, "tokens_output": 1, "cost": "0.0000000001" },
        ])
    );
    let second = page(2).await;
    assert_eq!(second.json["items"][1]["cost"], "0.5");
    let past_the_end = page(3).await;
    assert_eq!(past_the_end.status, 200);
    assert_eq!(past_the_end.json["items"], json!([]));
    assert_eq!(past_the_end.json["pagination"]["total"], 4);
    let all = get(&format!("/api/v1/usage?{range}&limit=1000"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(all.json["items"].as_array().unwrap().len(), 4);
    assert_eq!(all.json["pagination"]["limit"], 1000);
}

/// The token's object answers the Worker with one text the runtime reads
/// whole (`rate_limit::send`): a page far larger than a stream chunk, with
/// multi-byte UTF-8 in every row, arrives byte for byte.
#[tokio::test]
async fn a_large_answer_crosses_the_object_whole() {
    let (user, keys, token) = user_with_keys().await;
    let tail = "é東🔑".repeat(60);
    let models: Vec<String> = (0..400).map(|i| format!("m/{i:03}-{tail}")).collect();
    let rows: Vec<_> = models
        .iter()
        .map(|m| (0, -1, m.as_str(), 1, 2, 3, 4))
        .collect();
    seed(&user, &keys, &rows);
    let range = format!("start_date={}&end_date={}", day(-1), day(-1));
    let res = get(&format!("/api/v1/usage?{range}&limit=1000"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.text.len() > 200_000, "{} bytes", res.text.len());
    let got: Vec<&str> = res.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["model"].as_str().unwrap())
        .collect();
    assert_eq!(got, models);
}

#[tokio::test]
async fn every_bad_parameter_is_422_naming_it() {
    let (_, _, token) = user_with_keys().await;
    let (s, e) = (day(-5), day(0));
    let cases = [
        (format!("/api/v1/usage?end_date={e}"), "start_date"),
        (format!("/api/v1/usage?start_date={s}"), "end_date"),
        (
            format!("/api/v1/usage?start_date=&end_date={e}"),
            "start_date",
        ),
        (
            format!("/api/v1/usage?start_date=2025-02-30&end_date={e}"),
            "start_date",
        ),
        (
            format!("/api/v1/usage?start_date={s}&end_date=tomorrow"),
            "end_date",
        ),
        (
            format!("/api/v1/usage?start_date={e}&end_date={s}"),
            "start_date",
        ),
        (
            "/api/v1/usage?start_date=2024-01-01&end_date=2024-12-31".to_owned(),
            "end_date",
        ),
        (
            format!("/api/v1/usage?start_date={s}&end_date={e}&page=0"),
            "page",
        ),
        (
            format!("/api/v1/usage?start_date={s}&end_date={e}&page=-1"),
            "page",
        ),
        (
            format!("/api/v1/usage?start_date={s}&end_date={e}&limit=0"),
            "limit",
        ),
        (
            format!("/api/v1/usage?start_date={s}&end_date={e}&limit=1001"),
            "limit",
        ),
        (
            format!("/api/v1/usage?start_date={s}&end_date={e}&limit=abc"),
            "limit",
        ),
        (
            format!("/api/v1/usage?start_date={s}&end_date={e}&limit=1.5"),
            "limit",
        ),
        (
            format!(
                "/api/v1/usage?start_date={s}&end_date={e}&page={}",
                "9".repeat(30)
            ),
            "page",
        ),
        (
            "/api/v1/stats?start_date=2025-13-01".to_owned(),
            "start_date",
        ),
        (
            format!(
                "/api/v1/stats?start_date={}&end_date={}",
                "x".repeat(300),
                e
            ),
            "start_date",
        ),
        (
            "/api/v1/stats?start_date=2020-01-01&end_date=2021-01-01".to_owned(),
            "end_date",
        ),
    ];
    for (path, field) in cases {
        let res = get(&path).bearer(&token).send().await;
        res.assert_error(422, "validation_error");
        assert_eq!(res.error_field(), field, "{path}: {}", res.text);
        assert_rate_headers(&res);
    }
    // 365 days counting both ends is the longest range.
    let res = get(&format!(
        "/api/v1/stats?start_date={}&end_date={}",
        day(-364),
        day(0)
    ))
    .bearer(&token)
    .send()
    .await;
    assert_eq!(res.json["period"]["days"], 365, "{}", res.text);
}

#[tokio::test]
async fn keys_list_totals_and_never_a_key() {
    let (user, keys, token) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            // Older than any range the API takes, inside the retention
            // (another test's cleanup cron may run at any time).
            (0, -300, "m", 1, 0, 0, 10),
            (0, -1, "m", 2, 0, 0, 20),
            (0, -1, "n", 3, 0, 0, 30),
        ],
    );
    let res = get("/api/v1/keys").bearer(&token).send().await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.json,
        json!({
            "items": [
                { "id": keys[0], "name": "alpha", "is_active": true, "stats": { "total_requests": 6, "total_cost": "0.000000006" } },
                { "id": keys[1], "name": "beta", "is_active": true, "stats": { "total_requests": 0, "total_cost": "0" } },
            ],
            "total": 2
        })
    );
    assert!(
        !res.text.contains("sk-or"),
        "no key value or preview: {}",
        res.text
    );
}

#[tokio::test]
async fn users_never_see_each_others_data() {
    let (alice, alice_keys, alice_token) = user_with_keys().await;
    let (bob, bob_keys, bob_token) = user_with_keys().await;
    seed(&alice, &alice_keys, &[(0, -1, "m/alice", 1, 1, 1, 111)]);
    seed(&bob, &bob_keys, &[(0, -1, "m/bob", 2, 2, 2, 222)]);
    let range = format!("start_date={}&end_date={}", day(-2), day(0));
    for (token, own, other, ids) in [
        (&alice_token, "m/alice", "m/bob", &alice_keys),
        (&bob_token, "m/bob", "m/alice", &bob_keys),
    ] {
        let usage = get(&format!("/api/v1/usage?{range}"))
            .bearer(token)
            .send()
            .await;
        assert!(
            usage.text.contains(own) && !usage.text.contains(other),
            "{}",
            usage.text
        );
        let keys = get("/api/v1/keys").bearer(token).send().await;
        let listed: Vec<i64> = keys.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].as_i64().unwrap())
            .collect();
        assert_eq!(&listed, ids);
    }
    let stats = get("/api/v1/stats").bearer(&bob_token).send().await;
    assert_eq!(stats.json["summary"]["total_cost"], "0.0000000222");
}

#[tokio::test]
async fn totals_equal_the_rows_and_openrouter_exactly() {
    let (user, keys) = user_with_activity(2).await;
    fire_cron(SYNC).await;
    let (_, token) = user.new_token("reporting").await;
    let (start, end) = (day(-30), day(0));
    let stats = get(&format!("/api/v1/stats?start_date={start}&end_date={end}"))
        .bearer(&token)
        .send()
        .await;
    let usage = get(&format!(
        "/api/v1/usage?start_date={start}&end_date={end}&limit=1000"
    ))
    .bearer(&token)
    .send()
    .await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    let items = usage.json["items"].as_array().unwrap();
    assert_eq!(
        usage.json["pagination"]["total"].as_u64(),
        Some(items.len() as u64)
    );
    let sum = |field: &str| -> i128 {
        items
            .iter()
            .map(|i| {
                if field == "cost" {
                    units(i[field].as_str().unwrap())
                } else {
                    i[field].as_i64().unwrap() as i128
                }
            })
            .sum()
    };
    let summary = &stats.json["summary"];
    assert_eq!(units(summary["total_cost"].as_str().unwrap()), sum("cost"));
    assert_eq!(
        summary["total_requests"].as_i64().unwrap() as i128,
        sum("requests_count")
    );
    assert_eq!(
        summary["total_tokens_input"].as_i64().unwrap() as i128,
        sum("tokens_input")
    );
    assert_eq!(
        summary["total_tokens_output"].as_i64().unwrap() as i128,
        sum("tokens_output")
    );
    let mut truth: BTreeMap<(String, String), (i64, i128)> = BTreeMap::new();
    for (_, sim) in &keys {
        for ((date, model), (requests, _, _, cost)) in truth_window(&sim.hash).await {
            let entry = truth.entry((date, model)).or_default();
            entry.0 += requests;
            entry.1 += cost;
        }
    }
    let served: BTreeMap<(String, String), (i64, i128)> = items
        .iter()
        .map(|i| {
            (
                (
                    i["date"].as_str().unwrap().to_owned(),
                    i["model"].as_str().unwrap().to_owned(),
                ),
                (
                    i["requests_count"].as_i64().unwrap(),
                    units(i["cost"].as_str().unwrap()),
                ),
            )
        })
        .collect();
    assert_eq!(
        served, truth,
        "per (date, model) over both keys, as OpenRouter reports"
    );
    let keys_view = get("/api/v1/keys").bearer(&token).send().await;
    let per_key: i128 = keys_view.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| units(k["stats"]["total_cost"].as_str().unwrap()))
        .sum();
    assert_eq!(
        per_key,
        sum("cost"),
        "all stored usage is inside these 31 days"
    );
}

#[tokio::test]
async fn exactly_the_budget_succeeds_under_concurrency() {
    let (_, _, token) = user_with_keys().await;
    let calls = (0..150).map(|_| {
        let token = token.clone();
        async move { get("/api/v1/stats").bearer(&token).send().await }
    });
    let results = futures::future::join_all(calls).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let limited: Vec<&Res> = results.iter().filter(|r| r.status == 429).collect();
    assert_eq!(
        (ok, limited.len()),
        (100, 50),
        "statuses: {:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for res in limited {
        res.assert_error(429, "rate_limited");
        let retry = res.retry_after();
        assert!((1..=3600).contains(&retry), "{retry}");
        assert_eq!(res.header("x-ratelimit-remaining"), Some("0"));
        assert_rate_headers(res);
    }
}

#[tokio::test]
async fn guessing_tokens_is_throttled_per_ip_and_the_window_slides() {
    let ip = unique_ip();
    let guess = |n: usize| {
        let ip = ip.clone();
        async move {
            get("/api/v1/stats")
                .ip(&ip)
                .bearer(&format!("or_api_{:0>43}", n))
                .send()
                .await
        }
    };
    for n in 0..30 {
        guess(n).await.assert_error(401, "unauthorized");
    }
    let limited = guess(30).await;
    limited.assert_error(429, "rate_limited");
    let retry = limited.retry_after();
    assert!((1..=60).contains(&retry), "{retry}");
    let reset: i64 = limited
        .header("x-ratelimit-reset")
        .unwrap()
        .parse()
        .unwrap();
    assert!(reset >= chrono::Utc::now().timestamp());
    // Another address is not affected.
    assert_eq!(
        get("/api/v1/stats").ip(&unique_ip()).send().await.status,
        401
    );
    // After Retry-After a slot is free again.
    tokio::time::sleep(Duration::from_secs(retry + 1)).await;
    guess(31).await.assert_error(401, "unauthorized");
}

#[tokio::test]
async fn cors_is_open_on_the_public_api_only() {
    let res = call("OPTIONS", "/api/v1/usage")
        .header("Origin", "https://grafana.example")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert!(res
        .header("access-control-allow-headers")
        .is_some_and(|h| h.to_lowercase().contains("authorization")));
    assert!(res
        .header("access-control-allow-methods")
        .is_some_and(|h| h.contains("GET")));
    let web = get("/api/auth/me")
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert!(web.header("access-control-allow-origin").is_none());
    let web = call("OPTIONS", "/api/keys")
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert!(web.header("access-control-allow-origin").is_none());
    assert_eq!(web.status, 405);
}

#[tokio::test]
async fn logs_never_contain_a_secret() {
    let user = new_user().await;
    let sim = sim_key(json!({})).await;
    user.add_key("logged?", &sim.key, "inference").await;
    let (_, token) = user.new_token("log check").await;
    get("/api/v1/stats").bearer(&token).send().await;
    post("/api/auth/login")
        .json(&json!({ "email": user.email, "password": "a wrong password!" }))
        .send()
        .await;
    fire_cron(SYNC).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = app().log();
    assert!(log.contains("/api/v1/stats"), "the log was captured");
    let mut secrets = remembered_secrets();
    secrets.extend([
        PASSWORD.to_owned(),
        "a wrong password!".to_owned(),
        sim.key.clone(),
        token.clone(),
        user.jwt.clone(),
    ]);
    for secret in secrets {
        assert!(
            !log.contains(&secret),
            "a secret reached the wrangler log: {}…",
            &secret[..12.min(secret.len())]
        );
    }
    let _: Value = Value::Null;
}

/// The token's rate limiter caches answers for a moment; every product write
/// that changes them must show at once.
#[tokio::test]
async fn answers_follow_product_writes_at_once() {
    // Other tests fire the sync at any moment; until the fault is lifted, no
    // run can store this account's activity, so "nothing synced yet" holds.
    let admin = sim_key(json!({ "kind": "management" })).await;
    let held_back =
        add_fault(&json!({ "key_hash": admin.hash, "path": "/activity", "status": 503 })).await;
    let (user, keys) = user_with_account(&admin, 1).await;
    let id = keys[0].0;
    let (_, token) = user.new_token("fresh").await;
    let range = format!("start_date={}&end_date={}", day(-30), day(0));
    let before = get(&format!("/api/v1/stats?{range}"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        before.json["summary"]["total_cost"], "0",
        "nothing synced yet: {}",
        before.text
    );
    let listed = get("/api/v1/keys").bearer(&token).send().await;
    assert_eq!(
        listed.json["total"], 2,
        "the management key and the app key"
    );

    // The cached zero stays cached until a sync's writes clear it.
    lift_fault(&held_back).await;
    fire_cron(SYNC).await;
    let after = get(&format!("/api/v1/stats?{range}"))
        .bearer(&token)
        .send()
        .await;
    assert_ne!(
        after.json["summary"]["total_cost"], "0",
        "the sync's rows show at once"
    );

    call("PATCH", &format!("/api/keys/{id}"))
        .bearer(&user.jwt)
        .json(&json!({ "name": "renamed", "is_active": false }))
        .send()
        .await;
    let listed = get("/api/v1/keys").bearer(&token).send().await;
    let item = listed.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == id)
        .cloned()
        .unwrap();
    assert_eq!(item["name"], "renamed");
    assert_eq!(item["is_active"], false);

    call("DELETE", &format!("/api/keys/{id}"))
        .bearer(&user.jwt)
        .send()
        .await;
    let listed = get("/api/v1/keys").bearer(&token).send().await;
    assert_eq!(listed.json["total"], 1, "{}", listed.text);
    let emptied = get(&format!("/api/v1/stats?{range}"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(emptied.json["summary"]["total_cost"], "0");
}
