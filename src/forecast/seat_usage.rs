//! Seat allowances on large organisations without simulating every user: the expected usage
//! beyond the allowance per active user, from the per-user monthly usage distribution.
//!
//! A user of intensity `λ` (log-normal, mean 1, log-sd `σ`) runs `N | λ` tasks a month
//! (negative binomial, mean `a = Dμλ`, dispersion `Dk`; Poisson without dispersion; exactly
//! `round(Dμ)` under the fixed count model), each drawing a usage `u` (tokens, requests or list
//! USD) from the month's task mix, with mixture moments `m₁ = E[u]`, `m₂ = E[u²]`. Given `λ`,
//! the month's usage `X = Σ u` has mean `E[N] m₁` and variance `E[N] (m₂ − m₁²) + Var(N) m₁²`
//! (compound sum); it is approximated by the gamma distribution with those two moments, whose
//! expected excess over the allowance `A` has the closed form
//! `E[(X − A)⁺] = αθ Q(α+1, A/θ) − A Q(α, A/θ)` (`Q`: the regularised upper incomplete
//! gamma function), and similarly `E[((X − A)⁺)²]`. The outer expectation over `λ` is taken by
//! 24-point Gauss–Hermite quadrature.
//!
//! The month's total excess over `n` active users is then `n E[f] + √(n Var f) Z` (`Z`
//! standard normal; a central-limit approximation, independent of the month's other draws).
//! `tests/forecast_billing.rs` checks it against per-user simulation on a small organisation.

use std::sync::OnceLock;

use super::aggregate::{CountModel, MonthUsage};
use crate::dist::{exp, ln};
use crate::stats::special::gamma_p_with_ln_x;

/// Gauss–Hermite points.
const NODES: usize = 24;

/// `x^y` for `x > 0` from the crate's portable `exp` and `ln` (the platform's `powf` differs
/// between libms).
fn pow(x: f64, y: f64) -> f64 {
    exp(y * ln(x))
}

/// Nodes `z` and weights (summing to 1) for `E[g(Z)]`, `Z` standard normal.
fn hermite() -> &'static [(f64, f64); NODES] {
    static RULE: OnceLock<[(f64, f64); NODES]> = OnceLock::new();
    RULE.get_or_init(|| {
        // Physicists' Hermite roots by Newton's method from the usual asymptotic starting
        // points (Numerical Recipes, `gauher`), then z = √2 x and w / √π.
        let n = NODES;
        let mut out = [(0.0, 0.0); NODES];
        let pim4 = pow(std::f64::consts::PI, -0.25);
        let mut z = 0.0f64;
        for i in 0..n.div_ceil(2) {
            z = match i {
                0 => {
                    (2.0 * n as f64 + 1.0).sqrt() - 1.85575 * pow(2.0 * n as f64 + 1.0, -1.0 / 6.0)
                }
                1 => z - 1.14 * pow(n as f64, 0.426) / z,
                2 => 1.86 * z - 0.86 * out[0].0,
                3 => 1.91 * z - 0.91 * out[1].0,
                _ => 2.0 * z - out[i - 2].0,
            };
            let mut pp = 0.0;
            for _ in 0..100 {
                let (mut p1, mut p2) = (pim4, 0.0);
                for j in 0..n {
                    let p3 = p2;
                    p2 = p1;
                    p1 = z * (2.0 / (j + 1) as f64).sqrt() * p2
                        - (j as f64 / (j + 1) as f64).sqrt() * p3;
                }
                pp = (2.0 * n as f64).sqrt() * p2;
                let z1 = z;
                z = z1 - p1 / pp;
                if (z - z1).abs() <= 1e-14 {
                    break;
                }
            }
            out[i] = (z, 2.0 / (pp * pp));
            out[n - 1 - i] = (-z, 2.0 / (pp * pp));
        }
        let s = std::f64::consts::SQRT_2;
        let pi = std::f64::consts::PI.sqrt();
        out.map(|(x, w)| (x * s, w / pi))
    })
}

/// The regularised upper incomplete gamma function, given `ln_x = ln(x)` (shared by the three
/// shapes [`gamma_excess`] evaluates at one `x`).
fn q(a: f64, x: f64, ln_x: f64) -> f64 {
    (1.0 - gamma_p_with_ln_x(a, x, ln_x)).clamp(0.0, 1.0)
}

