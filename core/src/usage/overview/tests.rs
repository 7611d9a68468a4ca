use super::*;
use crate::testing::usd;
use chrono::NaiveDate;

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn model(date: &str, model: &str, requests: i64, cost: &str) -> ModelCell {
    ModelCell {
        date: date.into(),
        model: model.into(),
        counts: Counts {
            requests_count: requests,
            tokens_input: requests * 10,
            tokens_output: requests * 5,
            cost: usd(cost),
        },
    }
}

fn key(date: &str, id: i64, requests: i64, cost: &str) -> KeyCell {
    KeyCell {
        date: date.into(),
        api_key_id: id,
        counts: Counts {
            requests_count: requests,
            tokens_input: requests * 10,
            tokens_output: requests * 5,
            cost: usd(cost),
        },
    }
}

fn range() -> DateRange {
    DateRange::new(day("2026-11-01"), day("2026-11-03")).unwrap()
}

#[test]
fn totals_keys_models_and_days_reconcile_exactly() {
    // The same usage seen per model and per key.
    let models = [
        model("2026-11-01", "a/x", 2, "0.1"),
        model("2026-11-01", "b/y", 1, "0.2"),
        model("2026-11-03", "a/x", 3, "0.0000000001"),
    ];
    let keys = [
        key("2026-11-01", 7, 2, "0.1"),
        key("2026-11-01", 9, 1, "0.2"),
        key("2026-11-03", 9, 3, "0.0000000001"),
    ];
    let o = build(
        &range(),
        &models,
        &keys,
        &[(7, "a".into()), (9, "b".into())],
    )
    .unwrap();
    let total = usd("0.3000000001");
    assert_eq!(o.totals.total_cost, total);
    assert_eq!(o.totals.total_requests, 6);
    let sum = |it: &mut dyn Iterator<Item = Money>| {
        it.fold(Money::ZERO, |a, b| a.checked_add(b).unwrap())
    };
    assert_eq!(sum(&mut o.keys.iter().map(|k| k.counts.cost)), total);
    let key_tokens: i64 = o.keys.iter().map(|k| k.counts.tokens_input).sum();
    assert_eq!(key_tokens, o.totals.total_tokens_input);
    assert_eq!(sum(&mut o.models.iter().map(|m| m.counts.cost)), total);
    assert_eq!(sum(&mut o.daily.iter().map(|d| d.counts.cost)), total);
    let series_sum = |s: &[Money]| sum(&mut s.iter().copied());
    assert_eq!(
        sum(&mut o.series.by_model.iter().map(|s| series_sum(&s.costs))),
        total
    );
    assert_eq!(
        sum(&mut o.series.by_key.iter().map(|s| series_sum(&s.costs))),
        total
    );
}

#[test]
fn every_day_is_present_and_series_align_with_it() {
    let o = build(
        &range(),
        &[model("2026-11-02", "a/x", 1, "1.5")],
        &[key("2026-11-02", 1, 1, "1.5")],
        &[(1, "k".into()), (2, "idle".into())],
    )
    .unwrap();
    let dates: Vec<_> = o.daily.iter().map(|d| d.date.as_str()).collect();
    assert_eq!(dates, ["2026-11-01", "2026-11-02", "2026-11-03"]);
    assert_eq!(o.daily[0].counts.cost, Money::ZERO);
    assert_eq!(
        o.series.by_model[0].costs,
        [Money::ZERO, usd("1.5"), Money::ZERO]
    );
    assert_eq!(o.series.by_key.len(), 2, "idle keys are listed with zeros");
    assert_eq!(o.series.by_key[1].costs, [Money::ZERO; 3]);
    assert_eq!(o.keys[1].counts.cost, Money::ZERO);
}

#[test]
fn models_are_ordered_by_cost_then_name_and_all_are_kept() {
    let cells: Vec<ModelCell> = (0..15)
        .map(|i| {
            model(
                "2026-11-01",
                &format!("m/{i:02}"),
                1,
                if i % 2 == 0 { "1" } else { "2" },
            )
        })
        .collect();
    let o = build(&range(), &cells, &[], &[]).unwrap();
    assert_eq!(o.models.len(), 15, "not only a top N");
    assert_eq!(o.models[0].model, "m/01");
    assert_eq!(o.models[7].model, "m/00");
    let names: Vec<_> = o.series.by_model.iter().map(|s| s.model.as_str()).collect();
    let table: Vec<_> = o.models.iter().map(|m| m.model.as_str()).collect();
    assert_eq!(names, table);
}

#[test]
fn cells_outside_the_range_or_of_unlisted_keys_are_ignored() {
    let o = build(
        &range(),
        &[model("2026-10-31", "a/x", 1, "9")],
        &[key("2026-11-01", 42, 1, "9")],
        &[(1, "k".into())],
    )
    .unwrap();
    assert_eq!(o.totals.total_cost, Money::ZERO);
    assert_eq!(o.keys[0].counts.cost, Money::ZERO);
    assert!(o.models.is_empty());
}

#[test]
fn overflow_is_an_error_not_a_wrap() {
    let mut huge = model("2026-11-01", "a/x", 1, "0");
    huge.counts.cost = Money::from_units(i64::MAX);
    let again = ModelCell {
        date: "2026-11-02".into(),
        ..huge.clone()
    };
    assert_eq!(
        build(&range(), &[huge, again], &[], &[]).unwrap_err(),
        Overflow
    );
}
