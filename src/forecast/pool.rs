//! Pre-simulated task pools: each task scenario of the mix is run once by the task engine
//! (`engine::run`, the same trials `tokencast run` makes), and a forecast draws its tasks from
//! the pool by uniform index. The pool's own moments feed the large-count aggregation, so both
//! aggregation paths sample the same distribution: the pool's.
//!
//! The pool is a finite sample of the task distribution; its mean carries a standard error
//! (reported as `mean_cost_se`) that forecast trials cannot reduce.
//!
//! The pool also keeps, per model of the task scenario, the mean list cost and tokens of each
//! kind per task ([`ModelMeans`], from the engine's per-model metrics): what splitting a task
//! kind's bill by model (and FOCUS SKUs by model and token kind) needs.

use crate::engine::{
    self, EngineError, Observer, RunConfig, RunResult, Scope, TrialBlock, TrialRng,
};
use crate::pricing::TokenKind;
use crate::scenario::Scenario;

/// Pools [`TaskPool::simulate_remembered`] keeps.
pub const POOL_MEMO: usize = 16;

/// Tasks pre-simulated from one task scenario: list cost and total tokens of each, and what
/// billing schemes other than list prices need ([`Extra`]).
#[derive(Debug, Clone)]
pub struct TaskPool {
    /// List-price cost of each task in the scenario's currency.
    pub cost: Vec<f64>,
    /// Tokens of each task, all kinds.
    pub tokens: Vec<f64>,
    /// Per task, the [`Extra`] quantities, `[task * Extra::COUNT + extra]`.
    pub extra: Vec<f64>,
    /// Moments of cost and tokens.
    pub stats: PoolStats,
    /// Per model of the task scenario (in its model order), the mean list cost and tokens per
    /// task over the pool (empty for pools made from bare samples).
    pub models: Vec<ModelMeans>,
}

/// One model's mean usage per task of a pool.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelMeans {
    /// The model's name in the task scenario (`[models.NAME]`).
    pub name: String,
    /// What the model is: its price catalog name (`catalog = "..."`), else `name`.
    pub id: String,
    /// Mean list cost per task on this model (price tiers included).
    pub cost: f64,
    /// Mean tokens per task on this model, by [`TokenKind::index`].
    pub tokens: [f64; TokenKind::COUNT],
    /// Mean list cost per task of each token kind, by [`TokenKind::index`]: the kind's mean
    /// tokens at the model's base rate, scaled so that the kinds add up to `cost` (the engine
    /// keeps cost per model, not per kind; prompt-length tiers raise every kind of a tiered
    /// call, so they are shared in proportion to the base-rate costs).
    pub cost_by_kind: [f64; TokenKind::COUNT],
}

impl ModelMeans {
    /// Each model's means from an engine run of `scenario`.
    fn of_run(scenario: &Scenario, result: &RunResult) -> Vec<ModelMeans> {
        let mean = |scope: Scope, name: &str| {
            result
                .layout
                .index_of(scope, name)
                .map_or(0.0, |i| result.moments[i].mean)
        };
        scenario
            .workflow
            .model_names
            .iter()
            .enumerate()
            .map(|(m, name)| {
                let cost = mean(Scope::Model(m), "cost_usd");
                let tokens =
                    TokenKind::ALL.map(|k| mean(Scope::Model(m), &format!("{}_tokens", k.name())));
                let at_base = TokenKind::ALL.map(|k| {
                    let rate = scenario.prices.get(m).map_or(0.0, |p| p.rate(k));
                    tokens[k.index()] * rate / 1e6
                });
                let base: f64 = at_base.iter().sum();
                let cost_by_kind = if base > 0.0 {
                    at_base.map(|c| c * (cost / base))
                } else {
                    [0.0; TokenKind::COUNT]
                };
                let id = scenario
                    .spec
                    .models
                    .get(name)
                    .and_then(|s| s.catalog.clone())
                    .unwrap_or_else(|| name.clone());
                ModelMeans {
                    name: name.clone(),
                    id,
                    cost,
                    tokens,
                    cost_by_kind,
                }
            })
            .collect()
    }
}

/// Quantities of a task that some billing schemes need besides its list cost and tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extra {
    /// Cost at batch rates (list rates for models without them).
    BatchCost = 0,
    /// Output and reasoning tokens (compute hours weigh them).
    OutputTokens = 1,
    /// Calls (requests).
    Calls = 2,
}

impl Extra {
    /// Number of extra quantities.
    pub const COUNT: usize = 3;
    /// All, in index order.
    pub const ALL: [Extra; 3] = [Extra::BatchCost, Extra::OutputTokens, Extra::Calls];
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
    /// Mean of each [`Extra`].
    pub extra_mean: [f64; Extra::COUNT],
    /// Variance of each [`Extra`].
    pub extra_var: [f64; Extra::COUNT],
    /// Covariance of each [`Extra`] with cost.
    pub extra_cov: [f64; Extra::COUNT],
}

