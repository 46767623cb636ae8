//! Portable binomial draws, bit-identical on every machine.
//!
//! With `p' = min(p, 1 − p)` (a draw at `1 − p` is mirrored as `n − k`):
//! - `n p' < 10`: inversion by sequential search from `P(0) = (1 − p')^n`, the pmf stepped by
//!   `P(k + 1) = P(k) · (n − k)/(k + 1) · p'/(1 − p')`;
//! - `n p' ≥ 10`: BTRS, the transformed rejection with squeeze of Hörmann, "The generation of
//!   binomial random variates", J. Statist. Comput. Simul. 46 (1993) (the binomial sibling of
//!   the PTRS Poisson sampler in [`super::poisson`]), with the paper's constants
//!   (`b = 1.15 + 2.53 √(npq)`, `a = −0.0873 + 0.0248 b + 0.01 p`, `c = np + 0.5`,
//!   `α = (2.83 + 5.1/b) √(npq)`, `v_r = 0.92 − 4.2/b`, mode `m = ⌊(n + 1) p⌋`): a point
//!   `(u, v)` in the box `|u| ≤ 0.43, v ≤ v_r` is accepted at once; otherwise the hat's height
//!   is compared with `f(k)/f(m)` in logs, computed from the crate's Stirling `ln Γ`.
//!
//! Only IEEE-754 arithmetic, `sqrt` and the crate's portable `exp` and `ln` are used;
//! `rand_distr`'s binomial calls the platform's libm.

use rand::Rng;

use super::exp::exp;
use super::gamma::open_unit;
use super::ln::ln;
use super::poisson::ln_gamma;

/// Smallest `n · min(p, 1 − p)` drawn by BTRS (the method's stated range).
const BTRS_MIN_MEAN: f64 = 10.0;

/// A binomial draw: successes in `n` trials of probability `p` (clamped into [0, 1]; NaN
/// counts as 0).
pub fn sample_binomial<R: Rng + ?Sized>(n: u64, p: f64, rng: &mut R) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    let (q, mirrored) = if p > 0.5 { (1.0 - p, true) } else { (p, false) };
    let k = if n as f64 * q < BTRS_MIN_MEAN {
        inversion(n, q, rng)
    } else {
        Btrs::new(n, q).sample(rng)
    };
    if mirrored { n - k } else { k }
}

/// Sequential-search inversion for `n p < 10`, `p <= 1/2`.
fn inversion<R: Rng + ?Sized>(n: u64, p: f64, rng: &mut R) -> u64 {
    let u = open_unit(rng);
    let r = p / (1.0 - p);
    let nf = n as f64;
    let mut f = exp(nf * ln(1.0 - p));
    let mut cdf = f;
    let mut k = 0u64;
    // Past k = 110 the tail is below 1e-60 for n p < 10; the cap guards rounding only.
    while u > cdf && k < n && k < 110 {
        f *= (nf - k as f64) / (k + 1) as f64 * r;
        k += 1;
        cdf += f;
    }
    k
}

/// BTRS with its per-(n, p) constants, for `n p >= 10`, `p <= 1/2`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Btrs {
    n: f64,
    m: f64,
    ln_r: f64,
    ln_f_m: f64,
    a: f64,
    b: f64,
    c: f64,
    alpha: f64,
    v_r: f64,
}

impl Btrs {
    fn new(n: u64, p: f64) -> Btrs {
        let nf = n as f64;
        let q = 1.0 - p;
        let spq = (nf * p * q).sqrt();
        let b = 1.15 + 2.53 * spq;
        let v_r = 0.92 - 4.2 / b;
        let m = ((nf + 1.0) * p).floor();
        Btrs {
            n: nf,
            m,
            ln_r: ln(p / q),
            ln_f_m: -ln_gamma(m + 1.0) - ln_gamma(nf - m + 1.0),
            a: -0.0873 + 0.0248 * b + 0.01 * p,
            b,
            c: nf * p + 0.5,
            alpha: (2.83 + 5.1 / b) * spq,
            v_r,
        }
    }

