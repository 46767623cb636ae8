//! Pricing: token kinds, per-model rates, and turning usage into money.
//!
//! This layer never sees how usage was made. Rates are stored in USD per token (the scenario
//! writes USD per million tokens); a trial's list-price cost is the dot product of its token
//! counts with the rates of the model that consumed them, plus, for calls whose prompt passed a
//! prompt-length threshold ([`PromptTier`]), the difference between the tier's rates and the
//! base rates on the tokens of those calls (the whole request is repriced, as Anthropic and
//! Google bill prompts above 200K tokens).

pub mod catalog;
pub mod litellm;
mod period;
mod priced_tasks;
pub mod scheme;
mod tiers;

use serde::Serialize;

pub use catalog::{CatalogEntry, CatalogError, PriceCatalog, RateSet};
pub use period::{PeriodUsage, RateCard};
pub use priced_tasks::{PricedTasks, TaskListCost, TaskWeightedTokens};
pub use tiers::{PromptTier, tier_of};

use crate::workflow::{TrialUsage, count_as_f64};

/// The kinds of token a provider bills separately.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Prompt tokens billed at the plain input rate (not cached).
    Input,
    /// Prompt tokens written to the prefix cache (5-minute TTL price).
    CacheWrite,
    /// Prompt tokens written to the prefix cache at the 1-hour TTL price.
    CacheWrite1h,
    /// Prompt tokens read from the prefix cache.
    CacheRead,
    /// Generated tokens that join the context.
    Output,
    /// Reasoning (thinking) tokens: billed as output, not kept in the context.
    Reasoning,
}

impl TokenKind {
    /// Every kind, in the order usage arrays store them.
    pub const ALL: [TokenKind; 6] = [
        TokenKind::Input,
        TokenKind::CacheWrite,
        TokenKind::CacheWrite1h,
        TokenKind::CacheRead,
        TokenKind::Output,
        TokenKind::Reasoning,
    ];

    /// Number of kinds.
    pub const COUNT: usize = 6;

    /// Position in usage arrays.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The snake_case name used in files.
    pub const fn name(self) -> &'static str {
        match self {
            TokenKind::Input => "input",
            TokenKind::CacheWrite => "cache_write",
            TokenKind::CacheWrite1h => "cache_write_1h",
            TokenKind::CacheRead => "cache_read",
            TokenKind::Output => "output",
            TokenKind::Reasoning => "reasoning",
        }
    }
}

/// One model's list prices in USD per million tokens, one per [`TokenKind`], with its
/// prompt-length tiers and batch rates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelPrices {
    /// USD per million tokens, indexed by [`TokenKind::index`]: the rates of calls whose
    /// prompt passes no tier threshold.
    pub per_mtok: [f64; TokenKind::COUNT],
    /// Prompt-length tiers, thresholds strictly ascending (empty: one rate for every prompt).
    pub tiers: Vec<PromptTier>,
    /// Batch-API rates in USD per million tokens by kind, when the provider offers batch
    /// processing (`None`: no batch rates known).
    pub batch_per_mtok: Option<[f64; TokenKind::COUNT]>,
}

impl ModelPrices {
    /// Prices from the four rates every provider states; the 1-hour cache write defaults to
    /// twice the input rate and reasoning to the output rate.
    pub fn new(input: f64, output: f64, cache_write: f64, cache_read: f64) -> Self {
        let mut per_mtok = [0.0; TokenKind::COUNT];
        per_mtok[TokenKind::Input.index()] = input;
        per_mtok[TokenKind::Output.index()] = output;
        per_mtok[TokenKind::CacheWrite.index()] = cache_write;
        per_mtok[TokenKind::CacheWrite1h.index()] = 2.0 * input;
        per_mtok[TokenKind::CacheRead.index()] = cache_read;
        per_mtok[TokenKind::Reasoning.index()] = output;
        ModelPrices {
            per_mtok,
            tiers: Vec::new(),
            batch_per_mtok: None,
        }
    }

    /// The prompt-token thresholds of the tiers, ascending: a call whose prompt has more tokens
    /// than `thresholds[t]` is billed at tier `t + 1` (tier 0 is the base rates).
    pub fn tier_thresholds(&self) -> Vec<u64> {
        self.tiers.iter().map(|t| t.above_prompt_tokens).collect()
    }

    /// USD per million tokens of one kind at a tier (0 = base rates).
    pub fn tier_rate(&self, tier: usize, kind: TokenKind) -> f64 {
        match tier {
            0 => self.rate(kind),
            t => self.tiers[t - 1].per_mtok[kind.index()],
        }
    }

    /// Multiplies every rate (base, tiers, batch) by `factor`.
    pub fn scaled(&self, factor: f64) -> ModelPrices {
        let scale = |a: &[f64; TokenKind::COUNT]| a.map(|r| r * factor);
        ModelPrices {
            per_mtok: scale(&self.per_mtok),
            tiers: self
                .tiers
                .iter()
                .map(|t| PromptTier {
                    above_prompt_tokens: t.above_prompt_tokens,
                    per_mtok: scale(&t.per_mtok),
                })
                .collect(),
            batch_per_mtok: self.batch_per_mtok.as_ref().map(scale),
        }
    }

