//! The demo's history, made the way production makes it: the simulator's
//! clock (OpenRouter's) starts [`DAYS`] days back, each hour the demo keys
//! spend with a daily rhythm (and once, a spike), the clock moves on an
//! hour and the real hourly sync runs through the queue. So the Hourly
//! page, projections, runways and spike detection all have their week of
//! readings, written by the Worker itself.
//!
//! The spend is a pure function of the hour, so a later `cargo xtask dev`
//! on the same `.wrangler/state` replays it into the fresh simulator
//! without syncing (`replay`) and the running totals go on where the
//! stored readings left them.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Datelike, Duration as Span, DurationRound, Timelike, Utc, Weekday};
use openrouter_sim::control::{RegisteredKey, UsageRecordRequest};
use openrouter_sim::Sim;

use crate::client::Client;

type Result<T = ()> = std::result::Result<T, String>;

/// Days of hourly readings the demo starts with.
pub const DAYS: i64 = 8;
/// The hour of the history (counted from its start) in which
/// [`SPIKE_KEY`] runs away: late enough for a week of baseline before it.
const SPIKE_HOUR: i64 = DAYS * 24 - 20;
/// The demo key that spends most (and runs away once).
pub const BUSIEST_KEY: &str = "demo-alice";
/// The other inference key (its budget has a policy).
pub const GUARDED_KEY: &str = "demo-bob";
const SPIKE_KEY: &str = BUSIEST_KEY;
/// What the runaway hour costs, in micro-USD (about 40 of its usual peaks).
const SPIKE_MICROS: u64 = 14_250_000;
/// A sync's run is final within this, or the demo stops saying why.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// A weekday's share of a key's peak hourly spend per UTC hour, in percent:
/// quiet nights, a working day peaking in the afternoon.
const RHYTHM: [u64; 24] = [
    4, 3, 3, 2, 2, 3, 5, 10, 25, 55, 80, 95, 100, 95, 90, 95, 100, 90, 70, 45, 25, 15, 10, 6,
];

/// How a demo key spends: its peak hour in micro-USD and its models, used
/// in turn hour by hour.
struct Profile {
    label: &'static str,
    peak_micros: u64,
    models: &'static [&'static str],
}

const PROFILES: [Profile; 2] = [
    Profile {
        label: "demo-alice",
        peak_micros: 360_000,
        models: &[
            "openai/gpt-4o",
            "anthropic/claude-3.5-sonnet",
            "openai/gpt-4o-mini",
        ],
    },
    Profile {
        label: "demo-bob",
        peak_micros: 120_000,
        models: &["google/gemini-2.0-flash-001", "anthropic/claude-3.5-haiku"],
    },
];

/// The first hour of a history that ends at the hour `now` is in.
pub fn start(now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let hour = now
        .duration_trunc(Span::hours(1))
        .map_err(|e| e.to_string())?;
    Ok(hour - Span::hours(DAYS * 24))
}

/// What `profile` spends in the hour starting at `at` (micro-USD): its
/// peak × the hour's share × the day's level (weekends at 40 %, weekdays
/// between 90 % and 110 % by a fixed pattern).
fn spend_micros(profile: &Profile, at: DateTime<Utc>, hour_index: i64) -> u64 {
    if profile.label == SPIKE_KEY && hour_index == SPIKE_HOUR {
        return SPIKE_MICROS;
    }
    let share = RHYTHM[at.hour() as usize];
    let day = u64::from(at.ordinal());
    let level = match at.weekday() {
        Weekday::Sat | Weekday::Sun => 40,
        _ => 90 + (day * 7) % 21,
    };
    profile.peak_micros * share / 100 * level / 100
}

fn usd(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// Records hour `hour_index` of the history (starting at `at`) on the
/// simulator: one usage record per demo key.
fn spend_hour(sim: &Sim, keys: &[RegisteredKey], at: DateTime<Utc>, hour_index: i64) -> Result {
    for profile in &PROFILES {
        let Some(key) = keys.iter().find(|k| k.label == profile.label) else {
            return Err(format!("the simulator has no demo key {}", profile.label));
        };
        let micros = spend_micros(profile, at, hour_index);
        if micros == 0 {
            continue;
        }
        let turn = usize::try_from(hour_index).unwrap_or(0) % profile.models.len();
        let requests = micros / 2_000 + 1;
        let record = UsageRecordRequest {
            date: at.date_naive().to_string(),
            model: profile.models[turn].to_owned(),
            requests,
            prompt_tokens: requests * 1_150,
            completion_tokens: requests * 320,
            usage: usd(micros),
            ..UsageRecordRequest::default()
        };
        sim.add_usage(&key.key_hash, record)
            .map_err(|e| format!("the simulator refused the demo's usage: {e:?}"))?;
    }
    Ok(())
}

/// Makes the history: hour by hour, spend, move OpenRouter's clock to the
/// hour's end, run the hourly sync and wait for its run to be final. The
/// clock is left at the last hour's end (the caller releases it).
pub fn record(
    sim: &Sim,
    keys: &[RegisteredKey],
    worker: &Client,
    persist_dir: &Path,
    start: DateTime<Utc>,
) -> Result {
    for hour_index in 0..DAYS * 24 {
        let at = start + Span::hours(hour_index);
        spend_hour(sim, keys, at, hour_index)?;
        sim.set_clock(Some(at + Span::hours(1)));
        let before = crate::d1::newest_run(persist_dir)?;
        let fired = worker.get("/__scheduled?cron=0+*+*+*+*", None)?;
        if fired.status != 200 {
            return Err(format!("sync: {} {}", fired.status, fired.body));
        }
        crate::d1::wait_for_runs(persist_dir, before, Duration::from_millis(20), RUN_DEADLINE)?;
    }
    Ok(())
}

/// Records the current hour (the one after the history) so far.
pub fn spend_now(sim: &Sim, keys: &[RegisteredKey], start: DateTime<Utc>) -> Result {
    spend_hour(sim, keys, start + Span::hours(DAYS * 24), DAYS * 24)
}

/// Puts the history's spend (and the hour after it the first run recorded)
/// into a fresh simulator without syncing (the readings are already
/// stored), so its running totals match them.
pub fn replay(sim: &Sim, keys: &[RegisteredKey], start: DateTime<Utc>) -> Result {
    (0..=DAYS * 24).try_for_each(|h| spend_hour(sim, keys, start + Span::hours(h), h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rhythm_peaks_in_the_afternoon_and_the_spike_stands_out() {
        let monday = DateTime::parse_from_rfc3339("2026-11-30T14:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let night = monday - Span::hours(11);
        let alice = &PROFILES[0];
        assert!(spend_micros(alice, monday, 0) > 10 * spend_micros(alice, night, 0));
        let peak = (0..DAYS * 24)
            .filter(|&h| h != SPIKE_HOUR)
            .map(|h| spend_micros(alice, monday + Span::hours(h), h))
            .max()
            .unwrap();
        assert!(spend_micros(alice, monday, SPIKE_HOUR) > 30 * peak);
        assert_eq!(usd(1_234_567), "1.234567");
    }
}
