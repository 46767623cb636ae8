//! The metrics recorded per trial, laid out flat so the hot loop fills a slice.

use crate::pricing::{PriceTable, TokenKind};
use crate::workflow::{TrialEvent, TrialUsage, Workflow, count_as_f64};

/// The token metrics, one per token kind, in `TokenKind` order, with their JSON names.
pub const TOKEN_METRICS: [&str; 6] = [
    "input_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
];

/// `head` followed by the token metrics.
const fn then_tokens<const N: usize, const M: usize>(head: [&'static str; N]) -> [&'static str; M] {
    assert!(N + TOKEN_METRICS.len() == M);
    let mut out = [""; M];
    let mut i = 0;
    while i < M {
        out[i] = if i < N { head[i] } else { TOKEN_METRICS[i - N] };
        i += 1;
    }
    out
}

/// The per-usage metrics, in order, with their JSON names (totals and per model): cost, calls,
/// then the tokens of each kind.
pub const USAGE_METRICS: [&str; 8] = then_tokens(["cost_usd", "calls"]);

/// The per-phase metrics, in order: cost, calls and iterations, then the phase's tokens of each
/// kind over all models (the names and order of [`TOKEN_METRICS`]). A run records the token
/// metrics only for the kinds its workflow can produce (the others are 0 in every trial).
pub const PHASE_METRICS: [&str; 9] = then_tokens(["cost_usd", "calls", "iterations"]);

/// Whole-trial metrics of the agent mechanics: wall time, then a count per [`TrialEvent`] (in
/// [`TrialEvent::ALL`] order). A run records only those its workflow can make non-zero.
pub const TRIAL_METRICS: [&str; 1 + TrialEvent::COUNT] = [
    "duration_s",
    TrialEvent::Compaction.metric_name(),
    TrialEvent::ContextOverflow.metric_name(),
    TrialEvent::FailedCall.metric_name(),
    TrialEvent::TaskRerun.metric_name(),
    TrialEvent::Escalation.metric_name(),
    TrialEvent::SubAgent.metric_name(),
    TrialEvent::CallLimit.metric_name(),
    TrialEvent::CostLimit.metric_name(),
];

/// The metrics of the per-task caps: 1 in a trial a cap stopped, else 0, so their mean is the
/// share of tasks each cap stopped. A summary lists them only when the scenario has the cap.
pub const CAP_STOP_METRICS: [&str; 2] = [
    TrialEvent::CallLimit.metric_name(),
    TrialEvent::CostLimit.metric_name(),
];

/// Which of [`TRIAL_METRICS`] a workflow can make non-zero.
pub fn trial_metrics_used(workflow: &Workflow) -> [bool; TRIAL_METRICS.len()] {
    let mut used = [false; TRIAL_METRICS.len()];
    used[0] = workflow.timed();
    for (i, u) in workflow.events_used().into_iter().enumerate() {
        used[1 + i] = u;
    }
    used
}

/// The value of `TRIAL_METRICS[i]` in a trial.
#[inline]
fn trial_metric(usage: &TrialUsage, i: usize) -> f64 {
    match i.checked_sub(1) {
        None => usage.duration_s,
        Some(e) => usage.events(TrialEvent::ALL[e]) as f64,
    }
}

/// Token kind reported by `USAGE_METRICS[2 + i]`.
const KIND_ORDER: [TokenKind; 6] = [
    TokenKind::Input,
    TokenKind::Output,
    TokenKind::Reasoning,
    TokenKind::CacheWrite,
    TokenKind::CacheWrite1h,
    TokenKind::CacheRead,
];

/// Which part of the usage a metric describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The whole trial.
    Total,
    /// One model (index).
    Model(usize),
    /// One phase (index).
    Phase(usize),
}

/// One metric: its scope, name and whether its values are integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricDef {
    /// What it describes.
    pub scope: Scope,
    /// JSON name within its scope.
    pub name: &'static str,
    /// Integer-valued (token and call counts).
    pub integer: bool,
    /// Zero in every trial by construction (a token kind the workflow never produces): the
    /// engine counts it without aggregating values.
    pub always_zero: bool,
}

