//! Exact money: fixed-point integers of 1e-10 USD.
//!
//! OpenRouter reports costs with up to 10 decimals. They are parsed from the
//! JSON number's own text (never through `f64`), stored in D1 as INTEGER
//! units, summed in SQL as integers, read back as text (D1 hands INTEGERs to
//! JavaScript as doubles, exact only to 2^53) and rendered as decimal strings.

#![deny(clippy::arithmetic_side_effects)]

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Decimal places kept; one unit is 1e-10 USD.
pub const SCALE: u32 = 10;
/// Units in one USD: 10^[`SCALE`].
pub const UNITS_PER_USD: i64 = 10_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not an exact decimal amount: {0:?}")]
pub struct MoneyError(String);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_units(units: i64) -> Self {
        Money(units)
    }

    pub fn units(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// For totals shown to a person: at the edge (about ±922 million USD,
    /// beyond any account) a sum stays at the bound instead of wrapping.
    pub fn saturating_add(self, other: Money) -> Money {
        Money(self.0.saturating_add(other.0))
    }

    /// Parses a decimal as OpenRouter or a user writes it: `12.5`, `-0.25`,
    /// `1.5e-5`. More than 10 decimals are rounded half to even.
    pub fn parse_decimal(text: &str) -> Result<Self, MoneyError> {
        let text = text.trim();
        let decimal = Decimal::from_str(text)
            .or_else(|_| Decimal::from_scientific(text))
            .map_err(|_| MoneyError(text.to_owned()))?;
        Self::from_decimal(decimal).ok_or_else(|| MoneyError(text.to_owned()))
    }

    pub fn from_decimal(decimal: Decimal) -> Option<Self> {
        let mut scaled = decimal.round_dp(SCALE);
        scaled.rescale(SCALE);
        if scaled.scale() != SCALE {
            return None;
        }
        i64::try_from(scaled.mantissa()).ok().map(Money)
    }

    /// Parses an amount as a person types it, exactly or not at all:
    /// digits, then optionally a point and 1 to 10 decimals
    /// (`^[0-9]+(\.[0-9]{1,10})?$`). No sign, exponent, space or 11th
    /// decimal: what is not refused is never rounded.
    pub fn parse_exact(text: &str) -> Result<Self, MoneyError> {
        let refused = || MoneyError(text.to_owned());
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (text, None),
        };
        let digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || fraction.is_some_and(|f| !digits(f) || f.len() > SCALE as usize) {
            return Err(refused());
        }
        let fraction = fraction.unwrap_or_default();
        // Pads the decimals to ten: "5" -> "5000000000".
        let padded = format!("{fraction:0<width$}", width = SCALE as usize);
        let whole: i64 = whole.parse().map_err(|_| refused())?;
        let fraction: i64 = padded.parse().map_err(|_| refused())?;
        whole
            .checked_mul(UNITS_PER_USD)
            .and_then(|units| units.checked_add(fraction))
            .map(Money)
            .ok_or_else(refused)
    }

    /// Parses an integer count of units as D1 returns it from
    /// `CAST(... AS TEXT)`.
    pub fn parse_units(text: &str) -> Result<Self, MoneyError> {
        text.trim()
            .parse::<i64>()
            .map(Money)
            .map_err(|_| MoneyError(text.to_owned()))
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, SCALE).normalize()
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_decimal())
    }
}

/// Money is a decimal string in every JSON response (`"12.0153"`).
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Reads a JSON number (or a decimal string) exactly, from its own text.
impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        let text = raw.get().trim();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        Money::parse_decimal(text).map_err(serde::de::Error::custom)
    }
}

/// An amount a person entered in a request body: a JSON number or a
/// decimal string, read by [`Money::parse_exact`] from its own text. A
/// refusal is a deserialisation error, so the body's 422 names the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnteredAmount(pub Money);

