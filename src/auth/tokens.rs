//! `/api/tokens`: API tokens for the public API. The plaintext is shown once,
//! in the creation response; only its SHA-256 and a display prefix are kept.

use crate::security_log::{self, Event, Subject};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::Name;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::scope::{self, Scope, Scopes};
use crate::domain::secrets::NewApiToken;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::store::{self, tokens::TokenRow};

/// Active tokens one user may hold; revoke one to create another.
pub const MAX_ACTIVE_TOKENS: i64 = 25;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CreateTokenRequest, description = "Unknown fields are refused (422).")]
struct CreateBody {
    #[schema(value_type = vocabulary::schemas::Name)]
    name: String,
    /// What the token may read, each scope once; absent or null: all four (full read access).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Scope>>, min_items = 1, max_items = 4, nullable = false)]
    scopes: Option<Vec<String>>,
    /// Ids of the account's keys the token may see (every endpoint then shows only their figures); absent or null: every key. An id that is not one of your keys is 422.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 100)]
    api_key_ids: Option<Vec<i64>>,
    /// When the token stops working (then 401 like a revoked one): after now and at most 365 days ahead; absent or null: never.
    #[serde(default)]
    #[schema(value_type = vocabulary::schemas::NullableTimestamp)]
    expires_at: Option<String>,
    /// The account's password. Needed when the session signed in more than 10 minutes ago (403 `reauthentication_required` without it, 422 on this field when wrong; attempts limited like logins).
    #[serde(default)]
    #[schema(max_length = 1024)]
    #[schema(nullable = false)]
    password: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = CreatedToken)]
struct CreatedView {
    /// Token id.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    name: String,
    /// The plaintext token: `or_api_` + 32 random bytes in unpadded base64url. Shown in this response only; only its SHA-256 is stored.
    #[schema(pattern = "^or_api_[A-Za-z0-9_-]{43}$")]
    token: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    created_at: String,
    /// What the token may read.
    #[schema(value_type = Vec<Scope>, min_items = 1, max_items = 4)]
    scopes: Vec<&'static str>,
    /// The only keys it sees (a deleted key drops out: possibly none left), or null: every key.
    #[schema(required = true)]
    api_key_ids: Option<Vec<i64>>,
    /// When it stops working, or null: never.
    #[schema(value_type = vocabulary::schemas::NullableTimestamp, required = true)]
    expires_at: Option<String>,
    /// Whether `expires_at` has passed (an expired token answers 401; deleted 30 days after).
    expired: bool,
}

/// What a token may read, and until when, as both views show it.
struct GrantView {
    scopes: Vec<&'static str>,
    api_key_ids: Option<Vec<i64>>,
    expires_at: Option<String>,
    expired: bool,
}

impl GrantView {
    fn of(row: &TokenRow, key_ids: Option<Vec<i64>>, now: chrono::DateTime<chrono::Utc>) -> Self {
        let expiry = row
            .expires_at
            .as_deref()
            .map(|t| clock::parse_timestamp(t).unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC));
        Self {
            scopes: Scopes::from_bits(row.scopes).names(),
            api_key_ids: key_ids.filter(|_| row.key_limited),
            expires_at: row.expires_at.clone(),
            expired: scope::is_expired(expiry, now),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = ApiToken)]
struct TokenView {
    /// Token id.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    name: String,
    /// The first 13 characters of the token, for recognising it.
    #[schema(pattern = "^or_api_[A-Za-z0-9_-]{6}$")]
    prefix: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    created_at: String,
    /// Last successful /api/v1 call; written at most once a minute per token, so it may lag by up to a minute.
    #[schema(format = DateTime, pattern = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$", required = true)]
    last_used_at: Option<String>,
    /// false once revoked.
    is_active: bool,
    /// What the token may read.
    #[schema(value_type = Vec<Scope>, min_items = 1, max_items = 4)]
    scopes: Vec<&'static str>,
    /// The only keys it sees (a deleted key drops out: possibly none left), or null: every key.
    #[schema(required = true)]
    api_key_ids: Option<Vec<i64>>,
    /// When it stops working, or null: never.
    #[schema(value_type = vocabulary::schemas::NullableTimestamp, required = true)]
    expires_at: Option<String>,
    /// Whether `expires_at` has passed (an expired token answers 401; deleted 30 days after).
    expired: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(transparent)]
#[schema(description = "Every token of the user, revoked ones included (is_active false).")]
struct ApiTokenList(Vec<TokenView>);

impl TokenView {
    fn of(row: TokenRow, now: chrono::DateTime<chrono::Utc>) -> Self {
        // `group_concat` of integer ids: digits and commas only.
        let key_ids = row
            .key_ids
            .as_deref()
            .map(|ids| ids.split(',').filter_map(|id| id.parse().ok()).collect());
        let grant = GrantView::of(&row, Some(key_ids.unwrap_or_default()), now);
        Self {
            scopes: grant.scopes,
            api_key_ids: grant.api_key_ids,
            expires_at: grant.expires_at,
            expired: grant.expired,
            id: row.id,
            name: row.name,
            prefix: row.token_prefix,
            created_at: row.created_at,
            last_used_at: row.last_used_at,
            is_active: row.is_active,
        }
    }
}

