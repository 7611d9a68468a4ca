//! `/api/auth/*`: register, login, logout, me, password change, account
//! deletion. Each security event is logged as one structured line
//! (`security_log`), never with a secret.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::app::App;
use crate::auth::session::AuthUser;
use crate::auth::{jwt, password};
use crate::clock;
use crate::domain::account::{Email, Password};
use crate::domain::audit::{Entry, Fields, Kind};
use crate::domain::network::is_loopback;
use crate::domain::secrets::sha256_hex;
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::Changed;
use crate::rate_limit::{self, Bucket};
use crate::security_log::{self, Event, Subject};
use crate::store::{self, users::Registered, users::UserRow, Unique};

/// Failed logins (and wrong current passwords) allowed per client network
/// and per email within the window.
pub const LOGIN_FAILURES_ALLOWED: u32 = 10;
pub const LOGIN_WINDOW_SECS: i64 = 15 * 60;
/// Sign-ups allowed per client network (an IPv6 /64) within the window.
pub const REGISTRATIONS_ALLOWED: u32 = 5;
pub const REGISTER_WINDOW_SECS: i64 = 3600;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RegisterRequest, description = "Unknown fields are refused (422).")]
struct CredentialsBody {
    /// A valid address; trimmed and lower-cased before use; unique case-insensitively (409 otherwise).
    #[schema(format = Email, max_length = 254)]
    email: String,
    /// 12 to 128 characters (Unicode scalar values, not bytes). Stored only as an argon2id hash.
    #[schema(min_length = 12, max_length = 128)]
    password: String,
}

/// The same fields as a sign-up, under the rules of a login.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = LoginRequest, description = "Unknown fields are refused (422).")]
struct LoginBody {
    /// Compared after trimming and lower-casing. Not validated: a malformed address is simply a failed login (401).
    email: String,
    /// Compared against the stored hash; no length rule on login.
    password: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = User, description = "An account (never its password hash).")]
struct UserView {
    /// User id.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    id: i64,
    /// The address as stored: trimmed and lower-cased (may contain non-ASCII letters).
    #[schema(max_length = 254)]
    email: String,
    #[schema(value_type = vocabulary::schemas::Timestamp)]
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

/// Create an account
///
/// The email is validated and normalised (trimmed, lower-cased); emails are unique case-insensitively. The password must be 12 to 128 characters; it is stored as an argon2id hash only. At most 5 attempts per hour per client network (an IPv4 address or an IPv6 /64), counted before any work: 429 beyond, with Retry-After. Sign-ups from a loopback address (local development) are not counted.
#[utoipa::path(
    post,
    path = "/api/auth/register",
    operation_id = "register",
    tag = "auth",
    request_body = CredentialsBody,
    responses(
        (status = 201, description = "Created.", body = UserView),
        (status = 409, description = "An account with this email already exists.", body = vocabulary::schemas::ConflictError),
        (status = 429, description = "Too many sign-ups from this network (5 per hour per IPv4 address or IPv6 /64).", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn register(cx: &Ctx<'_>) -> AppResult<Changed> {
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
        Ok(Some(Registered {
            person: user,
            org_id,
        })) => {
            let subject = Subject {
                user_id: Some(user.id),
                ..Subject::default()
            };
            security_log::record(Event::Register, &network, &subject);
            let entry = Entry::by_user(org_id, user.id, Kind::AccountCreated, &user.email)
                .created(Fields::new().with("email", user.email.as_str()));
            Ok(Changed::new(Reply::created(&UserView::from(user))?, entry))
        }
        Ok(None) => Err(AppError::internal("user insert returned no row")),
        Err(e) if store::unique_violation(&e) == Some(Unique::UserEmail) => Err(
            AppError::Conflict("An account with this email already exists.".to_owned()),
        ),
        Err(e) => Err(e),
    }
}

// How the session token is presented (RFC 6750): always `bearer`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum TokenType {
    Bearer,
}

#[derive(Serialize, ToSchema)]
#[schema(as = LoginResponse)]
pub(super) struct TokenView {
    /// An HS256 JWT with claims sub, iat, exp, jti.
    access_token: String,
    #[schema(inline)]
    token_type: TokenType,
    /// Seconds until the token expires (JWT_TTL_SECONDS, 86400 by default).
    #[schema(minimum = 1)]
    expires_in: i64,
}

/// Log in and get a session JWT
///
/// Returns a bearer JWT for the web API (HS256, claims sub, iat, exp, jti). An unknown email and a wrong password give the same 401 and take about the same time. Failed logins are throttled per client IP and per email (10 failures per 15 minutes each, sliding window log in a Durable Object); while either bucket is exhausted, logins answer 429, even with the right password. A malformed email is just a failed login (401), not a 422.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    operation_id = "login",
    tag = "auth",
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in.", body = TokenView),
        (status = 401, description = "Invalid email or password.", body = vocabulary::schemas::UnauthorizedError, headers(("WWW-Authenticate" = String))),
        (status = 429, description = "Too many failed logins from this network (IPv4 address or IPv6 /64) or for this email: 10 per 15 minutes. Each attempt reserves its slot before the password is checked; a successful login gives it back.", body = vocabulary::schemas::RateLimitedError, headers(("Retry-After" = String))),
    )
)]
pub async fn login(cx: &Ctx<'_>) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let body: LoginBody = req.json()?;
    // Not `Email::parse`: a malformed email is just another failed login.
    let email = body.email.trim().to_lowercase();
    // A Worker without its signing secret refuses before any argon2 work.
    let secret = app.jwt_secret()?;
    let network = req.client_network();
    let email_hash = sha256_hex(&email);
    let attempts = Attempts::reserve(app, &network, &email_hash).await?;

    let credentials = store::users::credentials(&app.db()?, &email).await?;
    // Unknown emails verify against a dummy hash: same cost, same answer.
    // So do accounts without a password (made by a Cloudflare Access
    // sign-in): no password signs them in, whatever their stored marker.
    let (found, phc) = match &credentials {
        Some(c) if c.has_password => (Some(c), c.password_hash.as_str()),
        _ => (None, password::DUMMY_HASH),
    };
    let matches = password::verify(&body.password, phc)?;
    let Some(user) = found.filter(|_| matches) else {
        let subject = Subject {
            email_sha256: Some(&email_hash),
            ..Subject::default()
        };
        security_log::record(Event::LoginFailed, &network, &subject);
        return Err(AppError::Unauthorized(
            "Invalid email or password.".to_owned(),
        ));
    };
    attempts.give_back(app).await;
    let subject = Subject {
        user_id: Some(user.id),
        ..Subject::default()
    };
    security_log::record(Event::LoginOk, &network, &subject);
    issue_session(app, &secret, user.id, user.session_epoch)
}

