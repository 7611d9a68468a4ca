//! Pure domain types that validate when parsed, so no handler holds an
//! invalid email, date range, page, amount or secret.

pub mod account;
pub mod dates;
pub mod money;
pub mod network;
pub mod page;
pub mod secrets;
