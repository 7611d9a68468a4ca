//! When a delivery is done, retried or given up, and the log of its tries.
//!
//! A 2xx delivers. A 5xx, 408, 429, a timeout or a connection error is
//! worth another try: up to [`ATTEMPTS_PER_RUN`] in one run (after 1 s, then
//! 3 s), then again by the next hourly runs until [`MAX_ATTEMPTS`] tries or
//! [`GIVE_UP_AFTER_HOURS`]. Any other status fails at once: the receiver
//! said no, and asking again will not change that.

use serde::{Deserialize, Serialize};

pub const ATTEMPTS_PER_RUN: u32 = 3;
pub const MAX_ATTEMPTS: u32 = 9;
pub const GIVE_UP_AFTER_HOURS: i64 = 24;
/// Waits before the 2nd and 3rd try of a run.
pub const BACKOFF_MS: [u64; 2] = [1_000, 3_000];

/// One try, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: String,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    TryAgain,
    Failed,
}

impl Attempt {
    pub fn verdict(&self) -> Verdict {
        match self.status_code {
            Some(200..=299) => Verdict::Delivered,
            Some(408 | 429 | 500..=599) | None => Verdict::TryAgain,
            Some(_) => Verdict::Failed,
        }
    }
}

/// A delivery's stored status after its latest try.
pub fn status_after(attempt: &Attempt, attempts_so_far: u32, age_hours: i64) -> &'static str {
    match attempt.verdict() {
        Verdict::Delivered => "delivered",
        Verdict::Failed => "failed",
        Verdict::TryAgain
            if attempts_so_far >= MAX_ATTEMPTS || age_hours >= GIVE_UP_AFTER_HOURS =>
        {
            "failed"
        }
        Verdict::TryAgain => "retrying",
    }
}

/// The wait before try `tried + 1` within this run, or `None` to stop here
/// (`tried` counts this run's tries, `total` all of them).
pub fn next_wait_ms(tried_this_run: u32, total: u32, verdict: Verdict) -> Option<u64> {
    if verdict != Verdict::TryAgain || tried_this_run >= ATTEMPTS_PER_RUN || total >= MAX_ATTEMPTS {
        return None;
    }
    BACKOFF_MS.get(tried_this_run as usize - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tried(status: Option<u16>) -> Attempt {
        Attempt {
            at: "2026-11-29T10:00:00Z".into(),
            status_code: status,
            error: status.is_none().then(|| "timed out".to_owned()),
            duration_ms: 5,
        }
    }

    #[test]
    fn success_retryable_and_final_answers() {
        assert_eq!(tried(Some(204)).verdict(), Verdict::Delivered);
        for again in [Some(500), Some(503), Some(429), Some(408), None] {
            assert_eq!(tried(again).verdict(), Verdict::TryAgain, "{again:?}");
        }
        for no in [Some(400), Some(401), Some(404), Some(410), Some(301)] {
            assert_eq!(tried(no).verdict(), Verdict::Failed, "{no:?}");
        }
    }

    #[test]
    fn three_tries_a_run_with_backoff_then_later_runs_until_the_cap() {
        assert_eq!(next_wait_ms(1, 1, Verdict::TryAgain), Some(1_000));
        assert_eq!(next_wait_ms(2, 2, Verdict::TryAgain), Some(3_000));
        assert_eq!(next_wait_ms(3, 3, Verdict::TryAgain), None);
        assert_eq!(next_wait_ms(1, MAX_ATTEMPTS, Verdict::TryAgain), None);
        assert_eq!(next_wait_ms(1, 1, Verdict::Failed), None);
        assert_eq!(status_after(&tried(Some(500)), 3, 0), "retrying");
        assert_eq!(status_after(&tried(Some(500)), MAX_ATTEMPTS, 0), "failed");
        assert_eq!(status_after(&tried(None), 4, GIVE_UP_AFTER_HOURS), "failed");
        assert_eq!(status_after(&tried(Some(200)), 9, 30), "delivered");
        assert_eq!(status_after(&tried(Some(404)), 1, 0), "failed");
    }
}
