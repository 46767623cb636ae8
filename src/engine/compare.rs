//! Pricing the same simulated periods (months) under several billing schemes (common random
//! numbers): every scheme bills the identical [`PeriodUsage`] of period `p`, so the paired
//! difference of two schemes has only the variance of the difference, not of each bill.
//!
//! **Where the tasks come from** ([`Method`]). [`Method::Pooled`] (the default) draws each
//! period's tasks from `K` pre-simulated pools (see [`super::compare_pool`]): period `p` draws
//! its seats' task counts and start slots exactly as a simulated period does, and each task is a
//! uniform draw from pool `p mod K`. Every scheme still bills the period task by task in start
//! order (per-seat allowances, hourly metering, overage caps and compute-hour demand are exact);
//! only the tasks' usage is resampled. [`Method::Simulate`] runs the workflow for every task of
//! every period (the reference path, for tests and the bench).
//!
//! **Standard errors by batch means.** Periods drawing from the same pool share its sampling
//! error, so they are not independent. Every mean (a scheme's bill, overage, units, …), every
//! paired difference `a − b` and every share `P(a cheaper)` gets its SE from the spread of the
//! `G` group means, group `g` being the periods that drew from pool `g`: with group sums `S_g`
//! of `n_g` periods, `N = Σ n_g` and the mean `ȳ = Σ S_g / N`,
//! `SE² = G/(G−1) · Σ_g (S_g − n_g ȳ)² / N²` (the cluster, or batch-means, estimator; with
//! equal groups it is `sd(group means)² / G`). The SE thus includes the pools' own sampling
//! error. When there are fewer periods than pools, `K` is lowered to the period count; with one
//! group the SE is 0. Under [`Method::Simulate`] each period is its own group (the plain SE).
//! Percentiles (P50, P90, P99) are exact order statistics of the period bills — the smallest
//! bill with at least that share of periods at or below it.
//!
//! **Break-even** along tasks per seat or seats ([`SweepAxis`]): the sweep points reuse the same
//! pools (common random numbers across points); at each point every pair's mean difference and
//! its batch-means SE give a curve whose zero crossings, with 95% test-inversion intervals, come
//! from [`crate::stats::crossing`] (see [`super::compare_break_even`]).
//!
//! Compute-hours schemes sized to a percentile of peak demand are sized once per workload from
//! the peaks of all its simulated periods, then billed on each period's demand profile.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use serde::Serialize;

use super::compare_break_even::{PairBreakEven, break_even};
use super::compare_pool::{PooledPeriods, join_parts, simulate_pool_tasks};
pub use super::compare_stats::{Distribution, Groups, MeanSe};
use super::period::{PeriodSimulator, Workload};
use super::run::{EngineError, worker_threads};
use crate::pricing::scheme::{Bill, BillingScheme, DemandProfile, Sizing};
use crate::pricing::{ModelPrices, PricedTasks, RateCard};
use crate::workflow::Workflow;

/// A scheme with its name.
#[derive(Debug, Clone)]
pub struct NamedScheme {
    /// The `[billing.NAME]` name.
    pub name: String,
    /// The scheme.
    pub scheme: BillingScheme,
}

/// Where each period's tasks come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Uniform draws from `pools` pre-simulated pools of `pool_size` tasks each; period `p`
    /// draws from pool `p mod pools`.
    Pooled {
        /// Pools (batch-means groups); lowered to the period count when there are fewer.
        pools: usize,
        /// Tasks per pool.
        pool_size: usize,
    },
    /// Every task of every period simulated by the workflow (the reference path).
    Simulate,
}

impl Method {
    /// The default: 32 pools of 8,192 tasks.
    pub const DEFAULT: Method = Method::Pooled {
        pools: 32,
        pool_size: 8192,
    };
}

impl Default for Method {
    fn default() -> Self {
        Method::DEFAULT
    }
}

