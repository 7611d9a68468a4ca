//! The key vault: `/api/keys`, encryption at rest, validation, snapshots.

use serde_json::{json, Value};

use crate::helpers::*;

/// The simulator's own answer for `GET /key`, as the Worker would see it.
async fn sim_key_info(key: &str) -> Value {
    let res = client()
        .get(app().sim_url("/api/v1/key"))
        .bearer_auth(key)
        .send()
        .await
        .expect("sim answers");
    let text = res.text().await.unwrap();
    serde_json::from_str::<Value>(&text).unwrap()["data"].clone()
}

/// Money text as the Worker stores it: integer units of 1e-10.
fn units(json_number_text: &str) -> i128 {
    let (int, frac) = json_number_text
        .split_once('.')
        .unwrap_or((json_number_text, ""));
    let frac = format!("{frac:0<10}");
    int.parse::<i128>().unwrap() * 10_000_000_000 + frac[..10].parse::<i128>().unwrap()
}

#[tokio::test]
async fn a_valid_key_is_stored_encrypted_with_a_first_snapshot() {
    let user = new_user().await;
    let sim = sim_key(json!({ "limit": "25.5", "limit_reset": "monthly" })).await;
    let res = user.add_key("production", &sim.key, "inference").await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert!(!res.text.contains(&sim.key));
    assert_eq!(res.json["validation_status"], "valid");
    assert_eq!(res.json["kind"], "inference");
    assert_eq!(res.json["is_active"], true);
    assert_eq!(
        res.json["key_preview"],
        format!("sk-or-v1-…{}", &sim.key[sim.key.len() - 4..])
    );
    let id = res.json["id"].as_i64().unwrap();

    let truth = sim_key_info(&sim.key).await;
    let snapshot = &res.json["snapshot"];
    for field in [
        "usage",
        "usage_daily",
        "usage_weekly",
        "usage_monthly",
        "limit",
        "limit_remaining",
    ] {
        let expected = truth[field].to_string();
        let got = snapshot[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field}: {snapshot}"));
        assert_eq!(units(got), units(&expected), "{field}");
    }
    assert_eq!(snapshot["limit_reset"], "monthly");

    let rows = app().d1(&format!(
        "SELECT k.key_ciphertext, k.key_nonce, k.key_hash, k.key_preview,
                CAST(s.usage AS TEXT) AS usage, CAST(s.credit_limit AS TEXT) AS credit_limit
         FROM api_keys k JOIN key_snapshots s ON s.api_key_id = k.id WHERE k.id = {id}
         ORDER BY s.id LIMIT 1"
    ));
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    let ciphertext = row["key_ciphertext"].as_str().unwrap();
    assert!(!ciphertext.contains("sk-or") && !row.to_string().contains(&sim.key));
    assert_eq!(row["key_hash"], sim.hash);
    assert_eq!(
        row["usage"].as_str().unwrap().parse::<i128>().unwrap(),
        units(&truth["usage"].to_string())
    );
    assert_eq!(row["credit_limit"], "255000000000");
}

#[tokio::test]
async fn a_key_openrouter_rejects_is_stored_invalid() {
    let user = new_user().await;
    let sim = sim_key(json!({})).await;
    set_revoked(&sim, true).await;
    let res = user.add_key("revoked", &sim.key, "inference").await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json["validation_status"], "invalid");
    assert!(res.json["validation_detail"]
        .as_str()
        .is_some_and(|d| d.contains("rejected")));
    assert!(res.json["snapshot"].is_null());
}

#[tokio::test]
async fn an_unreachable_or_failing_openrouter_stores_unknown() {
    let user = new_user().await;
    for (name, fault) in [
        ("server-error", json!({ "status": 500 })),
        ("dropped", json!({ "drop_connection": true })),
    ] {
        let sim = sim_key(json!({})).await;
        let mut fault = fault;
        fault["key_hash"] = json!(sim.hash);
        let fault_id = add_fault(&fault).await;
        let res = user.add_key(name, &sim.key, "inference").await;
        lift_fault(&fault_id).await;
        assert_eq!(res.status, 201, "{name}: {}", res.text);
        assert_eq!(res.json["validation_status"], "unknown", "{name}");
        assert!(res.json["validation_detail"].is_string());
        assert!(!res.text.contains(&sim.key));
    }
}

#[tokio::test]
async fn a_management_key_is_validated_through_credits() {
    let user = new_user().await;
    let sim = sim_key(json!({ "kind": "management" })).await;
    let res = user.add_key("admin", &sim.key, "management").await;
    assert_eq!(res.status, 201, "{}", res.text);
    assert_eq!(res.json["kind"], "management");
    assert_eq!(res.json["validation_status"], "valid");
    let log = sim_get(&format!("/_sim/requests?key_hash={}", sim.hash)).await;
    let paths: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["path"].as_str())
        .collect();
    assert_eq!(paths, vec!["/api/v1/credits"], "{log}");
    // An inference key is not a management key: /credits answers 403.
    let inference = sim_key(json!({})).await;
    let res = user
        .add_key("not-admin", &inference.key, "management")
        .await;
    assert_eq!(res.json["validation_status"], "invalid", "{}", res.text);
}

