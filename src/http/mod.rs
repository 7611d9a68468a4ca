//! HTTP edge: turns a `worker::Request` into a routed, authenticated call and
//! every outcome (including every error) into one response shape.

pub mod body;
pub mod ctx;
pub mod query;
pub mod reply;
pub mod route;
pub use watcher_core::router;

use std::collections::HashMap;

use worker::{console_error, Env, Headers, Request, Response};

use crate::app::App;
use crate::auth::{access, session};
use crate::changes::{Changes, Forget};
use crate::domain::role::{Permission, Role};
use crate::error::{AppError, AppResult};
use ctx::{Ctx, Incoming};
use reply::Reply;
use route::{Changed, Handler, SignedIn};
use router::{Body, Matched};

/// What the edge (`lib.rs`) gives the HTTP layer.
pub struct Site {
    /// The endpoints, built on first use (`crate::routes`).
    pub router: fn() -> AppResult<&'static router::Router<Handler>>,
    /// Clears a user's public answers after a request's writes.
    pub forget: Forget,
}

/// Answers one request. Every failure is already a `Reply` here; the only
/// error left is the runtime refusing to build a response object.
pub async fn serve(mut req: Request, env: Env, site: &Site) -> worker::Result<Response> {
    let method = method_of(&req);
    let path = req.path();
    let reply = match handle(&mut req, env, site).await {
        Ok(reply) => reply,
        Err(err) => {
            if let AppError::Internal(cause) | AppError::Misconfigured(cause) = &err {
                console_error!("{method} {path}: {cause}");
            }
            Reply::error(&err)
        }
    };
    to_response(reply, &path)
}

/// The request's method exactly as the runtime received it. `Request::method`
/// cannot be used: workers-rs maps every method it does not know (`QUERY`,
/// `PROPFIND`, …) to `GET`, which would serve them as GETs instead of 405.
fn method_of(req: &Request) -> String {
    req.inner().method()
}

async fn handle(req: &mut Request, env: Env, site: &Site) -> AppResult<Reply> {
    let method = method_of(req);
    let path = req.path();
    if method == "OPTIONS" && router::is_public_path(&path) {
        // Browsers send these on their own: answered for any `/api/v1`
        // path, never charged, no Durable Object call.
        return Ok(crate::public_api::preflight());
    }
    match (site.router)()?.resolve(&method, &path) {
        Ok(Matched { endpoint, id }) => {
            let incoming = read(req, endpoint.body == Body::Json).await?;
            let app = App::new(env).map_err(|e| match endpoint.handler {
                Handler::Probe(_) => e.as_unavailable(),
                _ => e,
            })?;
            let changes = Changes::new(site.forget);
            dispatch(&app, endpoint, id, &incoming, &changes).await
        }
        // Unknown routes and methods under /api/v1 are public-API answers
        // too: charged to the caller's IP bucket, with rate-limit headers.
        Err(err) if router::is_public_path(&path) => {
            let incoming = read(req, false).await?;
            let app = App::new(env)?;
            Ok(crate::public_api::refuse(&app, &incoming, err).await)
        }
        Err(err) => Err(err),
    }
}

