//! Scoped API tokens: what a token may read (scopes), which keys it sees,
//! until when; the 403 of a missing scope, the 401 of an expired token, the
//! 422s of bad requests, and the cleanup of long-expired tokens.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::*;

const CLEANUP: &str = "0 3 * * 0";

/// Creates a token with `body` (its `name` added); the token and its view.
async fn token_with(user: &User, body: Value) -> (String, Value) {
    let mut body = body;
    body["name"] = json!("scoped");
    let res = post("/api/tokens")
        .bearer(&user.jwt)
        .json(&body)
        .send()
        .await;
    assert_eq!(res.status, 201, "create token: {}", res.text);
    let token = res.json["token"].as_str().expect("token").to_owned();
    remember_secret(&token);
    (token, res.json.clone())
}

fn at(offset: chrono::Duration) -> String {
    (chrono::Utc::now() + offset)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn usage_path() -> String {
    format!("/api/v1/usage?start_date={}&end_date={}", day(-5), day(0))
}

#[tokio::test]
async fn a_call_outside_the_scopes_is_a_403_naming_the_missing_scope() {
    let (user, _, _) = user_with_keys().await;
    let (token, view) = token_with(&user, json!({ "scopes": ["metrics:read"] })).await;
    assert_eq!(view["scopes"], json!(["metrics:read"]));
    assert_eq!(view["api_key_ids"], Value::Null);
    assert_eq!(view["expires_at"], Value::Null);
    assert_eq!(view["expired"], false);

    let res = get("/api/v1/metrics").bearer(&token).send().await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.text.ends_with("# EOF\n"), "{}", res.text);

    for (path, scope) in [
        (usage_path(), "usage:read"),
        // Scopes are checked before parameters: a bad date is still a 403.
        ("/api/v1/usage?start_date=nope".to_owned(), "usage:read"),
        ("/api/v1/stats".to_owned(), "stats:read"),
        ("/api/v1/keys".to_owned(), "keys:read"),
    ] {
        // Twice: the second may come from the object's memory.
        for _ in 0..2 {
            let res = get(&path).bearer(&token).send().await;
            assert_eq!(res.status, 403, "{path}: {}", res.text);
            assert_eq!(
                res.json,
                json!({"error": {"code": "insufficient_scope",
                                 "message": format!("This token lacks the scope {scope}.")}})
            );
            assert_eq!(
                res.header("www-authenticate").map(str::to_owned),
                Some(format!(
                    r#"Bearer error="insufficient_scope", scope="{scope}""#
                )),
                "{path}"
            );
            assert_eq!(res.header("x-ratelimit-limit"), Some("100"), "per token");
        }
    }
    // The 403s were charged to the token: 1 + 8 of its 100.
    let res = get("/api/v1/metrics").bearer(&token).send().await;
    assert_eq!(res.header("x-ratelimit-remaining"), Some("90"));
}

#[tokio::test]
async fn a_key_limited_token_sees_only_its_keys_everywhere() {
    let (user, keys, full) = user_with_keys().await;
    seed(
        &user,
        &keys,
        &[
            (0, -1, "m/a", 1, 10, 100, 7),
            (0, -1, "m/b", 2, 20, 200, 11),
            (1, -1, "m/a", 4, 40, 400, 1_000),
            (1, -2, "m/c", 8, 80, 800, 5_000),
        ],
    );
    let (token, view) = token_with(&user, json!({ "api_key_ids": [keys[0], keys[0]] })).await;
    assert_eq!(view["api_key_ids"], json!([keys[0]]), "each key once");
    assert_eq!(view["scopes"].as_array().map(Vec::len), Some(4));

    let stats = |t: &str| get("/api/v1/stats").bearer(t).send();
    let limited = stats(&token).await;
    assert_eq!(limited.status, 200, "{}", limited.text);
    assert_eq!(
        limited.json["summary"],
        json!({"total_requests": 3, "total_cost": "0.0000000018",
               "total_tokens_input": 30, "total_tokens_output": 300})
    );
    let everything = stats(&full).await;
    assert_eq!(everything.json["summary"]["total_requests"], 15);
    assert_eq!(everything.json["summary"]["total_cost"], "0.0000006018");

    let usage = get(&usage_path()).bearer(&token).send().await;
    assert_eq!(usage.status, 200, "{}", usage.text);
    let models: Vec<&str> = usage.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["model"].as_str())
        .collect();
    assert_eq!(models, ["m/a", "m/b"]);
    assert_eq!(
        usage.json["items"][0]["requests_count"], 1,
        "alpha's m/a only"
    );
    assert_eq!(usage.json["pagination"]["total"], 2);

    let listed = get("/api/v1/keys").bearer(&token).send().await;
    assert_eq!(listed.json["total"], 1, "{}", listed.text);
    assert_eq!(listed.json["items"][0]["id"], keys[0]);
    assert_eq!(
        listed.json["items"][0]["stats"]["total_cost"],
        "0.0000000018"
    );

    let metrics = get("/api/v1/metrics").bearer(&token).send().await;
    assert!(
        metrics.text.contains(r#"key_name="alpha""#),
        "{}",
        metrics.text
    );
    assert!(!metrics.text.contains("beta"), "{}", metrics.text);
    assert!(!metrics.text.contains("m/c"), "{}", metrics.text);

    // Its last key gone, it sees nothing: never the whole account.
    let deleted = call("DELETE", &format!("/api/keys/{}", keys[0]))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    let after = stats(&token).await;
    assert_eq!(after.json["summary"]["total_requests"], 0, "{}", after.text);
    let listed = get("/api/v1/keys").bearer(&token).send().await;
    assert_eq!(listed.json, json!({"items": [], "total": 0}));
    let list = get("/api/tokens").bearer(&user.jwt).send().await;
    let row = list.json.as_array().expect("tokens").last().cloned();
    assert_eq!(row.map(|r| r["api_key_ids"].clone()), Some(json!([])));
}

