//! Pricing the same simulated periods under several billing schemes (common random numbers):
//! every scheme bills the identical [`PeriodUsage`] of period `p`, so the paired difference of
//! two schemes has only the variance of the difference, not of each bill.
//!
//! Per scheme: the distribution of the period's bill (mean ± SE, exact order statistics P50,
//! P90, P99 — the smallest bill with at least that share of periods at or below it). Per pair:
//! the mean difference ± SE and the probability that the first is cheaper (with its binomial
//! SE). Break-even: the mean tasks per seat at which a scheme costs as much as the baseline,
//! by linear interpolation between the sweep points where the mean difference changes sign.
//!
//! Compute-hours schemes sized to a percentile of peak demand are sized once per workload from
//! the peaks of all its simulated periods, then billed on each period's demand profile.

use rayon::prelude::*;
use serde::Serialize;

use super::period::{PeriodSimulator, Workload};
use super::run::{EngineError, worker_threads};
use crate::pricing::scheme::{Bill, BillingScheme, DemandProfile, Sizing};
use crate::pricing::{ModelPrices, RateCard};
use crate::workflow::Workflow;

/// A scheme with its name.
#[derive(Debug, Clone)]
pub struct NamedScheme {
    /// The `[billing.NAME]` name.
    pub name: String,
    /// The scheme.
    pub scheme: BillingScheme,
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
    /// Tasks-per-seat values of the break-even sweep (empty: no sweep).
    pub sweep: Vec<f64>,
    /// Periods per sweep point.
    pub sweep_periods: u64,
}

/// Distribution of one quantity over periods.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Distribution {
    /// Mean.
    pub mean: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// Standard deviation.
    pub sd: f64,
    /// Smallest value.
    pub min: f64,
    /// Median (exact order statistic).
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value.
    pub max: f64,
}

impl Distribution {
    /// Of `values` (at least one), summed in order.
    pub fn of(values: &[f64]) -> Distribution {
        let n = values.len().max(1) as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = if values.len() > 1 {
            values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| {
            let rank = (p * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1]
        };
        Distribution {
            mean,
            se: (var / n).sqrt(),
            sd: var.sqrt(),
            min: sorted[0],
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: sorted[sorted.len() - 1],
        }
    }
}

/// A mean with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanSe {
    /// Mean.
    pub mean: f64,
    /// Standard error.
    pub se: f64,
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
    /// Share of periods in which `a` is cheaper than `b`, with its binomial SE.
    pub p_a_cheaper: MeanSe,
}

/// One point of the break-even sweep.
#[derive(Debug, Clone, Serialize)]
pub struct SweepPoint {
    /// Mean tasks per seat per period.
    pub tasks_per_seat: f64,
    /// Mean bill of each scheme, in scheme order.
    pub cost_usd: Vec<MeanSe>,
}

/// Where a scheme costs as much as the baseline.
#[derive(Debug, Clone, Serialize)]
pub struct BreakEven {
    /// The scheme.
    pub scheme: String,
    /// The baseline.
    pub baseline: String,
    /// Tasks per seat where the mean difference crosses zero (linear interpolation between
    /// the bracketing sweep points), if it does in the swept range.
    pub tasks_per_seat: Option<f64>,
    /// The sweep points bracketing the crossing.
    pub bracket: Option<[f64; 2]>,
    /// In words, when there is no crossing: which is cheaper across the range.
    pub note: String,
}

/// Everything `compare` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Periods simulated.
    pub periods: u64,
    /// Seed.
    pub seed: u64,
    /// Tasks per period.
    pub tasks: Distribution,
    /// Per scheme, in scheme order.
    pub schemes: Vec<SchemeResult>,
    /// Every pair of schemes.
    pub pairs: Vec<PairResult>,
    /// The sweep.
    pub sweep: Vec<SweepPoint>,
    /// Break-even of each scheme against the baseline.
    pub break_even: Vec<BreakEven>,
    /// Per scheme, each period's bill in period order (for CDF charts; not serialised).
    #[serde(skip)]
    pub period_costs: Vec<Vec<f64>>,
}

