//! Aggregation: how many tasks an organisation runs in a month, and what a month of one task
//! kind costs, without drawing every task when counts are large.
//!
//! **Task counts.** A user with intensity `λ` (log-normal, mean 1, log-sd `σ`) runs a negative
//! binomial number of tasks per working day, mean `μλ`, dispersion `k`; over `D` working days
//! that is exactly NB(mean `Dμλ`, dispersion `Dk`) (a sum of NBs sharing `p`). Up to
//! `exact_users_max` active users, each user's month is drawn like that. Beyond, the month's
//! total is drawn from a translated gamma matching its exact mean, variance and third central
//! moment (`A` times one user's cumulants, by the law of total cumulance over `λ`), rounded to
//! an integer. A two-moment match (a negative binomial) was tried first and failed the
//! brute-force test at P99: heavy users make the total more skewed than a negative binomial.
//!
//! **Task sums.** Up to `exact_tasks_max` tasks of one kind, the month's cost and tokens are
//! the sum of that many tasks drawn from the pool. Beyond, the cost is drawn from a translated
//! (shifted) gamma matching the exact mean `nμ`, variance `nσ²` and skewness `γ₁/√n` of the sum
//! (the translated-gamma approximation of aggregate claims, Seal 1977; a normal when the skewness
//! is negligible), and the tokens from their linear regression on the cost plus an independent
//! normal residual, which keeps their mean, variance and correlation with cost.
//!
//! `tests/forecast_aggregation.rs` checks both against brute-force summation.
//!
//! Every draw goes through the crate's portable samplers (`crate::dist`: ziggurat normal,
//! Marsaglia–Tsang gamma, inversion/PTRS Poisson, inversion/BTRS binomial, and its own `exp`),
//! never the platform's libm, so a forecast gives the same bits on every machine.

use crate::dist::{
    GammaDraw, exp, sample_binomial, sample_poisson, standard_normal, standard_normal_local,
};

use super::model::Aggregation;
use super::pool::{Extra, TaskPool};
use crate::engine::TrialRng;

/// A Poisson draw of mean `lambda` (0 when `lambda <= 0`; a rounded normal beyond 1e12).
pub fn poisson(rng: &mut TrialRng, lambda: f64) -> u64 {
    if lambda.is_nan() || lambda <= 0.0 {
        return 0;
    }
    if lambda > 1e12 {
        let z = standard_normal(rng);
        return (lambda + lambda.sqrt() * z).round().max(0.0) as u64;
    }
    sample_poisson(lambda, rng) as u64
}

/// A gamma draw of shape `shape` and mean `mean` (0 when either is not positive).
fn gamma_with_mean(rng: &mut TrialRng, shape: f64, mean: f64) -> f64 {
    if !(shape > 0.0 && mean > 0.0) {
        return 0.0;
    }
    GammaDraw::new(shape, mean / shape).map_or(mean, |g| g.sample(rng))
}

/// A negative binomial draw by mean and dispersion `r` (Poisson when `r` is infinite).
pub fn negative_binomial(rng: &mut TrialRng, mean: f64, r: f64) -> u64 {
    if r.is_infinite() {
        poisson(rng, mean)
    } else {
        let rate = gamma_with_mean(rng, r, mean);
        poisson(rng, rate)
    }
}

/// What drives one month's task count.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MonthUsage {
    /// Active users.
    pub active: u64,
    /// Working days.
    pub days: u32,
    /// Mean tasks per user per working day (for a user of intensity 1).
    pub per_day: f64,
    /// Dispersion of a user's daily count (infinite: Poisson).
    pub dispersion: f64,
    /// Log-sd of user intensity.
    pub sigma: f64,
    /// How counts vary.
    pub counts: CountModel,
}

/// How a user's task counts are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CountModel {
    /// Negative binomial per working day (Poisson with infinite dispersion), with intensities.
    NegativeBinomial,
    /// Exactly `round(per_day × days)` per active user and month.
    Fixed,
}