/// The workload input a break-even sweep varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepAxis {
    /// Mean tasks per seat per month (`workload.tasks_per_seat`).
    TasksPerSeat,
    /// Seats on the plan (`workload.seats`, whole numbers).
    Seats,
}

impl SweepAxis {
    /// Every axis, in the order `--along` lists them.
    pub const ALL: [SweepAxis; 2] = [SweepAxis::TasksPerSeat, SweepAxis::Seats];

    /// The dotted path `--along` names it by.
    pub fn path(self) -> &'static str {
        match self {
            SweepAxis::TasksPerSeat => "workload.tasks_per_seat",
            SweepAxis::Seats => "workload.seats",
        }
    }

    /// The axis of a dotted path, if it is one.
    pub fn from_path(path: &str) -> Option<SweepAxis> {
        SweepAxis::ALL.into_iter().find(|a| a.path() == path)
    }

    /// What a value of it means, for people: `tasks per seat per month`, `seats`.
    pub fn unit_words(self) -> &'static str {
        match self {
            SweepAxis::TasksPerSeat => "tasks per seat per month",
            SweepAxis::Seats => "seats",
        }
    }

    /// Whether its values are whole numbers.
    pub fn is_integer(self) -> bool {
        matches!(self, SweepAxis::Seats)
    }

    /// The workload's current value of it.
    pub fn current(self, workload: &Workload) -> f64 {
        match self {
            SweepAxis::TasksPerSeat => workload.tasks_per_seat,
            SweepAxis::Seats => f64::from(workload.seats),
        }
    }

    /// How its values read in sentences, tables and charts.
    pub fn names(self) -> AlongNames {
        match self {
            SweepAxis::TasksPerSeat => AlongNames {
                path: self.path().to_string(),
                unit_words: "tasks per seat per month".into(),
                short: "tasks per seat".into(),
                title: "Tasks per seat per month".into(),
                style: ValueStyle::OneDecimal,
            },
            SweepAxis::Seats => AlongNames {
                path: self.path().to_string(),
                unit_words: "seats".into(),
                short: "seats".into(),
                title: "Seats".into(),
                style: ValueStyle::Whole,
            },
        }
    }

    /// The workload with the axis set to `x` (seats rounded, at least 1).
    pub fn apply(self, workload: &Workload, x: f64) -> Workload {
        match self {
            SweepAxis::TasksPerSeat => workload.with_tasks_per_seat(x),
            SweepAxis::Seats => Workload {
                seats: x.round().clamp(1.0, f64::from(u32::MAX)) as u32,
                ..workload.clone()
            },
        }
    }
}

/// How a swept input's values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueStyle {
    /// Whole numbers (`50`).
    Whole,
    /// One decimal (`62.5`).
    OneDecimal,
    /// Four significant digits, thousands separated (`0.4500`, `2,150`).
    Significant,
}

/// How people read the input a break-even sweep varies.
#[derive(Debug, Clone, PartialEq)]
pub struct AlongNames {
    /// Its dotted path in the scenario (`workload.tasks_per_seat`, `models.m.output`).
    pub path: String,
    /// What a value of it means, after the number in a sentence: `tasks per seat per month`.
    pub unit_words: String,
    /// Short, for a chart's title: `tasks per seat`.
    pub short: String,
    /// A chart axis's description: `Tasks per seat per month`.
    pub title: String,
    /// How its values are written.
    pub style: ValueStyle,
}

impl AlongNames {
    /// A value as people read it.
    pub fn format(&self, x: f64) -> String {
        match self.style {
            ValueStyle::Whole => crate::text::thousands(x.round()),
            ValueStyle::OneDecimal => format!("{x:.1}"),
            ValueStyle::Significant => {
                if x == 0.0 || !x.is_finite() {
                    return format!("{x}");
                }
                let decimals = (3 - x.abs().log10().floor() as i64).clamp(0, 8) as usize;
                let s = format!("{x:.decimals$}");
                if x.abs() >= 1000.0 {
                    crate::text::thousands(x.round())
                } else if s.contains('.') {
                    s.trim_end_matches('0').trim_end_matches('.').to_string()
                } else {
                    s
                }
            }
        }
    }
}

