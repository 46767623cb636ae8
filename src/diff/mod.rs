//! What a change to a scenario or forecast does to its cost: the two files run on common
//! random numbers (trial `i` of both runs draws from the stream of `(seed, i)`), summarised
//! side by side and as the paired difference, with the file changes parameter by parameter.
//!
//! Pairing: a trial of the base and the same trial of the head share their random stream, so
//! where the change leaves a draw's meaning alone (a price, a discount, one more phase at the
//! end) the two trials see the same task and the difference is far less noisy than two
//! independent runs; where the change moves draws around, the pairing weakens but every figure
//! stays honest, because the standard errors are computed from the paired differences
//! themselves.
//!
//! Figures: means with their standard errors; percentiles are exact order statistics of the
//! trials run (both runs keep every trial's cost, bounded by [`MAX_DIFF_TRIALS`]), their
//! standard errors from the distribution-free order-statistic interval (half its width over
//! 2 × 1.96); the change in a percentile (head's P90 − base's P90) carries a paired bootstrap
//! standard error ([`BOOTSTRAP_RESAMPLES`] resamples of trial indices, seeded from the run's
//! seed).

mod changes;

pub use changes::{Change, file_changes};

use serde::Serialize;

use crate::engine::{TrialRng, trial_rng};
use crate::stats::Z975;

/// Most trials a diff keeps per file (each trial's cost is held, for exact percentiles and
/// the paired bootstrap): 8 bytes per trial and file per figure.
pub const MAX_DIFF_TRIALS: u64 = 2_000_000;

/// Resamples of the paired bootstrap behind a percentile change's standard error.
pub const BOOTSTRAP_RESAMPLES: usize = 200;

/// The percentiles a diff reports.
pub const DIFF_PERCENTILES: [(&str, f64); 3] = [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)];

/// A figure with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    /// The value.
    pub value: f64,
    /// Its standard error.
    pub se: f64,
}

/// One statistic of the base, the head, and what the change does to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatisticDiff {
    /// `mean`, `p50`, `p90`, `p99`.
    pub statistic: &'static str,
    /// The base file's.
    pub base: Figure,
    /// The head file's.
    pub head: Figure,
    /// Head minus base (for the mean, the mean of the paired differences).
    pub change: Figure,
    /// The change relative to the base (`change / base`), when the base is not 0.
    pub relative_change: Option<f64>,
}

/// One quantity compared (a task's cost; a forecast's total or one year's bill).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantityDiff {
    /// What it is, in words (`cost per task (USD)`, `bill 2028`).
    pub quantity: String,
    /// Mean and percentiles.
    pub statistics: Vec<StatisticDiff>,
    /// Percentiles of the per-trial difference `head − base` (what one trial's change is).
    pub difference_percentiles: Vec<(String, f64)>,
    /// Share of trials in which the head costs more than the base.
    pub share_head_costs_more: f64,
}

/// Exact nearest-rank quantile of sorted values.
fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
    sorted[rank - 1]
}

/// Standard error of the `q`-quantile of sorted values, from the order-statistic 95% interval.
fn quantile_se(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n < 2 {
        return 0.0;
    }
    let (lo, hi) = crate::stats::interval_ranks(n as u64, q);
    let at = |r: u64| sorted[(r as usize).clamp(1, n) - 1];
    (at(hi) - at(lo)) / (2.0 * Z975)
}