#[tokio::test]
async fn an_expired_token_is_401_exactly_like_an_unknown_one() {
    let (user, _, _) = user_with_keys().await;
    let unknown = get("/api/v1/stats")
        .bearer(&format!("or_api_{}", "B".repeat(43)))
        .send()
        .await;
    unknown.assert_error(401, "unauthorized");

    // Near expiry: it works, then (whatever the object remembers) it stops.
    let (token, view) = token_with(
        &user,
        json!({ "expires_at": at(chrono::Duration::seconds(4)) }),
    )
    .await;
    assert_eq!(view["expired"], false);
    assert_eq!(get("/api/v1/stats").bearer(&token).send().await.status, 200);
    let deadline = Instant::now() + Duration::from_secs(30);
    let expired = loop {
        let res = get("/api/v1/stats").bearer(&token).send().await;
        if res.status != 200 || Instant::now() > deadline {
            break res;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(expired.status, 401, "{}", expired.text);
    assert_eq!(expired.json, unknown.json);
    assert_eq!(expired.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        expired.header("x-ratelimit-limit"),
        Some("30"),
        "charged to the IP"
    );

    // Set in the past in D1 before its first use.
    let (token, view) = token_with(
        &user,
        json!({ "expires_at": at(chrono::Duration::days(3)) }),
    )
    .await;
    app().d1(&format!(
        "UPDATE api_tokens SET expires_at = '{}' WHERE id = {}",
        at(-chrono::Duration::minutes(1)),
        view["id"]
    ));
    for path in [
        "/api/v1/keys".to_owned(),
        "/api/v1/metrics".to_owned(),
        usage_path(),
    ] {
        let res = get(&path).bearer(&token).send().await;
        assert_eq!(res.status, 401, "{path}: {}", res.text);
        assert_eq!(res.json, unknown.json);
    }
    let list = get("/api/tokens").bearer(&user.jwt).send().await;
    let expired: Vec<bool> = list
        .json
        .as_array()
        .expect("tokens")
        .iter()
        .filter_map(|t| t["expired"].as_bool())
        .collect();
    assert_eq!(expired, [false, true, true], "{}", list.text);
}

#[tokio::test]
async fn bad_scopes_keys_and_expiries_are_422_naming_the_field_and_change_nothing() {
    let (user, _, _) = user_with_keys().await;
    let (other, other_keys, _) = user_with_keys().await;
    drop(other);
    let count = || {
        app().d1(&format!(
            "SELECT (SELECT COUNT(*) FROM api_tokens WHERE org_id = {0}) AS tokens,
                    (SELECT COUNT(*) FROM audit_log WHERE org_id = {0}) AS entries",
            user.org
        ))
    };
    let before = count();
    for (body, field) in [
        (json!({ "scopes": ["usage:write"] }), "scopes"),
        (json!({ "scopes": [] }), "scopes"),
        (json!({ "scopes": ["keys:read", "keys:read"] }), "scopes"),
        (
            json!({ "expires_at": at(-chrono::Duration::minutes(1)) }),
            "expires_at",
        ),
        (
            json!({ "expires_at": at(chrono::Duration::days(366)) }),
            "expires_at",
        ),
        (
            json!({ "expires_at": "2027-01-01T00:00:00+01:00" }),
            "expires_at",
        ),
        (json!({ "api_key_ids": [other_keys[0]] }), "api_key_ids"),
        (json!({ "api_key_ids": [987_654_321] }), "api_key_ids"),
        (json!({ "api_key_ids": [] }), "api_key_ids"),
    ] {
        let mut body = body;
        body["name"] = json!("refused");
        let res = post("/api/tokens")
            .bearer(&user.jwt)
            .json(&body)
            .send()
            .await;
        res.assert_error(422, "validation_error");
        assert_eq!(res.error_field(), field, "{body}: {}", res.text);
    }
    assert_eq!(count(), before, "nothing created, nothing recorded");
}

#[tokio::test]
async fn creation_is_audited_with_scopes_keys_and_expiry() {
    let (user, keys, _) = user_with_keys().await;
    let expires_at = at(chrono::Duration::days(30));
    let (token, _) = token_with(
        &user,
        json!({ "scopes": ["stats:read", "keys:read"], "api_key_ids": [keys[1]], "expires_at": expires_at }),
    )
    .await;
    let res = get("/api/audit?kind=token.created")
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let after = &res.json["items"][0]["after"];
    assert_eq!(
        after["scopes"],
        json!(["stats:read", "keys:read"]),
        "{}",
        res.text
    );
    assert_eq!(after["api_key_ids"], json!([keys[1]]));
    assert_eq!(after["expires_at"], json!(expires_at));
    assert!(!res.text.contains(&token[7..]));
}

#[tokio::test]
async fn the_cleanup_deletes_tokens_expired_for_more_than_thirty_days_only() {
    let user = new_user().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(user.new_token("to expire").await.0);
    }
    app().d1(&format!(
        "UPDATE api_tokens SET expires_at = '{}' WHERE id = {};
         UPDATE api_tokens SET expires_at = '{}' WHERE id = {};",
        at(-chrono::Duration::days(31)),
        ids[0],
        at(-chrono::Duration::days(29)),
        ids[1],
    ));
    fire_cron(CLEANUP).await;
    let left: Vec<i64> = app()
        .d1(&format!(
            "SELECT id FROM api_tokens WHERE org_id = {} ORDER BY id",
            user.org
        ))
        .iter()
        .filter_map(|r| r["id"].as_i64())
        .collect();
    assert_eq!(left, ids[1..], "expired 31 days ago: gone; 29 days: kept");
}
