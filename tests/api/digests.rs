//! Digests: the cron's weekly digest of the last completed week says
//! exactly what the dashboard and `/api/v1/stats` say for the same days,
//! a re-run of the cron sends nothing more, and a preview sends one.

use chrono::{Datelike, Duration};
use serde_json::json;

use crate::email::confirm;
use crate::helpers::*;

/// The figure after `prefix` up to " USD" in a digest's text.
fn figure_after<'a>(text: &'a str, prefix: &str) -> &'a str {
    let rest = &text[text
        .find(prefix)
        .unwrap_or_else(|| panic!("{prefix:?} in {text}"))..];
    rest[prefix.len()..].split(" USD").next().expect("a figure")
}

#[tokio::test]
async fn a_digest_equals_the_dashboard_and_is_sent_once_per_period() {
    let (user, keys, token) = user_with_keys().await;
    remember_secret(&token);
    // Last completed week (the account is in UTC), and rows around it.
    let back = i64::from(today().weekday().num_days_from_monday());
    let (start, end) = (-back - 7, -back - 1);
    seed(
        &user,
        &keys,
        &[
            (0, start, "openai/gpt-4o", 3, 100, 50, 12_345_678_901),
            (1, start + 3, "anthropic/claude", 2, 10, 5, 7),
            (0, end, "openai/gpt-4o", 1, 1, 1, 30_000_000_000),
            (0, start - 1, "openai/gpt-4o", 1, 1, 1, 5_000_000_000),
            (1, end + 1, "openai/gpt-4o", 1, 1, 1, 9_000_000_000),
        ],
    );
    let address = confirm(&user).await;
    let res = call("PUT", "/api/settings/digest")
        .bearer(&user.jwt)
        .json(&json!({"schedule": "weekly", "channel": "email", "webhook_id": null}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);

    fire_cron("30 * * * *").await;
    let mail = wait_for_mail(&address, 2).await;
    let digest = mail[1].text().to_owned();
    let (from, to) = (day(start), day(end));
    let total = figure_after(&digest, "\n\n");
    assert!(
        digest.contains(&format!("USD spent from {from} to {to}")),
        "{digest}"
    );

    let board = get(&format!(
        "/api/stats/dashboard?start_date={from}&end_date={to}"
    ))
    .bearer(&user.jwt)
    .send()
    .await;
    assert_eq!(board.status, 200, "{}", board.text);
    assert_eq!(board.json["totals"]["total_cost"], total, "{digest}");
    assert_eq!(total, "4.2345678908");
    let stats = get(&format!("/api/v1/stats?start_date={from}&end_date={to}"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(stats.status, 200, "{}", stats.text);
    assert_eq!(stats.json["summary"]["total_cost"], total);
    for key in board.json["keys"].as_array().expect("keys") {
        let name = key["name"].as_str().expect("a name");
        assert_eq!(
            figure_after(&digest, &format!("  - {name}: ")),
            key["cost"].as_str().expect("a cost"),
            "{digest}"
        );
    }
    let previous = figure_after(&digest, "before (");
    assert_eq!(previous, "0.5");

    // A re-run of the cron for the same period sends nothing more.
    fire_cron("30 * * * *").await;
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(mail_to(&address).len(), 2);
    let runs = app().d1(&format!(
        "SELECT status FROM digest_runs WHERE org_id = {}",
        user.org
    ));
    assert_eq!(runs, vec![json!({"status": "sent"})]);

    // A preview sends one: the week so far, as the dashboard says it.
    let res = post("/api/digest/preview").bearer(&user.jwt).send().await;
    assert_eq!(
        (res.status, &res.json["status"]),
        (200, &json!("sent")),
        "{}",
        res.text
    );
    let week = (today() - Duration::days(back))
        .format("%Y-%m-%d")
        .to_string();
    assert_eq!(res.json["period_start"], week);
    let board = get(&format!(
        "/api/stats/dashboard?start_date={week}&end_date={}",
        day(0)
    ))
    .bearer(&user.jwt)
    .send()
    .await;
    assert_eq!(res.json["total_cost"], board.json["totals"]["total_cost"]);
    assert_eq!(wait_for_mail(&address, 3).await.len(), 3);
}

/// To a Slack webhook a digest is `{"text"}`: a preview arrives at once,
/// signed like every delivery; the webhook channel without a webhook is
/// a 422 on `webhook_id`.
#[tokio::test]
async fn a_preview_to_a_slack_webhook_is_its_text() {
    let user = new_user().await;
    let receiver = Receiver::start().await;
    let created = call("POST", "/api/webhooks")
        .bearer(&user.jwt)
        .json(&json!({"name": "digests", "url": format!("{}/digest", receiver.base_url), "format": "slack"}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let secret = created.json["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    remember_secret(&secret);
    let id = created.json["id"].as_i64().expect("an id");
    let res = call("PUT", "/api/settings/digest")
        .bearer(&user.jwt)
        .json(&json!({"schedule": "monthly", "channel": "webhook", "webhook_id": id}))
        .send()
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let res = post("/api/digest/preview").bearer(&user.jwt).send().await;
    assert_eq!(
        (res.status, &res.json["status"]),
        (200, &json!("sent")),
        "{}",
        res.text
    );
    assert_eq!(res.json["kind"], "monthly");
    // Another test's digest cron may also send this account last month's
    // digest (its schedule is monthly): the preview is the one "so far".
    let texts: Vec<(bool, String)> = receiver
        .received("/digest")
        .iter()
        .map(|got| {
            let text = got.json()["text"].as_str().unwrap_or_default().to_owned();
            (got.signed_with(&secret), text)
        })
        .collect();
    let previews: Vec<&(bool, String)> = texts
        .iter()
        .filter(|(_, text)| text.contains("(so far)"))
        .collect();
    assert_eq!(previews.len(), 1, "one preview: {texts:?}");
    let (signed, text) = previews[0];
    assert!(signed, "the preview is signed");
    assert!(text.contains("Monthly OpenRouter spend (so far)"), "{text}");
    assert!(!text.contains(&secret));
    let res = call("PUT", "/api/settings/digest")
        .bearer(&user.jwt)
        .json(&json!({"schedule": "weekly", "channel": "webhook", "webhook_id": null}))
        .send()
        .await;
    assert_eq!(
        (res.status, res.error_field()),
        (422, "webhook_id".to_owned()),
        "{}",
        res.text
    );
}
