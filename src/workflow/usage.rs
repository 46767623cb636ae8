//! What one trial consumed: integer token counts by phase, model, kind and price tier.
//!
//! The main cells hold every token of a (phase, model) whatever its tier, so token metrics
//! need not know about tiers. Calls whose prompt passed a model's prompt-length threshold
//! (see `pricing::PromptTier`) are also counted in a tier cell: tier cell `t` (from 1) holds
//! the tokens billed at tier `t`; the base tier's tokens are the main cell less the tier cells.

use crate::pricing::TokenKind;

const K: usize = TokenKind::COUNT;

/// A token or call count as a double: the same value as `n as f64`, but one conversion
/// instruction for counts below 2^63 (x86-64 converts unsigned integers in several steps before
/// AVX-512), where the hot loops convert a dozen counts per trial.
#[inline(always)]
pub fn count_as_f64(n: u64) -> f64 {
    if n <= i64::MAX as u64 {
        n as i64 as f64
    } else {
        n as f64
    }
}

/// Things that happen in a trial and are counted (not billed by themselves).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialEvent {
    /// A compaction (summarising call) ran.
    Compaction,
    /// A prompt would have passed the model's context window: the agent stopped.
    ContextOverflow,
    /// A call attempt failed transiently.
    FailedCall,
    /// A person re-ran the failed task from scratch.
    TaskRerun,
    /// A fix loop switched to its escalation model.
    Escalation,
    /// A sub-agent instance ran.
    SubAgent,
    /// The task stopped at its call cap (`[limits] max_calls`).
    CallLimit,
    /// The task stopped at its spend cap (`[limits] max_cost_usd`).
    CostLimit,
}

impl TrialEvent {
    /// Every event, in the order usage stores them.
    pub const ALL: [TrialEvent; 8] = [
        TrialEvent::Compaction,
        TrialEvent::ContextOverflow,
        TrialEvent::FailedCall,
        TrialEvent::TaskRerun,
        TrialEvent::Escalation,
        TrialEvent::SubAgent,
        TrialEvent::CallLimit,
        TrialEvent::CostLimit,
    ];

    /// Number of events.
    pub const COUNT: usize = 8;

    /// Position in usage arrays.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The metric name used in files (a count per trial).
    pub const fn metric_name(self) -> &'static str {
        match self {
            TrialEvent::Compaction => "compactions",
            TrialEvent::ContextOverflow => "context_overflows",
            TrialEvent::FailedCall => "failed_calls",
            TrialEvent::TaskRerun => "task_reruns",
            TrialEvent::Escalation => "escalations",
            TrialEvent::SubAgent => "subagents",
            TrialEvent::CallLimit => "stopped_at_max_calls",
            TrialEvent::CostLimit => "stopped_at_max_cost",
        }
    }
}

/// Usage of one trial. Allocated once per worker and reset between trials.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialUsage {
    models: usize,
    phases: usize,
    /// The token cells, then the calls, then the iterations, in one buffer so that a reset is
    /// one fill (see the offsets below).
    counts: Vec<u64>,
    /// Start of the calls in `counts`, `[phase * models + model]`; the token cells before it
    /// are `[(phase * models + model) * K + kind]`.
    calls_start: usize,
    /// Start of the iterations (repeats or loop attempts) run by each phase in `counts`.
    iterations_start: usize,
    /// Tiers above the base that tier cells are kept for.
    extra_tiers: usize,
    /// `[((phase * models + model) * extra_tiers + tier - 1) * K + kind]`.
    tier_tokens: Vec<u64>,
    /// Counts of each [`TrialEvent`].
    events: [u64; TrialEvent::COUNT],
    /// Wall time of the trial in seconds (sub-agents run in parallel count once).
    pub duration_s: f64,
    /// Whether the task succeeded.
    pub success: bool,
    /// What the task's caps are checked against (kept only when it has `[limits]`).
    pub(super) meter: CapMeter,
}

