//! Webhook channels and filters (README, "Webhooks: channels, filters,
//! severities") against the real Worker and a local receiver: each format's
//! test delivery arrives in its service's shape with its headers; a webhook
//! filtered to `key` kinds or to `critical` gets no warning-level budget
//! alert; bad filters are 422 naming the field; and migration 0013 keeps
//! every webhook and delivery.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::sync::SYNC;

const ROUTING_KEY: &str = "R0chAnnelsTestKey0123456789abcde";
const OTHER_KEY: &str = "R1chAnnelsOtherKey123456789abcde";

async fn send(method: &str, path: &str, jwt: &str, body: Value) -> Res {
    call(method, path).bearer(jwt).json(&body).send().await
}

/// A webhook to `receiver` at `/<path>`: its id.
async fn hook(jwt: &str, receiver: &Receiver, path: &str, extra: Value) -> i64 {
    let mut body = json!({ "name": unique(path), "url": format!("{}/{path}", receiver.base_url) });
    if let (Some(out), Value::Object(more)) = (body.as_object_mut(), extra) {
        out.extend(more);
    }
    let res = send("POST", "/api/webhooks", jwt, body).await;
    assert_eq!(res.status, 201, "{}", res.text);
    remember_secret(res.json["secret"].as_str().expect("the secret, once"));
    res.json["id"].as_i64().expect("id")
}

/// The one request `path` received.
fn one(receiver: &Receiver, path: &str) -> Received {
    let got = receiver.received(&format!("/{path}"));
    assert_eq!(got.len(), 1, "{path}: {got:?}");
    got.into_iter().next().expect("one")
}

