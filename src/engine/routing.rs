//! The routing comparison: every policy of a scenario's `[routing]` run on the same tasks
//! (common random numbers), aggregated per policy and per pair of policies.
//!
//! **Streams.** Trial `i` is one task: its difficulty (and correlated inputs) are drawn once,
//! from trial `i`'s stream ([`trial_rng`]`(seed, i)`), and every policy sees them. The task run
//! on model `m` draws from the stream `trial_rng(seed, i)` when `m` is the agent's own model
//! (so "always the agent's model" repeats `run`'s trials when its skill is 1) and from
//! `trial_rng(seed ^ name_stream(m), i)` otherwise: the task on a given model is the same
//! realisation whichever policy sends it there, so policies differ only by where they route,
//! never by noise. A routed run is computed once per trial and shared by the policies that use
//! it. The router's difficulty estimate `D̂ = D · exp(τ ε)` takes `ε` from the stream
//! `trial_rng(seed ^ ESTIMATE_SALT, i)`, the same for every policy.
//!
//! **Aggregation.** Per trial and policy: the cost (every rung the task ran on), whether the
//! task was resolved (the last run succeeded) and whether it went beyond the first model.
//! Chunks of [`CHUNK_TRIALS`] trials give the co-moments of every pair of these columns and a
//! quantile sketch of each policy's cost; chunks merge in chunk order (Chan's update), so the
//! result is bit-identical at any thread count. The statistics are in
//! [`super::routing_summary`].

use rayon::prelude::*;

use super::run::{CHUNK_TRIALS, EngineError, RunConfig, worker_threads};
use super::seed::{name_stream, trial_rng};
use crate::pricing::PriceTable;
use crate::stats::{CoMoments, DistAccumulator};
use crate::workflow::{RouteEscalation, Routing, TrialEvent, TrialFactors, TrialUsage, Workflow};

/// Distinguishes the router's estimate stream from the trial streams.
const ESTIMATE_SALT: u64 = 0x726f_7574_6572_6573; // "routeres"

/// Columns per policy: cost, resolved, escalated.
pub const COLUMNS_PER_POLICY: usize = 3;

/// The merged aggregates of a routing comparison.
#[derive(Debug, Clone)]
pub struct RoutingResult {
    /// Trials run.
    pub trials: u64,
    /// Columns (`COLUMNS_PER_POLICY` per policy).
    pub width: usize,
    /// Co-moments of columns `a ≤ b`, at `a * width + b` (the rest unused).
    pub comoments: Vec<CoMoments>,
    /// Each policy's cost per task.
    pub costs: Vec<DistAccumulator>,
}

impl RoutingResult {
    /// The co-moment of columns `a` and `b` (either order).
    pub fn co(&self, a: usize, b: usize) -> &CoMoments {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        &self.comoments[a * self.width + b]
    }

    /// The mean of column `a`.
    pub fn mean(&self, a: usize) -> f64 {
        self.co(a, a).mean_x
    }

    /// The sample covariance of columns `a` and `b` (divisor `n − 1`).
    pub fn cov(&self, a: usize, b: usize) -> f64 {
        let c = self.co(a, b);
        if c.n < 2 {
            0.0
        } else {
            c.cxy / (c.n - 1) as f64
        }
    }

    pub(super) fn merge(&mut self, other: &RoutingResult) {
        self.trials += other.trials;
        for (a, b) in self.comoments.iter_mut().zip(&other.comoments) {
            a.merge(b);
        }
        for (a, b) in self.costs.iter_mut().zip(&other.costs) {
            a.merge(b);
        }
    }
}

/// One routed run of a trial: its cost, success and whether a loop escalated.
#[derive(Debug, Clone, Copy)]
struct RungRun {
    cost: f64,
    success: bool,
    switched: bool,
}

/// Runs every policy of `routing` on `config.trials` tasks of `workflow` (the scenario as
/// written: its factors are the tasks' difficulty), priced with `prices`.
pub fn run_routing(
    workflow: &Workflow,
    routing: &Routing,
    prices: &PriceTable,
    config: &RunConfig,
) -> Result<RoutingResult, EngineError> {
    if config.trials == 0 {
        return Err(EngineError::NoTrials);
    }
    let mut total = empty(routing.policies.len());
    run_chunks(
        workflow,
        routing,
        prices,
        config,
        0..config.trials.div_ceil(CHUNK_TRIALS),
        |out| total.merge(&out),
    )?;
    Ok(total)
}

