//! Special functions the fits need: log-gamma, digamma, trigamma, the normal CDF, the
//! regularised incomplete gamma function and the Kolmogorov distribution.
//!
//! Methods: log-gamma by the Lanczos approximation (g = 7, 9 terms; relative error ~1e-15);
//! digamma and trigamma by upward recurrence to x ≥ 10 then their asymptotic series (Abramowitz &
//! Stegun 6.3.18, 6.4.12); erfc by the Chebyshev-fitted formula of Numerical Recipes (2nd ed.,
//! §6.2, fractional error < 1.2e-7); the incomplete gamma by its series below a + 1 and Lentz's
//! continued fraction above (NR §6.2), and its inverse by Halley's method (NR 3rd ed.
//! §6.2.1); the Kolmogorov tail by its alternating series.
//!
//! Every function here uses the crate's portable `ln` and `exp`
//! ([`crate::dist`]), not the platform's, so the forecast's seat-plan excess and the fits
//! give the same bits on every machine and libc.

use crate::dist::{exp, ln};

/// `ln Γ(x)` for `x > 0`.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Recurrence Γ(x + 1) = x Γ(x) (no sine: the reflection formula would need the
        // platform's `sin`).
        return ln_gamma(x + 1.0) - ln(x);
    }
    let x = x - 1.0;
    let mut a = COEF[0];
    let t = x + G + 0.5;
    for (i, c) in COEF.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * ln(2.0 * std::f64::consts::PI) + (x + 0.5) * ln(t) - t + ln(a)
}

/// The digamma function `ψ(x) = d/dx ln Γ(x)` for `x > 0`.
pub fn digamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 10.0 {
        result -= 1.0 / x;
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    result + ln(x)
        - 0.5 / x
        - f * (1.0 / 12.0
            - f * (1.0 / 120.0 - f * (1.0 / 252.0 - f * (1.0 / 240.0 - f * (1.0 / 132.0)))))
}

/// The trigamma function `ψ'(x)` for `x > 0`.
pub fn trigamma(mut x: f64) -> f64 {
    let mut result = 0.0;
    while x < 10.0 {
        result += 1.0 / (x * x);
        x += 1.0;
    }
    let f = 1.0 / (x * x);
    result
        + 1.0 / x
        + f / 2.0
        + f / x * (1.0 / 6.0 - f * (1.0 / 30.0 - f * (1.0 / 42.0 - f * (1.0 / 30.0))))
}

/// The complementary error function (fractional error below 1.2e-7).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let ans = t * exp(poly);
    if x >= 0.0 { ans } else { 2.0 - ans }
}

/// The standard normal CDF `Φ(z)`.
pub fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// The standard normal quantile `Φ⁻¹(p)` for `0 < p < 1` (±∞ at 0 and 1), by bisection on
/// [`normal_cdf`] over `[−40, 40]` (80 halvings): as accurate as `Φ` (about 1e-6 in `z`
/// near the centre), and the same bits on every machine, since `Φ` is the crate's own.
pub fn normal_quantile(p: f64) -> f64 {
    if p.is_nan() {
        return f64::NAN;
    }
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    let (mut lo, mut hi) = (-40.0_f64, 40.0_f64);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if normal_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The regularised lower incomplete gamma function `P(a, x)` for `a > 0`, `x ≥ 0`.
pub fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    gamma_p_with_ln_x(a, x, ln(x))
}

/// [`gamma_p`] given `ln_x = ln(x)` (the crate's portable `ln`), for several shapes at one `x`:
/// bit for bit `gamma_p(a, x)`, without computing `ln(x)` again.
pub fn gamma_p_with_ln_x(a: f64, x: f64, ln_x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    incomplete_gamma(a, x, ln_x, ln_gamma(a)).p
}

/// Both regularised incomplete gamma functions at one point, and the term by which the upper
/// one steps to the next shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IncompleteGamma {
    /// `P(a, x)`.
    pub p: f64,
    /// `Q(a, x) = 1 − P(a, x)`, computed directly where it is the smaller (no cancellation in
    /// the upper tail).
    pub q: f64,
    /// `xᵃ e⁻ˣ / Γ(a + 1)`: `Q(a + 1, x) = Q(a, x) + step` (Abramowitz & Stegun 6.5.21).
    pub step: f64,
}

