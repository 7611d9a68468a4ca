//! The hourly digest cron (`30 * * * *`, half an hour after the sync):
//! for each account that wants digests, the last completed week or month
//! in its time zone is claimed in `digest_runs` (unique per account, kind
//! and period) before anything is sent, so a re-run or an overlapping run
//! sends nothing twice. An account whose channel is not ready (no
//! confirmed address, no webhook) is not claimed: its digest goes out once
//! it is.

use chrono::{DateTime, Utc};
use worker::D1Database;

use super::deliver::{self, Fate, Timing};
use super::gather::{self, Asked};
use super::period::{self, DigestKind};
use crate::app::App;
use crate::clock;
use crate::domain::tz::Zone;
use crate::error::{AppError, AppResult};
use crate::keys::vault::Vault;
use crate::store::{self, digests::Subscriber, job_runs::RunOutcome};

/// Accounts read per page.
const PAGE: i64 = 100;
/// Digests one run sends at most (each costs a few D1 reads and one send);
/// the rest wait for the next hour, their periods still unclaimed.
const MAX_PER_RUN: i64 = 100;

pub fn kinds(schedule: &str) -> &'static [DigestKind] {
    match schedule {
        "weekly" => &[DigestKind::Weekly],
        "monthly" => &[DigestKind::Monthly],
        "both" => &[DigestKind::Weekly, DigestKind::Monthly],
        _ => &[],
    }
}

/// `keys_ok` counts the digests sent, `keys_failed` those that failed,
/// `keys_deferred` those refused by the e-mail cap.
pub async fn run(app: &App) -> AppResult<RunOutcome> {
    let db = app.db()?;
    let now = clock::now();
    let mut outcome = RunOutcome::default();
    let mut after = 0;
    'pages: loop {
        let page = store::digests::subscribers(&db, after, PAGE).await?;
        for sub in &page {
            after = sub.org_id;
            for kind in kinds(&sub.schedule) {
                if outcome.keys_ok.saturating_add(outcome.keys_failed) >= MAX_PER_RUN {
                    break 'pages;
                }
                match one(app, &db, sub, *kind, now).await {
                    Ok(None) => {}
                    Ok(Some(fate)) => count(&mut outcome, &fate),
                    Err(e) => {
                        worker::console_error!("digest of account {}: {e}", sub.org_id);
                        outcome.keys_failed = outcome.keys_failed.saturating_add(1);
                    }
                }
            }
        }
        if i64::try_from(page.len()).unwrap_or(0) < PAGE {
            break;
        }
    }
    send_queued(app, &db).await;
    Ok(outcome)
}

fn count(outcome: &mut RunOutcome, fate: &Fate) {
    let slot = match fate.status {
        "sent" => &mut outcome.keys_ok,
        "capped" => &mut outcome.keys_deferred,
        _ => &mut outcome.keys_failed,
    };
    *slot = slot.saturating_add(1);
}

/// Webhook digests were queued with the alerts' deliveries: send what is
/// due now rather than at the next sync.
async fn send_queued(app: &App, db: &D1Database) {
    let sent = async {
        let vault = Vault::new(&app.encryption_key()?);
        let sender = crate::webhooks::deliver::Sender {
            db,
            vault: &vault,
            policy: app.config.webhook_policy,
        };
        sender.due().await
    };
    if let Err(e) = sent.await {
        worker::console_error!("digest webhooks: {e}");
    }
}

async fn ready(db: &D1Database, sub: &Subscriber) -> AppResult<bool> {
    Ok(match sub.channel.as_str() {
        "webhook" => sub.webhook_id.is_some(),
        _ => store::email::get(db, sub.org_id)
            .await?
            .is_some_and(|a| a.status == "confirmed"),
    })
}

async fn one(
    app: &App,
    db: &D1Database,
    sub: &Subscriber,
    kind: DigestKind,
    now: DateTime<Utc>,
) -> AppResult<Option<Fate>> {
    if !ready(db, sub).await? {
        return Ok(None);
    }
    let zone = sub
        .tz
        .as_deref()
        .and_then(|name| Zone::parse("tz", name).ok())
        .unwrap_or_default();
    let bad_period = || AppError::internal("digest period out of the calendar");
    let period = period::last_completed(kind, zone.day_of(now)).ok_or_else(bad_period)?;
    let previous = period::previous(&period).ok_or_else(bad_period)?;
    let (start, end) = (period.start.to_string(), period.end.to_string());
    let stamp = clock::timestamp(now);
    let claimed = store::digests::claim(
        db,
        sub.org_id,
        kind.as_str(),
        (&start, &end),
        &sub.channel,
        &stamp,
    )
    .await?;
    let Some(run_id) = claimed else {
        return Ok(None);
    };
    let settings = store::digests::SettingsRow {
        schedule: sub.schedule.clone(),
        channel: sub.channel.clone(),
        webhook_id: sub.webhook_id,
    };
    let asked = Asked {
        org_id: sub.org_id,
        zone: &zone,
        period,
        previous,
        preview: false,
        dashboard_url: super::dashboard_url(app)?,
    };
    let fate = match gather::gather(db, &asked, now).await {
        Ok(digest) => deliver::deliver(app, sub.org_id, &settings, &digest, Timing::Queued).await,
        Err(e) => Err(e),
    }
    .unwrap_or_else(|e| Fate {
        status: "failed",
        detail: Some(e.to_string()),
    });
    store::digests::finish(db, run_id, fate.status, fate.detail.as_deref(), &stamp).await?;
    Ok(Some(fate))
}