/// Runs the chunks `chunks` of `config`'s routing comparison on both threads and hands each
/// chunk's aggregates to `each` in chunk order, whatever thread ran it.
pub(super) fn run_chunks(
    workflow: &Workflow,
    routing: &Routing,
    prices: &PriceTable,
    config: &RunConfig,
    chunks: std::ops::Range<u64>,
    mut each: impl FnMut(RoutingResult),
) -> Result<(), EngineError> {
    let threads = worker_threads(config.threads, chunks.end - chunks.start);
    let pool = super::run::thread_pool(threads)?;
    let ctx = Context {
        workflow,
        routing,
        prices,
        seed: config.seed,
        trials: config.trials,
        stream_seeds: routing
            .variant_models
            .iter()
            .map(|&m| {
                if m == routing.base_model {
                    config.seed
                } else {
                    config.seed ^ name_stream(&workflow.model_names[m])
                }
            })
            .collect(),
    };
    let batch = (threads as u64 * 16).max(1);
    let mut start = chunks.start;
    while start < chunks.end {
        let end = (start + batch).min(chunks.end);
        // `collect` keeps chunk order, whatever thread ran each chunk.
        let outs: Vec<RoutingResult> = pool.install(|| {
            (start..end)
                .into_par_iter()
                .map(|chunk| ctx.run_chunk(chunk))
                .collect()
        });
        outs.into_iter().for_each(&mut each);
        start = end;
    }
    Ok(())
}

/// An empty comparison of `policies` policies.
pub(super) fn empty(policies: usize) -> RoutingResult {
    let width = policies * COLUMNS_PER_POLICY;
    RoutingResult {
        trials: 0,
        width,
        comoments: vec![CoMoments::default(); width * width],
        costs: vec![DistAccumulator::default(); policies],
    }
}

struct Context<'a> {
    workflow: &'a Workflow,
    routing: &'a Routing,
    prices: &'a PriceTable,
    seed: u64,
    trials: u64,
    /// The seed of each variant's stream.
    stream_seeds: Vec<u64>,
}

impl Context<'_> {
    fn run_chunk(&self, chunk: u64) -> RoutingResult {
        let first = chunk * CHUNK_TRIALS;
        let last = (first + CHUNK_TRIALS).min(self.trials);
        let policies = &self.routing.policies;
        let width = policies.len() * COLUMNS_PER_POLICY;
        let mut rows = vec![0.0; (last - first) as usize * width];
        let mut usage = TrialUsage::new(self.workflow.phase_count(), self.workflow.model_count());
        let mut runs: Vec<Option<RungRun>> = vec![None; self.routing.variants.len()];
        let needs_estimate = policies
            .iter()
            .any(|p| p.hard_above.is_some() && p.estimate_noise > 0.0);
        for (index, row) in (first..last).zip(rows.chunks_exact_mut(width)) {
            let factors = match &self.workflow.factors {
                Some(f) => f.draw(&trial_rng(self.seed, index)),
                None => TrialFactors::NONE,
            };
            let epsilon = if needs_estimate {
                crate::dist::standard_normal(&mut trial_rng(self.seed ^ ESTIMATE_SALT, index))
            } else {
                0.0
            };
            runs.iter_mut().for_each(|r| *r = None);
            for (k, policy) in policies.iter().enumerate() {
                let estimate = if policy.estimate_noise > 0.0 {
                    factors.difficulty() * crate::dist::exp(policy.estimate_noise * epsilon)
                } else {
                    factors.difficulty()
                };
                let first_rung = policy.first_rung(estimate);
                let last_rung = policy.last_rung(first_rung);
                let mut cost = 0.0;
                let mut resolved = false;
                let mut switched = false;
                let mut rungs = 0;
                for rung in first_rung..=last_rung {
                    let v = policy.variants[rung];
                    let run = *runs[v].get_or_insert_with(|| {
                        let mut rng = trial_rng(self.stream_seeds[v], index);
                        self.routing.variants[v].run_task(&mut rng, &factors, &mut usage);
                        RungRun {
                            cost: self.prices.trial_cost(&usage),
                            success: usage.success,
                            switched: usage.events(TrialEvent::Escalation) > 0,
                        }
                    });
                    cost += run.cost;
                    rungs += 1;
                    switched |= run.switched;
                    if run.success {
                        resolved = true;
                        break;
                    }
                }
                let escalated = first_rung > 0
                    || rungs > 1
                    || (matches!(policy.escalate, RouteEscalation::FailedAttempts(_)) && switched);
                let cells = &mut row[k * COLUMNS_PER_POLICY..(k + 1) * COLUMNS_PER_POLICY];
                cells[0] = cost;
                cells[1] = resolved as u8 as f64;
                cells[2] = escalated as u8 as f64;
            }
        }
        let mut out = empty(policies.len());
        out.trials = last - first;
        for a in 0..width {
            for b in a..width {
                out.comoments[a * width + b] = CoMoments::of_columns(&rows, width, a, b);
            }
        }
        let mut column = Vec::with_capacity((last - first) as usize);
        for (k, acc) in out.costs.iter_mut().enumerate() {
            column.clear();
            column.extend(rows.chunks_exact(width).map(|r| r[k * COLUMNS_PER_POLICY]));
            acc.insert_block(&column);
        }
        out
    }
}