impl MonthUsage {
    /// The first three cumulants (mean, variance, third central moment) of one user's monthly
    /// task count, by the law of total cumulance over the intensity `λ`
    /// (`E[λᵏ] = exp(k(k−1)σ²/2)`). Given `λ`, the count is NB with mean `a = Dμλ` and
    /// dispersion `r = Dk`: cumulants `a`, `a + a²/r`, `a + 3a²/r + 2a³/r²`.
    pub fn per_user_cumulants(&self) -> (f64, f64, f64) {
        let m = self.days as f64 * self.per_day;
        let r = self.days as f64 * self.dispersion;
        let s2 = self.sigma * self.sigma;
        let (e2, e3) = (exp(s2), exp(3.0 * s2));
        let inv_r = if r.is_infinite() { 0.0 } else { 1.0 / r };
        let k2 = m + m * m * e2 * inv_r + m * m * (e2 - 1.0);
        let mean_k3 = m + 3.0 * m * m * e2 * inv_r + 2.0 * m.powi(3) * e3 * inv_r * inv_r;
        let cov = m * m * (e2 - 1.0) + m.powi(3) * inv_r * (e3 - e2);
        let k3_mean = m.powi(3) * (e3 - 3.0 * e2 + 2.0);
        (m, k2, mean_k3 + 3.0 * cov + k3_mean)
    }
}

/// A draw with the given mean, variance and third central moment: a translated gamma
/// (a normal when the skewness is negligible), never below 0.
///
/// This is the reference form; [`TranslatedGamma`] gives the same draws (the same words of
/// the stream, the same bits) with its constants computed once for many draws.
pub fn translated_gamma(rng: &mut TrialRng, mean: f64, var: f64, m3: f64) -> f64 {
    if var.is_nan() || var <= 0.0 {
        return mean.max(0.0);
    }
    let sd = var.sqrt();
    let skew = m3 / (var * sd);
    let shape = 4.0 / (skew * skew);
    let x = if shape.is_nan() || shape >= 1e8 {
        mean + sd * standard_normal(rng)
    } else {
        let scale = sd * skew.abs() / 2.0;
        let g = GammaDraw::new(shape, scale).map_or(shape * scale, |g| g.sample(rng));
        mean + skew.signum() * (g - shape * scale)
    };
    x.max(0.0)
}

/// [`translated_gamma`] with its constants computed once, for many draws with the same
/// moments (the hourly demand of a compute-hours month): every draw is bit for bit the one
/// [`translated_gamma`] gives from the same stream, and takes the same words of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TranslatedGamma {
    /// No variance: always this value (no draw).
    Constant(f64),
    /// Negligible skewness: `mean + sd z`, `z` standard normal.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// `mean + sign (g − shape × scale)`, `g` gamma (shape, scale).
    Gamma {
        /// Mean.
        mean: f64,
        /// The skewness's sign.
        sign: f64,
        /// The gamma's mean, `shape × scale`.
        offset: f64,
        /// The gamma draw.
        gamma: GammaDraw,
    },
}

impl TranslatedGamma {
    /// The draw with `mean`, variance `var` and third central moment `m3`.
    pub fn new(mean: f64, var: f64, m3: f64) -> TranslatedGamma {
        if var.is_nan() || var <= 0.0 {
            return TranslatedGamma::Constant(mean.max(0.0));
        }
        let sd = var.sqrt();
        let skew = m3 / (var * sd);
        let shape = 4.0 / (skew * skew);
        if shape.is_nan() || shape >= 1e8 {
            return TranslatedGamma::Normal { mean, sd };
        }
        let scale = sd * skew.abs() / 2.0;
        let offset = shape * scale;
        match GammaDraw::new(shape, scale) {
            Some(gamma) => TranslatedGamma::Gamma {
                mean,
                sign: skew.signum(),
                offset,
                gamma,
            },
            None => {
                // No gamma can be built: its mean stands for the draw, as in
                // `translated_gamma` (the difference is 0, or NaN when the mean is infinite).
                let g = shape * scale;
                TranslatedGamma::Constant((mean + skew.signum() * (g - offset)).max(0.0))
            }
        }
    }

    /// One draw, never below 0. `rng` is best a local copy of the caller's generator (see
    /// [`crate::dist::standard_normal_local`]): its state then stays in registers.
    #[inline(always)]
    pub fn sample(&self, rng: &mut TrialRng) -> f64 {
        match *self {
            TranslatedGamma::Constant(x) => x,
            TranslatedGamma::Normal { mean, sd } => {
                (mean + sd * standard_normal_local(rng)).max(0.0)
            }
            TranslatedGamma::Gamma {
                mean,
                sign,
                offset,
                gamma,
            } => (mean + sign * (gamma.sample_local(rng) - offset)).max(0.0),
        }
    }
}

