//! A digest's period: a week (Monday to Sunday) or a month of local days
//! in the account's time zone. The cron sends the last completed one once;
//! a preview covers the current one up to today.

#![deny(clippy::arithmetic_side_effects)]

use chrono::{Datelike, Duration, NaiveDate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DigestKind {
    Weekly,
    Monthly,
}

impl DigestKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DigestKind::Weekly => "weekly",
            DigestKind::Monthly => "monthly",
        }
    }

    pub fn parse(text: &str) -> Option<DigestKind> {
        match text {
            "weekly" => Some(DigestKind::Weekly),
            "monthly" => Some(DigestKind::Monthly),
            _ => None,
        }
    }
}

/// Local days `start..=end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: DigestKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

fn week_start(day: NaiveDate) -> Option<NaiveDate> {
    let back = i64::from(day.weekday().num_days_from_monday());
    day.checked_sub_signed(Duration::days(back))
}

fn month_start(day: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(day.year(), day.month(), 1)
}

/// The first day of the period after the one that starts on `start`.
fn next_start(kind: DigestKind, start: NaiveDate) -> Option<NaiveDate> {
    match kind {
        DigestKind::Weekly => start.checked_add_signed(Duration::days(7)),
        DigestKind::Monthly => start.checked_add_months(chrono::Months::new(1)),
    }
}

/// The whole period `day` falls in.
pub fn containing(kind: DigestKind, day: NaiveDate) -> Option<Period> {
    let start = match kind {
        DigestKind::Weekly => week_start(day)?,
        DigestKind::Monthly => month_start(day)?,
    };
    let end = next_start(kind, start)?.pred_opt()?;
    Some(Period { kind, start, end })
}

/// The last period that ended before `today` (local): what the cron sends.
pub fn last_completed(kind: DigestKind, today: NaiveDate) -> Option<Period> {
    let current = containing(kind, today)?;
    containing(kind, current.start.pred_opt()?)
}

/// The period before `period`, whole: what a digest compares with.
pub fn previous(period: &Period) -> Option<Period> {
    containing(period.kind, period.start.pred_opt()?)
}

/// The current period up to `today`: what a preview covers.
pub fn to_date(kind: DigestKind, today: NaiveDate) -> Option<Period> {
    let whole = containing(kind, today)?;
    Some(Period {
        end: today,
        ..whole
    })
}

/// The same number of days at the start of the previous period (at most
/// its length): a preview compares like with like.
pub fn previous_to_date(period: &Period) -> Option<Period> {
    let whole = previous(period)?;
    let days = period.end.signed_duration_since(period.start);
    let end = whole
        .start
        .checked_add_signed(days)
        .map_or(whole.end, |end| end.min(whole.end));
    Some(Period { end, ..whole })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn weeks_run_monday_to_sunday_and_months_whole() {
        let week = last_completed(DigestKind::Weekly, day("2026-12-07")).unwrap();
        assert_eq!(
            (week.start, week.end),
            (day("2026-11-30"), day("2026-12-06"))
        );
        let week = last_completed(DigestKind::Weekly, day("2026-12-06")).unwrap();
        assert_eq!(
            (week.start, week.end),
            (day("2026-11-23"), day("2026-11-29"))
        );
        let month = last_completed(DigestKind::Monthly, day("2026-03-01")).unwrap();
        assert_eq!(
            (month.start, month.end),
            (day("2026-02-01"), day("2026-02-28"))
        );
        let month = last_completed(DigestKind::Monthly, day("2024-03-31")).unwrap();
        assert_eq!(month.end, day("2024-02-29"));
        let year_end = last_completed(DigestKind::Monthly, day("2027-01-05")).unwrap();
        assert_eq!(
            (year_end.start, year_end.end),
            (day("2026-12-01"), day("2026-12-31"))
        );
    }

    #[test]
    fn a_preview_compares_with_as_many_days_before() {
        let now = to_date(DigestKind::Monthly, day("2026-03-30")).unwrap();
        assert_eq!((now.start, now.end), (day("2026-03-01"), day("2026-03-30")));
        let before = previous_to_date(&now).unwrap();
        assert_eq!(
            (before.start, before.end),
            (day("2026-02-01"), day("2026-02-28"))
        );
        let week = to_date(DigestKind::Weekly, day("2026-12-09")).unwrap();
        let before = previous_to_date(&week).unwrap();
        assert_eq!(
            (before.start, before.end),
            (day("2026-11-30"), day("2026-12-02"))
        );
    }

    proptest! {
        #[test]
        fn periods_tile_the_calendar_at_any_date(days in any::<i32>(), monthly in any::<bool>()) {
            let kind = if monthly { DigestKind::Monthly } else { DigestKind::Weekly };
            let Some(today) = NaiveDate::from_num_days_from_ce_opt(days) else {
                return Ok(());
            };
            if let Some(p) = containing(kind, today) {
                prop_assert!(p.start <= today && today <= p.end);
                if let Some(next) = p.end.succ_opt().and_then(|d| containing(kind, d)) {
                    prop_assert_eq!(next.start.pred_opt(), Some(p.end));
                }
            }
            if let Some(last) = last_completed(kind, today) {
                prop_assert!(last.end < today);
                prop_assert_eq!(Some(last), previous(&containing(kind, today).unwrap()));
            }
            if let Some(p) = to_date(kind, today) {
                if let Some(before) = previous_to_date(&p) {
                    prop_assert!(before.start <= before.end && before.end < p.start);
                }
            }
        }
    }
}
