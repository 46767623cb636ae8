//! Periods drawn from pre-simulated task pools (the fast path of `compare`, see
//! [`super::compare`]).
//!
//! `K` pools of `size` tasks each are simulated once by the workflow: task `i` of pool `k` runs
//! on its own stream `trial_rng(pool_seed(seed, k), i)`, so a pool does not depend on threads or
//! on how the work is split. Period `p` then draws, from its own stream `trial_rng(seed, p)`,
//! each seat's task count and each task's start slot exactly as [`super::PeriodSimulator`]
//! does (so both methods see the same counts and slots), then the word that seeds its tasks;
//! the tasks are put in start order (slot, then seat, then draw order) by a stable counting
//! sort on the slot, and task by task in that order draw a uniform index into pool `p mod K`
//! from the stream `trial_rng(word, INDEX_STREAM)`. They are added to the period's
//! [`PeriodUsage`] by their index into the pool ([`PricedTasks`]: calls and tokens by model,
//! tier and kind, and each task's list-price cost worked out once), so every billing scheme
//! bills the period exactly as it bills a simulated one, without copying the tasks' counts.

use rand::RngExt;

use super::period::Workload;
use super::seed::{mix64, trial_rng};
use crate::dist::Sampler;
use std::sync::Arc;

use crate::pricing::{PeriodUsage, PricedTasks};
use crate::workflow::{TrialUsage, Workflow};

/// The stream index of a period's pool indices (beyond any task index).
const INDEX_STREAM: u64 = u64::MAX;

/// Distinguishes the pools' streams from the periods' (`trial_rng(seed, p)`).
const POOL_DOMAIN: u64 = 0x706f_6f6c_7461_736b; // "pooltask"

/// The seed of pool `k`'s task streams in a run seeded with `seed`.
pub fn pool_seed(seed: u64, k: u64) -> u64 {
    mix64(mix64(seed ^ POOL_DOMAIN) ^ mix64(k.wrapping_add(1)))
}

/// Simulates tasks `range` of pool `k` (seed `seed`) into one [`PeriodUsage`] of one seat and
/// one slot: task `i` of the range is its task `range.start + i`.
pub fn simulate_pool_tasks(
    workflow: &Workflow,
    seed: u64,
    k: u64,
    range: std::ops::Range<u64>,
) -> PeriodUsage {
    let mut out = PeriodUsage::new(
        workflow.model_count(),
        1 + workflow.extra_price_tiers(),
        1,
        1,
    );
    let mut usage = TrialUsage::new(workflow.phase_count(), workflow.model_count());
    let stream = pool_seed(seed, k);
    for i in range {
        let mut rng = trial_rng(stream, i);
        workflow.run_trial(&mut rng, &mut usage);
        out.add_task(0, 0, &usage);
    }
    out
}

/// Joins pool parts (in index order) into one pool.
pub fn join_parts(parts: Vec<PeriodUsage>) -> PeriodUsage {
    let mut parts = parts.into_iter();
    let mut pool = parts.next().expect("a pool has at least one part");
    for part in parts {
        for i in 0..part.task_count() {
            pool.add_task_counts(0, 0, part.task_calls(i), part.task_tokens(i));
        }
    }
    pool
}

/// Draws periods of a workload from pools, with reusable buffers (one per worker).
#[derive(Debug)]
pub struct PooledPeriods {
    workload: Workload,
    counts: Sampler,
    /// (slot, seat) in draw order (seat order).
    drawn: Vec<(u32, u32)>,
    /// The same, sorted by slot (stable).
    sorted: Vec<(u32, u32)>,
    /// Start of each slot in `sorted` (counting sort).
    starts: Vec<usize>,
}

impl PooledPeriods {
    /// A drawer of `workload` periods.
    pub fn new(workload: &Workload) -> Self {
        PooledPeriods {
            workload: workload.clone(),
            counts: workload.task_count_sampler(),
            drawn: Vec::new(),
            sorted: Vec::new(),
            starts: Vec::new(),
        }
    }

    /// Draws period `period` of a run with `seed` from `pool` into `out` (cleared first).
    pub fn draw(&mut self, seed: u64, period: u64, pool: &Arc<PricedTasks>, out: &mut PeriodUsage) {
        out.clear_for_pool(pool);
        self.drawn.clear();
        let mut rng = trial_rng(seed, period);
        let slots = self.workload.slots();
        let size = u32::try_from(pool.len()).expect("a pool holds fewer than 2^32 tasks");
        for seat in 0..self.workload.seats {
            let n = self.counts.sample_count(&mut rng);
            for _ in 0..n {
                let slot = rng.random_range(0..slots);
                self.drawn.push((slot, seat));
            }
        }
        let mut index_rng = trial_rng(rng.next_word(), INDEX_STREAM);
        // Stable counting sort by slot: within a slot, seat order then draw order.
        self.starts.clear();
        self.starts.resize(slots as usize + 1, 0);
        for &(slot, _) in &self.drawn {
            self.starts[slot as usize + 1] += 1;
        }
        for s in 0..slots as usize {
            self.starts[s + 1] += self.starts[s];
        }
        self.sorted.clear();
        self.sorted.resize(self.drawn.len(), (0, 0));
        for &t in &self.drawn {
            let at = &mut self.starts[t.0 as usize];
            self.sorted[*at] = t;
            *at += 1;
        }
        for &(slot, seat) in &self.sorted {
            out.add_pooled_task(seat, slot, index_rng.random_range(0..size));
        }
    }
}