/// `E[(X − limit)⁺]` and `E[((X − limit)⁺)²]` for `X` gamma with `mean` and `var` (a point
/// mass when `var` is 0).
pub fn gamma_excess(mean: f64, var: f64, limit: f64) -> (f64, f64) {
    if mean <= 0.0 {
        return (0.0, 0.0);
    }
    if var <= 1e-12 * mean * mean {
        let e = (mean - limit).max(0.0);
        return (e, e * e);
    }
    if limit <= 0.0 {
        return (mean - limit, var + (mean - limit).powi(2));
    }
    let (alpha, theta) = (mean * mean / var, var / mean);
    let x = limit / theta;
    let ln_x = ln(x);
    let (q0, q1, q2) = (
        q(alpha, x, ln_x),
        q(alpha + 1.0, x, ln_x),
        q(alpha + 2.0, x, ln_x),
    );
    let e1 = (mean * q1 - limit * q0).max(0.0);
    let e2 = (alpha * (alpha + 1.0) * theta * theta * q2 - 2.0 * limit * mean * q1
        + limit * limit * q0)
        .max(e1 * e1);
    (e1, e2)
}

/// Per active user: the mean and second moment of the month's usage beyond `limit`, for task
/// usage with mixture moments `m1 = E[u]`, `m2 = E[u²]`.
pub fn excess_per_user(u: &MonthUsage, m1: f64, m2: f64, limit: f64) -> (f64, f64) {
    let d = f64::from(u.days);
    if u.per_day <= 0.0 || d == 0.0 || m1 <= 0.0 {
        return (0.0, 0.0);
    }
    let task_var = (m2 - m1 * m1).max(0.0);
    if u.counts == CountModel::Fixed {
        let n = (u.per_day * d).round();
        return gamma_excess(n * m1, n * task_var, limit);
    }
    let r = d * u.dispersion;
    let (mut e1, mut e2) = (0.0, 0.0);
    for &(z, w) in hermite() {
        let lambda = exp(u.sigma * z - 0.5 * u.sigma * u.sigma);
        let a = d * u.per_day * lambda;
        let var_n = if r.is_infinite() { a } else { a + a * a / r };
        let (x1, x2) = gamma_excess(a * m1, a * task_var + var_n * m1 * m1, limit);
        e1 += w * x1;
        e2 += w * x2;
    }
    (e1, e2)
}

/// Per active user: the probability that the month's usage passes `limit` (the same laws as
/// [`excess_per_user`]).
pub fn share_over_per_user(u: &MonthUsage, m1: f64, m2: f64, limit: f64) -> f64 {
    let d = f64::from(u.days);
    if u.per_day <= 0.0 || d == 0.0 || m1 <= 0.0 {
        return 0.0;
    }
    let task_var = (m2 - m1 * m1).max(0.0);
    let over = |mean: f64, var: f64| {
        if mean <= 0.0 {
            0.0
        } else if limit <= 0.0 {
            1.0
        } else if var <= 1e-12 * mean * mean {
            if mean > limit { 1.0 } else { 0.0 }
        } else {
            let (alpha, theta) = (mean * mean / var, var / mean);
            let x = limit / theta;
            q(alpha, x, ln(x))
        }
    };
    if u.counts == CountModel::Fixed {
        let n = (u.per_day * d).round();
        return over(n * m1, n * task_var);
    }
    let r = d * u.dispersion;
    hermite()
        .iter()
        .map(|&(z, w)| {
            let lambda = exp(u.sigma * z - 0.5 * u.sigma * u.sigma);
            let a = d * u.per_day * lambda;
            let var_n = if r.is_infinite() { a } else { a + a * a / r };
            w * over(a * m1, a * task_var + var_n * m1 * m1)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hermite_rule_integrates_normal_moments() {
        let m = |k: i32| hermite().iter().map(|(z, w)| w * z.powi(k)).sum::<f64>();
        assert!((m(0) - 1.0).abs() < 1e-12);
        assert!(m(1).abs() < 1e-12);
        assert!((m(2) - 1.0).abs() < 1e-12);
        assert!((m(4) - 3.0).abs() < 1e-10);
        // E[exp(σZ − σ²/2)] = 1.
        let e: f64 = hermite()
            .iter()
            .map(|(z, w)| w * (0.8 * z - 0.32).exp())
            .sum();
        assert!((e - 1.0).abs() < 1e-10);
    }

    #[test]
    fn gamma_excess_matches_the_exponential_case() {
        // Exponential of mean 2 (alpha 1): E[(X-3)+] = 2 e^{-1.5}, E[((X-3)+)^2] = 8 e^{-1.5}.
        let (e1, e2) = gamma_excess(2.0, 4.0, 3.0);
        assert!((e1 - 2.0 * (-1.5f64).exp()).abs() < 1e-9, "{e1}");
        assert!((e2 - 8.0 * (-1.5f64).exp()).abs() < 1e-9, "{e2}");
        assert_eq!(gamma_excess(5.0, 0.0, 3.0), (2.0, 4.0));
    }
}