    /// `ln(f(k) / f(m))`, `f` the pmf.
    fn ln_ratio(&self, k: f64) -> f64 {
        -ln_gamma(k + 1.0) - ln_gamma(self.n - k + 1.0) - self.ln_f_m + (k - self.m) * self.ln_r
    }

    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        loop {
            let u = open_unit(rng) - 0.5;
            let v = open_unit(rng);
            let us = 0.5 - u.abs();
            let k = ((2.0 * self.a / us + self.b) * u + self.c).floor();
            // The box under the hat where every point is accepted.
            if us >= 0.07 && v <= self.v_r {
                return k as u64;
            }
            if k < 0.0 || k > self.n {
                continue;
            }
            let hat = v * self.alpha / (self.a / (us * us) + self.b);
            if ln(hat) <= self.ln_ratio(k) {
                return k as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Draws, with their mean and variance checked against `np` and `np(1 − p)` at 4 SE (SE of
    /// the variance from the binomial's 4th central moment `npq(1 + 3(n − 2)pq)`).
    fn check(n: u64, p: f64, seed: u64) -> Vec<u64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let draws = 400_000;
        let x: Vec<u64> = (0..draws)
            .map(|_| sample_binomial(n, p, &mut rng))
            .collect();
        assert!(x.iter().all(|&k| k <= n));
        let d = draws as f64;
        let mean = x.iter().map(|&k| k as f64).sum::<f64>() / d;
        let var = x.iter().map(|&k| (k as f64 - mean).powi(2)).sum::<f64>() / d;
        let (nf, q) = (n as f64, 1.0 - p);
        let (mu, sigma2) = (nf * p, nf * p * q);
        let mu4 = sigma2 * (1.0 + 3.0 * (nf - 2.0) * p * q);
        let se_var = ((mu4 - sigma2 * sigma2) / d).sqrt();
        assert!(
            (mean - mu).abs() < 4.0 * (sigma2 / d).sqrt(),
            "n {n} p {p}: mean {mean} vs {mu}"
        );
        assert!(
            (var - sigma2).abs() < 4.0 * se_var,
            "n {n} p {p}: var {var} vs {sigma2}"
        );
        x
    }

    /// Chi-square of the draws against the exact pmf (`ln_gamma`-based, checked against
    /// statrs), over cells with an expected count of at least 20 plus the two tails.
    fn chi_square(x: &[u64], n: u64, p: f64) -> (f64, usize) {
        let nf = n as f64;
        let ln_pmf = |k: f64| {
            ln_gamma(nf + 1.0) - ln_gamma(k + 1.0) - ln_gamma(nf - k + 1.0)
                + k * ln(p)
                + (nf - k) * ln(1.0 - p)
        };
        let d = x.len() as f64;
        let mean = nf * p;
        let sd = (nf * p * (1.0 - p)).sqrt();
        let lo = (mean - 6.0 * sd).floor().max(0.0) as u64;
        let hi = ((mean + 6.0 * sd).ceil() as u64).min(n);
        let cells: Vec<u64> = (lo..=hi)
            .filter(|&k| exp(ln_pmf(k as f64)) * d >= 20.0)
            .collect();
        let (first, last) = (cells[0], *cells.last().unwrap());
        let mut expected: Vec<f64> = (first..=last).map(|k| exp(ln_pmf(k as f64)) * d).collect();
        let below: f64 = (0..first).map(|k| exp(ln_pmf(k as f64))).sum::<f64>() * d;
        let inside: f64 = expected.iter().sum();
        expected.insert(0, below);
        expected.push(d - below - inside);
        let mut observed = vec![0.0; expected.len()];
        for &k in x {
            let cell = if k < first {
                0
            } else if k > last {
                expected.len() - 1
            } else {
                (k - first) as usize + 1
            };
            observed[cell] += 1.0;
        }
        let chi2 = observed
            .iter()
            .zip(&expected)
            .filter(|(_, e)| **e > 0.0)
            .map(|(o, e)| (o - e) * (o - e) / e)
            .sum();
        (chi2, expected.len() - 1)
    }

    #[test]
    fn moments_match_on_both_methods_and_mirrors() {
        for (i, (n, p)) in [
            (1, 0.3),
            (20, 0.2),
            (99, 0.1),
            (100, 0.1),
            (1000, 0.5),
            (1000, 0.97),
            (1_000_000, 0.3),
            (6_000_000_000, 0.45),
        ]
        .into_iter()
        .enumerate()
        {
            check(n, p, 40 + i as u64);
        }
    }

    #[test]
    fn draws_follow_the_exact_pmf_by_chi_square() {
        for (i, (n, p)) in [
            (40, 0.2),
            (60, 0.25),
            (500, 0.5),
            (100_000, 0.01),
            (1e7 as u64, 0.7),
        ]
        .into_iter()
        .enumerate()
        {
            let x = check(n, p, 70 + i as u64);
            let (chi2, df) = chi_square(&x, n, p);
            // Wilson–Hilferty 0.1% critical value: df (1 − 2/(9 df) + 3.09 √(2/(9 df)))³.
            let dff = df as f64;
            let crit = dff * (1.0 - 2.0 / (9.0 * dff) + 3.09 * (2.0 / (9.0 * dff)).sqrt()).powi(3);
            assert!(
                chi2 < crit,
                "n {n} p {p}: chi-square {chi2} on {df} df (limit {crit})"
            );
        }
    }

    #[test]
    fn ln_gamma_pmf_matches_statrs() {
        use statrs::distribution::{Binomial, Discrete};
        let (n, p) = (1000u64, 0.3);
        let b = Binomial::new(p, n).unwrap();
        for k in [0u64, 1, 250, 300, 350, 1000] {
            let nf = n as f64;
            let kf = k as f64;
            let ours = ln_gamma(nf + 1.0) - ln_gamma(kf + 1.0) - ln_gamma(nf - kf + 1.0)
                + kf * ln(p)
                + (nf - kf) * ln(1.0 - p);
            let exact = b.ln_pmf(k);
            assert!(
                (ours - exact).abs() < 1e-9 * exact.abs().max(1.0),
                "k {k}: {ours} vs {exact}"
            );
        }
    }

    #[test]
    fn edge_probabilities_are_exact() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        assert_eq!(sample_binomial(10, 0.0, &mut rng), 0);
        assert_eq!(sample_binomial(10, 1.0, &mut rng), 10);
        assert_eq!(sample_binomial(10, 1.5, &mut rng), 10);
        assert_eq!(sample_binomial(10, f64::NAN, &mut rng), 0);
        assert_eq!(sample_binomial(0, 0.5, &mut rng), 0);
    }
}
