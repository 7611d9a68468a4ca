//! The runway's unit and property tests.

#![allow(clippy::arithmetic_side_effects)]

use super::*;
use crate::testing::{at, usd};

fn standing(
    burn: &Burn,
    spent: Money,
    amount: Money,
    resets_at: Option<DateTime<Utc>>,
) -> Standing {
    Standing {
        spent,
        at: burn.to,
        amount,
        resets_at,
    }
}

fn point(when: &str, usage: &str) -> Point {
    Point {
        at: at(when),
        usage: usd(usage),
    }
}

#[test]
fn a_constant_burn_reaches_the_limit_on_the_arithmetic_day() {
    // 0.25 USD an hour for a week: 42 USD spent; 6 USD a day.
    let burn = Burn::between(
        point("2026-11-22T10:00:00Z", "100"),
        point("2026-11-29T10:00:00Z", "142"),
    )
    .unwrap();
    assert_eq!(burn.units_per_day(), usd("6").units() as i128);
    // Monthly budget of 200 with 120 spent: 80 more at 6/day is 13 1/3
    // days, 2026-12-12T18:00:00Z, after the reset on Dec 1.
    let end = at("2026-12-01T00:00:00Z");
    let r = project(&burn, &standing(&burn, usd("120"), usd("200"), Some(end)));
    assert_eq!(r.status, Outlook::OnTrack);
    assert_eq!(r.reached_at, None);
    // 120 + 6 * (1 day 14 h) = 129.5
    assert_eq!(r.projected_period_spend, Some(usd("129.5")));
    assert_eq!(r.projected_percent.unwrap().to_string(), "64.75");
    // A budget of 125: 5 more at 0.25/h is 20 h: 2026-11-30T06:00:00Z,
    // 18 hours before the reset (0 whole days).
    let r = project(&burn, &standing(&burn, usd("120"), usd("125"), Some(end)));
    assert_eq!(r.status, Outlook::WillExceed);
    assert_eq!(r.reached_at.as_deref(), Some("2026-11-30T06:00:00Z"));
    assert_eq!(r.days_before_reset, Some(0));
    assert_eq!(r.burn_rate_per_day, usd("6"));
}

#[test]
fn reached_at_rounds_up_to_the_whole_second() {
    // 1 unit every 3 seconds; 10 units to go: 30 s. 11: 33 s. And 1
    // unit per 7 s with 1 to go: 7 s.
    let burn = Burn {
        units: 1,
        seconds: 3,
        from: at("2026-11-01T00:00:00Z"),
        to: at("2026-11-02T00:00:00Z"),
    };
    let r = project(
        &burn,
        &standing(&burn, Money::from_units(0), Money::from_units(11), None),
    );
    assert_eq!(r.reached_at.as_deref(), Some("2026-11-02T00:00:33Z"));
    assert_eq!(r.status, Outlook::WillExceed);
    assert_eq!(r.resets_at, None);
    assert_eq!(r.projected_period_spend, None);
    let slow = Burn {
        units: 2,
        seconds: 7,
        ..burn
    };
    let r = project(
        &slow,
        &standing(&slow, Money::from_units(0), Money::from_units(1), None),
    );
    assert_eq!(r.reached_at.as_deref(), Some("2026-11-02T00:00:04Z"));
}

#[test]
fn days_before_reset_count_whole_days() {
    let burn = Burn::between(
        point("2026-11-01T00:00:00Z", "0"),
        point("2026-11-08T00:00:00Z", "7"),
    )
    .unwrap();
    // 1 USD a day from 7 spent on Nov 8: 10 is reached on Nov 11,
    // 20 days (and no more) before Dec 1.
    let r = project(
        &burn,
        &standing(&burn, usd("7"), usd("10"), Some(at("2026-12-01T00:00:00Z"))),
    );
    assert_eq!(r.reached_at.as_deref(), Some("2026-11-11T00:00:00Z"));
    assert_eq!(r.days_before_reset, Some(20));
}

#[test]
fn exceeded_idle_and_too_short_a_basis() {
    let idle = Burn::between(
        point("2026-11-01T00:00:00Z", "5"),
        point("2026-11-02T00:00:00Z", "5"),
    )
    .unwrap();
    let end = Some(at("2026-12-01T00:00:00Z"));
    assert_eq!(
        project(&idle, &standing(&idle, usd("1"), usd("10"), end)).status,
        Outlook::Idle
    );
    assert_eq!(
        project(&idle, &standing(&idle, usd("10"), usd("10"), end)).status,
        Outlook::Exceeded
    );
    assert!(Burn::between(
        point("2026-11-01T00:00:00Z", "0"),
        point("2026-11-01T00:59:59Z", "1"),
    )
    .is_none());
}

