//! Integrations (docs/integrations.md): the hourly curve, local days in a
//! time zone, the settings that hold the zone, OpenMetrics and FOCUS.

use chrono::{Duration, NaiveDate, Utc};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::sync::units;

async fn session_get(base: &str, jwt: &str, path: &str) -> Res {
    call_at(base, "GET", path).bearer(jwt).send().await
}

/// Spend figures of an hourly answer, as exact units (`None`: a gap).
fn hour_units(curve: &Value) -> Vec<Option<i128>> {
    curve["hours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["spend"].as_str().map(units))
        .collect()
}

#[tokio::test]
async fn each_hour_is_the_simulated_spend_across_midnight_and_a_missed_sync_is_a_gap() {
    let (_turn, stack) = clocked().await;
    let base = stack.worker.base_url.clone();
    stack.freeze("2026-11-20T21:00:00Z");
    let jwt = user_at(&base).await.jwt;
    let key = stack
        .sim
        .sim()
        .register_key(serde_json::from_value(json!({ "generate": false })).unwrap())
        .unwrap();
    remember_secret(&key.key);
    // Its validation is the 21:00 reading.
    let added = call_at(&base, "POST", "/api/keys")
        .bearer(&jwt)
        .json(&json!({ "name": "Hourly", "key": key.key }))
        .send()
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    let id = added.json["id"].as_i64().unwrap();

    // (hour spent in, spend, whether the sync at its end runs)
    let hours = [
        ("2026-11-20T21", "0.1234567891", true),
        ("2026-11-20T22", "0.5", true),
        ("2026-11-20T23", "0.0000000001", true),
        ("2026-11-21T00", "2.25", true),
        ("2026-11-21T01", "0.75", false),
        ("2026-11-21T02", "1", true),
    ];
    for (hour, spend, synced) in hours {
        stack.spend(&key.key_hash, &hour[..10], spend);
        let next = chrono::DateTime::parse_from_rfc3339(&format!("{hour}:00:00Z")).unwrap()
            + Duration::hours(1);
        stack.freeze(&next.to_rfc3339());
        if synced {
            stack.sync().await;
        }
    }
    let curve = session_get(
        &base,
        &jwt,
        &format!(
            "/api/usage/hourly?api_key_id={id}&start_date=2026-11-20&end_date=2026-11-21&tz=UTC"
        ),
    )
    .await;
    assert_eq!(curve.status, 200, "{}", curve.text);
    let figures = hour_units(&curve.json);
    assert_eq!(figures.len(), 48);
    let u = |s: &str| Some(units(s));
    assert_eq!(
        figures[20], None,
        "no reading before 21:00: a gap, not a zero"
    );
    assert_eq!(
        figures[21..27],
        [
            u("0.1234567891"),
            u("0.5"),
            u("0.0000000001"),
            u("2.25"),
            None,
            u("1.75")
        ]
    );
    assert_eq!(
        curve.json["hours"][26]["hours"], 2,
        "02:00 carries the missed hour"
    );
    assert_eq!(curve.json["hours"][24]["start"], "2026-11-21T00:00:00Z");
    assert!(figures[27..].iter().all(Option::is_none));
    let days = curve.json["days"].as_array().unwrap();
    assert_eq!(
        units(days[0]["spend"].as_str().unwrap()),
        units("0.6234567892")
    );
    assert_eq!(units(days[1]["spend"].as_str().unwrap()), units("4"));
    assert_eq!(
        (days[0]["hours"].as_i64(), days[0]["gaps"].as_i64()),
        (Some(24), Some(21))
    );
    assert_eq!(
        units(curve.json["total"].as_str().unwrap()),
        units("4.6234567892")
    );
}

/// The next local day after tomorrow with `hours` hours in `zone`.
fn next_day_with_hours(zone: &str, hours: usize) -> NaiveDate {
    let zone: chrono_tz::Tz = zone.parse().unwrap();
    let mut day = Utc::now().date_naive() + Duration::days(2);
    loop {
        let start = |d: NaiveDate| {
            chrono::TimeZone::from_local_datetime(&zone, &d.and_hms_opt(0, 0, 0).unwrap())
                .earliest()
                .unwrap()
        };
        if (start(day + Duration::days(1)) - start(day)).num_hours() as usize == hours {
            return day;
        }
        day += Duration::days(1);
    }
}

/// Hourly snapshots (on OpenRouter's clock) around `day` with an uneven
/// spend: the usage after `i` hours is the sum of `(i % 7 + 1)` × 0.0123456789.
fn seed_hours(key_id: i64, day: NaiveDate) {
    let first = day.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::hours(36);
    let mut usage: i64 = 5_000_000_000;
    let rows: Vec<String> = (0..108)
        .map(|i| {
            let at = (first + Duration::hours(i))
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string();
            usage += (i % 7 + 1) * 123_456_789;
            format!(
                "({key_id}, '{at}', '{}', '{at}', {usage}, 0, 0, 0, 0)",
                &at[..10]
            )
        })
        .collect();
    app().d1(&format!(
        "INSERT INTO key_snapshots (api_key_id, taken_at, taken_on, served_at, usage, usage_daily,
             usage_weekly, usage_monthly, is_free_tier) VALUES {}",
        rows.join(", ")
    ));
}