/// What to compare and how much to simulate.
#[derive(Debug, Clone)]
pub struct CompareSetup<'a> {
    /// The task workflow.
    pub workflow: &'a Workflow,
    /// Its models' prices.
    pub prices: &'a [ModelPrices],
    /// The team's workload.
    pub workload: Workload,
    /// The schemes (at least one).
    pub schemes: Vec<NamedScheme>,
    /// Index of the baseline scheme.
    pub baseline: usize,
    /// What the break-even sweep varies.
    pub along: SweepAxis,
    /// Values of the break-even sweep, increasing (empty: no sweep).
    pub sweep: Vec<f64>,
    /// Periods per sweep point.
    pub sweep_periods: u64,
    /// Where the tasks come from.
    pub method: Method,
}

/// One scheme's results.
#[derive(Debug, Clone, Serialize)]
pub struct SchemeResult {
    /// Name.
    pub name: String,
    /// Kind (`tokens`, `seats`, `commitment`, `compute_hours`).
    pub kind: &'static str,
    /// The period's bill in USD.
    pub cost_usd: Distribution,
    /// List-price value of the work done.
    pub list_usd: MeanSe,
    /// Tasks not done (throttled), per period.
    pub throttled_tasks: MeanSe,
    /// List-price value of the work not done, per period.
    pub throttled_list_usd: MeanSe,
    /// Commitment paid but unused, per period.
    pub unused_commitment_usd: MeanSe,
    /// Billed beyond an allowance, commitment or capacity at on-demand prices, per period.
    pub overage_usd: MeanSe,
    /// Units provisioned or consumption units billed, per period.
    pub units: MeanSe,
    /// Utilisation of provisioned capacity.
    pub utilisation: MeanSe,
}

/// A paired comparison of two schemes on the same periods.
#[derive(Debug, Clone, Serialize)]
pub struct PairResult {
    /// First scheme.
    pub a: String,
    /// Second scheme.
    pub b: String,
    /// `cost(a) - cost(b)` per period.
    pub difference_usd: MeanSe,
    /// Share of periods in which `a` is cheaper than `b`, with its batch-means SE.
    pub p_a_cheaper: MeanSe,
}

/// One point of the break-even sweep.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    /// The swept input's value (tasks per seat or seats).
    pub x: f64,
    /// Mean tasks per seat per period there.
    pub tasks_per_seat: f64,
    /// Seats there.
    pub seats: u32,
    /// Mean bill of each scheme, in scheme order.
    pub cost_usd: Vec<MeanSe>,
    /// Mean difference `a − b` of each pair, in the order of [`Comparison::pairs`].
    pub difference_usd: Vec<MeanSe>,
}

/// Everything `compare` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Periods simulated.
    pub periods: u64,
    /// Seed.
    pub seed: u64,
    /// Where the tasks came from: `pooled` or `simulated`.
    pub tasks_from: &'static str,
    /// The method in words: where the tasks come from, how standard errors and percentiles
    /// are made.
    pub method: String,
    /// How the method is checked.
    pub validation: &'static str,
    /// Pools (batch-means groups; 0 when simulated).
    pub pools: usize,
    /// Tasks per pool (0 when simulated).
    pub pool_size: usize,
    /// Tasks per period.
    pub tasks: Distribution,
    /// Per scheme, in scheme order.
    pub schemes: Vec<SchemeResult>,
    /// Every pair of schemes.
    pub pairs: Vec<PairResult>,
    /// The swept input's dotted path (`workload.tasks_per_seat`, `models.m.output`, ...).
    pub along: String,
    /// How it reads.
    #[serde(skip)]
    pub along_names: AlongNames,
    /// Its current value (the workload's).
    pub along_current: f64,
    /// The sweep.
    pub sweep: Vec<SweepPoint>,
    /// Break-even of every pair along the sweep (none without a sweep of two points).
    pub break_even: Vec<PairBreakEven>,
    /// Per scheme, each period's bill in period order (for CDF charts; not serialised).
    #[serde(skip)]
    pub period_costs: Vec<Vec<f64>>,
}

