//! Scores of a back-test: a forecast fitted on the first months of a history against the
//! actual bills of the months held out, beside two baselines computed in the same run.
//!
//! - **Coverage**: the share of held-out months whose actual bill lies in the forecast's P10–P90
//!   (nominal 80%) and P5–P95 (nominal 90%) bands.
//! - **CRPS** (continuous ranked probability score, Gneiting & Raftery 2007): `E|X − y| −
//!   ½ E|X − X'|` in the bill's currency, lower is better; a point forecast's CRPS is its
//!   absolute error. From a sample, exactly: `(1/n) Σ |x_i − y| − (1/n²) Σ (2i − n − 1) x_(i)`.
//!   For a normal, the closed form `σ [z (2Φ(z) − 1) + 2φ(z) − 1/√π]`, `z = (y − μ)/σ`.
//! - **Pinball loss**: the quantile loss averaged over the levels 5%, 10%, …, 95%.
//!
//! The baselines, from the fitted months' actual bills alone:
//! - **run rate**: a straight line through them by least squares, extended, with the normal
//!   prediction interval of the regression (`s √(1 + 1/k + (t − t̄)²/Sxx)`);
//! - **bootstrap of past months**: the fitted months' bills resampled, i.e. their empirical
//!   distribution, the same for every held-out month.

use serde::Serialize;

use crate::stats::special::{normal_cdf, normal_quantile};

/// The quantile levels of the pinball loss.
pub const PINBALL_LEVELS: [f64; 19] = [
    0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70, 0.75, 0.80,
    0.85, 0.90, 0.95,
];

/// One forecaster's view of one month and its scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MonthScore {
    /// P5, P10, P50, P90, P95.
    pub p5: f64,
    /// See `p5`.
    pub p10: f64,
    /// See `p5`.
    pub p50: f64,
    /// See `p5`.
    pub p90: f64,
    /// See `p5`.
    pub p95: f64,
    /// CRPS against the actual.
    pub crps: f64,
    /// Mean pinball loss over [`PINBALL_LEVELS`].
    pub pinball: f64,
}

impl MonthScore {
    /// Scores a sample (sorted here) against the actual `y`.
    pub fn of_sample(sample: &mut [f64], y: f64) -> MonthScore {
        sample.sort_by(f64::total_cmp);
        let n = sample.len();
        let q = |p: f64| quantile_sorted(sample, p);
        let mut abs = 0.0;
        let mut spread = 0.0;
        for (i, &x) in sample.iter().enumerate() {
            abs += (x - y).abs();
            spread += (2.0 * (i as f64 + 1.0) - n as f64 - 1.0) * x;
        }
        let nf = n as f64;
        MonthScore {
            p5: q(0.05),
            p10: q(0.10),
            p50: q(0.50),
            p90: q(0.90),
            p95: q(0.95),
            crps: abs / nf - spread / (nf * nf),
            pinball: pinball(y, q),
        }
    }

    /// Scores a normal forecast `N(mean, sd²)` against `y`.
    pub fn of_normal(mean: f64, sd: f64, y: f64) -> MonthScore {
        let q = |p: f64| mean + sd * normal_quantile(p);
        let crps = if sd > 0.0 {
            let z = (y - mean) / sd;
            let pdf = (-0.5 * z * z).exp() / (2.0 * std::f64::consts::PI).sqrt();
            sd * (z * (2.0 * normal_cdf(z) - 1.0) + 2.0 * pdf - 1.0 / std::f64::consts::PI.sqrt())
        } else {
            (y - mean).abs()
        };
        MonthScore {
            p5: q(0.05),
            p10: q(0.10),
            p50: mean,
            p90: q(0.90),
            p95: q(0.95),
            crps,
            pinball: pinball(y, q),
        }
    }

    /// Whether `y` is in P10–P90 and in P5–P95.
    pub fn covers(&self, y: f64) -> (bool, bool) {
        (
            (self.p10..=self.p90).contains(&y),
            (self.p5..=self.p95).contains(&y),
        )
    }
}

fn pinball(y: f64, q: impl Fn(f64) -> f64) -> f64 {
    PINBALL_LEVELS
        .iter()
        .map(|&t| {
            let v = q(t);
            if y >= v {
                t * (y - v)
            } else {
                (1.0 - t) * (v - y)
            }
        })
        .sum::<f64>()
        / PINBALL_LEVELS.len() as f64
}