#[tokio::test]
async fn local_days_sum_their_hours_with_23_and_25_hour_days_and_half_hour_zones() {
    let user = new_user().await;
    let sim = sim_key(json!({ "generate": false })).await;
    let id = user.add_key("Zones", &sim.key, "inference").await.json["id"]
        .as_i64()
        .unwrap();
    // Disabled: no sync adds to the series below.
    call("PATCH", &format!("/api/keys/{id}"))
        .bearer(&user.jwt)
        .json(&json!({ "is_active": false }))
        .send()
        .await;
    settle_job_runs().await;
    app().d1(&format!(
        "DELETE FROM key_snapshots WHERE api_key_id = {id}"
    ));
    let short = next_day_with_hours("America/Los_Angeles", 23);
    let long = next_day_with_hours("America/Los_Angeles", 25);
    seed_hours(id, short);
    seed_hours(id, long);

    for (zone, day, hours) in [
        ("America/Los_Angeles", short, 23),
        ("America/Los_Angeles", long, 25),
        ("Asia/Kolkata", long, 24),
    ] {
        let path =
            format!("/api/usage/hourly?api_key_id={id}&start_date={day}&end_date={day}&tz={zone}");
        let curve = get(&path).bearer(&user.jwt).send().await;
        assert_eq!(curve.status, 200, "{}", curve.text);
        let figures = hour_units(&curve.json);
        assert_eq!(figures.len(), hours, "{zone} {day}");
        let sum: i128 = figures
            .iter()
            .map(|f| f.expect("no gaps in the series"))
            .sum();
        let total = &curve.json["days"][0];
        assert_eq!(
            (total["hours"].as_u64(), total["gaps"].as_u64()),
            (Some(hours as u64), Some(0))
        );
        assert_eq!(
            units(total["spend"].as_str().unwrap()),
            sum,
            "{zone} {day}: the day is its hours"
        );
        if zone == "Asia/Kolkata" {
            assert!(curve.json["hours"][0]["start"]
                .as_str()
                .unwrap()
                .ends_with(":30:00Z"));
        }
        // The dashboard's local days are the same figures.
        let dash = get(&format!(
            "/api/stats/dashboard?start_date={day}&end_date={day}&tz={zone}"
        ))
        .bearer(&user.jwt)
        .send()
        .await;
        assert_eq!(dash.status, 200, "{}", dash.text);
        assert_eq!(dash.json["tz"], zone);
        let local = &dash.json["local_daily"][0];
        assert_eq!(
            (local["date"].as_str(), local["hours"].as_u64()),
            (Some(day.to_string().as_str()), Some(hours as u64))
        );
        assert_eq!(units(local["spend"].as_str().unwrap()), sum);
        assert_eq!(local["by_key"][0]["api_key_id"], id);
    }
    // Each hour is exactly the seeded step: the 25-hour day's first hour in
    // Los Angeles starts at 07:00 UTC, 43 hours after the first snapshot.
    let first = get(&format!("/api/usage/hourly?api_key_id={id}&start_date={long}&end_date={long}&tz=America/Los_Angeles"))
        .bearer(&user.jwt)
        .send()
        .await;
    let steps: Vec<Option<i128>> = (0..25)
        .map(|h| Some(i128::from(((44 + h) % 7 + 1) * 123_456_789)))
        .collect();
    assert_eq!(hour_units(&first.json), steps);
}