/// Bills of every period under every scheme.
struct Billed {
    /// `[scheme][period]`.
    bills: Vec<Vec<Bill>>,
    tasks: Vec<f64>,
}

fn bill_periods(
    setup: &CompareSetup,
    workload: &Workload,
    periods: u64,
    seed: u64,
    pool: &rayon::ThreadPool,
) -> Billed {
    let rates = RateCard::new(setup.prices, 1 + setup.workflow.extra_price_tiers());
    let percentile: Vec<bool> = setup
        .schemes
        .iter()
        .map(|s| matches!(&s.scheme, BillingScheme::ComputeHours(c) if matches!(c.sizing, Sizing::PeakPercentile(_))))
        .collect();
    const CHUNK: u64 = 16;
    let chunks = periods.div_ceil(CHUNK);
    type Out = (Vec<Option<Bill>>, Vec<Option<DemandProfile>>, f64);
    let outs: Vec<Vec<Out>> = pool.install(|| {
        (0..chunks)
            .into_par_iter()
            .map(|c| {
                let mut sim = PeriodSimulator::new(setup.workflow, workload);
                let mut period = sim.new_period();
                let mut out = Vec::new();
                for p in c * CHUNK..((c + 1) * CHUNK).min(periods) {
                    sim.simulate(seed, p, &mut period);
                    let mut bills = Vec::with_capacity(setup.schemes.len());
                    let mut profiles = Vec::with_capacity(setup.schemes.len());
                    for (s, pct) in setup.schemes.iter().zip(&percentile) {
                        match (&s.scheme, pct) {
                            (BillingScheme::ComputeHours(c), true) => {
                                bills.push(None);
                                profiles.push(Some(DemandProfile::of(
                                    &period,
                                    &rates,
                                    c.output_weight,
                                )));
                            }
                            (scheme, _) => {
                                bills.push(Some(scheme.bill(&period, &rates)));
                                profiles.push(None);
                            }
                        }
                    }
                    out.push((bills, profiles, period.task_count() as f64));
                }
                out
            })
            .collect()
    });
    let flat: Vec<Out> = outs.into_iter().flatten().collect();
    let mut bills = vec![Vec::with_capacity(flat.len()); setup.schemes.len()];
    for (i, s) in setup.schemes.iter().enumerate() {
        if let BillingScheme::ComputeHours(c) = &s.scheme
            && percentile[i]
        {
            let peaks: Vec<f64> = flat
                .iter()
                .map(|o| {
                    o.1[i]
                        .as_ref()
                        .map_or(0.0, DemandProfile::peak_tokens_per_minute)
                })
                .collect();
            let Sizing::Fixed(units) = c.sized_to(&peaks).sizing else {
                unreachable!("sized_to fixes the units")
            };
            for o in &flat {
                let profile = o.1[i].as_ref().expect("a profile for percentile schemes");
                bills[i].push(c.bill_profile(units, profile));
            }
        } else {
            bills[i].extend(flat.iter().map(|o| o.0[i].expect("billed")));
        }
    }
    Billed {
        bills,
        tasks: flat.iter().map(|o| o.2).collect(),
    }
}

fn mean_se(values: impl Iterator<Item = f64>) -> MeanSe {
    let v: Vec<f64> = values.collect();
    let d = Distribution::of(&v);
    MeanSe {
        mean: d.mean,
        se: d.se,
    }
}

