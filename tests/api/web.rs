//! The web API's usage views: the dashboard's overview
//! (`/api/stats/dashboard`: one call gives the page every figure, and the
//! figures reconcile exactly), `/api/usage` and its CSV.

use serde_json::Value;

use crate::helpers::*;

/// Exact sum of decimal strings with up to 10 places, as 1e-10 units.
fn units_of(text: &str) -> i128 {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = format!("{frac:0<10}");
    let sign = if whole.starts_with('-') { -1 } else { 1 };
    let whole: i128 = whole.trim_start_matches('-').parse().expect("whole part");
    sign * (whole * 10_000_000_000 + frac.parse::<i128>().expect("fraction"))
}

fn sum(values: impl Iterator<Item = Value>) -> i128 {
    values
        .map(|v| units_of(v.as_str().expect("money is a string")))
        .sum()
}

fn costs(list: &Value, field: &str) -> i128 {
    sum(list
        .as_array()
        .expect("array")
        .iter()
        .map(|v| v[field].clone()))
}

fn series_sum(series: &Value) -> i128 {
    series
        .as_array()
        .expect("series")
        .iter()
        .map(|s| sum(s["costs"].as_array().expect("costs").iter().cloned()))
        .sum()
}

#[tokio::test]
async fn the_overview_reconciles_with_itself_and_the_public_stats() {
    let (user, keys, token) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (0, -1, "a/x", 2, 20, 30, 15_000_000_000),
            (0, -3, "b/y", 1, 1, 1, 1),
            (1, -1, "a/x", 1, 1, 1, 5),
            (1, -2, "c/z", 3, 3, 3, 7_000_000_003),
            // Outside the range asked for: counted nowhere.
            (1, -40, "c/z", 9, 9, 9, 9_000_000_000),
        ],
    );
    let (start, end) = (day(-9), day(0));
    let res = get(&format!(
        "/api/stats/dashboard?start_date={start}&end_date={end}"
    ))
    .bearer(&user.jwt)
    .send()
    .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let body = &res.json;
    let total = units_of(body["totals"]["total_cost"].as_str().unwrap());
    assert_eq!(total, 22_000_000_009);
    assert_eq!(costs(&body["keys"], "cost"), total, "per-key rows");
    assert_eq!(costs(&body["models"], "cost"), total, "per-model rows");
    assert_eq!(costs(&body["daily"], "cost"), total, "per-day points");
    assert_eq!(series_sum(&body["series"]["by_model"]), total);
    assert_eq!(series_sum(&body["series"]["by_key"]), total);
    assert_eq!(body["period"]["days"], 10);
    assert_eq!(body["models"].as_array().unwrap().len(), 3);
    assert_eq!(body["models"][0]["model"], "a/x", "highest cost first");
    for series in body["series"]["by_model"].as_array().unwrap() {
        assert_eq!(series["costs"].as_array().unwrap().len(), 10);
    }
    assert_eq!(body["key_status"].as_array().unwrap().len(), 2);
    assert_eq!(body["key_status"][0]["id"], keys[0]);
    assert!(body["key_status"][0]["snapshot"].is_object());
    assert_eq!(body["spend"]["keys_reporting"], 2);

    let public = get(&format!("/api/v1/stats?start_date={start}&end_date={end}"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(public.status, 200, "{}", public.text);
    assert_eq!(
        public.json["summary"]["total_cost"], body["totals"]["total_cost"],
        "the dashboard and the public API give the same exact figure"
    );
    assert_eq!(
        public.json["summary"]["total_requests"],
        body["totals"]["total_requests"]
    );
}

#[tokio::test]
async fn the_overview_filters_by_key_and_model() {
    let (user, keys, _) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (0, -1, "a/x", 2, 2, 2, 100),
            (0, -1, "b/y", 1, 1, 1, 10),
            (1, -2, "a/x", 4, 4, 4, 1_000),
        ],
    );
    let overview = |query: String| {
        let jwt = user.jwt.clone();
        async move {
            let res = get(&format!("/api/stats/dashboard?days=7{query}"))
                .bearer(&jwt)
                .send()
                .await;
            assert_eq!(res.status, 200, "{}", res.text);
            res.json
        }
    };
    let by_model = overview("&model=a/x".into()).await;
    assert_eq!(by_model["totals"]["total_cost"], "0.00000011");
    assert_eq!(by_model["models"].as_array().unwrap().len(), 1);
    assert_eq!(by_model["keys"][0]["cost"], "0.00000001");
    assert_eq!(by_model["keys"][1]["cost"], "0.0000001");

    let by_key = overview(format!("&api_key_id={}", keys[0])).await;
    assert_eq!(by_key["totals"]["total_cost"], "0.000000011");
    assert_eq!(by_key["keys"].as_array().unwrap().len(), 1);
    assert_eq!(by_key["key_status"].as_array().unwrap().len(), 1);
    assert_eq!(by_key["models"].as_array().unwrap().len(), 2);

    let both = overview(format!("&api_key_id={}&model=b/y", keys[0])).await;
    assert_eq!(both["totals"]["total_cost"], "0.000000001");

    // Another user's key matches nothing, like the other usage filters.
    let other = new_user().await;
    let res = get(&format!("/api/stats/dashboard?api_key_id={}", keys[0]))
        .bearer(&other.jwt)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json["totals"]["total_cost"], "0");
    assert_eq!(res.json["keys"], Value::Array(vec![]));
    assert_eq!(res.json["key_status"], Value::Array(vec![]));
}