#[tokio::test]
async fn the_zone_is_a_preference_and_unknown_zones_are_422() {
    let user = new_user().await;
    let settings = get("/api/settings").bearer(&user.jwt).send().await;
    assert_eq!(
        settings.json,
        json!({ "tz": "UTC", "spike_sensitivity": "normal", "alert_emails": "off" })
    );
    let dash = get("/api/stats/dashboard").bearer(&user.jwt).send().await;
    assert_eq!(
        (dash.json["tz"].as_str(), &dash.json["local_daily"]),
        (Some("UTC"), &Value::Null)
    );
    for path in [
        "/api/usage/hourly?tz=Mars/Olympus",
        "/api/stats/dashboard?tz=Mars/Olympus",
    ] {
        let res = get(path).bearer(&user.jwt).send().await;
        res.assert_error(422, "validation_error");
        assert_eq!(res.json["error"]["details"][0]["field"], "tz");
    }
    let bad = call("PATCH", "/api/settings")
        .bearer(&user.jwt)
        .json(&json!({ "tz": "Europe/Atlantis" }))
        .send()
        .await;
    bad.assert_error(422, "validation_error");
    let saved = call("PATCH", "/api/settings")
        .bearer(&user.jwt)
        .json(&json!({ "tz": "Asia/Kolkata" }))
        .send()
        .await;
    // A partial PATCH leaves the other setting as it was.
    assert_eq!(
        saved.json,
        json!({ "tz": "Asia/Kolkata", "spike_sensitivity": "normal", "alert_emails": "off" })
    );
    let curve = get("/api/usage/hourly").bearer(&user.jwt).send().await;
    assert_eq!(curve.json["tz"], "Asia/Kolkata");
    assert_eq!(
        curve.json["hours"].as_array().unwrap().len(),
        48,
        "yesterday and today"
    );
    let dash = get("/api/stats/dashboard?days=7")
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(dash.json["local_daily"].as_array().map(Vec::len), Some(7));
    let long = get("/api/usage/hourly?start_date=2026-01-01&end_date=2026-02-01")
        .bearer(&user.jwt)
        .send()
        .await;
    long.assert_error(422, "validation_error");
    let (other, _, _) = user_with_keys().await;
    let theirs = get("/api/keys").bearer(&other.jwt).send().await.json["items"][0]["id"].clone();
    get(&format!("/api/usage/hourly?api_key_id={theirs}"))
        .bearer(&user.jwt)
        .send()
        .await
        .assert_error(404, "not_found");
}

/// Runs Python's `prometheus_client` OpenMetrics parser (the virtualenv
/// `cargo xtask setup` installs) over `text`: `{name: {"k=v,k=v" (labels
/// sorted by name): value}}` per sample, or the parser's error.
fn parse_openmetrics(text: &str) -> Result<Value, String> {
    use std::io::Write;
    let python = root().join("target/fuzz-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `cargo xtask setup`",
        python.display()
    );
    let script = "import sys, json\n\
        from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse\n\
        out = {}\n\
        for family in parse(sys.stdin.read()):\n\
        \x20   for s in family.samples:\n\
        \x20       labels = ','.join(f'{k}={v}' for k, v in sorted(s.labels.items()))\n\
        \x20       out.setdefault(s.name, {})[labels] = s.value\n\
        print(json.dumps(out))\n";
    let mut child = std::process::Command::new(python)
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).expect("the script prints JSON"))
}

