//! Exact reference values shared by the statistical tests: closed forms and exact sums, never a
//! simulation.

#![allow(dead_code)] // each test binary uses its own subset

pub mod browser;
pub mod focus;
pub mod forecast;
pub mod svg;

use statrs::distribution::{ContinuousCDF, Normal};

/// The standard normal distribution.
pub fn std_normal() -> Normal {
    Normal::new(0.0, 1.0).expect("N(0, 1) is valid")
}

/// `E[max(1, round(X))]` for `X` log-normal with median `median` and shape `sigma`, where
/// `round` is to nearest (ties have probability 0).
///
/// `max(1, round X) >= k` iff `k <= 1` or `X >= k - 1/2`, so by the tail-sum formula
/// `E = 1 + Σ_{k>=2} P(X >= k - 1/2)`, with `P(X >= t) = Φ(-(ln t - ln median) / sigma)`.
/// The sum stops at the first `k` whose z-score exceeds 9; the rest is at most
/// `E[(X + 1/2) 1{X >= K - 1/2}] = mean · Φ(sigma - z) + Φ(-z) / 2`, which is asserted
/// below 1e-9 (tokens) so the truncation is far below any standard error.
pub fn rounded_lognormal_mean(median: f64, sigma: f64) -> f64 {
    let n = std_normal();
    let mu = median.ln();
    let mean = (mu + sigma * sigma / 2.0).exp();
    let mut total = 1.0;
    let mut k = 2u64;
    loop {
        let t = k as f64 - 0.5;
        let z = (t.ln() - mu) / sigma;
        if z > 9.0 {
            let rest = mean * n.cdf(sigma - z) + 0.5 * n.cdf(-z);
            assert!(
                rest < 1e-9,
                "tail bound {rest} too large for LN({median}, {sigma})"
            );
            return total;
        }
        total += n.sf(z);
        k += 1;
    }
}

/// Probabilities `P(N = k)` for `k = 0..len` of a Poisson variable of mean `lambda`, by the
/// recurrence `p_k = p_{k-1} lambda / k`.
pub fn poisson_pmf(lambda: f64, len: usize) -> Vec<f64> {
    let mut p = (-lambda).exp();
    let mut out = Vec::with_capacity(len);
    for k in 0..len {
        if k > 0 {
            p *= lambda / k as f64;
        }
        out.push(p);
    }
    out
}

/// `P(A = k)` for `k = 1..=max` of a loop that passes each attempt with probability `p` and
/// stops after `max` attempts: `(1-p)^(k-1) p` below the maximum, `(1-p)^(max-1)` at it
/// (the last attempt runs whether it passes or not). Index 0 holds `P(A = 0) = 0`.
pub fn truncated_geometric_pmf(p: f64, max: usize) -> Vec<f64> {
    let q = 1.0 - p;
    let mut out = vec![0.0];
    for k in 1..=max {
        out.push(if k < max {
            q.powi(k as i32 - 1) * p
        } else {
            q.powi(k as i32 - 1)
        });
    }
    out
}

/// Mean and standard error of a sample.
pub fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// The nearest-rank `q` quantile of a sample.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1]
}
