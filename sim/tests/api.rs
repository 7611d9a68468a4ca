mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, NaiveDate, Utc};
use common::*;
use openrouter_sim::control::{
    BulkRegisterResponse, FaultCreated, KeyKind, LimitReset, RegisterKeyRequest, RequestLogEntry,
    TruthResponse,
};
use openrouter_sim::{spawn_in_thread, SimConfig};
use rust_decimal::Decimal;
use serde_json::{json, Value};

const FIXED_NOW: &str = "2025-03-15T10:30:00Z";

/// (requests, prompt, completion, reasoning, usage, byok, endpoint rows)
type DayTotals = (u64, u64, u64, u64, Decimal, Decimal, u32);

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn sum_truth<'a>(t: &'a TruthResponse, keep: impl Fn(NaiveDate) -> bool + 'a) -> Decimal {
    t.days
        .iter()
        .filter(|r| keep(d(&r.date)))
        .map(|r| dec(&r.usage))
        .sum()
}

#[tokio::test]
async fn key_endpoint_shape_and_exact_totals() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let k = h
        .register(RegisterKeyRequest {
            limit: Some("75.5".into()),
            limit_reset: Some(LimitReset::Monthly),
            ..inference("shape", "acct-shape")
        })
        .await;
    let r = h.get("/api/v1/key", Some(&k.key)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.headers["content-type"].to_str().unwrap_or_default(),
        "application/json"
    );
    let body: KeyResponse = r.parse();
    let data = body.data;
    let t = h.truth(&k.key_hash).await;

    let today = d(&t.today);
    assert_eq!(today, d("2025-03-15"));
    let monday = today - Days::new(u64::from(today.weekday().num_days_from_monday()));
    let first_of_month = today.with_day(1).expect("day 1");

    // Independent sums over the truth rows.
    let all = sum_truth(&t, |_| true);
    let daily = sum_truth(&t, |x| x == today);
    let weekly = sum_truth(&t, |x| x >= monday && x <= today);
    let monthly = sum_truth(&t, |x| x >= first_of_month && x <= today);
    assert!(all > Decimal::ZERO);

    assert_eq!(money(&data.usage), all);
    assert_eq!(money(&data.usage), dec(&t.usage));
    assert_eq!(money(&data.usage_daily), daily);
    assert_eq!(money(&data.usage_weekly), weekly);
    assert_eq!(money(&data.usage_monthly), monthly);
    assert_eq!(money(&data.byok_usage), dec(&t.byok_usage));
    assert_eq!(money(&data.byok_usage_daily), dec(&t.byok_usage_daily));
    assert_eq!(money(&data.byok_usage_weekly), dec(&t.byok_usage_weekly));
    assert_eq!(money(&data.byok_usage_monthly), dec(&t.byok_usage_monthly));
    assert_eq!(opt_money(&data.limit), Some(dec("75.5")));
    assert_eq!(data.limit_reset.as_deref(), Some("monthly"));
    let expected_remaining = (dec("75.5") - monthly).max(Decimal::ZERO);
    assert_eq!(opt_money(&data.limit_remaining), Some(expected_remaining));
    assert!(!data.is_management_key && !data.is_provisioning_key && !data.is_free_tier);
    assert!(!data.include_byok_in_limit);
    assert_eq!(data.allowed_data_regions, vec!["global".to_string()]);
    assert_eq!(data.rate_limit.requests, -1);
    assert!(!data.rate_limit.interval.is_empty() && !data.rate_limit.note.is_empty());
    assert!(data.expires_at.is_none());
    assert!(data.creator_user_id.is_some_and(|u| u.starts_with("user_")));
    assert!(data.organization_id.is_none());
    assert!(data.workspace_id.is_some());
    let free = &data.free_model_daily_requests;
    assert_eq!(free.remaining, free.limit.saturating_sub(free.used));
    // OpenRouter reports the key masked in `label`, never the full string.
    assert!(data.label.starts_with("sk-or-v1-") && data.label.contains("..."));
    assert!(!r.text.contains(&k.key));

    // A management key: usage 0, flags set, no limit.
    let m = h.register(management("shape-admin", "acct-shape")).await;
    let r = h.get("/api/v1/key", Some(&m.key)).await;
    let data = r.parse::<KeyResponse>().data;
    assert!(data.is_management_key && data.is_provisioning_key);
    assert_eq!(money(&data.usage), Decimal::ZERO);
    assert!(data.limit.is_none() && data.limit_remaining.is_none() && data.limit_reset.is_none());
    assert!(r.text.contains("\"limit\":null") && r.text.contains("\"limit_remaining\":null"));

    // The legacy alias answers the same.
    let alias = h.get("/api/v1/auth/key", Some(&m.key)).await;
    assert_eq!(alias.status, 200);
}

