//! Helpers every integration test shares: the harness (one real Worker and
//! one simulator for the whole run), the HTTP client that checks every
//! response against `openapi.json`, fixtures (users, keys, simulator
//! control, cron), direct reads of the local D1, a webhook receiver and
//! the browser walks.

mod access;
mod clocked;
mod d1;
mod fixtures;
mod harness;
mod http;
mod mailbox;
mod receiver;
mod walk;

pub use access::*;
pub use clocked::*;
pub use d1::*;
pub use fixtures::*;
pub use harness::*;
pub use http::*;
pub use mailbox::*;
pub use receiver::*;
pub use walk::*;
