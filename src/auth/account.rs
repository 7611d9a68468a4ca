//! `/api/auth/password` and `DELETE /api/auth/me`: the two changes to an
//! account that ask for its password again, and the recent-password check
//! other sensitive routes (new API tokens, webhooks) share.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::app::App;
use crate::auth::handlers::{new_session, Attempts, TokenView};
use crate::auth::session::AuthUser;
use crate::auth::{jwt, password};
use crate::clock;
use crate::domain::account::Password;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::secrets::sha256_hex;
use crate::domain::Invalid;
use crate::error::{AppError, AppResult};
use crate::http::ctx::{Ctx, Incoming};
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::public_api;
use crate::security_log::{self, Event, Subject};
use crate::store;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ChangePasswordRequest, description = "Unknown fields are refused (422).")]
struct ChangePasswordBody {
    /// The account's password now (422 on this field when wrong).
    #[schema(max_length = 1024)]
    current_password: String,
    /// 12 to 128 characters (Unicode scalar values).
    #[schema(min_length = 12, max_length = 128)]
    new_password: String,
    /// Revoke every API token and pause every webhook that another session created (default true): what someone who had the old password may have left behind.
    #[serde(default = "yes")]
    #[schema(default = true)]
    revoke_other_access: bool,
}

fn yes() -> bool {
    true
}

#[derive(Serialize, ToSchema)]
struct PasswordChanged {
    #[serde(flatten)]
    session: TokenView,
    /// API tokens other sessions created, revoked now.
    #[schema(minimum = 0)]
    revoked_tokens: usize,
    /// Webhooks other sessions created, paused now (enable them again once checked).
    #[schema(minimum = 0)]
    paused_webhooks: usize,
}

