//! Webhooks: where alerts go (docs/alerts.md).
//!
//! Pure and natively tested: [`url`] (which URLs are accepted), [`sign`]
//! (secrets, HMAC signatures), [`attempts`] (retry rules) and [`channels`]
//! (each channel's body). Worker glue: [`deliver`] (the signed `POST`s),
//! [`handlers`], [`log`] (the delivery log, tests) and [`settings`].

pub use watcher_core::webhooks::attempts;
pub use watcher_core::webhooks::channels;
pub mod deliver;
pub mod handlers;
pub mod log;
pub mod settings;
pub mod views;
pub use watcher_core::webhooks::sign;
pub use watcher_core::webhooks::url;

use crate::http::route::{self, Route};

/// Where alerts go.
pub const ROUTES: &[Route] = &[
    route::session("GET", "/api/webhooks", |cx, user| {
        Box::pin(handlers::list(cx, user))
    })
    .doc::<handlers::__path_list>(),
    route::change("POST", "/api/webhooks", |cx, user| {
        Box::pin(handlers::create(cx, user))
    })
    .json()
    .doc::<handlers::__path_create>(),
    route::session_id("GET", "/api/webhooks/{id}", |cx, user, id| {
        Box::pin(handlers::get(cx, user, id))
    })
    .doc::<handlers::__path_get>(),
    route::change_id("PATCH", "/api/webhooks/{id}", |cx, user, id| {
        Box::pin(handlers::update(cx, user, id))
    })
    .json()
    .doc::<handlers::__path_update>(),
    route::change_id("DELETE", "/api/webhooks/{id}", |cx, user, id| {
        Box::pin(handlers::delete(cx, user, id))
    })
    .doc::<handlers::__path_delete>(),
    route::session_id("GET", "/api/webhooks/{id}/deliveries", |cx, user, id| {
        Box::pin(log::deliveries(cx, user, id))
    })
    .doc::<log::__path_deliveries>(),
    route::change_id("POST", "/api/webhooks/{id}/test", |cx, user, id| {
        Box::pin(log::test(cx, user, id))
    })
    .doc::<log::__path_test>(),
];
