//! Pure domain types that validate when parsed, so no handler holds an
//! invalid email, date range, page, amount or secret.

pub mod account;
pub mod audit;
pub mod dates;
pub mod event;
pub mod key;
pub mod money;
pub mod network;
pub mod page;
pub mod role;
pub mod scope;
pub mod secrets;
pub mod severity;
pub mod tz;
pub mod usage;

/// Why a value is not valid: which field, and a reason a client can act on
/// (the HTTP layer turns it into a 422 naming the field).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{field}` {reason}")]
pub struct Invalid {
    pub field: String,
    pub reason: String,
}

impl Invalid {
    pub fn new(field: &str, reason: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            reason: reason.into(),
        }
    }
}