/// Bills of every period under every scheme.
pub(crate) struct Billed {
    /// `[scheme][period]`.
    bills: Vec<Vec<Bill>>,
    tasks: Vec<f64>,
}

/// One period's bills before compute-hours schemes sized to a percentile are sized (they need
/// every period's peak): per scheme, the bill, or the period's demand profile for those
/// schemes; and the period's task count. What a shard keeps of each of its periods.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PeriodBills {
    /// Per scheme, the bill (`None` for a scheme sized to a percentile).
    pub bills: Vec<Option<Bill>>,
    /// Per scheme, the demand profile (`Some` only for a scheme sized to a percentile).
    pub profiles: Vec<Option<DemandProfile>>,
    /// Tasks in the period.
    pub tasks: f64,
}

/// Counts finished work steps for a progress display.
pub struct Progress<'a> {
    done: AtomicU64,
    report: &'a (dyn Fn(u64) + Sync),
}

impl<'a> Progress<'a> {
    /// Calls `report(done)` after each finished step.
    pub fn new(report: &'a (dyn Fn(u64) + Sync)) -> Self {
        Progress {
            done: AtomicU64::new(0),
            report,
        }
    }

    fn step(&self, n: u64) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        (self.report)(done);
    }
}

/// How the pooled method is checked, as `compare.json` states it.
pub const VALIDATION: &str = "tests/compare.rs: on a small workload with random tasks, the pooled means of every scheme kind (tokens with hourly units, a seat plan with an allowance and throttling, a commitment, compute hours sized to a percentile), of every paired difference and P(a cheaper) agree with simulating every task within 4 combined standard errors; a deterministic task bills bit-identically under both";

/// Tasks simulated per pool part (the unit of parallel work while filling pools).
const POOL_PART: usize = 512;
/// Periods per parallel chunk (the unit of a shard of a comparison).
pub(crate) const PERIOD_CHUNK: u64 = 4;

pub(crate) fn pool_count(method: Method, periods: u64) -> usize {
    match method {
        Method::Pooled { pools, .. } => pools.clamp(1, usize::try_from(periods).unwrap_or(1)),
        Method::Simulate => 0,
    }
}

/// The work steps (pool parts and periods) of a comparison, for a progress bar's length.
pub fn work_steps(setup: &CompareSetup, periods: u64) -> u64 {
    let parts = match setup.method {
        Method::Pooled { pool_size, .. } => {
            (pool_count(setup.method, periods) * pool_size.max(1).div_ceil(POOL_PART)) as u64
        }
        Method::Simulate => 0,
    };
    parts + periods + setup.sweep.len() as u64 * setup.sweep_periods.max(1)
}

pub(crate) fn build_pools(
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
    progress: &Progress,
) -> Vec<Arc<PricedTasks>> {
    let Method::Pooled { pool_size, .. } = setup.method else {
        return Vec::new();
    };
    let size = pool_size.max(1) as u64;
    let k = pool_count(setup.method, periods) as u64;
    let parts_per_pool = size.div_ceil(POOL_PART as u64);
    let rates = RateCard::new(setup.prices, 1 + setup.workflow.extra_price_tiers());
    let weights: Vec<f64> = setup
        .schemes
        .iter()
        .filter_map(|s| match &s.scheme {
            BillingScheme::ComputeHours(c) => Some(c.output_weight),
            _ => None,
        })
        .collect();
    let parts: Vec<_> = (0..k * parts_per_pool)
        .into_par_iter()
        .map(|j| {
            let (pool, part) = (j / parts_per_pool, j % parts_per_pool);
            let start = part * POOL_PART as u64;
            let end = (start + POOL_PART as u64).min(size);
            let usage = simulate_pool_tasks(setup.workflow, seed, pool, start..end);
            progress.step(1);
            usage
        })
        .collect();
    let mut parts = parts.into_iter();
    (0..k)
        .map(|_| {
            let tasks = join_parts(parts.by_ref().take(parts_per_pool as usize).collect());
            Arc::new(PricedTasks::new(&tasks, &rates, &weights))
        })
        .collect()
}

