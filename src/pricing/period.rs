//! A period's usage (e.g. a month of a team's work) and the per-token rates that price it.
//!
//! Billing schemes that depend on volume and time (seats, commitment, compute hours, metering
//! per hour) need more than one task's usage: they need every task of the period, who ran it
//! (the seat) and when (the metering slot, one hour by default). [`PeriodUsage`] holds exactly
//! that, as integers, in the order the tasks started; [`RateCard`] holds the list and batch
//! rates per (model, tier, kind) that turn a task's counts into dollars.

use std::sync::Arc;

use super::priced_tasks::{PricedTasks, TaskListCost, TaskWeightedTokens};
use super::{ModelPrices, TokenKind};
use crate::workflow::TrialUsage;

const K: usize = TokenKind::COUNT;

/// Every task of one period: its seat, its metering slot, its calls and its token counts by
/// (model, price tier, kind). Tasks must be added in the order they start. A period either
/// holds its tasks' counts itself, or refers to tasks of one pool ([`PricedTasks`]) by index
/// ([`PeriodUsage::clear_for_pool`]); the accessors read both alike.
#[derive(Debug, Clone, PartialEq)]
pub struct PeriodUsage {
    models: usize,
    tiers: usize,
    seats: u32,
    slots: u32,
    task_seat: Vec<u32>,
    task_slot: Vec<u32>,
    task_calls: Vec<u64>,
    /// `[(task * models + model) * tiers + tier) * K + kind]`.
    task_tokens: Vec<u64>,
    /// The pool the tasks are drawn from (then `task_calls` and `task_tokens` stay empty).
    pool: Option<Arc<PricedTasks>>,
    /// Each task's index into `pool`.
    task_index: Vec<u32>,
}

impl PeriodUsage {
    /// An empty period of `seats` seats and `slots` metering slots, for usage of `models`
    /// models with `tiers` price tiers (the base included; at least 1).
    pub fn new(models: usize, tiers: usize, seats: u32, slots: u32) -> Self {
        PeriodUsage {
            models,
            tiers: tiers.max(1),
            seats,
            slots: slots.max(1),
            task_seat: Vec::new(),
            task_slot: Vec::new(),
            task_calls: Vec::new(),
            task_tokens: Vec::new(),
            pool: None,
            task_index: Vec::new(),
        }
    }

    /// Empties the period for reuse (keeps its shape and allocations).
    pub fn clear(&mut self) {
        self.task_seat.clear();
        self.task_slot.clear();
        self.task_calls.clear();
        self.task_tokens.clear();
        self.task_index.clear();
        self.pool = None;
    }

    /// Empties the period for tasks drawn from `pool` ([`Self::add_pooled_task`]).
    pub fn clear_for_pool(&mut self, pool: &Arc<PricedTasks>) {
        assert_eq!(
            (pool.model_count(), pool.tier_count()),
            (self.models, self.tiers),
            "the pool's tasks have the period's models and tiers"
        );
        self.clear();
        self.pool = Some(Arc::clone(pool));
    }

    /// Adds task `index` of the pool set by [`Self::clear_for_pool`]. Seats and slots past
    /// the period's are clamped to the last one.
    pub fn add_pooled_task(&mut self, seat: u32, slot: u32, index: u32) {
        debug_assert!(
            self.pool
                .as_ref()
                .is_some_and(|p| (index as usize) < p.len())
        );
        self.task_seat.push(seat.min(self.seats.saturating_sub(1)));
        self.task_slot.push(slot.min(self.slots - 1));
        self.task_index.push(index);
    }

    /// Each task's list-price cost under `rates`: cached when the period's pool was priced
    /// with the same rates (bit-identical to [`RateCard::list_cost`] of its counts).
    pub fn list_costs<'a>(&'a self, rates: &'a RateCard) -> TaskListCost<'a> {
        match &self.pool {
            Some(pool) if pool.priced_by(rates) => {
                TaskListCost::Cached(pool.list_usd(), &self.task_index)
            }
            _ => TaskListCost::Computed(self, rates),
        }
    }

