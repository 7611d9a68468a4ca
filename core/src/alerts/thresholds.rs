//! Alert thresholds (whole percentages of a budget) and the exact
//! arithmetic of "how much of the budget is used".

#![deny(clippy::arithmetic_side_effects)]

use rust_decimal::Decimal;

use crate::domain::money::Money;
use crate::domain::Invalid;

pub const MAX_THRESHOLDS: usize = 10;

/// Ascending, distinct whole percentages in 1..=100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thresholds(Vec<u8>);

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds(vec![50, 80, 100])
    }
}

impl Thresholds {
    /// Validates a list as a user sends it (any order; duplicates refused,
    /// they are almost certainly a typo).
    pub fn new(field: &str, values: &[i64]) -> Result<Self, Invalid> {
        if values.is_empty() || values.len() > MAX_THRESHOLDS {
            return Err(Invalid::new(
                field,
                format!("must list 1 to {MAX_THRESHOLDS} percentages"),
            ));
        }
        let mut sorted = Vec::with_capacity(values.len());
        for &value in values {
            match u8::try_from(value) {
                Ok(p) if (1..=100).contains(&p) => sorted.push(p),
                _ => {
                    return Err(Invalid::new(
                        field,
                        "must be whole percentages from 1 to 100",
                    ))
                }
            }
        }
        sorted.sort_unstable();
        if sorted.windows(2).any(|w| matches!(w, [a, b] if a == b)) {
            return Err(Invalid::new(field, "must not repeat a percentage"));
        }
        Ok(Thresholds(sorted))
    }

    /// Reads the stored form (`"50,80,100"`).
    pub fn from_text(text: &str) -> Option<Self> {
        let values: Option<Vec<i64>> = text.split(',').map(|p| p.trim().parse().ok()).collect();
        Thresholds::new("thresholds", &values?).ok()
    }

    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(u8::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

/// Whether `spent` has reached `percent` % of `amount` (exact, no rounding).
pub fn reached(spent: Money, amount: Money, percent: u8) -> bool {
    // An i64 times at most 255 always fits an i128: nothing saturates.
    i128::from(spent.units()).saturating_mul(100)
        >= i128::from(amount.units()).saturating_mul(i128::from(percent))
}

/// `spent` as a percentage of `amount`, exact to two decimals and rounded
/// down, so "100" means the budget is really used up.
pub fn percent_of(spent: Money, amount: Money) -> Decimal {
    percent_ratio(i128::from(spent.units()), i128::from(amount.units()))
}

/// `part / whole` in percent, two decimals, rounded toward zero.
pub fn percent_ratio(part: i128, whole: i128) -> Decimal {
    if whole <= 0 {
        return Decimal::ZERO;
    }
    let hundredths = part.saturating_mul(10_000).checked_div(whole).unwrap_or(0);
    let clamped =
        i64::try_from(hundredths).unwrap_or(if hundredths < 0 { i64::MIN } else { i64::MAX });
    Decimal::new(clamped, 2).normalize()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::testing::usd;

    #[test]
    fn thresholds_are_sorted_whole_percentages() {
        let t = Thresholds::new("thresholds", &[100, 50, 80]).unwrap();
        assert_eq!(t.as_slice(), [50, 80, 100]);
        assert_eq!(t.to_text(), "50,80,100");
        assert_eq!(Thresholds::from_text("50,80,100"), Some(t));
        assert_eq!(Thresholds::default().as_slice(), [50, 80, 100]);
        for bad in [
            &[][..],
            &[0],
            &[101],
            &[-5],
            &[50, 50],
            &[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        ] {
            assert!(Thresholds::new("thresholds", bad).is_err(), "{bad:?}");
        }
        assert_eq!(Thresholds::from_text("50,x"), None);
    }

    #[test]
    fn reaching_a_threshold_is_exact() {
        let amount = usd("10");
        assert!(!reached(usd("4.9999999999"), amount, 50));
        assert!(reached(usd("5"), amount, 50));
        assert!(reached(usd("8.2"), amount, 80));
        assert!(!reached(usd("9.9999999999"), amount, 100));
        assert!(reached(usd("10.3"), amount, 100));
    }

    #[test]
    fn percentages_round_down_to_two_decimals() {
        assert_eq!(percent_of(usd("8.2"), usd("10")).to_string(), "82");
        assert_eq!(percent_of(usd("1"), usd("3")).to_string(), "33.33");
        assert_eq!(
            percent_of(usd("9.9999999999"), usd("10")).to_string(),
            "99.99"
        );
        assert_eq!(percent_of(usd("25"), usd("10")).to_string(), "250");
        assert_eq!(percent_of(usd("1"), Money::ZERO).to_string(), "0");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn reaching_and_percentages_never_panic(
                spent in any::<i64>(), amount in any::<i64>(), percent in any::<u8>(),
                part in any::<i128>(), whole in any::<i128>(),
            ) {
                let (s, a) = (Money::from_units(spent), Money::from_units(amount));
                let exact = i128::from(spent) * 100 >= i128::from(amount) * i128::from(percent);
                prop_assert_eq!(reached(s, a, percent), exact);
                let _ = percent_of(s, a);
                let _ = percent_ratio(part, whole);
            }

            #[test]
            fn any_list_is_refused_or_sorted_and_in_range(values in proptest::collection::vec(any::<i64>(), 0..14)) {
                if let Ok(t) = Thresholds::new("thresholds", &values) {
                    prop_assert!(t.as_slice().windows(2).all(|w| w[0] < w[1]));
                    prop_assert!(t.as_slice().iter().all(|p| (1..=100).contains(p)));
                    prop_assert_eq!(Thresholds::from_text(&t.to_text()), Some(t));
                }
            }
        }
    }
}