/// Change the password
///
/// Needs the current password (attempts limited like logins). Ends every session of the account, the calling one included, and answers with a fresh session for the caller.
#[utoipa::path(
    post,
    path = "/api/auth/password",
    operation_id = "changePassword",
    tag = "auth",
    request_body = ChangePasswordBody,
    responses(
        (status = 200, description = "Changed; a new session (every older one has ended), and what other sessions created that was revoked or paused.", body = PasswordChanged),
        (status = 429, description = "Too many wrong passwords for this account or from this network (shared with the login limit).", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn change_password(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Changed> {
    let (app, req) = (cx.app, cx.req);
    let body: ChangePasswordBody = req.json()?;
    let new_password = Password::parse(body.new_password)
        .map_err(|rule| Invalid::new("new_password", rule.reason))?;
    let secret = app.jwt_secret()?;
    let db = app.db()?;
    let network = req.client_network();
    let account = confirm_password(
        app,
        req,
        user.user_id,
        &body.current_password,
        "current_password",
    )
    .await?;
    let hash = password::hash(new_password.expose())?;
    let now = clock::timestamp(clock::now());
    let epoch = store::users::change_password(&db, account.id, &hash, &now)
        .await?
        .ok_or_else(jwt::rejected)?;
    let subject = Subject {
        user_id: Some(account.id),
        ..Subject::default()
    };
    security_log::record(Event::PasswordChanged, &network, &subject);
    let (revoked_tokens, paused_webhooks) = if body.revoke_other_access {
        revoke_other_access(app, user, &now).await?
    } else {
        (0, 0)
    };
    // Never the password: only that it changed, and what went with it.
    let entry = Entry::by_user(user.org_id, account.id, Kind::PasswordChanged, "password").created(
        Fields::new()
            .secret("password", "changed")
            .with("revoked_tokens", revoked_tokens)
            .with("paused_webhooks", paused_webhooks),
    );
    let reply = Reply::ok(&PasswordChanged {
        session: new_session(app, &secret, account.id, epoch)?,
        revoked_tokens,
        paused_webhooks,
    })?;
    Ok(Changed::new(reply, entry))
}

/// Revokes the tokens and pauses the webhooks other sessions created; how
/// many of each. Each revoked token's object is told at once.
async fn revoke_other_access(app: &App, user: &AuthUser, now: &str) -> AppResult<(usize, usize)> {
    let db = app.db()?;
    let session = user.session.jti.as_str();
    let hashes = store::tokens::revoke_others(&db, user.org_id, session, now).await?;
    for hash in &hashes {
        public_api::revoke_token(app, hash).await;
    }
    let paused = store::webhooks::pause_others(&db, user.org_id, session, now).await?;
    Ok((hashes.len(), paused))
}

/// How long after signing in a session may create credentials (API tokens,
/// webhooks) without the password again.
pub const REAUTH_AFTER_SECS: i64 = 10 * 60;

/// Creating something that outlives the session (an API token, a webhook)
/// from a session older than [`REAUTH_AFTER_SECS`] needs the password, so
/// a stolen session cannot quietly plant lasting access: 403
/// `reauthentication_required` without it, 422 on `password` when wrong
/// (attempts limited like logins).
pub async fn confirm_recent(
    cx: &Ctx<'_>,
    user: &AuthUser,
    password: Option<&str>,
) -> AppResult<()> {
    let age = clock::now().signed_duration_since(user.session.issued_at);
    match password {
        _ if age.num_seconds() < REAUTH_AFTER_SECS => Ok(()),
        Some(password) => confirm_password(cx.app, cx.req, user.user_id, password, "password")
            .await
            .map(drop),
        None => Err(AppError::ReauthenticationRequired(format!(
            "This session signed in more than {} minutes ago: confirm with your password (`password`).",
            REAUTH_AFTER_SECS / 60
        ))),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DeleteAccountRequest, description = "Unknown fields are refused (422).")]
struct DeleteAccountBody {
    /// The account's password (422 on this field when wrong or missing). An account without one (made by a Cloudflare Access sign-in) sends none: its session must have signed in within the last 10 minutes.
    #[schema(max_length = 1024)]
    password: Option<String>,
}

/// Delete the account
///
/// Needs the password (attempts limited like logins); an account without one (Cloudflare Access) needs a session signed in within the last 10 minutes instead. Removes the account and, in the same statement, its keys, snapshots, usage, API tokens, audit log and sessions; its API tokens stop answering at once. The account's id is never given to another account.
#[utoipa::path(
    delete,
    path = "/api/auth/me",
    operation_id = "deleteAccount",
    tag = "auth",
    request_body = DeleteAccountBody,
    responses(
        (status = 204, description = "Deleted."),
        (status = 403, description = "An account without a password (Cloudflare Access) whose session signed in more than 10 minutes ago: sign in through Access again.", body = vocabulary::schemas::ReauthenticationRequiredError),
        (status = 429, description = "Too many wrong passwords for this account or from this network (shared with the login limit).", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn delete_account(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let body: DeleteAccountBody = req.json()?;
    let db = app.db()?;
    let account = reauthenticate(cx, user, body.password.as_deref()).await?;
    let stranded = store::organisations::left_without_owner(&db, account.id).await?;
    if !stranded.is_empty() {
        return Err(AppError::Conflict(format!(
            "This account is the last owner of organisation {}: make another member its owner first.",
            join_ids(&stranded)
        )));
    }
    // The organisations only this person belongs to go with them.
    let mut token_hashes = Vec::new();
    for org_id in store::organisations::sole_member_of(&db, account.id).await? {
        token_hashes.extend(store::tokens::active_hashes(&db, org_id).await?);
    }
    store::organisations::delete_with_person(&db, account.id).await?;
    for hash in &token_hashes {
        public_api::revoke_token(app, hash).await;
    }
    let subject = Subject {
        user_id: Some(account.id),
        ..Subject::default()
    };
    security_log::record(Event::AccountDeleted, &req.client_network(), &subject);
    Ok(Reply::no_content())
}

/// Who asks for something that cannot be undone, confirmed: the account's
/// password (422 on `password` when wrong or missing, attempts limited like
/// logins), or for an account without one a fresh sign-in.
pub(crate) async fn reauthenticate(
    cx: &Ctx<'_>,
    user: &AuthUser,
    password: Option<&str>,
) -> AppResult<store::users::Credentials> {
    match password {
        Some(password) => {
            confirm_password(cx.app, cx.req, user.user_id, password, "password").await
        }
        None => confirm_without_password(cx.app, user).await,
    }
}

/// An account without a password (made by a Cloudflare Access sign-in)
/// confirms who it is by a fresh sign-in: a session younger than
/// [`REAUTH_AFTER_SECS`], as a password account's creating a token.
async fn confirm_without_password(
    app: &App,
    user: &AuthUser,
) -> AppResult<store::users::Credentials> {
    let account = store::users::credentials_by_id(&app.db()?, user.user_id)
        .await?
        .ok_or_else(jwt::rejected)?;
    if account.has_password {
        return Err(AppError::invalid("password", "is required"));
    }
    let age = clock::now().signed_duration_since(user.session.issued_at);
    if age.num_seconds() >= REAUTH_AFTER_SECS {
        return Err(AppError::ReauthenticationRequired(format!(
            "This session signed in more than {} minutes ago: sign in again through Cloudflare Access.",
            REAUTH_AFTER_SECS / 60
        )));
    }
    Ok(account)
}

/// The signed-in user's password, checked with the login's attempt limits;
/// a wrong one is a 422 on `field` (the session itself is fine).
async fn confirm_password(
    app: &App,
    req: &Incoming,
    user_id: i64,
    presented: &str,
    field: &str,
) -> AppResult<store::users::Credentials> {
    let account = store::users::credentials_by_id(&app.db()?, user_id)
        .await?
        .ok_or_else(jwt::rejected)?;
    let network = req.client_network();
    let email_hash = sha256_hex(&account.email);
    if !account.has_password {
        return Err(AppError::invalid(
            field,
            "cannot be checked: this account has no password (it signs in through Cloudflare Access)",
        ));
    }
    let attempts = Attempts::reserve(app, &network, &email_hash).await?;
    if !password::verify(presented, &account.password_hash)? {
        let subject = Subject {
            user_id: Some(user_id),
            ..Subject::default()
        };
        security_log::record(Event::PasswordChangeFailed, &network, &subject);
        return Err(AppError::invalid(field, "is not the account's password"));
    }
    attempts.give_back(app).await;
    Ok(account)
}

fn join_ids(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
