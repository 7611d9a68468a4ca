//! `/api/tokens`: API tokens for the public API. The plaintext is shown once,
//! in the creation response; only its SHA-256 and a display prefix are kept.

use crate::audit::{self, Event, Subject};
use serde::{Deserialize, Serialize};

use crate::auth::session::AuthUser;
use crate::clock;
use crate::domain::account::Name;
use crate::domain::secrets::NewApiToken;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::store::{self, tokens::TokenRow};

/// Active tokens one user may hold; revoke one to create another.
pub const MAX_ACTIVE_TOKENS: i64 = 25;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    /// Needed when the session is older than `REAUTH_AFTER_SECS`.
    #[serde(default)]
    password: Option<String>,
}

#[derive(Serialize)]
struct CreatedView {
    id: i64,
    name: String,
    token: String,
    created_at: String,
}

#[derive(Serialize)]
struct TokenView {
    id: i64,
    name: String,
    prefix: String,
    created_at: String,
    last_used_at: Option<String>,
    is_active: bool,
}

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

pub async fn create(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let body: CreateBody = req.json()?;
    let name = Name::parse(&body.name)?;
    crate::auth::handlers::confirm_recent(cx, user, body.password.as_deref()).await?;
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
    audit::record(Event::TokenCreated, &req.client_network(), &subject);
    Reply::created(&CreatedView {
        id: row.id,
        name: row.name,
        token: token.plaintext,
        created_at: row.created_at,
    })
}

pub async fn list(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let app = cx.app;
    let rows = store::tokens::list(&app.db()?, user.user_id).await?;
    let views: Vec<TokenView> = rows.into_iter().map(TokenView::from).collect();
    Reply::ok(&views)
}

pub async fn revoke(cx: &Ctx<'_>, user: &AuthUser, id: i64) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let now = clock::timestamp(clock::now());
    let Some(token_hash) = store::tokens::revoke(&app.db()?, user.user_id, id, &now).await? else {
        return Err(AppError::not_found("API token"));
    };
    // Immediate: the token's object answers for it, so it is told too.
    crate::public_api::revoke_token(app, &token_hash).await;
    let subject = Subject {
        user_id: Some(user.user_id),
        id: Some(id),
        ..Subject::default()
    };
    audit::record(Event::TokenRevoked, &req.client_network(), &subject);
    Ok(Reply::no_content())
}
