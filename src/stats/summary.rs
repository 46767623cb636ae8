//! What a summary states for one metric: moments with their standard error, and quantiles with
//! distribution-free 95% confidence intervals.
//!
//! Quantile confidence intervals use the order-statistic method: the interval between the order
//! statistics of ranks `n q ∓ 1.96 sqrt(n q (1 − q))` covers the true quantile with about 95%
//! probability whatever the distribution (normal approximation to the binomial).

use serde::Serialize;

use super::moments::Moments;
use super::sketch::QuantileSketch;

/// The 97.5% standard normal quantile.
pub const Z975: f64 = 1.959_963_984_540_054;

/// The quantiles a summary reports, with their JSON names.
pub const QUANTILES: [(&str, f64); 7] = [
    ("p5", 0.05),
    ("p25", 0.25),
    ("p50", 0.50),
    ("p75", 0.75),
    ("p90", 0.90),
    ("p95", 0.95),
    ("p99", 0.99),
];

/// A 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// Quantile confidence intervals, one per reported quantile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantileIntervals {
    /// 95% CI of P5.
    pub p5: Interval,
    /// 95% CI of P25.
    pub p25: Interval,
    /// 95% CI of P50.
    pub p50: Interval,
    /// 95% CI of P75.
    pub p75: Interval,
    /// 95% CI of P90.
    pub p90: Interval,
    /// 95% CI of P95.
    pub p95: Interval,
    /// 95% CI of P99.
    pub p99: Interval,
}

/// Everything a summary states about one metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSummary {
    /// Mean.
    pub mean: f64,
    /// Standard error of the mean.
    pub se: f64,
    /// Standard deviation.
    pub sd: f64,
    /// Smallest value (exact).
    pub min: f64,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Largest value (exact).
    pub max: f64,
    /// Mean of the values above P95 (expected shortfall / CVaR 95%).
    pub mean_beyond_p95: f64,
    /// 95% confidence intervals of the percentiles.
    pub ci95: QuantileIntervals,
}

impl MetricSummary {
    /// Summarises a metric from its moments and sketch. `integers` makes small integer
    /// quantiles exact. An empty sample gives all zeros.
    pub fn new(m: &Moments, sketch: &QuantileSketch, integers: bool) -> MetricSummary {
        let clamp = |v: Option<f64>| match v {
            Some(v) if m.n > 0 => v.clamp(m.min, m.max),
            _ => 0.0,
        };
        // Every order statistic in one pass over the sketch: the quantiles, then the lower
        // and upper ranks of each quantile's interval.
        let n = sketch.count();
        let mut ranks = [0u64; 3 * QUANTILES.len()];
        for (j, &(_, p)) in QUANTILES.iter().enumerate() {
            let (lo, hi) = interval_ranks(n, p);
            ranks[3 * j] = sketch.quantile_rank(p);
            ranks[3 * j + 1] = lo;
            ranks[3 * j + 2] = hi;
        }
        let values: Vec<f64> = sketch
            .values_at_ranks(&ranks, integers)
            .into_iter()
            .map(clamp)
            .collect();
        let q = |j: usize| values[3 * j];
        let ci = |j: usize| Interval {
            lo: values[3 * j + 1],
            hi: values[3 * j + 2],
        };
        let (min, max) = if m.n > 0 { (m.min, m.max) } else { (0.0, 0.0) };
        MetricSummary {
            mean: m.mean,
            se: m.se(),
            sd: m.sd(),
            min,
            p5: q(0),
            p25: q(1),
            p50: q(2),
            p75: q(3),
            p90: q(4),
            p95: q(5),
            p99: q(6),
            max,
            mean_beyond_p95: clamp(sketch.mean_above(0.95, integers)),
            ci95: QuantileIntervals {
                p5: ci(0),
                p25: ci(1),
                p50: ci(2),
                p75: ci(3),
                p90: ci(4),
                p95: ci(5),
                p99: ci(6),
            },
        }
    }

    /// The reported quantile of the given name (`"p50"`, ...).
    pub fn quantile(&self, name: &str) -> Option<f64> {
        Some(match name {
            "p5" => self.p5,
            "p25" => self.p25,
            "p50" => self.p50,
            "p75" => self.p75,
            "p90" => self.p90,
            "p95" => self.p95,
            "p99" => self.p99,
            _ => return None,
        })
    }
}