/// One active user's task count for the month: an intensity, then a negative binomial over
/// the working days (or exactly `round(per_day × days)` under the fixed count model).
pub fn user_tasks(rng: &mut TrialRng, u: &MonthUsage) -> u64 {
    let d = u.days as f64;
    if u.days == 0 || u.per_day <= 0.0 {
        return 0;
    }
    if u.counts == CountModel::Fixed {
        return (u.per_day * d).round() as u64;
    }
    let lambda = if u.sigma > 0.0 {
        let z = standard_normal(rng);
        exp(u.sigma * z - 0.5 * u.sigma * u.sigma)
    } else {
        1.0
    };
    negative_binomial(rng, d * u.per_day * lambda, d * u.dispersion)
}

/// The month's total task count.
pub fn month_tasks(rng: &mut TrialRng, u: &MonthUsage, agg: &Aggregation) -> u64 {
    if u.active == 0 || u.days == 0 || u.per_day <= 0.0 {
        return 0;
    }
    let d = u.days as f64;
    if u.counts == CountModel::Fixed {
        return u.active.saturating_mul((u.per_day * d).round() as u64);
    }
    if u.active <= agg.exact_users_max {
        let mut total = 0u64;
        for _ in 0..u.active {
            total = total.saturating_add(user_tasks(rng, u));
        }
        return total;
    }
    let (k1, k2, k3) = u.per_user_cumulants();
    let a = u.active as f64;
    translated_gamma(rng, a * k1, a * k2, a * k3).round() as u64
}

/// Splits `n` tasks among kinds with probabilities `weights` (summing to 1): a multinomial
/// draw by sequential binomials.
pub fn split(rng: &mut TrialRng, n: u64, weights: &[f64], out: &mut Vec<u64>) {
    out.clear();
    let mut left = n;
    let mut mass = 1.0;
    for (i, &w) in weights.iter().enumerate() {
        let k = if i + 1 == weights.len() || left == 0 {
            left
        } else if w <= 0.0 {
            0
        } else if w >= mass {
            left
        } else {
            sample_binomial(left, (w / mass).min(1.0), rng)
        };
        out.push(k);
        left -= k;
        mass -= w;
    }
}

/// Cost and tokens of `n` tasks drawn from `pool`.
pub fn sum_tasks(rng: &mut TrialRng, pool: &TaskPool, n: u64, agg: &Aggregation) -> (f64, f64) {
    if n == 0 || pool.is_empty() {
        return (0.0, 0.0);
    }
    if n <= agg.exact_tasks_max {
        let (mut c, mut t) = (0.0, 0.0);
        for _ in 0..n {
            let i = pool.draw_index(rng);
            c += pool.cost[i];
            t += pool.tokens[i];
        }
        return (c, t);
    }
    let s = &pool.stats;
    let nf = n as f64;
    let mean = nf * s.mean_cost;
    let cost = translated_gamma(rng, mean, nf * s.var_cost, nf * s.m3_cost);
    let slope = if s.var_cost > 0.0 {
        s.cov / s.var_cost
    } else {
        0.0
    };
    let resid_var = (s.var_tokens - slope * s.cov).max(0.0) * nf;
    let noise = resid_var.sqrt() * standard_normal(rng);
    let tokens = (nf * s.mean_tokens + slope * (cost - mean) + noise).max(0.0);
    (cost, tokens)
}

/// Linear quantities of a sum of tasks: what every billing scheme needs of one kind's month.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TaskSums {
    /// List-price cost.
    pub cost: f64,
    /// Tokens, all kinds.
    pub tokens: f64,
    /// Each [`Extra`] (batch cost, output tokens, calls).
    pub extra: [f64; Extra::COUNT],
}

impl TaskSums {
    /// Adds another sum.
    pub fn add(&mut self, o: &TaskSums) {
        self.cost += o.cost;
        self.tokens += o.tokens;
        for (a, b) in self.extra.iter_mut().zip(&o.extra) {
            *a += b;
        }
    }
}

