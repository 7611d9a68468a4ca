//! The model catalogue: slugs, permaslugs, list prices and the providers serving each.

use std::sync::LazyLock;

use rust_decimal::Decimal;

use super::ids::uuid_from;

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
