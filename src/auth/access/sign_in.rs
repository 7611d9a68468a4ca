//! `POST /api/auth/access`: a verified Cloudflare Access assertion in, the
//! product's usual session token out (the login's answer). The person is
//! the account with the assertion's e-mail, or a new account without a
//! password made for it on first sight.

use serde::Serialize;
use utoipa::ToSchema;
use watcher_core::api_doc::vocabulary;

use crate::auth::access::AccessUser;
use crate::auth::handlers::{new_session, TokenView};
use crate::clock;
use crate::domain::audit::{Entry, Fields, Kind};
use crate::error::{AppError, AppResult};
use crate::http::ctx::Ctx;
use crate::http::reply::Reply;
use crate::http::route::SignedIn;
use crate::security_log::{self, Event, Subject};
use crate::store::{self, users::Credentials, users::Registered, Unique};

#[derive(Serialize, ToSchema)]
#[schema(as = AccessStatus)]
pub struct StatusView {
    /// True when this deployment signs people in through Cloudflare Access (`ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` set and well formed): `POST /api/auth/access` then exchanges the assertion for a session.
    enabled: bool,
}

/// Whether Cloudflare Access signs people in
///
/// No credentials. Lets a client (the dashboard's login screen) know whether to call `POST /api/auth/access`, without a refused request where Access is off. Reads the deployment's settings only: it says nothing about the request's own assertion.
#[utoipa::path(
    get,
    path = "/api/auth/access",
    operation_id = "accessStatus",
    tag = "auth",
    responses(
        (status = 200, description = "Whether sign-in through Cloudflare Access is on.", body = StatusView),
    )
)]
pub async fn status(cx: &Ctx<'_>) -> AppResult<Reply> {
    Reply::ok(&StatusView {
        enabled: super::enabled(cx.app),
    })
}

/// Sign in through Cloudflare Access
///
/// For deployments behind Cloudflare Access (`ACCESS_TEAM_DOMAIN` and `ACCESS_AUD` set): exchanges the assertion Access adds to every request it lets through (header `Cf-Access-Jwt-Assertion`, security scheme `cloudflareAccess`) for a session JWT, the same answer as a login. Checked as Cloudflare documents it: header `alg` RS256 only (anything else, `none` included, is refused before any signature work); `kid` in the team's key set (`<team>/cdn-cgi/access/certs`, cached up to an hour, fetched again for an unknown `kid` at most once a minute); the signature; `aud` holds ACCESS_AUD; `iss` is the team's origin; `exp` in the future (no leeway); `nbf` and `iat` at most 60 s ahead; an `email` claim that is a valid address. The account with that e-mail signs in; without one, an account is created for it (no password: a password login can never sign it in). The invitations to that address that can still be accepted are accepted as it signs in (Access verified the address), one organisation each. No body.
#[utoipa::path(
    post,
    path = "/api/auth/access",
    operation_id = "accessSignIn",
    tag = "auth",
    responses(
        (status = 200, description = "Signed in: a session, as from a login.", body = TokenView),
        (status = 401, description = "The assertion is missing or refused; the message names the check that failed (not well formed, algorithm not RS256, no kid, key not in the team's set, signature, audience, issuer, expired, not yet valid, no or invalid e-mail).", body = vocabulary::schemas::UnauthorizedError, headers(("WWW-Authenticate" = String))),
        (status = 404, description = "Cloudflare Access is not enabled on this deployment (ACCESS_TEAM_DOMAIN and ACCESS_AUD are not set).", body = vocabulary::schemas::NotFoundError),
        (status = 503, description = "The team's signing keys cannot be fetched now; nothing was decided about the assertion.", body = vocabulary::schemas::ServiceUnavailableError),
    )
)]
pub async fn sign_in(cx: &Ctx<'_>, user: &AccessUser) -> AppResult<SignedIn> {
    let app = cx.app;
    let secret = app.jwt_secret()?;
    let db = app.db()?;
    let email = user.email.as_str();
    let network = cx.req.client_network();
    let (account, created) = match store::users::credentials(&db, email).await? {
        Some(account) => (account, None),
        None => match create(cx, email).await? {
            Some((account, entry)) => (account, Some(entry)),
            // Another request created it meanwhile: sign into that one.
            None => {
                let found = store::users::credentials(&db, email).await?;
                (
                    found.ok_or_else(|| AppError::internal("raced account vanished"))?,
                    None,
                )
            }
        },
    };
    let subject = Subject {
        user_id: Some(account.id),
        ..Subject::default()
    };
    security_log::record(Event::AccessLoginOk, &network, &subject);
    let joined = crate::orgs::invitations::join_by_access(&db, account.id, &account.email).await?;
    let session = new_session(app, &secret, account.id, account.session_epoch)?;
    Ok(SignedIn {
        reply: Reply::ok(&session)?,
        changes: created.into_iter().chain(joined).collect(),
    })
}

/// A password-less account for `email` and its audit entry (a sign-up's
/// kind); `None` when another request created the account meanwhile.
async fn create(cx: &Ctx<'_>, email: &str) -> AppResult<Option<(Credentials, Entry)>> {
    let now = clock::timestamp(clock::now());
    match store::users::insert_without_password(&cx.app.db()?, email, &now).await {
        Ok(Some(Registered {
            person: account,
            org_id,
        })) => {
            let subject = Subject {
                user_id: Some(account.id),
                ..Subject::default()
            };
            security_log::record(Event::Register, &cx.req.client_network(), &subject);
            let entry = Entry::by_user(org_id, account.id, Kind::AccountCreated, &account.email)
                .created(
                    Fields::new()
                        .with("email", account.email.as_str())
                        .with("sign_in", "cloudflare_access"),
                );
            Ok(Some((account, entry)))
        }
        Ok(None) => Err(AppError::internal("user insert returned no row")),
        Err(e) if store::unique_violation(&e) == Some(Unique::UserEmail) => Ok(None),
        Err(e) => Err(e),
    }
}