fn bill_periods(
    setup: &CompareSetup,
    workload: &Workload,
    periods: u64,
    seed: u64,
    pools: &[Arc<PricedTasks>],
    progress: &Progress,
) -> Billed {
    let flat = bill_range(setup, workload, 0..periods, seed, pools, progress);
    size_and_bill(setup, flat)
}

/// Whether each scheme is a compute-hours scheme sized to a percentile of peak demand.
pub(crate) fn percentile_sized(setup: &CompareSetup) -> Vec<bool> {
    setup
        .schemes
        .iter()
        .map(|s| matches!(&s.scheme, BillingScheme::ComputeHours(c) if matches!(c.sizing, Sizing::PeakPercentile(_))))
        .collect()
}

/// Bills periods `range` of a workload (each period on its own, so any split of the periods
/// gives the same bills).
pub(crate) fn bill_range(
    setup: &CompareSetup,
    workload: &Workload,
    range: std::ops::Range<u64>,
    seed: u64,
    pools: &[Arc<PricedTasks>],
    progress: &Progress,
) -> Vec<PeriodBills> {
    let rates = RateCard::new(setup.prices, 1 + setup.workflow.extra_price_tiers());
    let percentile = percentile_sized(setup);
    let chunks = (range.end - range.start).div_ceil(PERIOD_CHUNK);
    let outs: Vec<Vec<PeriodBills>> = (0..chunks)
        .into_par_iter()
        .map_init(
            // Buffers reused across a worker's chunks (cleared for every month).
            || {
                let sim = PeriodSimulator::new(setup.workflow, workload);
                let period = sim.new_period();
                (sim, PooledPeriods::new(workload), period)
            },
            |(sim, drawer, period), c| {
                let mut out = Vec::new();
                let first = range.start + c * PERIOD_CHUNK;
                for p in first..(first + PERIOD_CHUNK).min(range.end) {
                    if pools.is_empty() {
                        sim.simulate(seed, p, period);
                    } else {
                        let pool = &pools[(p % pools.len() as u64) as usize];
                        drawer.draw(seed, p, pool, period);
                    }
                    let mut bills = Vec::with_capacity(setup.schemes.len());
                    let mut profiles = Vec::with_capacity(setup.schemes.len());
                    for (s, pct) in setup.schemes.iter().zip(&percentile) {
                        match (&s.scheme, pct) {
                            (BillingScheme::ComputeHours(c), true) => {
                                bills.push(None);
                                profiles.push(Some(DemandProfile::of(
                                    period,
                                    &rates,
                                    c.output_weight,
                                )));
                            }
                            (scheme, _) => {
                                bills.push(Some(scheme.bill(period, &rates)));
                                profiles.push(None);
                            }
                        }
                    }
                    out.push(PeriodBills {
                        bills,
                        profiles,
                        tasks: period.task_count() as f64,
                    });
                }
                progress.step(out.len() as u64);
                out
            },
        )
        .collect();
    outs.into_iter().flatten().collect()
}

