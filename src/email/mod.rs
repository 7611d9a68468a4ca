//! E-mail (README, "E-mail and digests"): an address per account, used
//! once confirmed through a signed link; one-click unsubscribe in every
//! message to it; a daily cap per account; alerts by e-mail for an account
//! that asks; invitations mailed to the invited address. Pure parts in
//! `core/src/email/` (links, the raw message, settings, what an alert or an
//! invitation e-mail says); here the binding, [`alerts`] and the routes.

pub mod alerts;
pub mod handlers;
pub use watcher_core::email::{alert_letter, invitation_letter, link, mime, settings};
pub mod send;

use crate::http::route::{self, Route};

pub const ROUTES: &[Route] = &[
    route::session("GET", "/api/settings/email", |cx, user| {
        Box::pin(handlers::get(cx, user))
    })
    .doc::<handlers::__path_get>(),
    route::change("PUT", "/api/settings/email", |cx, user| {
        Box::pin(handlers::set(cx, user))
    })
    .json()
    .doc::<handlers::__path_set>(),
    route::open("GET", "/api/email/confirm", |cx| {
        Box::pin(handlers::confirm_page(cx))
    })
    .doc::<handlers::__path_confirm_page>(),
    route::open_change("POST", "/api/email/confirm", |cx| {
        Box::pin(handlers::confirm(cx))
    })
    .doc::<handlers::__path_confirm>(),
    route::open("GET", "/api/email/unsubscribe", |cx| {
        Box::pin(handlers::unsubscribe_page(cx))
    })
    .doc::<handlers::__path_unsubscribe_page>(),
    route::open_change("POST", "/api/email/unsubscribe", |cx| {
        Box::pin(handlers::unsubscribe(cx))
    })
    .doc::<handlers::__path_unsubscribe>(),
];
