//! OpenRouter Watcher's pure core: what needs no runtime. Domain types that
//! validate when parsed, the one error type, settings parsing, the router,
//! and every computation on money, time and counts (rate-limit window, sync
//! arithmetic and fan-out, budget periods, thresholds, runway and marks,
//! the hourly curve, spend periods, OpenMetrics and FOCUS rendering,
//! webhook URL rules, signatures and retries, OpenRouter's wire types and
//! retry policy).
//!
//! It does not depend on `worker`, so the compiler keeps it pure, and its
//! tests run natively. The Worker crate re-exports these modules at the
//! same paths (`crate::domain`, `crate::alerts::period`, …).
//!
//! No input may reach a panic (see the Worker crate's `lib.rs`): outside
//! tests the crate denies what panics on bad data, and the modules that
//! compute on money, time and counts also deny unchecked arithmetic.

#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

pub mod access;
pub mod api_doc;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod policies;
pub mod router;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

/// Budgets: periods, thresholds, runway, marks, where a budget stands, and
/// what an alert says.
pub mod alerts {
    pub mod assess;
    pub mod events;
    pub mod marks;
    pub mod period;
    pub mod runway;
    pub mod spike;
    pub mod thresholds;
}

/// Digests: their periods in the account's time zone, and what they say.
pub mod digest {
    pub mod period;
    pub mod render;
}

/// E-mail: signed links, the raw message, its settings, and what an alert
/// e-mail says.
pub mod email {
    pub mod alert_letter;
    pub mod invitation_letter;
    pub mod link;
    pub mod mime;
    pub mod settings;
}

/// The sync's arithmetic and its fan-out into queue batches.
pub mod jobs {
    pub mod arithmetic;
    pub mod fanout;
}

/// OpenRouter's answers as types, and when to retry a call.
pub mod openrouter {
    pub mod retry;
    pub mod types;
}

/// The sliding-window rate-limit algorithm.
pub mod rate_limit {
    pub mod window;
}

/// Usage figures: the hourly curve, spend periods, the overview, the
/// shared shapes, OpenMetrics, FOCUS and CSV rendering.
pub mod usage {
    pub mod csv;
    pub mod drift;
    pub mod export;
    pub mod focus;
    pub mod hourly;
    pub mod members;
    pub mod metrics;
    pub mod overview;
    pub mod periods;
    pub mod shapes;
    pub mod stats;
}

/// Webhook URL rules, signatures, retry rules and channels.
pub mod webhooks {
    pub mod attempts;
    pub mod channels;
    pub mod sign;
    pub mod url;
}