/// Create an API token
///
/// Mints a token for the public API (`or_api_` + 32 random bytes, base64url). The plaintext appears in this response only; only its SHA-256 and a display prefix are stored. Optionally limited to some scopes (`stats:read`, `usage:read`, `keys:read`, `metrics:read`; default all four), to some of your keys (`api_key_ids`) and in time (`expires_at`, at most 365 days ahead). At most 25 active, unexpired tokens per user (409 beyond; revoke one first).
#[utoipa::path(
    post,
    path = "/api/tokens",
    operation_id = "createToken",
    tag = "tokens",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created; `token` is shown this once.", body = CreatedView),
        (status = 403, description = "The session signed in more than 10 minutes ago: send `password`.", body = vocabulary::schemas::ReauthenticationRequiredError),
        (status = 409, description = "The user already has 25 active, unexpired tokens.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn create(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let (app, req) = (cx.app, cx.req);
    let body: CreateBody = req.json()?;
    let name = Name::parse(&body.name)?;
    let now = clock::now();
    let scopes = Scopes::parse(body.scopes.as_deref())?;
    let expires_at = scope::parse_expiry(body.expires_at.as_deref(), now)?.map(clock::timestamp);
    let db = app.db()?;
    let key_ids = own_keys(&db, user.org_id, body.api_key_ids).await?;
    crate::auth::account::confirm_recent(cx, user, body.password.as_deref()).await?;
    let token = NewApiToken::generate().map_err(AppError::internal)?;
    let key_list = key_ids.as_deref().map(json_ids);
    let new = store::tokens::NewToken {
        org_id: user.org_id,
        session: &user.session.jti,
        name: name.as_str(),
        hash: &token.hash,
        prefix: &token.prefix,
        scopes: scopes.bits(),
        expires_at,
        key_ids: key_list,
    };
    let row = store::tokens::insert_capped(&db, &new, &clock::timestamp(now), MAX_ACTIVE_TOKENS)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "You already have {MAX_ACTIVE_TOKENS} active API tokens; revoke one first."
            ))
        })?;
    let subject = Subject {
        user_id: Some(user.user_id),
        id: Some(row.id),
        ..Subject::default()
    };
    security_log::record(Event::TokenCreated, &req.client_network(), &subject);
    let grant = GrantView::of(&row, key_ids, now);
    // The token itself never: its display prefix, as the list shows it.
    let entry = Entry::by_user(user.org_id, user.user_id, Kind::TokenCreated, &row.name)
        .created(
            Fields::new()
                .with("name", row.name.as_str())
                .with("prefix", row.token_prefix.as_str())
                .with("scopes", grant.scopes.clone())
                .with("api_key_ids", grant.api_key_ids.clone())
                .with("expires_at", grant.expires_at.clone()),
        )
        .reference(Fields::new().with("token_id", row.id));
    let reply = Reply::created(&CreatedView {
        id: row.id,
        name: row.name,
        token: token.plaintext,
        created_at: row.created_at,
        scopes: grant.scopes,
        api_key_ids: grant.api_key_ids,
        expires_at: grant.expires_at,
        expired: grant.expired,
    })?;
    Ok(Changed::new(reply, entry))
}

/// The request's `api_key_ids`, each once, when every one is a key of the
/// user: another account's key is refused exactly like an unknown one.
async fn own_keys(
    db: &worker::D1Database,
    org_id: i64,
    ids: Option<Vec<i64>>,
) -> AppResult<Option<Vec<i64>>> {
    let Some(mut ids) = ids else {
        return Ok(None);
    };
    let invalid = || {
        AppError::invalid(
            "api_key_ids",
            "must list 1 to 100 of your keys, and only your keys",
        )
    };
    if ids.is_empty() || ids.len() > 100 {
        return Err(invalid());
    }
    ids.sort_unstable();
    ids.dedup();
    let owned = store::tokens::owned_keys(db, org_id, &json_ids(&ids)).await?;
    if usize::try_from(owned).ok() != Some(ids.len()) {
        return Err(invalid());
    }
    Ok(Some(ids))
}

/// Ids as a JSON array (for SQLite's `json_each`).
fn json_ids(ids: &[i64]) -> String {
    let listed: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("[{}]", listed.join(","))
}

/// List API tokens
///
/// Every API token of the user, oldest first, revoked ones included. Never the token itself: only its display prefix.
#[utoipa::path(
    get,
    path = "/api/tokens",
    operation_id = "listTokens",
    tag = "tokens",
    responses(
        (status = 200, description = "The tokens.", body = ApiTokenList),
    )
)]
pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let app = cx.app;
    let rows = store::tokens::list(&app.db()?, user.org_id).await?;
    Reply::ok(&ApiTokenList(
        rows.into_iter()
            .map(|row| TokenView::of(row, clock::now()))
            .collect(),
    ))
}

/// Revoke an API token
///
/// Revokes the token at once: its next /api/v1 call is 401. Revoking an already revoked token is also 204. Another user's token is 404.
#[utoipa::path(
    delete,
    path = "/api/tokens/{id}",
    operation_id = "revokeToken",
    tag = "tokens",
    params(vocabulary::params::TokenId),
    responses(
        (status = 204, description = "Revoked."),
    )
)]
pub async fn revoke(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Changed> {
    let (app, req) = (cx.app, cx.req);
    let now = clock::timestamp(clock::now());
    let Some(revoked) = store::tokens::revoke(&app.db()?, user.org_id, id, &now).await? else {
        return Err(AppError::not_found("API token"));
    };
    // Immediate: the token's object answers for it, so it is told too.
    crate::public_api::revoke_token(app, &revoked.token_hash).await;
    let subject = Subject {
        user_id: Some(user.user_id),
        id: Some(id),
        ..Subject::default()
    };
    security_log::record(Event::TokenRevoked, &req.client_network(), &subject);
    let entry = Entry::by_user(user.org_id, user.user_id, Kind::TokenRevoked, &revoked.name)
        .changed(
            Fields::new().with("is_active", true),
            Fields::new().with("is_active", false),
        )
        .reference(Fields::new().with("token_id", id));
    Ok(Changed::new(Reply::no_content(), entry))
}
