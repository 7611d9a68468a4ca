//! Reading usage: the public API, the dashboard's views, CSV export.

pub mod answers;
pub mod cache;
pub mod csv;
pub mod hourly;
pub mod local;
pub mod overview;
pub mod periods;
pub mod web;
