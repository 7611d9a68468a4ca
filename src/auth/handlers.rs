//! `/api/auth/*`: register, login, logout, me.

use serde::{Deserialize, Serialize};

use crate::app::App;
use crate::auth::{jwt, password, session};
use crate::clock;
use crate::domain::account::{Email, Password};
use crate::domain::secrets::sha256_hex;
use crate::http::error::{AppError, AppResult};
use crate::http::reply::Reply;
use crate::http::Incoming;
use crate::rate_limit::{self, Bucket, Op};
use crate::store::{self, users::UserRow};

/// Failed logins allowed per client IP and per email within the window.
pub const LOGIN_FAILURES_ALLOWED: u32 = 10;
pub const LOGIN_WINDOW_SECS: i64 = 15 * 60;

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

pub async fn register(app: &App, req: &Incoming) -> AppResult<Reply> {
    let body: CredentialsBody = req.json()?;
    let email = Email::parse(&body.email)?;
    let password = Password::parse(body.password)?;
    let hash = password::hash(password.expose())?;
    let now = clock::timestamp(clock::now());
    match store::users::insert(&app.db()?, email.as_str(), &hash, &now).await {
        Ok(Some(user)) => Reply::created(&UserView::from(user)),
        Ok(None) => Err(AppError::internal("user insert returned no row")),
        Err(e) if store::is_unique_violation(&e) => Err(AppError::Conflict(
            "An account with this email already exists.".to_owned(),
        )),
        Err(e) => Err(e),
    }
}

#[derive(Serialize)]
struct TokenView {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
}

pub async fn login(app: &App, req: &Incoming) -> AppResult<Reply> {
    let body: CredentialsBody = req.json()?;
    // Not `Email::parse`: a malformed email is just another failed login.
    let email = body.email.trim().to_lowercase();
    let ip_bucket = format!("login-ip:{}", req.client_ip());
    let email_bucket = format!("login-email:{}", sha256_hex(&email));
    let buckets = [&ip_bucket, &email_bucket].map(|name| Bucket {
        name,
        limit: LOGIN_FAILURES_ALLOWED,
        window_secs: LOGIN_WINDOW_SECS,
    });
    for bucket in &buckets {
        let decision = rate_limit::check(app, bucket, Op::Peek).await?;
        if !decision.allowed {
            return Err(AppError::RateLimited {
                retry_after: decision.retry_after,
            });
        }
    }

    let credentials = store::users::credentials(&app.db()?, &email).await?;
    // Unknown emails verify against a dummy hash: same cost, same answer.
    let (user_id, phc) = match &credentials {
        Some(c) => (Some(c.id), c.password_hash.as_str()),
        None => (None, password::DUMMY_HASH),
    };
    let matches = password::verify(&body.password, phc)?;
    let Some(user_id) = user_id.filter(|_| matches) else {
        for bucket in &buckets {
            rate_limit::check(app, bucket, Op::Hit).await?;
        }
        return Err(AppError::Unauthorized(
            "Invalid email or password.".to_owned(),
        ));
    };

    let issued = jwt::issue(
        &app.jwt_secret()?,
        user_id,
        app.config.jwt_ttl_seconds,
        clock::now(),
    )?;
    Reply::ok(&TokenView {
        access_token: issued.token,
        token_type: "bearer",
        expires_in: issued.expires_in,
    })
}

pub async fn logout(app: &App, req: &Incoming) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    let expires_at = clock::timestamp(user.session.expires_at);
    store::sessions::revoke(&app.db()?, &user.session.jti, &expires_at).await?;
    Ok(Reply::no_content())
}

pub async fn me(app: &App, req: &Incoming) -> AppResult<Reply> {
    let user = session::require(app, req).await?;
    let row = store::users::by_id(&app.db()?, user.user_id)
        .await?
        .ok_or_else(jwt::rejected)?;
    Reply::ok(&UserView::from(row))
}
