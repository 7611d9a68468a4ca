//! Time as the product stores and shows it: RFC 3339 UTC with a `Z`.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

pub fn today() -> NaiveDate {
    now().date_naive()
}

pub fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Parses a stored timestamp; `None` for anything malformed.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_z() {
        let t = parse_timestamp("2026-11-25T20:29:17+01:00").unwrap();
        assert_eq!(timestamp(t), "2026-11-25T19:29:17Z");
        assert!(parse_timestamp("yesterday").is_none());
    }
}
