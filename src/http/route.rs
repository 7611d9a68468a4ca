//! What the Worker's endpoints run, by the credential they need: the
//! handler's signature says what it receives, and the dispatcher resolves
//! that credential before the handler runs, so no handler can forget it.
//!
//! A feature declares its endpoints with these constructors in its
//! `ROUTES` table (e.g. `keys::ROUTES`); `crate::routes` lists the tables.

use std::future::Future;
use std::pin::Pin;

use crate::app::App;
use crate::auth::session::AuthUser;
use crate::error::AppResult;
use crate::http::ctx::{Ctx, Incoming};
use crate::http::reply::Reply;
use crate::http::router::Endpoint;
use crate::usage::answers::PublicQuery;

/// A handler's answer, boxed so endpoints of every feature share one table.
pub type Answer<'a> = Pin<Box<dyn Future<Output = AppResult<Reply>> + 'a>>;

/// One endpoint of the Worker.
pub type Route = Endpoint<Handler>;

pub enum Handler {
    /// No credential, and a deployment that cannot start (a missing secret
    /// or binding) answers 503 naming what is missing: the health check.
    Probe(for<'a> fn(&'a App) -> Answer<'a>),
    /// No credential (the document, sign-up, login).
    Open(for<'a> fn(&'a Ctx<'a>) -> Answer<'a>),
    /// A live session; the handler receives its user.
    Session(for<'a> fn(&'a Ctx<'a>, &'a AuthUser) -> Answer<'a>),
    /// A live session, and the row id the path names.
    SessionId(for<'a> fn(&'a Ctx<'a>, &'a AuthUser, i64) -> Answer<'a>),
    /// An API token, rate limited: the public API (`public_api`).
    Public(Public),
}

/// The credential, shown (fn pointers say nothing useful).
impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Probe(_) => "Probe",
            Self::Open(_) => "Open",
            Self::Session(_) => "Session",
            Self::SessionId(_) => "SessionId",
            Self::Public(_) => "Public",
        })
    }
}

/// A public-API endpoint: the question its query string asks (invalid
/// parameters are still a charged call), and how the answer is sent.
pub struct Public {
    pub question: fn(&Incoming) -> AppResult<PublicQuery>,
    pub reply: fn(String) -> Reply,
}

pub const fn probe(path: &'static str, handler: for<'a> fn(&'a App) -> Answer<'a>) -> Route {
    Endpoint::new("GET", path, 0, Handler::Probe(handler))
}

pub const fn open(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>) -> Answer<'a>,
) -> Route {
    Endpoint::new(method, path, 0, Handler::Open(handler))
}

pub const fn session(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>, &'a AuthUser) -> Answer<'a>,
) -> Route {
    Endpoint::new(method, path, 0, Handler::Session(handler))
}

/// `path` holds one `{id}` (checked at compile time).
pub const fn session_id(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>, &'a AuthUser, i64) -> Answer<'a>,
) -> Route {
    Endpoint::new(method, path, 1, Handler::SessionId(handler))
}

/// A `GET` of the public API (its `OPTIONS` preflight is answered for every
/// `/api/v1` path by `http`).
pub const fn public(path: &'static str, public: Public) -> Route {
    Endpoint::new("GET", path, 0, Handler::Public(public))
}
