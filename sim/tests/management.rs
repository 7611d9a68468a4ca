//! OpenRouter's management API of keys (`/api/v1/keys`), the chat completions that
//! spend through the real path, and faults on both.

mod common;

use common::*;
use openrouter_sim::control::{BulkRegisterResponse, LimitReset, RegisterKeyRequest};
use openrouter_sim::KEYS_PAGE_SIZE;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

const FIXED_NOW: &str = "2025-03-15T10:30:00Z";

async fn patch(h: &Harness, admin: &str, hash: &str, body: Value) -> Reply {
    h.call(
        Method::PATCH,
        &format!("/api/v1/keys/{hash}"),
        Some(admin),
        Some(&body),
    )
    .await
}

async fn chat(h: &Harness, key: &str, model: &str, text: &str) -> Reply {
    let body = json!({"model": model, "messages": [{"role": "user", "content": text}]});
    h.call(
        Method::POST,
        "/api/v1/chat/completions",
        Some(key),
        Some(&body),
    )
    .await
}

async fn bulk(h: &Harness, account: &str, count: u32) -> BulkRegisterResponse {
    let r = h
        .post(
            "/_sim/keys/bulk",
            json!({"count": count, "account": account, "prefix": format!("{account}-"), "generate": false}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.parse()
}

#[tokio::test]
async fn the_listing_pages_newest_first_and_filters() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let made = bulk(&h, "acct-list", 150).await.keys;
    let admin = h.register(management("list-admin", "acct-list")).await;
    bulk(&h, "acct-elsewhere", 3).await;

    let page = |offset: usize| format!("/api/v1/keys?offset={offset}");
    let first: ManagedKeyList = h.get(&page(0), Some(&admin.key)).await.parse();
    let second: ManagedKeyList = h.get(&page(100), Some(&admin.key)).await.parse();
    let past: ManagedKeyList = h.get(&page(150), Some(&admin.key)).await.parse();
    assert_eq!(
        (first.data.len(), second.data.len(), past.data.len()),
        (KEYS_PAGE_SIZE, 50, 0)
    );
    // Newest first; neither the management key nor another account's keys are listed.
    let listed: Vec<&str> = first
        .data
        .iter()
        .chain(&second.data)
        .map(|k| k.hash.as_str())
        .collect();
    let expected: Vec<&str> = made.iter().rev().map(|k| k.key_hash.as_str()).collect();
    assert_eq!(listed, expected);
    let k = &first.data[0];
    assert_eq!(k.name, "acct-list-0149");
    assert!(k.label.starts_with("sk-or-v1-") && k.label.contains("..."));
    assert!(!k.disabled && k.limit.is_none() && k.limit_remaining.is_none());
    assert_eq!(money(&k.usage), Decimal::ZERO);
    assert_eq!(k.created_at, "2025-03-15T10:30:00Z");
    assert!(k.updated_at.is_none() && k.expires_at.is_none() && k.external_user.is_none());
    assert!(k
        .creator_user_id
        .as_deref()
        .is_some_and(|u| u.starts_with("user_")));

    // A disabled key is listed only with include_disabled=true.
    let hidden = &made[149].key_hash;
    assert_eq!(
        patch(&h, &admin.key, hidden, json!({"disabled": true}))
            .await
            .status,
        200
    );
    let without: ManagedKeyList = h.get(&page(0), Some(&admin.key)).await.parse();
    assert!(without.data.iter().all(|k| &k.hash != hidden));
    let with: ManagedKeyList = h
        .get(
            "/api/v1/keys?include_disabled=true&offset=0",
            Some(&admin.key),
        )
        .await
        .parse();
    assert_eq!(&with.data[0].hash, hidden);
    assert!(with.data[0].disabled);

    // The account's own workspace lists the same keys, another one none.
    let ws = &k.workspace_id;
    let own: ManagedKeyList = h
        .get(&format!("/api/v1/keys?workspace_id={ws}"), Some(&admin.key))
        .await
        .parse();
    assert_eq!(own.data.len(), KEYS_PAGE_SIZE);
    let other: ManagedKeyList = h
        .get("/api/v1/keys?workspace_id=nope", Some(&admin.key))
        .await
        .parse();
    assert!(other.data.is_empty());

    // Errors: bad parameters 400, an inference key 403, no or an unknown key 401.
    for q in ["offset=-1", "offset=x", "include_disabled=maybe"] {
        h.get(&format!("/api/v1/keys?{q}"), Some(&admin.key))
            .await
            .assert_error(400);
    }
    h.get("/api/v1/keys", Some(&made[0].key))
        .await
        .assert_error(403);
    h.get("/api/v1/keys", None).await.assert_error(401);
    h.get("/api/v1/keys", Some("sk-or-v1-nope"))
        .await
        .assert_error(401);
    h.call(Method::PUT, "/api/v1/keys", Some(&admin.key), None)
        .await
        .assert_error(405);
}

#[tokio::test]
async fn get_patch_and_delete_one_key() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let k = h
        .register(RegisterKeyRequest {
            limit: Some("10".into()),
            limit_reset: Some(LimitReset::Monthly),
            ..inference("one", "acct-one")
        })
        .await;
    let admin = h.register(management("one-admin", "acct-one")).await;
    let outsider = h.register(management("other-admin", "acct-two")).await;
    let path = format!("/api/v1/keys/{}", k.key_hash);
    let t = h.truth(&k.key_hash).await;

    let got: ManagedKeyResponse = h.get(&path, Some(&admin.key)).await.parse();
    let got = got.data;
    assert_eq!(
        (got.hash.as_str(), got.name.as_str()),
        (k.key_hash.as_str(), "one")
    );
    assert_eq!(money(&got.usage), dec(&t.usage));
    assert_eq!(money(&got.usage_monthly), dec(&t.usage_monthly));
    assert_eq!(money(&got.byok_usage), dec(&t.byok_usage));
    assert_eq!(opt_money(&got.limit), Some(dec("10")));
    assert_eq!(got.limit_reset.as_deref(), Some("monthly"));
    assert_eq!(
        opt_money(&got.limit_remaining),
        t.limit_remaining.as_deref().map(dec)
    );
    assert_eq!(
        got.label,
        h.get("/api/v1/key", Some(&k.key))
            .await
            .parse::<KeyResponse>()
            .data
            .label
    );

    // Another account's management key, or a management key's own hash: 404.
    h.get(&path, Some(&outsider.key)).await.assert_error(404);
    patch(&h, &outsider.key, &k.key_hash, json!({"disabled": true}))
        .await
        .assert_error(404);
    h.call(Method::DELETE, &path, Some(&outsider.key), None)
        .await
        .assert_error(404);
    h.get(
        &format!("/api/v1/keys/{}", admin.key_hash),
        Some(&admin.key),
    )
    .await
    .assert_error(404);
    h.get(&path, Some(&k.key)).await.assert_error(403);

    // A lowered limit shows at once in limit_remaining, on /key as well; updated_at moves.
    h.set_clock("2025-03-15T11:00:00Z").await;
    let body = json!({"limit": 0.25, "name": "renamed", "limit_reset": "daily", "include_byok_in_limit": true});
    let r = patch(&h, &admin.key, &k.key_hash, body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let changed = r.parse::<ManagedKeyResponse>().data;
    assert_eq!(changed.name, "renamed");
    assert_eq!(changed.limit_reset.as_deref(), Some("daily"));
    assert!(changed.include_byok_in_limit);
    assert_eq!(changed.updated_at.as_deref(), Some("2025-03-15T11:00:00Z"));
    let t2 = h.truth(&k.key_hash).await;
    let expected =
        (dec("0.25") - dec(&t2.usage_daily) - dec(&t2.byok_usage_daily)).max(Decimal::ZERO);
    assert_eq!(opt_money(&changed.limit_remaining), Some(expected));
    let key_view = h
        .get("/api/v1/key", Some(&k.key))
        .await
        .parse::<KeyResponse>()
        .data;
    assert_eq!(opt_money(&key_view.limit_remaining), Some(expected));
    assert_eq!(t2.limit_remaining.as_deref().map(dec), Some(expected));

    // null clears the limit and the reset.
    let cleared = patch(
        &h,
        &admin.key,
        &k.key_hash,
        json!({"limit": null, "limit_reset": null}),
    )
    .await
    .parse::<ManagedKeyResponse>()
    .data;
    assert!(cleared.limit.is_none() && cleared.limit_remaining.is_none());
    assert!(cleared.limit_reset.is_none());

    // Validation: 400 naming the field, nothing changed.
    for body in [
        json!({"limit": -1}),
        json!({"limit": "5"}),
        json!({"limit": 0.00000000001}),
        json!({"limit_reset": "yearly"}),
        json!({"disabled": "yes"}),
        json!({"name": ""}),
        json!({"name": 5}),
        json!({"include_byok_in_limit": 1}),
        json!([1, 2]),
    ] {
        patch(&h, &admin.key, &k.key_hash, body.clone())
            .await
            .assert_error(400);
    }
    let unchanged = h
        .get(&path, Some(&admin.key))
        .await
        .parse::<ManagedKeyResponse>()
        .data;
    assert_eq!(unchanged.name, "renamed");

    // DELETE: {deleted: true}; then 404 here, 401 on /key, gone from the listing.
    let r = h.call(Method::DELETE, &path, Some(&admin.key), None).await;
    assert_eq!((r.status, r.json()), (200, json!({"deleted": true})));
    h.get(&path, Some(&admin.key)).await.assert_error(404);
    h.call(Method::DELETE, &path, Some(&admin.key), None)
        .await
        .assert_error(404);
    h.get("/api/v1/key", Some(&k.key)).await.assert_error(401);
    let list: ManagedKeyList = h
        .get("/api/v1/keys?include_disabled=true", Some(&admin.key))
        .await
        .parse();
    assert!(list.data.is_empty());
    assert!(h.truth(&k.key_hash).await.deleted);
}

#[tokio::test]
async fn a_disabled_key_is_refused_until_enabled() {
    let h = start(42).await;
    let k = h.register(inference("dis", "acct-dis")).await;
    let admin = h.register(management("dis-admin", "acct-dis")).await;
    patch(&h, &admin.key, &k.key_hash, json!({"disabled": true})).await;
    let r = h.get("/api/v1/key", Some(&k.key)).await;
    r.assert_error(401);
    assert_eq!(r.json()["error"]["message"], "API key is disabled");
    chat(&h, &k.key, "openai/gpt-4o-mini", "hello")
        .await
        .assert_error(401);
    let t = h.truth(&k.key_hash).await;
    assert!(t.disabled && !t.revoked);
    patch(&h, &admin.key, &k.key_hash, json!({"disabled": false})).await;
    assert_eq!(h.get("/api/v1/key", Some(&k.key)).await.status, 200);
    assert_eq!(
        chat(&h, &k.key, "openai/gpt-4o-mini", "hello").await.status,
        200
    );
}

#[tokio::test]
async fn creating_a_key_shows_its_secret_once() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let admin = h.register(management("mk-admin", "acct-mk")).await;
    let body = json!({"name": "made", "limit": 12.5, "limit_reset": "weekly", "include_byok_in_limit": true, "expires_at": "2025-03-16T00:00:00Z"});
    let r = h
        .call(Method::POST, "/api/v1/keys", Some(&admin.key), Some(&body))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let made: CreatedKeyResponse = r.parse();
    assert!(made.key.starts_with("sk-or-v1-"));
    assert_eq!(made.data.name, "made");
    assert_eq!(opt_money(&made.data.limit), Some(dec("12.5")));
    assert_eq!(opt_money(&made.data.limit_remaining), Some(dec("12.5")));
    assert_eq!(made.data.limit_reset.as_deref(), Some("weekly"));
    assert!(made.data.include_byok_in_limit);
    assert_eq!(
        made.data.expires_at.as_deref(),
        Some("2025-03-16T00:00:00Z")
    );
    // The new key belongs to the account and works at once (no history).
    let info = h
        .get("/api/v1/key", Some(&made.key))
        .await
        .parse::<KeyResponse>()
        .data;
    assert_eq!(money(&info.usage), Decimal::ZERO);
    assert_eq!(opt_money(&info.limit), Some(dec("12.5")));
    let path = format!("/api/v1/keys/{}", made.data.hash);
    assert_eq!(h.get(&path, Some(&admin.key)).await.status, 200);
    // Past expires_at it answers 401.
    h.set_clock("2025-03-16T00:00:01Z").await;
    h.get("/api/v1/key", Some(&made.key))
        .await
        .assert_error(401);

    for bad in [
        json!({}),
        json!({"name": ""}),
        json!({"name": "x", "limit": -2}),
        json!({"name": "x", "limit_reset": "hourly"}),
        json!({"name": "x", "expires_at": "2000-01-01T00:00:00Z"}),
        json!({"name": "x", "expires_at": "tomorrow"}),
    ] {
        h.call(Method::POST, "/api/v1/keys", Some(&admin.key), Some(&bad))
            .await
            .assert_error(400);
    }
    let k = h.register(inference("mk-user", "acct-mk")).await;
    h.call(
        Method::POST,
        "/api/v1/keys",
        Some(&k.key),
        Some(&json!({"name": "x"})),
    )
    .await
    .assert_error(403);
}

