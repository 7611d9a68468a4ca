//! The benchmark dataset: one user, 5 keys × 40 models × 365
//! days = 73,000 `usage_stats` rows, deterministic, with costs at full
//! 10-decimal precision. The expected totals are computed here, in integer
//! units of 1e-10 USD, while the rows are written, so the API's answers can
//! be checked to the last digit.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::tools::Result;

pub const KEYS: usize = 5;
pub const DAYS: i64 = 365;
pub const ROWS_PER_INSERT: usize = 200;
const SEED: u64 = 0x5eed_0fbe_4c4e;

/// 40 model ids with (input, output) prices in 1e-10 USD per token.
pub const MODELS: [(&str, u64, u64); 40] = [
    ("openai/gpt-4o", 25_000, 100_000),
    ("openai/gpt-4o-mini", 1_500, 6_000),
    ("openai/gpt-4.1", 20_000, 80_000),
    ("openai/gpt-4.1-mini", 4_000, 16_000),
    ("openai/gpt-4.1-nano", 1_000, 4_000),
    ("openai/o3", 20_000, 80_000),
    ("openai/o4-mini", 11_000, 44_000),
    ("openai/gpt-5", 12_500, 100_000),
    ("anthropic/claude-3.5-sonnet", 30_000, 150_000),
    ("anthropic/claude-3.5-haiku", 8_000, 40_000),
    ("anthropic/claude-3.7-sonnet", 30_000, 150_000),
    ("anthropic/claude-sonnet-4", 30_000, 150_000),
    ("anthropic/claude-opus-4", 150_000, 750_000),
    ("google/gemini-2.0-flash-001", 1_000, 4_000),
    ("google/gemini-2.5-flash", 3_000, 25_000),
    ("google/gemini-2.5-pro", 12_500, 100_000),
    ("google/gemma-3-27b-it", 900, 1_700),
    ("meta-llama/llama-3.1-8b-instruct", 200, 300),
    ("meta-llama/llama-3.1-70b-instruct", 1_000, 2_800),
    ("meta-llama/llama-3.1-405b-instruct", 8_000, 8_000),
    ("meta-llama/llama-3.3-70b-instruct", 1_300, 3_900),
    ("meta-llama/llama-4-maverick", 1_500, 6_000),
    ("meta-llama/llama-4-scout", 800, 3_000),
    ("mistralai/mistral-large", 20_000, 60_000),
    ("mistralai/mistral-small-3.1-24b-instruct", 500, 1_000),
    ("mistralai/codestral-2501", 3_000, 9_000),
    ("mistralai/mixtral-8x7b-instruct", 2_400, 2_400),
    ("deepseek/deepseek-chat", 3_800, 8_900),
    ("deepseek/deepseek-r1", 5_500, 21_900),
    ("deepseek/deepseek-r1-distill-llama-70b", 1_000, 4_000),
    ("qwen/qwen-2.5-72b-instruct", 1_200, 3_900),
    ("qwen/qwen-2.5-coder-32b-instruct", 700, 1_600),
    ("qwen/qwq-32b", 1_500, 2_000),
    ("qwen/qwen3-235b-a22b", 1_300, 6_000),
    ("x-ai/grok-3", 30_000, 150_000),
    ("x-ai/grok-3-mini", 3_000, 5_000),
    ("cohere/command-r-plus", 25_000, 100_000),
    ("cohere/command-r", 1_500, 6_000),
    ("nousresearch/hermes-3-llama-3.1-405b", 7_000, 8_000),
    ("microsoft/phi-4", 700, 1_400),
];

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub requests: i64,
    pub tokens_input: i64,
    pub tokens_output: i64,
    /// 1e-10 USD.
    pub cost: i64,
}

impl Totals {
    fn add(&mut self, row: &Row) {
        self.requests += row.requests;
        self.tokens_input += row.tokens_input;
        self.tokens_output += row.tokens_output;
        self.cost += row.cost;
    }
}

pub struct BenchKey {
    pub id: i64,
    pub name: String,
    pub totals: Totals,
}