/// Every period's bills (`flat`, in period order): schemes sized to a percentile sized from
/// all the periods' peaks, then billed on each period's profile.
pub(crate) fn size_and_bill(setup: &CompareSetup, flat: Vec<PeriodBills>) -> Billed {
    let percentile = percentile_sized(setup);
    let mut bills = vec![Vec::with_capacity(flat.len()); setup.schemes.len()];
    for (i, s) in setup.schemes.iter().enumerate() {
        if let BillingScheme::ComputeHours(c) = &s.scheme
            && percentile[i]
        {
            let peaks: Vec<f64> = flat
                .iter()
                .map(|o| {
                    o.profiles[i]
                        .as_ref()
                        .map_or(0.0, DemandProfile::peak_tokens_per_minute)
                })
                .collect();
            let Sizing::Fixed(units) = c.sized_to(&peaks).sizing else {
                unreachable!("sized_to fixes the units")
            };
            for o in &flat {
                let profile = o.profiles[i]
                    .as_ref()
                    .expect("a profile for percentile schemes");
                bills[i].push(c.bill_profile(units, profile));
            }
        } else {
            bills[i].extend(flat.iter().map(|o| o.bills[i].expect("billed")));
        }
    }
    Billed {
        bills,
        tasks: flat.iter().map(|o| o.tasks).collect(),
    }
}

/// The groups of `periods` periods: by pool (of `pools`), or each period alone when simulated
/// (`pools` 0).
fn groups_of(pools: usize, periods: u64) -> Groups {
    if pools == 0 {
        Groups::modulo(periods, usize::try_from(periods).unwrap_or(usize::MAX))
    } else {
        Groups::modulo(periods, pools)
    }
}

