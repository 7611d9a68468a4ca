//! Helpers of the native unit tests (compiled for tests only: this crate's,
//! and the Worker crate's through the `testing` feature of its
//! dev-dependency). A literal a test got wrong fails that test.

#![allow(clippy::expect_used)]

use chrono::{DateTime, Utc};

use crate::domain::money::Money;

/// An RFC 3339 time, as tests write them.
pub fn at(text: &str) -> DateTime<Utc> {
    crate::clock::parse_timestamp(text).expect("an RFC 3339 time")
}

/// An exact amount in USD, as tests write it.
pub fn usd(text: &str) -> Money {
    Money::parse_decimal(text).expect("a decimal amount")
}
