//! `/api/webhooks` (docs/alerts.md). The signing secret is in the creation
//! answer only; after that it exists sealed, and signs deliveries.

use serde::Deserialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::views::{
    CreatedWebhook, DeliveryPage, DeliveryView, WebhookFormat, WebhookList, WebhookView,
};
use super::{deliver, sign, url};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::Name;
use crate::domain::audit::{url_shown, Entry, Fields, Kind};
use crate::domain::event::NewEvent;
use crate::domain::page::Page;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::keys::vault::Vault;
use crate::rate_limit::{self, Bucket};
use crate::store::events::EventWrite;
use crate::store::webhooks::{self, Changes, NewWebhook, WebhookRow};

/// Webhooks one account may have.
pub const MAX_PER_USER: i64 = 10;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateWebhookRequest)]
struct CreateBody {
    #[schema(value_type = vocabulary::schemas::Name)]
    name: String,
    /// `https://` only, no credentials, parsed as the runtime parses URLs (WHATWG): the host must be a public name (with a dot, not `localhost`, `.local`, `.internal`, `.home.arpa` and the like) or a public address (no loopback, private, shared, link-local, documentation or reserved IPv4; for IPv6 global unicast only, without the 6to4/Teredo forms of a private address), however it is spelled (`https://2130706433/` is 127.0.0.1). Stored, shown and called as the parser serialises it. Under `wrangler dev` (`WEBHOOK_LOOPBACK=1`) loopback hosts over http too.
    #[schema(max_length = 2048)]
    url: String,
    /// Default json.
    #[serde(default)]
    #[schema(value_type = WebhookFormat, inline, nullable = false)]
    format: Option<String>,
    /// The account's password. Needed when the session signed in more than 10 minutes ago (403 `reauthentication_required` without it, 422 on this field when wrong; attempts limited like logins).
    #[serde(default)]
    #[schema(max_length = 1024, nullable = false)]
    password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateWebhookRequest, min_properties = 1)]
struct UpdateBody {
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(value_type = vocabulary::schemas::Name, nullable = false)]
    name: Option<String>,
    /// `https://` only; no credentials; no IP literal of a private, loopback or link-local range. Under `wrangler dev` (`WEBHOOK_LOOPBACK=1`) loopback hosts over http too.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(max_length = 2048, nullable = false)]
    url: Option<String>,
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(value_type = WebhookFormat, inline, nullable = false)]
    format: Option<String>,
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(nullable = false)]
    is_active: Option<bool>,
}

async fn owned(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<WebhookRow> {
    webhooks::get(&cx.app.db()?, user.user_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("Webhook"))
}

/// A webhook as the audit log records it: never its secret, and its URL
/// only as `url_shown` (a path may hold a credential).
fn fields(row: &WebhookRow) -> Fields {
    Fields::new()
        .with("name", row.name.as_str())
        .with("url", url_shown(&row.url))
        .with("format", row.format.as_str())
        .with("is_active", row.is_active)
}

fn entry_of(user: &AuthUser, kind: Kind, id: i64, name: &str) -> Entry {
    Entry::by_user(user.user_id, kind, name).reference(Fields::new().with("webhook_id", id))
}

/// The account's webhooks
///
/// Without their secrets.
#[utoipa::path(
    get,
    path = "/api/webhooks",
    operation_id = "listWebhooks",
    tag = "alerts",
    responses(
        (status = 200, description = "The webhooks.", body = WebhookList),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let rows = webhooks::list(&cx.app.db()?, user.user_id).await?;
    let views: Vec<WebhookView> = rows.into_iter().map(WebhookView::from).collect();
    Reply::ok(&WebhookList { webhooks: views })
}

/// One webhook
///
/// Another user's webhook is 404.
#[utoipa::path(
    get,
    path = "/api/webhooks/{id}",
    operation_id = "getWebhook",
    tag = "alerts",
    params(vocabulary::params::WebhookId),
    responses(
        (status = 200, description = "The webhook.", body = WebhookView),
    )
)]
pub async fn get(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
    Reply::ok(&WebhookView::from(owned(cx, user, id).await?))
}

