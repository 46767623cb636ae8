//! Compute hours on a forecast month: the demand of every working hour, and the month's bill
//! and peak without drawing every hour where the law makes that unnecessary.
//!
//! **The law.** A month's tasks start uniformly over its `n` working hours. Each task summed
//! one by one ([`super::billing::KindMonth::drawn`]) goes to a uniformly drawn hour. The rest
//! (every kind's undrawn tasks) make compound-Poisson demand per hour: `λₖ = Nₖ / n` tasks an
//! hour of kind `k`, each of `w` capacity tokens, with cumulants `λₖ E[wʲ]` (`j` = 1, 2, 3),
//! which add up over kinds. One hour's undrawn demand is the translated gamma with those
//! variance and third moment and with mean `T / n` (`T`: the month's undrawn capacity tokens,
//! as the aggregation drew them), never below 0, independently from hour to hour (a normal
//! when its gamma shape passes [`NORMAL_SHAPE`]). Its list cost is its demand at the month's
//! list cost per undrawn capacity token. The served demand is the month's demand less the
//! excess over capacity.
//!
//! **Billing without every hour.** A bill at capacity `C` an hour needs the hours above `C`:
//! `Σ (dₕ − C)⁺`; sizing needs the largest hour. Without tasks placed one by one, the `n`
//! hours are independent and identically distributed, so their order statistics are drawn
//! from the top by inversion (Rényi's representation): the `j`-th largest is `F̄⁻¹(sⱼ)`,
//! `sⱼ = 1 − exp(−Σ_{i≤j} Eᵢ / (n − i + 1))`, `Eᵢ` standard exponentials. The walk stops at
//! the first hour at or below `C`; when capacity covers the largest hour (most months of a
//! sized plan) one evaluation of `F̄(C)` settles the month. When more than [`WALK_MAX`] hours
//! are expected above `C`, the largest is drawn the same way and the other `n − 1` by
//! rejection below it (given their maximum, the others are independent draws of the law
//! truncated there). With tasks placed one by one, every hour is drawn. Each path gives the
//! same law; `tests/forecast_billing.rs` checks the bill against every task placed in its
//! hour, and this module's tests the paths against each other.
//!
//! The sizing pilot ([`MonthDemand::peak`]) and the bill ([`MonthDemand::bill`]) draw from
//! the same stream of the scheme, month and trial, the largest hour from its first draw, so
//! the pilot sizes to the peak the bill then meets.

use rand::RngExt;

use super::billing::MonthWork;
use super::pool::Extra;
use crate::dist::{GammaDraw, exp, ln, standard_normal_local};
use crate::engine::TrialRng;
use crate::pricing::scheme::{Bill, ComputeHoursScheme, DemandProfile};
use crate::stats::special::{erfc, gamma_q_inverse, incomplete_gamma, ln_gamma, normal_quantile};

/// Hours expected above capacity beyond which the other hours are drawn rather than walked
/// down to by inversion.
pub const WALK_MAX: f64 = 4.0;

/// Gamma shape from which an hour's demand is a normal (skewness below 0.002): the incomplete
/// gamma function's series and continued fraction converge in a few thousand terms below it.
pub const NORMAL_SHAPE: f64 = 1e6;

/// One hour's undrawn demand: `max(0, Y)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum HourLaw {
    /// No variance: always this value.
    Constant(f64),
    /// `Y` normal.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// `Y = base + G`, `G` gamma (`shape`, `scale`); `base` is the mean less the gamma's.
    Gamma {
        /// The mean less `shape × scale`.
        base: f64,
        /// The gamma's shape.
        shape: f64,
        /// The gamma's scale.
        scale: f64,
        /// `ln Γ(shape)`.
        ln_gamma_shape: f64,
        /// The gamma draw.
        draw: GammaDraw,
    },
}

impl HourLaw {
    /// The law with `mean`, variance `var` and third central moment `m3`.
    pub fn new(mean: f64, var: f64, m3: f64) -> HourLaw {
        if var.is_nan() || var <= 0.0 || !mean.is_finite() {
            return HourLaw::Constant(mean.max(0.0));
        }
        let sd = var.sqrt();
        let skew = m3 / (var * sd);
        let shape = 4.0 / (skew * skew);
        if skew.is_nan() || skew <= 0.0 || shape.is_nan() || shape >= NORMAL_SHAPE {
            return HourLaw::Normal { mean, sd };
        }
        let scale = sd * skew / 2.0;
        match GammaDraw::new(shape, scale) {
            Some(draw) => HourLaw::Gamma {
                base: mean - shape * scale,
                shape,
                scale,
                ln_gamma_shape: ln_gamma(shape),
                draw,
            },
            None => HourLaw::Constant(mean.max(0.0)),
        }
    }