    /// Each task's capacity tokens at `output_weight` (prompt tokens count 1, output and
    /// reasoning `output_weight`): cached when the period's pool has that weight.
    pub fn weighted_tokens(&self, output_weight: f64) -> TaskWeightedTokens<'_> {
        match self
            .pool
            .as_ref()
            .and_then(|p| p.weighted_at(output_weight))
        {
            Some(w) => TaskWeightedTokens::Cached(w, &self.task_index),
            None => TaskWeightedTokens::Computed(self, output_weight),
        }
    }

    /// Number of counts one task holds: models × tiers × kinds.
    pub fn cell_width(&self) -> usize {
        self.models * self.tiers * K
    }

    /// Adds one task from its counts by (model, tier, kind) (length [`Self::cell_width`]).
    /// Seats and slots past the period's are clamped to the last one.
    pub fn add_task_counts(&mut self, seat: u32, slot: u32, calls: u64, tokens: &[u64]) {
        assert!(
            self.pool.is_none(),
            "a period drawn from a pool takes pooled tasks"
        );
        assert_eq!(
            tokens.len(),
            self.cell_width(),
            "one count per model, tier and kind"
        );
        self.task_seat.push(seat.min(self.seats.saturating_sub(1)));
        self.task_slot.push(slot.min(self.slots - 1));
        self.task_calls.push(calls);
        self.task_tokens.extend_from_slice(tokens);
    }

    /// Adds one task from a trial's usage (its phases summed; tiers split as counted).
    pub fn add_task(&mut self, seat: u32, slot: u32, usage: &TrialUsage) {
        assert!(
            self.pool.is_none(),
            "a period drawn from a pool takes pooled tasks"
        );
        let start = self.task_tokens.len();
        self.task_tokens.resize(start + self.cell_width(), 0);
        let tiers = self.tiers;
        for p in 0..usage.phase_count() {
            for m in 0..usage.model_count().min(self.models) {
                let all = usage.cell_array(p, m);
                let mut base = *all;
                for t in 1..usage.tier_count().min(tiers) {
                    let tier = usage.tier_cell(p, m, t);
                    let at = start + (m * tiers + t) * K;
                    for k in 0..K {
                        self.task_tokens[at + k] += tier[k];
                        base[k] -= tier[k];
                    }
                }
                let at = start + m * tiers * K;
                for (slot, n) in self.task_tokens[at..at + K].iter_mut().zip(base) {
                    *slot += n;
                }
            }
        }
        self.task_seat.push(seat.min(self.seats.saturating_sub(1)));
        self.task_slot.push(slot.min(self.slots - 1));
        self.task_calls.push(usage.total_calls());
    }

    /// Number of tasks.
    pub fn task_count(&self) -> usize {
        self.task_seat.len()
    }

    /// Seats of the period.
    pub fn seats(&self) -> u32 {
        self.seats
    }

    /// Metering slots of the period.
    pub fn slots(&self) -> u32 {
        self.slots
    }

    /// Models counted.
    pub fn model_count(&self) -> usize {
        self.models
    }

    /// Price tiers counted (the base included).
    pub fn tier_count(&self) -> usize {
        self.tiers
    }

    /// The seat of task `i`.
    pub fn task_seat(&self, i: usize) -> u32 {
        self.task_seat[i]
    }

    /// The metering slot task `i` started in.
    pub fn task_slot(&self, i: usize) -> u32 {
        self.task_slot[i]
    }

    /// The calls of task `i`.
    pub fn task_calls(&self, i: usize) -> u64 {
        match &self.pool {
            Some(pool) => pool.calls(self.task_index[i] as usize),
            None => self.task_calls[i],
        }
    }

    /// Token counts of task `i` by (model, tier, kind).
    pub fn task_tokens(&self, i: usize) -> &[u64] {
        match &self.pool {
            Some(pool) => pool.tokens(self.task_index[i] as usize),
            None => {
                let w = self.cell_width();
                &self.task_tokens[i * w..(i + 1) * w]
            }
        }
    }

    /// Every token of task `i`, all kinds.
    pub fn task_token_total(&self, i: usize) -> u64 {
        match &self.pool {
            Some(pool) => pool.token_total(self.task_index[i] as usize),
            None => self.task_tokens(i).iter().sum(),
        }
    }

    /// Tokens of one kind over the whole period.
    pub fn total_tokens(&self, kind: TokenKind) -> u64 {
        (0..self.task_count())
            .flat_map(|i| self.task_tokens(i).chunks_exact(K))
            .map(|cell| cell[kind.index()])
            .sum()
    }
}

/// Per-token rates by (model, tier, kind): list prices and, where the provider has them,
/// batch prices.
#[derive(Debug, Clone, PartialEq)]
pub struct RateCard {
    tiers: usize,
    /// USD per token, `[(model * tiers + tier) * K + kind]`.
    list: Vec<f64>,
    /// Batch USD per token in the same layout; `None` for models without batch rates.
    batch: Vec<Option<[f64; K]>>,
}

impl RateCard {
    /// The rates of `models` (in model index order) for usage counted with `tiers` tiers.
    /// A tier a model does not have is priced at its highest tier (it never holds tokens).
    pub fn new(models: &[ModelPrices], tiers: usize) -> Self {
        let tiers = tiers.max(1);
        let mut list = Vec::with_capacity(models.len() * tiers * K);
        let mut batch = Vec::with_capacity(models.len() * tiers);
        for m in models {
            for t in 0..tiers {
                let t = t.min(m.tiers.len());
                list.extend((0..K).map(|k| m.tier_rate(t, TokenKind::ALL[k]) / 1e6));
                // Batch rates are per model; a tier scales them by the tier's list ratio only
                // if the provider states tiered batch rates, which none in the catalog does:
                // batch applies the base batch rates.
                batch.push(m.batch_per_mtok.map(|b| b.map(|r| r / 1e6)));
            }
        }
        RateCard { tiers, list, batch }
    }

    /// Whether every model has batch rates.
    pub fn has_batch(&self) -> bool {
        self.batch.iter().all(Option::is_some)
    }

    /// The list-price cost in USD of one task's counts (layout of [`PeriodUsage::task_tokens`]).
    pub fn list_cost(&self, tokens: &[u64]) -> f64 {
        tokens
            .iter()
            .zip(&self.list)
            .map(|(&n, &r)| n as f64 * r)
            .sum()
    }

    /// The batch-price cost in USD of one task's counts; models without batch rates are billed
    /// at list price.
    pub fn batch_cost(&self, tokens: &[u64]) -> f64 {
        let mut total = 0.0;
        for (cell_index, cell) in tokens.chunks_exact(K).enumerate() {
            let rates: &[f64] = match &self.batch[cell_index] {
                Some(b) => b,
                None => &self.list[cell_index * K..(cell_index + 1) * K],
            };
            total += cell
                .iter()
                .zip(rates)
                .map(|(&n, &r)| n as f64 * r)
                .sum::<f64>();
        }
        total
    }

    /// Tiers the card was built for.
    pub fn tier_count(&self) -> usize {
        self.tiers
    }
}
