//! Draws at a given quantile: the inverse CDF of each family, for inputs whose ranks are tied
//! to other inputs' (a Gaussian copula: the scenario's `[[correlation]]`).
//!
//! A sampler is given a standard normal `z` and returns the draw at probability `u = Φ(z)`:
//! exactly for the log-normal (`exp(mu + sigma z)`), the normal (truncated at 0: the quantile
//! `u` of the part above 0), the uniform, triangular, geometric and empirical families (their
//! closed-form inverses); for the gamma by the inverse regularised incomplete gamma function
//! (`stats::special::gamma_q_inverse`, relative precision 1e-13); for the Poisson and negative
//! binomial by summing the probability mass until the cumulative probability reaches `u`.
//! PERT has no inverse here: [`Sampler::supports_quantile`] says so, and the scenario refuses
//! a PERT input in a correlation.

use super::exp::exp;
use super::ln::ln;
use super::sampler::{Kind, Sampler};
use crate::stats::special::{gamma_q_inverse, ln_gamma, normal_cdf};

/// Most terms a mass summation takes before it stops (far beyond any count a scenario allows).
const MAX_TERMS: u64 = 200_000_000;

impl Sampler {
    /// Whether [`Sampler::value_at`] can invert this family (every family but PERT).
    pub fn supports_quantile(&self) -> bool {
        !matches!(self.kind, Kind::Pert { .. })
    }

    /// The draw (plus `shift`, before rounding and clamping) at probability `Φ(z)`.
    /// PERT has no inverse here: it gives the middle of its range whatever `z` (scenarios
    /// refuse a PERT input in a correlation through [`Sampler::supports_quantile`]).
    pub fn value_at(&self, z: f64) -> f64 {
        let u = || normal_cdf(z);
        let x = match &self.kind {
            Kind::Fixed(v) => *v,
            Kind::Uniform { min, width } => min + width * u(),
            Kind::UniformInt { min, count } => {
                min + ((u() * *count as f64).floor()).min(*count as f64 - 1.0)
            }
            Kind::Normal { mean, sd } => {
                // The normal truncated at 0: quantile u of the mass above 0.
                let below = normal_cdf(-mean / sd);
                let p = below + u() * (1.0 - below);
                mean + sd * crate::stats::special::normal_quantile(p)
            }
            Kind::LogNormal { mu, sigma } | Kind::LogNormalWide { mu, sigma } => {
                exp(mu + sigma * z)
            }
            Kind::Gamma(g) => g.scale() * gamma_q_inverse(g.shape(), normal_cdf(-z)),
            Kind::PoissonTable(table) => table.count_at_or_below(u()) as f64,
            Kind::PoissonLarge(p) => poisson_quantile(p.mean(), u()),
            Kind::NegativeBinomial(g) => negative_binomial_quantile(g.shape(), g.scale(), u()),
            Kind::Geometric { ln_q } => {
                // The same inversion as the draw, at 1 − u (ln of a number in (0, 1]).
                let upper = normal_cdf(-z).max(f64::MIN_POSITIVE);
                (ln(upper) / ln_q).floor()
            }
            Kind::Triangular {
                min,
                mode,
                max,
                split,
            } => {
                let u = u();
                if u < *split {
                    min + ((max - min) * (mode - min) * u).sqrt()
                } else {
                    max - ((max - min) * (max - mode) * (1.0 - u)).sqrt()
                }
            }
            Kind::Pert { min, range, .. } => min + 0.5 * range,
            Kind::Empirical { values, cumulative } => {
                let u = u();
                let i = cumulative
                    .partition_point(|&c| c <= u)
                    .min(values.len() - 1);
                values[i]
            }
        };
        x + self.shift
    }

    /// The count at probability `Φ(z)`: [`Sampler::value_at`] rounded and clamped as
    /// [`Sampler::sample_count`] rounds and clamps its draws.
    pub fn count_at(&self, z: f64) -> u64 {
        self.counting.round(self.value_at(z))
    }

    /// Rounds (halves away from zero) and clamps a real count to this sampler's count bounds.
    pub fn clamp_count(&self, x: f64) -> u64 {
        self.counting.round(x)
    }
}

