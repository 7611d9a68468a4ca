//! The key vault: OpenRouter keys encrypted at rest, and their handlers.

pub mod handlers;
pub mod vault;
pub mod views;