#[tokio::test]
async fn every_channel_gets_its_test_delivery_in_its_shape() {
    remember_secret(ROUTING_KEY);
    let user = new_user().await;
    let receiver = Receiver::start().await;
    let mut ids = BTreeMap::new();
    for format in ["json", "slack", "discord", "teams", "ntfy"] {
        ids.insert(
            format,
            hook(&user.jwt, &receiver, format, json!({ "format": format })).await,
        );
    }
    let pd = json!({ "format": "pagerduty", "routing_key": ROUTING_KEY });
    ids.insert(
        "pagerduty",
        hook(&user.jwt, &receiver, "pagerduty", pd).await,
    );
    let mut event_ids = BTreeMap::new();
    for (format, id) in &ids {
        let res = send(
            "POST",
            &format!("/api/webhooks/{id}/test"),
            &user.jwt,
            json!({}),
        )
        .await;
        assert_eq!(res.status, 200, "{format}: {}", res.text);
        assert_eq!(res.json["status"], "delivered", "{format}: {}", res.text);
        event_ids.insert(*format, res.json["event"]["id"].as_i64().expect("event id"));
    }
    let text = "Test event from OpenRouter Watcher: this webhook receives alerts.";

    let json_body = one(&receiver, "json").json();
    assert_eq!(json_body["event"]["type"], "test");
    assert_eq!(one(&receiver, "slack").json(), json!({ "text": text }));

    let discord = one(&receiver, "discord").json();
    assert_eq!(discord["content"], "[info] Test");
    assert_eq!(discord["embeds"][0]["title"], "Test");
    assert_eq!(discord["embeds"][0]["description"], text);
    assert_eq!(discord["allowed_mentions"], json!({ "parse": [] }));

    let teams = one(&receiver, "teams").json();
    assert_eq!(teams["type"], "message");
    let attachment = &teams["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert_eq!(attachment["content"]["type"], "AdaptiveCard");
    assert_eq!(attachment["content"]["body"][1]["text"], text);

    let pagerduty = one(&receiver, "pagerduty").json();
    assert_eq!(pagerduty["routing_key"], ROUTING_KEY);
    assert_eq!(pagerduty["event_action"], "trigger");
    assert_eq!(
        pagerduty["dedup_key"],
        format!("orw:event:{}", event_ids["pagerduty"])
    );
    assert_eq!(pagerduty["payload"]["summary"], text);
    assert_eq!(pagerduty["payload"]["severity"], "info");
    assert_eq!(pagerduty["payload"]["source"], "OpenRouter account");

    let ntfy = one(&receiver, "ntfy");
    assert_eq!(ntfy.headers["content-type"], "text/plain; charset=utf-8");
    assert_eq!(ntfy.headers["title"], "OpenRouter Watcher: Test");
    assert_eq!(ntfy.headers["priority"], "3");
    assert_eq!(ntfy.headers["tags"], "information_source,test");
    assert_eq!(String::from_utf8(ntfy.body.clone()).unwrap(), text);

    for format in ids.keys() {
        let got = one(&receiver, format);
        if *format != "ntfy" {
            assert_eq!(got.headers["content-type"], "application/json", "{format}");
        }
        assert_eq!(got.headers["x-watcher-event"], "test", "{format}");
        assert!(got.headers.contains_key("x-watcher-signature"), "{format}");
    }
    let shown = call("GET", &format!("/api/webhooks/{}", ids["pagerduty"]))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(shown.json["has_routing_key"], true);
    assert_eq!(shown.json["format"], "pagerduty");
    assert!(
        !shown.text.contains(ROUTING_KEY),
        "the routing key is never shown"
    );
}

#[tokio::test]
async fn a_warning_budget_alert_skips_key_only_and_critical_only_webhooks() {
    let user = new_user().await;
    let sim = sim_key(json!({ "generate": false })).await;
    let key = user.add_key("Filtered", &sim.key, "inference").await;
    assert_eq!(key.status, 201, "{}", key.text);
    let key_id = key.json["id"].as_i64().unwrap();
    let budget = json!({ "api_key_id": key_id, "amount": "1", "period": "daily" });
    assert_eq!(
        send("POST", "/api/budgets", &user.jwt, budget).await.status,
        201
    );
    let receiver = Receiver::start().await;
    let all = hook(&user.jwt, &receiver, "all", json!({})).await;
    let keys = hook(
        &user.jwt,
        &receiver,
        "keys",
        json!({ "event_kinds": ["key"] }),
    )
    .await;
    let critical = hook(
        &user.jwt,
        &receiver,
        "critical",
        json!({ "min_severity": "critical" }),
    )
    .await;

    spend_today(&sim, "0.6").await;
    fire_cron(SYNC).await;
    settle_job_runs().await;

    // The event and its deliveries are written by one batch: once the
    // unfiltered webhook has its delivery, the others would have theirs.
    let got = receiver.received("/all");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].json()["event"]["type"], "budget.threshold_reached");
    for (path, id) in [("/keys", keys), ("/critical", critical)] {
        assert!(receiver.received(path).is_empty(), "{path} got a warning");
        let log = call("GET", &format!("/api/webhooks/{id}/deliveries"))
            .bearer(&user.jwt)
            .send()
            .await;
        assert_eq!(log.json["pagination"]["total"], 0, "{path}: {}", log.text);
    }
    let log = call("GET", &format!("/api/webhooks/{all}/deliveries"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(log.json["pagination"]["total"], 1, "{}", log.text);
}

#[tokio::test]
async fn bad_filters_and_routing_keys_are_422_naming_the_field() {
    remember_secret(ROUTING_KEY);
    remember_secret(OTHER_KEY);
    let user = new_user().await;
    let receiver = Receiver::start().await;
    let url = format!("{}/x", receiver.base_url);
    for (body, field) in [
        (json!({ "event_kinds": ["budgets"] }), "event_kinds"),
        (json!({ "event_kinds": [] }), "event_kinds"),
        (json!({ "min_severity": "urgent" }), "min_severity"),
        (json!({ "format": "pagerduty" }), "routing_key"),
        (
            json!({ "format": "pagerduty", "routing_key": "short" }),
            "routing_key",
        ),
        (
            json!({ "format": "json", "routing_key": ROUTING_KEY }),
            "routing_key",
        ),
        (json!({ "format": "email" }), "format"),
    ] {
        let mut full = json!({ "name": unique("bad"), "url": url });
        full.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let res = send("POST", "/api/webhooks", &user.jwt, full).await;
        res.assert_error(422, "validation_error");
        assert_eq!(res.error_field(), field, "{body}: {}", res.text);
    }
    let pd = json!({ "format": "pagerduty", "routing_key": ROUTING_KEY, "event_kinds": ["budget", "key.disabled"] });
    let id = hook(&user.jwt, &receiver, "pd", pd).await;
    let path = format!("/api/webhooks/{id}");
    let bad = send("PATCH", &path, &user.jwt, json!({ "min_severity": "loud" })).await;
    assert_eq!(
        (bad.status, bad.error_field()),
        (422, "min_severity".to_owned())
    );
    let changed = send(
        "PATCH",
        &path,
        &user.jwt,
        json!({ "event_kinds": null, "min_severity": "warning" }),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        (&changed.json["event_kinds"], &changed.json["min_severity"]),
        (&Value::Null, &json!("warning"))
    );
    let json_now = send("PATCH", &path, &user.jwt, json!({ "format": "json" })).await;
    assert_eq!(
        json_now.json["has_routing_key"], false,
        "leaving pagerduty forgets the key"
    );
    let back = send("PATCH", &path, &user.jwt, json!({ "format": "pagerduty" })).await;
    assert_eq!(
        (back.status, back.error_field()),
        (422, "routing_key".to_owned())
    );

    let again = send(
        "PATCH",
        &path,
        &user.jwt,
        json!({ "format": "pagerduty", "routing_key": OTHER_KEY }),
    )
    .await;
    assert_eq!(
        (again.status, &again.json["has_routing_key"]),
        (200, &json!(true)),
        "{}",
        again.text
    );
    let tested = send("POST", &format!("{path}/test"), &user.jwt, json!({})).await;
    assert_eq!(tested.json["status"], "delivered", "{}", tested.text);
    assert_eq!(
        one(&receiver, "pd").json()["routing_key"],
        OTHER_KEY,
        "the new key, sealed and opened"
    );
    let forgot_at = send("PATCH", &path, &user.jwt, json!({ "format": "json" })).await;
    assert_eq!(forgot_at.json["has_routing_key"], false);

    // The audit log says what happened to the routing key, never what it is.
    let audit = call("GET", "/api/audit?kind=webhook")
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(audit.status, 200, "{}", audit.text);
    assert!(
        !audit.text.contains(ROUTING_KEY),
        "the routing key is in the audit log"
    );
    let entries = audit.json["items"].as_array().expect("items");
    let forgot = &entries[0];
    assert_eq!(forgot["kind"], "webhook.updated", "{forgot}");
    assert_eq!(
        (
            &forgot["before"]["routing_key"],
            &forgot["after"]["routing_key"]
        ),
        (&json!("set"), &json!("none"))
    );
    let created = entries
        .iter()
        .find(|e| e["kind"] == "webhook.created")
        .expect("the creation");
    assert_eq!(created["after"]["routing_key"], "created", "{created}");
    assert_eq!(
        created["after"]["event_kinds"],
        r#"["budget","key.disabled"]"#
    );
}

/// Migration 0013 rebuilds `webhooks` (and sets `webhook_deliveries`
/// aside around it). On a database migrated to just before it, with
/// foreign keys enforced as D1 enforces them, every webhook and delivery
/// comes through, column for column, and the cascade still holds.
#[test]
fn migration_0013_keeps_every_webhook_and_delivery() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
    let dir = root().join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let (before, this): (Vec<_>, Vec<_>) = files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .partition(|p| p.file_name().unwrap().to_string_lossy().as_ref() < "0013");
    for file in &before {
        db.execute_batch(&std::fs::read_to_string(file).unwrap())
            .unwrap();
    }
    db.execute_batch(
        "INSERT INTO users (id, email, password_hash, created_at, updated_at)
             VALUES (1, 'a@example.com', '$argon2id$x', 't', 't');
         INSERT INTO webhooks (id, user_id, name, url, format, secret_ciphertext, secret_nonce,
                 is_active, created_at, updated_at, created_by_session)
             VALUES (4, 1, 'one', 'https://a.example/h', 'slack', 'c1', 'n1', 1, 't1', 'u1', 's1'),
                    (9, 1, 'two', 'https://b.example/h', 'json', 'c2', 'n2', 0, 't2', 'u2', NULL);
         INSERT INTO alert_events (id, user_id, dedup_key, type, api_key_id, payload, created_at)
             VALUES (1, 1, 'd1', 'test', NULL, '{}', 't'), (2, 1, 'd2', 'test', NULL, '{}', 't');
         INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, claimed_until, attempts,
                 attempt_count, created_at, updated_at, delivered_at, next_attempt_at)
             VALUES (11, 4, 1, 'delivered', NULL, '[{\"status_code\":200}]', 1, 'c', 'u', 'd', NULL),
                    (12, 9, 1, 'retrying', 'x', '[]', 3, 'c', 'u', NULL, 'n'),
                    (13, 9, 2, 'pending', NULL, '[]', 0, 'c', 'u', NULL, NULL);",
    )
    .unwrap();
    let dump = |sql: &str| -> Vec<Vec<String>> {
        let mut statement = db.prepare(sql).unwrap();
        let columns = statement.column_count();
        statement
            .query_map([], |row| {
                Ok((0..columns)
                    .map(|i| match row.get_ref(i).unwrap() {
                        rusqlite::types::ValueRef::Null => "NULL".to_owned(),
                        rusqlite::types::ValueRef::Integer(n) => n.to_string(),
                        rusqlite::types::ValueRef::Text(t) => String::from_utf8_lossy(t).into(),
                        other => format!("{other:?}"),
                    })
                    .collect())
            })
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let hooks = "SELECT id, user_id, name, url, format, secret_ciphertext, secret_nonce, is_active,
                        created_at, updated_at, created_by_session FROM webhooks ORDER BY id";
    let deliveries = "SELECT * FROM webhook_deliveries ORDER BY id";
    let (hooks_before, deliveries_before) = (dump(hooks), dump(deliveries));
    // A column another migration before 0013 adds to either table must be
    // carried by its rebuild too.
    let columns = "SELECT name FROM pragma_table_info('webhooks')
                   UNION ALL SELECT 'd.' || name FROM pragma_table_info('webhook_deliveries')";
    let columns_before = dump(columns);
    assert_eq!((hooks_before.len(), deliveries_before.len()), (2, 3));

    let migration = this
        .iter()
        .find(|p| p.to_string_lossy().contains("0013_channels"))
        .unwrap();
    db.execute_batch(&std::fs::read_to_string(migration).unwrap())
        .unwrap();

    let columns_after = dump(columns);
    for column in &columns_before {
        assert!(columns_after.contains(column), "{column:?} lost by 0013");
    }
    assert_eq!(
        dump(hooks),
        hooks_before,
        "every webhook, column for column"
    );
    assert_eq!(
        dump(deliveries),
        deliveries_before,
        "every delivery, column for column"
    );
    assert_eq!(
        dump("SELECT event_kinds, min_severity, routing_key_ciphertext FROM webhooks WHERE id = 4"),
        [["NULL", "info", "NULL"].map(String::from).to_vec()]
    );
    assert!(dump("PRAGMA foreign_key_check").is_empty());
    db.execute_batch("DELETE FROM webhooks WHERE id = 9;")
        .unwrap();
    assert_eq!(
        dump(deliveries).len(),
        1,
        "deleting a webhook still deletes its deliveries"
    );
    let refused = db.execute_batch(
        "INSERT INTO webhooks (user_id, name, url, format, created_at, updated_at)
             VALUES (1, 'x', 'https://c.example/h', 'email', 't', 't')",
    );
    assert!(refused.is_err(), "the format's CHECK holds");
}
