//! Reading usage: the public API, the dashboard's views, CSV export.

pub mod answers;
pub mod cache;
pub mod csv;
pub mod focus;
pub mod hourly;
pub mod local;
pub mod metrics;
pub mod metrics_answer;
pub mod overview;
pub mod periods;
pub mod web;