    /// `P(demand > c)` for `c ≥ 0`.
    pub fn upper_tail(&self, c: f64) -> f64 {
        match *self {
            HourLaw::Constant(x) => f64::from(u8::from(x > c)),
            HourLaw::Normal { mean, sd } => {
                0.5 * erfc((c - mean) / (sd * std::f64::consts::SQRT_2))
            }
            HourLaw::Gamma {
                base,
                shape,
                scale,
                ln_gamma_shape,
                ..
            } => {
                let z = (c - base) / scale;
                if z <= 0.0 {
                    1.0
                } else {
                    incomplete_gamma(shape, z, ln(z), ln_gamma_shape).q
                }
            }
        }
    }

    /// The demand exceeded with probability `s` (in (0, 1)).
    pub fn upper_quantile(&self, s: f64) -> f64 {
        let y = match *self {
            HourLaw::Constant(x) => x,
            HourLaw::Normal { mean, sd } => mean - sd * normal_quantile(s),
            HourLaw::Gamma {
                base, shape, scale, ..
            } => base + scale * gamma_q_inverse(shape, s),
        };
        y.max(0.0)
    }

    /// One draw. `rng` is best a local copy of the caller's generator.
    #[inline(always)]
    pub fn sample(&self, rng: &mut TrialRng) -> f64 {
        let y = match *self {
            HourLaw::Constant(x) => x,
            HourLaw::Normal { mean, sd } => mean + sd * standard_normal_local(rng),
            HourLaw::Gamma { base, draw, .. } => base + draw.sample_local(rng),
        };
        y.max(0.0)
    }
}

/// `1 − e^(−x)` for `x ≥ 0`, to full relative precision near 0.
fn one_minus_exp_neg(x: f64) -> f64 {
    if x < 1e-5 {
        x * (1.0 - x * (0.5 - x / 6.0))
    } else {
        1.0 - exp(-x)
    }
}

/// A standard exponential draw.
fn exponential(rng: &mut TrialRng) -> f64 {
    -ln(1.0 - rng.random::<f64>())
}

/// The order statistics of `n` hours from the top, as tail probabilities `sⱼ`.
struct FromTheTop {
    n: usize,
    taken: usize,
    sum: f64,
}

impl FromTheTop {
    fn new(n: usize) -> FromTheTop {
        FromTheTop {
            n,
            taken: 0,
            sum: 0.0,
        }
    }

    /// The next largest hour's tail probability, or `None` after `n`.
    fn next(&mut self, rng: &mut TrialRng) -> Option<f64> {
        if self.taken == self.n {
            return None;
        }
        self.sum += exponential(rng) / (self.n - self.taken) as f64;
        self.taken += 1;
        Some(one_minus_exp_neg(self.sum))
    }
}

/// A compute-hours month: what its hourly demand is made of.
#[derive(Debug, Clone)]
pub struct MonthDemand {
    /// Working hours.
    slots: usize,
    /// One hour's undrawn demand.
    hour: HourLaw,
    /// Capacity tokens of the undrawn tasks (the month's, drifts applied).
    undrawn_tokens: f64,
    /// Their list cost.
    undrawn_list: f64,
    /// Whether some tasks are placed one by one.
    any_drawn: bool,
}

/// Capacity tokens of work with `tokens` in all and `output` of them output or reasoning.
pub fn capacity_tokens(tokens: f64, output: f64, c: &ComputeHoursScheme) -> f64 {
    tokens + (c.output_weight - 1.0) * output
}

impl MonthDemand {
    /// The month of `work` under `c`, whose kinds' capacity tokens have raw moments `moments`
    /// (per task, before drifts).
    pub fn new(c: &ComputeHoursScheme, moments: &[[f64; 3]], work: &MonthWork) -> MonthDemand {
        let slots = work.slots() as usize;
        let tm = work.token_mult;
        let (mut tokens, mut list, mut var, mut m3) = (0.0, 0.0, 0.0, 0.0);
        let mut any_drawn = false;
        for (k, m) in work.kinds.iter().zip(moments) {
            any_drawn |= !k.drawn.is_empty();
            if k.undrawn == 0 {
                continue;
            }
            let lambda = k.undrawn as f64 / slots as f64;
            let s = &k.undrawn_sums;
            tokens += capacity_tokens(s.tokens, s.extra[Extra::OutputTokens as usize], c) * tm;
            list += s.cost * tm * work.price_mult;
            var += lambda * m[1] * tm * tm;
            m3 += lambda * m[2] * tm * tm * tm;
        }
        MonthDemand {
            slots,
            hour: HourLaw::new(tokens / slots as f64, var, m3),
            undrawn_tokens: tokens,
            undrawn_list: list,
            any_drawn,
        }
    }