    /// The rate of one kind in USD per million tokens.
    pub fn rate(&self, kind: TokenKind) -> f64 {
        self.per_mtok[kind.index()]
    }

    /// Sets the rate of one kind in USD per million tokens.
    pub fn set_rate(&mut self, kind: TokenKind, usd_per_mtok: f64) {
        self.per_mtok[kind.index()] = usd_per_mtok;
    }
}

/// List prices of every model of a scenario, flattened for the hot loop.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceTable {
    /// USD per token, `[model * TokenKind::COUNT + kind]`.
    per_token: Vec<f64>,
    /// Per model, per tier above the base: the tier's USD per token minus the base's, by kind.
    tier_surcharge: Vec<Vec<[f64; TokenKind::COUNT]>>,
}

impl PriceTable {
    /// Builds the table from per-model prices, in model index order.
    pub fn new(models: &[ModelPrices]) -> Self {
        let per_token = models
            .iter()
            .flat_map(|m| m.per_mtok.iter().map(|p| p / 1e6))
            .collect();
        let tier_surcharge = models
            .iter()
            .map(|m| {
                m.tiers
                    .iter()
                    .map(|t| std::array::from_fn(|k| t.per_mtok[k] / 1e6 - m.per_mtok[k] / 1e6))
                    .collect()
            })
            .collect();
        PriceTable {
            per_token,
            tier_surcharge,
        }
    }

    /// The list-price cost in USD of one (phase, model) cell of a trial's usage, tiers
    /// included.
    #[inline]
    pub fn cell_cost(&self, usage: &TrialUsage, phase: usize, model: usize) -> f64 {
        let mut total = self.cost_array(model, usage.cell_array(phase, model));
        for (t, surcharge) in self.tier_surcharge[model].iter().enumerate() {
            if t + 1 >= usage.tier_count() {
                break;
            }
            let tokens = usage.tier_cell(phase, model, t + 1);
            for k in 0..TokenKind::COUNT {
                total += tokens[k] as f64 * surcharge[k];
            }
        }
        total
    }

    /// Number of models priced.
    pub fn model_count(&self) -> usize {
        self.per_token.len() / TokenKind::COUNT
    }

    /// USD per token for one model and kind.
    #[inline]
    pub fn per_token(&self, model: usize, kind: TokenKind) -> f64 {
        self.per_token[model * TokenKind::COUNT + kind.index()]
    }

    /// The list-price cost in USD of one model's token counts (indexed by [`TokenKind::index`]).
    #[inline]
    pub fn cost(&self, model: usize, tokens: &[u64]) -> f64 {
        let rates = &self.per_token[model * TokenKind::COUNT..(model + 1) * TokenKind::COUNT];
        tokens.iter().zip(rates).map(|(&t, &r)| t as f64 * r).sum()
    }
}

impl PriceTable {
    /// The list-price cost in USD of a whole trial's usage.
    pub fn trial_cost(&self, usage: &TrialUsage) -> f64 {
        let mut total = 0.0;
        for p in 0..usage.phase_count() {
            for m in 0..usage.model_count() {
                total += self.cell_cost(usage, p, m);
            }
        }
        total
    }

    /// [`PriceTable::cost`] for a fixed-size cell at base rates (no bounds checks in the
    /// product); [`PriceTable::cell_cost`] adds the tier surcharges.
    #[inline]
    pub fn cost_array(&self, model: usize, tokens: &[u64; TokenKind::COUNT]) -> f64 {
        self.cost_of_counts(model, &tokens.map(count_as_f64))
    }

    /// [`PriceTable::cost_array`] of counts already converted to doubles (exact integers).
    #[inline]
    pub fn cost_of_counts(&self, model: usize, tokens: &[f64; TokenKind::COUNT]) -> f64 {
        let start = model * TokenKind::COUNT;
        let rates: &[f64; TokenKind::COUNT] = self.per_token[start..start + TokenKind::COUNT]
            .try_into()
            .expect("one rate per kind");
        let mut total = 0.0;
        for k in 0..TokenKind::COUNT {
            total += tokens[k] * rates[k];
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_tokens_times_rate_per_million() {
        let table = PriceTable::new(&[ModelPrices::new(3.0, 15.0, 3.75, 0.30)]);
        let mut tokens = [0u64; TokenKind::COUNT];
        tokens[TokenKind::Output.index()] = 1_000_000;
        tokens[TokenKind::CacheRead.index()] = 2_000_000;
        tokens[TokenKind::Reasoning.index()] = 100_000;
        let cost = table.cost(0, &tokens);
        assert!((cost - (15.0 + 0.60 + 1.5)).abs() < 1e-12, "{cost}");
    }

    #[test]
    fn defaults_follow_provider_conventions() {
        let p = ModelPrices::new(3.0, 15.0, 3.75, 0.30);
        assert_eq!(p.rate(TokenKind::Reasoning), 15.0);
        assert_eq!(p.rate(TokenKind::CacheWrite1h), 6.0);
    }
}
