//! Spend per member: `/api/v1/stats?group_by=member` splits the range's
//! totals by the person who added each key and by the OpenRouter member who
//! created it, exactly, as OpenRouter's own activity rows add up; the
//! dashboard's overview splits them the same way; a token limited to some
//! keys sees only theirs.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::*;
use crate::sync::{key_id, truth_window, units, user_with_activity, SYNC};

/// The simulator's cost over the window for these keys, in units.
async fn truth_cost(keys: &[&SimKey]) -> i128 {
    let mut total = 0;
    for key in keys {
        total += truth_window(&key.hash)
            .await
            .values()
            .map(|(_, _, _, cost)| cost)
            .sum::<i128>();
    }
    total
}

async fn stats(token: &str, query: &str) -> Res {
    get(&format!(
        "/api/v1/stats?start_date={}&end_date={}{query}",
        day(-30),
        day(0)
    ))
    .bearer(token)
    .send()
    .await
}

#[tokio::test]
async fn stats_split_by_member_add_up_exactly_and_follow_the_token_s_keys() {
    let (owner, keys) = user_with_activity(1).await;
    let org = owner.org.to_string();
    // A member joins the owner's organisation and adds a key of the same
    // OpenRouter account, one another OpenRouter member of it created.
    let member = new_user().await;
    let (_, token) = invite(&owner, owner.org, &member.email, "member").await;
    let joined = accept_invitation(&member, &token).await;
    assert_eq!(joined.status, 200, "{}", joined.text);
    let account = keys[0].1.account.clone();
    let theirs = sim_key(json!({ "account": account, "creator": unique("alice") })).await;
    assert_ne!(theirs.creator_user_id, keys[0].1.creator_user_id);
    remember_secret(&theirs.key);
    let added = post("/api/keys")
        .bearer(&member.jwt)
        .header("X-Organisation", &org)
        .json(&json!({ "name": "member's", "key": theirs.key, "kind": "inference" }))
        .send()
        .await;
    let their_key = key_id(&added).await;
    fire_cron(SYNC).await;

    let (_, everything) = owner.new_token("by member").await;
    let split = stats(&everything, "&group_by=member").await;
    assert_eq!(split.status, 200, "{}", split.text);
    let plain = stats(&everything, "").await;
    assert_eq!(
        split.json["summary"], plain.json["summary"],
        "the same totals"
    );
    assert_eq!(split.json["period"], plain.json["period"]);
    assert!(plain.json.get("by_member").is_none(), "only when asked");

    let rows = split.json["by_member"].as_array().expect("by_member");
    let by_person: BTreeMap<i64, &Value> = rows
        .iter()
        .map(|r| (r["user_id"].as_i64().expect("a person"), r))
        .collect();
    assert_eq!(by_person.len(), 2, "{rows:?}");
    assert_eq!(by_person[&owner.id]["email"], owner.email.as_str());
    assert_eq!(by_person[&member.id]["email"], member.email.as_str());
    let cost = |r: &Value| units(r["total_cost"].as_str().expect("cost"));
    assert_eq!(cost(by_person[&owner.id]), truth_cost(&[&keys[0].1]).await);
    assert_eq!(cost(by_person[&member.id]), truth_cost(&[&theirs]).await);
    let costs: Vec<i128> = rows.iter().map(cost).collect();
    assert!(
        costs.windows(2).all(|w| w[0] >= w[1]),
        "most expensive first: {costs:?}"
    );
    for field in [
        "total_requests",
        "total_tokens_input",
        "total_tokens_output",
    ] {
        let sum: i64 = rows.iter().map(|r| r[field].as_i64().unwrap()).sum();
        assert_eq!(Some(sum), split.json["summary"][field].as_i64(), "{field}");
    }
    assert_eq!(
        costs.iter().sum::<i128>(),
        units(split.json["summary"]["total_cost"].as_str().unwrap())
    );

    // By OpenRouter member: each key's creator as OpenRouter said it.
    let creators = split.json["by_openrouter_member"]
        .as_array()
        .expect("by_openrouter_member");
    let by_creator: BTreeMap<&str, &Value> = creators
        .iter()
        .map(|r| (r["creator_user_id"].as_str().expect("every key synced"), r))
        .collect();
    assert_eq!(by_creator.len(), 2, "{creators:?}");
    for (sim, person) in [(&keys[0].1, owner.id), (&theirs, member.id)] {
        assert_eq!(
            by_creator[sim.creator_user_id.as_str()]["total_cost"],
            by_person[&person]["total_cost"],
            "{} created the key {person} added",
            sim.creator_user_id
        );
    }
    let listed = get("/api/keys").bearer(&owner.jwt).send().await;
    let creator_of = |id: i64| {
        listed.json["items"]
            .as_array()
            .and_then(|keys| keys.iter().find(|k| k["id"] == id))
            .map(|k| (k["added_by"].clone(), k["creator_user_id"].clone()))
    };
    assert_eq!(
        creator_of(their_key),
        Some((json!(member.id), json!(theirs.creator_user_id)))
    );

    // The overview attributes the same range the same way, from its keys.
    let overview = get(&format!(
        "/api/stats/dashboard?start_date={}&end_date={}",
        day(-30),
        day(0)
    ))
    .bearer(&owner.jwt)
    .send()
    .await;
    assert_eq!(overview.status, 200, "{}", overview.text);
    assert_eq!(overview.json["by_member"], split.json["by_member"]);
    assert_eq!(
        overview.json["by_openrouter_member"],
        split.json["by_openrouter_member"]
    );

    // A token limited to the member's key: their row only.
    let limited = post("/api/tokens")
        .bearer(&owner.jwt)
        .json(&json!({ "name": "member's key", "api_key_ids": [their_key] }))
        .send()
        .await;
    assert_eq!(limited.status, 201, "{}", limited.text);
    let limited = limited.json["token"].as_str().expect("token").to_owned();
    remember_secret(&limited);
    let only = stats(&limited, "&group_by=member").await;
    assert_eq!(only.status, 200, "{}", only.text);
    let only_rows = only.json["by_member"].as_array().expect("by_member");
    assert_eq!(only_rows.len(), 1, "{only_rows:?}");
    assert_eq!(only_rows[0]["user_id"], member.id);
    assert_eq!(
        only_rows[0]["total_cost"],
        by_person[&member.id]["total_cost"]
    );
    assert_eq!(
        only.json["by_openrouter_member"],
        json!([by_creator[theirs.creator_user_id.as_str()]])
    );

    let refused = stats(&everything, "&group_by=model").await;
    refused.assert_error(422, "validation_error");
    assert!(refused.text.contains("group_by"), "{}", refused.text);
}