#[tokio::test]
async fn periods_and_limit_remaining_follow_utc_boundaries() {
    let h = start(1).await;
    // Monday 3 March 2025.
    h.set_clock("2025-03-03T23:59:59Z").await;
    let records = [
        ("2025-03-03", "0.1"),
        ("2025-03-02", "0.02"),
        ("2025-03-01", "0.003"),
        ("2025-02-28", "0.0004"),
        ("2025-01-01", "0.00005"),
    ];
    let mut remaining = BTreeMap::new();
    let mut hashes = Vec::new();
    for (reset, limit) in [
        (None, "1"),
        (Some(LimitReset::Daily), "1"),
        (Some(LimitReset::Weekly), "1"),
        (Some(LimitReset::Monthly), "1"),
        (Some(LimitReset::Daily), "0.05"),
    ] {
        let k = h
            .register(RegisterKeyRequest {
                generate: Some(false),
                limit: Some(limit.into()),
                limit_reset: reset,
                ..RegisterKeyRequest::default()
            })
            .await;
        hashes.push(k.key_hash.clone());
        for (date, usage) in records {
            let r = h
                .post(
                    &format!("/_sim/keys/{}/usage", k.key_hash),
                    json!({"date": date, "model": "openai/gpt-4o", "requests": 1,
                           "prompt_tokens": 10, "completion_tokens": 5, "usage": usage}),
                )
                .await;
            assert_eq!(r.status, 201, "{}", r.text);
        }
        let data = h
            .get("/api/v1/key", Some(&k.key))
            .await
            .parse::<KeyResponse>()
            .data;
        assert_eq!(money(&data.usage), dec("0.12345"));
        assert_eq!(money(&data.usage_daily), dec("0.1"));
        assert_eq!(money(&data.usage_weekly), dec("0.1"));
        assert_eq!(money(&data.usage_monthly), dec("0.123"));
        remaining.insert(
            format!("{reset:?}-{limit}"),
            opt_money(&data.limit_remaining).expect("limited"),
        );
    }
    assert_eq!(remaining["None-1"], dec("0.87655"));
    assert_eq!(remaining["Some(Daily)-1"], dec("0.9"));
    assert_eq!(remaining["Some(Weekly)-1"], dec("0.9"));
    assert_eq!(remaining["Some(Monthly)-1"], dec("0.877"));
    assert_eq!(
        remaining["Some(Daily)-0.05"],
        Decimal::ZERO,
        "never negative"
    );

    // One second later it is Tuesday: the daily usage resets.
    h.set_clock("2025-03-04T00:00:00Z").await;
    let t = h.truth(&hashes[0]).await;
    assert_eq!(dec(&t.usage_daily), Decimal::ZERO);
    assert_eq!(dec(&t.usage_weekly), dec("0.1"));
}

