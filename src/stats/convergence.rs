//! Convergence checkpoints: the running mean with its standard error and the running P95 with
//! its distribution-free 95% confidence interval, after a prefix of the trials.
//!
//! The P95 interval is the one every summary gives (order statistics of ranks
//! `n q ∓ 1.96 sqrt(n q (1 − q))`, see [`super::summary`]), read off the sketch of the prefix.
//! A precision target compares the relative standard error `se / mean` and the relative
//! half-width `(hi − lo) / (2 · P95)` against the target.

use serde::Serialize;

use super::moments::Moments;
use super::sketch::QuantileSketch;
use super::summary::{Interval, quantile_with_interval};

/// The estimates after the first `trials` trials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Checkpoint {
    /// Trials so far.
    pub trials: u64,
    /// Running mean.
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
    /// Running 95th percentile.
    pub p95: f64,
    /// 95% confidence interval of the 95th percentile.
    pub p95_ci: Interval,
}

impl Checkpoint {
    /// The checkpoint of a prefix from its moments and sketch (`integers`: see
    /// [`QuantileSketch::value_at_rank`]).
    pub fn new(moments: &Moments, sketch: &QuantileSketch, integers: bool) -> Checkpoint {
        let (p95, p95_ci) = quantile_with_interval(sketch, 0.95, integers);
        Checkpoint {
            trials: moments.n,
            mean: moments.mean,
            se: moments.se(),
            p95,
            p95_ci,
        }
    }

    /// `se / |mean|`: infinite when the mean is 0 (unless the SE is 0 too).
    pub fn relative_se(&self) -> f64 {
        relative(self.se, self.mean)
    }

    /// Half the width of the P95 interval over `|P95|`.
    pub fn p95_relative_half_width(&self) -> f64 {
        relative(0.5 * (self.p95_ci.hi - self.p95_ci.lo), self.p95)
    }
}

fn relative(spread: f64, centre: f64) -> f64 {
    if spread == 0.0 {
        0.0
    } else if centre == 0.0 {
        f64::INFINITY
    } else {
        (spread / centre).abs()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_has_zero_spread() {
        let mut s = QuantileSketch::new();
        s.insert_repeated(2.0, 500);
        let c = Checkpoint::new(&Moments::of(&[2.0; 500]), &s, true);
        assert_eq!((c.trials, c.mean, c.se, c.p95), (500, 2.0, 0.0, 2.0));
        assert_eq!((c.relative_se(), c.p95_relative_half_width()), (0.0, 0.0));
    }

    #[test]
    fn one_to_a_thousand() {
        let values: Vec<f64> = (1..=1000).map(f64::from).collect();
        let mut s = QuantileSketch::new();
        values.iter().for_each(|&v| s.insert(v));
        let c = Checkpoint::new(&Moments::of(&values), &s, true);
        assert_eq!(c.p95, 950.0);
        // Ranks 950 -/+ 1.96 sqrt(47.5) = 936.5.., 963.5..: floor and ceil give 936 and 964.
        assert_eq!((c.p95_ci.lo, c.p95_ci.hi), (936.0, 964.0));
        assert!((c.p95_relative_half_width() - 14.0 / 950.0).abs() < 1e-15);
        let sd = (1000.0f64 * 1001.0 / 12.0).sqrt();
        assert!((c.relative_se() - sd / 1000f64.sqrt() / 500.5).abs() < 1e-12);
    }
}