/// The list of metrics of a run: totals, then per model (when there are several), then per phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricLayout {
    /// The metrics, in slice order.
    pub defs: Vec<MetricDef>,
    models: usize,
    phases: usize,
    per_model: bool,
    /// The token kinds (by [`TokenKind::index`], in `PHASE_METRICS` order) recorded per phase:
    /// those the workflow can produce.
    phase_kinds: Vec<usize>,
    /// Recorded whole-trial mechanics metrics: (slot, index into [`TRIAL_METRICS`]).
    trial: Vec<(usize, usize)>,
}

impl MetricLayout {
    /// The layout for a workflow of `models` models and `phases` phases. With one model the
    /// per-model metrics are the totals and are not recorded twice.
    ///
    /// `kinds_used` (by [`TokenKind::index`]) marks the token kinds that can be non-zero.
    pub fn new(models: usize, phases: usize, kinds_used: [bool; TokenKind::COUNT]) -> MetricLayout {
        let per_model = models > 1;
        let mut defs = Vec::new();
        // A token metric of a kind the workflow never produces (names shared by
        // `USAGE_METRICS` and `PHASE_METRICS`).
        let always_zero = |name: &str| {
            USAGE_METRICS
                .iter()
                .position(|&n| n == name)
                .and_then(|i| i.checked_sub(2))
                .is_some_and(|k| !kinds_used[KIND_ORDER[k].index()])
        };
        let usage = |scope| {
            USAGE_METRICS.iter().map(move |&name| MetricDef {
                scope,
                name,
                integer: name != "cost_usd",
                always_zero: always_zero(name),
            })
        };
        defs.extend(usage(Scope::Total));
        if per_model {
            for m in 0..models {
                defs.extend(usage(Scope::Model(m)));
            }
        }
        let phase_names: Vec<&'static str> = PHASE_METRICS
            .iter()
            .copied()
            .filter(|&name| !always_zero(name))
            .collect();
        let phase_kinds = KIND_ORDER
            .iter()
            .filter(|kind| kinds_used[kind.index()])
            .map(|kind| kind.index())
            .collect();
        for p in 0..phases {
            defs.extend(phase_names.iter().map(|&name| MetricDef {
                scope: Scope::Phase(p),
                name,
                integer: name != "cost_usd",
                always_zero: false,
            }));
        }
        MetricLayout {
            defs,
            models,
            phases,
            per_model,
            phase_kinds,
            trial: Vec::new(),
        }
    }

    /// Adds the whole-trial mechanics metrics marked in `used` (see [`trial_metrics_used`]),
    /// after the others.
    pub fn with_trial_metrics(mut self, used: [bool; TRIAL_METRICS.len()]) -> MetricLayout {
        for (i, name) in TRIAL_METRICS.iter().enumerate() {
            if used[i] {
                self.trial.push((self.defs.len(), i));
                self.defs.push(MetricDef {
                    scope: Scope::Total,
                    name,
                    integer: i > 0,
                    always_zero: false,
                });
            }
        }
        self
    }

    /// Number of metrics.
    pub fn len(&self) -> usize {
        self.defs.len()
    }

    /// Whether there are no metrics (never, for a valid workflow).
    pub fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    /// Index of a metric by scope and name. Per-model lookups fall back to the totals when the
    /// run has a single model.
    pub fn index_of(&self, scope: Scope, name: &str) -> Option<usize> {
        let scope = match scope {
            Scope::Model(_) if !self.per_model => Scope::Total,
            s => s,
        };
        self.defs
            .iter()
            .position(|d| d.scope == scope && d.name == name)
    }

