//! `/api/auth/*`: register, login, logout, me, password change, account
//! deletion. Each security event is logged as one structured line
//! (`audit`), never with a secret.

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::audit::{self, Event, Subject};
use crate::auth::session::AuthUser;
use crate::auth::{jwt, password};
use crate::clock;
use crate::domain::account::{Email, Password};
use crate::domain::network::is_loopback;
use crate::domain::secrets::sha256_hex;
use crate::domain::Invalid;
use crate::error::{AppError, AppResult};
use crate::http::ctx::{Ctx, Incoming};
use crate::http::reply::Reply;
use crate::public_api;
use crate::rate_limit::{self, Bucket};
use crate::store::{self, users::UserRow, Unique};

/// Failed logins (and wrong current passwords) allowed per client network
/// and per email within the window.
pub const LOGIN_FAILURES_ALLOWED: u32 = 10;
pub const LOGIN_WINDOW_SECS: i64 = 15 * 60;
/// Sign-ups allowed per client network (an IPv6 /64) within the window.
pub const REGISTRATIONS_ALLOWED: u32 = 5;
pub const REGISTER_WINDOW_SECS: i64 = 3600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsBody {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct UserView {
    id: i64,
    email: String,
    created_at: String,
}

impl From<UserRow> for UserView {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            email: row.email,
            created_at: row.created_at,
        }
    }
}

