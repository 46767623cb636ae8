//! Poisson, geometric and negative binomial maximum-likelihood fits to counts.
//!
//! Poisson: `λ̂ = ȳ`, `SE = √(λ̂/n)`. Geometric (failures before the first success):
//! `p̂ = 1/(1 + ȳ)`, `SE = p̂ √(1 − p̂)/√n`. Negative binomial with mean `μ` and dispersion `r`
//! (variance `μ + μ²/r`): `μ̂ = ȳ` for every `r`, and `r̂` maximises the profile likelihood, the
//! root of `Σ[ψ(y_i + r) − ψ(r)] + n ln(r/(r + μ̂)) = 0` (found by bisection on `ln r`; it exists
//! only when the sample variance exceeds the mean). `μ` and `r` are orthogonal (the observed
//! information is diagonal at the estimate), so `SE(μ̂) = √((μ̂ + μ̂²/r̂)/n)` and
//! `SE(r̂) = 1/√J`, `J = Σ[ψ'(r̂) − ψ'(y_i + r̂)] − nμ̂/(r̂(r̂ + μ̂))`.

use super::ks::ks_discrete;
use super::{Fit, FitError, Fitted, Param, aic};
use crate::stats::special::{digamma, ln_gamma, trigamma};

/// The sample's distinct values with their frequencies, and its mean.
fn table(data: &[u64]) -> (Vec<(u64, f64)>, f64) {
    let mut sorted = data.to_vec();
    sorted.sort_unstable();
    let mut out: Vec<(u64, f64)> = Vec::new();
    for y in sorted {
        match out.last_mut() {
            Some((v, c)) if *v == y => *c += 1.0,
            _ => out.push((y, 1.0)),
        }
    }
    let mean = data.iter().map(|&y| y as f64).sum::<f64>() / data.len() as f64;
    (out, mean)
}

fn nonempty(data: &[u64]) -> Result<(), FitError> {
    if data.is_empty() {
        Err(FitError::TooFew {
            needed: 1,
            found: 0,
        })
    } else {
        Ok(())
    }
}

/// Cumulative distribution of a count law from its log pmf, for `0..=max`.
fn cdf_table(max: u64, log_pmf: impl Fn(u64) -> f64) -> Vec<f64> {
    let mut acc = 0.0;
    (0..=max)
        .map(|k| {
            acc += log_pmf(k).exp();
            acc.min(1.0)
        })
        .collect()
}

/// Fits a Poisson distribution.
pub fn fit_poisson(data: &[u64]) -> Result<Fit, FitError> {
    nonempty(data)?;
    let (freq, mean) = table(data);
    let n = data.len() as f64;
    if mean <= 0.0 {
        return Err(FitError::NotApplicable("a Poisson needs a positive mean"));
    }
    let log_pmf = |y: u64| y as f64 * mean.ln() - mean - ln_gamma(y as f64 + 1.0);
    let log_likelihood = freq.iter().map(|&(y, c)| c * log_pmf(y)).sum();
    let cdf = cdf_table(freq.last().map_or(0, |l| l.0), log_pmf);
    Ok(Fit {
        fitted: Fitted::Poisson { mean },
        params: vec![Param {
            name: "mean",
            value: mean,
            se: (mean / n).sqrt(),
        }],
        n: data.len(),
        log_likelihood,
        aic: aic(1, log_likelihood),
        ks: ks_discrete(&freq, data.len(), &cdf),
    })
}

/// Fits a geometric distribution (failures before the first success).
pub fn fit_geometric(data: &[u64]) -> Result<Fit, FitError> {
    nonempty(data)?;
    let (freq, mean) = table(data);
    let n = data.len() as f64;
    let p = 1.0 / (1.0 + mean);
    if p >= 1.0 {
        return Err(FitError::NotApplicable("a geometric needs a positive mean"));
    }
    let log_pmf = |y: u64| p.ln() + y as f64 * (1.0 - p).ln();
    let log_likelihood = freq.iter().map(|&(y, c)| c * log_pmf(y)).sum();
    let cdf = cdf_table(freq.last().map_or(0, |l| l.0), log_pmf);
    Ok(Fit {
        fitted: Fitted::Geometric { p },
        params: vec![Param {
            name: "p",
            value: p,
            se: p * (1.0 - p).sqrt() / n.sqrt(),
        }],
        n: data.len(),
        log_likelihood,
        aic: aic(1, log_likelihood),
        ks: ks_discrete(&freq, data.len(), &cdf),
    })
}

fn nb_log_pmf(y: u64, mean: f64, r: f64) -> f64 {
    let y = y as f64;
    ln_gamma(y + r) - ln_gamma(r) - ln_gamma(y + 1.0)
        + r * (r / (r + mean)).ln()
        + y * (mean / (r + mean)).ln()
}

/// Fits a negative binomial distribution; `NotApplicable` when the sample is not
/// over-dispersed (the Poisson is then the limit of the family).
pub fn fit_negative_binomial(data: &[u64]) -> Result<Fit, FitError> {
    nonempty(data)?;
    let (freq, mean) = table(data);
    let n = data.len() as f64;
    let var = freq
        .iter()
        .map(|&(y, c)| c * (y as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    if mean <= 0.0 || var <= mean * (1.0 + 1e-9) {
        return Err(FitError::NotApplicable(
            "a negative binomial needs a variance above the mean",
        ));
    }
    // The profile score in r; positive below the root, negative above.
    let score = |r: f64| {
        freq.iter()
            .map(|&(y, c)| c * (digamma(y as f64 + r) - digamma(r)))
            .sum::<f64>()
            + n * (r / (r + mean)).ln()
    };
    let (mut lo, mut hi) = (1e-6f64.ln(), 1e8f64.ln());
    if score(hi.exp()) > 0.0 {
        return Err(FitError::NotApplicable(
            "the negative binomial's dispersion runs to infinity (Poisson-like sample)",
        ));
    }
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if score(mid.exp()) > 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo < 1e-12 {
            break;
        }
    }
    let r = (0.5 * (lo + hi)).exp();
    let log_likelihood = freq.iter().map(|&(y, c)| c * nb_log_pmf(y, mean, r)).sum();
    let info = freq
        .iter()
        .map(|&(y, c)| c * (trigamma(r) - trigamma(y as f64 + r)))
        .sum::<f64>()
        - n * mean / (r * (r + mean));
    let cdf = cdf_table(freq.last().map_or(0, |l| l.0), |y| nb_log_pmf(y, mean, r));
    Ok(Fit {
        fitted: Fitted::NegativeBinomial {
            mean,
            dispersion: r,
        },
        params: vec![
            Param {
                name: "mean",
                value: mean,
                se: ((mean + mean * mean / r) / n).sqrt(),
            },
            Param {
                name: "dispersion",
                value: r,
                se: if info > 0.0 {
                    1.0 / info.sqrt()
                } else {
                    f64::INFINITY
                },
            },
        ],
        n: data.len(),
        log_likelihood,
        aic: aic(2, log_likelihood),
        ks: ks_discrete(&freq, data.len(), &cdf),
    })
}
