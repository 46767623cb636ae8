//! Statistics of a comparison's months: a quantity's distribution over months (mean, exact
//! order statistics) and the batch-means standard error of a mean when months are grouped by
//! the pool they drew their tasks from (the method is stated in [`super::compare`]'s module doc:
//! `SE² = G/(G−1) · Σ_g (S_g − n_g ȳ)² / N²` over the `G` non-empty groups).

use serde::Serialize;

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
    /// Of `values` (at least one), summed in order; `se` is the plain `sd/√n` (independent
    /// values).
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

/// The batch-means groups of periods: group of each period, and the group count.
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    of: Vec<usize>,
    count: usize,
}

impl Groups {
    /// Period `p` in group `p mod k` (`k` at least 1).
    pub fn modulo(periods: u64, k: usize) -> Groups {
        let k = k.max(1);
        Groups {
            of: (0..periods).map(|p| (p % k as u64) as usize).collect(),
            count: k,
        }
    }

    /// The mean of `values` (one per period, in period order) and its batch-means SE (see the
    /// module doc); empty groups are left out.
    pub fn mean_se(&self, values: impl Iterator<Item = f64>) -> MeanSe {
        let mut sums = vec![0.0f64; self.count];
        let mut sizes = vec![0u64; self.count];
        let mut total = 0.0;
        let mut n = 0u64;
        for (v, &g) in values.zip(&self.of) {
            sums[g] += v;
            sizes[g] += 1;
            total += v;
            n += 1;
        }
        if n == 0 {
            return MeanSe { mean: 0.0, se: 0.0 };
        }
        let nf = n as f64;
        let mean = total / nf;
        let used = sizes.iter().filter(|&&s| s > 0).count();
        if used < 2 {
            return MeanSe { mean, se: 0.0 };
        }
        let ss: f64 = sums
            .iter()
            .zip(&sizes)
            .filter(|(_, s)| **s > 0)
            .map(|(&sum, &size)| (sum - size as f64 * mean).powi(2))
            .sum();
        let g = used as f64;
        MeanSe {
            mean,
            se: (g / (g - 1.0) * ss).sqrt() / nf,
        }
    }
}
