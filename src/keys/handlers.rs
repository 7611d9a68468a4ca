//! `/api/keys`: store, list, rename, (de)activate, delete and sync keys.
//!
//! A key value enters once (in `POST`), is sealed with the vault, and never
//! leaves: views carry only a preview (prefix and last 4 characters).

use std::time::Duration;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use serde::{Deserialize, Serialize};
use worker::D1Database;

use crate::app::App;
use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::Name;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::key::{KeyKind, ValidationStatus};
use crate::domain::secrets::OpenRouterKey;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::jobs::validate;
use crate::keys::reads::owned;
use crate::keys::vault::Vault;
use crate::keys::views::KeyView;
use crate::openrouter::{Budget, CallError, Client};
use crate::rate_limit::{self, Bucket};
use crate::security_log::{self, Event, Subject};
use crate::store::{self, api_keys::NewKey, Unique};

/// Calls the immediate validation may make (one retry).
const VALIDATION_BUDGET: u32 = 2;
const VALIDATION_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateKeyRequest, description = "Unknown fields are refused (422).")]
struct CreateBody {
    /// Display name, unique per user (409 otherwise). 1 to 100 characters after trimming surrounding whitespace; no control characters. The pattern states exactly this: any surrounding whitespace, then 1 to 100 characters that start and end with a non-space, none of them a control character (U+0000-U+001F, U+007F-U+009F).
    #[schema(
        nullable = false,
        min_length = 1,
        pattern = "^[\\u0009-\\u000D\\u0020\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000](?:[^\\u0000-\\u001F\\u007F-\\u009F]{0,98}[^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000])?[\\u0009-\\u000D\\u0020\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    name: String,
    /// The OpenRouter key: `sk-or-` followed by 20-200 characters of [A-Za-z0-9_-] (surrounding whitespace is trimmed). Stored encrypted (AES-256-GCM); never returned by any route. The same key twice in one account is 409.
    #[schema(pattern = "^\\s*sk-or-[A-Za-z0-9_-]{20,200}\\s*$", write_only)]
    key: String,
    /// `inference`: a key whose own spend is tracked (GET /key snapshots). `management`: a key used to read the activity (per model, per day) of the user's inference keys.
    #[serde(default)]
    #[schema(inline, default = "inference")]
    kind: KeyKind,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = UpdateKeyRequest, description = "At least one of `name` and `is_active` (else 422 on `body`). Unknown fields are refused (422).", min_properties = 1)]
struct UpdateBody {
    /// New display name, unique per user (409 otherwise). 1 to 100 characters after trimming surrounding whitespace; no control characters. The pattern states exactly this: any surrounding whitespace, then 1 to 100 characters that start and end with a non-space, none of them a control character (U+0000-U+001F, U+007F-U+009F).
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(
        nullable = false,
        min_length = 1,
        pattern = "^[\\u0009-\\u000D\\u0020\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*[^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000](?:[^\\u0000-\\u001F\\u007F-\\u009F]{0,98}[^\\u0000-\\u0020\\u007F-\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000])?[\\u0009-\\u000D\\u0020\\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]*$"
    )]
    name: Option<String>,
    /// false: the key is kept but no longer synced.
    #[serde(default, deserialize_with = "crate::http::body::present")]
    #[schema(nullable = false)]
    is_active: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CreatedKey, description = "The key's public view plus the outcome of the immediate validation.")]
struct CreatedView {
    #[serde(flatten)]
    key: KeyView,
    /// null when the key validated; otherwise a sentence saying why it is `invalid` (OpenRouter rejected it: stored, not synced) or `unknown` (OpenRouter unreachable: retried later).
    #[schema(required = true)]
    validation_detail: Option<String>,
}

pub(super) fn conflict_for(err: AppError) -> AppError {
    match store::unique_violation(&err) {
        Some(Unique::KeyOfUser) => {
            AppError::Conflict("This OpenRouter key is already stored in your account.".to_owned())
        }
        Some(Unique::KeyNameOfUser) => {
            AppError::Conflict("You already have a key with this name.".to_owned())
        }
        _ => err,
    }
}

