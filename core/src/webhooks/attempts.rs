//! When a delivery is done, retried or given up, and the log of its tries.
//!
//! A 2xx delivers. A 5xx, 408, 429, a timeout or a connection error is
//! worth another try: up to [`FIRST_RUN_ATTEMPTS`] in the run that first
//! sends it (after 1 s, then 3 s), then one try per later run, each due
//! after a growing wait ([`RETRY_WAITS_SECS`]: 5 min to 4 h), until
//! [`MAX_ATTEMPTS`] tries (about 8 hours) or [`GIVE_UP_AFTER_HOURS`]. Any
//! other status fails at once: the receiver said no, and asking again will
//! not change that. A test delivery is tried once, in its request, and its
//! outcome is final: it never joins the retry queue.
//!
//! The log says what a receiver answered, never how long a refused or
//! unreachable target took: a try that got no HTTP answer records a
//! category ([`Failure`]) and no timing, so the log cannot be used to map
//! which ports of a host are open.

#![deny(clippy::arithmetic_side_effects)]

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::api_doc::vocabulary;

pub const FIRST_RUN_ATTEMPTS: u32 = 3;
pub const MAX_ATTEMPTS: u32 = 9;
pub const GIVE_UP_AFTER_HOURS: i64 = 24;
/// Waits before the 2nd and 3rd try of the first run.
pub const BACKOFF_MS: [u64; 2] = [1_000, 3_000];
/// The wait before each later run's try, by later run: the 4th try comes
/// 5 minutes after the first run, the 9th about 8 hours after it.
pub const RETRY_WAITS_SECS: [i64; 6] = [300, 900, 1_800, 3_600, 7_200, 14_400];

/// Why a try got no HTTP answer: a category, never a detail or a timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection could not be made or broke.
    ConnectionFailed,
    /// No answer within the timeout.
    TimedOut,
    /// The stored URL is not (or no longer) one this deployment calls.
    RefusedTarget,
    /// The request could not be built.
    Unsendable,
}

impl Failure {
    pub const ALL: [Failure; 4] = [
        Failure::ConnectionFailed,
        Failure::TimedOut,
        Failure::RefusedTarget,
        Failure::Unsendable,
    ];

    pub fn sentence(self) -> &'static str {
        match self {
            Failure::ConnectionFailed => "the connection failed",
            Failure::TimedOut => "no answer within 5 s",
            Failure::RefusedTarget => "the URL is not allowed",
            Failure::Unsendable => "the request could not be built",
        }
    }
}

/// A failure's sentence as the API document states it: one of
/// [`Failure::sentence`]'s, or null.
pub struct FailureSentence;

impl PartialSchema for FailureSentence {
    fn schema() -> RefOr<Schema> {
        let sentences = Failure::ALL.map(|failure| serde_json::Value::from(failure.sentence()));
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::String,
                Type::Null,
            ]))
            .enum_values(Some(
                std::iter::once(serde_json::Value::Null).chain(sentences),
            ))
            .into()
    }
}

impl ToSchema for FailureSentence {}

/// One try, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = DeliveryAttempt)]
pub struct Attempt {
    #[schema(value_type = vocabulary::schemas::Timestamp)]
    pub at: String,
    #[schema(minimum = 100, maximum = 599, required = true)]
    pub status_code: Option<u16>,
    /// Why there was no HTTP answer: a category, never a detail.
    #[schema(value_type = FailureSentence, inline, required = true)]
    pub error: Option<String>,
    /// How long the receiver took to answer; null when it gave no HTTP answer (then `error` says why, as a category).
    #[schema(minimum = 0, required = true)]
    pub duration_ms: Option<u64>,
}

impl Attempt {
    pub fn answered(at: String, status: u16, duration_ms: u64) -> Self {
        Attempt {
            at,
            status_code: Some(status),
            error: None,
            duration_ms: Some(duration_ms),
        }
    }

    pub fn failed(at: String, why: Failure) -> Self {
        Attempt {
            at,
            status_code: None,
            error: Some(why.sentence().to_owned()),
            duration_ms: None,
        }
    }