/// The smallest `k` with `P(X <= k) >= u`, summing the mass from 0 with the ratio of
/// successive terms `ratio(k)` = `P(k + 1) / P(k)`, starting from `ln P(0)`.
fn sum_mass(ln_p0: f64, u: f64, ratio: impl Fn(f64) -> f64) -> f64 {
    let mut p = exp(ln_p0);
    let mut cdf = p;
    let mut k = 0u64;
    // Far in the tail the terms underflow or the sum stalls below u by rounding: stop there.
    while cdf < u && k < MAX_TERMS {
        let next = p * ratio(k as f64);
        k += 1;
        if next == 0.0 && p == 0.0 {
            break;
        }
        p = next;
        let before = cdf;
        cdf += p;
        if cdf == before && p < 1e-300 {
            break;
        }
    }
    k as f64
}

/// The Poisson quantile at `u` for a mean above 64: the mass is summed from `mean − 40 sd`
/// (the mass below it is under 1e-300), its first term computed in logs so that `exp(−mean)`
/// does not underflow.
fn poisson_quantile(mean: f64, u: f64) -> f64 {
    // Start at k0 = max(0, mean − 40 sd) where the mass below is negligible (< 1e-300).
    let k0 = (mean - 40.0 * mean.sqrt()).floor().max(0.0);
    let ln_pk0 = -mean + k0 * ln(mean) - ln_gamma(k0 + 1.0);
    k0 + sum_mass(ln_pk0, u, |k| mean / (k0 + k + 1.0))
}

/// The negative binomial (gamma–Poisson with shape `r`, scale `theta`) quantile at `u`.
fn negative_binomial_quantile(r: f64, theta: f64, u: f64) -> f64 {
    let q = theta / (1.0 + theta);
    let ln_p0 = -r * ln(1.0 + theta);
    sum_mass(ln_p0, u, |k| (k + r) / (k + 1.0) * q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::DistSpec;

    fn sampler(toml: &str) -> Sampler {
        let spec: DistSpec = toml::from_str::<toml::Value>(&format!("x = {toml}"))
            .unwrap()
            .get("x")
            .unwrap()
            .clone()
            .try_into()
            .unwrap();
        Sampler::compile(&spec).unwrap()
    }

    #[test]
    fn quantiles_match_known_values() {
        // Log-normal median 1000 at z = 0; z = 1 is the median times e^sigma.
        let ln = sampler("{ lognormal = { median = 1000, sigma = 0.5 } }");
        assert!((ln.value_at(0.0) - 1000.0).abs() < 1e-9);
        assert!((ln.value_at(1.0) - 1000.0 * exp(0.5)).abs() < 1e-6);
        // Uniform on [0, 10] at z = 0 is 5.
        let un = sampler("{ uniform = { min = 0, max = 10 } }");
        assert!((un.value_at(0.0) - 5.0).abs() < 1e-6);
        // Gamma shape 1 (exponential, mean 2): median 2 ln 2.
        let ga = sampler("{ gamma = { shape = 1, scale = 2 } }");
        assert!((ga.value_at(0.0) - 2.0 * 2f64.ln()).abs() < 1e-6);
        // Poisson mean 3: P(X <= 2) = 0.4232, P(X <= 3) = 0.6472: the median is 3.
        let po = sampler("{ poisson = { mean = 3 } }");
        assert_eq!(po.value_at(0.0), 3.0);
        // Geometric p = 0.5 (failures before a success): P(0) = 0.5, so the median is 0.
        let ge = sampler("{ geometric = { p = 0.5 } }");
        assert_eq!(ge.value_at(-0.1), 0.0);
        assert_eq!(ge.value_at(0.5), 1.0);
    }

    #[test]
    fn discrete_quantiles_reproduce_the_distribution() {
        // The quantile at u of a negative binomial, over a fine grid of u, has the law's mean.
        let nb = sampler("{ negative_binomial = { mean = 27.5, dispersion = 10 } }");
        let big = sampler("{ poisson = { mean = 400 } }");
        let n = 20_000;
        let (mut m1, mut m2) = (0.0, 0.0);
        for i in 0..n {
            let u = (i as f64 + 0.5) / n as f64;
            let z = crate::stats::special::normal_quantile(u);
            m1 += nb.value_at(z) / n as f64;
            m2 += big.value_at(z) / n as f64;
        }
        assert!((m1 - 27.5).abs() < 0.05, "{m1}");
        assert!((m2 - 400.0).abs() < 0.05, "{m2}");
    }
}
