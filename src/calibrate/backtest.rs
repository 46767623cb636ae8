//! The back-test: simulate the fitted scenario and set its per-task cost distribution beside
//! the held-out tasks' costs.
//!
//! Figures: mean with its standard error, P50, P90 and P99 as exact order statistics (the
//! smallest value with at least a share q of the sample at or below it), the two-sample
//! Kolmogorov–Smirnov distance with its asymptotic p-value, and the quantile–quantile pairs
//! (held-out quantile at (i − ½)/n against the simulated quantile at the same level).

use serde::Serialize;

use crate::engine::{EngineError, Observer, RunConfig, TrialBlock};
use crate::scenario::Scenario;
use crate::stats::fit::ks_two_sample;

/// Per-task cost figures of one sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CostFigures {
    /// Tasks.
    pub n: usize,
    /// Mean cost in USD.
    pub mean: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 99th percentile.
    pub p99: f64,
}

impl CostFigures {
    /// The figures of a sample (sorted or not); `None` when empty.
    pub fn of(values: &[f64]) -> Option<CostFigures> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = if v.len() > 1 {
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        Some(CostFigures {
            n: v.len(),
            mean,
            se: (var / n).sqrt(),
            p50: order_statistic(&v, 0.5),
            p90: order_statistic(&v, 0.9),
            p99: order_statistic(&v, 0.99),
        })
    }
}

/// The smallest value with at least a share `q` of the sorted sample at or below it.
pub fn order_statistic(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// The back-test's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Backtest {
    /// Trials simulated.
    pub trials: u64,
    /// Seed of the simulation.
    pub seed: u64,
    /// The held-out tasks' costs.
    pub held_out: CostFigures,
    /// The simulated tasks' costs.
    pub simulated: CostFigures,
    /// Two-sample KS distance between the two cost samples.
    pub ks_distance: f64,
    /// Its asymptotic p-value (small: the samples differ).
    pub ks_p_value: f64,
    /// (held-out quantile, simulated quantile) pairs, one per held-out task.
    pub qq: Vec<(f64, f64)>,
    /// The held-out tasks' empirical CDF, `(cost, share at or below)`.
    #[serde(skip)]
    pub held_out_cdf: Vec<(f64, f64)>,
    /// The simulated costs' empirical CDF at 500 evenly spaced levels.
    #[serde(skip)]
    pub simulated_cdf: Vec<(f64, f64)>,
}

struct CostCollector(Vec<f64>);

impl Observer for CostCollector {
    fn wants_trials(&self) -> bool {
        true
    }
    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        self.0.extend_from_slice(&block.cost);
        Ok(())
    }
}

/// Simulates `scenario` and compares its per-task costs with `held_out` (USD per task).
/// `None` when nothing was held out.
pub fn backtest(
    scenario: &Scenario,
    held_out: &[f64],
    config: &RunConfig,
) -> Result<Option<Backtest>, EngineError> {
    if held_out.is_empty() {
        return Ok(None);
    }
    let mut collector = CostCollector(Vec::with_capacity(config.trials as usize));
    crate::simulate(scenario, config, &mut collector)?;
    Ok(compare(held_out, collector.0, config))
}

/// Compares held-out values with simulated ones (any per-task figure: cost, calls); `None`
/// when nothing was held out.
pub fn compare(held_out: &[f64], mut sim: Vec<f64>, config: &RunConfig) -> Option<Backtest> {
    let observed = CostFigures::of(held_out)?;
    sim.sort_by(f64::total_cmp);
    let simulated = CostFigures::of(&sim).expect("at least one trial ran");
    let (ks_distance, ks_p_value) = ks_two_sample(held_out, &sim);
    let mut obs = held_out.to_vec();
    obs.sort_by(f64::total_cmp);
    let n = obs.len() as f64;
    let qq = obs
        .iter()
        .enumerate()
        .map(|(i, &x)| (x, order_statistic(&sim, (i as f64 + 0.5) / n)))
        .collect();
    let held_out_cdf = obs
        .iter()
        .enumerate()
        .map(|(i, &x)| (x, (i + 1) as f64 / n))
        .collect();
    let simulated_cdf = (1..=500)
        .map(|k| {
            let q = k as f64 / 500.0;
            (order_statistic(&sim, q), q)
        })
        .collect();
    Some(Backtest {
        trials: config.trials,
        seed: config.seed,
        held_out: observed,
        simulated,
        ks_distance,
        ks_p_value,
        qq,
        held_out_cdf,
        simulated_cdf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_statistics_by_hand() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(order_statistic(&v, 0.5), 5.0);
        assert_eq!(order_statistic(&v, 0.9), 9.0);
        assert_eq!(order_statistic(&v, 0.99), 10.0);
        let f = CostFigures::of(&v).unwrap();
        assert_eq!(f.mean, 5.5);
        assert!((f.se - (55.0f64 / 6.0 / 10.0).sqrt()).abs() < 1e-12);
    }
}
