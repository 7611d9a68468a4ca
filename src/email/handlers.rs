//! `/api/settings/email` (the address, with a session) and the links in
//! messages (`/api/email/confirm`, `/api/email/unsubscribe`), which work
//! without a session: the signed token is the credential. A `GET` of a
//! link only shows a page with a button; the `POST` acts, so a mail
//! scanner that fetches every link confirms and unsubscribes nothing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::link::{self, Purpose};
use super::send::{self, Letter, Outcome};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::Email;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::Invalid;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::store;

/// The account's address and what it was sent today.
#[derive(Serialize, ToSchema)]
#[schema(as = EmailSettings)]
pub struct EmailView {
    /// The address, or null when none is set.
    #[schema(required = true)]
    address: Option<String>,
    /// `none`, `unconfirmed` (only the confirmation is sent to it), `confirmed` or `unsubscribed`.
    #[schema(pattern = "^(none|unconfirmed|confirmed|unsubscribed)$")]
    status: String,
    /// Messages an account may be sent per UTC day.
    #[schema(minimum = 1)]
    daily_cap: i64,
    /// Messages sent today (UTC).
    #[schema(minimum = 0)]
    sent_today: i64,
    /// Messages not sent today because the cap was reached.
    #[schema(minimum = 0)]
    capped_today: i64,
}

#[derive(Serialize, ToSchema)]
#[schema(as = EmailAddressSet)]
struct SetView {
    #[serde(flatten)]
    settings: EmailView,
    /// The confirmation message: `sent`, `capped` (over today's cap) or `failed`.
    #[schema(pattern = "^(sent|capped|failed)$")]
    confirmation: &'static str,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SetEmailRequest)]
struct SetBody {
    /// Where digests go once confirmed.
    #[schema(max_length = 254, examples("you@example.com"))]
    address: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = EmailLinkResult)]
struct LinkResult {
    /// `confirmed` or `unsubscribed`.
    #[schema(pattern = "^(confirmed|unsubscribed)$")]
    status: &'static str,
}

pub async fn view(cx: &Ctx<'_>, org_id: i64) -> AppResult<EmailView> {
    let db = cx.app.db()?;
    let settings = send::settings(cx.app)?;
    let row = store::email::get(&db, org_id).await?;
    let today = clock::today().format("%Y-%m-%d").to_string();
    let counts = store::email::day_counts(&db, org_id, &today).await?;
    Ok(EmailView {
        status: row
            .as_ref()
            .map_or("none", |r| r.status.as_str())
            .to_owned(),
        address: row.map(|r| r.address),
        daily_cap: settings.daily_cap,
        sent_today: counts.sent,
        capped_today: counts.capped,
    })
}

/// The account's e-mail address
///
/// Its status and today's messages against the daily cap.
#[utoipa::path(
    get,
    path = "/api/settings/email",
    operation_id = "getEmailSettings",
    tag = "auth",
    responses((status = 200, description = "The address.", body = EmailView))
)]
pub async fn get(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    Reply::ok(&view(cx, user.org_id).await?)
}

/// Set the account's e-mail address
///
/// Stores it unconfirmed and sends it a confirmation message with a signed link that works for 24 hours; nothing else is sent to it until it is confirmed. Setting an address (the same one included) asks for a new confirmation and makes every earlier link of the account worthless.
#[utoipa::path(
    put,
    path = "/api/settings/email",
    operation_id = "setEmail",
    tag = "auth",
    request_body = SetBody,
    responses(
        (status = 200, description = "The address, unconfirmed, and the confirmation's fate.", body = SetView),
        (status = 422, response = watcher_core::api_doc::vocabulary::responses::ValidationError),
    )
)]
pub async fn set(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let body: SetBody = cx.req.json()?;
    let address = Email::parse(&body.address)
        .map_err(|_| Invalid::new("address", "is not a valid email address"))?;
    let db = cx.app.db()?;
    let before = store::email::get(&db, user.org_id).await?;
    let mut nonce = [0u8; 16];
    getrandom::getrandom(&mut nonce).map_err(AppError::internal)?;
    let nonce = hex::encode(nonce);
    let now = clock::timestamp(clock::now());
    store::email::set_unconfirmed(
        &db,
        (user.org_id, user.user_id),
        address.as_str(),
        &nonce,
        &now,
    )
    .await?;
    let outcome = send_confirmation(cx, user.org_id, address.as_str(), &nonce).await?;
    let entry = Entry::by_user(
        user.org_id,
        user.user_id,
        Kind::EmailAddressSet,
        "e-mail address",
    )
    .changed(
        before.map_or_else(Fields::new, |b| {
            Fields::new()
                .with("address", b.address)
                .with("status", b.status)
        }),
        Fields::new()
            .with("address", address.as_str())
            .with("status", "unconfirmed"),
    );
    let reply = Reply::ok(&SetView {
        settings: view(cx, user.org_id).await?,
        confirmation: outcome.as_str(),
    })?;
    Ok(Changed::new(reply, entry))
}

