//! Reading the audit log: newest first, filters by kind (exact or family)
//! and key, pages, the CSV export, one account's entries only; kept one
//! year by the weekly cleanup and deleted with the account.

use serde_json::{json, Value};

use crate::helpers::*;

const CLEANUP: &str = "0 3 * * 0";

async fn audit(user: &User, query: &str) -> Res {
    get(&format!("/api/audit{query}"))
        .bearer(&user.jwt)
        .send()
        .await
}

fn kinds(res: &Res) -> Vec<String> {
    res.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["kind"].as_str().expect("kind").to_owned())
        .collect()
}

async fn add_key(user: &User, name: &str) -> i64 {
    let sim = sim_key(json!({})).await;
    remember_secret(&sim.key);
    let res = user.add_key(name, &sim.key, "inference").await;
    assert_eq!(res.status, 201, "{}", res.text);
    res.json["id"].as_i64().expect("id")
}

async fn send_ok(call: Call) -> Res {
    let res = call.send().await;
    assert!((200..300).contains(&res.status), "{}", res.text);
    res
}

#[tokio::test]
async fn newest_first_filtered_by_kind_or_family_and_key_in_pages_and_as_csv() {
    let user = new_user().await;
    let first = add_key(&user, "first").await;
    send_ok(
        call("PATCH", &format!("/api/keys/{first}"))
            .bearer(&user.jwt)
            .json(&json!({"name": "first, renamed"})),
    )
    .await;
    send_ok(
        post("/api/budgets")
            .bearer(&user.jwt)
            .json(&json!({"api_key_id": first, "amount": "5", "period": "daily"})),
    )
    .await;
    send_ok(
        call("PATCH", "/api/settings")
            .bearer(&user.jwt)
            .json(&json!({"tz": "Asia/Kolkata"})),
    )
    .await;
    let second = add_key(&user, "=second").await;
    send_ok(call("DELETE", &format!("/api/keys/{first}")).bearer(&user.jwt)).await;

    let all = audit(&user, "").await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(
        kinds(&all),
        [
            "key.deleted",
            "key.created",
            "settings.updated",
            "budget.created",
            "key.updated",
            "key.created",
            "account.created"
        ]
    );
    let ids: Vec<i64> = all.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    let family = audit(&user, "?kind=key").await;
    assert_eq!(
        kinds(&family),
        ["key.deleted", "key.created", "key.updated", "key.created"]
    );
    let exact = audit(&user, "?kind=key.created").await;
    assert_eq!(exact.json["pagination"]["total"], 2);

    // A deleted key's history stays, under its id.
    let of_first = audit(&user, &format!("?api_key_id={first}")).await;
    assert_eq!(
        kinds(&of_first),
        [
            "key.deleted",
            "budget.created",
            "key.updated",
            "key.created"
        ]
    );
    let both = audit(&user, &format!("?api_key_id={second}&kind=key")).await;
    assert_eq!(kinds(&both), ["key.created"]);
    assert_eq!(both.json["items"][0]["subject"], "=second");

    let page = audit(&user, "?limit=2&page=2").await;
    assert_eq!(kinds(&page), ["settings.updated", "budget.created"]);
    assert_eq!(
        page.json["pagination"],
        json!({"page": 2, "limit": 2, "total": 7, "pages": 4})
    );
    let past = audit(&user, "?page=9").await;
    assert_eq!(
        (kinds(&past).len(), &past.json["pagination"]["total"]),
        (0, &json!(7))
    );

    for bad in ["?kind=keys", "?kind=", "?kind=key.", "?api_key_id=0"] {
        let res = audit(&user, bad).await;
        res.assert_error(422, "validation_error");
    }

    let csv = get("/api/audit.csv?kind=key")
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    assert!(csv
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/csv")));
    let lines: Vec<&str> = csv.text.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,at,actor,actor_user_id,kind,api_key_id,subject,before,after,reference"
    );
    assert_eq!(lines.len(), 5, "{}", csv.text);
    assert!(
        lines[2].contains(",key.created,") && lines[2].contains(",'=second,"),
        "a formula is neutralised: {}",
        lines[2]
    );
    let renamed = lines[3];
    assert!(
        renamed.contains(r#","{""name"":""first""}","{""name"":""first, renamed""}","#),
        "before and after as quoted JSON: {renamed}"
    );
}

#[tokio::test]
async fn an_account_sees_only_its_own_entries() {
    let (mine, theirs) = (new_user().await, new_user().await);
    let key = add_key(&theirs, "theirs").await;
    let res = audit(&mine, &format!("?api_key_id={key}")).await;
    assert_eq!(res.json["pagination"]["total"], 0, "{}", res.text);
    let all = audit(&mine, "").await;
    assert_eq!(kinds(&all), ["account.created"]);
}

fn entries_of(user_id: i64) -> i64 {
    app().d1(&format!(
        "SELECT COUNT(*) AS n FROM audit_log WHERE org_id = {user_id}"
    ))[0]["n"]
        .as_i64()
        .unwrap_or(-1)
}

#[tokio::test]
async fn deleting_the_account_deletes_its_audit_log() {
    let user = new_user().await;
    add_key(&user, "doomed").await;
    user.new_token("doomed").await;
    assert_eq!(entries_of(user.org), 3);
    let deleted = call("DELETE", "/api/auth/me")
        .bearer(&user.jwt)
        .json(&json!({"password": PASSWORD}))
        .send()
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert_eq!(entries_of(user.org), 0, "no entry outlives its account");
}

#[tokio::test]
async fn the_weekly_cleanup_keeps_a_year() {
    let user = new_user().await;
    let at = |days: i64| {
        (chrono::Utc::now() - chrono::Duration::days(days))
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string()
    };
    app().d1(&format!(
        "INSERT INTO audit_log (org_id, at, actor, actor_user_id, kind, subject, after)
         VALUES ({org}, '{old}', 'user', {uid}, 'key.created', 'too old', '{{}}'),
                ({org}, '{kept}', 'product', NULL, 'key.updated', 'kept', NULL)",
        org = user.org,
        uid = user.id,
        old = at(366),
        kept = at(364),
    ));
    fire_cron(CLEANUP).await;
    let subjects: Vec<Value> = audit(&user, "").await.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| item["subject"].clone())
        .collect();
    assert_eq!(
        subjects,
        [json!("kept"), json!(user.email)],
        "older than a year: gone"
    );
}