/// A task's calls and list-price spend so far, counted for its caps ([`super::TaskLimits`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct CapMeter {
    /// Calls made (compaction's included).
    pub calls: u64,
    /// USD spent at list prices (failed attempts' billed prompts included).
    pub spent_usd: f64,
    /// Whether a cap stopped the task.
    pub stopped: bool,
}

impl TrialUsage {
    /// Zeroed usage for a workflow of `phases` phases and `models` models.
    pub fn new(phases: usize, models: usize) -> Self {
        let calls_start = phases * models * K;
        let iterations_start = calls_start + phases * models;
        TrialUsage {
            models,
            phases,
            counts: vec![0; iterations_start + phases],
            calls_start,
            iterations_start,
            extra_tiers: 0,
            tier_tokens: Vec::new(),
            events: [0; TrialEvent::COUNT],
            duration_s: 0.0,
            success: true,
            meter: CapMeter::default(),
        }
    }

    /// Keeps tier cells for at least `extra_tiers` tiers above the base (a no-op when it
    /// already does). The executor calls it with the workflow's tier count.
    #[inline]
    pub fn ensure_tiers(&mut self, extra_tiers: usize) {
        if extra_tiers > self.extra_tiers {
            self.extra_tiers = extra_tiers;
            self.tier_tokens = vec![0; self.phases * self.models * extra_tiers * K];
        }
    }

    /// Number of price tiers counted, the base included (1 when no model has tiers).
    pub fn tier_count(&self) -> usize {
        1 + self.extra_tiers
    }

    /// Tokens of one (phase, model) billed at `tier` (from 1; `tier < tier_count()`).
    #[inline]
    pub fn tier_cell(&self, phase: usize, model: usize, tier: usize) -> &[u64; K] {
        let start = ((phase * self.models + model) * self.extra_tiers + tier - 1) * K;
        (&self.tier_tokens[start..start + K])
            .try_into()
            .expect("a cell holds one count per kind")
    }

    /// Records one call: its token counts by kind, billed at `tier` (0 = base rates; a tier
    /// above 0 needs [`TrialUsage::ensure_tiers`] first).
    #[inline]
    pub fn record_call(&mut self, phase: usize, model: usize, tier: usize, tokens: &[u64; K]) {
        self.record_tokens(phase, model, tier, tokens);
        self.add_call(phase, model);
    }

    /// Records billed tokens that are not a completed call (a failed attempt's prompt), at
    /// `tier`.
    #[inline]
    pub fn record_tokens(&mut self, phase: usize, model: usize, tier: usize, tokens: &[u64; K]) {
        let cell = self.cell_mut(phase, model);
        for k in 0..K {
            cell[k] = cell[k].saturating_add(tokens[k]);
        }
        if tier > 0 {
            let start = ((phase * self.models + model) * self.extra_tiers + tier - 1) * K;
            let cell = &mut self.tier_tokens[start..start + K];
            for k in 0..K {
                cell[k] = cell[k].saturating_add(tokens[k]);
            }
        }
    }

    /// Tokens of one kind billed at `tier` over every phase and model (tier 0: the base).
    pub fn total_tier_tokens(&self, tier: usize, kind: TokenKind) -> u64 {
        let mut above = 0u64;
        for p in 0..self.phases {
            for m in 0..self.models {
                for t in 1..self.tier_count() {
                    if tier == 0 || t == tier {
                        above += self.tier_cell(p, m, t)[kind.index()];
                    }
                }
            }
        }
        if tier == 0 {
            self.total_tokens(kind) - above
        } else {
            above
        }
    }

    /// Clears every count for the next trial.
    #[inline]
    pub fn reset(&mut self) {
        self.counts.fill(0);
        if self.extra_tiers > 0 {
            self.tier_tokens.fill(0);
        }
        self.events = [0; TrialEvent::COUNT];
        self.duration_s = 0.0;
        self.success = true;
        self.meter = CapMeter::default();
    }