/// [`sum_tasks`] with the [`Extra`] quantities too. Up to `exact_tasks_max` tasks every
/// quantity is the sum of the drawn tasks (their pool indices are pushed on `drawn` when
/// given); beyond, cost and tokens are drawn as [`sum_tasks`] draws them and each extra
/// quantity by its linear regression on the cost plus an independent normal residual (exact
/// mean, variance and covariance with cost), the residuals drawn from `extra_rng` (so `rng`
/// is consumed exactly as [`sum_tasks`] consumes it).
pub fn sum_tasks_full(
    rng: &mut TrialRng,
    extra_rng: &mut TrialRng,
    pool: &TaskPool,
    n: u64,
    agg: &Aggregation,
    mut drawn: Option<&mut Vec<usize>>,
) -> TaskSums {
    let mut out = TaskSums::default();
    if n == 0 || pool.is_empty() {
        return out;
    }
    if n <= agg.exact_tasks_max {
        for _ in 0..n {
            let i = pool.draw_index(rng);
            out.cost += pool.cost[i];
            out.tokens += pool.tokens[i];
            for e in Extra::ALL {
                out.extra[e as usize] += pool.extra(i, e);
            }
            if let Some(d) = drawn.as_deref_mut() {
                d.push(i);
            }
        }
        return out;
    }
    let (cost, tokens) = sum_tasks(rng, pool, n, agg);
    out.cost = cost;
    out.tokens = tokens;
    let s = &pool.stats;
    let nf = n as f64;
    for e in 0..Extra::COUNT {
        let slope = if s.var_cost > 0.0 {
            s.extra_cov[e] / s.var_cost
        } else {
            0.0
        };
        let resid_var = (s.extra_var[e] - slope * s.extra_cov[e]).max(0.0) * nf;
        let noise = if resid_var > 0.0 {
            resid_var.sqrt() * standard_normal(extra_rng)
        } else {
            0.0
        };
        out.extra[e] = (nf * s.extra_mean[e] + slope * (cost - nf * s.mean_cost) + noise).max(0.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trial_rng;

    #[test]
    fn per_user_cumulants_reduce_to_poisson() {
        let u = MonthUsage {
            active: 1,
            days: 20,
            per_day: 2.0,
            dispersion: f64::INFINITY,
            sigma: 0.0,
            counts: CountModel::NegativeBinomial,
        };
        assert_eq!(u.per_user_cumulants(), (40.0, 40.0, 40.0));
    }

    #[test]
    fn split_conserves_the_total() {
        let mut rng = trial_rng(1, 2);
        let mut out = Vec::new();
        split(&mut rng, 1000, &[0.2, 0.5, 0.3], &mut out);
        assert_eq!(out.iter().sum::<u64>(), 1000);
        split(&mut rng, 7, &[0.0, 1.0, 0.0], &mut out);
        assert_eq!(out, vec![0, 7, 0]);
    }

    /// Moments of every kind `translated_gamma` treats apart: no variance, NaN, negligible
    /// skewness (a normal), negative skewness, shapes below and above 1, overflowing moments,
    /// and random ones over 50 orders of magnitude.
    fn translated_gamma_cases() -> Vec<(f64, f64, f64)> {
        let mut cases = vec![
            (5.0, 0.0, 1.0),
            (-2.0, 0.0, 0.0),
            (3.0, f64::NAN, 1.0),
            (1e3, 4.0, 0.0),
            (1e3, 4.0, 1e-12),
            (10.0, 4.0, -3.0),
            (10.0, 4.0, 40.0),
            (0.5, 1.0, 100.0),
            (1e300, 1e300, 1e300),
            (2.0, 1e308, 1e-300),
        ];
        let mut rng = trial_rng(17, 0);
        for _ in 0..200 {
            let u = |rng: &mut TrialRng| crate::dist::exp(20.0 * standard_normal(rng));
            let (mean, var) = (u(&mut rng), u(&mut rng));
            let sign = if rng.next_word() & 1 == 0 { 1.0 } else { -1.0 };
            cases.push((mean, var, sign * u(&mut rng)));
        }
        cases
    }

    #[test]
    fn hoisted_translated_gamma_draws_the_reference_bits() {
        for (c, &(mean, var, m3)) in translated_gamma_cases().iter().enumerate() {
            let hoisted = TranslatedGamma::new(mean, var, m3);
            let (mut a, mut b) = (trial_rng(5, c as u64), trial_rng(5, c as u64));
            for _ in 0..200 {
                let want = translated_gamma(&mut a, mean, var, m3);
                let got = hoisted.sample(&mut b);
                assert_eq!(got.to_bits(), want.to_bits(), "{mean} {var} {m3}");
            }
            assert_eq!(a, b, "the same words of the stream for {mean} {var} {m3}");
        }
    }

    #[test]
    fn constant_pools_sum_exactly_on_both_paths() {
        let pool = TaskPool::from_samples(vec![0.5; 16], vec![100.0; 16]);
        let agg = Aggregation {
            exact_users_max: 0,
            exact_tasks_max: 10,
        };
        let mut rng = trial_rng(3, 4);
        assert_eq!(sum_tasks(&mut rng, &pool, 8, &agg), (4.0, 800.0));
        assert_eq!(sum_tasks(&mut rng, &pool, 1000, &agg), (500.0, 100_000.0));
    }
}
