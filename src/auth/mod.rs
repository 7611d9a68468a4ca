//! Accounts and credentials: argon2id passwords, HS256 session JWTs with a
//! `jti` denylist, login throttling, sign-in through Cloudflare Access
//! (`access`), and API tokens for the public API.

pub mod access;
pub mod account;
pub mod handlers;
pub mod jwt;
pub mod password;
pub mod session;
pub mod settings;
pub mod tokens;

use crate::domain::role::Role;
use crate::http::route::{self, Route, Unaudited};

/// Accounts, sessions, API tokens and settings.
pub const ROUTES: &[Route] = &[
    route::open_change("POST", "/api/auth/register", |cx| {
        Box::pin(handlers::register(cx))
    })
    .json()
    .doc::<handlers::__path_register>(),
    route::unaudited(
        "POST",
        "/api/auth/login",
        "a sign-in changes nothing in the account (a security event: security_log)",
        Unaudited::Open(|cx| Box::pin(handlers::login(cx))),
    )
    .json()
    .doc::<handlers::__path_login>(),
    route::open("GET", "/api/auth/access", |cx| {
        Box::pin(access::sign_in::status(cx))
    })
    .doc::<access::sign_in::__path_status>(),
    route::access("POST", "/api/auth/access", |cx, user| {
        Box::pin(access::sign_in::sign_in(cx, user))
    })
    .doc::<access::sign_in::__path_sign_in>(),
    route::unaudited(
        "POST",
        "/api/auth/logout",
        "a sign-out changes nothing in the account (a security event: security_log)",
        Unaudited::Session(|cx, user| Box::pin(handlers::logout(cx, user))),
    )
    .doc::<handlers::__path_logout>(),
    route::session("GET", "/api/auth/me", |cx, user| {
        Box::pin(handlers::me(cx, user))
    })
    .doc::<handlers::__path_me>(),
    route::unaudited(
        "DELETE",
        "/api/auth/me",
        "the account's audit log is deleted with it (a security event: security_log)",
        Unaudited::Session(|cx, user| Box::pin(account::delete_account(cx, user))),
    )
    .json()
    .doc::<account::__path_delete_account>(),
    route::change("POST", "/api/auth/password", |cx, user| {
        Box::pin(account::change_password(cx, user))
    })
    // The person's own password, whatever their role.
    .role(Role::Viewer)
    .json()
    .doc::<account::__path_change_password>(),
    route::session("GET", "/api/tokens", |cx, user| {
        Box::pin(tokens::list(cx, user))
    })
    .doc::<tokens::__path_list>(),
    route::change("POST", "/api/tokens", |cx, user| {
        Box::pin(tokens::create(cx, user))
    })
    .json()
    .doc::<tokens::__path_create>(),
    route::change_id("DELETE", "/api/tokens/{id}", |cx, user, id| {
        Box::pin(tokens::revoke(cx, user, id))
    })
    .doc::<tokens::__path_revoke>(),
    route::session("GET", "/api/settings", |cx, user| {
        Box::pin(settings::get(cx, user))
    })
    .doc::<settings::__path_get>(),
    route::change("PATCH", "/api/settings", |cx, user| {
        Box::pin(settings::update(cx, user))
    })
    .json()
    .doc::<settings::__path_update>(),
];
