//! The vault's reads: the user's keys, one key with its budgets, a key's
//! snapshots. Never a key value.

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::app::App;
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::page::{parse_bounded, Page};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::keys::views::{KeyList, KeySnapshotList, KeyView, SnapshotLimit, SnapshotView};
use crate::store;

/// List stored keys
///
/// The user's keys (public view: preview, status, last sync, latest snapshot with limit, remaining credit and spend today/this week/this month), oldest first, paginated. Never a key value.
#[utoipa::path(
    get,
    path = "/api/keys",
    operation_id = "listKeys",
    tag = "keys",
    params(vocabulary::params::Page, vocabulary::params::Limit),
    responses(
        (status = 200, description = "One page of keys.", body = KeyList),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let query = QueryParams::parse(req.query.as_deref(), &["page", "limit"])?;
    let page = Page::parse(query.get("page"), query.get("limit"))?;
    let db = app.db()?;
    let rows = store::api_keys::list(&db, user.org_id, page.limit(), page.offset()).await?;
    let total = match rows.first().and_then(|r| r.total) {
        Some(total) => total,
        None => store::api_keys::count(&db, user.org_id).await?,
    };
    let items = rows
        .into_iter()
        .map(|row| KeyView::from(row).seen_by(user.role))
        .collect::<Vec<_>>();
    Reply::ok(&KeyList {
        items,
        pagination: page.info(total),
    })
}

/// A key's snapshots
///
/// The key's snapshots of OpenRouter's `GET /key` (limit, remaining, usage today/this week/this month, all-time usage), newest first, at most `limit` (default 168: a week of hourly syncs). Another user's key: 404.
#[utoipa::path(
    get,
    path = "/api/keys/{id}/snapshots",
    operation_id = "keySnapshots",
    tag = "keys",
    params(vocabulary::params::KeyId, SnapshotLimit),
    responses(
        (status = 200, description = "Snapshots, newest first.", body = KeySnapshotList),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn snapshots(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
    let query = QueryParams::parse(cx.req.query.as_deref(), &["limit"])?;
    let limit = parse_bounded("limit", query.get("limit"), 168, 1, 1000)?;
    let rows = store::snapshots::of_key(&cx.app.db()?, user.org_id, id, limit)
        .await?
        .ok_or_else(|| AppError::not_found("API key"))?;
    let items: Vec<SnapshotView> = rows.into_iter().map(SnapshotView::from).collect();
    Reply::ok(&KeySnapshotList {
        api_key_id: id,
        items,
    })
}

pub(super) async fn owned(app: &App, org_id: i64, id: i64) -> AppResult<KeyView> {
    let row = store::api_keys::get(&app.db()?, org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("API key"))?;
    Ok(KeyView::from(row))
}

/// A key with its budgets (docs/alerts.md) and the runway of the one
/// reached first.
#[derive(Serialize, ToSchema)]
#[schema(description = "A stored key with its budgets and runway. Never contains the key value.")]
struct KeyDetail {
    #[serde(flatten)]
    key: KeyView,
    /// This key's budgets (its own, or its OpenRouter limit).
    budgets: Vec<crate::alerts::view::BudgetView>,
    /// The runway of the budget reached first.
    #[schema(required = true)]
    runway: Option<crate::alerts::runway::Runway>,
}

/// One stored key
///
/// A key of the user (public view with latest snapshot). Another user's key is 404. With its budgets and runway (docs/alerts.md).
#[utoipa::path(
    get,
    path = "/api/keys/{id}",
    operation_id = "getKey",
    tag = "keys",
    params(vocabulary::params::KeyId),
    responses(
        (status = 200, description = "The key.", body = KeyDetail),
    )
)]
pub async fn get(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
    let app = cx.app;
    let key = owned(app, user.org_id, id).await?.seen_by(user.role);
    let standing = crate::alerts::standing::load(&app.db()?, user.org_id, clock::now()).await?;
    let (budgets, runway) = crate::alerts::view::of_key(&standing, id);
    Reply::ok(&KeyDetail {
        key,
        budgets,
        runway,
    })
}
