//! What the Worker's endpoints run, by the credential they need: the
//! handler's signature says what it receives, and the dispatcher resolves
//! that credential before the handler runs, so no handler can forget it.
//!
//! Likewise the audit log: a route that changes something is declared with
//! [`change`] (or [`change_id`], [`open_change`]), whose handler must answer
//! a [`Changed`], which cannot be built without the change's audit entry;
//! the dispatcher records the entry when the answer is a success. The
//! constructors of the other kinds ([`open`], [`session`], [`session_id`])
//! take `GET` only (any other method is a build error), so a new mutating
//! route that records nothing does not compile. The few that record nothing
//! by design say why, in their declaration ([`unaudited`]).
//!
//! A feature declares its endpoints with these constructors in its
//! `ROUTES` table (e.g. `keys::ROUTES`); `crate::routes` lists the tables.

use std::future::Future;
use std::pin::Pin;

use crate::app::App;
use crate::auth::access::AccessUser;
use crate::auth::session::AuthUser;
use crate::domain::audit::Entry;
use crate::domain::role::Role;
use crate::error::AppResult;
use crate::http::ctx::{Ctx, Incoming};
use crate::http::reply::Reply;
use crate::http::router::Endpoint;
use crate::usage::answers::PublicQuery;

/// A handler's answer, boxed so endpoints of every feature share one table.
pub type Answer<'a> = Pin<Box<dyn Future<Output = AppResult<Reply>> + 'a>>;

/// The answer of a handler that changes something.
pub type Change<'a> = Pin<Box<dyn Future<Output = AppResult<Changed>> + 'a>>;

/// What a change answers: the reply, and the change's audit entry, which
/// the dispatcher records when the reply is a success (`http::recorded`).
#[derive(Debug)]
pub struct Changed {
    pub reply: Reply,
    pub entry: Entry,
}

impl Changed {
    pub fn new(reply: Reply, entry: Entry) -> Self {
        Self { reply, entry }
    }
}

/// What a sign-in through Cloudflare Access answers: the reply, and the
/// audit entries of what it changed (the account it created on first
/// sight, the organisations it joined through invitations; signing in
/// alone changes nothing), recorded like a change's when the reply is a
/// success.
#[derive(Debug)]
pub struct SignedIn {
    pub reply: Reply,
    pub changes: Vec<Entry>,
}

/// The answer of a sign-in through Cloudflare Access.
pub type SignIn<'a> = Pin<Box<dyn Future<Output = AppResult<SignedIn>> + 'a>>;

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
    /// A change anyone may ask for (a sign-up): answers its audit entry.
    OpenChange(for<'a> fn(&'a Ctx<'a>) -> Change<'a>),
    /// A change by a live session's user: answers its audit entry.
    Change(for<'a> fn(&'a Ctx<'a>, &'a AuthUser) -> Change<'a>),
    /// A change of the row the path names: answers its audit entry.
    ChangeId(for<'a> fn(&'a Ctx<'a>, &'a AuthUser, i64) -> Change<'a>),
    /// A verified Cloudflare Access assertion (`auth::access`); the
    /// handler receives the person it names.
    Access(for<'a> fn(&'a Ctx<'a>, &'a AccessUser) -> SignIn<'a>),
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
            Self::OpenChange(_) => "OpenChange",
            Self::Change(_) => "Change",
            Self::ChangeId(_) => "ChangeId",
            Self::Access(_) => "Access",
            Self::Public(_) => "Public",
        })
    }
}

/// A public-API endpoint: the question its query string asks (invalid
/// parameters are still a charged call), and how the answer is sent.
pub struct Public {
    /// What a token needs to be answered (its security requirement).
    pub scope: crate::domain::scope::Scope,
    pub question: fn(&Incoming) -> AppResult<PublicQuery>,
    pub reply: fn(String) -> Reply,
}

