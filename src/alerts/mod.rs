//! Budgets, alerts and runway (docs/alerts.md).
//!
//! Pure and natively tested: [`period`] (OpenRouter's reset windows),
//! [`thresholds`], [`runway`] (projection), [`marks`] (what fires once and
//! when it re-arms), [`assess`] (where a budget stands), [`events`] (what
//! an alert says), [`spike`] (spend spikes), [`drift`] (activity against
//! the running total) and [`evaluate::plan`]. Worker glue: [`standing`]
//! (one D1 batch), [`spikes`] and [`drifts`] (what they read),
//! [`evaluate::accounts`] (run by the hourly sync), [`handlers`] and their
//! bodies ([`requests`]).

pub use watcher_core::alerts::assess;
pub mod drifts;
pub mod evaluate;
pub use watcher_core::alerts::events;
pub mod handlers;
pub use watcher_core::alerts::marks;
pub use watcher_core::alerts::period;
pub use watcher_core::alerts::runway;
pub mod requests;
pub use watcher_core::alerts::spike;
pub mod spikes;
pub mod standing;
pub use watcher_core::alerts::thresholds;
pub use watcher_core::usage::drift;
pub mod view;

use crate::http::route::{self, Route};

/// Budgets and the alerts they raised.
pub const ROUTES: &[Route] = &[
    route::session("GET", "/api/budgets", |cx, user| {
        Box::pin(handlers::list(cx, user))
    })
    .doc::<handlers::__path_list>(),
    route::change("POST", "/api/budgets", |cx, user| {
        Box::pin(handlers::create(cx, user))
    })
    .json()
    .doc::<handlers::__path_create>(),
    route::session_id("GET", "/api/budgets/{id}", |cx, user, id| {
        Box::pin(handlers::get(cx, user, id))
    })
    .doc::<handlers::__path_get>(),
    route::change_id("PATCH", "/api/budgets/{id}", |cx, user, id| {
        Box::pin(handlers::update(cx, user, id))
    })
    .json()
    .doc::<handlers::__path_update>(),
    route::change_id("DELETE", "/api/budgets/{id}", |cx, user, id| {
        Box::pin(handlers::delete(cx, user, id))
    })
    .doc::<handlers::__path_delete>(),
    route::session("GET", "/api/alerts", |cx, user| {
        Box::pin(handlers::events(cx, user))
    })
    .doc::<handlers::__path_events>(),
];