fn issue_session(app: &App, secret: &[u8], user_id: i64, epoch: i64) -> AppResult<Reply> {
    Reply::ok(&new_session(app, secret, user_id, epoch)?)
}

pub(super) fn new_session(
    app: &App,
    secret: &[u8],
    user_id: i64,
    epoch: i64,
) -> AppResult<TokenView> {
    let issued = jwt::issue(
        secret,
        user_id,
        epoch,
        app.config.jwt_ttl_seconds,
        clock::now(),
    )?;
    Ok(TokenView {
        access_token: issued.token,
        token_type: TokenType::Bearer,
        expires_in: issued.expires_in,
    })
}

/// Password attempts, limited per client network and per email. A slot is
/// reserved in both buckets *before* the password is verified, so a
/// parallel burst cannot get more than the limit verified; a correct
/// password gives its slots back, so only failures count.
pub(super) struct Attempts {
    buckets: [String; 2],
}

impl Attempts {
    pub(super) async fn reserve(app: &App, network: &str, email_hash: &str) -> AppResult<Self> {
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
                security_log::record(Event::LoginThrottled, network, &subject);
                return Err(refused);
            }
        }
        Ok(attempts)
    }

    pub(super) async fn give_back(self, app: &App) {
        for name in &self.buckets {
            if let Err(e) = rate_limit::release(app, name).await {
                worker::console_error!("cannot give back a login attempt: {e}");
            }
        }
    }
}

/// Revoke this session
///
/// Revokes the presented JWT at once (its `jti` is denylisted until it expires). No body.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    operation_id = "logout",
    tag = "auth",
    responses(
        (status = 204, description = "Revoked."),
    )
)]
pub async fn logout(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let (app, req) = (cx.app, cx.req);
    let expires_at = clock::timestamp(user.session.expires_at);
    store::sessions::revoke(&app.db()?, &user.session.jti, &expires_at).await?;
    let subject = Subject {
        user_id: Some(user.user_id),
        ..Subject::default()
    };
    security_log::record(Event::Logout, &req.client_network(), &subject);
    Ok(Reply::no_content())
}

/// The logged-in user
///
/// The account of the session's user.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    operation_id = "me",
    tag = "auth",
    responses(
        (status = 200, description = "The user.", body = UserView),
    )
)]
pub async fn me(cx: &Ctx<'_>, user: &AuthUser) -> AppResult<Reply> {
    let app = cx.app;
    let row = store::users::by_id(&app.db()?, user.user_id)
        .await?
        .ok_or_else(jwt::rejected)?;
    Reply::ok(&UserView::from(row))
}
