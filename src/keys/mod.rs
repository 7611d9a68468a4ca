//! The key vault: OpenRouter keys encrypted at rest, and their handlers.

pub mod handlers;
pub mod import;
pub mod reads;
pub mod sync_now;
pub mod untracked;
pub mod vault;
pub mod views;

use crate::domain::role::Role;
use crate::http::route::{self, Route};

/// The vault's operations. A member adds keys and manages those they
/// added; admins and owners manage every key.
pub const ROUTES: &[Route] = &[
    route::session("GET", "/api/keys", |cx, user| {
        Box::pin(reads::list(cx, user))
    })
    .doc::<reads::__path_list>(),
    route::change("POST", "/api/keys", |cx, user| {
        Box::pin(handlers::create(cx, user))
    })
    .role(Role::Member)
    .json()
    .doc::<handlers::__path_create>(),
    route::session("GET", "/api/keys/untracked", |cx, user| {
        Box::pin(untracked::untracked(cx, user))
    })
    .doc::<untracked::__path_untracked>(),
    route::change("POST", "/api/keys/import", |cx, user| {
        Box::pin(import::import_keys(cx, user))
    })
    .role(Role::Member)
    .json()
    .doc::<import::__path_import_keys>(),
    route::session_id("GET", "/api/keys/{id}", |cx, user, id| {
        Box::pin(reads::get(cx, user, id))
    })
    .doc::<reads::__path_get>(),
    route::change_id("PATCH", "/api/keys/{id}", |cx, user, id| {
        Box::pin(handlers::update(cx, user, id))
    })
    .own_key_or(Role::Admin)
    .json()
    .doc::<handlers::__path_update>(),
    route::change_id("DELETE", "/api/keys/{id}", |cx, user, id| {
        Box::pin(handlers::delete(cx, user, id))
    })
    .own_key_or(Role::Admin)
    .doc::<handlers::__path_delete>(),
    route::change_id("POST", "/api/keys/{id}/sync", |cx, user, id| {
        Box::pin(sync_now::sync_now(cx, user, id))
    })
    .own_key_or(Role::Admin)
    .doc::<sync_now::__path_sync_now>(),
    route::session_id("GET", "/api/keys/{id}/snapshots", |cx, user, id| {
        Box::pin(reads::snapshots(cx, user, id))
    })
    .doc::<reads::__path_snapshots>(),
];
