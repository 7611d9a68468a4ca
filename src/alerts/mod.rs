//! Budgets, alerts and runway (docs/alerts.md).
//!
//! Pure and natively tested: [`period`] (OpenRouter's reset windows),
//! [`thresholds`], [`runway`] (projection), [`marks`] (what fires once and
//! when it re-arms), [`assess`] (where a budget stands), [`events`] (what
//! an alert says) and [`evaluate::plan`]. Worker glue: [`standing`] (one D1
//! batch), [`evaluate::accounts`] (run by the hourly sync) and [`handlers`].

pub mod assess;
pub mod evaluate;
pub mod events;
pub mod handlers;
pub mod marks;
pub mod period;
pub mod runway;
pub mod standing;
pub mod thresholds;
pub mod view;
