//! The dashboard overview's arithmetic, pure so it is tested natively.
//!
//! Every figure of the overview (totals, the per-day series, the per-model
//! and per-key rows, the chart's series) is summed here from two sets of
//! cells read in one D1 batch: per (day, model) and per (day, key), both over
//! the same filtered rows. So the total, the sum of the per-key rows and the
//! sum of the per-model rows are the same exact figure by construction, and
//! the page can say so.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use crate::api_doc::vocabulary;

use super::shapes::Summary;
use crate::domain::dates::{format_day, DateRange};
use crate::domain::money::Money;

/// Usage of one model on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelCell {
    pub date: String,
    pub model: String,
    pub counts: Counts,
}

/// Usage of one key on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCell {
    pub date: String,
    pub api_key_id: i64,
    pub counts: Counts,
}

/// Requests, tokens and cost summed over some cells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    #[schema(minimum = 0)]
    pub requests_count: i64,
    #[schema(minimum = 0)]
    pub tokens_input: i64,
    #[schema(minimum = 0)]
    pub tokens_output: i64,
    pub cost: Money,
}

impl Counts {
    fn count(&mut self, more: Counts) -> Result<(), Overflow> {
        self.requests_count = count(self.requests_count, more.requests_count)?;
        self.tokens_input = count(self.tokens_input, more.tokens_input)?;
        self.tokens_output = count(self.tokens_output, more.tokens_output)?;
        self.cost = add(self.cost, more.cost)?;
        Ok(())
    }

    /// The same figures as a range's totals.
    pub fn summary(self) -> Summary {
        Summary {
            total_requests: self.requests_count,
            total_cost: self.cost,
            total_tokens_input: self.tokens_input,
            total_tokens_output: self.tokens_output,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = DashboardDay)]
pub struct DayPoint {
    #[schema(value_type = vocabulary::schemas::Date)]
    pub date: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = DashboardModel)]
pub struct ModelTotal {
    pub model: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = DashboardKey)]
pub struct KeyTotal {
    /// Key id.
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub api_key_id: i64,
    pub name: String,
    #[serde(flatten)]
    pub counts: Counts,
}

