//! The sync's arithmetic, pure and tested natively: which days to fetch,
//! how OpenRouter's per-endpoint rows become per-model rows, and how per-day
//! spend is derived from key snapshots when there is no management key.

#![deny(clippy::arithmetic_side_effects)]

use crate::domain::usage::ModelUsage;
use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::dates::days_before;
use crate::domain::money::Money;
use crate::openrouter::types::ActivityRow;

/// OpenRouter keeps activity for the last 30 completed UTC days.
pub const ACTIVITY_HISTORY_DAYS: i64 = 30;
/// Recent days are refetched on every run: OpenRouter's figures for them can
/// still change (late-arriving usage).
pub const REFETCH_DAYS: i64 = 3;

/// The completed days whose activity to fetch now: everything since the last
/// final day (all 30 on a first sync), always including the last
/// [`REFETCH_DAYS`]. Oldest first.
pub fn activity_days(today: NaiveDate, final_through: Option<NaiveDate>) -> Vec<NaiveDate> {
    let back = |days| days_before(today, days).unwrap_or(NaiveDate::MIN);
    let oldest_available = back(ACTIVITY_HISTORY_DAYS);
    let refetch_from = back(REFETCH_DAYS);
    let from = match final_through {
        Some(last_final) => last_final
            .succ_opt()
            .unwrap_or(last_final)
            .min(refetch_from),
        None => oldest_available,
    }
    .max(oldest_available);
    from.iter_days().take_while(|d| *d < today).collect()
}

/// After a complete fetch on `today`, days up to this one will not change.
pub fn final_through(today: NaiveDate) -> NaiveDate {
    days_before(today, FINAL_AFTER_DAYS).unwrap_or(NaiveDate::MIN)
}

/// A day is final once it is older than the refetched ones.
const FINAL_AFTER_DAYS: i64 = REFETCH_DAYS + 1;