/// Store an OpenRouter key
///
/// Checks the key's format (`sk-or-…`), stores it encrypted (AES-256-GCM, bound to the user and row), and validates it once against OpenRouter right away: accepted -> `valid` (with a first snapshot for an inference key); rejected (401/403) -> stored as `invalid` and said so in `validation_detail`; OpenRouter unreachable -> stored as `unknown`, retried by the daily validation. The answer is 201 in all three cases. The same key twice in one account, or a second key with the same name: 409. The key value never appears in any response, log or error. An account holds at most `MAX_KEYS_PER_USER` keys (50 by default; 409 beyond) and adds at most `KEY_ADDS_PER_HOUR` (20 by default) per hour (429 beyond), since each key is validated against OpenRouter at once.
#[utoipa::path(
    post,
    path = "/api/keys",
    operation_id = "createKey",
    tag = "keys",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Stored.", body = CreatedView),
        (status = 409, description = "A key with this name, the same key, or the account's maximum number of keys is already stored.", body = vocabulary::schemas::ConflictError),
        (status = 429, description = "Too many keys added in the last hour.", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn create(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let (app, req) = (cx.app, cx.req);
    let body: CreateBody = req.json()?;
    let name = Name::parse(&body.name)?;
    let key = OpenRouterKey::parse(&body.key)?;
    let db = app.db()?;
    rate_limit::enforce(
        app,
        &Bucket {
            name: &format!("key-add:{}", user.org_id),
            limit: app.config.key_adds_per_hour,
            window_secs: 3600,
        },
    )
    .await?;
    let id = store_sealed(app, &db, user, &name, body.kind, &key).await?;
    let detail = validate_now(app, &db, id, body.kind, &key).await?;
    cx.changes.org(user.org_id);
    let subject = Subject {
        user_id: Some(user.user_id),
        id: Some(id),
        ..Subject::default()
    };
    security_log::record(Event::KeyAdded, &req.client_network(), &subject);
    let row = store::api_keys::get(&db, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::internal("stored key vanished"))?;
    let entry = Entry::by_user(user.org_id, user.user_id, Kind::KeyCreated, &row.name)
        .key(id)
        .created(
            Fields::new()
                .with("name", row.name.as_str())
                .with("kind", row.kind.as_str())
                .with("key_preview", row.key_preview.as_str())
                .with("validation_status", row.validation_status.as_str()),
        );
    let reply = Reply::created(&CreatedView {
        key: KeyView::from(row),
        validation_detail: detail,
    })?;
    Ok(Changed::new(reply, entry))
}

/// Inserts the key's row, then seals the key bound to that row's id (the
/// ciphertext's associated data); an unsealed row is removed again.
async fn store_sealed(
    app: &App,
    db: &D1Database,
    user: &AuthUser,
    name: &Name,
    kind: KeyKind,
    key: &OpenRouterKey,
) -> AppResult<i64> {
    let vault = Vault::new(&app.encryption_key()?);
    let new_key = NewKey {
        org_id: user.org_id,
        added_by: user.user_id,
        name: name.as_str(),
        kind,
        preview: &key.preview(),
        key_hash: &key.hash(),
    };
    let max = app.config.max_keys_per_user;
    let now = clock::timestamp(clock::now());
    let id = store::api_keys::insert_unsealed(db, &new_key, &now, max)
        .await
        .map_err(conflict_for)?
        .ok_or_else(|| {
            AppError::Conflict(format!("You already have {max} keys; delete one first."))
        })?;
    let stored = match vault.seal(key.expose(), user.org_id, id) {
        Ok(sealed) => store::api_keys::seal(db, id, &sealed.ciphertext, &sealed.nonce).await,
        Err(e) => Err(e),
    };
    if let Err(e) = stored {
        // Best effort: an unsealed row is never synced or shown as usable.
        if let Err(cleanup) = store::api_keys::remove_unsealed(db, id).await {
            worker::console_error!("cannot remove unsealed key {id}: {cleanup}");
        }
        return Err(e);
    }
    Ok(id)
}

/// Asks OpenRouter once, right away: `valid` (with a first snapshot for an
/// inference key), `invalid` (401/403) or `unknown` (unreachable). Returns a
/// sentence for the client when the key is not `valid`.
async fn validate_now(
    app: &App,
    db: &worker::D1Database,
    id: i64,
    kind: KeyKind,
    key: &OpenRouterKey,
) -> AppResult<Option<String>> {
    let budget = Budget::new(VALIDATION_BUDGET);
    let client = Client::new(&app.config.openrouter_base_url, &budget, VALIDATION_TIMEOUT);
    let now = clock::now();
    let stamp = clock::timestamp(now);
    let (status, detail) = match kind {
        KeyKind::Inference => match client.key_info(key.expose()).await {
            Ok(info) => {
                store::snapshots::insert(db, id, &info.counters(), &stamp, now.date_naive())
                    .await?;
                (ValidationStatus::Valid, None)
            }
            Err(e) => outcome_of_failure(e),
        },
        KeyKind::Management => {
            match validate::check(&client, KeyKind::Management, key.expose()).await {
                Ok(true) => (ValidationStatus::Valid, None),
                Ok(false) => outcome_of_failure(CallError::Rejected { status: 401 }),
                Err(e) => outcome_of_failure(e),
            }
        }
    };
    if status == ValidationStatus::Unknown {
        store::api_keys::record_sync_error(
            db,
            id,
            detail.as_deref().unwrap_or_default(),
            false,
            &stamp,
        )
        .await?;
    } else {
        store::api_keys::set_validation(db, id, status, &stamp).await?;
    }
    Ok(detail)
}

fn outcome_of_failure(error: CallError) -> (ValidationStatus, Option<String>) {
    match error {
        CallError::Rejected { .. } => (
            ValidationStatus::Invalid,
            Some("OpenRouter rejected this key; it is stored but will not be synced until it validates.".to_owned()),
        ),
        other => (
            ValidationStatus::Unknown,
            Some(format!("The key could not be validated yet ({}); it will be retried.", other.describe())),
        ),
    }
}

/// Rename or (de)activate a key
///
/// Sets `name` and/or `is_active`. An inactive key is kept but not synced. Another user's key is 404.
#[utoipa::path(
    patch,
    path = "/api/keys/{id}",
    operation_id = "updateKey",
    tag = "keys",
    params(vocabulary::params::KeyId),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The updated key.", body = KeyView),
        (status = 409, description = "Another key of the account already has this name.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn update(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let (app, req) = (cx.app, cx.req);
    let body: UpdateBody = req.json()?;
    if body.name.is_none() && body.is_active.is_none() {
        return Err(AppError::invalid(
            "body",
            "must set `name` and/or `is_active`",
        ));
    }
    let name = body.name.as_deref().map(Name::parse).transpose()?;
    let db = app.db()?;
    let before = store::api_keys::get(&db, user.org_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("API key"))?;
    let now = clock::timestamp(clock::now());
    let found = store::api_keys::update(
        &db,
        user.org_id,
        id,
        name.as_ref().map(Name::as_str),
        body.is_active,
        &now,
    )
    .await
    .map_err(conflict_for)?;
    if !found {
        return Err(AppError::not_found("API key"));
    }
    cx.changes.org(user.org_id);
    let view = owned(app, user.org_id, id).await?;
    let fields = |name: &str, is_active: bool| {
        Fields::new()
            .with("name", name)
            .with("is_active", is_active)
    };
    let entry = Entry::by_user(user.org_id, user.user_id, Kind::KeyUpdated, view.name())
        .key(id)
        .changed(
            fields(&before.name, before.is_active),
            fields(view.name(), view.is_active()),
        );
    Ok(Changed::new(Reply::ok(&view)?, entry))
}

/// Delete a key
///
/// Deletes the key with its snapshots and usage rows. Another user's key is 404. A management key that keys are watched through (imported without their secret) is 409 until they are deleted: they are synced through it.
#[utoipa::path(
    delete,
    path = "/api/keys/{id}",
    operation_id = "deleteKey",
    tag = "keys",
    params(vocabulary::params::KeyId),
    responses(
        (status = 204, description = "Deleted."),
        (status = 409, description = "Keys are watched through this management key.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn delete(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let (app, req) = (cx.app, cx.req);
    let db = app.db()?;
    let watched = store::api_keys::watched_through(&db, user.org_id, id).await?;
    if watched > 0 {
        return Err(AppError::Conflict(format!(
            "{watched} keys are watched through this management key; delete them first."
        )));
    }
    let Some(name) = store::api_keys::delete(&db, user.org_id, id).await? else {
        return Err(AppError::not_found("API key"));
    };
    cx.changes.org(user.org_id);
    let subject = Subject {
        user_id: Some(user.user_id),
        id: Some(id),
        ..Subject::default()
    };
    security_log::record(Event::KeyDeleted, &req.client_network(), &subject);
    let entry = Entry::by_user(user.org_id, user.user_id, Kind::KeyDeleted, &name)
        .key(id)
        .removed(Fields::new().with("name", name.as_str()));
    Ok(Changed::new(Reply::no_content(), entry))
}