#[tokio::test]
async fn metrics_parse_as_openmetrics_and_equal_the_api() {
    let user = new_user().await;
    let limited = sim_key(json!({ "limit": "20", "limit_reset": "monthly" })).await;
    let open = sim_key(json!({})).await;
    let limited_id = user
        .add_key("Limited \"eu\"", &limited.key, "inference")
        .await
        .json["id"]
        .as_i64()
        .unwrap();
    let open_id = user.add_key("Open", &open.key, "inference").await.json["id"]
        .as_i64()
        .unwrap();
    seed(
        &user,
        &[limited_id, open_id],
        &[
            (0, -1, "openai/gpt-4o", 7, 1000, 200, 12_345_678_901),
            (1, -1, "openai/gpt-4o", 3, 10, 20, 5),
            (1, -1, "z/model", 1, 2, 3, 40_000_000_000),
        ],
    );
    let (_, token) = user.new_token("prometheus").await;
    let res = get("/api/v1/metrics").bearer(&token).send().await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        res.header("content-type"),
        Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
    );
    assert!(res.header("x-ratelimit-remaining").is_some());
    let samples = parse_openmetrics(&res.text)
        .unwrap_or_else(|why| panic!("not OpenMetrics: {why}\n{}", res.text));
    let sample = |name: &str, labels: Value| {
        let mut pairs: Vec<(String, String)> = labels
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                )
            })
            .collect();
        pairs.sort();
        let key: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
        samples[name][key.join(",")].as_f64()
    };

    let yesterday = day(-1);
    let usage = get(&format!(
        "/api/v1/usage?start_date={yesterday}&end_date={yesterday}"
    ))
    .bearer(&token)
    .send()
    .await;
    for item in usage.json["items"].as_array().unwrap() {
        let model = json!({ "model": item["model"] });
        assert_eq!(
            sample("openrouter_model_requests", model.clone()),
            item["requests_count"].as_f64()
        );
        assert_eq!(
            sample("openrouter_model_spend_usd", model),
            item["cost"].as_str().and_then(|c| c.parse().ok())
        );
        let line = format!(
            "openrouter_model_spend_usd{{model=\"{}\"}} {}",
            item["model"].as_str().unwrap(),
            item["cost"].as_str().unwrap()
        );
        assert!(
            res.text.lines().any(|l| l == line),
            "exact decimals: {line}"
        );
    }
    assert_eq!(
        sample(
            "openrouter_model_tokens",
            json!({ "model": "openai/gpt-4o", "direction": "input" })
        ),
        Some(1010.0)
    );
    assert_eq!(
        sample("openrouter_model_day_info", json!({ "day": yesterday })),
        Some(1.0)
    );

    for (id, name) in [(limited_id, "Limited \"eu\""), (open_id, "Open")] {
        let key = get(&format!("/api/keys/{id}"))
            .bearer(&user.jwt)
            .send()
            .await
            .json;
        let labels = |extra: Value| {
            let mut l = json!({ "key_id": id.to_string(), "key_name": name });
            l.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            l
        };
        let snapshot = &key["snapshot"];
        let number = |v: &Value| v.as_str().and_then(|s| s.parse::<f64>().ok());
        assert_eq!(
            sample("openrouter_key_usage_usd_total", labels(json!({}))),
            number(&snapshot["usage"])
        );
        assert_eq!(
            sample(
                "openrouter_key_spend_usd",
                labels(json!({ "period": "month" }))
            ),
            number(&snapshot["usage_monthly"])
        );
        let limit = sample(
            "openrouter_key_limit_usd",
            labels(json!({ "limit_reset": "monthly" })),
        );
        if id == limited_id {
            assert_eq!(limit, Some(20.0));
            assert_eq!(
                sample(
                    "openrouter_key_limit_remaining_usd",
                    labels(json!({ "limit_reset": "monthly" }))
                ),
                number(&snapshot["limit_remaining"])
            );
        } else {
            assert!(
                !res.text.contains("key_name=\"Open\",limit_reset"),
                "no limit: no sample"
            );
        }
    }
    assert!(!res.text.contains("Inf"));
    // Same bucket as every /api/v1 route (the usage call above took one).
    let keys = get("/api/v1/keys").bearer(&token).send().await;
    let before: i64 = res
        .header("x-ratelimit-remaining")
        .unwrap()
        .parse()
        .unwrap();
    let after: i64 = keys
        .header("x-ratelimit-remaining")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(after, before - 2);
}

#[tokio::test]
async fn the_focus_export_has_the_documented_columns_and_the_stats_totals() {
    let (user, keys, token) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (0, -3, "openai/gpt-4o", 2, 100, 10, 1_234_567_891),
            (1, -2, "=cmd|' /C calc'!A0", 1, 1, 1, 7),
            (1, -1, "anthropic/claude", 4, 5, 6, 90_000_000_000),
        ],
    );
    let (start, end) = (day(-5), day(0));
    let csv = get(&format!(
        "/api/usage.csv?format=focus&start_date={start}&end_date={end}"
    ))
    .bearer(&user.jwt)
    .send()
    .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    // The README documents the columns, in order.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let documented: Vec<&str> = readme
        .lines()
        .skip_while(|l| !l.starts_with("| FOCUS column"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| l.split('|').nth(1).unwrap().trim().trim_matches('`'))
        .collect();
    let header = csv.text.split("\r\n").next().unwrap();
    assert_eq!(header.split(',').collect::<Vec<_>>(), documented);
    // RFC 4180: CRLF lines, quoted fields, formulas neutralised.
    assert!(csv.text.ends_with("\r\n"));
    let rows: Vec<&str> = csv.text.trim_end().split("\r\n").skip(1).collect();
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter().any(|r| r.contains(",'=cmd|' /C calc'!A0,")),
        "{rows:?}"
    );
    let billed = documented.iter().position(|c| *c == "BilledCost").unwrap();
    let total: i128 = rows
        .iter()
        .map(|r| {
            // No row of this account quotes a comma before BilledCost.
            units(r.split(',').nth(billed).unwrap())
        })
        .sum();
    let stats = get(&format!("/api/v1/stats?start_date={start}&end_date={end}"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(
        total,
        units(stats.json["summary"]["total_cost"].as_str().unwrap())
    );
    get("/api/usage.csv?format=xlsx")
        .bearer(&user.jwt)
        .send()
        .await
        .assert_error(422, "validation_error");
}
