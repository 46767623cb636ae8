//! Pre-simulated task pools: each task scenario of the mix is run once by the task engine
//! (`engine::run`, the same trials `tokencast run` makes), and a forecast draws its tasks from
//! the pool by uniform index. The pool's own moments feed the large-count aggregation, so both
//! aggregation paths sample the same distribution: the pool's.
//!
//! The pool is a finite sample of the task distribution; its mean carries a standard error
//! (reported as `mean_cost_se`) that forecast trials cannot reduce.

use crate::engine::{self, EngineError, Observer, RunConfig, TrialBlock, TrialRng};
use crate::scenario::Scenario;

/// Tasks pre-simulated from one task scenario: list cost and total tokens of each.
#[derive(Debug, Clone)]
pub struct TaskPool {
    /// List-price cost of each task in the scenario's currency.
    pub cost: Vec<f64>,
    /// Tokens of each task, all kinds.
    pub tokens: Vec<f64>,
    /// Moments of cost and tokens.
    pub stats: PoolStats,
}

/// Moments of a pool: what the moment-matched aggregation needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolStats {
    /// Mean cost per task.
    pub mean_cost: f64,
    /// Variance of cost per task.
    pub var_cost: f64,
    /// Third central moment of cost per task.
    pub m3_cost: f64,
    /// Mean tokens per task.
    pub mean_tokens: f64,
    /// Variance of tokens per task.
    pub var_tokens: f64,
    /// Covariance of cost and tokens.
    pub cov: f64,
}

impl PoolStats {
    /// The moments of paired samples.
    pub fn of(cost: &[f64], tokens: &[f64]) -> PoolStats {
        let n = cost.len().max(1) as f64;
        let mc = cost.iter().sum::<f64>() / n;
        let mt = tokens.iter().sum::<f64>() / n;
        let (mut vc, mut m3, mut vt, mut cov) = (0.0, 0.0, 0.0, 0.0);
        for (&c, &t) in cost.iter().zip(tokens) {
            let (dc, dt) = (c - mc, t - mt);
            vc += dc * dc;
            m3 += dc * dc * dc;
            vt += dt * dt;
            cov += dc * dt;
        }
        PoolStats {
            mean_cost: mc,
            var_cost: vc / n,
            m3_cost: m3 / n,
            mean_tokens: mt,
            var_tokens: vt / n,
            cov: cov / n,
        }
    }
}

impl TaskPool {
    /// A pool from given tasks (tests, or pools made elsewhere).
    pub fn from_samples(cost: Vec<f64>, tokens: Vec<f64>) -> TaskPool {
        let stats = PoolStats::of(&cost, &tokens);
        TaskPool {
            cost,
            tokens,
            stats,
        }
    }

    /// Runs `size` trials of `scenario` with `seed` on the task engine.
    pub fn simulate(
        scenario: &Scenario,
        size: u64,
        seed: u64,
        threads: Option<usize>,
    ) -> Result<TaskPool, EngineError> {
        let mut collect = Collect::default();
        let config = RunConfig {
            trials: size,
            seed,
            threads,
        };
        engine::run(
            &scenario.workflow,
            &scenario.price_table(),
            &config,
            &mut collect,
        )?;
        Ok(TaskPool::from_samples(collect.cost, collect.tokens))
    }

    /// Number of tasks in the pool.
    pub fn len(&self) -> usize {
        self.cost.len()
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.cost.is_empty()
    }

    /// The index of a uniformly drawn task (Lemire's multiply-shift; the bias is below
    /// `len / 2^64`).
    #[inline]
    pub fn draw_index(&self, rng: &mut TrialRng) -> usize {
        ((rng.next_word() as u128 * self.cost.len() as u128) >> 64) as usize
    }

    /// Standard error of the pool's mean cost.
    pub fn mean_cost_se(&self) -> f64 {
        (self.stats.var_cost / self.len().max(1) as f64).sqrt()
    }
}

#[derive(Default)]
struct Collect {
    cost: Vec<f64>,
    tokens: Vec<f64>,
}

impl Observer for Collect {
    fn wants_trials(&self) -> bool {
        true
    }

    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        self.cost.extend_from_slice(&block.cost);
        let per_row = block.models * crate::pricing::TokenKind::COUNT;
        for row in 0..block.len() {
            let t: u64 = block.tokens[row * per_row..(row + 1) * per_row]
                .iter()
                .sum();
            self.tokens.push(t as f64);
        }
        Ok(())
    }
}