fn mean_se(values: &[f64]) -> Figure {
    let m = crate::stats::Moments::of(values);
    Figure {
        value: m.mean,
        se: m.se(),
    }
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

fn relative(change: f64, base: f64) -> Option<f64> {
    (base != 0.0 && base.is_finite()).then(|| change / base)
}

/// Compares per-trial values of the base and head runs, paired trial by trial. `seed` seeds
/// the bootstrap (a stream of its own, distinct from every trial's).
pub fn compare_quantity(quantity: &str, base: &[f64], head: &[f64], seed: u64) -> QuantityDiff {
    assert_eq!(base.len(), head.len(), "paired runs have the same trials");
    let n = base.len();
    let diff: Vec<f64> = head.iter().zip(base).map(|(h, b)| h - b).collect();
    let (sb, sh, sd) = (sorted(base), sorted(head), sorted(&diff));
    let mut statistics = Vec::new();
    let (mb, mh, md) = (mean_se(base), mean_se(head), mean_se(&diff));
    statistics.push(StatisticDiff {
        statistic: "mean",
        base: mb,
        head: mh,
        change: md,
        relative_change: relative(md.value, mb.value),
    });
    // Paired bootstrap of the percentile changes: resample trial indices, read each
    // percentile of both runs from the same resample. The generator is the crate's own, on a
    // stream index no trial uses.
    let mut rng: TrialRng = trial_rng(seed ^ 0xd1ff_b007_5eed_0001, u64::MAX);
    let mut changes = vec![Vec::with_capacity(BOOTSTRAP_RESAMPLES); DIFF_PERCENTILES.len()];
    if n >= 2 {
        let (mut rb, mut rh) = (vec![0.0; n], vec![0.0; n]);
        for _ in 0..BOOTSTRAP_RESAMPLES {
            for k in 0..n {
                // Lemire's multiply-shift: an index uniform on 0..n up to a bias below n/2^64.
                let i = ((rng.next_word() as u128 * n as u128) >> 64) as usize;
                rb[k] = base[i];
                rh[k] = head[i];
            }
            rb.sort_by(f64::total_cmp);
            rh.sort_by(f64::total_cmp);
            for (j, &(_, q)) in DIFF_PERCENTILES.iter().enumerate() {
                changes[j].push(quantile_sorted(&rh, q) - quantile_sorted(&rb, q));
            }
        }
    }
    for (j, &(name, q)) in DIFF_PERCENTILES.iter().enumerate() {
        let base = Figure {
            value: quantile_sorted(&sb, q),
            se: quantile_se(&sb, q),
        };
        let head = Figure {
            value: quantile_sorted(&sh, q),
            se: quantile_se(&sh, q),
        };
        let change = head.value - base.value;
        let se = if changes[j].len() >= 2 {
            crate::stats::Moments::of(&changes[j]).sd()
        } else {
            0.0
        };
        statistics.push(StatisticDiff {
            statistic: name,
            base,
            head,
            change: Figure { value: change, se },
            relative_change: relative(change, base.value),
        });
    }
    QuantityDiff {
        quantity: quantity.to_string(),
        statistics,
        difference_percentiles: DIFF_PERCENTILES
            .iter()
            .map(|&(name, q)| (name.to_string(), quantile_sorted(&sd, q)))
            .collect(),
        share_head_costs_more: if n == 0 {
            f64::NAN
        } else {
            diff.iter().filter(|&&d| d > 0.0).count() as f64 / n as f64
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_shift_is_exact() {
        // Head = base + 2 in every trial: every change is exactly 2 with no error.
        let base: Vec<f64> = (0..1000).map(|i| (i * 7919 % 1000) as f64).collect();
        let head: Vec<f64> = base.iter().map(|b| b + 2.0).collect();
        let d = compare_quantity("x", &base, &head, 1);
        for s in &d.statistics {
            assert!((s.change.value - 2.0).abs() < 1e-12, "{s:?}");
            assert!(s.change.se.abs() < 1e-12, "{s:?}");
        }
        assert_eq!(d.share_head_costs_more, 1.0);
        // Base values are 0..999 once each: P90 is the 900th smallest, 899.
        assert_eq!(d.statistics[2].base.value, 899.0);
        assert!(d.difference_percentiles.iter().all(|(_, v)| *v == 2.0));
    }

    #[test]
    fn a_doubling_doubles_every_figure() {
        let base: Vec<f64> = (1..=500).map(|i| (i as f64).sqrt()).collect();
        let head: Vec<f64> = base.iter().map(|b| 2.0 * b).collect();
        let d = compare_quantity("x", &base, &head, 3);
        for s in &d.statistics {
            assert!((s.head.value - 2.0 * s.base.value).abs() < 1e-12);
            assert!((s.relative_change.unwrap() - 1.0).abs() < 1e-12);
        }
        // The mean difference's SE is the base's (the difference equals the base).
        let m = &d.statistics[0];
        assert!((m.change.se - m.base.se).abs() < 1e-12);
    }

    #[test]
    fn the_bootstrap_is_deterministic_in_the_seed() {
        let base: Vec<f64> = (0..300).map(|i| ((i * 37) % 101) as f64).collect();
        let head: Vec<f64> = (0..300).map(|i| ((i * 53) % 97) as f64).collect();
        assert_eq!(
            compare_quantity("x", &base, &head, 5),
            compare_quantity("x", &base, &head, 5)
        );
    }
}