#[tokio::test]
async fn keys_of_another_user_are_404_and_lists_are_private() {
    let alice = new_user().await;
    let bob = new_user().await;
    let sim = sim_key(json!({})).await;
    let id = alice.add_key("alice's", &sim.key, "inference").await.json["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/keys/{id}");
    get(&path)
        .bearer(&bob.jwt)
        .send()
        .await
        .assert_error(404, "not_found");
    call("PATCH", &path)
        .bearer(&bob.jwt)
        .json(&json!({ "name": "mine now" }))
        .send()
        .await
        .assert_error(404, "not_found");
    call("DELETE", &path)
        .bearer(&bob.jwt)
        .send()
        .await
        .assert_error(404, "not_found");
    post(&format!("{path}/sync"))
        .bearer(&bob.jwt)
        .send()
        .await
        .assert_error(404, "not_found");
    let bobs = get("/api/keys").bearer(&bob.jwt).send().await;
    assert_eq!(bobs.json["items"], json!([]));
    assert_eq!(bobs.json["pagination"]["total"], 0);
    let alices = get(&path).bearer(&alice.jwt).send().await;
    assert_eq!(alices.json["name"], "alice's");
}

#[tokio::test]
async fn bad_input_is_refused_and_changes_nothing() {
    let user = new_user().await;
    let sim = sim_key(json!({})).await;
    let id = user.add_key("keep", &sim.key, "inference").await.json["id"]
        .as_i64()
        .unwrap();
    // What the user controls; sync timestamps may move under a concurrent cron.
    let stored = || async {
        let list = get("/api/keys").bearer(&user.jwt).send().await.json;
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["id"].clone(),
                    k["name"].clone(),
                    k["kind"].clone(),
                    k["is_active"].clone(),
                    k["key_preview"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let before = stored().await;
    let other = sim_key(json!({})).await;
    let cases = [
        (json!({ "key": other.key }), 422, "name"),
        (json!({ "name": "", "key": other.key }), 422, "name"),
        (
            json!({ "name": "n".repeat(101), "key": other.key }),
            422,
            "name",
        ),
        (json!({ "name": "x", "key": "sk-nope" }), 422, "key"),
        (json!({ "name": "x", "key": "sk-or-short" }), 422, "key"),
        (
            json!({ "name": "x", "key": other.key, "kind": "admin" }),
            422,
            "kind",
        ),
        (
            json!({ "name": "x", "key": other.key, "extra": 1 }),
            422,
            "extra",
        ),
        (json!({ "name": "keep", "key": other.key }), 409, ""),
        (json!({ "name": "dup", "key": sim.key }), 409, ""),
    ];
    for (body, status, field) in cases {
        let res = post("/api/keys").bearer(&user.jwt).json(&body).send().await;
        assert_eq!(res.status, status, "{body}: {}", res.text);
        assert!(res.json["error"]["code"].is_string());
        if !field.is_empty() {
            assert_eq!(res.error_field(), field, "{body}");
        }
        assert!(!res.text.contains(&other.key) && !res.text.contains(&sim.key));
    }
    post("/api/keys")
        .bearer(&user.jwt)
        .raw("application/json", "{oops")
        .send()
        .await
        .assert_error(400, "bad_request");
    let path = format!("/api/keys/{id}");
    for body in [
        json!({ "is_active": "no" }),
        json!({ "name": "" }),
        json!({}),
        json!({ "key": "sk-or-v1-x" }),
    ] {
        let res = call("PATCH", &path)
            .bearer(&user.jwt)
            .json(&body)
            .send()
            .await;
        res.assert_error(422, "validation_error");
    }
    assert_eq!(before, stored().await);
}

#[tokio::test]
async fn keys_can_be_renamed_disabled_and_listed() {
    let user = new_user().await;
    let a = sim_key(json!({})).await;
    let b = sim_key(json!({})).await;
    let id = user.add_key("a", &a.key, "inference").await.json["id"]
        .as_i64()
        .unwrap();
    user.add_key("b", &b.key, "inference").await;
    let res = call("PATCH", &format!("/api/keys/{id}"))
        .bearer(&user.jwt)
        .json(&json!({ "name": "renamed", "is_active": false }))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json["name"], "renamed");
    assert_eq!(res.json["is_active"], false);
    let list = get("/api/keys?limit=1&page=2")
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(
        list.json["pagination"],
        json!({ "page": 2, "limit": 1, "total": 2, "pages": 2 })
    );
    assert_eq!(list.json["items"][0]["name"], "b");
    for text in [&list.text, &res.text] {
        assert!(!text.contains(&a.key) && !text.contains(&b.key));
    }
}

#[tokio::test]
async fn deleting_a_key_removes_its_usage_and_snapshots_only() {
    let user = new_user().await;
    let gone = sim_key(json!({})).await;
    let kept = sim_key(json!({})).await;
    let gone_id = user.add_key("gone", &gone.key, "inference").await.json["id"]
        .as_i64()
        .unwrap();
    let kept_id = user.add_key("kept", &kept.key, "inference").await.json["id"]
        .as_i64()
        .unwrap();
    let (yesterday, before) = (day(-1), day(-2));
    app().d1(&format!(
        "INSERT INTO usage_stats (api_key_id, org_id, date, model, requests_count, tokens_input, tokens_output, cost, source, updated_at)
         VALUES ({gone_id}, {uid}, '{yesterday}', 'm/a', 1, 2, 3, 40, 'activity', 'x'),
                ({kept_id}, {uid}, '{yesterday}', 'm/a', 5, 6, 7, 80, 'activity', 'x'),
                ({kept_id}, {uid}, '{before}', 'm/b', 1, 1, 1, 1, 'activity', 'x')",
        uid = user.org
    ));
    let res = call("DELETE", &format!("/api/keys/{gone_id}"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    let rows = app().d1(&format!(
        "SELECT (SELECT COUNT(*) FROM usage_stats WHERE api_key_id = {gone_id}) AS gone_usage,
                (SELECT COUNT(*) FROM key_snapshots WHERE api_key_id = {gone_id}) AS gone_snapshots,
                (SELECT COUNT(*) FROM usage_stats WHERE api_key_id = {kept_id}) AS kept_usage,
                (SELECT COUNT(*) FROM key_snapshots WHERE api_key_id = {kept_id}) AS kept_snapshots,
                (SELECT requests_count FROM usage_org_day WHERE org_id = {uid} AND date = '{yesterday}') AS day_requests,
                (SELECT cost FROM usage_org_day_model WHERE org_id = {uid} AND date = '{yesterday}' AND model = 'm/a') AS model_cost,
                (SELECT COUNT(*) FROM usage_key_total WHERE api_key_id = {gone_id}) AS gone_total",
        uid = user.org
    ));
    let r = &rows[0];
    assert_eq!(
        (r["gone_usage"].as_i64(), r["gone_snapshots"].as_i64()),
        (Some(0), Some(0)),
        "{r}"
    );
    assert_eq!(r["kept_usage"], 2, "{r}");
    assert!(r["kept_snapshots"].as_i64() >= Some(1), "{r}");
    // The rollups followed the cascade.
    assert_eq!(r["day_requests"], 5, "{r}");
    assert_eq!(r["model_cost"], 80, "{r}");
    assert_eq!(r["gone_total"], 0, "{r}");
    get(&format!("/api/keys/{gone_id}"))
        .bearer(&user.jwt)
        .send()
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn a_keys_snapshots_are_its_spend_curve_newest_first() {
    let user = new_user().await;
    let sim = sim_key(json!({ "limit": "25", "limit_reset": "monthly" })).await;
    let res = user.add_key("curve", &sim.key, "inference").await;
    assert_eq!(res.status, 201, "{}", res.text);
    let id = res.json["id"].as_i64().unwrap();
    // Validation took the first snapshot; a manual sync takes the second.
    let synced = post(&format!("/api/keys/{id}/sync"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(synced.status, 200, "{}", synced.text);
    let res = get(&format!("/api/keys/{id}/snapshots"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let items = res.json["items"].as_array().unwrap();
    // Two; three when another test's run synced it in a later hour between
    // them (of an hour only the first snapshot stays, and the newest).
    assert!((2..=3).contains(&items.len()), "{}", res.text);
    assert!(items
        .windows(2)
        .all(|w| w[0]["taken_at"].as_str() >= w[1]["taken_at"].as_str()));
    assert_eq!(items[0]["limit"], "25");
    let one = get(&format!("/api/keys/{id}/snapshots?limit=1"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(one.json["items"].as_array().unwrap().len(), 1);
    get(&format!("/api/keys/{id}/snapshots?limit=0"))
        .bearer(&user.jwt)
        .send()
        .await
        .assert_error(422, "validation_error");
    let other = new_user().await;
    get(&format!("/api/keys/{id}/snapshots"))
        .bearer(&other.jwt)
        .send()
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn an_update_field_given_as_null_is_refused_not_ignored() {
    let user = new_user().await;
    let sim = sim_key(json!({})).await;
    let res = user.add_key("kept", &sim.key, "inference").await;
    let id = res.json["id"].as_i64().unwrap();
    for body in [
        json!({ "is_active": false, "name": null }),
        json!({ "is_active": null, "name": "renamed" }),
    ] {
        let res = call("PATCH", &format!("/api/keys/{id}"))
            .bearer(&user.jwt)
            .json(&body)
            .send()
            .await;
        res.assert_error(422, "validation_error");
    }
    let key = get(&format!("/api/keys/{id}"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(key.json["name"], "kept");
    assert_eq!(key.json["is_active"], true, "nothing was changed");
}