#[tokio::test]
async fn chat_completions_spend_through_the_real_path() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let k = h
        .register(RegisterKeyRequest {
            generate: Some(false),
            limit: Some("0.001".into()),
            limit_reset: Some(LimitReset::Daily),
            ..inference("spender", "acct-spend")
        })
        .await;
    let admin = h.register(management("spend-admin", "acct-spend")).await;
    let r = chat(&h, &k.key, "openai/gpt-4o", &"x".repeat(400)).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let v = r.json();
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["usage"]["prompt_tokens"], 100);
    assert_eq!(v["usage"]["completion_tokens"], 8);
    let cost_text = v["usage"]["cost"].to_string();
    let cost = dec(&cost_text);
    // 100 × 2.5e-6 + 8 × 1e-5 on the first provider (factor 1).
    assert_eq!(cost, dec("0.00033"));

    // /key, the management API and the truth moved together.
    let t = h.truth(&k.key_hash).await;
    assert_eq!((dec(&t.usage), dec(&t.usage_daily)), (cost, cost));
    let info = h
        .get("/api/v1/key", Some(&k.key))
        .await
        .parse::<KeyResponse>()
        .data;
    assert_eq!(money(&info.usage_daily), cost);
    assert_eq!(opt_money(&info.limit_remaining), Some(dec("0.001") - cost));
    let listed = h
        .get(&format!("/api/v1/keys/{}", k.key_hash), Some(&admin.key))
        .await
        .parse::<ManagedKeyResponse>()
        .data;
    assert_eq!(money(&listed.usage), cost);

    // Spent up: the next request that finds limit_remaining at 0 is refused with 402.
    let mut spent = cost;
    while spent < dec("0.001") {
        assert_eq!(
            chat(&h, &k.key, "openai/gpt-4o", &"x".repeat(400))
                .await
                .status,
            200
        );
        spent += cost;
    }
    let r = chat(&h, &k.key, "openai/gpt-4o", "hi").await;
    r.assert_error(402);
    assert_eq!(
        r.json()["error"]["metadata"]["limit_source"],
        "openrouter_key_limit"
    );
    assert_eq!(dec(&h.truth(&k.key_hash).await.usage), spent);
    // Raising the limit lets it spend again; tomorrow the daily limit is fresh.
    patch(&h, &admin.key, &k.key_hash, json!({"limit": 1})).await;
    assert_eq!(chat(&h, &k.key, "openai/gpt-4o", "hi").await.status, 200);

    // Yesterday's requests are in tomorrow's /activity.
    h.set_clock("2025-03-16T10:30:00Z").await;
    let rows = h
        .get(
            &format!(
                "/api/v1/activity?date=2025-03-15&api_key_hash={}",
                k.key_hash
            ),
            Some(&admin.key),
        )
        .await
        .parse::<ActivityResponse>()
        .data;
    let usage: Decimal = rows.iter().map(|r| money(&r.usage)).sum();
    assert_eq!(usage, dec(&h.truth(&k.key_hash).await.usage));

    // Refusals: a management key, a bad body, an unknown model, another method.
    chat(&h, &admin.key, "openai/gpt-4o", "hi")
        .await
        .assert_error(401);
    for body in [
        json!({"model": "openai/gpt-4o"}),
        json!({"messages": []}),
        json!([]),
    ] {
        h.call(
            Method::POST,
            "/api/v1/chat/completions",
            Some(&k.key),
            Some(&body),
        )
        .await
        .assert_error(400);
    }
    chat(&h, &k.key, "nobody/nothing", "hi")
        .await
        .assert_error(400);
    h.get("/api/v1/chat/completions", Some(&k.key))
        .await
        .assert_error(405);
}

