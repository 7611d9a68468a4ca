//! Where a digest goes: the account's confirmed address (HTML and plain
//! text), or one of its webhooks (the plain text as the event's message,
//! which a Slack-compatible webhook shows as `{"text"}`).

use super::period::Period;
use super::render::{self, Digest};
use crate::app::App;
use crate::clock;
use crate::email::send::{self, Letter};
use crate::error::AppResult;
use crate::keys::vault::Vault;
use crate::store::{self, digests::SettingsRow, events::EventWrite};
use crate::webhooks::deliver::Sender;

/// When a webhook delivery is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Once, now, in the caller's request (a preview).
    Now,
    /// Queued with the alerts' retries (the cron sends what is due after).
    Queued,
}

/// A digest's fate: `sent`, `capped`, `failed` or `skipped` (no
/// confirmed address, or no usable webhook), and why.
pub struct Fate {
    pub status: &'static str,
    pub detail: Option<String>,
}

fn skipped(why: &str) -> Fate {
    Fate {
        status: "skipped",
        detail: Some(why.to_owned()),
    }
}

pub async fn deliver(
    app: &App,
    org_id: i64,
    settings: &SettingsRow,
    digest: &Digest,
    timing: Timing,
) -> AppResult<Fate> {
    match settings.channel.as_str() {
        "webhook" => to_webhook(app, org_id, settings.webhook_id, digest, timing).await,
        _ => by_email(app, org_id, digest).await,
    }
}

async fn by_email(app: &App, org_id: i64, digest: &Digest) -> AppResult<Fate> {
    let db = app.db()?;
    let Some(address) = store::email::get(&db, org_id).await? else {
        return Ok(skipped("no e-mail address"));
    };
    if address.status != "confirmed" {
        return Ok(skipped("the e-mail address is not confirmed"));
    }
    let (text, html) = (render::text(digest), render::html(digest));
    let outcome = send::send(
        app,
        &Letter {
            org_id,
            to: &address.address,
            nonce: Some(&address.nonce),
            purpose: if digest.preview { "preview" } else { "digest" },
            subject: &render::subject(digest),
            text: &text,
            html: Some(&html),
        },
    )
    .await?;
    Ok(Fate {
        status: outcome.as_str(),
        detail: None,
    })
}

fn event_kind(period: &Period) -> &'static str {
    match period.kind {
        super::period::DigestKind::Weekly => "digest.weekly",
        super::period::DigestKind::Monthly => "digest.monthly",
    }
}

async fn to_webhook(
    app: &App,
    org_id: i64,
    webhook_id: Option<i64>,
    digest: &Digest,
    timing: Timing,
) -> AppResult<Fate> {
    let (db, Some(id)) = (app.db()?, webhook_id) else {
        return Ok(skipped("no webhook chosen"));
    };
    let Some(hook) = store::webhooks::get(&db, org_id, id).await? else {
        return Ok(skipped("the webhook was deleted"));
    };
    if !hook.is_active {
        return Ok(skipped("the webhook is disabled"));
    }
    let now = clock::now();
    let kind = event_kind(&digest.period);
    let write = EventWrite {
        // A preview is its own event each time; a period's digest is one.
        dedup_key: match digest.preview {
            true => format!("{kind}:preview:{}", now.timestamp_millis()),
            false => format!("{kind}:{}", digest.period.start),
        },
        kind,
        api_key_id: None,
        payload: serde_json::json!({
            "type": kind,
            "message": render::text(digest),
            "period_start": digest.period.start.to_string(),
            "period_end": digest.period.end.to_string(),
            "total_cost": digest.total,
        })
        .to_string(),
    };
    let Some(delivery) =
        store::alerts::insert_test(&db, org_id, id, &write, &clock::timestamp(now)).await?
    else {
        return Ok(skipped("already delivered"));
    };
    if timing == Timing::Now {
        let vault = Vault::new(&app.encryption_key()?);
        let sender = Sender {
            db: &db,
            vault: &vault,
            policy: app.config.webhook_policy,
        };
        sender.test(delivery).await?;
        let row = store::webhooks::delivery(&db, delivery).await?;
        let delivered = row.is_some_and(|r| r.status.as_str() == "delivered");
        return Ok(Fate {
            status: if delivered { "sent" } else { "failed" },
            detail: Some(format!("webhook delivery {delivery}")),
        });
    }
    Ok(Fate {
        status: "sent",
        detail: Some(format!("webhook delivery {delivery} queued")),
    })
}
