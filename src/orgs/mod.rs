//! Organisations (README, "Teams"): what a person belongs to, and with
//! which role. Every key, figure, budget, webhook, token and audit entry
//! belongs to one organisation; a session's request acts in the one its
//! `X-Organisation` header names (`auth::session`), the person's first
//! (personal) organisation without it.

pub mod handlers;

use crate::http::route::{self, Route};

pub const ROUTES: &[Route] = &[route::session("GET", "/api/organisations", |cx, user| {
    Box::pin(handlers::list(cx, user))
})
.doc::<handlers::__path_list>()];
