//! Organisations (README, "Teams"): what a person belongs to, and with
//! which role. Every key, figure, budget, webhook, token and audit entry
//! belongs to one organisation; a session's request acts in the one its
//! `X-Organisation` header names (`auth::session`), the person's first
//! (personal) organisation without it.

pub mod handlers;
mod invitation_mail;
pub mod invitations;
pub mod manage;
pub mod members;

use crate::domain::role::Role;
use crate::http::route::{self, Route, Unaudited};

pub const ROUTES: &[Route] = &[
    route::session("GET", "/api/organisations", |cx, user| {
        Box::pin(handlers::list(cx, user))
    })
    .doc::<handlers::__path_list>(),
    route::change("POST", "/api/organisations", |cx, user| {
        Box::pin(handlers::create(cx, user))
    })
    // Concerns the person, whatever their role where the request acts.
    .role(Role::Viewer)
    .json()
    .doc::<handlers::__path_create>(),
    route::unaudited(
        "DELETE",
        "/api/organisations",
        "the organisation's audit log is deleted with it (a security event: security_log)",
        Unaudited::Session(|cx, user| Box::pin(manage::delete(cx, user))),
    )
    .role(Role::Owner)
    .json()
    .doc::<manage::__path_delete>(),
    route::session("GET", "/api/organisations/members", |cx, user| {
        Box::pin(members::list(cx, user))
    })
    .doc::<members::__path_list>(),
    route::change_id(
        "PATCH",
        "/api/organisations/members/{id}",
        |cx, user, id| Box::pin(manage::change(cx, user, id)),
    )
    .json()
    .doc::<manage::__path_change>(),
    route::change_id(
        "DELETE",
        "/api/organisations/members/{id}",
        |cx, user, id| Box::pin(manage::remove(cx, user, id)),
    )
    // Anyone may leave; removing someone else is checked by the handler
    // (`domain::role::may_remove`).
    .role(Role::Viewer)
    .doc::<manage::__path_remove>(),
    route::change("POST", "/api/organisations/invitations", |cx, user| {
        Box::pin(invitations::invite(cx, user))
    })
    .json()
    .doc::<invitations::__path_invite>(),
    route::session("GET", "/api/organisations/invitations", |cx, user| {
        Box::pin(invitations::list(cx, user))
    })
    // Who was invited is the inviters' business, not every reader's.
    .role(Role::Admin)
    .doc::<invitations::__path_list>(),
    route::change_id(
        "DELETE",
        "/api/organisations/invitations/{id}",
        |cx, user, id| Box::pin(invitations::revoke(cx, user, id)),
    )
    .doc::<invitations::__path_revoke>(),
    route::change("POST", "/api/invitations/accept", |cx, user| {
        Box::pin(invitations::accept(cx, user))
    })
    // Concerns the person: the invitation says where and with which role.
    .role(Role::Viewer)
    .json()
    .doc::<invitations::__path_accept>(),
];