/// `P(a, x)`, `Q(a, x)` and the step to `Q(a + 1, x)`, for `a > 0`, `x > 0`, given `ln(x)` and
/// `ln Γ(a)`: the series below `a + 1`, Lentz's continued fraction for `Q` above.
pub fn incomplete_gamma(a: f64, x: f64, ln_x: f64, ln_gamma_a: f64) -> IncompleteGamma {
    let log_prefix = a * ln_x - x - ln_gamma_a;
    if x < a + 1.0 {
        // Series: P = e^{-x} x^a / Γ(a+1) Σ x^n / ((a+1)...(a+n)).
        let mut term = 1.0 / a;
        let mut sum = term;
        let mut ap = a;
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        let p = exp(ln(sum) + log_prefix).min(1.0);
        IncompleteGamma {
            p,
            q: (1.0 - p).max(0.0),
            step: p / (a * sum),
        }
    } else {
        // Continued fraction for Q = 1 − P (modified Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-15 {
                break;
            }
        }
        let prefix = exp(log_prefix);
        let q = prefix * h;
        IncompleteGamma {
            p: (1.0 - q).max(0.0),
            q: q.min(1.0),
            step: prefix / a,
        }
    }
}

/// The `x` at which `Q(a, x) = q` (the gamma distribution of shape `a` and scale 1 exceeds
/// `x` with probability `q`), for `a > 0` and `0 < q < 1`; 0 at `q ≥ 1`, `∞` at `q ≤ 0`.
///
/// Method: the starting point and Halley's iteration of Numerical Recipes (3rd ed., §6.2.1,
/// `invgammp`: Wilson–Hilferty above shape 1, the small-`x` power law below), written for the
/// upper tail so that a small `q` keeps its relative precision; to a relative step of 1e-13.
pub fn gamma_q_inverse(a: f64, q: f64) -> f64 {
    if q.is_nan() || a.is_nan() {
        return f64::NAN;
    }
    if q >= 1.0 {
        return 0.0;
    }
    if q <= 0.0 {
        return f64::INFINITY;
    }
    let ln_gamma_a = ln_gamma(a);
    let mut x = if a > 1.0 {
        let tail = q.min(1.0 - q);
        let t = (-2.0 * ln(tail)).sqrt();
        let mut z = (2.307_53 + t * 0.270_61) / (1.0 + t * (0.992_29 + t * 0.044_81)) - t;
        if q < 0.5 {
            z = -z;
        }
        let w = 1.0 - 1.0 / (9.0 * a) + z / (3.0 * a.sqrt());
        (a * w * w * w).max(1e-3)
    } else {
        let t = 1.0 - a * (0.253 + a * 0.12);
        let p = 1.0 - q;
        if p < t {
            exp(ln(p / t) / a)
        } else {
            1.0 - ln(q / (1.0 - t))
        }
    };
    for _ in 0..32 {
        if x <= 0.0 {
            return 0.0;
        }
        let ln_x = ln(x);
        let g = incomplete_gamma(a, x, ln_x, ln_gamma_a);
        // dP/dx = x^(a-1) e^(-x) / Γ(a) = step · a / x.
        let density = g.step * a / x;
        if density <= 0.0 || !density.is_finite() {
            break;
        }
        let u = (q - g.q) / density;
        let t = u / (1.0 - 0.5 * (u * ((a - 1.0) / x - 1.0)).min(1.0));
        x -= t;
        if x <= 0.0 {
            x = 0.5 * (x + t);
        }
        if t.abs() <= 1e-13 * x {
            break;
        }
    }
    x.max(0.0)
}

