//! Convergence control: run until the cost's estimates are precise enough.
//!
//! At each checkpoint (see `run::checkpoint_after`; about four per doubling of the trials) the
//! rule asks whether the relative standard error of the mean cost and the relative half-width
//! of the 95% confidence interval of its P95 are both below the target, after at least
//! [`MIN_PRECISION_TRIALS`] trials (fewer give unreliable error estimates in heavy tails). The
//! first checkpoint that passes ends the run; as checkpoints fall on fixed chunk counts, the
//! result is the same as a plain run of that many trials, on any thread count.

use super::run::{Flow, Observer, TrialBlock};
use crate::stats::Checkpoint;

/// Fewest trials a precision target may stop at.
pub const MIN_PRECISION_TRIALS: u64 = 8 * super::run::CHUNK_TRIALS;

/// How precise the cost's estimates must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrecisionTarget {
    /// Largest relative standard error of the mean and relative half-width of the P95 interval
    /// (e.g. 0.01 for 1%).
    pub relative: f64,
}

impl PrecisionTarget {
    /// Whether a checkpoint meets the target.
    pub fn met_by(&self, point: &Checkpoint) -> bool {
        point.trials >= MIN_PRECISION_TRIALS
            && point.relative_se() < self.relative
            && point.p95_relative_half_width() < self.relative
    }
}

/// An observer that stops the run once `target` is met, passing everything else to `inner`.
pub struct StopAtPrecision<'a> {
    /// The target.
    pub target: PrecisionTarget,
    /// The observer that receives progress and rows.
    pub inner: &'a mut dyn Observer,
    /// The checkpoint that met the target, if one did.
    pub met_at: Option<Checkpoint>,
}

impl<'a> StopAtPrecision<'a> {
    /// Wraps `inner`.
    pub fn new(target: PrecisionTarget, inner: &'a mut dyn Observer) -> Self {
        StopAtPrecision {
            target,
            inner,
            met_at: None,
        }
    }
}

impl Observer for StopAtPrecision<'_> {
    fn checkpoint(&mut self, point: &Checkpoint) -> Flow {
        if self.met_at.is_none() && self.target.met_by(point) {
            self.met_at = Some(*point);
        }
        match (self.met_at, self.inner.checkpoint(point)) {
            (Some(_), _) | (None, Flow::Stop) => Flow::Stop,
            (None, Flow::Continue) => Flow::Continue,
        }
    }

    fn progress(&mut self, done: u64, total: u64) {
        self.inner.progress(done, total);
    }

    fn wants_trials(&self) -> bool {
        self.inner.wants_trials()
    }

    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        self.inner.trials(block)
    }
}