    pub fn verdict(&self) -> Verdict {
        match self.status_code {
            Some(200..=299) => Verdict::Delivered,
            Some(408 | 429 | 500..=599) => Verdict::TryAgain,
            None if self.error.as_deref() == Some(Failure::RefusedTarget.sentence()) => {
                Verdict::Failed
            }
            None => Verdict::TryAgain,
            Some(_) => Verdict::Failed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    TryAgain,
    Failed,
}

/// Which kind of run is trying a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// The first run to send it: three tries.
    First,
    /// A later run: one try.
    Later,
    /// `POST /api/webhooks/{id}/test`: one try, final.
    Test,
}

impl Run {
    pub fn of(attempts_so_far: usize) -> Run {
        if attempts_so_far == 0 {
            Run::First
        } else {
            Run::Later
        }
    }

    fn allowance(self) -> u32 {
        match self {
            Run::First => FIRST_RUN_ATTEMPTS,
            Run::Later | Run::Test => 1,
        }
    }
}

/// Where a delivery stands: waiting, being sent, waiting to retry,
/// delivered, or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    Pending,
    Sending,
    Retrying,
    Delivered,
    Failed,
}

impl DeliveryStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sending => "sending",
            Self::Retrying => "retrying",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// A delivery's stored status after its latest try.
pub fn status_after(
    run: Run,
    attempt: &Attempt,
    attempts_so_far: u32,
    age_hours: i64,
) -> DeliveryStatus {
    match attempt.verdict() {
        Verdict::Delivered => DeliveryStatus::Delivered,
        Verdict::Failed => DeliveryStatus::Failed,
        Verdict::TryAgain
            if run == Run::Test
                || attempts_so_far >= MAX_ATTEMPTS
                || age_hours >= GIVE_UP_AFTER_HOURS =>
        {
            DeliveryStatus::Failed
        }
        Verdict::TryAgain => DeliveryStatus::Retrying,
    }
}

/// The wait before try `tried + 1` within this run, or `None` to stop here
/// (`tried` counts this run's tries, `total` all of them).
pub fn next_wait_ms(run: Run, tried_this_run: u32, total: u32, verdict: Verdict) -> Option<u64> {
    if verdict != Verdict::TryAgain || tried_this_run >= run.allowance() || total >= MAX_ATTEMPTS {
        return None;
    }
    let index = usize::try_from(tried_this_run.checked_sub(1)?).ok()?;
    BACKOFF_MS.get(index).copied()
}

