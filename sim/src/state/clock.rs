//! The simulator's clock (frozen by the control API, real UTC time otherwise) and the
//! calendar arithmetic of the periods OpenRouter reports.

use chrono::{DateTime, Datelike, Days, NaiveDate, SecondsFormat, Utc};

use super::{Sim, SimError, State};
use crate::control::ClockResponse;

/// Days served by `/activity`: the last 30 completed UTC days.
pub const ACTIVITY_WINDOW_DAYS: u64 = 30;

impl State {
    pub(super) fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    pub(super) fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    fn clock_response(&self) -> ClockResponse {
        let t = self.now();
        ClockResponse {
            now: rfc3339(t),
            today: t.date_naive().to_string(),
            frozen: self.clock.is_some(),
        }
    }
}

impl Sim {
    /// The simulator's clock: frozen when set, real UTC time otherwise.
    pub fn now(&self) -> DateTime<Utc> {
        self.lock().now()
    }

    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Freezes the clock at `now`, or returns to real time with `None`.
    pub fn set_clock(&self, now: Option<DateTime<Utc>>) -> ClockResponse {
        let mut st = self.lock();
        st.clock = now;
        st.clock_response()
    }

    pub fn clock(&self) -> ClockResponse {
        self.lock().clock_response()
    }
}

pub(crate) fn week_start(today: NaiveDate) -> NaiveDate {
    today
        .checked_sub_days(Days::new(u64::from(today.weekday().num_days_from_monday())))
        .unwrap_or(today)
}

pub(crate) fn month_start(today: NaiveDate) -> NaiveDate {
    today.with_day(1).unwrap_or(today)
}

/// `(first, last)` day served by `/activity`: today-30 ..= today-1.
pub(crate) fn activity_window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let first = today
        .checked_sub_days(Days::new(ACTIVITY_WINDOW_DAYS))
        .unwrap_or(today);
    let last = today.checked_sub_days(Days::new(1)).unwrap_or(today);
    (first, last)
}

/// Strict `YYYY-MM-DD` (zero-padded, exactly 10 characters).
pub(crate) fn parse_ymd(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

pub(crate) fn parse_date(field: &str, text: &str) -> Result<NaiveDate, SimError> {
    parse_ymd(text.trim())
        .ok_or_else(|| SimError::unprocessable(format!("{field}: expected YYYY-MM-DD, got {text}")))
}

pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}
