//! Portable Poisson draws for a mean known only at draw time (the negative binomial's mixture)
//! or above the precomputed table's range, bit-identical on every machine.
//!
//! Means below 10: inversion by sequential search from `P(0) = e^-λ`. From 10 up: PTRS, the
//! transformed rejection with squeeze of Hörmann, "The transformed rejection method for
//! generating Poisson random variables", Insurance: Mathematics and Economics 12 (1993), with
//! the constants and acceptance test as in NumPy's `random_poisson_ptrs`. `ln k!` comes from
//! the Stirling series (NumPy's `random_loggam`). Only IEEE-754 arithmetic, `sqrt` and the
//! crate's portable `exp` and `ln` are used; `rand_distr`'s Poisson calls the platform's libm.

use rand::Rng;

use super::exp::exp;
use super::gamma::open_unit;
use super::ln::ln;

/// Smallest mean drawn by PTRS (the method's stated range).
const PTRS_MIN_MEAN: f64 = 10.0;

/// `ln Γ(x)` for `x >= 1` by the Stirling series (ten terms, shifted to `x >= 7`): absolute
/// error about 1e-15 relative to the result.
pub fn ln_gamma(x: f64) -> f64 {
    const A: [f64; 10] = [
        8.333_333_333_333_333e-2,
        -2.777_777_777_777_778e-3,
        7.936_507_936_507_937e-4,
        -5.952_380_952_380_952e-4,
        8.417_508_417_508_418e-4,
        -1.917_526_917_526_918e-3,
        6.410_256_410_256_41e-3,
        -2.955_065_359_477_124e-2,
        1.796_443_723_688_307e-1,
        -1.392_432_216_905_90,
    ];
    if x == 1.0 || x == 2.0 {
        return 0.0;
    }
    let shift = if x < 7.0 { (7.0 - x).floor() } else { 0.0 };
    let mut x0 = x + shift;
    let x2 = 1.0 / (x0 * x0);
    let mut series = A[9];
    for a in A[..9].iter().rev() {
        series = series * x2 + a;
    }
    let mut result = series / x0 + 0.5 * ln(2.0 * std::f64::consts::PI) + (x0 - 0.5) * ln(x0) - x0;
    for _ in 0..shift as u32 {
        x0 -= 1.0;
        result -= ln(x0);
    }
    result
}

/// A Poisson draw with mean `lambda` (0 for a mean of 0 or less).
pub fn sample_poisson<R: Rng + ?Sized>(lambda: f64, rng: &mut R) -> f64 {
    if lambda.is_nan() || lambda <= 0.0 {
        return 0.0;
    }
    if lambda < PTRS_MIN_MEAN {
        return inversion(lambda, rng);
    }
    Ptrs::new(lambda).sample(rng)
}

/// Sequential-search inversion for small means.
fn inversion<R: Rng + ?Sized>(lambda: f64, rng: &mut R) -> f64 {
    let u = open_unit(rng);
    let mut p = exp(-lambda);
    let mut cdf = p;
    let mut k = 0.0;
    // The tail past 200 is below 1e-100 for means under 10; the cap guards rounding only.
    while u > cdf && k < 200.0 {
        k += 1.0;
        p *= lambda / k;
        cdf += p;
    }
    k
}

/// PTRS with its per-mean constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ptrs {
    lambda: f64,
    ln_lambda: f64,
    a: f64,
    b: f64,
    ln_inv_alpha: f64,
    v_r: f64,
}

impl Ptrs {
    /// The mean.
    pub(super) fn mean(&self) -> f64 {
        self.lambda
    }