    /// Whether a per-task cap stopped this trial.
    pub fn stopped_at_cap(&self) -> bool {
        self.meter.stopped
    }

    /// Number of models.
    pub fn model_count(&self) -> usize {
        self.models
    }

    /// Number of phases.
    pub fn phase_count(&self) -> usize {
        self.phases
    }

    /// Adds tokens of one kind, consumed in a phase by a model.
    #[inline]
    pub fn add_tokens(&mut self, phase: usize, model: usize, kind: TokenKind, n: u64) {
        let t = &mut self.counts[(phase * self.models + model) * K + kind.index()];
        *t = t.saturating_add(n);
    }

    /// Counts one call.
    #[inline]
    pub fn add_call(&mut self, phase: usize, model: usize) {
        self.counts[self.calls_start + phase * self.models + model] += 1;
    }

    /// Counts one iteration of a phase.
    #[inline]
    pub fn add_iteration(&mut self, phase: usize) {
        self.counts[self.iterations_start + phase] += 1;
    }

    /// Token counts of one (phase, model), indexed by [`TokenKind::index`].
    #[inline]
    pub fn cell(&self, phase: usize, model: usize) -> &[u64] {
        let start = (phase * self.models + model) * K;
        &self.counts[start..start + K]
    }

    /// Token counts of one (phase, model) as doubles ([`count_as_f64`]).
    #[inline]
    pub fn cell_f64(&self, phase: usize, model: usize) -> [f64; K] {
        self.cell_array(phase, model).map(count_as_f64)
    }

    /// Token counts of one (phase, model) as a fixed-size array.
    #[inline]
    pub fn cell_array(&self, phase: usize, model: usize) -> &[u64; K] {
        self.cell(phase, model)
            .try_into()
            .expect("a cell holds one count per kind")
    }

    /// Mutable token counts of one (phase, model).
    #[inline]
    pub fn cell_mut(&mut self, phase: usize, model: usize) -> &mut [u64; K] {
        let start = (phase * self.models + model) * K;
        (&mut self.counts[start..start + K])
            .try_into()
            .expect("a cell holds one count per kind")
    }

    /// Tokens of one kind in one (phase, model).
    pub fn tokens(&self, phase: usize, model: usize, kind: TokenKind) -> u64 {
        self.cell(phase, model)[kind.index()]
    }

    /// Tokens of one kind for a model, over all phases.
    pub fn model_tokens(&self, model: usize, kind: TokenKind) -> u64 {
        (0..self.phases).map(|p| self.tokens(p, model, kind)).sum()
    }

    /// Tokens of one kind over everything.
    pub fn total_tokens(&self, kind: TokenKind) -> u64 {
        (0..self.models).map(|m| self.model_tokens(m, kind)).sum()
    }

    /// Calls in one (phase, model).
    pub fn calls(&self, phase: usize, model: usize) -> u64 {
        self.counts[self.calls_start + phase * self.models + model]
    }

    /// Calls by a model over all phases.
    pub fn model_calls(&self, model: usize) -> u64 {
        (0..self.phases).map(|p| self.calls(p, model)).sum()
    }

    /// Calls in a phase over all models.
    pub fn phase_calls(&self, phase: usize) -> u64 {
        let start = self.calls_start + phase * self.models;
        self.counts[start..start + self.models].iter().sum()
    }

    /// All calls.
    pub fn total_calls(&self) -> u64 {
        self.counts[self.calls_start..self.iterations_start]
            .iter()
            .sum()
    }

    /// Counts one event.
    #[inline]
    pub fn add_event(&mut self, event: TrialEvent) {
        self.events[event.index()] += 1;
    }

    /// How many times an event happened.
    pub fn events(&self, event: TrialEvent) -> u64 {
        self.events[event.index()]
    }

    /// Iterations run by a phase.
    pub fn iterations(&self, phase: usize) -> u64 {
        self.counts[self.iterations_start + phase]
    }
}