pub async fn register(cx: &Ctx<'_>) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let body: CredentialsBody = req.json()?;
    let email = Email::parse(&body.email)?;
    let password = Password::parse(body.password)?;
    // Charged before argon2: every attempt, taken or not, counts.
    let network = req.client_network();
    // Sign-ups from this machine (local development and its test suites,
    // where every caller is 127.0.0.1) are not throttled; on Cloudflare the
    // client address is never a loopback one.
    if !is_loopback(req.header("cf-connecting-ip")) {
        rate_limit::enforce(
            app,
            &Bucket {
                name: &format!("register:{network}"),
                limit: REGISTRATIONS_ALLOWED,
                window_secs: REGISTER_WINDOW_SECS,
            },
        )
        .await?;
    }
    let hash = password::hash(password.expose())?;
    let now = clock::timestamp(clock::now());
    match store::users::insert(&app.db()?, email.as_str(), &hash, &now).await {
        Ok(Some(user)) => {
            let subject = Subject {
                user_id: Some(user.id),
                ..Subject::default()
            };
            audit::record(Event::Register, &network, &subject);
            Reply::created(&UserView::from(user))
        }
        Ok(None) => Err(AppError::internal("user insert returned no row")),
        Err(e) if store::unique_violation(&e) == Some(Unique::UserEmail) => Err(
            AppError::Conflict("An account with this email already exists.".to_owned()),
        ),
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
struct TokenView {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
}

pub async fn login(cx: &Ctx<'_>) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let body: CredentialsBody = req.json()?;
    // Not `Email::parse`: a malformed email is just another failed login.
    let email = body.email.trim().to_lowercase();
    // A Worker without its signing secret refuses before any argon2 work.
    let secret = app.jwt_secret()?;
    let network = req.client_network();
    let email_hash = sha256_hex(&email);
    let attempts = Attempts::reserve(app, &network, &email_hash).await?;

    let credentials = store::users::credentials(&app.db()?, &email).await?;
    // Unknown emails verify against a dummy hash: same cost, same answer.
    let (found, phc) = match &credentials {
        Some(c) => (Some(c), c.password_hash.as_str()),
        None => (None, password::DUMMY_HASH),
    };
    let matches = password::verify(&body.password, phc)?;
    let Some(user) = found.filter(|_| matches) else {
        let subject = Subject {
            email_sha256: Some(&email_hash),
            ..Subject::default()
        };
        audit::record(Event::LoginFailed, &network, &subject);
        return Err(AppError::Unauthorized(
            "Invalid email or password.".to_owned(),
        ));
    };
    attempts.give_back(app).await;
    let subject = Subject {
        user_id: Some(user.id),
        ..Subject::default()
    };
    audit::record(Event::LoginOk, &network, &subject);
    issue_session(app, &secret, user.id, user.session_epoch)
}

fn issue_session(app: &App, secret: &[u8], user_id: i64, epoch: i64) -> AppResult<Reply> {
    Reply::ok(&new_session(app, secret, user_id, epoch)?)
}

fn new_session(app: &App, secret: &[u8], user_id: i64, epoch: i64) -> AppResult<TokenView> {
    let issued = jwt::issue(
        secret,
        user_id,
        epoch,
        app.config.jwt_ttl_seconds,
        clock::now(),
    )?;
    Ok(TokenView {
        access_token: issued.token,
        token_type: "bearer",
        expires_in: issued.expires_in,
    })
}

/// Password attempts, limited per client network and per email. A slot is
/// reserved in both buckets *before* the password is verified, so a
/// parallel burst cannot get more than the limit verified; a correct
/// password gives its slots back, so only failures count.
struct Attempts {
    buckets: [String; 2],
}

impl Attempts {
    async fn reserve(app: &App, network: &str, email_hash: &str) -> AppResult<Self> {
        let attempts = Self {
            buckets: [
                format!("login-ip:{network}"),
                format!("login-email:{email_hash}"),
            ],
        };
        for (i, name) in attempts.buckets.iter().enumerate() {
            let bucket = Bucket {
                name,
                limit: LOGIN_FAILURES_ALLOWED,
                window_secs: LOGIN_WINDOW_SECS,
            };
            if let Err(refused) = rate_limit::enforce(app, &bucket).await {
                // The slots already taken are not an attempt either.
                for taken in attempts.buckets.iter().take(i) {
                    let _ = rate_limit::release(app, taken).await;
                }
                let subject = Subject {
                    email_sha256: Some(email_hash),
                    ..Subject::default()
                };
                audit::record(Event::LoginThrottled, network, &subject);
                return Err(refused);
            }
        }
        Ok(attempts)
    }

    async fn give_back(self, app: &App) {
        for name in &self.buckets {
            if let Err(e) = rate_limit::release(app, name).await {
                worker::console_error!("cannot give back a login attempt: {e}");
            }
        }
    }
}

pub async fn logout(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let expires_at = clock::timestamp(user.session.expires_at);
    store::sessions::revoke(&app.db()?, &user.session.jti, &expires_at).await?;
    let subject = Subject {
        user_id: Some(user.user_id),
        ..Subject::default()
    };
    audit::record(Event::Logout, &req.client_network(), &subject);
    Ok(Reply::no_content())
}

pub async fn me(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let app = cx.app;
    let row = store::users::by_id(&app.db()?, user.user_id)
        .await?
        .ok_or_else(jwt::rejected)?;
    Reply::ok(&UserView::from(row))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangePasswordBody {
    current_password: String,
    new_password: String,
    /// Revoke the API tokens and pause the webhooks that other sessions
    /// created (default): what a thief who had the old password left behind.
    #[serde(default = "yes")]
    revoke_other_access: bool,
}

fn yes() -> bool {
    true
}

#[derive(Serialize)]
struct PasswordChanged {
    #[serde(flatten)]
    session: TokenView,
    revoked_tokens: usize,
    paused_webhooks: usize,
}

/// `POST /api/auth/password`: needs the current password (attempts limited
/// like logins); ends every session of the account, this one included, and
/// answers with a fresh session. Unless told not to, it also revokes every
/// API token and pauses every webhook another session created.
pub async fn change_password(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
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
    audit::record(Event::PasswordChanged, &network, &subject);
    let (revoked_tokens, paused_webhooks) = if body.revoke_other_access {
        revoke_other_access(app, user, &now).await?
    } else {
        (0, 0)
    };
    Reply::ok(&PasswordChanged {
        session: new_session(app, &secret, account.id, epoch)?,
        revoked_tokens,
        paused_webhooks,
    })
}

/// Revokes the tokens and pauses the webhooks other sessions created; how
/// many of each. Each revoked token's object is told at once.
async fn revoke_other_access(app: &App, user: &AuthUser, now: &str) -> AppResult<(usize, usize)> {
    let db = app.db()?;
    let session = user.session.jti.as_str();
    let hashes = store::tokens::revoke_others(&db, user.user_id, session, now).await?;
    for hash in &hashes {
        public_api::revoke_token(app, hash).await;
    }
    let paused = store::webhooks::pause_others(&db, user.user_id, session, now).await?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteAccountBody {
    password: String,
}

/// `DELETE /api/auth/me`: needs the password; removes the account and
/// everything it owns in one statement (cascades), and its API tokens stop
/// answering at once.
pub async fn delete_account(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let body: DeleteAccountBody = req.json()?;
    let db = app.db()?;
    let account = confirm_password(app, req, user.user_id, &body.password, "password").await?;
    let token_hashes = store::tokens::active_hashes(&db, account.id).await?;
    store::users::delete(&db, account.id).await?;
    for hash in &token_hashes {
        public_api::revoke_token(app, hash).await;
    }
    let subject = Subject {
        user_id: Some(account.id),
        ..Subject::default()
    };
    audit::record(Event::AccountDeleted, &req.client_network(), &subject);
    Ok(Reply::no_content())
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
    let attempts = Attempts::reserve(app, &network, &email_hash).await?;
    if !password::verify(presented, &account.password_hash)? {
        let subject = Subject {
            user_id: Some(user_id),
            ..Subject::default()
        };
        audit::record(Event::PasswordChangeFailed, &network, &subject);
        return Err(AppError::invalid(field, "is not the account's password"));
    }
    attempts.give_back(app).await;
    Ok(account)
}
