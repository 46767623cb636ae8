//! Maximum-likelihood fits of distribution families to a sample, ranked by AIC, each with its
//! Kolmogorov–Smirnov distance.
//!
//! Method: closed-form or Newton-solved MLEs (log-normal, gamma, Poisson, geometric, negative
//! binomial); standard errors from the inverse Fisher information at the estimate (expected
//! information where it has a closed form, observed information for the negative binomial's
//! dispersion); Akaike's information criterion `AIC = 2k − 2 ln L` to pick a family (Akaike
//! 1974). The KS distance is reported as a description of fit, not as a test: with estimated
//! parameters its null distribution is not Kolmogorov's (Lilliefors 1967), and for counts the
//! statistic is conservative. Pure statistics: no knowledge of what the numbers count.

mod continuous;
mod discrete;
mod ks;
pub mod optimize;

use serde::Serialize;

pub use continuous::{fit_gamma, fit_lognormal};
pub use discrete::{fit_geometric, fit_negative_binomial, fit_poisson};
pub use ks::{ks_continuous, ks_discrete, ks_two_sample};

/// A fitted family with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "family", rename_all = "snake_case")]
pub enum Fitted {
    /// Every observation had this value.
    Fixed {
        /// The value.
        value: f64,
    },
    /// `ln X ~ Normal(mu, sigma²)`.
    Lognormal {
        /// Mean of the log.
        mu: f64,
        /// Standard deviation of the log.
        sigma: f64,
    },
    /// Gamma with density `x^{k−1} e^{−x/θ} / (Γ(k) θ^k)`.
    Gamma {
        /// Shape `k`.
        shape: f64,
        /// Scale `θ`.
        scale: f64,
    },
    /// Poisson with mean `λ`.
    Poisson {
        /// The mean.
        mean: f64,
    },
    /// Failures before the first success, success probability `p`.
    Geometric {
        /// Success probability.
        p: f64,
    },
    /// Negative binomial: variance = mean + mean² / dispersion.
    NegativeBinomial {
        /// The mean.
        mean: f64,
        /// The dispersion `r` (size).
        dispersion: f64,
    },
}

/// One estimated parameter with its standard error.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Param {
    /// Its name (as the scenario format spells it where it can).
    pub name: &'static str,
    /// The estimate.
    pub value: f64,
    /// Its standard error (asymptotic, from the Fisher information).
    pub se: f64,
}

/// A family fitted to a sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fit {
    /// The family and its estimates.
    pub fitted: Fitted,
    /// The estimates people read, with standard errors.
    pub params: Vec<Param>,
    /// Observations.
    pub n: usize,
    /// Maximised log-likelihood.
    pub log_likelihood: f64,
    /// `2k − 2 ln L`.
    pub aic: f64,
    /// Kolmogorov–Smirnov distance between the sample and the fitted CDF.
    pub ks: f64,
}

impl Fit {
    /// The estimate of the parameter called `name`.
    pub fn param(&self, name: &str) -> Option<Param> {
        self.params.iter().copied().find(|p| p.name == name)
    }
}

/// Why a sample cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Too few observations.
    #[error("expected at least {needed} observations, found {found}")]
    TooFew {
        /// Needed.
        needed: usize,
        /// Found.
        found: usize,
    },
    /// A value outside the family's support.
    #[error("expected {expected}, found {found}")]
    OutOfSupport {
        /// What the family accepts.
        expected: &'static str,
        /// The offending value.
        found: f64,
    },
    /// The family cannot describe the sample (e.g. no over-dispersion for a negative binomial).
    #[error("{0}")]
    NotApplicable(&'static str),
}

fn aic(k: usize, log_likelihood: f64) -> f64 {
    2.0 * k as f64 - 2.0 * log_likelihood
}

/// A degenerate fit when every value is the same, else `None`.
fn fixed_if_constant(data: &[f64]) -> Option<Fit> {
    let first = *data.first()?;
    data.iter().all(|&x| x == first).then(|| Fit {
        fitted: Fitted::Fixed { value: first },
        params: vec![Param {
            name: "value",
            value: first,
            se: 0.0,
        }],
        n: data.len(),
        log_likelihood: 0.0,
        aic: 0.0,
        ks: 0.0,
    })
}

/// Fits the positive continuous families (log-normal, gamma) and returns those that apply,
/// best AIC first; a constant sample gives one `Fixed` fit.
pub fn fit_positive(data: &[f64]) -> Result<Vec<Fit>, FitError> {
    if let Some(bad) = data.iter().find(|x| !(x.is_finite() && **x > 0.0)) {
        return Err(FitError::OutOfSupport {
            expected: "positive finite values",
            found: *bad,
        });
    }
    if let Some(fixed) = fixed_if_constant(data) {
        return Ok(vec![fixed]);
    }
    let mut fits = vec![fit_lognormal(data)?];
    if let Ok(gamma) = fit_gamma(data) {
        fits.push(gamma);
    }
    rank(&mut fits);
    Ok(fits)
}

/// Fits the count families (Poisson, geometric, negative binomial when over-dispersed) to
/// non-negative integers and returns those that apply, best AIC first; a constant sample gives
/// one `Fixed` fit.
pub fn fit_counts(data: &[u64]) -> Result<Vec<Fit>, FitError> {
    if data.is_empty() {
        return Err(FitError::TooFew {
            needed: 1,
            found: 0,
        });
    }
    let as_f64: Vec<f64> = data.iter().map(|&x| x as f64).collect();
    if let Some(fixed) = fixed_if_constant(&as_f64) {
        return Ok(vec![fixed]);
    }
    let mut fits = vec![fit_poisson(data)?, fit_geometric(data)?];
    if let Ok(nb) = fit_negative_binomial(data) {
        fits.push(nb);
    }
    rank(&mut fits);
    Ok(fits)
}

/// Sorts fits by AIC, smallest (best) first.
pub fn rank(fits: &mut [Fit]) {
    fits.sort_by(|a, b| a.aic.total_cmp(&b.aic));
}
