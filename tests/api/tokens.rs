//! API tokens: created once, listed, revoked at once.

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn the_plaintext_is_shown_once_and_only_its_hash_is_stored() {
    let user = new_user().await;
    let res = post("/api/tokens")
        .bearer(&user.jwt)
        .json(&json!({ "name": "grafana" }))
        .send()
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let token = res.json["token"].as_str().unwrap().to_owned();
    remember_secret(&token);
    assert!(token.starts_with("or_api_") && token.len() == 50, "{token}");
    assert_eq!(res.json["name"], "grafana");

    let list = get("/api/tokens").bearer(&user.jwt).send().await;
    assert_eq!(list.status, 200);
    assert!(!list.text.contains(&token));
    let item = &list.json[0];
    assert_eq!(item["name"], "grafana");
    assert_eq!(item["is_active"], true);
    assert!(item["last_used_at"].is_null());
    assert!(item.get("token").is_none());

    let rows = app().d1(&format!(
        "SELECT token_hash, token_prefix FROM api_tokens WHERE org_id = {}",
        user.org
    ));
    let hash = rows[0]["token_hash"].as_str().unwrap();
    assert_eq!(hash.len(), 64);
    assert!(hash
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert!(!rows[0].to_string().contains(&token[7..]));
}

#[tokio::test]
async fn names_are_validated() {
    let user = new_user().await;
    for body in [
        json!({ "name": "" }),
        json!({ "name": "n".repeat(101) }),
        json!({}),
        json!({ "name": 5 }),
    ] {
        let res = post("/api/tokens")
            .bearer(&user.jwt)
            .json(&body)
            .send()
            .await;
        res.assert_error(422, "validation_error");
        assert_eq!(res.error_field(), "name");
    }
}

#[tokio::test]
async fn revoked_tokens_stop_working_at_once() {
    let user = new_user().await;
    let (id, token) = user.new_token("ci").await;
    assert_eq!(get("/api/v1/keys").bearer(&token).send().await.status, 200);
    let res = call("DELETE", &format!("/api/tokens/{id}"))
        .bearer(&user.jwt)
        .send()
        .await;
    assert_eq!(res.status, 204, "{}", res.text);
    let res = get("/api/v1/keys").bearer(&token).send().await;
    res.assert_error(401, "unauthorized");
    let list = get("/api/tokens").bearer(&user.jwt).send().await;
    assert_eq!(list.json[0]["is_active"], false);
    let rows = app().d1(&format!(
        "SELECT is_active, revoked_at FROM api_tokens WHERE id = {id}"
    ));
    assert_eq!(rows[0]["is_active"], 0);
    assert!(rows[0]["revoked_at"].is_string());
}

#[tokio::test]
async fn tokens_of_another_user_are_404() {
    let alice = new_user().await;
    let bob = new_user().await;
    let (id, token) = alice.new_token("mine").await;
    call("DELETE", &format!("/api/tokens/{id}"))
        .bearer(&bob.jwt)
        .send()
        .await
        .assert_error(404, "not_found");
    let bobs = get("/api/tokens").bearer(&bob.jwt).send().await;
    assert_eq!(bobs.json, json!([]));
    assert_eq!(
        get("/api/v1/keys").bearer(&token).send().await.status,
        200,
        "still alive"
    );
}

#[tokio::test]
async fn at_most_25_active_tokens() {
    let user = new_user().await;
    let mut first = None;
    for i in 0..25 {
        let (id, _) = user.new_token(&format!("t{i}")).await;
        first.get_or_insert(id);
    }
    post("/api/tokens")
        .bearer(&user.jwt)
        .json(&json!({ "name": "one too many" }))
        .send()
        .await
        .assert_error(409, "conflict");
    let id = first.unwrap();
    assert_eq!(
        call("DELETE", &format!("/api/tokens/{id}"))
            .bearer(&user.jwt)
            .send()
            .await
            .status,
        204
    );
    assert_eq!(
        post("/api/tokens")
            .bearer(&user.jwt)
            .json(&json!({ "name": "room again" }))
            .send()
            .await
            .status,
        201
    );
}
