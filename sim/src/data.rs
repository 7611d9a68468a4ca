//! Deterministic data: the model catalogue, a small PRNG, key strings and generated
//! usage histories. Everything here is integer or `Decimal` arithmetic, so the same
//! seed gives the same keys and the same numbers on every platform.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

/// A string that is usually borrowed from the static catalogue.
pub(crate) type Str = Cow<'static, str>;

/// Money keeps at most this many fractional digits.
pub(crate) const MONEY_DP: u32 = 10;

/// SplitMix64: tiny, fast, and identical everywhere.
pub(crate) struct SplitMix64(u64);

impl SplitMix64 {
    pub(crate) fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0; the modulo bias is irrelevant here).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below(hi - lo + 1)
        }
    }

    /// True with probability `per_mille / 1000`.
    pub(crate) fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    pub(crate) fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub(crate) fn seed_from(text: &str) -> u64 {
    let digest = Sha256::digest(text.as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(bytes)
}

/// A UUID-shaped (version 5 style) identifier derived from `text`.
pub(crate) fn uuid_from(text: &str) -> String {
    let d = Sha256::digest(text.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `sk-or-v1-` + 64 lowercase hex characters, from the seed, the label and a
/// collision counter (0 unless the same label was registered before).
pub(crate) fn derive_key(seed: u64, label: &str, n: u32) -> String {
    let material = if n == 0 {
        format!("openrouter-sim key:{seed}:{label}")
    } else {
        format!("openrouter-sim key:{seed}:{label}:{n}")
    };
    format!("sk-or-v1-{}", sha256_hex(&material))
}

/// How OpenRouter shows a key in the `label` field of `/key`: `sk-or-v1-abc...xyz`.
pub(crate) fn masked_key(key: &str) -> String {
    let (prefix, rest) = match key.strip_prefix("sk-or-v1-") {
        Some(rest) => ("sk-or-v1-", rest),
        None => ("", key),
    };
    let chars: Vec<char> = rest.chars().collect();
    if chars.len() <= 6 {
        return format!("{prefix}{rest}");
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 3..].iter().collect();
    format!("{prefix}{head}...{tail}")
}

pub(crate) struct ProviderSpec {
    pub(crate) name: &'static str,
    pub(crate) endpoint_id: String,
    /// Price multiplier of this provider relative to the model's list price.
    pub(crate) factor: Decimal,
}

pub(crate) struct ModelSpec {
    pub(crate) slug: &'static str,
    pub(crate) permaslug: &'static str,
    /// USD per prompt token.
    pub(crate) input: Decimal,
    /// USD per completion token (reasoning tokens are part of the completion).
    pub(crate) output: Decimal,
    pub(crate) reasoning: bool,
    pub(crate) providers: Vec<ProviderSpec>,
}

/// (slug, permaslug, USD per million prompt tokens as (mantissa, scale),
///  USD per million completion tokens, reasoning model, providers)
type Row = (
    &'static str,
    &'static str,
    (i64, u32),
    (i64, u32),
    bool,
    &'static [&'static str],
);

const MODELS: &[Row] = &[
    (
        "openai/gpt-4o",
        "openai/gpt-4o-2024-08-06",
        (25, 1),
        (10, 0),
        false,
        &["OpenAI", "Azure"],
    ),
    (
        "openai/gpt-4o-mini",
        "openai/gpt-4o-mini-2024-07-18",
        (15, 2),
        (6, 1),
        false,
        &["OpenAI", "Azure"],
    ),
    (
        "openai/o3-mini",
        "openai/o3-mini-2025-01-31",
        (11, 1),
        (44, 1),
        true,
        &["OpenAI", "Azure"],
    ),
    (
        "anthropic/claude-3.5-sonnet",
        "anthropic/claude-3.5-sonnet-20241022",
        (3, 0),
        (15, 0),
        false,
        &["Anthropic", "Google Vertex", "Amazon Bedrock"],
    ),
    (
        "anthropic/claude-3.5-haiku",
        "anthropic/claude-3-5-haiku-20241022",
        (8, 1),
        (4, 0),
        false,
        &["Anthropic", "Amazon Bedrock", "Google Vertex"],
    ),
    (
        "google/gemini-2.0-flash-001",
        "google/gemini-2.0-flash-001",
        (1, 1),
        (4, 1),
        false,
        &["Google Vertex", "Google AI Studio"],
    ),
    (
        "google/gemini-2.0-flash-exp:free",
        "google/gemini-2.0-flash-exp",
        (0, 0),
        (0, 0),
        false,
        &["Google AI Studio"],
    ),
    (
        "meta-llama/llama-3.3-70b-instruct",
        "meta-llama/llama-3.3-70b-instruct",
        (12, 2),
        (3, 1),
        false,
        &["DeepInfra", "Together", "Fireworks", "Groq"],
    ),
    (
        "mistralai/mistral-large",
        "mistralai/mistral-large-2411",
        (2, 0),
        (6, 0),
        false,
        &["Mistral"],
    ),
    (
        "deepseek/deepseek-chat",
        "deepseek/deepseek-chat-v3",
        (27, 2),
        (11, 1),
        false,
        &["DeepSeek", "DeepInfra", "Fireworks"],
    ),
    (
        "deepseek/deepseek-r1",
        "deepseek/deepseek-r1",
        (55, 2),
        (219, 2),
        true,
        &["DeepSeek", "Together", "Fireworks"],
    ),
    (
        "qwen/qwen-2.5-72b-instruct",
        "qwen/qwen-2.5-72b-instruct",
        (13, 2),
        (4, 1),
        false,
        &["DeepInfra", "Together"],
    ),
    (
        "x-ai/grok-2-1212",
        "x-ai/grok-2-1212",
        (2, 0),
        (10, 0),
        false,
        &["xAI"],
    ),
];

/// Provider price multipliers by position in a model's provider list.
const FACTORS: [(i64, u32); 4] = [(1, 0), (10375, 4), (9725, 4), (10150, 4)];

pub(crate) static CATALOGUE: LazyLock<Vec<ModelSpec>> = LazyLock::new(|| {
    let per_token = Decimal::from(1_000_000u32);
    MODELS
        .iter()
        .map(
            |&(slug, permaslug, input, output, reasoning, providers)| ModelSpec {
                slug,
                permaslug,
                input: Decimal::new(input.0, input.1) / per_token,
                output: Decimal::new(output.0, output.1) / per_token,
                reasoning,
                providers: providers
                    .iter()
                    .enumerate()
                    .map(|(i, &name)| {
                        let (m, s) = FACTORS[i % FACTORS.len()];
                        ProviderSpec {
                            name,
                            endpoint_id: endpoint_id_for(permaslug, name),
                            factor: Decimal::new(m, s),
                        }
                    })
                    .collect(),
            },
        )
        .collect()
});

pub(crate) fn endpoint_id_for(permaslug: &str, provider: &str) -> String {
    uuid_from(&format!("openrouter-sim endpoint:{permaslug}:{provider}"))
}

pub(crate) fn find_model(slug: &str) -> Option<&'static ModelSpec> {
    CATALOGUE.iter().find(|m| m.slug == slug)
}

/// One activity record: what one endpoint served for one key on one UTC day.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) date: NaiveDate,
    pub(crate) model: Str,
    pub(crate) permaslug: Str,
    pub(crate) provider: Str,
    pub(crate) endpoint_id: Str,
    pub(crate) requests: u64,
    pub(crate) prompt_tokens: u64,
    pub(crate) completion_tokens: u64,
    pub(crate) reasoning_tokens: u64,
    pub(crate) usage: Decimal,
    pub(crate) byok_usage_inference: Decimal,
}