/// How long a `retrying` delivery with `total` tries waits before a later
/// run may try it again.
pub fn retry_wait_secs(total: u32) -> i64 {
    let later_runs_so_far = total.saturating_sub(FIRST_RUN_ATTEMPTS);
    let index = usize::try_from(later_runs_so_far).unwrap_or(usize::MAX);
    RETRY_WAITS_SECS
        .get(index)
        .or(RETRY_WAITS_SECS.last())
        .copied()
        .unwrap_or(3_600)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn tried(status: Option<u16>) -> Attempt {
        match status {
            Some(code) => Attempt::answered("2026-11-29T10:00:00Z".into(), code, 5),
            None => Attempt::failed("2026-11-29T10:00:00Z".into(), Failure::TimedOut),
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
        let refused = Attempt::failed("2026-11-29T10:00:00Z".into(), Failure::RefusedTarget);
        assert_eq!(refused.verdict(), Verdict::Failed);
    }

    #[test]
    fn a_try_without_an_answer_says_why_in_a_category_and_no_timing() {
        for why in [
            Failure::ConnectionFailed,
            Failure::TimedOut,
            Failure::RefusedTarget,
            Failure::Unsendable,
        ] {
            let a = Attempt::failed("2026-11-29T10:00:00Z".into(), why);
            assert_eq!((a.status_code, a.duration_ms), (None, None));
            assert_eq!(a.error.as_deref(), Some(why.sentence()));
        }
        let json = serde_json::to_value(tried(None)).unwrap();
        assert_eq!(json["duration_ms"], serde_json::Value::Null);
        // Logs written before carry a duration: they still read.
        let old: Attempt = serde_json::from_str(
            r#"{"at":"2026-11-29T10:00:00Z","status_code":null,"error":"x","duration_ms":12}"#,
        )
        .unwrap();
        assert_eq!(old.duration_ms, Some(12));
    }

    #[test]
    fn three_tries_in_the_first_run_then_one_per_later_run_until_the_cap() {
        let again = Verdict::TryAgain;
        assert_eq!(next_wait_ms(Run::First, 1, 1, again), Some(1_000));
        assert_eq!(next_wait_ms(Run::First, 2, 2, again), Some(3_000));
        assert_eq!(next_wait_ms(Run::First, 3, 3, again), None);
        assert_eq!(next_wait_ms(Run::Later, 1, 4, again), None);
        assert_eq!(next_wait_ms(Run::Test, 1, 1, again), None);
        assert_eq!(next_wait_ms(Run::First, 1, MAX_ATTEMPTS, again), None);
        assert_eq!(next_wait_ms(Run::First, 1, 1, Verdict::Failed), None);
        assert_eq!(next_wait_ms(Run::First, 0, 0, again), None);
        assert_eq!(Run::of(0), Run::First);
        assert_eq!(Run::of(3), Run::Later);
        let (first, later) = (Run::First, Run::Later);
        assert_eq!(
            status_after(first, &tried(Some(500)), 3, 0),
            DeliveryStatus::Retrying
        );
        assert_eq!(
            status_after(later, &tried(Some(500)), MAX_ATTEMPTS, 0),
            DeliveryStatus::Failed
        );
        assert_eq!(
            status_after(later, &tried(None), 4, GIVE_UP_AFTER_HOURS),
            DeliveryStatus::Failed
        );
        assert_eq!(
            status_after(later, &tried(Some(200)), 9, 30),
            DeliveryStatus::Delivered
        );
        assert_eq!(
            status_after(first, &tried(Some(404)), 1, 0),
            DeliveryStatus::Failed
        );
    }

    #[test]
    fn a_test_is_final_after_its_one_try() {
        assert_eq!(
            status_after(Run::Test, &tried(Some(503)), 1, 0),
            DeliveryStatus::Failed
        );
        assert_eq!(
            status_after(Run::Test, &tried(None), 1, 0),
            DeliveryStatus::Failed
        );
        assert_eq!(
            status_after(Run::Test, &tried(Some(204)), 1, 0),
            DeliveryStatus::Delivered
        );
    }

    #[test]
    fn later_runs_wait_longer_each_time() {
        let waits: Vec<i64> = (3..=9).map(retry_wait_secs).collect();
        assert_eq!(waits, [300, 900, 1_800, 3_600, 7_200, 14_400, 14_400]);
        assert_eq!(retry_wait_secs(0), 300);
        let total: i64 = RETRY_WAITS_SECS.iter().sum();
        assert!(
            total < GIVE_UP_AFTER_HOURS * 3_600,
            "the nine tries fit the day"
        );
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn the_rules_hold_for_any_counts(tried in any::<u32>(), total in any::<u32>(), age in any::<i64>(), code in proptest::option::of(any::<u16>())) {
                for run in [Run::First, Run::Later, Run::Test] {
                    let a = tried_with(code);
                    let _ = status_after(run, &a, total, age);
                    if let Some(ms) = next_wait_ms(run, tried, total, a.verdict()) {
                        prop_assert!(tried < run.allowance() && total < MAX_ATTEMPTS);
                        prop_assert!(ms <= 3_000);
                    }
                }
                prop_assert!((300..=14_400).contains(&retry_wait_secs(total)));
            }
        }

        fn tried_with(code: Option<u16>) -> Attempt {
            match code {
                Some(code) => Attempt::answered("t".into(), code, 1),
                None => Attempt::failed("t".into(), Failure::ConnectionFailed),
            }
        }
    }
}