    /// A month of `slots` hours of undrawn demand alone, each hour following `hour`, of
    /// `undrawn_tokens` capacity tokens worth `undrawn_list` in all.
    pub fn undrawn(
        slots: usize,
        hour: HourLaw,
        undrawn_tokens: f64,
        undrawn_list: f64,
    ) -> MonthDemand {
        MonthDemand {
            slots: slots.max(1),
            hour,
            undrawn_tokens,
            undrawn_list,
            any_drawn: false,
        }
    }

    /// List cost of the undrawn demand per capacity token.
    fn list_per_token(&self) -> f64 {
        if self.undrawn_tokens > 0.0 {
            self.undrawn_list / self.undrawn_tokens
        } else {
            0.0
        }
    }

    /// Every hour's demand and list cost into `out`: the tasks placed one by one, each in a
    /// uniformly drawn hour, plus each hour's undrawn demand.
    fn profile(
        &self,
        rng: &mut TrialRng,
        c: &ComputeHoursScheme,
        work: &MonthWork,
        out: &mut DemandProfile,
    ) {
        let slots = self.slots;
        out.demand.clear();
        out.demand.resize(slots, 0.0);
        out.list_usd.clear();
        out.list_usd.resize(slots, 0.0);
        let (tm, pm) = (work.token_mult, work.token_mult * work.price_mult);
        for (k, t) in work.kinds.iter().zip(work.tasks) {
            for &i in &k.drawn {
                let slot = rng.random_range(0..slots);
                let w = capacity_tokens(t.pool.tokens[i], t.pool.extra(i, Extra::OutputTokens), c);
                out.demand[slot] += w * tm;
                out.list_usd[slot] += t.pool.cost[i] * pm;
            }
        }
        if self.undrawn_tokens > 0.0 {
            let per_token = self.list_per_token();
            let mut local = rng.clone();
            for (d, l) in out.demand.iter_mut().zip(out.list_usd.iter_mut()) {
                let x = self.hour.sample(&mut local);
                *d += x;
                *l += x * per_token;
            }
            *rng = local;
        }
    }

    /// The month's largest hourly demand, in tokens per minute (what sizing reads).
    pub fn peak(
        &self,
        rng: &mut TrialRng,
        c: &ComputeHoursScheme,
        work: &MonthWork,
        profile: &mut DemandProfile,
    ) -> f64 {
        if self.any_drawn {
            self.profile(rng, c, work, profile);
            return profile.peak_tokens_per_minute();
        }
        self.largest(rng) / 60.0
    }

    /// The largest hour's undrawn demand (no task placed one by one), from the stream's first
    /// draw.
    pub fn largest(&self, rng: &mut TrialRng) -> f64 {
        match FromTheTop::new(self.slots).next(rng) {
            Some(s) if self.undrawn_tokens > 0.0 => self.hour.upper_quantile(s),
            _ => 0.0,
        }
    }

    /// The month's bill with `units` provisioned.
    pub fn bill(
        &self,
        rng: &mut TrialRng,
        c: &ComputeHoursScheme,
        units: u64,
        work: &MonthWork,
        profile: &mut DemandProfile,
    ) -> Bill {
        if self.any_drawn {
            self.profile(rng, c, work, profile);
            return c.bill_profile(units, profile);
        }
        self.bill_undrawn(rng, c, units)
    }

    /// Whether some tasks are placed one by one (then the bill and the peak read every hour).
    pub fn any_drawn(&self) -> bool {
        self.any_drawn
    }

    /// Every hour's demand and list cost into `out`, as [`MonthDemand::bill`] and
    /// [`MonthDemand::peak`] draw them from the same stream when some tasks are placed one by
    /// one.
    pub fn hours(
        &self,
        rng: &mut TrialRng,
        c: &ComputeHoursScheme,
        work: &MonthWork,
        out: &mut DemandProfile,
    ) {
        self.profile(rng, c, work, out);
    }

    /// [`MonthDemand::bill`] of a month with no task placed one by one.
    pub fn bill_undrawn(&self, rng: &mut TrialRng, c: &ComputeHoursScheme, units: u64) -> Bill {
        debug_assert!(!self.any_drawn);
        let capacity = c.capacity_per_slot(units);
        let excess = if self.undrawn_tokens > 0.0 {
            self.excess(rng, capacity)
        } else {
            0.0
        }
        .min(self.undrawn_tokens);
        c.bill_served(
            units,
            self.undrawn_tokens - excess,
            self.undrawn_list,
            excess * self.list_per_token(),
        )
    }