#[tokio::test]
async fn faults_match_a_method_and_a_path_prefix() {
    let h = start(42).await;
    let k = h.register(inference("fault-k", "acct-fault")).await;
    let admin = h.register(management("fault-admin", "acct-fault")).await;
    let r = h
        .post(
            "/_sim/faults",
            json!({"path": "/keys/*", "method": "patch", "status": 500, "times": 2}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let path = format!("/api/v1/keys/{}", k.key_hash);
    // A GET of the same path and the listing are not hit.
    assert_eq!(h.get(&path, Some(&admin.key)).await.status, 200);
    assert_eq!(h.get("/api/v1/keys", Some(&admin.key)).await.status, 200);
    for _ in 0..2 {
        patch(&h, &admin.key, &k.key_hash, json!({"disabled": true}))
            .await
            .assert_error(500);
    }
    assert!(!h.truth(&k.key_hash).await.disabled);
    let r = patch(&h, &admin.key, &k.key_hash, json!({"disabled": true})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(h.truth(&k.key_hash).await.disabled);

    // The log records each call with its method and path, filtered by both.
    let log = h
        .get("/_sim/requests?method=PATCH&path=/keys/*", None)
        .await
        .json();
    let seen: Vec<(String, String, Value, bool)> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["method"].as_str().unwrap().to_string(),
                e["path"].as_str().unwrap().to_string(),
                e["status"].clone(),
                e["fault"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected: Vec<(String, String, Value, bool)> = [(500, true), (500, true), (200, false)]
        .into_iter()
        .map(|(s, f)| ("PATCH".to_string(), path.clone(), json!(s), f))
        .collect();
    assert_eq!(seen, expected);
    let all = h.get("/_sim/requests?path=/keys*", None).await.json();
    assert_eq!(all.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn keys_carry_the_member_who_created_them() {
    let h = start(42).await;
    h.set_clock(FIXED_NOW).await;
    let made_by = |label: &'static str, creator: Option<&'static str>| RegisterKeyRequest {
        creator: creator.map(str::to_string),
        generate: Some(false),
        ..inference(label, "acct-crew")
    };
    let alice = h.register(made_by("crew-alice", Some("alice"))).await;
    let own = h.register(made_by("crew-own", None)).await;
    let carol = h
        .register(RegisterKeyRequest {
            creator: Some("carol".into()),
            ..management("crew-carol", "acct-crew")
        })
        .await;
    let admin = h.register(management("crew-admin", "acct-crew")).await;
    assert_ne!(alice.creator_user_id, own.creator_user_id);
    assert_ne!(carol.creator_user_id, admin.creator_user_id);
    assert_eq!(
        own.creator_user_id, admin.creator_user_id,
        "the account's user"
    );

    // The listing, one key and a PATCH show each key's own creator.
    let listed: ManagedKeyList = h.get("/api/v1/keys", Some(&admin.key)).await.parse();
    let creator_of = |hash: &str| {
        listed
            .data
            .iter()
            .find(|k| k.hash == hash)
            .and_then(|k| k.creator_user_id.clone())
    };
    assert_eq!(
        creator_of(&alice.key_hash),
        Some(alice.creator_user_id.clone())
    );
    assert_eq!(creator_of(&own.key_hash), Some(own.creator_user_id.clone()));
    let one: ManagedKeyResponse = h
        .get(
            &format!("/api/v1/keys/{}", alice.key_hash),
            Some(&admin.key),
        )
        .await
        .parse();
    assert_eq!(
        one.data.creator_user_id,
        Some(alice.creator_user_id.clone())
    );
    let r = patch(&h, &admin.key, &alice.key_hash, json!({"name": "renamed"})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let patched: ManagedKeyResponse = r.parse();
    assert_eq!(
        patched.data.creator_user_id,
        Some(alice.creator_user_id.clone())
    );

    // A key created through the management API is its management key's creator's.
    for (manager, expected) in [
        (&carol, &carol.creator_user_id),
        (&admin, &own.creator_user_id),
    ] {
        let r = h
            .call(
                Method::POST,
                "/api/v1/keys",
                Some(&manager.key),
                Some(&json!({"name": format!("by-{}", manager.label)})),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
        let made: CreatedKeyResponse = r.parse();
        assert_eq!(made.data.creator_user_id.as_ref(), Some(expected));
        let info = h
            .get("/api/v1/key", Some(&made.key))
            .await
            .parse::<KeyResponse>()
            .data;
        assert_eq!(info.creator_user_id.as_ref(), Some(expected));
        let listed: ManagedKeyResponse = h
            .get(
                &format!("/api/v1/keys/{}", made.data.hash),
                Some(&admin.key),
            )
            .await
            .parse();
        assert_eq!(listed.data.creator_user_id.as_ref(), Some(expected));
    }
}