async fn send_confirmation(cx: &Ctx<'_>, org_id: i64, to: &str, nonce: &str) -> AppResult<Outcome> {
    let settings = send::settings(cx.app)?;
    let url = send::link_url(
        cx.app,
        &settings,
        "/api/email/confirm",
        Purpose::Confirm,
        org_id,
        nonce,
    )?;
    let text = format!(
        "Someone (we hope you) asked OpenRouter Watcher to send spend digests to this address.\n\n\
         To confirm, open this link within 24 hours and press the button:\n{url}\n\n\
         If it was not you, ignore this message: nothing more will be sent here.\n"
    );
    send::send(
        cx.app,
        &Letter {
            org_id,
            to,
            nonce: Some(nonce),
            purpose: "confirmation",
            subject: "Confirm your address for OpenRouter Watcher",
            text: &text,
            html: None,
        },
    )
    .await
}

/// The account a link's token names, checked against its address's nonce.
/// A link's click, recorded as the person who set the address (whoever
/// reads that mailbox); the product's own once that person is gone.
fn by_link(row: &store::email::AddressRow, kind: Kind) -> Entry {
    match row.set_by {
        Some(user_id) => Entry::by_user(row.org_id, user_id, kind, "e-mail address"),
        None => Entry::by_product(row.org_id, kind, "e-mail address"),
    }
}

async fn checked(cx: &Ctx<'_>, purpose: Purpose) -> AppResult<store::email::AddressRow> {
    let query = QueryParams::parse(cx.req.query.as_deref(), &["token"])?;
    let refused = || {
        AppError::from(Invalid::new(
            "token",
            "is not a valid link, or it has expired",
        ))
    };
    let token = query.get("token").ok_or_else(refused)?;
    let claims = link::claims(token, purpose).map_err(|_| refused())?;
    let db = cx.app.db()?;
    let row = store::email::get(&db, claims.org_id)
        .await?
        .ok_or_else(refused)?;
    link::verify(
        &cx.app.jwt_secret()?,
        token,
        purpose,
        &row.nonce,
        clock::now().timestamp(),
    )
    .map_err(|_| refused())?;
    Ok(row)
}

fn page(title: &str, text: &str, button: &str, cx: &Ctx<'_>) -> Reply {
    let action = format!(
        "{}?{}",
        cx.req.path,
        cx.req.query.as_deref().unwrap_or_default()
    );
    let esc = super::mime::escape_html;
    Reply::html(format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title>\
         <meta name=\"viewport\" content=\"width=device-width\"></head><body>\n<main>\n<h1>{t}</h1>\n\
         <p>{p}</p>\n<form method=\"post\" action=\"{a}\"><button type=\"submit\">{b}</button></form>\n\
         </main>\n</body></html>\n",
        t = esc(title),
        p = esc(text),
        a = esc(&action),
        b = esc(button),
    ))
}

/// Confirm an e-mail address: the page
///
/// The link of a confirmation message: a page whose button confirms (a `POST` to the same URL). Opening it changes nothing.
#[utoipa::path(
    get,
    path = "/api/email/confirm",
    operation_id = "confirmEmailPage",
    tag = "auth",
    params(("token" = String, Query, description = "The signed token of the message's link.")),
    responses(
        (status = 200, description = "A page with the button.", body = String, content_type = "text/html"),
        (status = 422, response = watcher_core::api_doc::vocabulary::responses::ValidationError),
    )
)]
pub async fn confirm_page(cx: &Ctx<'_>) -> AppResult<Reply> {
    let row = checked(cx, Purpose::Confirm).await?;
    Ok(page(
        "Confirm your address",
        &format!(
            "Send OpenRouter Watcher's digests to {}? Press the button to confirm.",
            row.address
        ),
        "Confirm this address",
        cx,
    ))
}