/// One stacked series of the cost-per-day chart; `costs` is aligned with
/// the overview's `daily` (one value per day of the period).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ModelSeries {
    pub model: String,
    #[schema(min_items = 1, max_items = 365)]
    pub costs: Vec<Money>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KeySeries {
    #[schema(minimum = 1, maximum = 9007199254740991_i64)]
    pub api_key_id: i64,
    pub name: String,
    #[schema(min_items = 1, max_items = 365)]
    pub costs: Vec<Money>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Series {
    /// One series per entry of `models`, same order.
    #[schema(inline)]
    pub by_model: Vec<ModelSeries>,
    /// One series per entry of `keys`, same order.
    #[schema(inline)]
    pub by_key: Vec<KeySeries>,
}

#[derive(Debug, Default)]
pub struct Overview {
    pub totals: Summary,
    pub daily: Vec<DayPoint>,
    /// Every model with usage in the range, by cost (highest first), then name.
    pub models: Vec<ModelTotal>,
    /// Every key asked for, in the order given, zeros included.
    pub keys: Vec<KeyTotal>,
    pub series: Series,
}

/// Sums beyond `i64` (about 922 million USD, or 9.2e18 tokens) cannot
/// come from one user's OpenRouter use; they are reported, not wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a sum of costs or counts overflowed")]
pub struct Overflow;

pub(super) fn add(a: Money, b: Money) -> Result<Money, Overflow> {
    a.checked_add(b).ok_or(Overflow)
}

fn count(a: i64, b: i64) -> Result<i64, Overflow> {
    a.checked_add(b).ok_or(Overflow)
}

/// Builds the overview. `keys` are the keys to report (id, name) in display
/// order; cells of other keys are ignored, and days outside `range` too.
pub fn build(
    range: &DateRange,
    model_cells: &[ModelCell],
    key_cells: &[KeyCell],
    keys: &[(i64, String)],
) -> Result<Overview, Overflow> {
    let days: Vec<String> = range.iter().map(format_day).collect();
    let day_index: HashMap<&str, usize> = days
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let (totals, daily, models) = sum_models(&days, &day_index, model_cells)?;
    let key_rows = sum_keys(days.len(), &day_index, key_cells, keys)?;
    let series = Series {
        by_model: models
            .iter()
            .map(|(m, costs)| ModelSeries {
                model: m.model.clone(),
                costs: costs.clone(),
            })
            .collect(),
        by_key: key_rows
            .iter()
            .map(|(k, costs)| KeySeries {
                api_key_id: k.api_key_id,
                name: k.name.clone(),
                costs: costs.clone(),
            })
            .collect(),
    };
    Ok(Overview {
        totals,
        daily,
        models: models.into_iter().map(|(m, _)| m).collect(),
        keys: key_rows.into_iter().map(|(k, _)| k).collect(),
        series,
    })
}

type PerDay<T> = Vec<(T, Vec<Money>)>;

/// Totals, the per-day points and every model with its per-day costs (by
/// cost, highest first, then name), from the (day, model) cells.
fn sum_models(
    days: &[String],
    day_index: &HashMap<&str, usize>,
    cells: &[ModelCell],
) -> Result<(Summary, Vec<DayPoint>, PerDay<ModelTotal>), Overflow> {
    let mut totals = Counts::default();
    let mut daily: Vec<DayPoint> = days
        .iter()
        .map(|date| DayPoint {
            date: date.clone(),
            counts: Counts::default(),
        })
        .collect();
    let mut by_model: BTreeMap<&str, (ModelTotal, Vec<Money>)> = BTreeMap::new();
    for cell in cells {
        let Some(&i) = day_index.get(cell.date.as_str()) else {
            continue;
        };
        totals.count(cell.counts)?;
        daily
            .get_mut(i)
            .ok_or(Overflow)?
            .counts
            .count(cell.counts)?;
        let (total, costs) = by_model.entry(cell.model.as_str()).or_insert_with(|| {
            let total = ModelTotal {
                model: cell.model.clone(),
                counts: Counts::default(),
            };
            (total, vec![Money::ZERO; days.len()])
        });
        total.counts.count(cell.counts)?;
        let cost = costs.get_mut(i).ok_or(Overflow)?;
        *cost = add(*cost, cell.counts.cost)?;
    }
    let mut models: PerDay<ModelTotal> = by_model.into_values().collect();
    models.sort_by(|(a, _), (b, _)| {
        (b.counts.cost.cmp(&a.counts.cost)).then_with(|| a.model.cmp(&b.model))
    });
    Ok((totals.summary(), daily, models))
}

/// Every listed key with its totals and per-day costs, zeros included.
fn sum_keys(
    days: usize,
    day_index: &HashMap<&str, usize>,
    cells: &[KeyCell],
    keys: &[(i64, String)],
) -> Result<PerDay<KeyTotal>, Overflow> {
    let position: HashMap<i64, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let mut rows: PerDay<KeyTotal> = keys
        .iter()
        .map(|(id, name)| {
            let total = KeyTotal {
                api_key_id: *id,
                name: name.clone(),
                counts: Counts::default(),
            };
            (total, vec![Money::ZERO; days])
        })
        .collect();
    for cell in cells {
        let (Some(&i), Some(&k)) = (
            day_index.get(cell.date.as_str()),
            position.get(&cell.api_key_id),
        ) else {
            continue;
        };
        let (total, costs) = rows.get_mut(k).ok_or(Overflow)?;
        total.counts.count(cell.counts)?;
        let cost = costs.get_mut(i).ok_or(Overflow)?;
        *cost = add(*cost, cell.counts.cost)?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests;
