//! Policies (docs/policies.md): a budget that disables or limits its
//! OpenRouter keys through the account's management key, reversibly, and
//! the record of each action.
//!
//! Pure and natively tested in the core crate: when a policy triggers, what
//! it sets and what restoring puts back ([`watcher_core::policies`]). Worker
//! glue: [`terms`] (a budget request's policy), [`act`] (run after each
//! sync batch's evaluation: takes and restores actions), [`handlers`].

pub use watcher_core::policies::*;

pub mod act;
pub mod handlers;
pub mod limit;
pub mod outcome;
pub mod plan;
pub mod terms;
pub mod view;

use crate::http::route::{self, Route};

/// What policies did to keys.
pub const ROUTES: &[Route] = &[
    route::session("GET", "/api/actions", |cx, user| {
        Box::pin(handlers::list(cx, user))
    })
    .doc::<handlers::__path_list>(),
    route::change_id("POST", "/api/actions/{id}/undo", |cx, user, id| {
        Box::pin(handlers::undo(cx, user, id))
    })
    .doc::<handlers::__path_undo>(),
    route::change_id("POST", "/api/keys/{id}/limit", |cx, user, id| {
        Box::pin(limit::set_limit(cx, user, id))
    })
    .json()
    .doc::<limit::__path_set_limit>(),
];
