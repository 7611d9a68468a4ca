//! One click to a safer account: an OpenRouter limit on a key that has
//! none, set through the management key and recorded like any action.

use serde::Deserialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use super::view::{action_view, ActionView};
use super::{act, KeySettings, Patch};
use crate::alerts::period::{Period, UserPeriod};
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::key::KeyKind;
use crate::domain::money::{EnteredAmount, Money};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::openrouter::{Budget, CallError, Client};
use crate::store::{api_keys, key_actions};

/// 1,000,000 USD, as budgets.
const MAX_LIMIT_UNITS: i64 = 1_000_000 * 10_000_000_000;
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SetKeyLimitRequest, description = "Unknown fields are refused (422).")]
struct LimitBody {
    #[schema(inline)]
    limit: EnteredAmount,
    /// The window the limit resets over (OpenRouter's `limit_reset`, UTC); null: it never resets.
    #[serde(default)]
    #[schema(inline, value_type = Option<UserPeriod>, required = true)]
    limit_reset: Option<String>,
}

/// Set an OpenRouter limit on a key
///
/// For a key with no OpenRouter limit: sets one (`limit` USD over `limit_reset`) through the account's management key, and records it as an action (`state: set`; never put back). A key that already has a limit keeps it (409: change it on OpenRouter); a key the management key does not see, or an account without a usable management key, is 409 too.
#[utoipa::path(
    post,
    path = "/api/keys/{id}/limit",
    operation_id = "setKeyLimit",
    tag = "policies",
    params(vocabulary::params::KeyId),
    request_body = LimitBody,
    responses(
        (status = 200, description = "The limit is set; the action that records it.", body = ActionView),
        (status = 409, description = "The key has a limit already, the management key does not see it, or there is no management key.", body = vocabulary::schemas::ConflictError),
        (status = 503, description = "OpenRouter could not be reached; nothing was changed.", body = vocabulary::schemas::ServiceUnavailableError),
    )
)]
pub async fn set_limit(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let (limit, reset) = terms(cx.req.json()?)?;
    let db = cx.app.db()?;
    let key = api_keys::target(&db, user.org_id, id)
        .await?
        .filter(|k| k.kind == KeyKind::Inference)
        .ok_or_else(|| AppError::not_found("API key"))?;
    let manager = act::manager_for(cx.app, &db, user.org_id).await?;
    let budget = Budget::new(act::PERSON_CALLS);
    let client = Client::new(
        &cx.app.config.openrouter_base_url,
        &budget,
        act::PERSON_TIMEOUT,
    );
    let seen = client
        .managed_key(&manager.key, &key.key_hash)
        .await
        .map_err(openrouter_error)?;
    let before = seen.settings();
    if let Some(existing) = before.limit {
        return Err(AppError::Conflict(format!(
            "This key already has an OpenRouter limit ({existing} USD); change it on OpenRouter."
        )));
    }
    let wanted = KeySettings {
        disabled: before.disabled,
        limit: Some(limit),
        limit_reset: reset.map(|p| p.as_str().to_owned()),
    };
    let patch = Patch::between(&before, &wanted);
    let after = (client.update_key(&manager.key, &key.key_hash, &patch).await)
        .map_err(openrouter_error)?
        .settings();
    let now = clock::timestamp(clock::now());
    let set = key_actions::Set {
        org_id: user.org_id,
        api_key_id: id,
        via_key_id: manager.id,
        before: serde_json::to_string(&before).unwrap_or_default(),
        after: serde_json::to_string(&after).unwrap_or_default(),
        target_limit: limit,
        target_reset: reset.map(Period::as_str),
    };
    let action_id = key_actions::record_set(&db, &set, &now).await?;
    let row = key_actions::get(&db, user.org_id, action_id)
        .await?
        .ok_or_else(|| AppError::internal("the recorded action is gone"))?;
    let entry = Entry::by_user(
        user.org_id,
        user.user_id,
        Kind::KeyLimitChanged,
        &row.key_name,
    )
    .key(id)
    .changed(before.audited(), after.audited())
    .reference(Fields::new().with("action_id", action_id));
    Ok(Changed::new(Reply::ok(&action_view(&row))?, entry))
}

/// The limit and its window, checked.
fn terms(body: LimitBody) -> AppResult<(Money, Option<Period>)> {
    let limit = body.limit.0;
    if limit <= Money::ZERO || limit.units() > MAX_LIMIT_UNITS {
        return Err(AppError::invalid(
            "limit",
            "must be more than 0 and at most 1000000 USD",
        ));
    }
    let reset = match body.limit_reset.as_deref() {
        Some(text) => Some(Period::parse("limit_reset", text)?),
        None => None,
    };
    Ok((limit, reset))
}

fn openrouter_error(e: CallError) -> AppError {
    match e {
        CallError::Refused { status: 404 } => AppError::Conflict(
            "The account's management key does not see this key on OpenRouter.".to_owned(),
        ),
        CallError::Rejected { .. } | CallError::Refused { .. } => {
            AppError::Conflict(format!("OpenRouter refused the change ({}).", e.describe()))
        }
        other => AppError::Unavailable(other.describe()),
    }
}
