//! The rate-limit algorithm: a sliding-window log.
//!
//! Each bucket (one API token, one client IP, one login email...) keeps the
//! times of the requests it allowed within the last `window`. A request is
//! allowed while fewer than `limit` are in the window. Chosen over a fixed
//! window because it holds "at most N in ANY window-long interval" (a fixed
//! window lets 2N through across a boundary) and gives an exact
//! `Retry-After`: the moment the oldest logged request leaves the window,
//! which frees one slot. The log is at most `limit` rows per bucket, so its
//! cost is bounded; the Durable Object runs the read and the write with no
//! await between them, which makes the decision atomic under concurrency.
//! Times are epoch milliseconds; at the far edges of `i64` they saturate
//! (a window that never ends) rather than wrap.

#![deny(clippy::arithmetic_side_effects)]

use serde::{Deserialize, Serialize};

/// What the bucket looks like right before the decision: requests allowed
/// within the window, and when the oldest of them happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowState {
    pub count: u32,
    pub oldest_ms: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// Epoch seconds at which the oldest request in the window expires and a
    /// slot frees (now, rounded up, for an empty bucket).
    pub reset_epoch: i64,
    /// Seconds until a slot frees; 0 when allowed.
    pub retry_after: u64,
}

/// Decides a request at `now_ms` that, if allowed, is logged (`hit`); a
/// `peek` reports the same without logging it.
pub fn decide(
    state: WindowState,
    now_ms: i64,
    window_ms: i64,
    limit: u32,
    record: bool,
) -> Decision {
    let allowed = state.count < limit;
    let counted = state.count.saturating_add(u32::from(allowed && record));
    let frees_at_ms = state
        .oldest_ms
        .filter(|_| state.count > 0)
        .map(|oldest| oldest.saturating_add(window_ms))
        .or(if counted > 0 {
            Some(now_ms.saturating_add(window_ms))
        } else {
            None
        })
        .unwrap_or(now_ms);
    Decision {
        allowed,
        limit,
        remaining: limit.saturating_sub(counted),
        reset_epoch: ceil_div(frees_at_ms, 1000),
        retry_after: if allowed {
            0
        } else {
            u64::try_from(ceil_div(frees_at_ms.saturating_sub(now_ms).max(1), 1000)).unwrap_or(1)
        },
    }
}

/// Requests logged at or before this instant are outside the window.
pub fn expired_before(now_ms: i64, window_ms: i64) -> i64 {
    now_ms.saturating_sub(window_ms)
}

/// `a / b` rounded up (towards +∞); `b` is a positive constant here.
fn ceil_div(a: i64, b: i64) -> i64 {
    let whole = a.checked_div_euclid(b).unwrap_or(0);
    match a.checked_rem_euclid(b) {
        Some(0) | None => whole,
        Some(_) => whole.saturating_add(1),
    }
}

/// What a bucket's alarm does when it fires: an empty log means the bucket
/// is idle, and its storage is deleted (abandoned IP, login and sync
/// buckets would otherwise stay forever); otherwise it wakes again when the
/// newest logged request leaves the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmPlan {
    DeleteStorage,
    WakeAt(i64),
}

pub fn alarm_plan(newest_ms: Option<i64>, now_ms: i64, window_ms: i64) -> AlarmPlan {
    match newest_ms {
        Some(newest) if newest > expired_before(now_ms, window_ms) => {
            AlarmPlan::WakeAt(newest.saturating_add(window_ms))
        }
        _ => AlarmPlan::DeleteStorage,
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    /// A little simulation of the log the Durable Object keeps.
    fn run(log: &mut Vec<i64>, now: i64, limit: u32) -> Decision {
        log.retain(|&t| t > expired_before(now, HOUR));
        let state = WindowState {
            count: log.len() as u32,
            oldest_ms: log.first().copied(),
        };
        let d = decide(state, now, HOUR, limit, true);
        if d.allowed {
            log.push(now);
        }
        d
    }

    #[test]
    fn allows_exactly_the_limit() {
        let mut log = Vec::new();
        let start = 1_700_000_000_000;
        let allowed = (0..150)
            .filter(|i| run(&mut log, start + i * 10, 100).allowed)
            .count();
        assert_eq!(allowed, 100);
    }

    #[test]
    fn counts_down_and_reports_when_a_slot_frees() {
        let mut log = Vec::new();
        let t0 = 1_700_000_000_000;
        let first = run(&mut log, t0, 3);
        assert_eq!((first.allowed, first.remaining), (true, 2));
        assert_eq!(first.reset_epoch, (t0 + HOUR) / 1000);
        run(&mut log, t0 + 1000, 3);
        let third = run(&mut log, t0 + 2000, 3);
        assert_eq!((third.allowed, third.remaining), (true, 0));
        let refused = run(&mut log, t0 + 10 * 60_000, 3);
        assert!(!refused.allowed);
        assert_eq!(refused.remaining, 0);
        // The oldest request leaves the window 50 minutes later.
        assert_eq!(refused.retry_after, 50 * 60);
        assert_eq!(refused.reset_epoch, (t0 + HOUR) / 1000);
    }

    #[test]
    fn slots_free_as_the_window_slides() {
        let mut log = Vec::new();
        let t0 = 1_700_000_000_000;
        for i in 0..3 {
            assert!(run(&mut log, t0 + i * 1000, 3).allowed);
        }
        assert!(!run(&mut log, t0 + HOUR - 1, 3).allowed);
        // One slot frees when the first request is an hour old, not all three.
        assert!(run(&mut log, t0 + HOUR, 3).allowed);
        assert!(!run(&mut log, t0 + HOUR + 500, 3).allowed);
        assert!(run(&mut log, t0 + HOUR + 1000, 3).allowed);
    }

    #[test]
    fn peeking_does_not_count() {
        let state = WindowState {
            count: 0,
            oldest_ms: None,
        };
        let d = decide(state, 5_000, HOUR, 10, false);
        assert!(d.allowed);
        assert_eq!(d.remaining, 10);
        assert_eq!(d.reset_epoch, 5);
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let state = WindowState {
            count: 1,
            oldest_ms: Some(0),
        };
        let d = decide(state, HOUR - 1, HOUR, 1, true);
        assert!(!d.allowed);
        assert_eq!(d.retry_after, 1);
    }

    #[test]
    fn an_idle_bucket_is_deleted_and_a_busy_one_wakes_when_its_log_empties() {
        let now = 1_700_000_000_000;
        assert_eq!(alarm_plan(None, now, HOUR), AlarmPlan::DeleteStorage);
        assert_eq!(
            alarm_plan(Some(now - HOUR), now, HOUR),
            AlarmPlan::DeleteStorage,
            "a request exactly one window old has left it"
        );
        assert_eq!(
            alarm_plan(Some(now - 10), now, HOUR),
            AlarmPlan::WakeAt(now - 10 + HOUR)
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn decisions_never_panic_and_keep_the_limit(
                count in any::<u32>(), oldest in proptest::option::of(any::<i64>()),
                now in any::<i64>(), window in any::<i64>(), limit in any::<u32>(), record in any::<bool>(),
                newest in proptest::option::of(any::<i64>()),
            ) {
                let d = decide(WindowState { count, oldest_ms: oldest }, now, window, limit, record);
                prop_assert_eq!(d.allowed, count < limit);
                prop_assert!(d.remaining <= limit);
                if !d.allowed {
                    prop_assert!(d.retry_after >= 1);
                }
                let _ = alarm_plan(newest, now, window);
                let _ = expired_before(now, window);
            }
        }
    }
}