fn pair_indices(n: usize) -> Vec<(usize, usize)> {
    (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .collect()
}

/// Runs the comparison with `periods` periods from `seed` on `threads` threads (default: one
/// per core). Results do not depend on the thread count.
pub fn compare(
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
    threads: Option<usize>,
) -> Result<Comparison, EngineError> {
    compare_with_progress(setup, periods, seed, threads, &|_| {})
}

/// [`compare`], calling `progress(done)` as work steps finish (out of
/// [`work_steps`]`(setup, periods)`), from worker threads.
pub fn compare_with_progress(
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
    threads: Option<usize>,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Comparison, EngineError> {
    if periods == 0 {
        return Err(EngineError::NoTrials);
    }
    let pool = thread_pool(threads, periods)?;
    let progress = Progress::new(progress);
    pool.install(|| compare_on(setup, periods, seed, &progress))
}

/// The worker threads of a comparison of `periods` periods.
pub(crate) fn thread_pool(
    threads: Option<usize>,
    periods: u64,
) -> Result<rayon::ThreadPool, EngineError> {
    super::run::thread_pool(worker_threads(
        threads,
        periods.div_ceil(PERIOD_CHUNK).max(64),
    ))
}

fn compare_on(
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
    progress: &Progress,
) -> Result<Comparison, EngineError> {
    let pools = build_pools(setup, periods, seed, progress);
    let billed = bill_periods(setup, &setup.workload, periods, seed, &pools, progress);
    let sweep_periods = setup.sweep_periods.max(1);
    let sweep = setup
        .sweep
        .iter()
        .map(|&x| {
            let w = setup.along.apply(&setup.workload, x);
            let b = bill_periods(setup, &w, sweep_periods, seed, &pools, progress);
            sweep_point(setup, x, &w, &b, pools.len())
        })
        .collect();
    Ok(finish(setup, periods, seed, pools.len(), &billed, sweep))
}

/// One point of the break-even sweep from its periods' bills.
pub(crate) fn sweep_point(
    setup: &CompareSetup,
    x: f64,
    w: &Workload,
    b: &Billed,
    pools: usize,
) -> SweepPoint {
    let sweep_groups = groups_of(pools, setup.sweep_periods.max(1));
    let totals: Vec<Vec<f64>> = b
        .bills
        .iter()
        .map(|bills| bills.iter().map(|b| b.total_usd).collect())
        .collect();
    SweepPoint {
        x,
        tasks_per_seat: w.tasks_per_seat,
        seats: w.seats,
        cost_usd: totals
            .iter()
            .map(|t| sweep_groups.mean_se(t.iter().copied()))
            .collect(),
        difference_usd: pair_indices(totals.len())
            .into_iter()
            .map(|(a, b)| {
                sweep_groups.mean_se(totals[a].iter().zip(&totals[b]).map(|(x, y)| x - y))
            })
            .collect(),
    }
}

/// The comparison from its periods' bills (`billed`, of `pools` pools, 0 when simulated) and
/// its sweep's points.
pub(crate) fn finish(
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
    pools: usize,
    billed: &Billed,
    sweep: Vec<SweepPoint>,
) -> Comparison {
    let groups = groups_of(pools, periods);
    let costs: Vec<Vec<f64>> = billed
        .bills
        .iter()
        .map(|b| b.iter().map(|x| x.total_usd).collect())
        .collect();
    let schemes = setup
        .schemes
        .iter()
        .zip(&billed.bills)
        .zip(&costs)
        .map(|((s, bills), cost)| {
            let m = |f: fn(&Bill) -> f64| groups.mean_se(bills.iter().map(f));
            let mut cost_usd = Distribution::of(cost);
            cost_usd.se = groups.mean_se(cost.iter().copied()).se;
            SchemeResult {
                name: s.name.clone(),
                kind: s.scheme.kind(),
                cost_usd,
                list_usd: m(|b| b.list_usd),
                throttled_tasks: m(|b| b.throttled_tasks as f64),
                throttled_list_usd: m(|b| b.throttled_list_usd),
                unused_commitment_usd: m(|b| b.unused_commitment_usd),
                overage_usd: m(|b| b.overage_usd),
                units: m(|b| b.units),
                utilisation: m(|b| b.utilisation),
            }
        })
        .collect();
    let pairs = pair_indices(costs.len())
        .into_iter()
        .map(|(a, b)| PairResult {
            a: setup.schemes[a].name.clone(),
            b: setup.schemes[b].name.clone(),
            difference_usd: groups.mean_se(costs[a].iter().zip(&costs[b]).map(|(x, y)| x - y)),
            p_a_cheaper: groups.mean_se(
                costs[a]
                    .iter()
                    .zip(&costs[b])
                    .map(|(x, y)| if x < y { 1.0 } else { 0.0 }),
            ),
        })
        .collect();
    let names: Vec<&str> = setup.schemes.iter().map(|s| s.name.as_str()).collect();
    let break_even = break_even(&names, &setup.along.names(), &sweep);
    let (tasks_from, pool_count, pool_size) = match setup.method {
        Method::Pooled { pool_size, .. } => ("pooled", pools, pool_size),
        Method::Simulate => ("simulated", 0, 0),
    };
    let method = match setup.method {
        Method::Pooled { .. } => format!(
            "each month's task counts and start hours drawn as simulated, its tasks drawn uniformly from {pool_count} pools of {pool_size} pre-simulated tasks (month p from pool p mod {pool_count}) and billed task by task in start order; standard errors by batch means over the {pool_count} pool groups (cluster formula), so they include the pools' own sampling error; percentiles are exact order statistics of the months' bills"
        ),
        Method::Simulate => "every task of every month simulated and billed task by task in start order; standard errors of independent months; percentiles are exact order statistics of the months' bills".to_string(),
    };
    Comparison {
        periods,
        seed,
        tasks_from,
        method,
        validation: VALIDATION,
        pools: pool_count,
        pool_size,
        tasks: {
            let mut d = Distribution::of(&billed.tasks);
            d.se = groups.mean_se(billed.tasks.iter().copied()).se;
            d
        },
        schemes,
        pairs,
        along: setup.along.path().to_string(),
        along_names: setup.along.names(),
        along_current: setup.along.current(&setup.workload),
        sweep,
        break_even,
        period_costs: costs,
    }
}
