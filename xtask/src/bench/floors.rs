//! The floors of the cold rows: the least work that gives the same answer
//! (`/health` of the product, and the bare Worker of `bench/floor/`).

use super::load::Measure;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FloorKind {
    /// The product's `/health`: one D1 statement, no Durable Object.
    Health,
    /// Floor Worker → one Durable Object → one trivial D1 statement.
    RoundTrips,
    /// Floor Worker: the usage page in one D1 statement.
    Page,
    /// Floor Worker → one Durable Object that reads the page and returns it.
    PageThroughObject,
    /// Floor Worker → one Durable Object that sums the range from the
    /// per-user day rollup in one D1 statement.
    StatsThroughObject,
    /// Floor Worker: the dashboard's cells in one D1 batch.
    Dashboard,
    /// Floor Worker: the export's rows in one D1 statement, as CSV.
    Export,
}

impl FloorKind {
    /// The floor Worker's path (`bench/floor/worker.js`).
    pub fn floor_path(self) -> &'static str {
        match self {
            Self::Health => "/health",
            Self::RoundTrips => "/hop/one",
            Self::Page => "/usage",
            Self::PageThroughObject => "/hop/usage",
            Self::StatsThroughObject => "/hop/stats",
            Self::Dashboard => "/dashboard",
            Self::Export => "/usage.csv",
        }
    }

    /// The product's path whose questions the floor is asked (the same
    /// query on its own path), or `None`: the floor has one question.
    pub fn mirrors(self) -> Option<&'static str> {
        match self {
            Self::Health | Self::RoundTrips => None,
            Self::Page | Self::PageThroughObject => Some("/api/v1/usage"),
            Self::StatsThroughObject => Some("/api/v1/stats"),
            Self::Dashboard => Some("/api/stats/dashboard"),
            Self::Export => Some("/api/usage.csv"),
        }
    }

    /// The floors a cold row is compared with (the row's label names its
    /// path), the last the one whose reach means the row is on its floor.
    pub fn of_row(label: &str) -> &'static [FloorKind] {
        if label.contains("/api/v1/usage") {
            &[Self::Page, Self::PageThroughObject]
        } else if label.contains("/api/stats/dashboard") {
            &[Self::Dashboard]
        } else if label.contains("/api/usage.csv") {
            &[Self::Export]
        } else if label.contains("/api/v1/stats") {
            &[Self::Health, Self::RoundTrips, Self::StatsThroughObject]
        } else {
            &[Self::Health, Self::RoundTrips]
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Health => "`GET /health` of the product: one D1 statement, no Durable Object",
            Self::RoundTrips => "bare Worker → one Durable Object → one trivial D1 statement: the two round trips of a public request, none of its work",
            Self::Page => "bare Worker: the cold usage row's page (1000 rows) in one D1 statement, no token, no Durable Object",
            Self::PageThroughObject => "bare Worker → one Durable Object that reads the same page in one D1 statement and returns it",
            Self::StatsThroughObject => "bare Worker → one Durable Object that sums the cold stats row's range from the per-user day rollup in one D1 statement (the product's statement without the token's join) and returns it",
            Self::Dashboard => "bare Worker: the cold dashboard row's cells (per day and model from the rollup, per day and key from the rows) read in one D1 batch of two statements, answering their counts; no session, no other read, no aggregation",
            Self::Export => "bare Worker: the cold export row's rows (per day, model and key) in one D1 statement, written as CSV; no session",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Self::Health => "`/health`",
            Self::RoundTrips => "the two-round-trip floor",
            Self::Page => "the bare Worker's page",
            Self::PageThroughObject => "the same page through one Durable Object",
            Self::StatsThroughObject => "the same sum through one Durable Object",
            Self::Dashboard => "the bare Worker's cells",
            Self::Export => "the bare Worker's export",
        }
    }
}

pub struct Floor {
    pub kind: FloorKind,
    pub request: String,
    pub measure: Measure,
    /// The label of the cold row it was measured beside.
    pub row: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_web_floors_are_asked_the_rows_questions_on_their_paths() {
        for (kind, product) in [
            (FloorKind::Dashboard, "/api/stats/dashboard"),
            (FloorKind::Export, "/api/usage.csv"),
            (FloorKind::PageThroughObject, "/api/v1/usage"),
            (FloorKind::StatsThroughObject, "/api/v1/stats"),
        ] {
            assert_eq!(kind.mirrors(), Some(product));
            assert_eq!(
                FloorKind::of_row(&format!("`GET {product}`")).last(),
                Some(&kind)
            );
        }
        assert_eq!(FloorKind::Health.mirrors(), None);
    }
}