pub const fn probe(path: &'static str, handler: for<'a> fn(&'a App) -> Answer<'a>) -> Route {
    Endpoint::new("GET", path, 0, Handler::Probe(handler))
}

/// A read: `GET` only (checked at compile time).
const fn reads(method: &'static str) -> &'static str {
    assert!(
        matches!(method.as_bytes(), b"GET"),
        "a route that changes something is declared with route::change (its audit entry) or route::unaudited (why not)"
    );
    method
}

/// A change: anything but `GET` (checked at compile time).
const fn writes(method: &'static str) -> &'static str {
    assert!(
        !matches!(method.as_bytes(), b"GET"),
        "a read is declared with route::open, session or session_id"
    );
    method
}

/// No credential, `GET` only (the document).
pub const fn open(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>) -> Answer<'a>,
) -> Route {
    Endpoint::new(reads(method), path, 0, Handler::Open(handler))
}

/// A live session, `GET` only.
pub const fn session(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>, &'a AuthUser) -> Answer<'a>,
) -> Route {
    Endpoint::new(reads(method), path, 0, Handler::Session(handler))
}

/// A live session, `GET` only; `path` holds one `{id}` (checked at compile
/// time).
pub const fn session_id(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>, &'a AuthUser, i64) -> Answer<'a>,
) -> Route {
    Endpoint::new(reads(method), path, 1, Handler::SessionId(handler))
}

/// A change anyone may ask for, recorded in the audit log of the account it
/// concerns (the entry names it).
pub const fn open_change(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>) -> Change<'a>,
) -> Route {
    Endpoint::new(writes(method), path, 0, Handler::OpenChange(handler))
}

/// A change by a live session's user, recorded in the audit log; an admin's
/// or an owner's unless the declaration says otherwise (`.role`,
/// `.own_key_or`): a new change is closed to members and viewers until
/// someone decides it should not be.
pub const fn change(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>, &'a AuthUser) -> Change<'a>,
) -> Route {
    Endpoint::new(writes(method), path, 0, Handler::Change(handler)).role(Role::Admin)
}

/// A change of the row `path`'s `{id}` names, recorded in the audit log.
pub const fn change_id(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>, &'a AuthUser, i64) -> Change<'a>,
) -> Route {
    Endpoint::new(writes(method), path, 1, Handler::ChangeId(handler)).role(Role::Admin)
}

/// What a route that writes but records nothing in the audit log runs, with
/// the reason, stated where the route is declared (`why`; the audit test
/// of every mutating route lists the same exemptions).
pub enum Unaudited {
    Open(for<'a> fn(&'a Ctx<'a>) -> Answer<'a>),
    Session(for<'a> fn(&'a Ctx<'a>, &'a AuthUser) -> Answer<'a>),
}

/// A route that writes and records nothing in the audit log, and `why`.
pub const fn unaudited(
    method: &'static str,
    path: &'static str,
    why: &'static str,
    handler: Unaudited,
) -> Route {
    assert!(!why.is_empty(), "say why the route records nothing");
    let handler = match handler {
        Unaudited::Open(handler) => Handler::Open(handler),
        Unaudited::Session(handler) => Handler::Session(handler),
    };
    Endpoint::new(writes(method), path, 0, handler)
}

/// A sign-in through Cloudflare Access: the dispatcher verifies the
/// request's assertion first (404 when Access is off, 401 naming the failed
/// check). It writes (an account on first sight, recorded in the audit log
/// through [`SignedIn`]), so it is not a `GET`.
pub const fn access(
    method: &'static str,
    path: &'static str,
    handler: for<'a> fn(&'a Ctx<'a>, &'a AccessUser) -> SignIn<'a>,
) -> Route {
    Endpoint::new(writes(method), path, 0, Handler::Access(handler))
}

/// A `GET` of the public API (its `OPTIONS` preflight is answered for every
/// `/api/v1` path by `http`).
pub const fn public(path: &'static str, public: Public) -> Route {
    Endpoint::new("GET", path, 0, Handler::Public(public))
}
