//! What one trial consumed: integer token counts by phase, model and kind.

use crate::pricing::TokenKind;

const K: usize = TokenKind::COUNT;

/// Usage of one trial. Allocated once per worker and reset between trials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrialUsage {
    models: usize,
    phases: usize,
    /// `[(phase * models + model) * K + kind]`.
    tokens: Vec<u64>,
    /// `[phase * models + model]`.
    calls: Vec<u64>,
    /// Iterations (repeats or loop attempts) run by each phase.
    iterations: Vec<u64>,
    /// Whether the task succeeded.
    pub success: bool,
}

impl TrialUsage {
    /// Zeroed usage for a workflow of `phases` phases and `models` models.
    pub fn new(phases: usize, models: usize) -> Self {
        TrialUsage {
            models,
            phases,
            tokens: vec![0; phases * models * K],
            calls: vec![0; phases * models],
            iterations: vec![0; phases],
            success: true,
        }
    }

    /// Clears every count for the next trial.
    #[inline]
    pub fn reset(&mut self) {
        self.tokens.fill(0);
        self.calls.fill(0);
        self.iterations.fill(0);
        self.success = true;
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
        let t = &mut self.tokens[(phase * self.models + model) * K + kind.index()];
        *t = t.saturating_add(n);
    }

    /// Counts one call.
    #[inline]
    pub fn add_call(&mut self, phase: usize, model: usize) {
        self.calls[phase * self.models + model] += 1;
    }

    /// Counts one iteration of a phase.
    #[inline]
    pub fn add_iteration(&mut self, phase: usize) {
        self.iterations[phase] += 1;
    }

    /// Token counts of one (phase, model), indexed by [`TokenKind::index`].
    #[inline]
    pub fn cell(&self, phase: usize, model: usize) -> &[u64] {
        let start = (phase * self.models + model) * K;
        &self.tokens[start..start + K]
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
        (&mut self.tokens[start..start + K])
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
        self.calls[phase * self.models + model]
    }

    /// Calls by a model over all phases.
    pub fn model_calls(&self, model: usize) -> u64 {
        (0..self.phases).map(|p| self.calls(p, model)).sum()
    }

    /// Calls in a phase over all models.
    pub fn phase_calls(&self, phase: usize) -> u64 {
        self.calls[phase * self.models..(phase + 1) * self.models]
            .iter()
            .sum()
    }

    /// All calls.
    pub fn total_calls(&self) -> u64 {
        self.calls.iter().sum()
    }

    /// Iterations run by a phase.
    pub fn iterations(&self, phase: usize) -> u64 {
        self.iterations[phase]
    }
}
