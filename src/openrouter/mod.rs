//! OpenRouter: response types, retry policy (pure), and the HTTP client.

pub mod client;
mod request;
pub use watcher_core::openrouter::retry;
pub use watcher_core::openrouter::types;

pub use client::{Budget, CallError, Client};