    /// The constants for mean `lambda` (at least 10).
    pub fn new(lambda: f64) -> Ptrs {
        debug_assert!(lambda >= PTRS_MIN_MEAN);
        let b = 0.931 + 2.53 * lambda.sqrt();
        Ptrs {
            lambda,
            ln_lambda: ln(lambda),
            a: -0.059 + 0.024_83 * b,
            b,
            ln_inv_alpha: ln(1.1239 + 1.1328 / (b - 3.4)),
            v_r: 0.9277 - 3.6224 / (b - 2.0),
        }
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        loop {
            let u = open_unit(rng) - 0.5;
            let v = open_unit(rng);
            let us = 0.5 - u.abs();
            let k = ((2.0 * self.a / us + self.b) * u + self.lambda + 0.43).floor();
            if us >= 0.07 && v <= self.v_r {
                return k;
            }
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            let lhs = ln(v) + self.ln_inv_alpha - ln(self.a / (us * us) + self.b);
            if lhs <= -self.lambda + k * self.ln_lambda - ln_gamma(k + 1.0) {
                return k;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn ln_gamma_matches_statrs() {
        for x in [
            1.0,
            1.5,
            2.0,
            3.0,
            6.5,
            7.0,
            11.0,
            101.0,
            1e4 + 1.0,
            1e9 + 1.0,
        ] {
            let exact = statrs::function::gamma::ln_gamma(x);
            assert!(
                (ln_gamma(x) - exact).abs() <= 1e-13 * exact.abs().max(1.0),
                "ln_gamma({x}) = {} vs {exact}",
                ln_gamma(x)
            );
        }
    }

    /// Mean and variance of Poisson draws against lambda at 4 SE (SE of the variance from the
    /// Poisson's 4th central moment, 3 lambda^2 + lambda).
    fn check(lambda: f64, seed: u64) -> Vec<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let n = 400_000;
        let x: Vec<f64> = (0..n).map(|_| sample_poisson(lambda, &mut rng)).collect();
        let nf = n as f64;
        let mean = x.iter().sum::<f64>() / nf;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / nf;
        let se_mean = (lambda / nf).sqrt();
        let se_var = ((3.0 * lambda * lambda + lambda - lambda * lambda) / nf).sqrt();
        assert!(x.iter().all(|v| *v >= 0.0 && v.fract() == 0.0));
        assert!(
            (mean - lambda).abs() < 4.0 * se_mean,
            "λ {lambda}: mean {mean}"
        );
        assert!((var - lambda).abs() < 4.0 * se_var, "λ {lambda}: var {var}");
        x
    }

    #[test]
    fn moments_match_lambda_on_both_methods() {
        for (i, lambda) in [0.5, 3.7, 9.99, 10.0, 64.5, 1e4, 1e9]
            .into_iter()
            .enumerate()
        {
            check(lambda, 100 + i as u64);
        }
    }

    #[test]
    fn ptrs_follows_the_exact_pmf_by_chi_square() {
        let lambda = 100.0;
        let x = check(lambda, 7);
        // Cells k = 70..=130 plus the two tails; expected counts from the exact pmf.
        let pmf = |k: f64| exp(-lambda + k * ln(lambda) - ln_gamma(k + 1.0));
        let n = x.len() as f64;
        let mut observed = vec![0.0; 63];
        for v in &x {
            let cell = (*v as i64 - 69).clamp(0, 62) as usize;
            observed[cell] += 1.0;
        }
        let mut expected = vec![0.0; 63];
        let below: f64 = (0..70).map(|k| pmf(k as f64)).sum();
        expected[0] = below * n;
        for k in 70..=130 {
            expected[k - 69] = pmf(k as f64) * n;
        }
        expected[62] = n - expected[..62].iter().sum::<f64>();
        let chi2: f64 = observed
            .iter()
            .zip(&expected)
            .map(|(o, e)| (o - e) * (o - e) / e)
            .sum();
        // 62 degrees of freedom: the 0.1% critical value is 100.9.
        assert!(chi2 < 100.9, "chi-square {chi2}");
    }

    #[test]
    fn a_mean_of_zero_or_less_draws_zero() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(sample_poisson(0.0, &mut rng), 0.0);
        assert_eq!(sample_poisson(-1.0, &mut rng), 0.0);
        assert_eq!(sample_poisson(f64::NAN, &mut rng), 0.0);
    }
}
