//! Log-normal and gamma maximum-likelihood fits.
//!
//! Log-normal: `μ̂ = mean(ln x)`, `σ̂² = mean((ln x − μ̂)²)`; `SE(μ̂) = σ̂/√n`, `SE(σ̂) = σ̂/√(2n)`;
//! the median `e^μ̂` has SE `e^μ̂ σ̂/√n` (delta method). Gamma: the shape solves
//! `ln k − ψ(k) = ln(mean x) − mean(ln x)` by Newton's method from Minka's (2002) start,
//! `θ̂ = mean/k̂`; the expected Fisher information per observation is
//! `[[ψ'(k), 1/θ], [1/θ, k/θ²]]`, whose inverse gives `Var k̂ = k/(n(kψ'(k) − 1))` and
//! `Var θ̂ = ψ'(k)θ²/(n(kψ'(k) − 1))`.

use super::ks::ks_continuous;
use super::{Fit, FitError, Fitted, Param, aic};
use crate::stats::special::{digamma, gamma_p, ln_gamma, normal_cdf, trigamma};

const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

fn check(data: &[f64]) -> Result<(), FitError> {
    if data.len() < 2 {
        return Err(FitError::TooFew {
            needed: 2,
            found: data.len(),
        });
    }
    match data.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
        Some(bad) => Err(FitError::OutOfSupport {
            expected: "positive finite values",
            found: *bad,
        }),
        None => Ok(()),
    }
}

/// Fits a log-normal distribution.
pub fn fit_lognormal(data: &[f64]) -> Result<Fit, FitError> {
    check(data)?;
    let n = data.len() as f64;
    let sum_ln: f64 = data.iter().map(|x| x.ln()).sum();
    let mu = sum_ln / n;
    let var = data.iter().map(|x| (x.ln() - mu).powi(2)).sum::<f64>() / n;
    if var <= 0.0 {
        return Err(FitError::NotApplicable(
            "a log-normal needs values that differ",
        ));
    }
    let sigma = var.sqrt();
    let log_likelihood = -sum_ln - n * sigma.ln() - n * LN_SQRT_2PI - n / 2.0;
    let ks = ks_continuous(data, |x| normal_cdf((x.ln() - mu) / sigma));
    Ok(Fit {
        fitted: Fitted::Lognormal { mu, sigma },
        params: vec![
            Param {
                name: "median",
                value: mu.exp(),
                se: mu.exp() * sigma / n.sqrt(),
            },
            Param {
                name: "sigma",
                value: sigma,
                se: sigma / (2.0 * n).sqrt(),
            },
        ],
        n: data.len(),
        log_likelihood,
        aic: aic(2, log_likelihood),
        ks,
    })
}

/// Fits a gamma distribution.
pub fn fit_gamma(data: &[f64]) -> Result<Fit, FitError> {
    check(data)?;
    let n = data.len() as f64;
    let mean = data.iter().sum::<f64>() / n;
    let mean_ln = data.iter().map(|x| x.ln()).sum::<f64>() / n;
    let s = mean.ln() - mean_ln;
    if s <= 1e-12 {
        return Err(FitError::NotApplicable("a gamma needs values that differ"));
    }
    let mut k = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..100 {
        // f(k) = ln k − ψ(k) − s, f'(k) = 1/k − ψ'(k) < 0.
        let f = k.ln() - digamma(k) - s;
        let step = f / (1.0 / k - trigamma(k));
        let next = (k - step).max(k / 10.0);
        let done = (next - k).abs() <= 1e-12 * k;
        k = next;
        if done {
            break;
        }
    }
    let theta = mean / k;
    let log_likelihood =
        (k - 1.0) * mean_ln * n - n * mean / theta - n * ln_gamma(k) - n * k * theta.ln();
    let denom = k * trigamma(k) - 1.0;
    let ks = ks_continuous(data, |x| gamma_p(k, x / theta));
    Ok(Fit {
        fitted: Fitted::Gamma {
            shape: k,
            scale: theta,
        },
        params: vec![
            Param {
                name: "shape",
                value: k,
                se: (k / (n * denom)).sqrt(),
            },
            Param {
                name: "scale",
                value: theta,
                se: (trigamma(k) * theta * theta / (n * denom)).sqrt(),
            },
        ],
        n: data.len(),
        log_likelihood,
        aic: aic(2, log_likelihood),
        ks,
    })
}
