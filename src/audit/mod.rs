//! The audit log's reads: `GET /api/audit` (a page, newest first) and
//! `GET /api/audit.csv` (every matching entry). Entries are written where
//! changes happen: a route that changes something answers its entry
//! (`http::route::Changed`) and the dispatcher records it; the product's
//! own actions call `store::audit_log` (see there). What an entry holds:
//! `domain::audit`.

pub mod handlers;

use crate::http::route::{self, Route};

/// The account's audit log.
pub const ROUTES: &[Route] = &[
    route::session("GET", "/api/audit", |cx, user| {
        Box::pin(handlers::list(cx, user))
    })
    .doc::<handlers::__path_list>(),
    route::session("GET", "/api/audit.csv", |cx, user| {
        Box::pin(handlers::csv(cx, user))
    })
    .doc::<handlers::__path_csv>(),
];