struct Lane {
    model: &'static ModelSpec,
    providers: Vec<(
        &'static ProviderSpec,
        u64,  /*weight*/
        bool, /*byok*/
    )>,
    base_requests: u64,
}

/// Generates `days` days of records ending `today` (inclusive), oldest first.
pub(crate) fn generate_history(rng_seed: u64, today: NaiveDate, days: u32) -> Vec<Record> {
    let mut rng = SplitMix64::new(rng_seed);
    let catalogue: &'static [ModelSpec] = &CATALOGUE;

    // 2..=6 models; the first one always has several providers, so per-endpoint rows
    // of one model on one day occur for every generated key.
    let n_models = rng.range(2, 6) as usize;
    let multi: Vec<usize> = (0..catalogue.len())
        .filter(|&i| catalogue[i].providers.len() >= 2)
        .collect();
    let first = multi[rng.below(multi.len() as u64) as usize];
    let mut others: Vec<usize> = (0..catalogue.len()).filter(|&i| i != first).collect();
    rng.shuffle(&mut others);
    let mut chosen = vec![first];
    chosen.extend(others.into_iter().take(n_models - 1));

    let lanes: Vec<Lane> = chosen
        .iter()
        .enumerate()
        .map(|(pos, &idx)| {
            let model = &catalogue[idx];
            let max = model.providers.len().min(3) as u64;
            let n = if pos == 0 {
                rng.range(2, max)
            } else {
                rng.range(1, max)
            } as usize;
            let mut order: Vec<usize> = (0..model.providers.len()).collect();
            rng.shuffle(&mut order);
            let providers = order
                .into_iter()
                .take(n)
                .enumerate()
                .map(|(rank, p)| {
                    let weight = if rank == 0 {
                        rng.range(50, 90)
                    } else {
                        rng.range(10, 40)
                    };
                    let byok = !model.slug.ends_with(":free") && rng.chance(100);
                    (&model.providers[p], weight, byok)
                })
                .collect();
            Lane {
                model,
                providers,
                base_requests: rng.range(3, 120),
            }
        })
        .collect();

    let mut out = Vec::new();
    let fee = Decimal::new(5, 2);
    for back in (0..days).rev() {
        let Some(date) = today.checked_sub_days(Days::new(u64::from(back))) else {
            continue;
        };
        if !rng.chance(800) {
            continue; // a day without any usage
        }
        for lane in &lanes {
            if !rng.chance(700) {
                continue;
            }
            let total = (lane.base_requests * rng.range(40, 160) / 100).max(1);
            let weight_sum: u64 = lane.providers.iter().map(|p| p.1).sum::<u64>().max(1);
            for (rank, &(provider, weight, byok)) in lane.providers.iter().enumerate() {
                if rank > 0 && !rng.chance(850) {
                    continue;
                }
                let requests = (total * weight / weight_sum).max(1);
                let prompt_tokens = requests * rng.range(150, 4000);
                let reasoning_tokens = if lane.model.reasoning {
                    requests * rng.range(100, 2500)
                } else {
                    0
                };
                let completion_tokens = requests * rng.range(30, 1200) + reasoning_tokens;
                let cost = ((Decimal::from(prompt_tokens) * lane.model.input
                    + Decimal::from(completion_tokens) * lane.model.output)
                    * provider.factor)
                    .round_dp(MONEY_DP)
                    .normalize();
                let (usage, byok_usage_inference) = if byok {
                    ((cost * fee).round_dp(MONEY_DP).normalize(), cost)
                } else {
                    (cost, Decimal::ZERO)
                };
                out.push(Record {
                    date,
                    model: Cow::Borrowed(lane.model.slug),
                    permaslug: Cow::Borrowed(lane.model.permaslug),
                    provider: Cow::Borrowed(provider.name),
                    endpoint_id: Cow::Borrowed(provider.endpoint_id.as_str()),
                    requests,
                    prompt_tokens,
                    completion_tokens,
                    reasoning_tokens,
                    usage,
                    byok_usage_inference,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_stable() {
        let mut r = SplitMix64::new(0);
        // Reference outputs of SplitMix64 seeded with 0.
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn keys_and_masks() {
        let k = derive_key(42, "alice", 0);
        assert!(k.starts_with("sk-or-v1-"));
        assert_eq!(k.len(), 9 + 64);
        assert!(k[9..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_eq!(k, derive_key(42, "alice", 0));
        assert_ne!(k, derive_key(42, "alice", 1));
        assert_ne!(k, derive_key(43, "alice", 0));
        let m = masked_key(&k);
        assert_eq!(m.len(), 9 + 3 + 3 + 3);
        assert!(m.contains("..."));
    }

    #[test]
    fn history_has_multi_endpoint_days_and_bounded_scale() {
        let today = NaiveDate::from_ymd_opt(2025, 3, 15).unwrap_or_default();
        let recs = generate_history(7, today, 40);
        assert!(!recs.is_empty());
        let oldest = today - Days::new(39);
        assert!(recs.iter().all(|r| r.date >= oldest && r.date <= today));
        assert!(recs.iter().all(|r| r.usage.scale() <= MONEY_DP));
        let mut multi = false;
        for r in &recs {
            if recs
                .iter()
                .any(|o| o.date == r.date && o.model == r.model && o.endpoint_id != r.endpoint_id)
            {
                multi = true;
            }
        }
        assert!(multi);
    }
}
