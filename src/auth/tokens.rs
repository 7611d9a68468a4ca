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
}

#[derive(Serialize, ToSchema)]
#[serde(transparent)]
#[schema(description = "Every token of the user, revoked ones included (is_active false).")]
struct ApiTokenList(Vec<TokenView>);

impl From<TokenRow> for TokenView {
    fn from(row: TokenRow) -> Self {
        Self {
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
/// Mints a token for the public API (`or_api_` + 32 random bytes, base64url). The plaintext appears in this response only; only its SHA-256 and a display prefix are stored. At most 25 active tokens per user (409 beyond; revoke one first).
#[utoipa::path(
    post,
    path = "/api/tokens",
    operation_id = "createToken",
    tag = "tokens",
    request_body = CreateBody,
    responses(
        (status = 201, description = "Created; `token` is shown this once.", body = CreatedView),
        (status = 403, description = "The session signed in more than 10 minutes ago: send `password`.", body = vocabulary::schemas::ReauthenticationRequiredError),
        (status = 409, description = "The user already has 25 active tokens.", body = vocabulary::schemas::ConflictError),
    )
)]
pub async fn create(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let (app, req) = (cx.app, cx.req);
    let body: CreateBody = req.json()?;
    let name = Name::parse(&body.name)?;
    crate::auth::account::confirm_recent(cx, user, body.password.as_deref()).await?;
    let token = NewApiToken::generate().map_err(AppError::internal)?;
    let now = clock::timestamp(clock::now());
    let new = store::tokens::NewToken {
        user_id: user.user_id,
        session: &user.session.jti,
        name: name.as_str(),
        hash: &token.hash,
        prefix: &token.prefix,
    };
    let row = store::tokens::insert_capped(&app.db()?, &new, &now, MAX_ACTIVE_TOKENS)
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
    // The token itself never: its display prefix, as the list shows it.
    let entry = Entry::by_user(user.user_id, Kind::TokenCreated, &row.name)
        .created(
            Fields::new()
                .with("name", row.name.as_str())
                .with("prefix", row.token_prefix.as_str()),
        )
        .reference(Fields::new().with("token_id", row.id));
    let reply = Reply::created(&CreatedView {
        id: row.id,
        name: row.name,
        token: token.plaintext,
        created_at: row.created_at,
    })?;
    Ok(Changed::new(reply, entry))
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
    let rows = store::tokens::list(&app.db()?, user.user_id).await?;
    Reply::ok(&ApiTokenList(
        rows.into_iter().map(TokenView::from).collect(),
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
    let Some(revoked) = store::tokens::revoke(&app.db()?, user.user_id, id, &now).await? else {
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
    let entry = Entry::by_user(user.user_id, Kind::TokenRevoked, &revoked.name)
        .changed(
            Fields::new().with("is_active", true),
            Fields::new().with("is_active", false),
        )
        .reference(Fields::new().with("token_id", id));
    Ok(Changed::new(Reply::no_content(), entry))
}