#[tokio::test]
async fn auth_errors_and_revocation() {
    let h = start(42).await;
    let k = h.register(inference("auth", "acct-auth")).await;
    h.get("/api/v1/key", None).await.assert_error(401);
    h.get("/api/v1/key", Some("sk-or-v1-unknown"))
        .await
        .assert_error(401);
    h.get("/api/v1/activity", Some("sk-or-v1-unknown"))
        .await
        .assert_error(401);
    h.get("/api/v1/credits", None).await.assert_error(401);
    // An inference key may not read management endpoints.
    h.get("/api/v1/activity", Some(&k.key))
        .await
        .assert_error(403);
    h.get("/api/v1/credits", Some(&k.key))
        .await
        .assert_error(403);
    h.get("/api/v1/nope", Some(&k.key)).await.assert_error(404);

    // Revoked keys answer 401 everywhere, then work again.
    let m = h.register(management("auth-admin", "acct-auth")).await;
    for key in [&k, &m] {
        let r = h
            .post(
                &format!("/_sim/keys/{}/status", key.key_hash),
                json!({"revoked": true}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
    }
    h.get("/api/v1/key", Some(&k.key)).await.assert_error(401);
    h.get("/api/v1/activity", Some(&m.key))
        .await
        .assert_error(401);
    h.get("/api/v1/credits", Some(&m.key))
        .await
        .assert_error(401);
    h.post(
        &format!("/_sim/keys/{}/status", k.key_hash),
        json!({"revoked": false}),
    )
    .await;
    assert_eq!(h.get("/api/v1/key", Some(&k.key)).await.status, 200);
    h.get("/api/v1/activity", Some(&m.key))
        .await
        .assert_error(401);
}

#[tokio::test]
async fn activity_date_must_be_a_completed_day_of_the_last_30() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let m = h.register(management("dates-admin", "acct-dates")).await;
    h.register(inference("dates", "acct-dates")).await;
    let today = d("2025-03-15");
    let day = |n: u64| (today - Days::new(n)).to_string();
    for bad in [
        day(0),
        day(31),
        day(400),
        (today + Days::new(1)).to_string(),
        "2025-3-1".into(),
        "yesterday".into(),
        "2025-02-30".into(),
    ] {
        h.get(&format!("/api/v1/activity?date={bad}"), Some(&m.key))
            .await
            .assert_error(400);
    }
    for good in [day(1), day(30), day(17)] {
        let r = h
            .get(&format!("/api/v1/activity?date={good}"), Some(&m.key))
            .await;
        assert_eq!(r.status, 200, "{good}: {}", r.text);
        let rows = r.parse::<ActivityResponse>().data;
        assert!(rows.iter().all(|row| row.date == good));
    }
    let all = h.get("/api/v1/activity", Some(&m.key)).await;
    assert_eq!(all.status, 200);
    let rows = all.parse::<ActivityResponse>().data;
    assert!(!rows.is_empty());
    assert!(rows
        .iter()
        .all(|r| d(&r.date) >= today - Days::new(30) && d(&r.date) < today));
}

#[tokio::test]
async fn activity_sums_match_truth_and_key_usage() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let a = h.register(inference("sum-a", "acct-sum")).await;
    let b = h.register(inference("sum-b", "acct-sum")).await;
    let m = h.register(management("sum-admin", "acct-sum")).await;
    // A key of another account must never show up.
    let other = h.register(inference("sum-other", "acct-elsewhere")).await;

    let mut window_total = Decimal::ZERO;
    for k in [&a, &b] {
        let t = h.truth(&k.key_hash).await;
        let first = d(&t.activity_window_start);
        let last = d(&t.activity_window_end);
        assert_eq!(first, d("2025-02-13"));
        assert_eq!(last, d("2025-03-14"));
        let outside = sum_truth(&t, |x| x < first || x > last);
        assert!(
            outside > Decimal::ZERO,
            "history reaches before the window and today"
        );
        let key_usage = money(
            &h.get("/api/v1/key", Some(&k.key))
                .await
                .parse::<KeyResponse>()
                .data
                .usage,
        );
        let rows = h
            .get(
                &format!("/api/v1/activity?api_key_hash={}", k.key_hash),
                Some(&m.key),
            )
            .await
            .parse::<ActivityResponse>()
            .data;
        let rows_sum: Decimal = rows.iter().map(|r| money(&r.usage)).sum();
        assert_eq!(rows_sum, key_usage - outside);
        assert_eq!(rows_sum, dec(&t.usage_in_activity_window));
        window_total += rows_sum;

        // Rows summed per (date, model) equal the truth, field by field.
        let mut per_model: BTreeMap<(String, String), DayTotals> = BTreeMap::new();
        for r in &rows {
            let e = per_model
                .entry((r.date.clone(), r.model.clone()))
                .or_default();
            e.0 += r.requests;
            e.1 += r.prompt_tokens;
            e.2 += r.completion_tokens;
            e.3 += r.reasoning_tokens;
            e.4 += money(&r.usage);
            e.5 += money(&r.byok_usage_inference);
            e.6 += 1;
        }
        let truth_in_window: BTreeMap<_, _> = t
            .days
            .iter()
            .filter(|r| d(&r.date) >= first && d(&r.date) <= last)
            .map(|r| {
                (
                    (r.date.clone(), r.model.clone()),
                    (
                        r.requests,
                        r.prompt_tokens,
                        r.completion_tokens,
                        r.reasoning_tokens,
                        dec(&r.usage),
                        dec(&r.byok_usage_inference),
                        r.endpoints,
                    ),
                )
            })
            .collect();
        assert_eq!(per_model, truth_in_window);
        // The same model on the same day through several providers = several rows.
        assert!(
            per_model.values().any(|v| v.6 >= 2),
            "no multi-endpoint day"
        );
        for r in &rows {
            assert!(r
                .model_permaslug
                .starts_with(r.model.split(':').next().unwrap_or("")));
            assert_eq!(r.endpoint_id.len(), 36);
            assert!(!r.provider_name.is_empty());
            assert!(r.workspace_id.is_none());
        }
    }

    // Without a filter: every key of the account, aggregated per endpoint, and nothing else.
    let rows = h
        .get("/api/v1/activity", Some(&m.key))
        .await
        .parse::<ActivityResponse>()
        .data;
    let total: Decimal = rows.iter().map(|r| money(&r.usage)).sum();
    assert_eq!(total, window_total);
    let mut seen = HashSet::new();
    for r in &rows {
        assert!(
            seen.insert((r.date.clone(), r.model.clone(), r.endpoint_id.clone())),
            "one row per (date, model, endpoint)"
        );
    }
    let other_rows = h
        .get(
            &format!("/api/v1/activity?api_key_hash={}", other.key_hash),
            Some(&m.key),
        )
        .await
        .parse::<ActivityResponse>()
        .data;
    assert!(other_rows.is_empty());

    // group_by=workspace adds workspace_id; the date filter keeps the sums.
    let grouped = h
        .get("/api/v1/activity?group_by=workspace", Some(&m.key))
        .await
        .parse::<ActivityResponse>()
        .data;
    assert!(grouped.iter().all(|r| r.workspace_id.is_some()));
    let day = "2025-03-10";
    let day_rows = h
        .get(&format!("/api/v1/activity?date={day}"), Some(&m.key))
        .await
        .parse::<ActivityResponse>()
        .data;
    let day_sum: Decimal = day_rows.iter().map(|r| money(&r.usage)).sum();
    let expected: Decimal = rows
        .iter()
        .filter(|r| r.date == day)
        .map(|r| money(&r.usage))
        .sum();
    assert_eq!(day_sum, expected);
}

