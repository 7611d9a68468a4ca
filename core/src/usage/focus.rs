//! The usage export in the FinOps FOCUS 1.0 column set
//! (`GET /api/usage.csv?format=focus`), so spend lands in the cost tools
//! that already read cloud bills. One row per key, model and UTC day; the
//! mapping is documented in the README (a test compares the header with
//! it). Pure, tested natively.

use chrono::{Datelike, NaiveDate};

use super::csv::{self, Cell};
use crate::domain::money::Money;

/// The header, in order. `x_` columns are this product's own, as FOCUS
/// names custom columns.
pub const COLUMNS: [&str; 30] = [
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "InvoiceIssuerName",
    "ProviderName",
    "PublisherName",
    "ServiceCategory",
    "ServiceName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "SkuId",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingQuantity",
    "PricingUnit",
    "x_Requests",
    "x_InputTokens",
    "x_OutputTokens",
];

/// One usage row: a key's spend on one model on one UTC day.
pub struct UsageLine<'a> {
    pub date: NaiveDate,
    pub model: &'a str,
    pub api_key_id: i64,
    pub key_name: &'a str,
    pub requests: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    pub cost: Money,
}

/// The account the export belongs to.
pub struct Account<'a> {
    pub id: i64,
    pub name: &'a str,
}

fn midnight(day: NaiveDate) -> String {
    format!("{}T00:00:00Z", crate::domain::dates::format_day(day))
}

/// The model's publisher: the vendor part of `vendor/model`.
fn publisher(model: &str) -> &str {
    model.split_once('/').map_or(model, |(vendor, _)| vendor)
}

pub fn line(account: &Account<'_>, row: &UsageLine<'_>) -> String {
    let month = row.date.with_day(1).unwrap_or(row.date);
    let next_month = month
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(month);
    let cost = row.cost.to_string();
    let tokens = (row.tokens_input + row.tokens_output).to_string();
    let description = format!("{} through key {}", row.model, row.key_name);
    let (account_id, key_id) = (account.id.to_string(), row.api_key_id.to_string());
    let (requests, input, output) = (
        row.requests.to_string(),
        row.tokens_input.to_string(),
        row.tokens_output.to_string(),
    );
    let cells = [
        Cell::Text(&account_id),
        Cell::Text(account.name),
        Cell::Text("USD"),
        Cell::Text(&midnight(month)),
        Cell::Text(&midnight(next_month)),
        Cell::Text(&midnight(row.date)),
        Cell::Text(&midnight(row.date.succ_opt().unwrap_or(row.date))),
        Cell::Text("Usage"),
        Cell::Text(""),
        Cell::Text(&description),
        Cell::Number(&cost),
        Cell::Number(&cost),
        Cell::Number(&cost),
        Cell::Number(&cost),
        Cell::Text("OpenRouter"),
        Cell::Text("OpenRouter"),
        Cell::Text(publisher(row.model)),
        Cell::Text("AI and Machine Learning"),
        Cell::Text("OpenRouter"),
        Cell::Text(&key_id),
        Cell::Text(row.key_name),
        Cell::Text("API Key"),
        Cell::Text(row.model),
        Cell::Number(&tokens),
        Cell::Text("Tokens"),
        Cell::Number(&tokens),
        Cell::Text("Tokens"),
        Cell::Number(&requests),
        Cell::Number(&input),
        Cell::Number(&output),
    ];
    csv::line(&cells)
}

pub fn header() -> String {
    csv::header(&COLUMNS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_maps_onto_the_focus_columns() {
        let row = UsageLine {
            date: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            model: "anthropic/claude-sonnet-4",
            api_key_id: 7,
            key_name: "Prod, EU",
            requests: 3,
            tokens_input: 1000,
            tokens_output: 250,
            cost: Money::parse_decimal("0.0123456789").unwrap(),
        };
        let text = line(
            &Account {
                id: 42,
                name: "me@example.com",
            },
            &row,
        );
        assert_eq!(
            text,
            "42,me@example.com,USD,2026-12-01T00:00:00Z,2027-01-01T00:00:00Z,\
             2026-12-31T00:00:00Z,2027-01-01T00:00:00Z,Usage,,\
             \"anthropic/claude-sonnet-4 through key Prod, EU\",\
             0.0123456789,0.0123456789,0.0123456789,0.0123456789,\
             OpenRouter,OpenRouter,anthropic,AI and Machine Learning,OpenRouter,\
             7,\"Prod, EU\",API Key,anthropic/claude-sonnet-4,1250,Tokens,1250,Tokens,3,1000,250\r\n"
        );
        assert_eq!(
            text.matches(',').count() - 2,
            COLUMNS.len() - 1,
            "two commas are quoted"
        );
        assert!(header().starts_with("BillingAccountId,BillingAccountName,BillingCurrency,"));
    }
}