#[tokio::test]
async fn the_overview_refuses_ambiguous_or_bad_ranges() {
    let user = new_user().await;
    let refused = |query: &'static str, field: &'static str| {
        let jwt = user.jwt.clone();
        async move {
            let res = get(&format!("/api/stats/dashboard?{query}"))
                .bearer(&jwt)
                .send()
                .await;
            res.assert_error(422, "validation_error");
            assert_eq!(res.error_field(), field, "{query}: {}", res.text);
        }
    };
    refused("days=7&start_date=2026-01-01", "days").await;
    refused("start_date=2026-02-30", "start_date").await;
    refused("start_date=2025-01-01&end_date=2026-01-01", "end_date").await;
    refused("start_date=2026-01-02&end_date=2026-01-01", "start_date").await;
    refused("api_key_id=0", "api_key_id").await;
    let res = get("/api/stats/dashboard?start_date=2026-01-01&end_date=2026-01-31")
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json["daily"].as_array().unwrap().len(), 31);
    get("/api/stats/dashboard")
        .send()
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn dashboard_usage_and_csv_for_the_web() {
    let (user, keys, _) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (0, -1, "vendor/model, \"quoted\"", 2, 20, 30, 15_000_000_000),
            (1, -1, "m/b", 1, 1, 1, 5),
            (1, -2, "m/b", 3, 3, 3, 7),
        ],
    );
    let res = get("/api/stats/dashboard?days=7")
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let body = &res.json;
    assert_eq!(body["totals"]["total_cost"], "1.5000000012");
    assert_eq!(body["totals"]["total_requests"], 6);
    assert_eq!(body["daily"].as_array().unwrap().len(), 7);
    assert_eq!(body["daily"][5]["date"], day(-1));
    assert_eq!(body["daily"][5]["cost"], "1.5000000005");
    assert_eq!(body["top_models"][0]["model"], "vendor/model, \"quoted\"");
    assert_eq!(body["keys"].as_array().unwrap().len(), 2);
    assert_eq!(body["today"]["date"], day(0));
    assert_eq!(
        body["today"]["keys_reporting"], 2,
        "both keys were snapshotted today: {}",
        body["today"]
    );
    for bad in ["0", "366", "abc", ""] {
        get(&format!("/api/stats/dashboard?days={bad}"))
            .bearer(&user.jwt)
            .send()
            .await
            .assert_error(422, "validation_error");
    }

    let filtered = get(&format!(
        "/api/usage?start_date={}&end_date={}&api_key_id={}&model=m/b",
        day(-7),
        day(0),
        keys[1]
    ))
    .bearer(&user.jwt)
    .send()
    .await;
    assert_eq!(filtered.status, 200, "{}", filtered.text);
    assert_eq!(filtered.json["pagination"]["total"], 2);
    assert_eq!(filtered.json["items"][0]["api_key_id"], keys[1]);
    assert_eq!(filtered.json["items"][0]["date"], day(-2));

    let csv = get(&format!(
        "/api/usage.csv?start_date={}&end_date={}",
        day(-7),
        day(0)
    ))
    .bearer(&user.jwt)
    .send()
    .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(csv
        .header("content-disposition")
        .is_some_and(|d| d.contains("attachment")));
    let lines: Vec<&str> = csv.text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "date,model,api_key_id,requests_count,tokens_input,tokens_output,cost"
    );
    assert_eq!(lines.len(), 5, "header, 3 rows, final CRLF: {:?}", csv.text);
    assert_eq!(
        lines[2],
        format!("{},m/b,{},1,1,1,0.0000000005", day(-1), keys[1])
    );
    assert_eq!(
        lines[3],
        format!(
            "{},\"vendor/model, \"\"quoted\"\"\",{},2,20,30,1.5",
            day(-1),
            keys[0]
        )
    );
    get("/api/usage.csv")
        .send()
        .await
        .assert_error(401, "unauthorized");
}

#[tokio::test]
async fn models_are_listed_with_their_all_time_figures_most_expensive_first() {
    let (user, keys, _) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (0, -1, "a/x", 2, 20, 30, 15),
            (1, -40, "a/x", 1, 1, 1, 5),
            (1, -2, "b/y", 3, 4, 5, 100),
        ],
    );
    let res = get("/api/models").bearer(&user.jwt).send().await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.json,
        serde_json::json!({ "models": [
            { "model": "b/y", "first_date": day(-2), "last_date": day(-2),
              "requests_count": 3, "tokens_input": 4, "tokens_output": 5, "cost": "0.00000001" },
            { "model": "a/x", "first_date": day(-40), "last_date": day(-1),
              "requests_count": 3, "tokens_input": 21, "tokens_output": 31, "cost": "0.000000002" },
        ] })
    );

    let stranger = new_user().await;
    let theirs = get("/api/models").bearer(&stranger.jwt).send().await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert_eq!(theirs.json, serde_json::json!({ "models": [] }));
    assert_eq!(get("/api/models").send().await.status, 401);
}
