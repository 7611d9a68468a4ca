//! Reading usage: the public API, the dashboard's views, CSV export.

pub mod answers;
pub mod by_member;
pub mod cache;
pub use watcher_core::usage::csv;
pub use watcher_core::usage::export;
pub use watcher_core::usage::focus;
pub use watcher_core::usage::hourly;
pub use watcher_core::usage::members;
pub mod local;
pub use watcher_core::usage::metrics;
pub mod metrics_answer;
pub mod models;
pub use watcher_core::usage::overview;
pub use watcher_core::usage::periods;
pub use watcher_core::usage::shapes;
pub use watcher_core::usage::stats;
pub mod dashboard;
pub mod rows;

use crate::http::route::{self, Route};

/// The dashboard's reads (the public API's are `public_api::ROUTES`).
pub const ROUTES: &[Route] = &[
    route::session("GET", "/api/stats/dashboard", |cx, user| {
        Box::pin(dashboard::dashboard(cx, user))
    })
    .doc::<dashboard::__path_dashboard>(),
    route::session("GET", "/api/usage", |cx, user| {
        Box::pin(rows::usage(cx, user))
    })
    .doc::<rows::__path_usage>(),
    route::session("GET", "/api/usage.csv", |cx, user| {
        Box::pin(rows::usage_csv(cx, user))
    })
    .doc::<rows::__path_usage_csv>(),
    route::session("GET", "/api/usage/hourly", |cx, user| {
        Box::pin(local::hourly(cx, user))
    })
    .doc::<local::__path_hourly>(),
    route::session("GET", "/api/models", |cx, user| {
        Box::pin(models::list(cx, user))
    })
    .doc::<models::__path_list>(),
];