impl<'de> Deserialize<'de> for EnteredAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<serde_json::value::RawValue>::deserialize(deserializer)?;
        let text = raw.get();
        let literal = if text.starts_with('"') {
            serde_json::from_str::<String>(text).map_err(serde::de::Error::custom)?
        } else {
            text.to_owned()
        };
        Money::parse_exact(&literal).map(EnteredAmount).map_err(|_| {
            serde::de::Error::custom(
                "must be an amount in USD with at most 10 decimals, as digits (e.g. 12.5 or \"12.5\"), without sign or exponent",
            )
        })
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn parses_exactly_without_floats() {
        assert_eq!(Money::parse_decimal("0.1").unwrap().units(), 1_000_000_000);
        assert_eq!(Money::parse_decimal("0.0000000001").unwrap().units(), 1);
        assert_eq!(Money::parse_decimal("1.5e-5").unwrap().units(), 150_000);
        assert_eq!(Money::parse_decimal("12").unwrap().units(), 120_000_000_000);
        assert_eq!(
            Money::parse_decimal("-0.25").unwrap().units(),
            -2_500_000_000
        );
        // 0.1 + 0.2 is exact here, unlike in f64.
        let sum = Money::parse_decimal("0.1")
            .unwrap()
            .checked_add(Money::parse_decimal("0.2").unwrap())
            .unwrap();
        assert_eq!(sum.to_string(), "0.3");
    }

    #[test]
    fn rounds_beyond_ten_places_half_even() {
        assert_eq!(Money::parse_decimal("0.00000000005").unwrap().units(), 0);
        assert_eq!(Money::parse_decimal("0.00000000015").unwrap().units(), 2);
    }

    #[test]
    fn rejects_what_is_not_an_amount() {
        for bad in ["", "abc", "1,5", "NaN", "1e400", "99999999999999999999"] {
            assert!(Money::parse_decimal(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn renders_as_normalised_decimal_strings() {
        assert_eq!(Money::from_units(120_153_000_000).to_string(), "12.0153");
        assert_eq!(Money::ZERO.to_string(), "0");
        assert_eq!(Money::from_units(1).to_string(), "0.0000000001");
        assert_eq!(
            serde_json::to_string(&Money::from_units(5_000_000_000)).unwrap(),
            "\"0.5\""
        );
    }

    #[test]
    fn deserialises_json_numbers_from_their_text() {
        let m: Money = serde_json::from_str("0.1234567891").unwrap();
        assert_eq!(m.units(), 1_234_567_891);
        let m: Money = serde_json::from_str("\"3.25\"").unwrap();
        assert_eq!(m.units(), 32_500_000_000);
        // Beyond f64's exact range: 900,719.9254740993 USD.
        let m: Money = serde_json::from_str("900719.9254740993").unwrap();
        assert_eq!(m.units(), 9_007_199_254_740_993);
        assert!(serde_json::from_str::<Money>("true").is_err());
    }

    #[test]
    fn parses_sql_unit_sums() {
        assert_eq!(
            Money::parse_units("9007199254740993").unwrap().units(),
            9_007_199_254_740_993
        );
        assert!(Money::parse_units("1.5").is_err());
    }

    #[test]
    fn entered_amounts_are_exact_or_refused() {
        for (text, units) in [
            ("1", 10_000_000_000),
            ("0.0000000001", 1),
            ("1.1234567891", 11_234_567_891),
            ("1000000", 1_000_000 * UNITS_PER_USD),
            ("007.50", 75_000_000_000),
            ("922337203.6854775807", i64::MAX),
        ] {
            assert_eq!(
                Money::parse_exact(text).map(Money::units),
                Ok(units),
                "{text}"
            );
        }
        for bad in [
            "",
            " 5",
            "5 ",
            "1e2",
            "1E2",
            "-1",
            "+1",
            ".5",
            "5.",
            "1.12345678901",
            "1000000.00000000001",
            "1,5",
            "0x10",
            "NaN",
            "１",
            "922337203.6854775808",
            "99999999999999999999",
        ] {
            assert!(Money::parse_exact(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_entered_amount_reads_a_number_or_a_string_from_its_text() {
        let read = |json: &str| serde_json::from_str::<EnteredAmount>(json).map(|a| a.0.units());
        assert_eq!(read("12.5").unwrap(), 125_000_000_000);
        assert_eq!(read("\"12.5\"").unwrap(), 125_000_000_000);
        assert_eq!(read("\"\\u0031\"").unwrap(), UNITS_PER_USD, "an escaped 1");
        for bad in [
            "1e2",
            "\"1e2\"",
            "\" 5\"",
            "-5",
            "1.12345678901",
            "true",
            "null",
            "[1]",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn parsing_any_text_never_panics(text in any::<String>()) {
                let _ = Money::parse_exact(&text);
                let _ = Money::parse_decimal(&text);
                let _ = Money::parse_units(&text);
            }

            #[test]
            fn an_exact_amount_reads_back_what_it_renders(units in 0_i64..=i64::MAX) {
                let money = Money::from_units(units);
                prop_assert_eq!(Money::parse_exact(&money.to_string()), Ok(money));
                prop_assert_eq!(Money::parse_decimal(&money.to_string()), Ok(money));
            }

            #[test]
            fn sums_are_checked(a in any::<i64>(), b in any::<i64>()) {
                let (a, b) = (Money::from_units(a), Money::from_units(b));
                prop_assert_eq!(a.checked_add(b).map(Money::units), a.units().checked_add(b.units()));
                prop_assert_eq!(a.checked_sub(b).map(Money::units), a.units().checked_sub(b.units()));
            }
        }
    }
}
