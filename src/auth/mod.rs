//! Accounts and credentials: argon2id passwords, HS256 session JWTs with a
//! `jti` denylist, login throttling, and API tokens for the public API.

pub mod handlers;
pub mod jwt;
pub mod password;
pub mod session;
pub mod settings;
pub mod tokens;

use crate::http::route::{self, Route};

/// Accounts, sessions, API tokens and settings.
pub const ROUTES: &[Route] = &[
    route::open("POST", "/api/auth/register", |cx| {
        Box::pin(handlers::register(cx))
    })
    .json(),
    route::open("POST", "/api/auth/login", |cx| {
        Box::pin(handlers::login(cx))
    })
    .json(),
    route::session("POST", "/api/auth/logout", |cx, user| {
        Box::pin(handlers::logout(cx, user))
    }),
    route::session("GET", "/api/auth/me", |cx, user| {
        Box::pin(handlers::me(cx, user))
    }),
    route::session("DELETE", "/api/auth/me", |cx, user| {
        Box::pin(handlers::delete_account(cx, user))
    })
    .json(),
    route::session("POST", "/api/auth/password", |cx, user| {
        Box::pin(handlers::change_password(cx, user))
    })
    .json(),
    route::session("GET", "/api/tokens", |cx, user| {
        Box::pin(tokens::list(cx, user))
    }),
    route::session("POST", "/api/tokens", |cx, user| {
        Box::pin(tokens::create(cx, user))
    })
    .json(),
    route::session_id("DELETE", "/api/tokens/{id}", |cx, user, id| {
        Box::pin(tokens::revoke(cx, user, id))
    }),
    route::session("GET", "/api/settings", |cx, user| {
        Box::pin(settings::get(cx, user))
    }),
    route::session("PATCH", "/api/settings", |cx, user| {
        Box::pin(settings::update(cx, user))
    })
    .json(),
];
