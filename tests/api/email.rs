//! E-mail through the `send_email` binding, read back from the `.eml`
//! files `wrangler dev` writes (helpers/mailbox.rs): an unconfirmed
//! address gets nothing but its confirmation, a bad or expired link is a
//! JSON 422, a `GET` of a link changes nothing, every message carries
//! RFC 8058 headers whose one-click `POST` stops the mail, and the daily
//! cap holds.

use serde_json::json;

use crate::helpers::*;

async fn set_address(user: &User) -> String {
    let address = format!("{}@example.org", unique("mail"));
    let res = call("PUT", "/api/settings/email")
        .bearer(&user.jwt)
        .json(&json!({"address": address}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json["status"], "unconfirmed");
    assert_eq!(res.json["confirmation"], "sent");
    address
}

async fn status(user: &User) -> serde_json::Value {
    let res = get("/api/settings/email").bearer(&user.jwt).send().await;
    assert_eq!(res.status, 200, "{}", res.text);
    res.json
}

async fn preview(user: &User) -> Res {
    post("/api/digest/preview").bearer(&user.jwt).send().await
}

/// A user with a confirmed address.
pub async fn confirmed_user() -> (User, String) {
    let user = new_user().await;
    let address = confirm(&user).await;
    (user, address)
}

/// Sets and confirms an address for `user`; the address.
pub async fn confirm(user: &User) -> String {
    let address = set_address(user).await;
    let mail = wait_for_mail(&address, 1).await;
    let token = mail[0].token_after("/api/email/confirm").expect("a link");
    let res = post(&format!("/api/email/confirm?token={token}"))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    address
}

#[tokio::test]
async fn an_address_gets_only_its_confirmation_until_confirmed() {
    let user = new_user().await;
    let address = set_address(&user).await;
    let mail = wait_for_mail(&address, 1).await;
    let confirmation = &mail[0];
    assert!(confirmation
        .header("Subject")
        .is_some_and(|s| s.contains("Confirm")));
    assert!(confirmation
        .header("List-Unsubscribe")
        .is_some_and(|v| v.starts_with('<') && v.contains("/api/email/unsubscribe?token=")));
    assert_eq!(
        confirmation.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    let token = confirmation
        .token_after("/api/email/confirm")
        .expect("a link");

    preview(&user).await.assert_error(409, "conflict");
    for bad in [
        "nonsense".to_owned(),
        format!("{token}x"),
        token.replacen(".", ".9", 1),
        // Signed for another account's nonce: the shape is right, the signature not.
        format!("c.{}.99999999999.AAAA", user.org),
        // Expired long ago.
        format!("c.{}.1.AAAA", user.org),
    ] {
        let res = post(&format!("/api/email/confirm?token={bad}"))
            .send()
            .await;
        assert_eq!(res.status, 422, "{bad}: {}", res.text);
        assert_eq!(
            res.json["error"]["code"], "validation_error",
            "{}",
            res.text
        );
    }
    let page = get(&format!("/api/email/confirm?token={token}"))
        .send()
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("<form method=\"post\""), "{}", page.text);
    assert_eq!(
        status(&user).await["status"],
        "unconfirmed",
        "a GET confirms nothing"
    );

    let res = post(&format!("/api/email/confirm?token={token}"))
        .send()
        .await;
    assert_eq!(
        (res.status, &res.json["status"]),
        (200, &json!("confirmed")),
        "{}",
        res.text
    );
    assert_eq!(status(&user).await["status"], "confirmed");
    let res = preview(&user).await;
    assert_eq!(
        (res.status, &res.json["status"]),
        (200, &json!("sent")),
        "{}",
        res.text
    );
    let mail = wait_for_mail(&address, 2).await;
    assert!(
        mail[1].text().contains("OpenRouter spend (so far)"),
        "{:?}",
        mail[1]
    );
    assert_eq!(mail[1].parts.len(), 2, "plain text and HTML");
}

#[tokio::test]
async fn one_click_unsubscribe_stops_the_mail_without_a_session() {
    let (user, address) = confirmed_user().await;
    assert_eq!(preview(&user).await.status, 200);
    let mail = wait_for_mail(&address, 2).await;
    let header = mail[1].header("List-Unsubscribe").expect("the header");
    let token = header
        .split("token=")
        .nth(1)
        .expect("a token")
        .trim_end_matches('>');
    let res = post(&format!("/api/email/unsubscribe?token={token}"))
        .raw(
            "application/x-www-form-urlencoded",
            "List-Unsubscribe=One-Click",
        )
        .send()
        .await;
    assert_eq!(
        (res.status, &res.json["status"]),
        (200, &json!("unsubscribed")),
        "{}",
        res.text
    );
    assert_eq!(status(&user).await["status"], "unsubscribed");
    preview(&user).await.assert_error(409, "conflict");
    let old = mail[0].token_after("/api/email/confirm").expect("a link");
    post(&format!("/api/email/confirm?token={old}"))
        .send()
        .await
        .assert_error(409, "conflict");
    assert_eq!(
        status(&user).await["status"],
        "unsubscribed",
        "an old link undoes nothing"
    );
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(mail_to(&address).len(), 2, "nothing after unsubscribing");
}

#[tokio::test]
async fn the_daily_cap_holds_and_is_reported() {
    let (user, address) = confirmed_user().await;
    let cap = status(&user).await["daily_cap"].as_i64().expect("a cap");
    // The confirmation was the first of the day's messages.
    for n in 2..=cap {
        let res = preview(&user).await;
        assert_eq!(
            (res.status, &res.json["status"]),
            (200, &json!("sent")),
            "{n}: {}",
            res.text
        );
    }
    let res = preview(&user).await;
    assert_eq!(
        (res.status, &res.json["status"]),
        (200, &json!("capped")),
        "{}",
        res.text
    );
    let shown = status(&user).await;
    assert_eq!(
        (shown["sent_today"].as_i64(), shown["capped_today"].as_i64()),
        (Some(cap), Some(1))
    );
    wait_for_mail(&address, usize::try_from(cap).expect("a count")).await;
}

/// Alerts by e-mail: an account that asked for warnings gets the alerts of
/// an hourly check in one message to its confirmed address, with the
/// unsubscribe headers; a second check that raises nothing new sends
/// nothing more; `critical` leaves a threshold (a warning) out; a bad
/// level is a 422 naming the field.
#[tokio::test]
async fn alerts_come_by_e_mail_once_at_the_severity_asked_for() {
    let (user, address) = confirmed_user().await;
    let sim = sim_key(json!({ "generate": false })).await;
    let key = user.add_key("Mailed", &sim.key, "inference").await;
    assert_eq!(key.status, 201, "{}", key.text);
    let key_id = key.json["id"].as_i64().expect("an id");
    let budget = post("/api/budgets")
        .bearer(&user.jwt)
        .json(&json!({ "api_key_id": key_id, "amount": "1", "period": "daily" }))
        .send()
        .await;
    assert_eq!(budget.status, 201, "{}", budget.text);
    let bad = call("PATCH", "/api/settings")
        .bearer(&user.jwt)
        .json(&json!({ "alert_emails": "loud" }))
        .send()
        .await;
    bad.assert_error(422, "validation_error");
    assert_eq!(bad.error_field(), "alert_emails");
    let set = call("PATCH", "/api/settings")
        .bearer(&user.jwt)
        .json(&json!({ "alert_emails": "warning" }))
        .send()
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.json["alert_emails"], "warning");

    spend_today(&sim, "0.6").await;
    fire_cron("0 * * * *").await;
    // The confirmation, then one message with the 50 % alert.
    let mail = wait_for_mail(&address, 2).await;
    let alert = &mail[1];
    assert!(
        alert.text().contains("[warning]") && alert.text().contains("50"),
        "{}",
        alert.text()
    );
    assert!(alert.text().contains("#/alerts"), "{}", alert.text());
    assert_eq!(
        alert.header("List-Unsubscribe-Post"),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(!alert.text().contains(&sim.key), "no key in a message");
    fire_cron("0 * * * *").await;
    assert_eq!(mail_to(&address).len(), 2, "nothing new, nothing sent");

    // Critical only: the 80 % threshold (a warning) raises an event and no mail.
    let set = call("PATCH", "/api/settings")
        .bearer(&user.jwt)
        .json(&json!({ "alert_emails": "critical" }))
        .send()
        .await;
    assert_eq!(set.json["alert_emails"], "critical", "{}", set.text);
    spend_today(&sim, "0.3").await;
    fire_cron("0 * * * *").await;
    let events = get("/api/alerts").bearer(&user.jwt).send().await;
    let thresholds = events.json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|e| e["type"] == "budget.threshold_reached")
        .count();
    assert_eq!(thresholds, 2, "{}", events.text);
    assert_eq!(mail_to(&address).len(), 2, "a warning is not critical");
}