/// Where a partially failed fetch may resume from: everything before the
/// earliest failed day is final (if it is old enough to be final at all).
pub fn final_through_after_failure(
    today: NaiveDate,
    earliest_failed: NaiveDate,
) -> Option<NaiveDate> {
    let candidate = earliest_failed.pred_opt()?;
    (candidate <= final_through(today)).then_some(candidate)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AggregateError {
    #[error("activity row for another day ({0})")]
    WrongDay(String),
    #[error("activity totals overflow")]
    Overflow,
    #[error("negative counts in activity")]
    Negative,
}

/// Sums OpenRouter's rows (one per model *and endpoint/provider*) into one
/// per model, for the day asked.
pub fn aggregate_activity(
    day: NaiveDate,
    rows: &[ActivityRow],
) -> Result<BTreeMap<String, ModelUsage>, AggregateError> {
    let mut models: BTreeMap<String, ModelUsage> = BTreeMap::new();
    for row in rows {
        // OpenRouter writes the day as `YYYY-MM-DD`, sometimes with a time.
        let row_day = row.date.get(..10).unwrap_or(&row.date);
        if NaiveDate::parse_from_str(row_day, "%Y-%m-%d").ok() != Some(day) {
            return Err(AggregateError::WrongDay(row.date.clone()));
        }
        if row.requests < 0 || row.prompt_tokens < 0 || row.completion_tokens < 0 {
            return Err(AggregateError::Negative);
        }
        let entry = models.entry(row.model.clone()).or_default();
        entry.requests = entry
            .requests
            .checked_add(row.requests)
            .ok_or(AggregateError::Overflow)?;
        entry.tokens_input = entry
            .tokens_input
            .checked_add(row.prompt_tokens)
            .ok_or(AggregateError::Overflow)?;
        entry.tokens_output = entry
            .tokens_output
            .checked_add(row.completion_tokens)
            .ok_or(AggregateError::Overflow)?;
        entry.cost = entry
            .cost
            .checked_add(row.usage)
            .ok_or(AggregateError::Overflow)?;
    }
    Ok(models)
}

/// Per-day spend from snapshots, for keys without a management key.
///
/// `usage - usage_daily` of any snapshot taken on day D is the key's
/// all-time spend at 00:00 UTC of D. Two such values on consecutive days give
/// the exact spend of the first day. When days without a snapshot lie in
/// between, the difference is the exact spend of the whole gap; it is
/// recorded on the gap's first day (the product cannot know the split, and
/// totals over any range that covers the gap stay exact). Only completed days
/// are produced. Input: (day, spend at its start), any order.
pub fn spend_per_day(starts: &[(NaiveDate, Money)]) -> Vec<(NaiveDate, Money)> {
    let mut starts = starts.to_vec();
    starts.sort_by_key(|(day, _)| *day);
    starts.dedup_by_key(|(day, _)| *day);
    starts
        .windows(2)
        .filter_map(|pair| {
            let [(day, before), (_, after)] = *pair else {
                return None;
            };
            // A negative difference would mean OpenRouter corrected its
            // figures downwards; it is kept, so sums still match the source.
            after.checked_sub(before).map(|spend| (day, spend))
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn money(s: &str) -> Money {
        Money::parse_decimal(s).unwrap()
    }

    fn row(
        date: &str,
        model: &str,
        usage: &str,
        requests: i64,
        input: i64,
        output: i64,
    ) -> ActivityRow {
        ActivityRow {
            date: date.into(),
            model: model.into(),
            usage: money(usage),
            requests,
            prompt_tokens: input,
            completion_tokens: output,
        }
    }

    #[test]
    fn first_sync_backfills_thirty_completed_days() {
        let days = activity_days(day("2026-11-25"), None);
        assert_eq!(days.len(), 30);
        assert_eq!(days[0], day("2026-10-26"));
        assert_eq!(*days.last().unwrap(), day("2026-11-24"));
    }

    #[test]
    fn later_syncs_refetch_the_last_three_days() {
        let today = day("2026-11-25");
        let days = activity_days(today, Some(final_through(today)));
        assert_eq!(
            days,
            vec![day("2026-11-22"), day("2026-11-23"), day("2026-11-24")]
        );
        // The next day adds one.
        let days = activity_days(day("2026-11-26"), Some(final_through(today)));
        assert_eq!(days.first(), Some(&day("2026-11-22")));
        assert_eq!(days.len(), 4);
    }

    #[test]
    fn a_long_pause_is_capped_at_what_openrouter_keeps() {
        let days = activity_days(day("2026-11-25"), Some(day("2026-01-01")));
        assert_eq!(days.len(), 30);
    }

    #[test]
    fn failures_resume_from_the_earliest_failed_day() {
        let today = day("2026-11-25");
        assert_eq!(
            final_through_after_failure(today, day("2026-11-10")),
            Some(day("2026-11-09"))
        );
        assert_eq!(final_through_after_failure(today, day("2026-11-23")), None);
    }

    #[test]
    fn sums_endpoints_of_one_model() {
        let d = "2026-11-24";
        let rows = [
            row(d, "openai/gpt-4o", "0.0000000001", 1, 10, 5),
            row(d, "openai/gpt-4o", "0.1234567899", 2, 20, 6),
            row(d, "anthropic/claude-3.5-sonnet", "1.5", 3, 30, 7),
        ];
        let models = aggregate_activity(day(d), &rows).unwrap();
        assert_eq!(models.len(), 2);
        let gpt = models["openai/gpt-4o"];
        assert_eq!(gpt.requests, 3);
        assert_eq!(gpt.tokens_input, 30);
        assert_eq!(gpt.tokens_output, 11);
        assert_eq!(gpt.cost.to_string(), "0.12345679");
    }

    #[test]
    fn refuses_rows_of_another_day() {
        let rows = [row("2026-11-23", "m", "1", 1, 1, 1)];
        assert!(aggregate_activity(day("2026-11-24"), &rows).is_err());
        let rows = [row("2026-11-24 00:00:00", "m", "1", 1, 1, 1)];
        assert!(aggregate_activity(day("2026-11-24"), &rows).is_ok());
    }

    #[test]
    fn derives_each_closed_day_exactly() {
        let starts = [
            (day("2026-11-24"), money("10.0000000001")),
            (day("2026-11-23"), money("7.5")),
            (day("2026-11-25"), money("12.3")),
        ];
        let spend = spend_per_day(&starts);
        assert_eq!(
            spend,
            vec![
                (day("2026-11-23"), money("2.5000000001")),
                (day("2026-11-24"), money("2.2999999999"))
            ]
        );
    }

    #[test]
    fn gaps_land_on_their_first_day_and_totals_stay_exact() {
        let starts = [
            (day("2026-11-20"), money("1")),
            (day("2026-11-24"), money("5.25")),
        ];
        assert_eq!(
            spend_per_day(&starts),
            vec![(day("2026-11-20"), money("4.25"))]
        );
        assert!(spend_per_day(&starts[..1]).is_empty());
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_day() -> impl Strategy<Value = NaiveDate> {
            prop_oneof![
                Just(NaiveDate::MIN),
                Just(NaiveDate::MAX),
                (-100_000_i32..100_000).prop_map(|d| {
                    NaiveDate::from_num_days_from_ce_opt(739_000_i32.saturating_add(d))
                        .unwrap_or(NaiveDate::MIN)
                }),
            ]
        }

        proptest! {
            #[test]
            fn activity_days_are_completed_days_of_the_last_thirty(
                today in any_day(), last_final in proptest::option::of(any_day()),
            ) {
                let days = activity_days(today, last_final);
                prop_assert!(days.len() <= ACTIVITY_HISTORY_DAYS as usize);
                prop_assert!(days.iter().all(|d| *d < today));
                prop_assert!(days.windows(2).all(|w| w[0] < w[1]));
                let _ = final_through(today);
                if let Some(day) = last_final {
                    let _ = final_through_after_failure(today, day);
                }
            }

            #[test]
            fn spend_per_day_never_panics_and_sums_exactly(
                starts in proptest::collection::vec((any_day(), any::<i64>()), 0..12),
            ) {
                let starts: Vec<(NaiveDate, Money)> =
                    starts.into_iter().map(|(d, u)| (d, Money::from_units(u))).collect();
                let spend = spend_per_day(&starts);
                let mut distinct: Vec<NaiveDate> = starts.iter().map(|(d, _)| *d).collect();
                distinct.sort();
                distinct.dedup();
                prop_assert!(spend.len() < distinct.len().max(1));
            }

            #[test]
            fn aggregating_any_rows_never_panics(
                rows in proptest::collection::vec(
                    (any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>(), 0_usize..3), 0..8),
            ) {
                let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
                let rows: Vec<ActivityRow> = rows
                    .into_iter()
                    .map(|(usage, requests, prompt, completion, model)| ActivityRow {
                        date: "2026-11-29".into(),
                        model: format!("m{model}"),
                        usage: Money::from_units(usage),
                        requests,
                        prompt_tokens: prompt,
                        completion_tokens: completion,
                    })
                    .collect();
                if let Ok(models) = aggregate_activity(day, &rows) {
                    let requests: i128 = rows.iter().map(|r| i128::from(r.requests)).sum();
                    let summed: i128 = models.values().map(|m| i128::from(m.requests)).sum();
                    prop_assert_eq!(requests, summed);
                }
            }
        }
    }
}
