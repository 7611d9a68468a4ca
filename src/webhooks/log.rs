//! A webhook's delivery log and its test delivery (`/api/webhooks/{id}/…`).

use watcher_core::api_doc::vocabulary;

use super::deliver;
use super::handlers::{entry_of, owned};
use super::views::{DeliveryPage, DeliveryView};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::audit::{Fields, Kind};
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
use crate::store::webhooks;

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
            format!("webhook-tests:{}", user.org_id),
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
        crate::store::alerts::insert_test(&db, user.org_id, id, &write, &clock::timestamp(now))
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
