#![allow(clippy::arithmetic_side_effects, clippy::indexing_slicing)]

use super::*;
use crate::testing::{at, usd};

fn units(text: &str) -> i64 {
    usd(text).units()
}

/// `n` consecutive hours from `from` with these figures (`None`: a gap).
fn series(from: &str, figures: &[Option<&str>]) -> Vec<Hour> {
    figures
        .iter()
        .enumerate()
        .map(|(i, f)| Hour {
            start: at(from) + Duration::hours(i as i64),
            spend: f.map(usd),
            carried: 1,
        })
        .collect()
}

fn steady(n: usize, figure: &'static str) -> Vec<Option<&'static str>> {
    vec![Some(figure); n]
}

const NORMAL: Terms = match Sensitivity::Normal.terms() {
    Some(t) => t,
    None => panic!("normal has terms"),
};

#[test]
fn the_levels_parse_and_off_has_no_terms() {
    for s in Sensitivity::ALL {
        assert_eq!(Sensitivity::parse("spike_sensitivity", s.as_str()), Ok(s));
    }
    let refused = Sensitivity::parse("spike_sensitivity", "medium").unwrap_err();
    assert_eq!(refused.field, "spike_sensitivity");
    assert_eq!(Sensitivity::Off.terms(), None);
    assert_eq!(Sensitivity::default(), Sensitivity::Normal);
    assert_eq!(NORMAL.min_units, units("1"));
    assert_eq!(Sensitivity::Low.terms().unwrap().min_units, units("5"));
    assert_eq!(Sensitivity::High.terms().unwrap().min_units, units("0.25"));
}

#[test]
fn a_runaway_hour_over_a_steady_week_is_a_spike_and_a_steady_one_is_not() {
    let mut figures = steady(168, "2");
    figures.extend([Some("2.1"), Some("40"), Some("2")]);
    let hours = series("2026-11-01T00:00:00Z", &figures);
    let judged = judge(&hours, 168, &NORMAL);
    assert_eq!(
        judged.iter().map(|j| j.spike).collect::<Vec<_>>(),
        [false, true, false]
    );
    assert_eq!(judged[1].baseline.median, units("2"));
    assert_eq!(
        factor(judged[1].figure, judged[1].baseline.median).as_deref(),
        Some("20")
    );
}

#[test]
fn a_cent_level_key_never_reaches_the_minimum_amount() {
    let mut figures = steady(168, "0.001");
    figures.push(Some("0.9"));
    let hours = series("2026-11-01T00:00:00Z", &figures);
    let judged = judge(&hours, 168, &NORMAL);
    assert_eq!(judged.len(), 1);
    assert!(
        !judged[0].spike,
        "900× a cent-level hour is still under 1 USD"
    );
    let high = Sensitivity::High.terms().unwrap();
    assert!(
        judge(&hours, 168, &high)[0].spike,
        "0.9 USD is over high's 0.25"
    );
}

#[test]
fn a_noisy_key_needs_more_than_its_usual_swing() {
    // Hours alternate 1 and 5 USD: 7 USD is not unusual, 30 USD is.
    let mut figures: Vec<Option<&str>> = (0..168)
        .map(|i| Some(if i % 2 == 0 { "1" } else { "5" }))
        .collect();
    figures.extend([Some("7"), Some("30")]);
    let hours = series("2026-11-01T00:00:00Z", &figures);
    let judged = judge(&hours, 168, &NORMAL);
    assert_eq!(
        judged.iter().map(|j| j.spike).collect::<Vec<_>>(),
        [false, true]
    );
}

#[test]
fn too_short_a_history_is_not_judged() {
    let mut figures = steady(23, "1");
    figures.push(Some("50"));
    let hours = series("2026-11-01T00:00:00Z", &figures);
    assert!(judge(&hours, 23, &NORMAL).is_empty());
    // Gaps do not count as history.
    let mut figures: Vec<Option<&str>> = vec![None; 100];
    figures.extend(steady(23, "1"));
    figures.push(Some("50"));
    assert!(judge(&series("2026-11-01T00:00:00Z", &figures), 123, &NORMAL).is_empty());
}

#[test]
fn a_carried_figure_is_spread_over_its_hours_and_judged_hour_by_hour() {
    let starts: Vec<DateTime<Utc>> = (0..4)
        .map(|i| at("2026-11-29T10:00:00Z") + Duration::hours(i))
        .collect();
    let point = |spend: Option<&str>, hours: u32| HourPoint {
        start: String::new(),
        spend: spend.map(usd),
        hours,
    };
    // 10:00 known; 11:00 and 12:00 missed; 13:00's reading carries 3 hours.
    let points = [
        point(Some("1"), 1),
        point(None, 1),
        point(None, 1),
        point(Some("10"), 3),
    ];
    let hours = per_hour(&points, &starts);
    let spends: Vec<Option<Money>> = hours.iter().map(|h| h.spend).collect();
    let third = Money::from_units(units("10") / 3);
    let last = Money::from_units(units("10") - 2 * (units("10") / 3));
    assert_eq!(
        spends,
        [Some(usd("1")), Some(third), Some(third), Some(last)]
    );
    assert_eq!(
        hours.iter().map(|h| h.carried).collect::<Vec<_>>(),
        [1, 3, 3, 3]
    );
    // A carry reaching before the first hour keeps only the hours in range.
    let hours = per_hour(&[point(Some("6"), 3)], &starts[..1]);
    assert_eq!(hours[0].spend, Some(usd("2")));
    // 24 USD over 24 hours after a steady 1 USD an hour is no spike; the
    // same 24 USD in one hour is.
    let mut figures = steady(168, "1");
    figures.extend(vec![None; 23]);
    figures.push(Some("24"));
    let mut hours = series("2026-11-01T00:00:00Z", &figures);
    let lump = hours.clone();
    let starts: Vec<DateTime<Utc>> = hours.iter().map(|h| h.start).collect();
    let points: Vec<HourPoint> = figures
        .iter()
        .enumerate()
        .map(|(i, f)| point(*f, if i == figures.len() - 1 { 24 } else { 1 }))
        .collect();
    hours = per_hour(&points, &starts);
    let judged = judge(&hours, 168, &NORMAL);
    assert_eq!(judged.len(), 24);
    assert!(judged.iter().all(|j| !j.spike && j.hour.carried == 24));
    assert!(judge(&lump, 168, &NORMAL).last().unwrap().spike);
}

#[test]
fn a_spike_lasting_hours_is_one_episode_and_six_quiet_hours_end_it() {
    let spike = |h: i64| Judged {
        hour: Hour {
            start: at("2026-11-29T00:00:00Z") + Duration::hours(h),
            spend: Some(usd("40")),
            carried: 1,
        },
        figure: usd("40"),
        baseline: Baseline {
            median: units("2"),
            mad: 0,
        },
        spike: true,
    };
    let calm = |h: i64| Judged {
        spike: false,
        ..spike(h)
    };
    // Hours 0-3 spike, 4-9 calm (six), 10 spikes again: two episodes.
    let mut judged: Vec<Judged> = (0..4).map(spike).collect();
    judged.extend((4..10).map(calm));
    judged.push(spike(10));
    let (mark, starts) = episodes(None, &judged);
    assert_eq!(
        starts.iter().map(|j| j.hour.start).collect::<Vec<_>>(),
        [spike(0).hour.start, spike(10).hour.start]
    );
    assert_eq!(mark.unwrap().last_spike, spike(10).hour.start);
    // Five quiet hours do not end it.
    let mut judged: Vec<Judged> = (0..2).map(spike).collect();
    judged.push(spike(7));
    assert_eq!(episodes(None, &judged).1.len(), 1);
    // A re-run over the same hours with the stored mark raises nothing.
    let (again, starts) = episodes(mark, &(0..11).map(spike).collect::<Vec<_>>());
    assert!(starts.is_empty());
    assert_eq!(again, mark);
}

#[test]
fn the_event_names_the_hour_the_figure_the_baseline_and_the_factor() {
    let judged = Judged {
        hour: Hour {
            start: at("2026-11-29T03:00:00Z"),
            spend: Some(usd("40.5")),
            carried: 1,
        },
        figure: usd("40.5"),
        baseline: Baseline {
            median: units("2"),
            mad: 0,
        },
        spike: true,
    };
    let e = event(Some((7, "Production")), &judged, Sensitivity::Normal);
    assert_eq!(e.kind, "spend.spike");
    assert_eq!(e.dedup_key, "spike:key:7|2026-11-29T03:00:00Z");
    assert_eq!(e.payload["hour"], "2026-11-29T03:00:00Z");
    assert_eq!(e.payload["spend"], "40.5");
    assert_eq!(e.payload["baseline"], "2");
    assert_eq!(e.payload["factor"], "20.3");
    assert_eq!(e.payload["sensitivity"], "normal");
    assert_eq!(
        e.payload["message"],
        "Key “Production” spent 40.5 USD in the hour from 2026-11-29 03:00 UTC, 20.3× its usual 2 USD an hour."
    );
    let account = event(
        None,
        &Judged {
            baseline: Baseline { median: 0, mad: 0 },
            ..judged
        },
        Sensitivity::High,
    );
    assert_eq!(account.dedup_key, "spike:account|2026-11-29T03:00:00Z");
    assert_eq!(
        (
            account.payload["scope"].as_str(),
            account.payload["factor"].is_null()
        ),
        (Some("account"), true)
    );
}

#[test]
fn summed_hours_are_known_where_any_subject_is() {
    let a = series("2026-11-29T00:00:00Z", &[Some("1"), None, None]);
    let b = series("2026-11-29T00:00:00Z", &[Some("0.5"), Some("2"), None]);
    let starts: Vec<DateTime<Utc>> = a.iter().map(|h| h.start).collect();
    let sum = sum_hours(&[a, b], &starts);
    assert_eq!(
        sum.iter().map(|h| h.spend).collect::<Vec<_>>(),
        [Some(usd("1.5")), Some(usd("2")), None]
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_figures_are_judged_without_panicking(
            figures in proptest::collection::vec(proptest::option::of(any::<i64>()), 0..220),
            carried in proptest::collection::vec(0_u32..400, 0..220),
            level in 0_usize..4,
        ) {
            let starts: Vec<DateTime<Utc>> = (0..figures.len())
                .map(|i| at("2026-11-01T00:00:00Z") + Duration::hours(i as i64))
                .collect();
            let points: Vec<HourPoint> = figures
                .iter()
                .zip(carried.iter().chain(std::iter::repeat(&1)))
                .map(|(f, c)| HourPoint { start: String::new(), spend: f.map(Money::from_units), hours: *c })
                .collect();
            let hours = per_hour(&points, &starts);
            prop_assert_eq!(hours.len(), figures.len());
            let summed = sum_hours(&[hours.clone(), hours.clone()], &starts);
            prop_assert_eq!(summed.len(), figures.len());
            if let Some(terms) = Sensitivity::ALL[level].terms() {
                let judged = judge(&hours, 0, &terms);
                let (_, starts) = episodes(None, &judged);
                prop_assert!(starts.len() <= judged.iter().filter(|j| j.spike).count());
                for j in &starts {
                    let _ = event(Some((1, "k")), j, Sensitivity::ALL[level]);
                    prop_assert!(j.figure.units() >= terms.min_units);
                }
            }
        }

        #[test]
        fn a_spread_figure_adds_up_exactly(units in any::<i64>(), n in 1_u32..500) {
            let starts: Vec<DateTime<Utc>> = (0..n)
                .map(|i| at("2026-11-01T00:00:00Z") + Duration::hours(i64::from(i)))
                .collect();
            let mut points: Vec<HourPoint> = (0..n)
                .map(|_| HourPoint { start: String::new(), spend: None, hours: 1 })
                .collect();
            if let Some(last) = points.last_mut() {
                *last = HourPoint { start: String::new(), spend: Some(Money::from_units(units)), hours: n };
            }
            let total: i128 = per_hour(&points, &starts)
                .iter()
                .map(|h| i128::from(h.spend.map_or(0, Money::units)))
                .sum();
            prop_assert_eq!(total, i128::from(units));
        }

        #[test]
        fn extreme_baselines_never_panic(a in any::<i64>(), b in any::<i64>(), x in any::<i64>()) {
            let figures: Vec<i64> = (0..30).map(|i| if i % 2 == 0 { a } else { b }).collect();
            let base = baseline(&figures).unwrap();
            for s in Sensitivity::ALL {
                if let Some(t) = s.terms() {
                    let _ = is_spike(x, &base, &t);
                }
            }
            let _ = factor(Money::from_units(x), base.median);
        }
    }
}
