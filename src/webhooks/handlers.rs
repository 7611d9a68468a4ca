//! `/api/webhooks` (docs/alerts.md). The signing secret is in the creation
//! answer only; after that it exists sealed, and signs deliveries.

use serde::{Deserialize, Serialize};

use super::attempts::Attempt;
use super::{deliver, sign, url};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::Name;
use crate::domain::event::{self, NewEvent};
use crate::domain::page::Page;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::keys::vault::Vault;
use crate::rate_limit::{self, Bucket};
use crate::store::alerts::EventWrite;
use crate::store::webhooks::{self, Changes, DeliveryRow, NewWebhook, WebhookRow};

/// Webhooks one account may have.
pub const MAX_PER_USER: i64 = 10;
const FORMATS: [&str; 2] = ["json", "slack"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    url: String,
    #[serde(default)]
    format: Option<String>,
    /// Needed when the session is older than `REAUTH_AFTER_SECS`.
    #[serde(default)]
    password: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default, deserialize_with = "crate::http::body::present")]
    name: Option<String>,
    #[serde(default, deserialize_with = "crate::http::body::present")]
    url: Option<String>,
    #[serde(default, deserialize_with = "crate::http::body::present")]
    format: Option<String>,
    #[serde(default, deserialize_with = "crate::http::body::present")]
    is_active: Option<bool>,
}

#[derive(Serialize)]
struct WebhookView {
    id: i64,
    name: String,
    url: String,
    format: String,
    is_active: bool,
    created_at: String,
    updated_at: String,
    last_delivery: Option<serde_json::Value>,
}

impl From<WebhookRow> for WebhookView {
    fn from(row: WebhookRow) -> Self {
        let last_delivery = row
            .last_status
            .zip(row.last_at)
            .map(|(status, at)| serde_json::json!({ "status": status, "at": at }));
        Self {
            id: row.id,
            name: row.name,
            url: row.url,
            format: row.format,
            is_active: row.is_active,
            created_at: row.created_at,
            updated_at: row.updated_at,
            last_delivery,
        }
    }
}

fn delivery_view(row: DeliveryRow) -> serde_json::Value {
    let attempts: Vec<Attempt> = serde_json::from_str(&row.attempts).unwrap_or_default();
    serde_json::json!({
        "id": row.id,
        "event": event::render(row.event_id, &row.event_created_at, &row.event_payload),
        "status": row.status,
        "attempts": attempts,
        "created_at": row.created_at,
        "delivered_at": row.delivered_at,
    })
}

fn format(value: Option<&str>) -> AppResult<&'static str> {
    match value {
        None => Ok(FORMATS[0]),
        Some(text) => FORMATS
            .into_iter()
            .find(|f| *f == text)
            .ok_or_else(|| AppError::invalid("format", "must be json or slack")),
    }
}

async fn owned(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<WebhookRow> {
    webhooks::get(&cx.app.db()?, user.user_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("Webhook"))
}

pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let rows = webhooks::list(&cx.app.db()?, user.user_id).await?;
    let views: Vec<WebhookView> = rows.into_iter().map(WebhookView::from).collect();
    Reply::ok(&serde_json::json!({ "webhooks": views }))
}

pub async fn get(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
    Reply::ok(&WebhookView::from(owned(cx, user, id).await?))
}

pub async fn create(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let body: CreateBody = cx.req.json()?;
    let name = Name::parse(&body.name)?;
    let target = url::check(cx.app.config.webhook_policy, &body.url)?;
    let format = format(body.format.as_deref())?;
    crate::auth::account::confirm_recent(cx, user, body.password.as_deref()).await?;
    let db = cx.app.db()?;
    let now = clock::timestamp(clock::now());
    let new = NewWebhook {
        user_id: user.user_id,
        session: &user.session.jti,
        name: name.as_str(),
        url: &target,
        format,
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
    let mut view = serde_json::to_value(WebhookView::from(owned(cx, user, id).await?))
        .map_err(AppError::internal)?;
    if let Some(fields) = view.as_object_mut() {
        fields.insert("secret".to_owned(), serde_json::Value::String(secret));
    }
    Reply::created(&view)
}

pub async fn update(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
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
        .map(|f| format(Some(f)))
        .transpose()?;
    let changes = Changes {
        name: name.as_ref().map(Name::as_str),
        url: target.as_deref(),
        format,
        is_active: body.is_active,
    };
    let now = clock::timestamp(clock::now());
    if !webhooks::update(&cx.app.db()?, user.user_id, id, &changes, &now).await? {
        return Err(AppError::not_found("Webhook"));
    }
    get(cx, user, id).await
}

pub async fn delete(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
    if webhooks::delete(&cx.app.db()?, user.user_id, id).await? {
        Ok(Reply::no_content())
    } else {
        Err(AppError::not_found("Webhook"))
    }
}

pub async fn deliveries(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
    let query = QueryParams::parse(cx.req.query.as_deref(), &["page", "limit"])?;
    let page = Page::parse(query.get("page"), query.get("limit"))?;
    owned(cx, user, id).await?;
    let rows = webhooks::deliveries(&cx.app.db()?, id, page.limit(), page.offset()).await?;
    let total = match rows.first().and_then(|r| r.total) {
        Some(total) => total,
        None => webhooks::count_deliveries(&cx.app.db()?, id).await?,
    };
    let items: Vec<serde_json::Value> = rows.into_iter().map(delivery_view).collect();
    Reply::ok(&serde_json::json!({ "items": items, "pagination": page.info(total) }))
}

/// Tests one webhook may send per hour, and one account across its
/// webhooks: each is a POST to the receiver, made in the caller's request.
pub const TESTS_PER_WEBHOOK_PER_HOUR: u32 = 10;
pub const TESTS_PER_ACCOUNT_PER_HOUR: u32 = 30;

/// Sends a `test` event to this webhook now: one try, in this request,
/// whose outcome is final (a test never joins the retry queue), and
/// answers with the delivery. Throttled per webhook and per account.
pub async fn test(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
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
    Reply::ok(&delivery_view(row))
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
