//! Reading usage: the public API, the dashboard's views, CSV export.

pub mod csv;
pub mod public;
pub mod web;
