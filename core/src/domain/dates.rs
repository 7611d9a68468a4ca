//! UTC days and the date ranges every usage query takes.

#![deny(clippy::arithmetic_side_effects)]

use chrono::NaiveDate;

use super::Invalid;

/// The longest range a query may cover, counting both ends.
pub const MAX_RANGE_DAYS: i64 = 365;
/// Days covered by default: end = today, start = end − 29 (both ends count).
pub const DEFAULT_RANGE_DAYS: i64 = 30;

/// Parses a strict `YYYY-MM-DD` calendar date (`2025-02-30` is refused).
pub fn parse_day(field: &str, text: &str) -> Result<NaiveDate, Invalid> {
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !well_formed {
        return Err(Invalid::new(field, "must be a date in YYYY-MM-DD format"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| Invalid::new(field, "is not a valid calendar date"))
}

pub fn format_day(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// An inclusive range of UTC days that cannot exist reversed or too long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    start: NaiveDate,
    end: NaiveDate,
}

impl DateRange {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, Invalid> {
        if start > end {
            return Err(Invalid::new("start_date", "must not be after end_date"));
        }
        let range = Self { start, end };
        if range.days() > MAX_RANGE_DAYS {
            return Err(Invalid::new(
                "end_date",
                format!("must be at most {MAX_RANGE_DAYS} days after start_date (both ends count)"),
            ));
        }
        Ok(range)
    }

    /// The range from optional query parameters: end defaults to today,
    /// start to end − 29 days.
    pub fn with_defaults(
        start: Option<&str>,
        end: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, Invalid> {
        let end = match end {
            Some(text) => parse_day("end_date", text)?,
            None => today,
        };
        let start = match start {
            Some(text) => parse_day("start_date", text)?,
            None => days_before(end, DEFAULT_RANGE_DAYS.saturating_sub(1))
                .ok_or_else(|| Invalid::new("end_date", "is too early"))?,
        };
        Self::new(start, end)
    }

    /// Both dates required.
    pub fn required(start: Option<&str>, end: Option<&str>) -> Result<Self, Invalid> {
        let start = start.ok_or_else(|| Invalid::new("start_date", "is required"))?;
        let end = end.ok_or_else(|| Invalid::new("end_date", "is required"))?;
        Self::new(parse_day("start_date", start)?, parse_day("end_date", end)?)
    }

    /// The last `days` days ending today.
    pub fn last_days(days: i64, today: NaiveDate) -> Result<Self, Invalid> {
        if !(1..=MAX_RANGE_DAYS).contains(&days) {
            return Err(Invalid::new(
                "days",
                format!("must be between 1 and {MAX_RANGE_DAYS}"),
            ));
        }
        let start = days_before(today, days.saturating_sub(1))
            .ok_or_else(|| Invalid::new("days", "reaches before the calendar starts"))?;
        Self::new(start, today)
    }

    pub fn start(&self) -> NaiveDate {
        self.start
    }

    pub fn end(&self) -> NaiveDate {
        self.end
    }

    /// Days covered, counting both ends.
    pub fn days(&self) -> i64 {
        self.end
            .signed_duration_since(self.start)
            .num_days()
            .saturating_add(1)
    }

    pub fn iter(&self) -> impl Iterator<Item = NaiveDate> {
        self.start
            .iter_days()
            .take(usize::try_from(self.days()).unwrap_or(0))
    }
}

/// `days` days before `day`; `None` past the calendar's start.
pub fn days_before(day: NaiveDate, days: i64) -> Option<NaiveDate> {
    day.checked_sub_days(chrono::Days::new(u64::try_from(days).ok()?))
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn field(err: Invalid) -> String {
        err.field
    }

    #[test]
    fn defaults_to_thirty_days_ending_today() {
        let r = DateRange::with_defaults(None, None, day("2026-03-01")).unwrap();
        assert_eq!(r.start(), day("2026-01-31"));
        assert_eq!(r.end(), day("2026-03-01"));
        assert_eq!(r.days(), 30);
        let r = DateRange::with_defaults(None, Some("2025-01-10"), day("2026-03-01")).unwrap();
        assert_eq!(r.start(), day("2024-12-12"));
    }

    #[test]
    fn counts_both_ends() {
        let r = DateRange::required(Some("2025-01-01"), Some("2025-01-01")).unwrap();
        assert_eq!(r.days(), 1);
        assert_eq!(r.iter().count(), 1);
    }

    #[test]
    fn refuses_impossible_and_malformed_dates() {
        for bad in [
            "2025-02-30",
            "2025-13-01",
            "2025-1-1",
            "20250101",
            "",
            "2025-01-01T00:00",
            "abcd-ef-gh",
        ] {
            assert!(parse_day("start_date", bad).is_err(), "{bad}");
        }
        assert!(parse_day("d", "2024-02-29").is_ok());
    }

    #[test]
    fn refuses_reversed_and_overlong_ranges() {
        let err = DateRange::required(Some("2025-02-02"), Some("2025-02-01")).unwrap_err();
        assert_eq!(field(err), "start_date");
        // 365 days counting both ends is the maximum; 366 is refused.
        assert_eq!(
            DateRange::required(Some("2025-01-01"), Some("2025-12-31"))
                .unwrap()
                .days(),
            365
        );
        let err = DateRange::required(Some("2024-01-01"), Some("2024-12-31")).unwrap_err();
        assert_eq!(field(err), "end_date");
    }

    #[test]
    fn names_the_missing_parameter() {
        assert_eq!(
            field(DateRange::required(None, Some("2025-01-01")).unwrap_err()),
            "start_date"
        );
        assert_eq!(
            field(DateRange::required(Some("2025-01-01"), None).unwrap_err()),
            "end_date"
        );
        assert_eq!(
            field(DateRange::required(Some("2025-01-01"), Some("x")).unwrap_err()),
            "end_date"
        );
    }

    #[test]
    fn last_days_is_bounded() {
        let today = day("2026-11-25");
        assert_eq!(DateRange::last_days(30, today).unwrap().days(), 30);
        assert!(DateRange::last_days(0, today).is_err());
        assert!(DateRange::last_days(366, today).is_err());
    }
}
