//! OpenRouter: response types, retry policy (pure), and the HTTP client.

pub mod client;
pub mod retry;
pub mod types;

pub use client::{Budget, CallError, Client};