pub struct Dataset {
    pub rows: usize,
    pub start: String,
    pub today: String,
    /// Days since 1970-01-01 of `start` and `today`.
    pub first_day: i64,
    pub last_day: i64,
    pub last_30: Totals,
    pub last_365: Totals,
    pub keys: Vec<BenchKey>,
    /// Distinct (date, model) pairs over the 365 days: `/api/v1/usage`'s total.
    pub usage_rows: usize,
    pub sql_bytes: usize,
}

struct Row {
    requests: i64,
    tokens_input: i64,
    tokens_output: i64,
    cost: i64,
}

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Writes `sql` (the 5 `api_keys` rows of `org_id` with ids from
/// `first_key_id`, then `usage_stats` in multi-row INSERTs) and `tsv` (the
/// same rows for the reference app: key index, date, model, requests,
/// tokens in, tokens out, cost as a decimal string).
pub fn generate(
    org_id: i64,
    first_key_id: i64,
    today: i64,
    now: &str,
    sql: &Path,
    tsv: &Path,
) -> Result<Dataset> {
    let mut rng = Rng(SEED);
    let mut out = Out {
        sql: String::with_capacity(9 << 20),
        tsv: String::with_capacity(6 << 20),
        in_statement: 0,
    };
    let mut keys = key_rows(&mut out.sql, &mut rng, org_id, first_key_id, now);
    let start_day = today - (DAYS - 1);
    let (mut last_30, mut last_365) = (Totals::default(), Totals::default());
    let mut rows = 0usize;
    for day in start_day..=today {
        let date = format_day(day);
        for key in keys.iter_mut() {
            for (model, price_in, price_out) in MODELS {
                let row = Row::random(&mut rng, price_in, price_out);
                out.usage_row(org_id, key.id, &date, model, &row, now);
                out.reference_row(key.id - first_key_id + 1, &date, model, &row);
                key.totals.add(&row);
                last_365.add(&row);
                if day > today - 30 {
                    last_30.add(&row);
                }
                rows += 1;
            }
        }
    }
    if out.in_statement > 0 {
        out.sql.push_str(";\n");
    }
    fs::write(sql, &out.sql).map_err(|e| format!("{}: {e}", sql.display()))?;
    fs::write(tsv, &out.tsv).map_err(|e| format!("{}: {e}", tsv.display()))?;
    Ok(Dataset {
        rows,
        start: format_day(start_day),
        today: format_day(today),
        first_day: start_day,
        last_day: today,
        last_30,
        last_365,
        keys,
        usage_rows: DAYS as usize * MODELS.len(),
        sql_bytes: out.sql.len(),
    })
}

/// The 5 `api_keys` rows (one INSERT).
fn key_rows(
    out: &mut String,
    rng: &mut Rng,
    org_id: i64,
    first_key_id: i64,
    now: &str,
) -> Vec<BenchKey> {
    out.push_str(
        "INSERT INTO api_keys (id, org_id, name, kind, key_ciphertext, key_nonce, key_preview, key_hash,\n\
         is_active, validation_status, created_at, updated_at) VALUES\n",
    );
    let mut keys = Vec::new();
    for k in 0..KEYS {
        let id = first_key_id + k as i64;
        let name = format!("bench-key-{}", k + 1);
        // Any 64 hex digits will do: the bench keys are never synced (no
        // ciphertext), they only own usage rows.
        let hash = format!("{:016x}", rng.next()).repeat(4);
        let sep = if k + 1 < KEYS { "," } else { ";" };
        writeln!(
            out,
            "({id}, {org_id}, '{name}', 'inference', NULL, NULL, 'sk-or-v1-…{}', '{hash}', 1, 'valid', '{now}', '{now}'){sep}",
            &hash[60..]
        )
        .ok();
        keys.push(BenchKey {
            id,
            name,
            totals: Totals::default(),
        });
    }
    keys
}

impl Row {
    fn random(rng: &mut Rng, price_in: u64, price_out: u64) -> Row {
        let requests = 1 + rng.below(60) as i64;
        let tokens_input = requests * (150 + rng.below(2_500)) as i64;
        let tokens_output = requests * (30 + rng.below(700)) as i64;
        // Prices with a random sub-unit part, so every row's cost uses all
        // 10 decimals.
        let cost = (tokens_input as u64 * price_in
            + tokens_output as u64 * price_out
            + rng.below(10_000_000_000 / 1_000)) as i64;
        Row {
            requests,
            tokens_input,
            tokens_output,
            cost,
        }
    }
}

/// The SQL and TSV being written.
struct Out {
    sql: String,
    tsv: String,
    /// Rows in the INSERT being written.
    in_statement: usize,
}

impl Out {
    fn usage_row(
        &mut self,
        org_id: i64,
        key_id: i64,
        date: &str,
        model: &str,
        row: &Row,
        now: &str,
    ) {
        if self.in_statement == 0 {
            self.sql.push_str(
                "INSERT INTO usage_stats (api_key_id, org_id, date, model, requests_count, \
                 tokens_input, tokens_output, cost, source, updated_at) VALUES\n",
            );
        } else {
            self.sql.push_str(",\n");
        }
        let Row {
            requests,
            tokens_input,
            tokens_output,
            cost,
        } = row;
        write!(
            self.sql,
            "({key_id}, {org_id}, '{date}', '{model}', {requests}, {tokens_input}, {tokens_output}, {cost}, 'activity', '{now}')"
        )
        .ok();
        self.in_statement += 1;
        if self.in_statement == ROWS_PER_INSERT {
            self.sql.push_str(";\n");
            self.in_statement = 0;
        }
    }

    fn reference_row(&mut self, key_index: i64, date: &str, model: &str, row: &Row) {
        writeln!(
            self.tsv,
            "{key_index}\t{date}\t{model}\t{}\t{}\t{}\t{}",
            row.requests,
            row.tokens_input,
            row.tokens_output,
            format_units(row.cost)
        )
        .ok();
    }
}

/// Units of 1e-10 USD as the API renders them: shortest exact decimal.
pub fn format_units(units: i64) -> String {
    let sign = if units < 0 { "-" } else { "" };
    let abs = units.unsigned_abs();
    let (int, frac) = (abs / 10_000_000_000, abs % 10_000_000_000);
    if frac == 0 {
        return format!("{sign}{int}");
    }
    let frac = format!("{frac:010}");
    format!("{sign}{int}.{}", frac.trim_end_matches('0'))
}

/// Days since 1970-01-01 (UTC) of now.
pub fn today() -> i64 {
    now_secs().div_euclid(86_400)
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// RFC 3339 UTC timestamp, as the Worker writes them.
pub fn timestamp(secs: i64) -> String {
    let (day, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_day(day),
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `YYYY-MM-DD` of a day number (days since 1970-01-01), proleptic
/// Gregorian (H. Hinnant's civil_from_days).
pub fn format_day(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_money_render_like_the_worker() {
        assert_eq!(format_day(0), "1970-01-01");
        assert_eq!(format_day(20_507), "2026-02-23");
        assert_eq!(format_day(11_016), "2000-02-29");
        assert_eq!(timestamp(1_764_102_557), "2025-11-25T20:29:17Z");
        assert_eq!(format_units(0), "0");
        assert_eq!(format_units(120_153_000_000), "12.0153");
        assert_eq!(format_units(1), "0.0000000001");
        assert_eq!(format_units(50_000_000_000), "5");
        assert_eq!(format_units(-2_500_000_000), "-0.25");
    }

    #[test]
    fn the_dataset_has_the_spec_shape() {
        let dir = std::env::temp_dir().join(format!("orw-dataset-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let (sql, tsv) = (dir.join("d.sql"), dir.join("d.tsv"));
        let data = generate(1, 1, 20_507, "2026-02-23T00:00:00Z", &sql, &tsv).unwrap();
        assert_eq!(data.rows, 73_000);
        assert_eq!(data.usage_rows, 14_600);
        assert_eq!(data.start, "2025-02-24");
        let sum: i64 = data.keys.iter().map(|k| k.totals.cost).sum();
        assert_eq!(sum, data.last_365.cost);
        let text = fs::read_to_string(&sql).unwrap();
        assert_eq!(text.matches("INSERT INTO usage_stats").count(), 365);
        fs::remove_dir_all(&dir).unwrap();
    }
}