    /// `Σ (dₕ − capacity)⁺` over the month's hours (no task placed one by one).
    pub fn excess(&self, rng: &mut TrialRng, capacity: f64) -> f64 {
        let above = self.hour.upper_tail(capacity);
        let mut top = FromTheTop::new(self.slots);
        let Some(s1) = top.next(rng) else {
            return 0.0;
        };
        if s1 >= above {
            // The largest hour is at or below capacity.
            return 0.0;
        }
        let largest = self.hour.upper_quantile(s1);
        let mut excess = (largest - capacity).max(0.0);
        if above * self.slots as f64 <= WALK_MAX {
            while let Some(s) = top.next(rng) {
                if s >= above {
                    break;
                }
                excess += (self.hour.upper_quantile(s) - capacity).max(0.0);
            }
        } else if s1 > 0.5 {
            // Rejection would mostly reject: invert a uniform tail probability in [s₁, 1).
            for _ in 1..self.slots {
                let s = s1 + (1.0 - s1) * rng.random::<f64>();
                excess += (self.hour.upper_quantile(s) - capacity).max(0.0);
            }
        } else {
            let mut local = rng.clone();
            for _ in 1..self.slots {
                let d = loop {
                    let d = self.hour.sample(&mut local);
                    if d <= largest {
                        break d;
                    }
                };
                excess += (d - capacity).max(0.0);
            }
            *rng = local;
        }
        excess
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::trial_rng;

    /// Mean and standard error.
    fn mean_se(x: &[f64]) -> (f64, f64) {
        let n = x.len() as f64;
        let m = x.iter().sum::<f64>() / n;
        let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1.0);
        (m, (v / n).sqrt())
    }

    fn month(hour: HourLaw, slots: usize) -> MonthDemand {
        MonthDemand::undrawn(slots, hour, 1e12, 1.0)
    }

    #[test]
    fn the_tail_and_its_inverse_agree_for_every_form() {
        for law in [
            HourLaw::new(100.0, 400.0, 8_000.0 * 2.0),
            HourLaw::new(100.0, 400.0, 8_000.0 * 0.05),
            HourLaw::new(3.0, 400.0, 8_000.0 * 5.0),
            HourLaw::new(1e6, 1e6, 1e-3),
        ] {
            for s in [0.9, 0.5, 0.01, 1e-4, 1e-7] {
                let d = law.upper_quantile(s);
                if d > 0.0 {
                    let back = law.upper_tail(d);
                    assert!(
                        (back - s).abs() < 1e-6 * s,
                        "{law:?} s {s}: {d} gives {back}"
                    );
                }
            }
        }
        assert!(matches!(HourLaw::new(1.0, 0.0, 0.0), HourLaw::Constant(_)));
        assert!(matches!(
            HourLaw::new(1e6, 1e6, 1e-3),
            HourLaw::Normal { .. }
        ));
    }

    /// The excess over capacity and the largest hour, by the walk from the top (few hours
    /// above capacity), by rejection below the largest (many), and with every hour drawn:
    /// the same law, means within 4 combined SE.
    #[test]
    fn every_path_gives_the_law_of_independent_hours() {
        let law = HourLaw::new(100.0, 900.0, 27_000.0 * 1.5);
        let n = 20_000;
        // Capacity near the largest hour (the walk), near the median hour (rejection) and, on
        // six hours, below most of them (rejection, and inversion when the largest is low).
        for (slots, tail, path) in [
            (168, 1.0 / 168.0, "walk"),
            (168, 0.3, "rejection"),
            (6, 0.9, "rejection and inversion"),
        ] {
            let month = month(law, slots);
            let capacity = law.upper_quantile(tail);
            let expected = law.upper_tail(capacity) * slots as f64;
            assert_eq!(expected <= WALK_MAX, path == "walk");
            let (mut fast, mut every, mut top, mut top_every) = (vec![], vec![], vec![], vec![]);
            for t in 0..n {
                let mut rng = trial_rng(7, t);
                let mut peek = rng.clone();
                fast.push(month.excess(&mut rng, capacity));
                let s1 = FromTheTop::new(slots).next(&mut peek).unwrap();
                top.push(law.upper_quantile(s1));
                let mut rng = trial_rng(8, t);
                let hours: Vec<f64> = (0..slots).map(|_| law.sample(&mut rng)).collect();
                every.push(hours.iter().map(|d| (d - capacity).max(0.0)).sum());
                top_every.push(hours.iter().copied().fold(0.0, f64::max));
            }
            for (what, a, b) in [
                ("excess", &fast, &every),
                ("largest hour", &top, &top_every),
            ] {
                let ((ma, sa), (mb, sb)) = (mean_se(a), mean_se(b));
                let z = (ma - mb) / (sa * sa + sb * sb).sqrt();
                assert!(
                    z.abs() < 4.0,
                    "{path} {what}: {ma} ± {sa} against {mb} ± {sb}"
                );
            }
        }
    }
}
