//! `/api/webhooks` (docs/alerts.md). The signing secret is in the creation
//! answer only; after that it exists sealed, and signs deliveries.

use serde::Deserialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::views::{CreatedWebhook, WebhookFormat, WebhookList, WebhookView};
use super::{settings, sign, url};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::Name;
use crate::domain::audit::{url_shown, Entry, Fields, Kind};
use crate::domain::severity::{EventKindFilter, Severity};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::keys::vault::{Sealed, Vault};
use crate::store::webhooks::{self, Changes, NewWebhook, WebhookRow};

/// Webhooks one account may have.
pub const MAX_PER_USER: i64 = 10;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateWebhookRequest)]
struct CreateBody {
    #[schema(value_type = vocabulary::schemas::Name)]
    name: String,
    /// `https://` only, no credentials, parsed as the runtime parses URLs (WHATWG): the host must be a public name (with a dot, not `localhost`, `.local`, `.internal`, `.home.arpa` and the like) or a public address (no loopback, private, shared, link-local, documentation or reserved IPv4; for IPv6 global unicast only, without the 6to4/Teredo forms of a private address), however it is spelled (`https://2130706433/` is 127.0.0.1), and written in ASCII (an internationalised domain name in its `xn--` form; the dashboard converts it). Stored, shown and called as the parser serialises it. Under `wrangler dev` (`WEBHOOK_LOOPBACK=1`) loopback hosts over http too.
    #[schema(max_length = 2048)]
    url: String,
    /// Default json.
    #[serde(default)]
    #[schema(value_type = WebhookFormat, inline, nullable = false)]
    format: Option<String>,
    /// Kinds (`budget.threshold_reached`) or families (`budget`, `key`, `policy`, …) it receives, at most 20; null or absent: every kind. An unknown one is 422.
    #[serde(default)]
    #[schema(value_type = Option<Vec<EventKindFilter>>, max_items = 20, min_items = 1)]
    event_kinds: Option<Vec<String>>,
    /// The least severity it receives (default info: everything). Each kind has one severity (README).
    #[serde(default)]
    #[schema(value_type = Severity, inline, nullable = false)]
    min_severity: Option<String>,
    /// PagerDuty's integration key (32 letters and digits): required for `pagerduty`, refused otherwise. Stored sealed, never shown.
    #[serde(default)]
    #[schema(
        min_length = 32,
        max_length = 32,
        pattern = "^[A-Za-z0-9]{32}$",
        nullable = false
    )]
    routing_key: Option<String>,
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
    /// Kinds or families it receives; null: every kind.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(value_type = Option<Vec<EventKindFilter>>, max_items = 20, min_items = 1)]
    event_kinds: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(value_type = Severity, inline, nullable = false)]
    min_severity: Option<String>,
    /// A new PagerDuty integration key (for a `pagerduty` webhook only). Changing the format away from `pagerduty` forgets the stored one.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(
        min_length = 32,
        max_length = 32,
        pattern = "^[A-Za-z0-9]{32}$",
        nullable = false
    )]
    routing_key: Option<String>,
}

impl UpdateBody {
    fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.url.is_none()
            && self.format.is_none()
            && self.is_active.is_none()
            && self.event_kinds.is_none()
            && self.min_severity.is_none()
            && self.routing_key.is_none()
    }
}

