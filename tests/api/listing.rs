//! The account read in one call: with a management key, the hourly sync
//! takes each key's snapshot from the management key's listing
//! (`GET /keys`, 100 keys a page) instead of one `GET /key` per key, with
//! the same exact figures; a key the listing does not hold falls back to
//! `/key`; keys of the account not tracked yet are listed and imported
//! without their secret, then synced from the listing; a management key
//! that cannot list falls back to `/key` per key and says so on the run.
//! On Workers of their own, whose runs no other test's keys join.

use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::helpers::*;
use crate::queue::hourly_run;
use crate::sync::units;

async fn listing_worker(name: &str) -> Worker {
    const VARS: &[&str] = &["MAX_KEYS_PER_USER:1000", "KEY_ADDS_PER_HOUR:5000"];
    let dir = run_dir().join(format!("{name}-state"));
    let log = run_dir().join(format!("{name}-wrangler.log"));
    own_worker(dir, log, VARS).await
}

/// `count` new simulator keys of `account`, without history: (key, hash).
async fn sim_keys(account: &str, count: u32) -> Vec<(String, String)> {
    let made = sim_post(
        "/_sim/keys/bulk",
        &json!({ "count": count, "account": account, "prefix": unique("l"), "generate": false }),
    )
    .await;
    made["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            let key = k["key"].as_str().unwrap().to_owned();
            remember_secret(&key);
            (key, k["key_hash"].as_str().unwrap().to_owned())
        })
        .collect()
}

/// Stores `keys` for the user of `jwt` on `worker`: their row ids.
async fn store(worker: &Worker, jwt: &str, keys: &[(String, String)], kind: &str) -> Vec<i64> {
    stream::iter(keys.iter())
        .map(|(key, _)| async move {
            let res = call_at(&worker.base_url, "POST", "/api/keys")
                .bearer(jwt)
                .json(&json!({ "name": unique("key"), "key": key, "kind": kind }))
                .send()
                .await;
            assert_eq!(res.status, 201, "{}", res.text);
            res.json["id"].as_i64().unwrap()
        })
        .buffered(8)
        .collect()
        .await
}

