//! Money as exact decimals: parsed from and written as text, never through `f64`.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::SimError;
use crate::data::MONEY_DP;

/// Exact decimal text for JSON and the control API (`0.0012345678`, `12`, `0`).
pub(crate) fn money_text(d: Decimal) -> String {
    d.normalize().to_string()
}

/// Parses a non-negative amount with at most 10 fractional digits.
pub(crate) fn parse_money(field: &str, text: &str) -> Result<Decimal, SimError> {
    let t = text.trim();
    let parsed = if t.contains(['e', 'E']) {
        Decimal::from_scientific(t)
    } else {
        Decimal::from_str(t)
    };
    let d = parsed
        .map_err(|e| SimError::unprocessable(format!("{field}: not a decimal ({t}): {e}")))?
        .normalize();
    if d.is_sign_negative() && !d.is_zero() {
        return Err(SimError::unprocessable(format!(
            "{field}: must not be negative"
        )));
    }
    if d.scale() > MONEY_DP {
        return Err(SimError::unprocessable(format!(
            "{field}: at most {MONEY_DP} fractional digits"
        )));
    }
    Ok(d.abs())
}
