//! Pagination parameters and the pagination block of list responses.

#![deny(clippy::arithmetic_side_effects)]

use serde::Serialize;
use utoipa::ToSchema;

use super::Invalid;

pub const DEFAULT_LIMIT: i64 = 100;
pub const MAX_LIMIT: i64 = 1000;
/// Far past any real dataset; keeps `offset` well inside SQLite's integers.
const MAX_PAGE: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    page: i64,
    limit: i64,
}

impl Page {
    pub fn parse(page: Option<&str>, limit: Option<&str>) -> Result<Self, Invalid> {
        let page = parse_bounded("page", page, 1, 1, MAX_PAGE)?;
        let limit = parse_bounded("limit", limit, DEFAULT_LIMIT, 1, MAX_LIMIT)?;
        Ok(Self { page, limit })
    }

    pub fn page(&self) -> i64 {
        self.page
    }

    pub fn limit(&self) -> i64 {
        self.limit
    }

    /// Bounded by the parse (page ≤ 1e9, limit ≤ 1000): never saturates.
    pub fn offset(&self) -> i64 {
        self.page.saturating_sub(1).saturating_mul(self.limit)
    }

    pub fn info(&self, total: i64) -> Pagination {
        Pagination {
            page: self.page,
            limit: self.limit,
            total,
            pages: pages(total, self.limit),
        }
    }
}

/// `ceil(total / limit)`, 0 for no rows (or a limit that is no limit).
fn pages(total: i64, limit: i64) -> i64 {
    let whole = total.checked_div(limit).unwrap_or(0);
    match total.checked_rem(limit) {
        Some(0) | None => whole,
        Some(_) => whole.saturating_add(1),
    }
}

/// `pages = ceil(total / limit)`; a page past the end is an empty list with
/// the true totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(description = "Pagination block of list responses.")]
pub struct Pagination {
    /// The page asked for (1-based).
    #[schema(minimum = 1, maximum = 1000000000)]
    pub page: i64,
    /// Items per page asked for.
    #[schema(minimum = 1, maximum = 1000)]
    pub limit: i64,
    /// Matching items over all pages.
    #[schema(minimum = 0)]
    pub total: i64,
    /// ceil(total / limit); a page past the end is an empty list with these true totals.
    #[schema(minimum = 0)]
    pub pages: i64,
}

/// An optional integer query parameter within `[min, max]`.
pub fn parse_bounded(
    field: &str,
    text: Option<&str>,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, Invalid> {
    let Some(text) = text else {
        return Ok(default);
    };
    let value: i64 = text
        .parse()
        .map_err(|_| Invalid::new(field, "must be an integer"))?;
    if !(min..=max).contains(&value) {
        return Err(Invalid::new(
            field,
            format!("must be between {min} and {max}"),
        ));
    }
    Ok(value)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_offsets() {
        let p = Page::parse(None, None).unwrap();
        assert_eq!((p.page(), p.limit(), p.offset()), (1, 100, 0));
        let p = Page::parse(Some("3"), Some("25")).unwrap();
        assert_eq!(p.offset(), 50);
    }

    #[test]
    fn pages_round_up() {
        let p = Page::parse(None, Some("10")).unwrap();
        assert_eq!(p.info(0).pages, 0);
        assert_eq!(p.info(10).pages, 1);
        assert_eq!(p.info(11).pages, 2);
    }

    #[test]
    fn refuses_out_of_range_values() {
        for (page, limit) in [
            (Some("0"), None),
            (Some("-1"), None),
            (Some("x"), None),
            (Some(""), None),
            (None, Some("0")),
            (None, Some("1001")),
            (None, Some("abc")),
            (None, Some("1.5")),
            (Some("99999999999999999999"), None),
        ] {
            assert!(Page::parse(page, limit).is_err(), "{page:?} {limit:?}");
        }
        assert_eq!(Page::parse(None, Some("1000")).unwrap().limit(), 1000);
    }
}