/// Runs the comparison with `periods` periods from `seed` on `threads` threads (default: one
/// per core). Results do not depend on the thread count.
pub fn compare(
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
    threads: Option<usize>,
) -> Result<Comparison, EngineError> {
    if periods == 0 {
        return Err(EngineError::NoTrials);
    }
    let threads = worker_threads(threads, periods.div_ceil(16));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EngineError::ThreadPool {
            threads,
            message: e.to_string(),
        })?;
    let billed = bill_periods(setup, &setup.workload, periods, seed, &pool);
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
        .map(|((s, bills), cost)| SchemeResult {
            name: s.name.clone(),
            kind: s.scheme.kind(),
            cost_usd: Distribution::of(cost),
            list_usd: mean_se(bills.iter().map(|b| b.list_usd)),
            throttled_tasks: mean_se(bills.iter().map(|b| b.throttled_tasks as f64)),
            throttled_list_usd: mean_se(bills.iter().map(|b| b.throttled_list_usd)),
            unused_commitment_usd: mean_se(bills.iter().map(|b| b.unused_commitment_usd)),
            overage_usd: mean_se(bills.iter().map(|b| b.overage_usd)),
            units: mean_se(bills.iter().map(|b| b.units)),
            utilisation: mean_se(bills.iter().map(|b| b.utilisation)),
        })
        .collect();
    let mut pairs = Vec::new();
    for a in 0..costs.len() {
        for b in a + 1..costs.len() {
            pairs.push(PairResult {
                a: setup.schemes[a].name.clone(),
                b: setup.schemes[b].name.clone(),
                difference_usd: mean_se(costs[a].iter().zip(&costs[b]).map(|(x, y)| x - y)),
                p_a_cheaper: mean_se(
                    costs[a]
                        .iter()
                        .zip(&costs[b])
                        .map(|(x, y)| if x < y { 1.0 } else { 0.0 }),
                ),
            });
        }
    }
    let mut sweep = Vec::new();
    for &x in &setup.sweep {
        let w = setup.workload.with_tasks_per_seat(x);
        let b = bill_periods(setup, &w, setup.sweep_periods.max(1), seed, &pool);
        sweep.push(SweepPoint {
            tasks_per_seat: x,
            cost_usd: b
                .bills
                .iter()
                .map(|bills| mean_se(bills.iter().map(|b| b.total_usd)))
                .collect(),
        });
    }
    let break_even = break_even(setup, &sweep);
    Ok(Comparison {
        periods,
        seed,
        tasks: Distribution::of(&billed.tasks),
        schemes,
        pairs,
        sweep,
        break_even,
        period_costs: costs,
    })
}

fn break_even(setup: &CompareSetup, sweep: &[SweepPoint]) -> Vec<BreakEven> {
    let base = setup.baseline;
    let mut out = Vec::new();
    if sweep.len() < 2 {
        return out;
    }
    for (i, s) in setup.schemes.iter().enumerate() {
        if i == base {
            continue;
        }
        let diff: Vec<f64> = sweep
            .iter()
            .map(|p| p.cost_usd[i].mean - p.cost_usd[base].mean)
            .collect();
        let crossing = (0..diff.len() - 1).find(|&k| (diff[k] <= 0.0) != (diff[k + 1] <= 0.0));
        let (x, bracket, note) = match crossing {
            Some(k) => {
                let (x0, x1) = (sweep[k].tasks_per_seat, sweep[k + 1].tasks_per_seat);
                let x = x0 + (x1 - x0) * diff[k] / (diff[k] - diff[k + 1]);
                let cheaper_below = if diff[k] <= 0.0 {
                    &s.name
                } else {
                    &setup.schemes[base].name
                };
                (
                    Some(x),
                    Some([x0, x1]),
                    format!("{cheaper_below} is cheaper below the break-even point"),
                )
            }
            None => {
                let cheaper = if diff[0] <= 0.0 {
                    &s.name
                } else {
                    &setup.schemes[base].name
                };
                (
                    None,
                    None,
                    format!(
                        "no break-even between {} and {} tasks per seat: {cheaper} is cheaper at every point",
                        sweep[0].tasks_per_seat,
                        sweep[sweep.len() - 1].tasks_per_seat
                    ),
                )
            }
        };
        out.push(BreakEven {
            scheme: s.name.clone(),
            baseline: setup.schemes[base].name.clone(),
            tasks_per_seat: x,
            bracket,
            note,
        });
    }
    out
}