/// The Kolmogorov distribution's tail `Q(λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}`: the asymptotic
/// probability that `√n D` exceeds `λ` under the null hypothesis.
pub fn kolmogorov_tail(lambda: f64) -> f64 {
    if lambda < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    let mut sign = 1.0;
    for k in 1..=100 {
        let k = k as f64;
        let term = exp(-2.0 * k * k * lambda * lambda);
        sum += sign * term;
        if term < 1e-16 {
            break;
        }
        sign = -sign;
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gamma_p_given_ln_x_is_gamma_p_bit_for_bit() {
        let mut rng = crate::engine::trial_rng(3, 1);
        for i in 0..20_000 {
            let a = crate::dist::exp(8.0 * crate::dist::standard_normal(&mut rng));
            let x = match i {
                0 => 0.0,
                1 => -1.0,
                2 => f64::NAN,
                _ => a * crate::dist::exp(crate::dist::standard_normal(&mut rng)),
            };
            let (want, got) = (gamma_p(a, x), gamma_p_with_ln_x(a, x, ln(x)));
            assert_eq!(want.to_bits(), got.to_bits(), "a {a} x {x}");
        }
    }

    #[test]
    fn the_upper_function_its_step_and_its_inverse_hold() {
        for &(a, x) in &[
            (0.3, 0.1),
            (0.3, 4.0),
            (2.0, 1.5),
            (7.5, 3.0),
            (7.5, 12.0),
            (44.0, 70.0),
            (150.0, 160.0),
            (2_000.0, 2_200.0),
        ] {
            let g = incomplete_gamma(a, x, ln(x), ln_gamma(a));
            let exact = statrs::function::gamma::gamma_ur(a, x);
            assert!(
                (g.q - exact).abs() <= 1e-12 * exact.max(1e-3),
                "Q({a}, {x})"
            );
            assert!((g.p + g.q - 1.0).abs() < 1e-15);
            let next = statrs::function::gamma::gamma_ur(a + 1.0, x);
            assert!(
                (g.q + g.step - next).abs() <= 1e-12 * next.max(1e-3),
                "step {a} {x}"
            );
        }
        // The inverse: Q(a, x) returns the tail probability it was given, far in the tail too.
        for &a in &[0.05, 0.4, 1.0, 1.7, 6.0, 44.0, 900.0, 1e5] {
            for &q in &[0.999, 0.6, 0.5, 0.1, 1e-3, 1e-6, 1e-12] {
                let x = gamma_q_inverse(a, q);
                let back = incomplete_gamma(a, x, ln(x), ln_gamma(a)).q;
                assert!((back - q).abs() <= 1e-9 * q, "a {a} q {q}: x {x}, Q {back}");
            }
        }
        // Exponential: Q(1, x) = e^{-x}.
        assert!((gamma_q_inverse(1.0, 1e-4) - 1e4f64.ln()).abs() < 1e-10);
        assert_eq!(gamma_q_inverse(3.0, 1.0), 0.0);
        assert_eq!(gamma_q_inverse(3.0, 0.0), f64::INFINITY);
    }

    #[test]
    fn known_values() {
        // Γ(5) = 24, Γ(1/2) = √π.
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-13);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
        // ψ(1) = −γ, ψ'(1) = π²/6.
        assert!((digamma(1.0) + 0.577_215_664_901_532_9).abs() < 1e-12);
        assert!((trigamma(1.0) - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-12);
        // ψ(x+1) = ψ(x) + 1/x.
        assert!((digamma(3.7) - digamma(2.7) - 1.0 / 2.7).abs() < 1e-12);
        assert!((normal_cdf(1.959_963_984_540_054) - 0.975).abs() < 2e-7);
        assert!((normal_cdf(-1.0) - 0.158_655_253_931_457).abs() < 2e-7);
        // P(1, x) = 1 − e^{−x}; P(3, 2) = 1 − e^{−2}(1 + 2 + 2).
        assert!((gamma_p(1.0, 0.7) - (1.0 - (-0.7f64).exp())).abs() < 1e-13);
        assert!((gamma_p(3.0, 2.0) - (1.0 - 5.0 * (-2.0f64).exp())).abs() < 1e-13);
        assert!((gamma_p(3.0, 9.0) - (1.0 - (-9.0f64).exp() * (1.0 + 9.0 + 40.5))).abs() < 1e-13);
        // Φ⁻¹ inverts Φ: the 97.5% point is 1.95996; the 99.5% point 2.57583.
        assert!((normal_quantile(0.975) - 1.959_964).abs() < 1e-5);
        assert!((normal_quantile(0.995) - 2.575_829).abs() < 1e-5);
        assert!(normal_quantile(0.5).abs() < 1e-6);
        assert_eq!(normal_quantile(0.0), f64::NEG_INFINITY);
        // Q(1.36) ≈ 0.049 (the classic 5% critical value).
        assert!((kolmogorov_tail(1.358) - 0.05).abs() < 1e-3);
    }

    #[test]
    fn portable_functions_match_statrs() {
        for &x in &[
            1e-6, 0.01, 0.3, 0.49, 0.5, 0.77, 1.0, 2.5, 7.3, 42.0, 1e3, 1e6,
        ] {
            let exact = statrs::function::gamma::ln_gamma(x);
            let got = ln_gamma(x);
            assert!(
                (got - exact).abs() <= 1e-13 * exact.abs().max(1.0),
                "ln_gamma({x}) = {got} vs {exact}"
            );
        }
        for &(a, x) in &[
            (0.3, 0.1),
            (0.3, 4.0),
            (2.0, 1.5),
            (7.5, 3.0),
            (7.5, 12.0),
            (150.0, 160.0),
        ] {
            let exact = statrs::function::gamma::gamma_lr(a, x);
            let got = gamma_p(a, x);
            assert!(
                (got - exact).abs() <= 1e-12,
                "P({a}, {x}) = {got} vs {exact}"
            );
        }
    }
}