    /// The cost columns whose share of the total cost a summary reports with a standard error
    /// (each is paired with the total cost, column 0): each phase's, then each model's when the
    /// run has several (with one model its share is 1 exactly).
    pub fn share_columns(&self) -> Vec<(Scope, usize)> {
        let phases = (0..self.phases).map(|p| (Scope::Phase(p), self.phase_base(p)));
        let models = (0..self.models)
            .filter(|_| self.per_model)
            .map(|m| (Scope::Model(m), self.model_base(m)));
        phases.chain(models).collect()
    }

    /// Metrics recorded per phase: cost, calls, iterations and the kinds used.
    fn phase_width(&self) -> usize {
        3 + self.phase_kinds.len()
    }

    fn model_base(&self, m: usize) -> usize {
        USAGE_METRICS.len() * (1 + m)
    }

    fn phase_base(&self, p: usize) -> usize {
        USAGE_METRICS.len() * (1 + if self.per_model { self.models } else { 0 })
            + self.phase_width() * p
    }

    /// Fills `out` (of length [`MetricLayout::len`]) with a trial's metrics.
    #[inline]
    pub fn fill(&self, usage: &TrialUsage, prices: &PriceTable, out: &mut [f64]) {
        let tiered = usage.tier_count() > 1;
        if !self.per_model && !tiered {
            self.fill_one_model(usage, prices, out);
        } else {
            self.fill_general(usage, prices, out);
        }
    }

    /// [`MetricLayout::fill`] for any number of models, with or without price tiers.
    fn fill_general(&self, usage: &TrialUsage, prices: &PriceTable, out: &mut [f64]) {
        let tiered = usage.tier_count() > 1;
        // Every slot is written once: sums build up in `totals` and in the per-model blocks,
        // which start from zero here.
        let mut totals = [0.0; USAGE_METRICS.len()];
        if self.per_model {
            for m in 0..self.models {
                usage_block(out, self.model_base(m)).fill(0.0);
            }
        }
        for p in 0..self.phases {
            let mut phase_cost = 0.0;
            let mut phase_calls = 0.0;
            // The phase's tokens of each kind over its models (integers, exact in f64).
            let mut phase_tokens = [0.0; TokenKind::COUNT];
            for m in 0..self.models {
                let cell = usage.cell_f64(p, m);
                // Without price tiers (the common case) the cost is the base-rate product.
                let cost = if tiered {
                    prices.cell_cost(usage, p, m)
                } else {
                    prices.cost_of_counts(m, &cell)
                };
                let calls = count_as_f64(usage.calls(p, m));
                phase_cost += cost;
                phase_calls += calls;
                for (t, c) in phase_tokens.iter_mut().zip(&cell) {
                    *t += c;
                }
                add_usage(&mut totals, cost, calls, &cell);
                if self.per_model {
                    add_usage(usage_block(out, self.model_base(m)), cost, calls, &cell);
                }
            }
            let pb = self.phase_base(p);
            let phase = &mut out[pb..pb + self.phase_width()];
            phase[0] = phase_cost;
            phase[1] = phase_calls;
            phase[2] = count_as_f64(usage.iterations(p));
            for (slot, &kind) in phase[3..].iter_mut().zip(&self.phase_kinds) {
                *slot = phase_tokens[kind];
            }
        }
        *usage_block(out, 0) = totals;
        for &(slot, i) in &self.trial {
            out[slot] = trial_metric(usage, i);
        }
    }
}

impl MetricLayout {
    /// [`MetricLayout::fill`] for one model without price tiers (the common case), with the
    /// same bits: a phase's sums over its single model are that model's values (`0.0 + x` is
    /// `x` for the non-negative values here, and a cost is never −0), so they are written
    /// straight from the cell, and there are no per-model blocks.
    #[inline]
    fn fill_one_model(&self, usage: &TrialUsage, prices: &PriceTable, out: &mut [f64]) {
        let mut totals = [0.0; USAGE_METRICS.len()];
        let width = self.phase_width();
        for p in 0..self.phases {
            let cell = usage.cell_f64(p, 0);
            let cost = prices.cost_of_counts(0, &cell);
            let calls = count_as_f64(usage.calls(p, 0));
            add_usage(&mut totals, cost, calls, &cell);
            let pb = self.phase_base(p);
            let phase = &mut out[pb..pb + width];
            phase[0] = cost;
            phase[1] = calls;
            phase[2] = count_as_f64(usage.iterations(p));
            for (slot, &kind) in phase[3..].iter_mut().zip(&self.phase_kinds) {
                *slot = cell[kind];
            }
        }
        *usage_block(out, 0) = totals;
        for &(slot, i) in &self.trial {
            out[slot] = trial_metric(usage, i);
        }
    }
}