#[tokio::test]
async fn credits_cover_the_account() {
    let h = start(42).await;
    let a = h.register(inference("cr-a", "acct-cr")).await;
    let b = h.register(inference("cr-b", "acct-cr")).await;
    let m = h.register(management("cr-admin", "acct-cr")).await;
    let r = h.get("/api/v1/credits", Some(&m.key)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = r.parse::<CreditsResponse>().data;
    let expected = dec(&h.truth(&a.key_hash).await.usage) + dec(&h.truth(&b.key_hash).await.usage);
    assert_eq!(money(&c.total_usage), expected);
    assert!(money(&c.total_credits) >= expected);

    let r = h
        .post(
            "/_sim/accounts/acct-cr/credits",
            json!({"total_credits": "1234.5"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let c = h
        .get("/api/v1/credits", Some(&m.key))
        .await
        .parse::<CreditsResponse>()
        .data;
    assert_eq!(money(&c.total_credits), dec("1234.5"));
}

#[tokio::test]
async fn same_seed_same_data() {
    let one = start(7).await;
    let two = start(7).await;
    let three = start(8).await;
    for h in [&one, &two, &three] {
        h.set_clock(FIXED_NOW).await;
    }
    for label in ["alice", "bob"] {
        let k1 = one.register(inference(label, "acct-det")).await;
        let k2 = two.register(inference(label, "acct-det")).await;
        let k3 = three.register(inference(label, "acct-det")).await;
        assert_eq!(k1, k2);
        assert_ne!(k1.key, k3.key);
        assert!(k1.key.starts_with("sk-or-v1-") && k1.key.len() == 73);
        assert!(k1.key[9..]
            .chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)));
        let t1 = one.truth(&k1.key_hash).await;
        let t2 = two.truth(&k2.key_hash).await;
        assert_eq!(t1.days, t2.days);
        assert_eq!(t1.usage, t2.usage);
        let m1 = one.get("/api/v1/key", Some(&k1.key)).await.text;
        let m2 = two.get("/api/v1/key", Some(&k2.key)).await.text;
        assert_eq!(m1, m2);
    }
    // The same label twice in one simulator still gives distinct keys.
    let again = one.register(inference("alice", "acct-det")).await;
    let first = two.register(inference("carol", "acct-det")).await;
    assert_ne!(again.key, first.key);
    let list = one.get("/_sim/keys", None).await.json();
    assert_eq!(list["keys"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn control_api_usage_and_validation() {
    let h = start(42).await;
    let k = h
        .register(RegisterKeyRequest {
            generate: Some(false),
            ..inference("manual", "acct-manual")
        })
        .await;
    let data = h
        .get("/api/v1/key", Some(&k.key))
        .await
        .parse::<KeyResponse>()
        .data;
    assert_eq!(money(&data.usage), Decimal::ZERO);
    assert_eq!(data.usage.get(), "0");

    let today = Utc::now().date_naive().to_string();
    // A string and a JSON number with 10 decimals, both kept exactly.
    for usage in [json!("0.0012345678"), json!(0.0000000001)] {
        let r = h
            .post(
                &format!("/_sim/keys/{}/usage", k.key_hash),
                json!({"date": today, "model": "anthropic/claude-3.5-sonnet", "provider": "Amazon Bedrock",
                       "requests": 3, "prompt_tokens": 100, "completion_tokens": 50,
                       "reasoning_tokens": 0, "usage": usage, "byok_usage_inference": "0.5"}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = h.get("/api/v1/key", Some(&k.key)).await;
    assert!(r.text.contains("\"usage\":0.0012345679"), "{}", r.text);
    let data = r.parse::<KeyResponse>().data;
    assert_eq!(money(&data.usage_daily), dec("0.0012345679"));
    assert_eq!(money(&data.byok_usage), dec("1"));
    let t = h.truth(&k.key_hash).await;
    assert_eq!(t.days.len(), 1);
    assert_eq!(t.days[0].requests, 6);
    assert_eq!(t.days[0].endpoints, 2);
    assert_eq!(t.days[0].usage, "0.0012345679");

    let bad = [
        json!({"date": today, "model": "m", "requests": 1, "prompt_tokens": 1, "completion_tokens": 1, "usage": "0.00000000001"}),
        json!({"date": "15/03/2025", "model": "m", "requests": 1, "prompt_tokens": 1, "completion_tokens": 1, "usage": "1"}),
        json!({"date": today, "model": "m", "requests": 1, "prompt_tokens": 1, "completion_tokens": 1, "usage": "-1"}),
        json!({"date": today, "model": "m", "requests": 1, "prompt_tokens": 1, "completion_tokens": 1, "usage": "abc"}),
    ];
    for body in bad {
        let r = h
            .post(&format!("/_sim/keys/{}/usage", k.key_hash), body)
            .await;
        assert!(
            r.status == 422 || r.status == 400,
            "{} {}",
            r.status,
            r.text
        );
        r.assert_error(r.status);
    }
    // Malformed JSON / missing fields / unknown fields.
    let r = h
        .post(
            &format!("/_sim/keys/{}/usage", k.key_hash),
            json!({"date": today}),
        )
        .await;
    r.assert_error(400);
    let r = h.post("/_sim/keys", json!({"labl": "typo"})).await;
    r.assert_error(400);
    let raw = h
        .http
        .post(format!("{}/_sim/keys", h.base()))
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(raw.status().as_u16(), 400);
    let r = h
        .post("/_sim/keys", json!({"limit": "1.00000000001"}))
        .await;
    r.assert_error(422);
    let r = h.post("/_sim/keys", json!({"key": k.key})).await;
    r.assert_error(409);
    let r = h
        .post("/_sim/keys/00ff/usage", json!({"date": today, "model": "m", "requests": 1, "prompt_tokens": 1, "completion_tokens": 1, "usage": "1"}))
        .await;
    r.assert_error(404);
    h.get("/_sim/keys/00ff/truth", None).await.assert_error(404);
    h.get("/_sim/nothing", None).await.assert_error(404);

    // A supplied key string, a management key given usage.
    let m = h
        .register(RegisterKeyRequest {
            key: Some("sk-or-v1-my-own-management-key".into()),
            ..management("own", "acct-manual")
        })
        .await;
    assert_eq!(m.key, "sk-or-v1-my-own-management-key");
    h.post(
        &format!("/_sim/keys/{}/usage", m.key_hash),
        json!({"date": today, "model": "x", "requests": 1, "prompt_tokens": 1, "completion_tokens": 1, "usage": 2}),
    )
    .await;
    let data = h
        .get("/api/v1/key", Some(&m.key))
        .await
        .parse::<KeyResponse>()
        .data;
    assert!(data.is_management_key);
    assert_eq!(money(&data.usage), dec("2"));

    assert_eq!(h.get("/_sim/health", None).await.status, 200);
}

#[tokio::test]
async fn status_faults_with_retry_after_expire_after_n_times() {
    let h = start(42).await;
    let k = h.register(inference("f-status", "acct-f")).await;
    let other = h.register(inference("f-other", "acct-f")).await;
    let r = h
        .post(
            "/_sim/faults",
            json!({"key_hash": k.key_hash, "path": "/api/v1/key", "status": 429, "retry_after": 7, "times": 2}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    for _ in 0..2 {
        let r = h.get("/api/v1/key", Some(&k.key)).await;
        r.assert_error(429);
        assert_eq!(r.headers["retry-after"], "7");
        // Another key is not affected.
        assert_eq!(h.get("/api/v1/key", Some(&other.key)).await.status, 200);
    }
    assert_eq!(h.get("/api/v1/key", Some(&k.key)).await.status, 200);
    assert_eq!(h.get("/_sim/faults", None).await.json(), json!([]));

    // Path-only fault, forever, removed by id; `/credits` is read as `/api/v1/credits`.
    let m = h.register(management("f-admin", "acct-f")).await;
    let id = h
        .post("/_sim/faults", json!({"path": "/credits", "status": 503}))
        .await
        .parse::<FaultCreated>()
        .id;
    for _ in 0..3 {
        h.get("/api/v1/credits", Some(&m.key))
            .await
            .assert_error(503);
    }
    assert_eq!(h.get("/api/v1/key", Some(&m.key)).await.status, 200);
    assert_eq!(h.delete(&format!("/_sim/faults/{id}")).await.status, 200);
    assert_eq!(h.delete(&format!("/_sim/faults/{id}")).await.status, 404);
    assert_eq!(h.get("/api/v1/credits", Some(&m.key)).await.status, 200);

    // DELETE /_sim/faults clears everything.
    h.post("/_sim/faults", json!({"status": 500})).await;
    h.get("/api/v1/key", Some(&k.key)).await.assert_error(500);
    h.delete("/_sim/faults").await;
    assert_eq!(h.get("/api/v1/key", Some(&k.key)).await.status, 200);

    // Bad fault specs.
    h.post("/_sim/faults", json!({"status": 99}))
        .await
        .assert_error(422);
    h.post("/_sim/faults", json!({"times": 0}))
        .await
        .assert_error(422);
}

#[tokio::test]
async fn delay_fault_and_client_timeout() {
    let h = start(42).await;
    let k = h.register(inference("f-delay", "acct-fd")).await;
    h.post(
        "/_sim/faults",
        json!({"key_hash": k.key_hash, "delay_ms": 400, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let r = h.get("/api/v1/key", Some(&k.key)).await;
    assert_eq!(r.status, 200, "a delay alone answers normally");
    assert!(started.elapsed() >= Duration::from_millis(400));

    h.post(
        "/_sim/faults",
        json!({"key_hash": k.key_hash, "delay_ms": 10000, "times": 1}),
    )
    .await;
    let started = Instant::now();
    let err = h
        .http
        .get(format!("{}/key", h.api()))
        .bearer_auth(&k.key)
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .expect_err("must time out");
    assert!(err.is_timeout(), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // The fault is used up; the next request is immediate.
    let started = Instant::now();
    assert_eq!(h.get("/api/v1/key", Some(&k.key)).await.status, 200);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn malformed_and_dropped_connection_faults() {
    let h = start(42).await;
    let k = h.register(inference("f-bad", "acct-fb")).await;
    h.post(
        "/_sim/faults",
        json!({"key_hash": k.key_hash, "malformed": true, "times": 1}),
    )
    .await;
    let r = h.get("/api/v1/key", Some(&k.key)).await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_str::<Value>(&r.text).is_err(),
        "{}",
        r.text
    );

    h.post(
        "/_sim/faults",
        json!({"key_hash": k.key_hash, "drop_connection": true, "times": 1}),
    )
    .await;
    let err = h
        .try_get("/api/v1/key", Some(&k.key))
        .await
        .err()
        .expect("the connection is closed without a response");
    assert!(!err.is_timeout(), "{err}");
    assert!(err.status().is_none());
    // The server goes on serving.
    assert_eq!(h.get("/api/v1/key", Some(&k.key)).await.status, 200);

    let log: Vec<RequestLogEntry> = h
        .get(&format!("/_sim/requests?key_hash={}", k.key_hash), None)
        .await
        .parse();
    let statuses: Vec<(Option<u16>, bool)> = log.iter().map(|e| (e.status, e.fault)).collect();
    assert_eq!(
        statuses,
        vec![(Some(200), true), (None, true), (Some(200), false)]
    );
}

#[tokio::test]
async fn request_log_is_filtered_and_never_holds_a_key() {
    let h = start(42).await;
    let a = h.register(inference("log-a", "acct-log")).await;
    let b = h.register(inference("log-b", "acct-log")).await;
    let m = h.register(management("log-admin", "acct-log")).await;
    h.get("/api/v1/key", Some(&a.key)).await;
    h.get("/api/v1/key", Some(&b.key)).await;
    h.get(
        &format!("/api/v1/activity?api_key_hash={}", a.key_hash),
        Some(&m.key),
    )
    .await;
    h.get("/api/v1/key", None).await;

    let r = h
        .get(&format!("/_sim/requests?key_hash={}", a.key_hash), None)
        .await;
    let entries: Vec<RequestLogEntry> = r.parse();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].method, "GET");
    assert_eq!(entries[0].path, "/api/v1/key");
    assert_eq!(entries[0].status, Some(200));
    assert!(!entries[0].fault);
    assert!(chrono::DateTime::parse_from_rfc3339(&entries[0].at).is_ok());

    let all = h.get("/_sim/requests", None).await;
    let entries: Vec<RequestLogEntry> = all.parse();
    assert_eq!(entries.len(), 4);
    assert_eq!(
        entries[2].query.as_deref(),
        Some(format!("api_key_hash={}", a.key_hash).as_str())
    );
    assert!(entries
        .windows(2)
        .all(|w| w[0].elapsed_ms <= w[1].elapsed_ms));
    assert_eq!(entries[3].key_hash, None);
    assert_eq!(entries[3].status, Some(401));
    for k in [&a, &b, &m] {
        assert!(!all.text.contains(&k.key), "full key in the log");
    }
    assert!(!all.text.contains("sk-or-v1-"));

    assert_eq!(h.delete("/_sim/requests").await.status, 200);
    assert_eq!(h.get("/_sim/requests", None).await.json(), json!([]));
}

#[tokio::test]
async fn bulk_registration_of_1000_keys_is_fast() {
    let h = start(42).await;
    let started = Instant::now();
    let r = h
        .post(
            "/_sim/keys/bulk",
            json!({"count": 1000, "account": "acct-bulk", "prefix": "bench-"}),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(r.status, 201, "{}", r.text);
    let keys = r.parse::<BulkRegisterResponse>().keys;
    assert_eq!(keys.len(), 1000);
    assert!(took < Duration::from_secs(20), "bulk took {took:?}");
    let unique: BTreeSet<_> = keys.iter().map(|k| k.key.clone()).collect();
    assert_eq!(unique.len(), 1000);
    assert_eq!(keys[0].label, "bench-0000");
    assert_eq!(keys[999].label, "bench-0999");
    assert!(keys
        .iter()
        .all(|k| k.account == "acct-bulk" && k.kind == KeyKind::Inference));
    // Every key answers /key; a management key sees the account's activity.
    assert_eq!(h.get("/api/v1/key", Some(&keys[500].key)).await.status, 200);
    let m = h.register(management("bulk-admin", "acct-bulk")).await;
    let started = Instant::now();
    let r = h.get("/api/v1/activity", Some(&m.key)).await;
    assert_eq!(r.status, 200);
    assert!(started.elapsed() < Duration::from_secs(10));

    // Without history and with a new account.
    let r = h
        .post("/_sim/keys/bulk", json!({"count": 3, "generate": false}))
        .await;
    let keys = r.parse::<BulkRegisterResponse>().keys;
    assert!(keys
        .iter()
        .all(|k| k.account == keys[0].account && k.account != "acct-bulk"));
    h.post("/_sim/keys/bulk", json!({"count": 0}))
        .await
        .assert_error(422);
}

#[tokio::test]
async fn clock_can_be_set_and_reset() {
    let h = start(42).await;
    h.set_clock("2024-02-29T12:00:00+02:00").await;
    let c = h.get("/_sim/clock", None).await.json();
    assert_eq!(c["today"], "2024-02-29");
    assert_eq!(c["frozen"], true);
    let k = h.register(inference("clock", "acct-clock")).await;
    let t = h.truth(&k.key_hash).await;
    assert_eq!(t.today, "2024-02-29");
    assert!(t.days.iter().all(|r| d(&r.date) <= d("2024-02-29")));
    assert!(
        t.days.iter().all(|r| d(&r.date) >= d("2024-01-21")),
        "40 days"
    );
    // OpenRouter's answers carry its clock: the frozen one here.
    let answer = h.get("/api/v1/key", Some(&k.key)).await;
    assert_eq!(answer.headers["date"], "Thu, 29 Feb 2024 10:00:00 GMT");
    h.post("/_sim/clock", json!({"now": "not a time"}))
        .await
        .assert_error(422);
    let c = h.delete("/_sim/clock").await.json();
    assert_eq!(c["frozen"], false);
    assert_eq!(c["today"], Utc::now().date_naive().to_string());
}

#[tokio::test]
async fn history_days_and_seed_are_honoured() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let k = h
        .register(RegisterKeyRequest {
            history_days: Some(5),
            seed: Some(99),
            ..inference("short", "acct-short")
        })
        .await;
    let t = h.truth(&k.key_hash).await;
    assert!(t.days.iter().all(|r| d(&r.date) >= d("2025-03-11")));
    let other = start(1).await;
    other.set_clock(FIXED_NOW).await;
    let k2 = other
        .register(RegisterKeyRequest {
            history_days: Some(5),
            seed: Some(99),
            ..inference("short", "acct-short")
        })
        .await;
    assert_eq!(k.key, k2.key, "the per-key seed wins over the simulator's");
}

#[test]
fn spawn_in_thread_outlives_runtimes_and_stops_on_drop() {
    let handle = spawn_in_thread(SimConfig {
        scenario: Some("demo".into()),
        ..SimConfig::default()
    })
    .expect("spawn");
    let base = handle.base_url();
    assert!(base.starts_with("http://127.0.0.1:") && !base.ends_with('/'));
    let keys = handle.scenario_keys().to_vec();
    assert_eq!(keys.len(), 3);
    assert_eq!(
        keys.iter()
            .filter(|k| k.kind == KeyKind::Management)
            .count(),
        1
    );
    for _ in 0..2 {
        // Two separate runtimes, one after the other.
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let base = base.clone();
        let key = keys[1].key.clone();
        rt.block_on(async move {
            let r = common::client()
                .get(format!("{base}/api/v1/key"))
                .bearer_auth(&key)
                .send()
                .await
                .expect("request");
            assert_eq!(r.status(), 200);
            let body = r.text().await.expect("body");
            assert!(body.contains("\"limit\":50"), "{body}");
        });
    }
    drop(handle);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let r = common::client()
            .get(format!("{base}/_sim/health"))
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        assert!(r.is_err(), "stopped after drop");
    });
    assert!(spawn_in_thread(SimConfig {
        scenario: Some("nope".into()),
        ..SimConfig::default()
    })
    .is_err());
}

/// `(usage, requests)` summed over `/activity` rows.
fn activity_totals(rows: &[ActivityRow]) -> (Decimal, u64) {
    rows.iter().fold((Decimal::ZERO, 0), |(u, n), r| {
        (u + money(&r.usage), n + r.requests)
    })
}

/// `(usage, requests)` of a key's truth over the activity window, `keep` days only.
fn truth_window_totals(t: &TruthResponse, keep: impl Fn(NaiveDate) -> bool) -> (Decimal, u64) {
    let (first, last) = (d(&t.activity_window_start), d(&t.activity_window_end));
    t.days
        .iter()
        .filter(|r| (first..=last).contains(&d(&r.date)) && keep(d(&r.date)))
        .fold((Decimal::ZERO, 0), |(u, n), r| {
            (u + dec(&r.usage), n + r.requests)
        })
}

#[tokio::test]
async fn keys_of_one_account_report_their_own_creator() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let alice = h
        .register(RegisterKeyRequest {
            creator: Some("alice".into()),
            ..inference("team-alice", "acct-team")
        })
        .await;
    let own = h.register(inference("team-own", "acct-team")).await;
    let admin = h.register(management("team-admin", "acct-team")).await;

    // The account's own user is the id it always had (seed 42, account `acct-team`);
    // alice's is hers, as the registration said.
    let account_user = "user_8562c84cac2e84cdce68af657ce";
    assert_eq!(own.creator_user_id, account_user);
    assert_eq!(admin.creator_user_id, account_user);
    assert_eq!(alice.creator_user_id, "user_34d238780bd1006a36f76d68cc6");
    for (k, expected) in [
        (&alice, &alice.creator_user_id),
        (&own, &own.creator_user_id),
    ] {
        let data = h
            .get("/api/v1/key", Some(&k.key))
            .await
            .parse::<KeyResponse>()
            .data;
        assert_eq!(data.creator_user_id.as_ref(), Some(expected), "{}", k.label);
    }

    // `user_id` keeps the keys that user created, and combines with the other filters.
    let activity = |query: String| {
        let h = &h;
        let admin = &admin.key;
        async move {
            h.get(&format!("/api/v1/activity?{query}"), Some(admin))
                .await
                .parse::<ActivityResponse>()
                .data
        }
    };
    let alice_truth = h.truth(&alice.key_hash).await;
    let own_truth = h.truth(&own.key_hash).await;
    let alice_rows = activity(format!("user_id={}", alice.creator_user_id)).await;
    assert!(!alice_rows.is_empty());
    assert_eq!(
        activity_totals(&alice_rows),
        truth_window_totals(&alice_truth, |_| true)
    );
    assert_eq!(
        activity_totals(&alice_rows).0,
        dec(&alice_truth.usage_in_activity_window)
    );
    let own_rows = activity(format!("user_id={account_user}")).await;
    assert_eq!(
        activity_totals(&own_rows),
        truth_window_totals(&own_truth, |_| true)
    );
    let all = activity(String::new()).await;
    let (alice_usage, own_usage) = (activity_totals(&alice_rows).0, activity_totals(&own_rows).0);
    assert_eq!(activity_totals(&all).0, alice_usage + own_usage);

    let by_key = activity(format!(
        "user_id={}&api_key_hash={}",
        alice.creator_user_id, alice.key_hash
    ))
    .await;
    assert_eq!(activity_totals(&by_key), activity_totals(&alice_rows));
    let other_key = activity(format!(
        "user_id={}&api_key_hash={}",
        alice.creator_user_id, own.key_hash
    ))
    .await;
    assert!(other_key.is_empty(), "alice did not create that key");
    let day = "2025-03-10";
    let on_day = activity(format!("user_id={}&date={day}", alice.creator_user_id)).await;
    assert!(on_day.iter().all(|r| r.date == day));
    assert_eq!(
        activity_totals(&on_day),
        truth_window_totals(&alice_truth, |x| x == d(day))
    );
    let workspace = h
        .get("/api/v1/key", Some(&alice.key))
        .await
        .parse::<KeyResponse>()
        .data
        .workspace_id
        .unwrap_or_default();
    let in_workspace = activity(format!(
        "user_id={}&workspace_id={workspace}",
        alice.creator_user_id
    ))
    .await;
    assert_eq!(activity_totals(&in_workspace), activity_totals(&alice_rows));
    let elsewhere = activity(format!(
        "user_id={}&workspace_id=nope",
        alice.creator_user_id
    ))
    .await;
    assert!(elsewhere.is_empty());
    assert!(activity("user_id=user_nobody".into()).await.is_empty());
}

#[tokio::test]
async fn creator_user_ids_are_per_account_and_member() {
    let h = start(42).await;
    let register = |label: &'static str, account: &'static str, creator: Option<&'static str>| {
        let h = &h;
        async move {
            h.register(RegisterKeyRequest {
                creator: creator.map(str::to_string),
                generate: Some(false),
                ..inference(label, account)
            })
            .await
            .creator_user_id
        }
    };
    let alice = register("a1", "acct-one", Some("alice")).await;
    // The same member of the same account: the same id, whatever the key's own seed.
    assert_eq!(register("a2", "acct-one", Some("alice")).await, alice);
    let with_seed = h
        .register(RegisterKeyRequest {
            creator: Some("alice".into()),
            seed: Some(99),
            generate: Some(false),
            ..inference("a3", "acct-one")
        })
        .await;
    assert_eq!(with_seed.creator_user_id, alice);
    // Another member, another account, or the account's own user: another id.
    let bob = register("b1", "acct-one", Some("bob")).await;
    let alice_elsewhere = register("a4", "acct-two", Some("alice")).await;
    let account_user = register("o1", "acct-one", None).await;
    let ids: BTreeSet<&str> = [&alice, &bob, &alice_elsewhere, &account_user]
        .into_iter()
        .map(String::as_str)
        .collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(ids.iter().all(|u| u.starts_with("user_") && u.len() == 32));

    // Bulk registration: every key is the account's own user's.
    let r = h
        .post(
            "/_sim/keys/bulk",
            json!({"count": 3, "account": "acct-one", "generate": false}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let bulk: BulkRegisterResponse = r.parse();
    assert!(bulk.keys.iter().all(|k| k.creator_user_id == account_user));

    // An empty creator is refused like an empty label or account.
    for creator in ["", "  "] {
        h.post("/_sim/keys", json!({"creator": creator}))
            .await
            .assert_error(422);
    }
}