#[test]
fn an_account_sums_its_keys_daily_rates() {
    let a = Burn::between(
        point("2026-11-22T00:00:00Z", "0"),
        point("2026-11-29T00:00:00Z", "7"),
    )
    .unwrap();
    let b = Burn::between(
        point("2026-11-28T00:00:00Z", "0"),
        point("2026-11-29T01:00:00Z", "0.5"),
    )
    .unwrap();
    let sum = Burn::sum(&[a, b]).unwrap();
    // 1 USD/day + 0.5 USD per 25 h = 0.48 USD/day.
    assert_eq!(sum.units_per_day(), usd("1.48").units() as i128);
    assert_eq!(sum.from, at("2026-11-22T00:00:00Z"));
    assert_eq!(sum.to, at("2026-11-29T01:00:00Z"));
    assert!(Burn::sum(&[]).is_none());
}

#[test]
fn an_amount_out_of_sight_is_not_reached_rather_than_an_overflow() {
    // The cases that panicked: 1,000,000 USD with little spend, and 100
    // USD at 0.000001 USD a week (about 1.2e13 s, year 380,000 or so).
    let slow = Burn::between(
        point("2026-11-22T10:00:00Z", "5"),
        point("2026-11-29T10:00:00Z", "5.000001"),
    )
    .unwrap();
    for (amount, resets) in [
        ("100", None),
        ("1000000", None),
        ("1000000", Some(at("2026-12-01T00:00:00Z"))),
    ] {
        let r = project(&slow, &standing(&slow, usd("0"), usd(amount), resets));
        assert_eq!(r.status, Outlook::OnTrack, "{amount}");
        assert_eq!((r.reached_at, r.days_before_reset), (None, None));
    }
    // Within the horizon a lifetime budget still gets its date.
    let steady = Burn::between(
        point("2026-11-22T10:00:00Z", "0"),
        point("2026-11-29T10:00:00Z", "7"),
    )
    .unwrap();
    let r = project(&steady, &standing(&steady, usd("0"), usd("3650"), None));
    assert_eq!(r.reached_at.as_deref(), Some("2036-11-26T10:00:00Z"));
}

#[test]
fn extreme_figures_saturate_instead_of_overflowing() {
    let wild = Burn {
        units: i128::from(i64::MAX) * 2,
        seconds: 1,
        from: DateTime::<Utc>::MIN_UTC,
        to: DateTime::<Utc>::MAX_UTC,
    };
    let r = project(
        &wild,
        &Standing {
            spent: Money::from_units(i64::MIN),
            at: DateTime::<Utc>::MAX_UTC,
            amount: Money::from_units(i64::MAX),
            resets_at: Some(DateTime::<Utc>::MIN_UTC),
        },
    );
    assert_eq!(r.burn_rate_per_day, Money::from_units(i64::MAX));
    assert_eq!(r.reached_at, None, "past the end of time is no date");
    let zero = Burn { seconds: 0, ..wild };
    assert_eq!(zero.units_per_day(), 0);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_time() -> impl Strategy<Value = DateTime<Utc>> {
        prop_oneof![
            Just(DateTime::<Utc>::MIN_UTC),
            Just(DateTime::<Utc>::MAX_UTC),
            (-8_000_000_000_000_i64..8_000_000_000_000)
                .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default()),
            (1_700_000_000_i64..1_900_000_000)
                .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default()),
        ]
    }

    fn any_units() -> impl Strategy<Value = i64> {
        prop_oneof![
            Just(0),
            Just(1),
            Just(i64::MAX),
            Just(i64::MIN),
            Just(1_000_000 * 10_000_000_000),
            any::<i64>(),
            0_i64..100_000_000_000,
        ]
    }

    proptest! {
        #[test]
        fn projecting_never_panics_and_a_date_is_in_its_period(
            oldest in any_time(), newest in any_time(), at in any_time(),
            resets in proptest::option::of(any_time()),
            before in any_units(), after in any_units(),
            spent in any_units(), amount in any_units(),
        ) {
            let Some(burn) = Burn::between(
                Point { at: oldest, usage: Money::from_units(before) },
                Point { at: newest, usage: Money::from_units(after) },
            ) else { return Ok(()) };
            let r = project(&burn, &Standing {
                spent: Money::from_units(spent),
                at,
                amount: Money::from_units(amount),
                resets_at: resets,
            });
            prop_assert!(r.burn_rate_per_day >= Money::ZERO);
            if r.reached_at.is_some() {
                prop_assert_eq!(r.status, Outlook::WillExceed);
            }
            // (Years past 9999 have no RFC 3339 form to read back.)
            let reached = r.reached_at.as_deref().and_then(crate::clock::parse_timestamp);
            if let Some(reached) = reached {
                prop_assert!(reached >= at);
                if let Some(end) = resets {
                    prop_assert!(reached < end);
                }
            }
            prop_assert_eq!(r.status == Outlook::Exceeded, spent >= amount);
        }

        #[test]
        fn summing_any_burns_never_panics(
            units in proptest::collection::vec((any::<i128>(), any::<i128>()), 0..5),
        ) {
            let t = DateTime::<Utc>::UNIX_EPOCH;
            let burns: Vec<Burn> = units
                .into_iter()
                .map(|(units, seconds)| Burn { units, seconds, from: t, to: t })
                .collect();
            let _ = Burn::sum(&burns).map(|b| b.units_per_day());
        }
    }
}