async fn read(req: &mut Request, takes_body: bool) -> AppResult<Incoming> {
    let headers: HashMap<String, String> = req
        .headers()
        .entries()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    let declared = headers
        .get("content-length")
        .and_then(|v| v.trim().parse::<usize>().ok());
    let body = if takes_body {
        if let Some(length) = declared {
            body::check_length(length)?;
        }
        body::require_json_content_type(headers.get("content-type").map(String::as_str))?;
        // Streamed and cut at the limit: a chunked body has no length to
        // check first, and is never kept whole (past the limit it is
        // drained, not stored: `bounded`).
        match req.stream() {
            Ok(stream) => {
                let drain = crate::bounded::Drain::UpTo(crate::bounded::REQUEST_DRAIN_BYTES);
                crate::bounded::read_bounded(stream, body::MAX_BODY_BYTES, drain)
                    .await
                    .map_err(|e| match e {
                        crate::bounded::ReadError::TooLarge => AppError::PayloadTooLarge {
                            limit: body::MAX_BODY_BYTES,
                        },
                        crate::bounded::ReadError::Broken => {
                            AppError::BadRequest("The request body could not be read.".to_owned())
                        }
                    })?
            }
            // No body at all.
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    let url = req
        .url()
        .map_err(|_| AppError::BadRequest("Malformed URL.".to_owned()))?;
    Ok(Incoming::new(
        method_of(req),
        url.path().to_owned(),
        url.query().map(str::to_owned),
        headers,
        body,
    ))
}

/// Resolves the endpoint's credential, runs its handler, then clears the
/// public answers the handler's writes made stale.
async fn dispatch(
    app: &App,
    endpoint: &route::Route,
    id: Option<i64>,
    req: &Incoming,
    changes: &Changes,
) -> AppResult<Reply> {
    let cx = Ctx { app, req, changes };
    let handler = &endpoint.handler;
    let reply = match handler {
        Handler::Probe(probe) => probe(app).await,
        Handler::Open(open) => open(&cx).await,
        Handler::OpenChange(change) => recorded(app, change(&cx).await).await,
        Handler::Session(_) | Handler::SessionId(_) | Handler::Change(_) | Handler::ChangeId(_) => {
            match session::require(app, req).await {
                Ok(user) => match permitted(app, endpoint.permission, &user, id).await {
                    Ok(()) => with_session(&cx, handler, &user, id).await,
                    Err(refused) => Err(refused),
                },
                Err(refused) => Err(refused),
            }
        }
        Handler::Access(sign_in) => match access::require(app, req).await {
            Ok(user) => signed_in(app, sign_in(&cx, &user).await).await,
            Err(refused) => Err(refused),
        },
        Handler::Public(public) => Ok(crate::public_api::handle(app, public, req).await),
    };
    changes.publish(app).await;
    reply
}

/// Whether the person's role lets them call the route: the one place roles
/// are checked, before any handler runs. A member's own key costs one
/// query; every other case none.
async fn permitted(
    app: &App,
    permission: Permission,
    user: &session::AuthUser,
    id: Option<i64>,
) -> AppResult<()> {
    let needed = match permission {
        Permission::AtLeast(role) => role,
        Permission::OwnKeyOr(role) if user.role.allows(role) => role,
        Permission::OwnKeyOr(role) => {
            if user.role == Role::Member {
                if let Some(key_id) = id {
                    let db = app.db()?;
                    if crate::store::api_keys::added_by(&db, user.org_id, key_id).await?
                        == Some(user.user_id)
                    {
                        return Ok(());
                    }
                }
            }
            role
        }
    };
    if user.role.allows(needed) {
        Ok(())
    } else {
        Err(AppError::Forbidden {
            needed,
            held: user.role,
        })
    }
}

/// Runs a session's handler, once the session is live.
async fn with_session(
    cx: &Ctx<'_>,
    handler: &Handler,
    user: &session::AuthUser,
    id: Option<i64>,
) -> AppResult<Reply> {
    match (handler, id) {
        (Handler::Session(handler), _) => handler(cx, user).await,
        (Handler::SessionId(handler), Some(id)) => handler(cx, user, id).await,
        (Handler::Change(handler), _) => recorded(cx.app, handler(cx, user).await).await,
        (Handler::ChangeId(handler), Some(id)) => {
            recorded(cx.app, handler(cx, user, id).await).await
        }
        // `{id}` routes hold an id: checked when they compile.
        _ => Err(AppError::internal("an {id} route matched no id")),
    }
}

/// Records a change's audit entry when its answer is a success (an error
/// changed nothing). The change is done by then: a failed write is logged
/// as an error, and the answer stands.
async fn recorded(app: &App, changed: AppResult<Changed>) -> AppResult<Reply> {
    let Changed { reply, entry } = changed?;
    if (200..300).contains(&reply.status) {
        let written = match app.db() {
            Ok(db) => crate::store::audit_log::record(&db, &entry).await,
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            console_error!(
                "audit log: {} of user {} not recorded: {e}",
                entry.kind.as_str(),
                entry.org_id
            );
        }
    }
    Ok(reply)
}

/// A sign-in's answer, with what it changed recorded like changes.
async fn signed_in(app: &App, signed: AppResult<SignedIn>) -> AppResult<Reply> {
    let SignedIn { mut reply, changes } = signed?;
    for entry in changes {
        reply = recorded(app, Ok(Changed { reply, entry })).await?;
    }
    Ok(reply)
}

/// Sent on every response, the static assets' included (`public/_headers`
/// repeats them; a test checks both).
pub const SECURITY_HEADERS: [(&str, &str); 3] = [
    (
        "Strict-Transport-Security",
        "max-age=63072000; includeSubDomains",
    ),
    (
        "Permissions-Policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    ),
    ("Cross-Origin-Opener-Policy", "same-origin"),
];

/// Headers every API response carries; `/api/v1` adds CORS for any origin.
fn to_response(reply: Reply, path: &str) -> worker::Result<Response> {
    let headers = Headers::new();
    let set = |name: &str, value: &str| {
        // Header names and values here are ours and ASCII; a failure would be
        // a programming error, logged rather than panicking on a request path.
        if let Err(e) = headers.set(name, value) {
            console_error!("cannot set header {name}: {e}");
        }
    };
    if let Some(content_type) = reply.content_type() {
        set("Content-Type", content_type);
    }
    set("Cache-Control", "no-store");
    set("X-Content-Type-Options", "nosniff");
    set("X-Frame-Options", "DENY");
    set("Referrer-Policy", "no-referrer");
    for (name, value) in SECURITY_HEADERS {
        set(name, value);
    }
    set(
        "Content-Security-Policy",
        "default-src 'none'; frame-ancestors 'none'",
    );
    if router::is_public_path(path) {
        set("Access-Control-Allow-Origin", "*");
        set(
            "Access-Control-Expose-Headers",
            "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, WWW-Authenticate",
        );
    }
    for (name, value) in &reply.headers {
        set(name, value);
    }
    let body = reply.body_bytes();
    let response = if body.is_empty() {
        Response::empty()?
    } else {
        Response::from_bytes(body)?
    };
    Ok(response.with_status(reply.status).with_headers(headers))
}