/// Add a webhook
///
/// Answers with the signing secret, shown this once. At most 10 per account.
#[utoipa::path(
    post,
    path = "/api/webhooks",
    operation_id = "createWebhook",
    tag = "alerts",
    request_body = CreateBody,
    responses(
        (status = 201, description = "The webhook and its secret.", body = CreatedWebhook),
        (status = 403, description = "The session signed in more than 10 minutes ago: send `password`.", body = vocabulary::schemas::ReauthenticationRequiredError),
        (status = 409, description = "The account already has 10 webhooks.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn create(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let body: CreateBody = cx.req.json()?;
    let name = Name::parse(&body.name)?;
    let target = url::check(cx.app.config.webhook_policy, &body.url)?;
    let format = body
        .format
        .as_deref()
        .map_or(Ok(WebhookFormat::default()), WebhookFormat::parse)?;
    crate::auth::account::confirm_recent(cx, user, body.password.as_deref()).await?;
    let db = cx.app.db()?;
    let now = clock::timestamp(clock::now());
    let new = NewWebhook {
        user_id: user.user_id,
        session: &user.session.jti,
        name: name.as_str(),
        url: &target,
        format: format.as_str(),
    };
    let id = webhooks::insert_unsealed(&db, &new, MAX_PER_USER, &now)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "You already have {MAX_PER_USER} webhooks; delete one first."
            ))
        })?;
    let secret = sign::new_secret().map_err(AppError::internal)?;
    let vault = Vault::new(&cx.app.encryption_key()?);
    let stored = match vault.seal_webhook_secret(&secret, user.user_id, id) {
        Ok(sealed) => webhooks::seal(&db, id, &sealed.ciphertext, &sealed.nonce).await,
        Err(e) => Err(e),
    };
    if let Err(e) = stored {
        if let Err(cleanup) = webhooks::remove_unsealed(&db, id).await {
            worker::console_error!("cannot remove unsealed webhook {id}: {cleanup}");
        }
        return Err(e);
    }
    let row = owned(cx, user, id).await?;
    let entry = entry_of(user, Kind::WebhookCreated, id, &row.name)
        .created(fields(&row).secret("secret", "created"));
    let reply = Reply::created(&CreatedWebhook {
        webhook: WebhookView::from(row),
        secret,
    })?;
    Ok(Changed::new(reply, entry))
}

/// Change a webhook
///
/// Name, URL, format or active state; the secret stays.
#[utoipa::path(
    patch,
    path = "/api/webhooks/{id}",
    operation_id = "updateWebhook",
    tag = "alerts",
    params(vocabulary::params::WebhookId),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The webhook.", body = WebhookView),
    )
)]
pub async fn update(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let body: UpdateBody = cx.req.json()?;
    if body.name.is_none()
        && body.url.is_none()
        && body.format.is_none()
        && body.is_active.is_none()
    {
        return Err(AppError::invalid(
            "body",
            "must set `name`, `url`, `format` and/or `is_active`",
        ));
    }
    let name = body.name.as_deref().map(Name::parse).transpose()?;
    let target = body
        .url
        .as_deref()
        .map(|u| url::check(cx.app.config.webhook_policy, u))
        .transpose()?;
    let format = body
        .format
        .as_deref()
        .map(WebhookFormat::parse)
        .transpose()?;
    let changes = Changes {
        name: name.as_ref().map(Name::as_str),
        url: target.as_deref(),
        format: format.map(WebhookFormat::as_str),
        is_active: body.is_active,
    };
    let before = owned(cx, user, id).await?;
    let now = clock::timestamp(clock::now());
    if !webhooks::update(&cx.app.db()?, user.user_id, id, &changes, &now).await? {
        return Err(AppError::not_found("Webhook"));
    }
    let after = owned(cx, user, id).await?;
    let entry = entry_of(user, Kind::WebhookUpdated, id, &after.name)
        .changed(fields(&before), fields(&after));
    Ok(Changed::new(Reply::ok(&WebhookView::from(after))?, entry))
}

/// Delete a webhook
///
/// With its delivery log.
#[utoipa::path(
    delete,
    path = "/api/webhooks/{id}",
    operation_id = "deleteWebhook",
    tag = "alerts",
    params(vocabulary::params::WebhookId),
    responses(
        (status = 204, description = "Deleted."),
    )
)]
pub async fn delete(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let name = webhooks::delete(&cx.app.db()?, user.user_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("Webhook"))?;
    let entry = entry_of(user, Kind::WebhookDeleted, id, &name)
        .removed(Fields::new().with("name", name.as_str()));
    Ok(Changed::new(Reply::no_content(), entry))
}

