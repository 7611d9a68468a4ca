//! `/api/actions`: what policies did to keys, and undoing it (docs/policies.md).

use watcher_core::api_doc::vocabulary;

use super::act;
use super::view::{action_view, ActionPage, ActionState, ActionView};
use crate::auth::session::AuthUser;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::page::Page;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::query::QueryParams;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::openrouter::{Budget, Client};
use crate::store::key_actions;

/// The account's key actions
///
/// What policies did (or, in a dry run, would have done) to the account's OpenRouter keys, newest first. `state=applied` lists the actions in force (each is put back at its `restore_at`).
#[utoipa::path(
    get,
    path = "/api/actions",
    operation_id = "listKeyActions",
    tag = "policies",
    params(vocabulary::params::Page, vocabulary::params::Limit, vocabulary::params::ActionStateFilter),
    responses(
        (status = 200, description = "A page of actions.", body = ActionPage),
        (status = 400, response = vocabulary::responses::BadRequest),
        (status = 422, response = vocabulary::responses::ValidationError),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let query = QueryParams::parse(cx.req.query.as_deref(), &["page", "limit", "state"])?;
    let page = Page::parse(query.get("page"), query.get("limit"))?;
    let state = match query.get("state") {
        Some(text) => Some(ActionState::parse(text).ok_or_else(|| {
            AppError::invalid(
                "state",
                "must be one of pending, applied, dry_run, skipped, failed, restored, undone, kept, set",
            )
        })?),
        None => None,
    };
    let state = state.map(ActionState::as_str);
    let db = cx.app.db()?;
    let rows = key_actions::list(&db, user.org_id, state, page.limit(), page.offset()).await?;
    let total = match rows.first().and_then(|r| r.total) {
        Some(total) => total,
        None => key_actions::count(&db, user.org_id, state).await?,
    };
    Reply::ok(&ActionPage {
        items: rows.iter().map(action_view).collect(),
        pagination: page.info(total),
    })
}

/// Undo an action
///
/// Puts back at once what an applied action changed on OpenRouter (the key enabled again, its previous limit), through the account's management key, unless a person changed those settings on OpenRouter since (then the key is left as they set it: `state: kept`). An undone action is not taken again in the same period. 409 when the action is not applied (pending, a dry run, already put back) or the account has no usable management key.
#[utoipa::path(
    post,
    path = "/api/actions/{id}/undo",
    operation_id = "undoKeyAction",
    tag = "policies",
    params(vocabulary::params::ActionId),
    responses(
        (status = 200, description = "The action, `undone` (or `kept`, or still `applied` with `detail` when OpenRouter could not be reached).", body = ActionView),
        (status = 409, description = "Not an applied action, or no management key to act through.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn undo(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let db = cx.app.db()?;
    let current = key_actions::get(&db, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("Action"))?;
    if current.state != "applied" {
        return Err(AppError::Conflict(format!(
            "This action is {}, not applied: there is nothing to undo.",
            current.state.replace('_', " ")
        )));
    }
    let manager = act::manager_for(cx.app, &db, user.org_id).await?;
    let budget = Budget::new(act::PERSON_CALLS);
    let client = Client::new(
        &cx.app.config.openrouter_base_url,
        &budget,
        act::PERSON_TIMEOUT,
    );
    if act::undo(&db, &client, &manager, user.org_id, id)
        .await?
        .is_none()
    {
        return Err(AppError::Conflict(
            "The hourly run is working on this action right now; try again in a minute.".to_owned(),
        ));
    }
    let row = key_actions::get(&db, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("Action"))?;
    let view = action_view(&row);
    let mut entry = Entry::by_user(user.org_id, user.user_id, Kind::PolicyUndone, &row.key_name)
        .key(row.api_key_id)
        .reference(
            Fields::new()
                .with("action_id", row.id)
                .with("budget", row.budget_label.as_str())
                .with("state", row.state.as_str()),
        );
    // Put back: from what the action had set to what was there before it.
    if let (ActionState::Undone, Some(set), Some(back)) = (view.state, &view.after, &view.before) {
        entry = entry.changed(set.audited(), back.audited());
    }
    Ok(Changed::new(Reply::ok(&view)?, entry))
}
