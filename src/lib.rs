//! OpenRouter Watcher: a Cloudflare Worker that keeps users' OpenRouter keys
//! encrypted, syncs what each key costs per model and per day, and serves
//! those numbers to a dashboard (JWT) and to integrations (`/api/v1`, API
//! tokens, rate limited by a Durable Object).
//!
//! This file holds the runtime's entry points only; see `http` for the
//! request path, `jobs` for the cron handlers and the queue consumers.
//!
//! No input may reach a panic: a panic resets the wasm instance, aborting
//! every request in flight in it, and poisons a queue consumer's batch. So
//! outside tests the crate denies what panics on bad data (`unwrap`,
//! `expect`, `panic!`, indexing and slicing); the modules that compute on
//! money, time and counts also deny unchecked arithmetic
//! (`clippy::arithmetic_side_effects`), and property tests probe them with
//! extreme values.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[cfg(test)]
use watcher_core::testing;
pub use watcher_core::{clock, config, domain, error};

pub mod alerts;
pub mod app;
pub mod audit;
pub mod auth;
pub mod bounded;
pub mod changes;
pub mod digest;
pub mod email;
pub mod health;
pub mod http;
pub mod jobs;
pub mod keys;
pub mod openapi;
pub mod openrouter;
pub mod orgs;
pub mod panic;
pub mod policies;
pub mod public_api;
pub mod rate_limit;
pub mod routes;
pub mod security_log;
pub mod store;
pub mod usage;
pub mod webhooks;

use std::future::Future;
use std::pin::Pin;

use worker::{
    event, Context, Env, MessageBatch, Request, Response, ScheduleContext, ScheduledEvent,
};

pub use public_api::object::PublicToken;
pub use rate_limit::object::RateLimiter;

const SITE: http::Site = http::Site {
    router: routes::router,
    forget: forget_answers,
};

/// What a write that changes `/api/v1`'s answers clears: the user's tokens'
/// cached answers (`changes`).
fn forget_answers(app: &app::App, org_id: i64) -> Pin<Box<dyn Future<Output = ()> + '_>> {
    Box::pin(public_api::forget_answers(app, org_id))
}

#[event(start)]
fn start() {
    panic::install();
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    http::serve(req, env, &SITE).await
}

#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    jobs::run_scheduled(&event.cron(), env, forget_answers).await;
}

/// The hourly sync's batches (`SYNC_QUEUE`) and its dead letters.
#[event(queue)]
async fn queue(
    batch: MessageBatch<serde_json::Value>,
    env: Env,
    _ctx: Context,
) -> worker::Result<()> {
    jobs::queue::consume(batch, env, forget_answers).await;
    Ok(())
}
