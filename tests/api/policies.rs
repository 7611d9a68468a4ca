//! Policies that act on OpenRouter keys (issue "Act, not only alert"),
//! end to end through the queue: the simulator's management API is the
//! only stand-in, and its state is what the assertions read.
//!
//! On a stack of its own (a simulator whose clock the tests move, and a
//! Worker whose queue delivers every batch twice: each run is also a
//! redelivery), taken in turns. The simulator's clock is set around the
//! real day: the Worker reads `/activity` up to its own yesterday, which
//! OpenRouter (the simulator) refuses for days it has not completed yet.

use std::sync::OnceLock;

use serde_json::{json, Value};
use tokio::sync::{Mutex, MutexGuard};

use crate::helpers::*;

/// The real UTC day, offset by `days`, as `YYYY-MM-DD`.
fn day_from_now(days: i64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

static STACK: OnceLock<Result<Clocked, String>> = OnceLock::new();
static TURN: Mutex<()> = Mutex::const_new(());

async fn stack() -> (MutexGuard<'static, ()>, &'static Clocked) {
    let turn = TURN.lock().await;
    let stack = tokio::task::spawn_blocking(|| {
        STACK
            .get_or_init(|| {
                start_own(
                    "policies",
                    11,
                    &["WEBHOOK_LOOPBACK:1", "SYNC_REDELIVER_FOR_TESTS:1"],
                )
            })
            .as_ref()
    })
    .await
    .expect("joins")
    .unwrap_or_else(|why| panic!("the policies stack did not start: {why}"));
    (turn, stack)
}

/// A simulated key (`{key, key_hash}`) of `account`.
struct Simulated {
    key: String,
    hash: String,
}

/// What these tests do with their stack besides what [`Clocked`] does.
trait Account {
    fn key(&self, account: &str, kind: &str) -> Simulated;
    async fn openrouter(
        &self,
        method: &str,
        path: &str,
        bearer: &str,
        body: Option<Value>,
    ) -> (u16, Value);
    async fn seen(&self, admin: &Simulated, key: &Simulated) -> Value;
    fn patches(&self, key: &Simulated) -> usize;
}

impl Account for Clocked {
    fn key(&self, account: &str, kind: &str) -> Simulated {
        let registered = self
            .sim
            .sim()
            .register_key(
                serde_json::from_value(
                    json!({ "generate": false, "account": account, "kind": kind }),
                )
                .expect("a key request"),
            )
            .expect("the simulator registers the key");
        remember_secret(&registered.key);
        Simulated {
            key: registered.key,
            hash: registered.key_hash,
        }
    }

    /// OpenRouter's management API, as a person (or this test) calls it.
    async fn openrouter(
        &self,
        method: &str,
        path: &str,
        bearer: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}/api/v1{path}", self.sim.base_url());
        let mut req = client()
            .request(method.parse().expect("a method"), url)
            .bearer_auth(bearer);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("the simulator answers");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// The key as its account's management key sees it on OpenRouter.
    async fn seen(&self, admin: &Simulated, key: &Simulated) -> Value {
        let (status, body) = self
            .openrouter("GET", &format!("/keys/{}", key.hash), &admin.key, None)
            .await;
        assert_eq!(status, 200, "{body}");
        body["data"].clone()
    }

    /// PATCHes the simulator received for `key`.
    fn patches(&self, key: &Simulated) -> usize {
        self.sim
            .sim()
            .requests(None, None, Some("PATCH"))
            .iter()
            .filter(|r| r.method == "PATCH" && r.path == format!("/api/v1/keys/{}", key.hash))
            .count()
    }
}

async fn send(base: &str, jwt: &str, method: &str, path: &str, body: Option<Value>) -> Res {
    let mut call = call_at(base, method, path).bearer(jwt);
    if let Some(body) = body {
        call = call.json(&body);
    }
    call.send().await
}

async fn stored(base: &str, jwt: &str, name: &str, key: &Simulated, kind: &str) -> i64 {
    let res = send(
        base,
        jwt,
        "POST",
        "/api/keys",
        Some(json!({ "name": name, "key": key.key, "kind": kind })),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json["id"].as_i64().expect("id")
}

async fn budget(base: &str, jwt: &str, body: Value) -> Value {
    let res = send(base, jwt, "POST", "/api/budgets", Some(body)).await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json
}

/// The account's actions on `key_id`, newest first.
async fn actions_on(base: &str, jwt: &str, key_id: i64) -> Vec<Value> {
    let res = send(base, jwt, "GET", "/api/actions?limit=100", None).await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|a| a["api_key_id"] == key_id)
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_disable_policy_acts_once_and_is_put_back_at_the_reset_unless_a_person_changed_the_key() {
    let (_turn, stack) = stack().await;
    let (today, tomorrow) = (day_from_now(0), day_from_now(1));
    stack.freeze(&format!("{today}T12:00:00Z"));
    let base = stack.worker.base_url.clone();
    let jwt = user_at(&base).await.jwt;
    let account = unique("acme");
    let admin = stack.key(&account, "management");
    let (runaway, other) = (
        stack.key(&account, "inference"),
        stack.key(&account, "inference"),
    );
    stored(&base, &jwt, "Admin", &admin, "management").await;
    let runaway_id = stored(&base, &jwt, "Runaway agent", &runaway, "inference").await;
    let other_id = stored(&base, &jwt, "Batch jobs", &other, "inference").await;
    for id in [runaway_id, other_id] {
        let b = budget(
            &base,
            &jwt,
            json!({ "api_key_id": id, "amount": "10", "period": "daily", "action": "disable", "action_at": 80 }),
        )
        .await;
        assert_eq!(
            (
                b["action"].as_str(),
                b["action_at"].as_i64(),
                b["dry_run"].as_bool()
            ),
            (Some("disable"), Some(80), Some(false))
        );
    }

    // Under the line: nothing happens.
    stack.spend(&runaway.hash, &today, "7.99");
    stack.spend(&other.hash, &today, "7.99");
    stack.sync().await;
    assert!(actions_on(&base, &jwt, runaway_id).await.is_empty());
    assert_eq!(stack.seen(&admin, &runaway).await["disabled"], false);

    // Over it: both keys are disabled on OpenRouter, once.
    stack.spend(&runaway.hash, &today, "1");
    stack.spend(&other.hash, &today, "1");
    stack.sync().await;
    for (id, key) in [(runaway_id, &runaway), (other_id, &other)] {
        let actions = actions_on(&base, &jwt, id).await;
        assert_eq!(actions.len(), 1, "{actions:?}");
        let a = &actions[0];
        assert_eq!(
            (
                a["state"].as_str(),
                a["action"].as_str(),
                a["trigger"].as_str()
            ),
            (Some("applied"), Some("disable"), Some("80 %"))
        );
        assert_eq!(a["before"]["disabled"], false);
        assert_eq!(a["after"]["disabled"], true);
        assert_eq!(a["restore_at"], format!("{tomorrow}T00:00:00Z"));
        assert_eq!(stack.seen(&admin, key).await["disabled"], true);
        assert_eq!(
            stack.patches(key),
            1,
            "one PATCH although every batch was delivered twice"
        );
    }
    let (status, body) = stack
        .openrouter("POST", "/chat/completions", &runaway.key, Some(json!({ "model": "openai/gpt-4o", "messages": [{"role": "user", "content": "hi"}] })))
        .await;
    assert!(
        matches!(status, 401 | 403),
        "a disabled key cannot spend: {status} {body}"
    );
    let disabled = events_of(&base, &jwt, "key.disabled").await;
    assert_eq!(disabled.len(), 2, "{disabled:?}");
    assert_eq!(disabled[0]["before"]["disabled"], false);
    assert_eq!(disabled[0]["after"]["disabled"], true);

    // Each action is in the audit log, by the product, with before and after.
    let audit = send(&base, &jwt, "GET", "/api/audit?kind=key.disabled", None).await;
    let entries = audit.json["items"].as_array().expect("items");
    assert_eq!(entries.len(), 2, "{}", audit.text);
    for e in entries {
        assert_eq!(
            (
                e["actor"].as_str(),
                &e["before"]["disabled"],
                &e["after"]["disabled"]
            ),
            (Some("product"), &json!(false), &json!(true)),
            "{e}"
        );
    }

    // Another run the same period takes nothing again.
    stack.sync().await;
    assert_eq!((stack.patches(&runaway), stack.patches(&other)), (1, 1));
    assert_eq!(events_of(&base, &jwt, "key.disabled").await.len(), 2);

    // A person enables one of them again by hand on OpenRouter.
    let (status, body) = stack
        .openrouter(
            "PATCH",
            &format!("/keys/{}", other.hash),
            &admin.key,
            Some(json!({ "disabled": false })),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The period ends on OpenRouter's clock: the product puts back what it
    // changed, and leaves the key a person changed as they set it.
    stack.freeze(&format!("{tomorrow}T00:30:00Z"));
    stack.sync().await;
    let restored = &actions_on(&base, &jwt, runaway_id).await[0];
    assert_eq!(restored["state"], "restored", "{restored}");
    assert_eq!(stack.seen(&admin, &runaway).await["disabled"], false);
    assert_eq!(stack.patches(&runaway), 2);
    let kept = &actions_on(&base, &jwt, other_id).await[0];
    assert_eq!(kept["state"], "kept", "{kept}");
    assert!(
        kept["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("disabled"),
        "{kept}"
    );
    assert_eq!(stack.patches(&other), 2, "the person's PATCH only");
    assert_eq!(stack.seen(&admin, &other).await["disabled"], false);
    let audit = send(&base, &jwt, "GET", "/api/audit?kind=key.enabled", None).await;
    assert_eq!(
        audit.json["items"].as_array().map(Vec::len),
        Some(1),
        "{}",
        audit.text
    );
    assert_eq!(audit.json["items"][0]["api_key_id"], runaway_id);
    let enabled = events_of(&base, &jwt, "key.enabled").await;
    assert_eq!(enabled.len(), 1, "{enabled:?}");
    assert_eq!(enabled[0]["api_key_id"], runaway_id);
}

#[tokio::test]
async fn a_limit_policy_leaves_the_budgets_exact_remainder_a_dry_run_changes_nothing_and_a_foreign_key_is_never_touched(
) {
    let (_turn, stack) = stack().await;
    let today = day_from_now(0);
    stack.freeze(&format!("{today}T09:00:00Z"));
    let base = stack.worker.base_url.clone();
    let jwt = user_at(&base).await.jwt;
    let account = unique("acme");
    let admin = stack.key(&account, "management");
    let (capped, watched) = (
        stack.key(&account, "inference"),
        stack.key(&account, "inference"),
    );
    let foreign = stack.key(&unique("elsewhere"), "inference");
    stored(&base, &jwt, "Admin", &admin, "management").await;
    let capped_id = stored(&base, &jwt, "Capped", &capped, "inference").await;
    let watched_id = stored(&base, &jwt, "Watched", &watched, "inference").await;
    let foreign_id = stored(&base, &jwt, "Foreign", &foreign, "inference").await;
    budget(&base, &jwt, json!({ "api_key_id": capped_id, "amount": "10", "period": "monthly", "action": "limit", "action_at": 50 })).await;
    budget(&base, &jwt, json!({ "api_key_id": watched_id, "amount": "10", "period": "weekly", "action": "disable", "action_at": 50, "dry_run": true })).await;
    budget(
        &base,
        &jwt,
        json!({ "api_key_id": foreign_id, "amount": "1", "period": "daily", "action": "disable" }),
    )
    .await;
    stack.spend(&capped.hash, &today, "6.0000000001");
    stack.spend(&watched.hash, &today, "6");
    stack.spend(&foreign.hash, &today, "3");
    stack.sync().await;

    // `limit`: what the key may still spend on OpenRouter is exactly what
    // the budget has left.
    let capped_now = stack.seen(&admin, &capped).await;
    assert_eq!(
        (
            capped_now["limit"].to_string().as_str(),
            capped_now["limit_reset"].as_str()
        ),
        ("10", Some("monthly")),
        "{capped_now}"
    );
    assert_eq!(
        capped_now["limit_remaining"].to_string(),
        "3.9999999999",
        "{capped_now}"
    );
    let a = &actions_on(&base, &jwt, capped_id).await[0];
    assert_eq!(
        (a["state"].as_str(), a["after"]["limit"].as_str()),
        (Some("applied"), Some("10")),
        "{a}"
    );
    assert_eq!(a["before"]["limit"], Value::Null);
    assert_eq!(events_of(&base, &jwt, "key.limit_changed").await.len(), 1);

    // A dry run says what it would do and changes nothing.
    let dry = &actions_on(&base, &jwt, watched_id).await[0];
    assert_eq!(
        (dry["state"].as_str(), dry["dry_run"].as_bool()),
        (Some("dry_run"), Some(true)),
        "{dry}"
    );
    assert_eq!(dry["after"]["disabled"], true);
    assert_eq!(stack.seen(&admin, &watched).await["disabled"], false);
    assert_eq!(stack.patches(&watched), 0);
    let undo = send(
        &base,
        &jwt,
        "POST",
        &format!("/api/actions/{}/undo", dry["id"]),
        None,
    )
    .await;
    undo.assert_error(409, "conflict");

    // A key the management key does not see is never acted on; that is reported.
    let refused = &actions_on(&base, &jwt, foreign_id).await[0];
    assert_eq!(refused["state"], "failed", "{refused}");
    assert!(
        refused["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("does not own"),
        "{refused}"
    );
    assert_eq!(stack.patches(&foreign), 0);
    let failed = events_of(&base, &jwt, "policy.failed").await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["api_key_id"], foreign_id);

    // Undo puts the limit back at once, and the action is not taken again this period.
    let undone = send(
        &base,
        &jwt,
        "POST",
        &format!("/api/actions/{}/undo", a["id"]),
        None,
    )
    .await;
    assert_eq!(undone.status, 200, "{}", undone.text);
    assert_eq!(undone.json["state"], "undone");
    assert_eq!(stack.seen(&admin, &capped).await["limit"], Value::Null);
    stack.sync().await;
    assert_eq!(stack.seen(&admin, &capped).await["limit"], Value::Null);
    assert_eq!(actions_on(&base, &jwt, capped_id).await.len(), 1);
}

#[tokio::test]
async fn a_patch_that_fails_twice_then_succeeds_acts_once() {
    let (_turn, stack) = stack().await;
    let today = day_from_now(0);
    stack.freeze(&format!("{today}T10:00:00Z"));
    let base = stack.worker.base_url.clone();
    let jwt = user_at(&base).await.jwt;
    let account = unique("acme");
    let admin = stack.key(&account, "management");
    let flaky = stack.key(&account, "inference");
    stored(&base, &jwt, "Admin", &admin, "management").await;
    let id = stored(&base, &jwt, "Flaky", &flaky, "inference").await;
    budget(
        &base,
        &jwt,
        json!({ "api_key_id": id, "amount": "2", "period": "daily", "action": "disable" }),
    )
    .await;
    stack
        .sim
        .sim()
        .add_fault(
            serde_json::from_value(json!({ "path": format!("/keys/{}", flaky.hash), "method": "PATCH", "status": 503, "times": 2 }))
                .expect("a fault"),
        )
        .expect("the simulator takes the fault");
    stack.spend(&flaky.hash, &today, "2");
    stack.sync().await;
    let actions = actions_on(&base, &jwt, id).await;
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(actions[0]["state"], "applied", "{actions:?}");
    assert_eq!(stack.seen(&admin, &flaky).await["disabled"], true);
    let answered: Vec<_> = stack
        .sim
        .sim()
        .requests(None, None, Some("PATCH"))
        .into_iter()
        .filter(|r| r.method == "PATCH" && r.path == format!("/api/v1/keys/{}", flaky.hash))
        .map(|r| r.status)
        .collect();
    assert_eq!(answered, [Some(503), Some(503), Some(200)]);
    assert_eq!(events_of(&base, &jwt, "key.disabled").await.len(), 1);
}

#[tokio::test]
async fn a_policy_needs_a_management_key_and_limit_needs_a_key() {
    let user = new_user().await;
    let sim = sim_key(json!({ "generate": false })).await;
    let key_id = user.add_key("Solo", &sim.key, "inference").await.json["id"]
        .as_i64()
        .expect("id");
    let res = post("/api/budgets")
        .bearer(&user.jwt)
        .json(
            &json!({ "api_key_id": key_id, "amount": "5", "period": "daily", "action": "disable" }),
        )
        .send()
        .await;
    res.assert_error(422, "validation_error");
    assert_eq!(res.error_field(), "action");
    assert!(res.text.contains("management key"), "{}", res.text);
    let notify = post("/api/budgets")
        .bearer(&user.jwt)
        .json(&json!({ "api_key_id": key_id, "amount": "5", "period": "daily", "dry_run": true }))
        .send()
        .await;
    assert_eq!(notify.status, 201, "{}", notify.text);
    assert_eq!(notify.json["action"], "notify");
    assert_eq!(notify.json["action_on_spike"], false);
    // A spike trigger acts with the budget's action: none, none to take.
    let res = call("PATCH", &format!("/api/budgets/{}", notify.json["id"]))
        .bearer(&user.jwt)
        .json(&json!({ "action_on_spike": true }))
        .send()
        .await;
    res.assert_error(422, "validation_error");
    assert_eq!(res.error_field(), "action_on_spike");

    let admin =
        sim_key(json!({ "generate": false, "kind": "management", "account": sim.account })).await;
    assert_eq!(
        user.add_key("Admin", &admin.key, "management").await.status,
        201
    );
    let res = post("/api/budgets")
        .bearer(&user.jwt)
        .json(
            &json!({ "api_key_id": null, "amount": "50", "period": "monthly", "action": "limit" }),
        )
        .send()
        .await;
    res.assert_error(422, "validation_error");
    assert_eq!(res.error_field(), "action");
    let res = post("/api/budgets")
        .bearer(&user.jwt)
        .json(&json!({ "api_key_id": key_id, "amount": "5", "period": "weekly", "action": "limit", "action_at": 101 }))
        .send()
        .await;
    assert_eq!(res.error_field(), "action_at");
    let ok = post("/api/budgets")
        .bearer(&user.jwt)
        .json(&json!({ "api_key_id": key_id, "amount": "5", "period": "weekly", "action": "limit", "action_at": null }))
        .send()
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(
        (ok.json["action"].as_str(), ok.json["action_at"].clone()),
        (Some("limit"), Value::Null)
    );
}

#[tokio::test]
async fn one_click_sets_a_limit_on_a_key_without_one_and_never_replaces_a_persons() {
    let user = new_user().await;
    let key = sim_key(json!({ "generate": false })).await;
    let admin =
        sim_key(json!({ "generate": false, "kind": "management", "account": key.account })).await;
    let key_id = user.add_key("Open", &key.key, "inference").await.json["id"]
        .as_i64()
        .expect("id");
    let limit = |body: Value| {
        post(&format!("/api/keys/{key_id}/limit"))
            .bearer(&user.jwt)
            .json(&body)
    };

    // Without a management key there is nothing to act through.
    limit(json!({ "limit": "25", "limit_reset": "monthly" }))
        .send()
        .await
        .assert_error(409, "conflict");
    assert_eq!(
        user.add_key("Admin", &admin.key, "management").await.status,
        201
    );
    let res = limit(json!({ "limit": "25", "limit_reset": "fortnightly" }))
        .send()
        .await;
    assert_eq!(res.error_field(), "limit_reset");
    let res = limit(json!({ "limit": "0", "limit_reset": null }))
        .send()
        .await;
    assert_eq!(res.error_field(), "limit");

    let res = limit(json!({ "limit": "25.5", "limit_reset": "monthly" }))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(
        (
            res.json["state"].as_str(),
            res.json["after"]["limit"].as_str()
        ),
        (Some("set"), Some("25.5"))
    );
    assert_eq!(res.json["before"]["limit"], Value::Null);
    let seen = client()
        .get(app().sim_url(&format!("/api/v1/keys/{}", key.hash)))
        .bearer_auth(&admin.key)
        .send()
        .await
        .expect("the simulator answers")
        .json::<Value>()
        .await
        .expect("JSON");
    assert_eq!(
        (
            seen["data"]["limit"].to_string().as_str(),
            seen["data"]["limit_reset"].as_str()
        ),
        ("25.5", Some("monthly")),
        "{seen}"
    );

    // Now the key has a limit: a second click never replaces it.
    let again = limit(json!({ "limit": "1000", "limit_reset": null }))
        .send()
        .await;
    again.assert_error(409, "conflict");
    assert!(
        again.text.contains("already has an OpenRouter limit"),
        "{}",
        again.text
    );
}

/// A spike is a trigger a budget can act on before its amount is near: the
/// runaway key is disabled at once, the other key of the account budget is
/// left alone, and one action is taken however many syncs see the spike.
#[tokio::test]
async fn a_spike_disables_the_runaway_key_at_once_and_only_it() {
    const USD: i64 = 10_000_000_000;
    let (_turn, stack) = stack().await;
    let today = day_from_now(0);
    let t0: chrono::DateTime<chrono::Utc> = format!("{today}T00:00:30Z").parse().expect("a time");
    let stamp = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%dT%H:%M:%SZ").to_string();
    stack.freeze(&stamp(t0));
    let base = stack.worker.base_url.clone();
    let jwt = user_at(&base).await.jwt;
    let account = unique("spiky");
    let admin = stack.key(&account, "management");
    let (runaway, steady) = (
        stack.key(&account, "inference"),
        stack.key(&account, "inference"),
    );
    stored(&base, &jwt, "Admin", &admin, "management").await;
    let mut ids = Vec::new();
    for (name, key) in [("Runaway agent", &runaway), ("Steady", &steady)] {
        // OpenRouter's running total continues the week of readings below:
        // 2 USD an hour for 168 hours.
        stack.spend(&key.hash, &day_from_now(-8), "338");
        let id = stored(&base, &jwt, name, key, "inference").await;
        let rows: Vec<(i64, String, i64)> = (1..=169)
            .map(|back| {
                (
                    id,
                    stamp(t0 - chrono::Duration::hours(back)),
                    2 * USD * (169 - back),
                )
            })
            .collect();
        seed_snapshots(&stack.worker.persist_dir, &rows);
        ids.push(id);
    }
    let b = budget(
        &base,
        &jwt,
        json!({ "api_key_id": null, "amount": "100000", "period": "monthly", "action": "disable", "action_on_spike": true }),
    )
    .await;
    assert_eq!(b["action_on_spike"], true, "{b}");
    stack.sync().await;
    assert!(
        actions_on(&base, &jwt, ids[0]).await.is_empty(),
        "no spike yet"
    );
    // Two runaway hours: one episode, one action.
    for hour in 1..=2 {
        stack.spend(&runaway.hash, &today, "40");
        stack.spend(&steady.hash, &today, "2.1");
        stack.freeze(&stamp(t0 + chrono::Duration::hours(hour)));
        stack.sync().await;
    }
    let actions = actions_on(&base, &jwt, ids[0]).await;
    assert_eq!(actions.len(), 1, "{actions:?}");
    assert_eq!(
        (
            actions[0]["state"].as_str(),
            actions[0]["action"].as_str(),
            actions[0]["trigger"].as_str()
        ),
        (
            Some("applied"),
            Some("disable"),
            Some(format!("spend spike at {today} 00:00 UTC").as_str())
        )
    );
    assert_eq!(stack.seen(&admin, &runaway).await["disabled"], true);
    assert_eq!(stack.patches(&runaway), 1, "acted once");
    assert!(
        actions_on(&base, &jwt, ids[1]).await.is_empty(),
        "the steady key"
    );
    assert_eq!(stack.seen(&admin, &steady).await["disabled"], false);
    let spikes = events_of(&base, &jwt, "spend.spike").await;
    assert!(
        spikes.iter().any(|e| e["api_key_id"] == ids[0]),
        "the spike is told too: {spikes:?}"
    );
}
