//! The site map: every feature's endpoint table (declared beside its
//! handlers), and the router built from them.
//!
//! A new endpoint of an existing feature is one line in that feature's
//! `ROUTES`; a new feature adds its table here. The order only matters for
//! paths with several methods, whose 405 `Allow` lists them as declared.

use std::sync::OnceLock;

use crate::error::{AppError, AppResult};
use crate::http::route::{Handler, Route};
use crate::http::router::Router;

pub static TABLES: &[&[Route]] = &[
    crate::health::ROUTES,
    crate::openapi::ROUTES,
    crate::auth::ROUTES,
    crate::keys::ROUTES,
    crate::usage::ROUTES,
    crate::alerts::ROUTES,
    crate::policies::ROUTES,
    crate::webhooks::ROUTES,
    crate::email::ROUTES,
    crate::digest::ROUTES,
    crate::audit::ROUTES,
    crate::orgs::ROUTES,
    crate::public_api::ROUTES,
];

/// Built on the first request of a Worker instance; the patterns are
/// checked by a unit test, so the error is never seen in a deployed build.
pub fn router() -> AppResult<&'static Router<Handler>> {
    static ROUTER: OnceLock<Result<Router<Handler>, String>> = OnceLock::new();
    ROUTER
        .get_or_init(|| Router::new(TABLES))
        .as_ref()
        .map_err(AppError::internal)
}

#[cfg(test)]
mod tests;
