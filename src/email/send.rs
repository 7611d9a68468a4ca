//! Sending one message through the `send_email` binding (`EMAIL`), within
//! the account's daily cap, with its one-click unsubscribe link.
//!
//! Under `wrangler dev` the binding sends nothing: it writes the raw
//! message to an `.eml` file and logs its path, which is how the tests
//! read what was "sent" (`tests/api/helpers/mailbox.rs`).

use worker::EmailMessage;

use crate::app::App;
use crate::clock;
use crate::email::link::{self, Purpose};
use crate::email::mime::{self, Message};
use crate::email::settings::EmailSettings;
use crate::error::{AppError, AppResult};
use crate::store;

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// Over the account's daily cap: not sent, recorded as refused.
    Capped,
    /// The binding refused it (logged; it does not count).
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Sent => "sent",
            Outcome::Capped => "capped",
            Outcome::Failed => "failed",
        }
    }
}

/// One message of an account (an organisation), within its daily cap.
pub struct Letter<'a> {
    pub org_id: i64,
    pub to: &'a str,
    /// The account's address's nonce, signed into the unsubscribe link;
    /// `None` for a one-off message to someone else's address (an
    /// invitation), which has nothing to unsubscribe from.
    pub nonce: Option<&'a str>,
    /// `confirmation`, `digest`, `preview`, `alert` or `invitation` (`email_sends.purpose`).
    pub purpose: &'static str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: Option<&'a str>,
}

pub fn settings(app: &App) -> AppResult<EmailSettings> {
    EmailSettings::from_lookup(|name| app.env.var(name).ok().map(|v| v.to_string()))
}

/// `PUBLIC_URL` + `path` + the token of `purpose` for the address.
pub fn link_url(
    app: &App,
    settings: &EmailSettings,
    path: &str,
    purpose: Purpose,
    org_id: i64,
    nonce: &str,
) -> AppResult<String> {
    let token = link::sign(
        &app.jwt_secret()?,
        purpose,
        org_id,
        nonce,
        clock::now().timestamp(),
    );
    Ok(format!("{}{path}?token={token}", settings.public_url))
}

fn unique() -> AppResult<String> {
    let mut random = [0u8; 16];
    getrandom::getrandom(&mut random).map_err(AppError::internal)?;
    Ok(hex::encode(random))
}

/// Sends `letter` unless the account's day is used up.
pub async fn send(app: &App, letter: &Letter<'_>) -> AppResult<Outcome> {
    let settings = settings(app)?;
    let db = app.db()?;
    let now = clock::now();
    let day = now.date_naive().format("%Y-%m-%d").to_string();
    let Some(send_id) = store::email::take_send(
        &db,
        letter.org_id,
        &day,
        letter.purpose,
        settings.daily_cap,
        &clock::timestamp(now),
    )
    .await?
    else {
        worker::console_warn!(
            "email: account {} is over its daily cap; a {} message was not sent",
            letter.org_id,
            letter.purpose
        );
        return Ok(Outcome::Capped);
    };
    let unsubscribe = match letter.nonce {
        Some(nonce) => Some(link_url(
            app,
            &settings,
            "/api/email/unsubscribe",
            Purpose::Unsubscribe,
            letter.org_id,
            nonce,
        )?),
        None => None,
    };
    let unique = unique()?;
    let raw = mime::render(&Message {
        from: &settings.from,
        from_name: "OpenRouter Watcher",
        to: letter.to,
        subject: letter.subject,
        text: letter.text,
        html: letter.html,
        unsubscribe_url: unsubscribe.as_deref(),
        unique: &unique,
        date: now,
    });
    match deliver(app, &settings.from, letter.to, &raw).await {
        Ok(()) => Ok(Outcome::Sent),
        Err(e) => {
            worker::console_error!("email: a {} message was refused: {e}", letter.purpose);
            store::email::mark_failed(&db, send_id).await?;
            Ok(Outcome::Failed)
        }
    }
}

async fn deliver(app: &App, from: &str, to: &str, raw: &str) -> Result<(), String> {
    let binding = app
        .env
        .send_email("EMAIL")
        .map_err(|e| format!("send_email binding EMAIL: {e}"))?;
    let message = EmailMessage::new(from, to, raw).map_err(|e| format!("{e:?}"))?;
    binding
        .send(&message)
        .await
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}