pub(super) async fn owned(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<WebhookRow> {
    webhooks::get(&cx.app.db()?, user.org_id, id)
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
        .with("event_kinds", row.event_kinds.as_deref().unwrap_or("all"))
        .with("min_severity", row.min_severity.as_str())
}

pub(super) fn entry_of(user: &AuthUser, kind: Kind, id: i64, name: &str) -> Entry {
    Entry::by_user(user.org_id, user.user_id, kind, name)
        .reference(Fields::new().with("webhook_id", id))
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
    let rows = webhooks::list(&cx.app.db()?, user.org_id).await?;
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
    let event_kinds = settings::kinds(body.event_kinds.as_deref())?;
    let min_severity = settings::min_severity(body.min_severity.as_deref())?.unwrap_or_default();
    let routing_key = settings::check_routing_key(format, body.routing_key.as_deref(), false)?;
    crate::auth::account::confirm_recent(cx, user, body.password.as_deref()).await?;
    let db = cx.app.db()?;
    let now = clock::timestamp(clock::now());
    let new = NewWebhook {
        org_id: user.org_id,
        session: &user.session.jti,
        name: name.as_str(),
        url: &target,
        format: format.as_str(),
        event_kinds: event_kinds.as_deref(),
        min_severity: min_severity.as_str(),
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
    let stored = seal_new(
        &db,
        &vault,
        (user.org_id, id),
        &secret,
        routing_key.as_deref(),
    )
    .await;
    if let Err(e) = stored {
        if let Err(cleanup) = webhooks::remove_unsealed(&db, id).await {
            worker::console_error!("cannot remove unsealed webhook {id}: {cleanup}");
        }
        return Err(e);
    }
    let row = owned(cx, user, id).await?;
    let mut after = fields(&row).secret("secret", "created");
    if row.has_routing_key {
        after = after.secret("routing_key", "created");
    }
    let entry = entry_of(user, Kind::WebhookCreated, id, &row.name).created(after);
    let reply = Reply::created(&CreatedWebhook {
        webhook: WebhookView::from(row),
        secret,
    })?;
    Ok(Changed::new(reply, entry))
}

/// Change a webhook
///
/// Name, URL, format, active state, filters or PagerDuty routing key; the signing secret stays.
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
    if body.is_empty() {
        return Err(AppError::invalid(
            "body",
            "must set at least one of `name`, `url`, `format`, `is_active`, `event_kinds`, `min_severity`, `routing_key`",
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
    let event_kinds = body
        .event_kinds
        .as_ref()
        .map(|kinds| settings::kinds(kinds.as_deref()))
        .transpose()?;
    let min_severity = settings::min_severity(body.min_severity.as_deref())?;
    let before = owned(cx, user, id).await?;
    let stored_format = WebhookFormat::parse(&before.format)?;
    let routing_key = settings::check_routing_key(
        format.unwrap_or(stored_format),
        body.routing_key.as_deref(),
        before.has_routing_key,
    )?;
    // Sealed before the update, which stores it with the rest at once.
    let sealed = match routing_key.as_deref() {
        Some(key) => {
            Some(Vault::new(&cx.app.encryption_key()?).seal_routing_key(key, user.org_id, id)?)
        }
        None => None,
    };
    let changes = Changes {
        name: name.as_ref().map(Name::as_str),
        url: target.as_deref(),
        format: format.map(WebhookFormat::as_str),
        is_active: body.is_active,
        event_kinds: event_kinds.as_ref().map(Option::as_deref),
        min_severity: min_severity.map(Severity::as_str),
        routing_key: sealed
            .as_ref()
            .map(|s| (s.ciphertext.as_str(), s.nonce.as_str())),
    };
    let now = clock::timestamp(clock::now());
    if !webhooks::update(&cx.app.db()?, user.org_id, id, &changes, &now).await? {
        return Err(AppError::not_found("Webhook"));
    }
    let after = owned(cx, user, id).await?;
    let (old, new) = changed_fields(&before, &after, routing_key.is_some());
    let entry = entry_of(user, Kind::WebhookUpdated, id, &after.name).changed(old, new);
    Ok(Changed::new(Reply::ok(&WebhookView::from(after))?, entry))
}

/// Stores a new webhook's secret and routing key, sealed, by one UPDATE:
/// on failure the row is still unsealed (and the caller removes it).
async fn seal_new(
    db: &worker::D1Database,
    vault: &Vault,
    (org_id, id): (i64, i64),
    secret: &str,
    routing_key: Option<&str>,
) -> AppResult<usize> {
    fn pair(s: &Sealed) -> (&str, &str) {
        (s.ciphertext.as_str(), s.nonce.as_str())
    }
    let sealed = vault.seal_webhook_secret(secret, org_id, id)?;
    let key = routing_key
        .map(|key| vault.seal_routing_key(key, org_id, id))
        .transpose()?;
    webhooks::seal(db, id, pair(&sealed), key.as_ref().map(pair)).await
}

/// The audit's before and after: the routing key only as held or not
/// (`set`, `none`, `replaced`), never its value.
fn changed_fields(before: &WebhookRow, after: &WebhookRow, new_key: bool) -> (Fields, Fields) {
    let held = |has: bool| if has { "set" } else { "none" };
    let (old, new) = (fields(before), fields(after));
    if !new_key && before.has_routing_key == after.has_routing_key {
        return (old, new);
    }
    let now_held = if new_key && before.has_routing_key {
        "replaced"
    } else {
        held(after.has_routing_key)
    };
    (
        old.secret("routing_key", held(before.has_routing_key)),
        new.secret("routing_key", now_held),
    )
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
    let name = webhooks::delete(&cx.app.db()?, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("Webhook"))?;
    let entry = entry_of(user, Kind::WebhookDeleted, id, &name)
        .removed(Fields::new().with("name", name.as_str()));
    Ok(Changed::new(Reply::no_content(), entry))
}