/// A webhook's delivery log
///
/// Each delivery with its event and every attempt, newest first.
#[utoipa::path(
    get,
    path = "/api/webhooks/{id}/deliveries",
    operation_id = "listDeliveries",
    tag = "alerts",
    params(vocabulary::params::WebhookId, vocabulary::params::Page, vocabulary::params::Limit),
    responses(
        (status = 200, description = "A page of deliveries.", body = DeliveryPage),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn deliveries(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
    let query = QueryParams::parse(cx.req.query.as_deref(), &["page", "limit"])?;
    let page = Page::parse(query.get("page"), query.get("limit"))?;
    owned(cx, user, id).await?;
    let rows = webhooks::deliveries(&cx.app.db()?, id, page.limit(), page.offset()).await?;
    let total = match rows.first().and_then(|r| r.total) {
        Some(total) => total,
        None => webhooks::count_deliveries(&cx.app.db()?, id).await?,
    };
    let items = rows.into_iter().map(DeliveryView::from).collect();
    Reply::ok(&DeliveryPage {
        items,
        pagination: page.info(total),
    })
}

/// Tests one webhook may send per hour, and one account across its
/// webhooks: each is a POST to the receiver, made in the caller's request.
pub const TESTS_PER_WEBHOOK_PER_HOUR: u32 = 10;
pub const TESTS_PER_ACCOUNT_PER_HOUR: u32 = 30;

/// Send a test event
///
/// Delivers a `test` event now, in this request: one try, whose outcome (delivered or failed) is final; a test never joins the retry queue. At most 10 an hour per webhook and 30 per account.
#[utoipa::path(
    post,
    path = "/api/webhooks/{id}/test",
    operation_id = "testWebhook",
    tag = "alerts",
    params(vocabulary::params::WebhookId),
    responses(
        (status = 200, description = "The delivery.", body = DeliveryView),
        (status = 409, description = "The webhook is disabled.", body = vocabulary::schemas::ConflictError),
        (status = 429, description = "Too many tests: 10 an hour per webhook, 30 per account.", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn test(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let webhook = owned(cx, user, id).await?;
    if !webhook.is_active {
        return Err(AppError::Conflict(
            "This webhook is disabled; enable it to send it events.".to_owned(),
        ));
    }
    for (name, limit) in [
        (format!("webhook-test:{id}"), TESTS_PER_WEBHOOK_PER_HOUR),
        (
            format!("webhook-tests:{}", user.user_id),
            TESTS_PER_ACCOUNT_PER_HOUR,
        ),
    ] {
        let bucket = Bucket {
            name: &name,
            limit,
            window_secs: 3600,
        };
        rate_limit::enforce(cx.app, &bucket).await?;
    }
    let db = cx.app.db()?;
    let now = clock::now();
    let event = test_event(id, now.timestamp_millis());
    let write = EventWrite {
        dedup_key: event.dedup_key,
        kind: event.kind,
        api_key_id: None,
        payload: event.payload.to_string(),
    };
    let delivery_id =
        crate::store::alerts::insert_test(&db, user.user_id, id, &write, &clock::timestamp(now))
            .await?
            .ok_or_else(|| AppError::internal("test delivery was not created"))?;
    let vault = Vault::new(&cx.app.encryption_key()?);
    let sender = deliver::Sender {
        db: &db,
        vault: &vault,
        policy: cx.app.config.webhook_policy,
    };
    sender.test(delivery_id).await?;
    let row = webhooks::delivery(&db, delivery_id)
        .await?
        .ok_or_else(|| AppError::internal("test delivery vanished"))?;
    let entry = entry_of(user, Kind::WebhookTested, id, &webhook.name)
        .created(Fields::new().with("status", row.status.as_str()));
    Ok(Changed::new(Reply::ok(&DeliveryView::from(row))?, entry))
}

/// The kind of the event `POST /api/webhooks/{id}/test` sends.
const TEST: &str = "test";

/// `at_millis` keeps two tests sent within a second apart.
fn test_event(webhook_id: i64, at_millis: i64) -> NewEvent {
    NewEvent {
        dedup_key: format!("test:{webhook_id}|{at_millis}"),
        kind: TEST,
        api_key_id: None,
        payload: serde_json::json!({
            "type": TEST,
            "message": "Test event from OpenRouter Watcher: this webhook receives alerts.",
        }),
    }
}