impl PoolStats {
    /// The moments of paired samples (`extra` in [`TaskPool::extra`]'s layout, or empty).
    pub fn of(cost: &[f64], tokens: &[f64], extra: &[f64]) -> PoolStats {
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
        let (mut extra_mean, mut extra_var, mut extra_cov) = ([0.0; 3], [0.0; 3], [0.0; 3]);
        if extra.len() == cost.len() * Extra::COUNT {
            for e in 0..Extra::COUNT {
                let column = || extra.iter().skip(e).step_by(Extra::COUNT);
                let me = column().sum::<f64>() / n;
                let (mut v, mut c) = (0.0, 0.0);
                for (&x, &cst) in column().zip(cost) {
                    v += (x - me) * (x - me);
                    c += (x - me) * (cst - mc);
                }
                extra_mean[e] = me;
                extra_var[e] = v / n;
                extra_cov[e] = c / n;
            }
        }
        PoolStats {
            mean_cost: mc,
            var_cost: vc / n,
            m3_cost: m3 / n,
            mean_tokens: mt,
            var_tokens: vt / n,
            cov: cov / n,
            extra_mean,
            extra_var,
            extra_cov,
        }
    }
}

impl TaskPool {
    /// A pool from given tasks (tests, or pools made elsewhere), without [`Extra`]s: batch
    /// cost is taken as the list cost, output tokens and calls as 0.
    pub fn from_samples(cost: Vec<f64>, tokens: Vec<f64>) -> TaskPool {
        let extra = cost.iter().flat_map(|&c| [c, 0.0, 0.0]).collect();
        TaskPool::with_extras(cost, tokens, extra)
    }

    /// A pool from given tasks with their [`Extra`]s (`[task * Extra::COUNT + extra]`).
    pub fn with_extras(cost: Vec<f64>, tokens: Vec<f64>, extra: Vec<f64>) -> TaskPool {
        let stats = PoolStats::of(&cost, &tokens, &extra);
        TaskPool {
            cost,
            tokens,
            extra,
            stats,
            models: Vec::new(),
        }
    }

    /// Task `i`'s extra quantity `e`.
    #[inline]
    pub fn extra(&self, i: usize, e: Extra) -> f64 {
        self.extra[i * Extra::COUNT + e as usize]
    }

    /// Runs `size` trials of `scenario` with `seed` on the task engine.
    pub fn simulate(
        scenario: &Scenario,
        size: u64,
        seed: u64,
        threads: Option<usize>,
    ) -> Result<TaskPool, EngineError> {
        let prices = scenario.price_table();
        let mut collect = Collect {
            rates: Some(crate::pricing::RateCard::new(&scenario.prices, 1)),
            ..Collect::default()
        };
        let config = RunConfig {
            trials: size,
            seed,
            threads,
        };
        let result = engine::run(&scenario.workflow, &prices, &config, &mut collect)?;
        let mut pool = TaskPool::with_extras(collect.cost, collect.tokens, collect.extra);
        pool.models = ModelMeans::of_run(scenario, &result);
        Ok(pool)
    }

    /// [`TaskPool::simulate`], remembered for the rest of the process: a pool is a pure
    /// function of the scenario (its file and text), the size and the seed, so reloading the
    /// same forecast with other overrides (stress cases, sensitivity, sweeps, break-even
    /// points) reuses its pools instead of simulating them again; across processes the on-disk
    /// cache ([`super::pool_cache`], when the binary turns it on) does the same. At most [`POOL_MEMO`] pools
    /// are kept, the oldest dropped first.
    pub fn simulate_remembered(
        scenario: &Scenario,
        size: u64,
        seed: u64,
        threads: Option<usize>,
    ) -> Result<TaskPool, EngineError> {
        use std::sync::{Arc, Mutex};
        type Memo = Vec<((String, String, u64, u64), Arc<TaskPool>)>;
        static MEMO: Mutex<Memo> = Mutex::new(Vec::new());
        let key = (scenario.origin.clone(), scenario.text.clone(), size, seed);
        if let Ok(memo) = MEMO.lock()
            && let Some((_, pool)) = memo.iter().find(|(k, _)| *k == key)
        {
            return Ok(TaskPool::clone(pool));
        }
        let pool = super::pool_cache::load_or_simulate(scenario, size, seed, threads)?;
        if let Ok(mut memo) = MEMO.lock() {
            if memo.len() >= POOL_MEMO {
                memo.remove(0);
            }
            memo.push((key, Arc::new(pool.clone())));
        }
        Ok(pool)
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
    extra: Vec<f64>,
    rates: Option<crate::pricing::RateCard>,
}

impl Observer for Collect {
    fn wants_trials(&self) -> bool {
        true
    }

    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        self.cost.extend_from_slice(&block.cost);
        let per_row = block.models * crate::pricing::TokenKind::COUNT;
        use crate::pricing::TokenKind;
        for row in 0..block.len() {
            let cells = &block.tokens[row * per_row..(row + 1) * per_row];
            let t: u64 = cells.iter().sum();
            self.tokens.push(t as f64);
            let out: u64 = (0..block.models)
                .map(|m| {
                    block.tokens(row, m, TokenKind::Output)
                        + block.tokens(row, m, TokenKind::Reasoning)
                })
                .sum();
            self.extra.extend([
                self.rates.as_ref().map_or(0.0, |r| r.batch_cost(cells)),
                out as f64,
                block.calls[row] as f64,
            ]);
        }
        Ok(())
    }
}