/// The block of [`USAGE_METRICS`] starting at `start`.
#[inline(always)]
fn usage_block(out: &mut [f64], start: usize) -> &mut [f64; USAGE_METRICS.len()] {
    (&mut out[start..start + USAGE_METRICS.len()])
        .try_into()
        .expect("eight usage metrics")
}

/// Adds one (phase, model) cell to a block of [`USAGE_METRICS`]. Fixed-size arrays let the
/// compiler drop every bounds check.
#[inline(always)]
fn add_usage(
    block: &mut [f64; USAGE_METRICS.len()],
    cost: f64,
    calls: f64,
    cell: &[f64; TokenKind::COUNT],
) {
    block[0] += cost;
    block[1] += calls;
    for (i, kind) in KIND_ORDER.iter().enumerate() {
        block[2 + i] += cell[kind.index()];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::ModelPrices;

    #[test]
    fn totals_models_and_phases_add_up() {
        let prices = PriceTable::new(&[
            ModelPrices::new(1.0, 2.0, 0.0, 0.0),
            ModelPrices::new(10.0, 20.0, 0.0, 0.0),
        ]);
        let layout = MetricLayout::new(2, 2, [true; TokenKind::COUNT]);
        let mut usage = TrialUsage::new(2, 2);
        usage.add_tokens(0, 0, TokenKind::Input, 1_000_000);
        usage.add_tokens(1, 1, TokenKind::Output, 1_000_000);
        usage.add_call(0, 0);
        usage.add_call(1, 1);
        usage.add_iteration(1);
        let mut out = vec![0.0; layout.len()];
        layout.fill(&usage, &prices, &mut out);
        let get = |s, n| out[layout.index_of(s, n).unwrap()];
        assert_eq!(get(Scope::Total, "cost_usd"), 21.0);
        assert_eq!(get(Scope::Model(1), "cost_usd"), 20.0);
        assert_eq!(get(Scope::Phase(0), "cost_usd"), 1.0);
        assert_eq!(get(Scope::Phase(1), "iterations"), 1.0);
        assert_eq!(get(Scope::Total, "calls"), 2.0);
        assert_eq!(get(Scope::Total, "output_tokens"), 1_000_000.0);
        assert_eq!(get(Scope::Model(0), "input_tokens"), 1_000_000.0);
    }

    #[test]
    fn the_one_model_path_gives_the_general_bits() {
        let prices = PriceTable::new(&[ModelPrices::new(3.0, 15.0, 3.75, 0.3)]);
        let mut kinds = [true; TokenKind::COUNT];
        kinds[TokenKind::Reasoning.index()] = false;
        let layout = MetricLayout::new(1, 3, kinds);
        let mut usage = TrialUsage::new(3, 1);
        for (i, kind) in TokenKind::ALL.into_iter().enumerate() {
            if kind != TokenKind::Reasoning {
                usage.add_tokens(0, 0, kind, 1_234_567 * i as u64 + 89);
                usage.add_tokens(2, 0, kind, 98_765 + i as u64);
            }
        }
        usage.add_call(0, 0);
        usage.add_call(2, 0);
        usage.add_call(2, 0);
        usage.add_iteration(2);
        let mut fast = vec![f64::NAN; layout.len()];
        let mut general = vec![f64::NAN; layout.len()];
        layout.fill(&usage, &prices, &mut fast);
        layout.fill_general(&usage, &prices, &mut general);
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&fast), bits(&general));
        assert!(fast.iter().all(|x| x.is_finite()), "every slot written");
    }
}
