//! Alerts by e-mail: after an evaluation, the events it raised for an
//! account that asked for them (`alert_emails` in `/api/settings`) and has
//! a confirmed address go out in one message, within the daily cap.
//!
//! Each event is claimed (`alert_events.emailed_at`) before the message is
//! sent, so a redelivered queue message or an overlapping run mails
//! nothing twice; a claimed event whose message the cap or the binding
//! refused is not tried again (the dashboard still lists it).

use chrono::Duration;

use super::alert_letter::{self, Line};
use super::send::{self, Letter, Outcome};
use crate::app::App;
use crate::clock;
use crate::domain::severity::Severity;
use crate::error::{AppError, AppResult};
use crate::store;

/// How far back an evaluation's events are looked for: a run's own and a
/// failed run's of the hour before, never the history of an account that
/// just turned alert e-mails on.
const LOOKBACK: Duration = Duration::hours(2);
/// Events one message lists at most (the rest wait for the next run).
const PER_MESSAGE: i64 = 50;

/// Mails each account's new events; returns how many messages were sent.
/// What goes wrong is logged: a mail never fails the sync.
pub async fn send_due(app: &App, org_ids: &[i64]) -> usize {
    let mut sent = 0_usize;
    for &org_id in org_ids {
        match send_account(app, org_id).await {
            Ok(Some(Outcome::Sent)) => sent = sent.saturating_add(1),
            Ok(_) => {}
            Err(e) => worker::console_error!("alert e-mail of account {org_id}: {e}"),
        }
    }
    sent
}

async fn send_account(app: &App, org_id: i64) -> AppResult<Option<Outcome>> {
    let db = app.db()?;
    let Some(target) = store::email::alert_target(&db, org_id).await? else {
        return Ok(None);
    };
    let least = Severity::parse(&target.severity)
        .map_err(|_| AppError::internal("stored alert e-mail severity unreadable"))?;
    let now = clock::now();
    let since = now
        .checked_sub_signed(LOOKBACK)
        .ok_or_else(|| AppError::internal("alert e-mail lookback"))?;
    let unmailed =
        store::email::unmailed_events(&db, org_id, &clock::timestamp(since), PER_MESSAGE).await?;
    let wanted: Vec<i64> = unmailed
        .iter()
        .filter(|e| alert_letter::wanted(&e.kind, least))
        .map(|e| e.id)
        .collect();
    if wanted.is_empty() {
        return Ok(None);
    }
    let ids = serde_json::to_string(&wanted).map_err(AppError::internal)?;
    let claimed = store::email::claim_events(&db, org_id, &ids, &clock::timestamp(now)).await?;
    if claimed.is_empty() {
        return Ok(None);
    }
    let lines: Vec<Line> = claimed
        .iter()
        .map(|e| alert_letter::line(&e.payload))
        .collect();
    let (subject, text) = alert_letter::render(&lines, &crate::digest::dashboard_url(app)?);
    let letter = Letter {
        org_id,
        to: &target.address,
        nonce: Some(&target.nonce),
        purpose: "alert",
        subject: &subject,
        text: &text,
        html: None,
    };
    send::send(app, &letter).await.map(Some)
}