/// The ranks (1-based) of the order statistics bounding the 95% confidence interval of the
/// `q`-quantile of `n` values: `floor(n q − 1.96 sqrt(n q (1 − q)))` and
/// `ceil(n q + 1.96 sqrt(n q (1 − q)))`, at least 1.
pub fn interval_ranks(n: u64, q: f64) -> (u64, u64) {
    let nf = n as f64;
    let half = Z975 * (nf * q * (1.0 - q)).sqrt();
    let lo = (nf * q - half).floor().max(1.0) as u64;
    let hi = (nf * q + half).ceil().max(1.0) as u64;
    (lo, hi)
}

/// The 95% confidence interval of the `q`-quantile read off a sketch (zeros when empty).
pub fn quantile_interval(sketch: &QuantileSketch, q: f64, integers: bool) -> Interval {
    let (lo, hi) = interval_ranks(sketch.count(), q);
    let [lo, hi] = [lo, hi].map(|rank| sketch.value_at_rank(rank, integers).unwrap_or(0.0));
    Interval { lo, hi }
}

/// The `q`-quantile of a sketch with its 95% confidence interval, in one pass (zeros when
/// empty).
pub fn quantile_with_interval(sketch: &QuantileSketch, q: f64, integers: bool) -> (f64, Interval) {
    let (lo, hi) = interval_ranks(sketch.count(), q);
    let values = sketch.values_at_ranks(&[sketch.quantile_rank(q), lo, hi], integers);
    let [q, lo, hi] = [0, 1, 2].map(|i| values[i].unwrap_or(0.0));
    (q, Interval { lo, hi })
}

/// A mean with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Estimate {
    /// Point estimate.
    pub mean: f64,
    /// Standard error.
    pub se: f64,
}

impl Estimate {
    /// A proportion from `k` successes in `n` trials, with the binomial standard error.
    pub fn proportion(k: u64, n: u64) -> Estimate {
        if n == 0 {
            return Estimate { mean: 0.0, se: 0.0 };
        }
        let p = k as f64 / n as f64;
        Estimate {
            mean: p,
            se: (p * (1.0 - p) / n as f64).sqrt(),
        }
    }

    /// The ratio of means `E[X] / E[Y]` with its delta-method standard error, from the moments
    /// of X and Y and the mean of their product.
    pub fn ratio_of_means(x: &Moments, y: &Moments, mean_xy: f64) -> Estimate {
        if y.n == 0 || y.mean == 0.0 {
            return Estimate {
                mean: f64::NAN,
                se: f64::NAN,
            };
        }
        let n = x.n as f64;
        let r = x.mean / y.mean;
        let cov = (mean_xy - x.mean * y.mean) * n / (n - 1.0).max(1.0);
        let var = (x.variance() - 2.0 * r * cov + r * r * y.variance()).max(0.0);
        Estimate {
            mean: r,
            se: (var / n).sqrt() / y.mean.abs(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportion_has_the_binomial_standard_error() {
        let e = Estimate::proportion(25, 100);
        assert_eq!(e.mean, 0.25);
        assert!((e.se - (0.25f64 * 0.75 / 100.0).sqrt()).abs() < 1e-15);
    }

    #[test]
    fn constant_ratio_has_zero_error() {
        // X = 2 Y exactly.
        let ys = [1.0, 0.0, 1.0, 1.0];
        let xs: Vec<f64> = ys.iter().map(|y| 2.0 * y).collect();
        let mean_xy = xs.iter().zip(&ys).map(|(x, y)| x * y).sum::<f64>() / 4.0;
        let e = Estimate::ratio_of_means(&Moments::of(&xs), &Moments::of(&ys), mean_xy);
        assert!((e.mean - 2.0).abs() < 1e-12);
        assert!(e.se.abs() < 1e-9, "{}", e.se);
    }

    #[test]
    fn summary_of_one_to_a_thousand() {
        let values: Vec<f64> = (1..=1000).map(f64::from).collect();
        let mut s = QuantileSketch::new();
        values.iter().for_each(|&v| s.insert(v));
        let m = MetricSummary::new(&Moments::of(&values), &s, true);
        assert_eq!(
            (m.min, m.p50, m.p90, m.p99, m.max),
            (1.0, 500.0, 900.0, 990.0, 1000.0)
        );
        assert!(m.ci95.p50.lo < 500.0 && m.ci95.p50.hi > 500.0);
    }
}