/// Calls of the simulator's log for `hash` on `path` (`/key`, `/keys`).
async fn calls(hash: &str, path: &str) -> Vec<Value> {
    sim_get(&format!("/_sim/requests?key_hash={hash}&path={path}"))
        .await
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Spends through the simulator's chat completions with `key`.
async fn chat(key: &str, words: usize) {
    let res = client()
        .post(app().sim_url("/api/v1/chat/completions"))
        .bearer_auth(key)
        .json(&json!({ "model": "openai/gpt-4o-mini",
                        "messages": [{ "role": "user", "content": "word ".repeat(words) }] }))
        .send()
        .await
        .expect("the simulator answers");
    assert_eq!(res.status(), 200);
}

/// The management API of the simulator, with the management key `admin`.
async fn manage(method: reqwest::Method, path: &str, admin: &str, body: &Value) -> Value {
    let res = client()
        .request(method, app().sim_url(&format!("/api/v1{path}")))
        .bearer_auth(admin)
        .json(body)
        .send()
        .await
        .expect("the simulator answers");
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap_or(Value::Null)
}

/// The key's newest snapshot, its money as units of 1e-10.
fn latest_snapshot(worker: &Worker, key_id: i64) -> Value {
    d1_query(
        &worker.persist_dir,
        &format!(
            "SELECT CAST(usage AS TEXT) AS usage, CAST(usage_daily AS TEXT) AS usage_daily,
                    CAST(usage_weekly AS TEXT) AS usage_weekly, CAST(usage_monthly AS TEXT) AS usage_monthly,
                    CAST(credit_limit AS TEXT) AS credit_limit, CAST(limit_remaining AS TEXT) AS limit_remaining,
                    limit_reset, label, served_at
             FROM key_snapshots WHERE api_key_id = {key_id} ORDER BY id DESC LIMIT 1"
        ),
    )
    .into_iter()
    .next()
    .unwrap_or_else(|| panic!("key {key_id} has no snapshot"))
}

/// The snapshot holds what `/key` would say now: the simulator's truth, exactly.
async fn assert_snapshot_is_truth(worker: &Worker, key_id: i64, hash: &str) {
    let snap = latest_snapshot(worker, key_id);
    let truth = sim_get(&format!("/_sim/keys/{hash}/truth")).await;
    let stored = |f: &str| snap[f].as_str().map(|t| t.parse::<i128>().unwrap());
    let said = |f: &str| truth[f].as_str().map(units);
    for (column, field) in [
        ("usage", "usage"),
        ("usage_daily", "usage_daily"),
        ("usage_weekly", "usage_weekly"),
        ("usage_monthly", "usage_monthly"),
        ("credit_limit", "limit"),
        ("limit_remaining", "limit_remaining"),
    ] {
        assert_eq!(
            stored(column),
            said(field),
            "key {key_id}: {column}: {snap} vs {truth}"
        );
    }
    assert_eq!(snap["limit_reset"], truth["limit_reset"], "key {key_id}");
    assert!(snap["served_at"].is_string(), "OpenRouter's clock: {snap}");
    let label = snap["label"].as_str().unwrap();
    assert!(
        label.starts_with("sk-or-v1-") && label.contains("..."),
        "{label}"
    );
}

#[tokio::test]
async fn the_account_is_read_in_one_call() {
    let worker = listing_worker("listing").await;
    let user = user_at(&worker.base_url).await;
    let account = unique("acct");
    // 20 tracked keys, then 170 more in the same account (newer: listed
    // first), so the tracked ones are on the listing's second page.
    let tracked = sim_keys(&account, 20).await;
    sim_keys(&account, 170).await;
    let admin = sim_key(json!({ "account": account, "kind": "management" })).await;
    let foreign = sim_keys(&unique("elsewhere"), 1).await;
    for (key, _) in tracked.iter().take(5) {
        chat(key, 40).await;
    }
    let limited = &tracked[1].1;
    let limit = json!({ "limit": 0.5, "limit_reset": "monthly" });
    manage(
        reqwest::Method::PATCH,
        &format!("/keys/{limited}"),
        &admin.key,
        &limit,
    )
    .await;
    let ids = store(&worker, &user.jwt, &tracked, "inference").await;
    let foreign_id = store(&worker, &user.jwt, &foreign, "inference").await[0];
    let admin_key = [(admin.key.clone(), admin.hash.clone())];
    store(&worker, &user.jwt, &admin_key, "management").await;

    let key_calls_before: Vec<usize> = stream::iter(&tracked)
        .then(|(_, h)| async move { calls(h, "/key").await.len() })
        .collect()
        .await;
    let foreign_before = calls(&foreign[0].1, "/key").await.len();
    let listing_before = calls(&admin.hash, "/keys").await.len();
    let run = hourly_run(&worker).await;
    assert_eq!(run["status"], "ok", "{run}");
    assert_eq!(run["keys_ok"], 21, "{run}");

    // 190 keys in the account: two pages, and not one /key for a listed key.
    let listing = calls(&admin.hash, "/keys").await;
    let pages: Vec<&str> = listing[listing_before..]
        .iter()
        .map(|c| c["query"].as_str().unwrap())
        .collect();
    assert_eq!(
        pages,
        [
            "include_disabled=true&offset=0",
            "include_disabled=true&offset=100"
        ]
    );
    for ((_, hash), before) in tracked.iter().zip(&key_calls_before) {
        assert_eq!(
            calls(hash, "/key").await.len(),
            *before,
            "no /key for a listed key"
        );
    }
    // The key of another OpenRouter account is not listed: its own /key.
    assert_eq!(calls(&foreign[0].1, "/key").await.len(), foreign_before + 1);
    // Each snapshot is what /key would say, to the last decimal.
    for (id, (_, hash)) in ids.iter().zip(&tracked) {
        assert_snapshot_is_truth(&worker, *id, hash).await;
    }
    assert_snapshot_is_truth(&worker, foreign_id, &foreign[0].1).await;
    let spent = sim_get(&format!("/_sim/keys/{}/truth", tracked[0].1)).await;
    assert!(units(spent["usage"].as_str().unwrap()) > 0, "{spent}");
}

#[tokio::test]
async fn untracked_keys_are_listed_imported_and_synced_from_the_listing() {
    let worker = listing_worker("listing-import").await;
    let user = user_at(&worker.base_url).await;
    let account = unique("acct");
    let tracked = sim_keys(&account, 2).await;
    let others = sim_keys(&account, 5).await;
    let admin = sim_key(json!({ "account": account, "kind": "management" })).await;
    store(&worker, &user.jwt, &tracked, "inference").await;
    let admin_key = [(admin.key.clone(), admin.hash.clone())];
    let admin_id = store(&worker, &user.jwt, &admin_key, "management").await[0];

    // Not tracked yet: the 5 others, newest first, each through the admin key.
    let untracked = call_at(&worker.base_url, "GET", "/api/keys/untracked")
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(untracked.status, 200, "{}", untracked.text);
    let items = untracked.json["items"].as_array().unwrap();
    let listed: Vec<&str> = items.iter().map(|k| k["hash"].as_str().unwrap()).collect();
    let expected: Vec<&str> = others.iter().rev().map(|(_, h)| h.as_str()).collect();
    assert_eq!(listed, expected);
    assert!(items.iter().all(|k| k["management_key_id"] == admin_id));
    assert!(items
        .iter()
        .all(|k| k["label"].as_str().unwrap().contains("...")));
    assert_eq!(untracked.json["incomplete"], json!([]));

    // Two are imported without their secret, one of them disabled on OpenRouter.
    let (spender, quiet) = (&others[0], &others[1]);
    let disable = json!({ "disabled": true });
    manage(
        reqwest::Method::PATCH,
        &format!("/keys/{}", quiet.1),
        &admin.key,
        &disable,
    )
    .await;
    chat(&spender.0, 100).await;
    let imported = call_at(&worker.base_url, "POST", "/api/keys/import")
        .bearer(&user.jwt)
        .json(&json!({ "hashes": [spender.1, quiet.1] }))
        .send()
        .await;
    assert_eq!(imported.status, 201, "{}", imported.text);
    let views = imported.json["items"].as_array().unwrap();
    assert_eq!(views.len(), 2);
    for v in views {
        assert_eq!(v["watched_via"], admin_id, "{v}");
        assert!(v["key_preview"].as_str().unwrap().contains("..."), "{v}");
    }
    let watched: Vec<i64> = views.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    let no_secret = format!(
        "SELECT COUNT(*) AS n FROM api_keys WHERE id IN ({}, {}) AND key_ciphertext IS NULL
           AND key_nonce IS NULL AND watched_via = {admin_id}",
        watched[0], watched[1]
    );
    assert_eq!(
        d1_query(&worker.persist_dir, &no_secret)[0]["n"],
        2,
        "no secret is stored"
    );
    // A first snapshot at once, from the listing.
    assert_snapshot_is_truth(&worker, watched[0], &spender.1).await;

    // Errors: tracked already (409), not listed (422), malformed (422); the
    // management key cannot go while keys are watched through it (409).
    let again = |hashes: Value| {
        call_at(&worker.base_url, "POST", "/api/keys/import")
            .bearer(&user.jwt)
            .json(&json!({ "hashes": hashes }))
            .send()
    };
    again(json!([spender.1]))
        .await
        .assert_error(409, "conflict");
    again(json!(["f".repeat(64)]))
        .await
        .assert_error(422, "validation_error");
    again(json!(["nope"]))
        .await
        .assert_error(422, "validation_error");
    call_at(&worker.base_url, "DELETE", &format!("/api/keys/{admin_id}"))
        .bearer(&user.jwt)
        .send()
        .await
        .assert_error(409, "conflict");

    // The hourly run syncs the watched keys from the listing (the spender
    // spent since); a watched key is never sent to OpenRouter.
    chat(&spender.0, 50).await;
    let run = hourly_run(&worker).await;
    let done = (run["status"].as_str(), run["keys_ok"].as_i64());
    assert_eq!(done, (Some("ok"), Some(4)), "{run}");
    for (id, (_, hash)) in watched.iter().zip([spender, quiet]) {
        assert_snapshot_is_truth(&worker, *id, hash).await;
        assert!(
            calls(hash, "/key").await.is_empty(),
            "a watched key is never sent"
        );
    }
    assert_eq!(
        d1_query(&worker.persist_dir, &no_secret)[0]["n"],
        2,
        "still no secret"
    );
    let left = call_at(&worker.base_url, "GET", "/api/keys/untracked")
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(left.json["items"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn a_management_key_that_cannot_list_falls_back_to_key_calls() {
    let worker = listing_worker("listing-refused").await;
    let user = user_at(&worker.base_url).await;
    let account = unique("acct");
    let tracked = sim_keys(&account, 3).await;
    let admin = sim_key(json!({ "account": account, "kind": "management" })).await;
    let ids = store(&worker, &user.jwt, &tracked, "inference").await;
    let admin_id = store(
        &worker,
        &user.jwt,
        &[(admin.key.clone(), admin.hash.clone())],
        "management",
    )
    .await[0];
    add_fault(&json!({ "key_hash": admin.hash, "path": "/keys", "status": 403 })).await;

    let before: Vec<usize> = stream::iter(&tracked)
        .then(|(_, h)| async move { calls(h, "/key").await.len() })
        .collect()
        .await;
    let run = hourly_run(&worker).await;
    for ((_, hash), n) in tracked.iter().zip(&before) {
        assert_eq!(calls(hash, "/key").await.len(), n + 1, "one /key each");
    }
    for (id, (_, hash)) in ids.iter().zip(&tracked) {
        assert_snapshot_is_truth(&worker, *id, hash).await;
    }
    assert_eq!(
        (run["status"].as_str(), run["keys_ok"].as_i64()),
        (Some("partial"), Some(3)),
        "{run}"
    );
    let error = run["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("management key {admin_id} could not list")),
        "{error}"
    );
    let admin_row = d1_query(
        &worker.persist_dir,
        &format!("SELECT last_sync_error, validation_status FROM api_keys WHERE id = {admin_id}"),
    );
    assert!(
        admin_row[0]["last_sync_error"]
            .as_str()
            .unwrap_or_default()
            .contains("cannot list"),
        "{admin_row:?}"
    );
    assert_eq!(
        admin_row[0]["validation_status"], "valid",
        "a listing refused is not a key rejected"
    );
}
