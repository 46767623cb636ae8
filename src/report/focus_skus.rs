//! The SKUs of the FOCUS export: a task kind's usage split by model and token kind
//! (`claude-sonnet-4-5/cache_read`), with the AI properties of the FOCUS 1.5 draft in
//! `SkuPriceDetails` (`ModelId`, `ModelDeveloper`, `TokenDirection`, `TokenCacheAction`).
//!
//! **The split.** Each task kind's pool keeps, per model, the mean tokens per task of each token
//! kind and their mean list cost ([`crate::forecast::pool::ModelMeans`]). A kind's usage in a
//! month (billed, covered, list, tokens: whatever [`super::focus_charges`] gives) is shared among
//! its SKUs in fixed proportions: money by the SKU's share of the kind's mean list cost per
//! task, tokens by its share of the kind's mean tokens per task. The shares of a kind add up to
//! 1, so its SKU rows add up to its usage; and since the month's means are linear in the kind's
//! streamed means, the SKU means need no accumulator of their own (memory stays flat in trials).
//! A SKU's list cost per million tokens is then its model's list rate for that token kind
//! (with price drift, the month's drifted rate).

use crate::forecast::Forecast;
use crate::pricing::TokenKind;

/// One SKU of a task kind: a model and a token kind, and the kind's shares going to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sku {
    /// `SkuId` and `SkuPriceId`: `<model>/<token kind>`.
    pub id: String,
    /// `SkuMeter`: the token kind in words (`Cache read tokens`).
    pub meter: &'static str,
    /// `SkuPriceDetails`: a JSON object of the FOCUS 1.5 draft's AI properties.
    pub details: String,
    /// Share of the task kind's money (list cost, bill, amortised cost).
    pub cost_share: f64,
    /// Share of the task kind's tokens.
    pub token_share: f64,
}

/// `SkuMeter` of a token kind.
pub fn meter(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Input => "Input tokens",
        TokenKind::CacheWrite => "Cache write tokens",
        TokenKind::CacheWrite1h => "Cache write tokens (1 hour)",
        TokenKind::CacheRead => "Cache read tokens",
        TokenKind::Output => "Output tokens",
        TokenKind::Reasoning => "Reasoning tokens",
    }
}

/// The FOCUS 1.5 draft's `TokenDirection` (reasoning is output) and `TokenCacheAction`.
pub fn direction_and_cache(kind: TokenKind) -> (&'static str, &'static str) {
    match kind {
        TokenKind::Input => ("Input", "Uncached"),
        TokenKind::CacheWrite | TokenKind::CacheWrite1h => ("Input", "Write"),
        TokenKind::CacheRead => ("Input", "Read"),
        TokenKind::Output | TokenKind::Reasoning => ("Output", "Uncached"),
    }
}

/// Who developed a model, from its catalog name (`claude-…` Anthropic, `gpt-…`/`o1…` OpenAI,
/// `gemini-…` Google, …); `fallback` (the forecast's publisher) for other names.
pub fn model_developer(model_id: &str, fallback: &str) -> String {
    let id = model_id.to_ascii_lowercase();
    let id = id.rsplit('/').next().unwrap_or(&id);
    let known = [
        ("claude", "Anthropic"),
        ("gpt-", "OpenAI"),
        ("o1", "OpenAI"),
        ("o3", "OpenAI"),
        ("o4", "OpenAI"),
        ("codex", "OpenAI"),
        ("gemini", "Google"),
        ("llama", "Meta"),
        ("mistral", "Mistral AI"),
        ("codestral", "Mistral AI"),
        ("deepseek", "DeepSeek"),
        ("grok", "xAI"),
        ("qwen", "Alibaba"),
    ];
    known
        .iter()
        .find(|(prefix, _)| id.starts_with(prefix))
        .map_or_else(|| fallback.to_string(), |(_, who)| who.to_string())
}

/// A JSON string literal.
fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The SKUs of task kind `k`, in model order then token-kind order, those with a share of its
/// money or tokens. A kind whose pool keeps no per-model usage is one SKU named after the kind.
pub fn kind_skus(f: &Forecast, k: usize, publisher: &str) -> Vec<Sku> {
    let task = &f.model.tasks[k];
    let models = &task.pool.models;
    let cost_total: f64 = models.iter().flat_map(|m| m.cost_by_kind).sum();
    let token_total: f64 = models.iter().flat_map(|m| m.tokens).sum();
    let mut out = Vec::new();
    if token_total > 0.0 {
        for m in models {
            let developer = model_developer(&m.id, publisher);
            for kind in TokenKind::ALL {
                let (cost, tokens) = (m.cost_by_kind[kind.index()], m.tokens[kind.index()]);
                let token_share = tokens / token_total;
                // A model billed nothing shares money by tokens.
                let cost_share = if cost_total > 0.0 {
                    cost / cost_total
                } else {
                    token_share
                };
                if cost_share <= 0.0 && token_share <= 0.0 {
                    continue;
                }
                let (direction, cache) = direction_and_cache(kind);
                out.push(Sku {
                    id: format!("{}/{}", m.id, kind.name()),
                    meter: meter(kind),
                    details: format!(
                        "{{\"ModelId\":{},\"ModelDeveloper\":{},\"TokenDirection\":\"{direction}\",\
                         \"TokenCacheAction\":\"{cache}\"}}",
                        json_string(&m.id),
                        json_string(&developer),
                    ),
                    cost_share,
                    token_share,
                });
            }
        }
    }
    if out.is_empty() {
        out.push(Sku {
            id: format!("{}/tokens", task.name),
            meter: "Tokens",
            details: format!("{{\"x_TaskKind\":{}}}", json_string(&task.name)),
            cost_share: 1.0,
            token_share: 1.0,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasoning_is_output_and_cache_actions_follow_the_kind() {
        assert_eq!(
            direction_and_cache(TokenKind::Reasoning),
            ("Output", "Uncached")
        );
        assert_eq!(direction_and_cache(TokenKind::CacheRead), ("Input", "Read"));
        assert_eq!(
            direction_and_cache(TokenKind::CacheWrite1h),
            ("Input", "Write")
        );
        assert_eq!(direction_and_cache(TokenKind::Input), ("Input", "Uncached"));
    }

    #[test]
    fn developers_come_from_the_model_name() {
        assert_eq!(model_developer("claude-sonnet-4-5", "x"), "Anthropic");
        assert_eq!(model_developer("bedrock/claude-opus-4-5", "x"), "Anthropic");
        assert_eq!(model_developer("gpt-5-mini", "x"), "OpenAI");
        assert_eq!(model_developer("gemini-2.5-pro", "x"), "Google");
        assert_eq!(model_developer("sonnet", "Acme"), "Acme");
    }
}
