//! Helpers every integration test shares: the harness (one real Worker and
//! one simulator for the whole run), the HTTP client that checks every
//! response against `openapi.json`, and fixtures (users, keys, simulator
//! control, cron).

mod fixtures;
mod harness;
mod http;

pub use fixtures::*;
pub use harness::*;
pub use http::*;
