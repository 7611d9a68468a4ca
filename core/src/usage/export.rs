//! What `GET /api/usage.csv` can write: the plain columns or FinOps FOCUS
//! 1.0 ones. The handler, the header rows and the API document all read
//! the columns from here, so the document's pattern is the file's header.

use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::focus;
use crate::domain::Invalid;

/// The plain export's columns, one row per key, model and UTC day.
pub const PLAIN_COLUMNS: [&str; 7] = [
    "date",
    "model",
    "api_key_id",
    "requests_count",
    "tokens_input",
    "tokens_output",
    "cost",
];

// The `format` query parameter (its description is the parameter's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    #[default]
    Csv,
    Focus,
}

impl ExportFormat {
    const ALL: [ExportFormat; 2] = [ExportFormat::Csv, ExportFormat::Focus];

    /// The parameter's value (absent: the plain export).
    pub fn parse(value: Option<&str>) -> Result<Self, Invalid> {
        let Some(value) = value else {
            return Ok(Self::default());
        };
        Self::ALL
            .into_iter()
            .find(|format| format.as_str() == value)
            .ok_or_else(|| Invalid::new("format", "must be csv or focus"))
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Focus => "focus",
        }
    }

    pub const fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Csv => &PLAIN_COLUMNS,
            Self::Focus => &focus::COLUMNS,
        }
    }
}

/// The export's body as the API document states it: text whose first line
/// is one format's header row.
pub struct CsvExport;

impl PartialSchema for CsvExport {
    fn schema() -> RefOr<Schema> {
        let headers: Vec<String> = ExportFormat::ALL
            .iter()
            .map(|format| format.columns().join(","))
            .collect();
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(format!("^({})\r?\n", headers.join("|"))))
            .into()
    }
}

impl ToSchema for CsvExport {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_reads_both_formats_and_refuses_others() {
        assert_eq!(ExportFormat::parse(None).unwrap(), ExportFormat::Csv);
        assert_eq!(ExportFormat::parse(Some("csv")).unwrap(), ExportFormat::Csv);
        assert_eq!(
            ExportFormat::parse(Some("focus")).unwrap(),
            ExportFormat::Focus
        );
        let refused = ExportFormat::parse(Some("CSV")).unwrap_err();
        assert_eq!(
            (refused.field.as_str(), refused.reason.as_str()),
            ("format", "must be csv or focus")
        );
    }

    #[test]
    fn the_documented_pattern_matches_each_header_row() {
        let RefOr::T(Schema::Object(schema)) = CsvExport::schema() else {
            panic!("a string schema");
        };
        let pattern = schema.pattern.unwrap();
        for format in ExportFormat::ALL {
            let header = crate::usage::csv::header(format.columns());
            let alternative = header.trim_end_matches("\r\n");
            assert!(
                pattern.contains(alternative),
                "{pattern} lacks {alternative}"
            );
        }
        assert!(pattern.starts_with("^(") && pattern.ends_with(")\r?\n"));
    }
}
