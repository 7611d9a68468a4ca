//! Digests (README, "E-mail and digests"): weekly and monthly spend
//! summaries cut in the account's time zone, by e-mail or to a webhook;
//! the hourly cron sends each account's period once ([`job`]), and a
//! preview sends the period so far. Periods and rendering are pure
//! (`core/src/digest/`).

pub mod deliver;
pub mod gather;
pub mod handlers;
pub mod job;
pub use watcher_core::digest::{period, render};

use crate::app::App;
use crate::error::AppResult;
use crate::http::route::{self, Route};

/// The dashboard a digest links to.
pub fn dashboard_url(app: &App) -> AppResult<String> {
    Ok(format!(
        "{}/",
        crate::email::send::settings(app)?.public_url
    ))
}

pub const ROUTES: &[Route] = &[
    route::session("GET", "/api/settings/digest", |cx, user| {
        Box::pin(handlers::get(cx, user))
    })
    .doc::<handlers::__path_get>(),
    route::change("PUT", "/api/settings/digest", |cx, user| {
        Box::pin(handlers::set(cx, user))
    })
    .json()
    .doc::<handlers::__path_set>(),
    route::change("POST", "/api/digest/preview", |cx, user| {
        Box::pin(handlers::preview(cx, user))
    })
    .doc::<handlers::__path_preview>(),
];