/// Confirm an e-mail address
///
/// The button of the confirmation page (no session: the link's signed token, valid 24 hours, is the credential). A bad or expired token is 422 on `token`.
#[utoipa::path(
    post,
    path = "/api/email/confirm",
    operation_id = "confirmEmail",
    tag = "auth",
    params(("token" = String, Query, description = "The signed token of the message's link.")),
    responses(
        (status = 200, description = "Confirmed.", body = LinkResult),
        (status = 409, description = "The address was unsubscribed since.", body = watcher_core::api_doc::vocabulary::schemas::ConflictError),
        (status = 422, response = watcher_core::api_doc::vocabulary::responses::ValidationError),
    )
)]
pub async fn confirm(cx: &Ctx<'_>) -> AppResult<Changed> {
    let row = checked(cx, Purpose::Confirm).await?;
    // An old confirmation link never undoes an unsubscribe.
    if row.status == "unsubscribed" {
        return Err(AppError::Conflict(
            "This address was unsubscribed; set it again to confirm it.".to_owned(),
        ));
    }
    let now = clock::timestamp(clock::now());
    let db = cx.app.db()?;
    let from = ["unconfirmed", "confirmed"];
    store::email::set_status(&db, row.org_id, &row.nonce, from, "confirmed", &now).await?;
    let entry = by_link(&row, Kind::EmailConfirmed).changed(
        Fields::new().with("status", row.status.as_str()),
        Fields::new().with("status", "confirmed"),
    );
    Ok(Changed::new(
        Reply::ok(&LinkResult {
            status: "confirmed",
        })?,
        entry,
    ))
}

/// Unsubscribe: the page
///
/// The link of a message's footer for a person: a page whose button unsubscribes (a `POST` to the same URL). Opening it changes nothing.
#[utoipa::path(
    get,
    path = "/api/email/unsubscribe",
    operation_id = "unsubscribeEmailPage",
    tag = "auth",
    params(("token" = String, Query, description = "The signed token of the message's link.")),
    responses(
        (status = 200, description = "A page with the button.", body = String, content_type = "text/html"),
        (status = 422, response = watcher_core::api_doc::vocabulary::responses::ValidationError),
    )
)]
pub async fn unsubscribe_page(cx: &Ctx<'_>) -> AppResult<Reply> {
    let row = checked(cx, Purpose::Unsubscribe).await?;
    Ok(page(
        "Unsubscribe",
        &format!(
            "Stop every message from OpenRouter Watcher to {}?",
            row.address
        ),
        "Unsubscribe",
        cx,
    ))
}

/// Unsubscribe (one click)
///
/// RFC 8058 one-click unsubscribe: every message's `List-Unsubscribe` URL, `POST`ed by a mail client (`List-Unsubscribe=One-Click`) or by the page's button; no session, the signed token is the credential (a year). Nothing more is sent to the address until one is set and confirmed again.
#[utoipa::path(
    post,
    path = "/api/email/unsubscribe",
    operation_id = "unsubscribeEmail",
    tag = "auth",
    params(("token" = String, Query, description = "The signed token of the message's link.")),
    responses(
        (status = 200, description = "Unsubscribed.", body = LinkResult),
        (status = 422, response = watcher_core::api_doc::vocabulary::responses::ValidationError),
    )
)]
pub async fn unsubscribe(cx: &Ctx<'_>) -> AppResult<Changed> {
    let row = checked(cx, Purpose::Unsubscribe).await?;
    let now = clock::timestamp(clock::now());
    let db = cx.app.db()?;
    let from = ["unconfirmed", "confirmed"];
    store::email::set_status(&db, row.org_id, &row.nonce, from, "unsubscribed", &now).await?;
    let entry = by_link(&row, Kind::EmailUnsubscribed).changed(
        Fields::new().with("status", row.status.as_str()),
        Fields::new().with("status", "unsubscribed"),
    );
    Ok(Changed::new(
        Reply::ok(&LinkResult {
            status: "unsubscribed",
        })?,
        entry,
    ))
}
