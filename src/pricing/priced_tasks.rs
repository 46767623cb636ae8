//! A table of tasks' counts with each task's list-price cost worked out once under one
//! [`RateCard`]: what a [`PeriodUsage`] drawn from a pool refers to by index instead of
//! copying every task's counts (`compare`'s pooled periods, see `engine::compare`).
//!
//! The cached cost of a task is exactly [`RateCard::list_cost`] of its counts, so a scheme
//! billing a pooled period reads the same numbers, bit for bit, as when it prices each task
//! itself; [`PeriodUsage::list_costs`] uses the cache only for the rate card it was made with.
//! Likewise each task's capacity tokens for the compute-hours output weights asked for
//! ([`PeriodUsage::weighted_tokens`]).

use super::scheme::weighted_tokens;
use super::{PeriodUsage, RateCard};

/// Tasks' calls and token counts by (model, tier, kind), with their list-price costs.
#[derive(Debug, Clone, PartialEq)]
pub struct PricedTasks {
    models: usize,
    tiers: usize,
    width: usize,
    calls: Vec<u64>,
    tokens: Vec<u64>,
    token_total: Vec<u64>,
    list_usd: Vec<f64>,
    rates: RateCard,
    /// Per output weight asked for, each task's capacity tokens.
    weighted: Vec<(f64, Vec<f64>)>,
}

impl PricedTasks {
    /// The tasks of `tasks` (their seats and slots are ignored), priced with `rates`, with
    /// their capacity tokens at each of `output_weights` (compute-hours schemes).
    pub fn new(tasks: &PeriodUsage, rates: &RateCard, output_weights: &[f64]) -> Self {
        let n = tasks.task_count();
        let mut out = PricedTasks {
            models: tasks.model_count(),
            tiers: tasks.tier_count(),
            width: tasks.cell_width(),
            calls: Vec::with_capacity(n),
            tokens: Vec::with_capacity(n * tasks.cell_width()),
            token_total: Vec::with_capacity(n),
            list_usd: Vec::with_capacity(n),
            rates: rates.clone(),
            weighted: Vec::new(),
        };
        for i in 0..n {
            let t = tasks.task_tokens(i);
            out.calls.push(tasks.task_calls(i));
            out.tokens.extend_from_slice(t);
            out.token_total.push(tasks.task_token_total(i));
            out.list_usd.push(rates.list_cost(t));
        }
        for &w in output_weights {
            if out.weighted_at(w).is_none() {
                let v = (0..n)
                    .map(|i| weighted_tokens(tasks.task_tokens(i), w))
                    .collect();
                out.weighted.push((w, v));
            }
        }
        out
    }

    /// Each task's capacity tokens at output weight `w`, if cached (the same bits).
    pub fn weighted_at(&self, w: f64) -> Option<&[f64]> {
        self.weighted
            .iter()
            .find(|(x, _)| x.to_bits() == w.to_bits())
            .map(|(_, v)| v.as_slice())
    }

    /// Number of tasks.
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    /// Models counted.
    pub fn model_count(&self) -> usize {
        self.models
    }

    /// Price tiers counted.
    pub fn tier_count(&self) -> usize {
        self.tiers
    }

    /// Calls of task `j`.
    pub fn calls(&self, j: usize) -> u64 {
        self.calls[j]
    }

    /// Token counts of task `j` by (model, tier, kind).
    pub fn tokens(&self, j: usize) -> &[u64] {
        &self.tokens[j * self.width..(j + 1) * self.width]
    }

    /// Every token of task `j`.
    pub fn token_total(&self, j: usize) -> u64 {
        self.token_total[j]
    }

    /// List-price cost of every task, in task order.
    pub fn list_usd(&self) -> &[f64] {
        &self.list_usd
    }

    /// Whether the costs were worked out with `rates`.
    pub fn priced_by(&self, rates: &RateCard) -> bool {
        self.rates == *rates
    }
}

/// Each task's capacity tokens of a period at one output weight: cached in its pool when it
/// has that weight, else worked out from the task's counts.
#[derive(Debug, Clone, Copy)]
pub enum TaskWeightedTokens<'a> {
    /// Cached in the pool, and each task's index into it.
    Cached(&'a [f64], &'a [u32]),
    /// Worked out from the counts at this output weight.
    Computed(&'a PeriodUsage, f64),
}

impl TaskWeightedTokens<'_> {
    /// The capacity tokens of task `i` of the period.
    #[inline]
    pub fn get(&self, i: usize) -> f64 {
        match *self {
            TaskWeightedTokens::Cached(w, index) => w[index[i] as usize],
            TaskWeightedTokens::Computed(usage, ow) => weighted_tokens(usage.task_tokens(i), ow),
        }
    }
}

/// Each task's list-price cost of a period: read from its pool's cache when the period was
/// drawn from one priced by the same rates, else worked out from the task's counts.
#[derive(Debug, Clone, Copy)]
pub enum TaskListCost<'a> {
    /// Costs cached in the pool, and each task's index into it.
    Cached(&'a [f64], &'a [u32]),
    /// Worked out from the counts.
    Computed(&'a PeriodUsage, &'a RateCard),
}

impl TaskListCost<'_> {
    /// The list-price cost of task `i` of the period.
    #[inline]
    pub fn get(&self, i: usize) -> f64 {
        match *self {
            TaskListCost::Cached(list, index) => list[index[i] as usize],
            TaskListCost::Computed(usage, rates) => rates.list_cost(usage.task_tokens(i)),
        }
    }
}