/// The `p` quantile of a sorted sample, linear between order statistics (type 7).
pub fn quantile_sorted(sorted: &[f64], p: f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * p;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The run-rate baseline for the `h` months after `history` (months 1..k): the least-squares
/// line's value and its prediction SD for each.
pub fn run_rate(history: &[f64], h: usize) -> Vec<(f64, f64)> {
    let k = history.len() as f64;
    let t_mean = (k + 1.0) / 2.0;
    let y_mean = history.iter().sum::<f64>() / k;
    let sxx: f64 = (1..=history.len())
        .map(|t| (t as f64 - t_mean).powi(2))
        .sum();
    let sxy: f64 = history
        .iter()
        .enumerate()
        .map(|(i, y)| (i as f64 + 1.0 - t_mean) * (y - y_mean))
        .sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let sse: f64 = history
        .iter()
        .enumerate()
        .map(|(i, y)| (y - y_mean - slope * (i as f64 + 1.0 - t_mean)).powi(2))
        .sum();
    let s = if history.len() > 2 {
        (sse / (k - 2.0)).sqrt()
    } else {
        0.0
    };
    (1..=h)
        .map(|j| {
            let t = k + j as f64;
            let sd = if sxx > 0.0 {
                s * (1.0 + 1.0 / k + (t - t_mean).powi(2) / sxx).sqrt()
            } else {
                s
            };
            (y_mean + slope * (t - t_mean), sd)
        })
        .collect()
}

/// Coverage and mean scores of one forecaster over the held-out months.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    /// Share of months in P10–P90 (nominal 0.8).
    pub coverage_80: f64,
    /// Share of months in P5–P95 (nominal 0.9).
    pub coverage_90: f64,
    /// Mean CRPS.
    pub crps: f64,
    /// Mean pinball loss.
    pub pinball: f64,
}

impl Scores {
    /// Summarises `months` (score, actual) pairs.
    pub fn of(months: &[(MonthScore, f64)]) -> Scores {
        let n = months.len().max(1) as f64;
        let mut s = Scores {
            coverage_80: 0.0,
            coverage_90: 0.0,
            crps: 0.0,
            pinball: 0.0,
        };
        for (m, y) in months {
            let (a, b) = m.covers(*y);
            s.coverage_80 += f64::from(u8::from(a)) / n;
            s.coverage_90 += f64::from(u8::from(b)) / n;
            s.crps += m.crps / n;
            s.pinball += m.pinball / n;
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crps_of_a_sample_matches_its_definition() {
        // Sample {1, 2, 4}, y = 3: E|X − y| = (2 + 1 + 1)/3; E|X − X'| over all 9 pairs =
        // 2 (1 + 3 + 2)/9 = 12/9; CRPS = 4/3 − 6/9 = 2/3.
        let s = MonthScore::of_sample(&mut [4.0, 1.0, 2.0], 3.0);
        assert!((s.crps - 2.0 / 3.0).abs() < 1e-12, "{s:?}");
        // A point forecast's CRPS is its absolute error.
        let p = MonthScore::of_sample(&mut [5.0; 4], 3.0);
        assert!((p.crps - 2.0).abs() < 1e-12);
        assert!((MonthScore::of_normal(5.0, 0.0, 3.0).crps - 2.0).abs() < 1e-12);
    }

    #[test]
    fn the_normal_crps_agrees_with_a_large_sample() {
        // The closed form against the sample formula on normal quantiles (a fine grid).
        let n = 20_000;
        let mut sample: Vec<f64> = (0..n)
            .map(|i| 10.0 + 2.0 * normal_quantile((i as f64 + 0.5) / n as f64))
            .collect();
        let y = 13.0;
        let exact = MonthScore::of_normal(10.0, 2.0, y).crps;
        let from_sample = MonthScore::of_sample(&mut sample, y).crps;
        assert!(
            (exact - from_sample).abs() < 1e-3,
            "{exact} vs {from_sample}"
        );
    }

    #[test]
    fn the_run_rate_extends_a_straight_line() {
        let rr = run_rate(&[10.0, 12.0, 14.0, 16.0], 2);
        assert!((rr[0].0 - 18.0).abs() < 1e-12 && (rr[1].0 - 20.0).abs() < 1e-12);
        assert_eq!(rr[0].1, 0.0);
        let noisy = run_rate(&[10.0, 13.0, 13.0, 16.0], 1);
        assert!(noisy[0].1 > 0.0);
    }
}
