//! Billing a forecast month under the pricing layer's schemes (`[billing.NAME]`, the same
//! tables `tokencast compare` reads). A forecast month is aggregated (see [`super::aggregate`]),
//! so each scheme is billed from what it depends on, through the scheme's own code:
//!
//! | scheme | the month as the scheme sees it |
//! |---|---|
//! | tokens | list and batch cost of the month ([`TokensScheme::bill_windows`]); with consumption units, the month's priced amount spread evenly over its metering windows (working hours / `metering_hours`), each window rounded |
//! | commitment | the month's list cost ([`CommitmentScheme::bill_list_cost`]) |
//! | seats | every seat's usage: per user, simulated ([`SeatsScheme::bill_seat_totals`]) up to `exact_users_max` active users; beyond, the expected excess per user from the per-user usage distribution ([`super::seat_usage`]) ([`SeatsScheme::bill_excess`]) |
//! | compute hours | the demand of every working hour ([`crate::pricing::scheme::ComputeHoursScheme::bill_served`], [`crate::pricing::scheme::ComputeHoursScheme::bill_profile`]): tasks start uniformly over the month's working hours; tasks summed one by one go to a uniformly drawn hour, the rest make per-hour compound-Poisson demand (a translated gamma with the kinds' summed per-hour variance and third moment, independent from hour to hour); only the hours above capacity are drawn where no task is placed one by one ([`super::hourly_demand`]) |
//!
//! Seat fees, commitments and reserved compute are fixed charges (FOCUS `Purchase`); the rest
//! is usage.

use super::aggregate::{MonthUsage, TaskSums, sum_tasks_full};
use super::hourly_demand::{MonthDemand, capacity_tokens};
use super::model::Aggregation;
use super::model::TaskMix;
use super::pool::Extra;
use super::pool::TaskPool;
use super::seat_usage::excess_per_user;
use crate::dist::standard_normal;
use crate::engine::TrialRng;
use crate::pricing::scheme::{
    Allowance, Bill, BillingScheme, DemandProfile, SeatUsage, SeatsScheme, Sizing,
};

/// A named scheme of a forecast, with what billing it needs precomputed.
#[derive(Debug, Clone)]
pub struct ForecastScheme {
    /// The `[billing.NAME]` name.
    pub name: String,
    /// The scheme.
    pub scheme: BillingScheme,
    /// Compute hours: per task kind, the first three raw moments of one task's capacity tokens
    /// (prompt tokens plus output and reasoning tokens × `output_weight`), before drifts.
    pub capacity_moments: Vec<[f64; 3]>,
    /// Its random stream's number, from its name ([`crate::engine::name_stream`]): its draws
    /// do not move when other schemes come or go.
    pub stream: u64,
}

impl ForecastScheme {
    /// A scheme for a mix of `tasks`.
    pub fn new(name: String, scheme: BillingScheme, tasks: &[TaskMix]) -> ForecastScheme {
        let capacity_moments = match &scheme {
            BillingScheme::ComputeHours(c) => tasks
                .iter()
                .map(|t| {
                    let n = t.pool.len().max(1) as f64;
                    let (mut s1, mut s2, mut s3) = (0.0, 0.0, 0.0);
                    for i in 0..t.pool.len() {
                        let w = capacity_tokens(
                            t.pool.tokens[i],
                            t.pool.extra(i, Extra::OutputTokens),
                            c,
                        );
                        s1 += w;
                        s2 += w * w;
                        s3 += w * w * w;
                    }
                    [s1 / n, s2 / n, s3 / n]
                })
                .collect(),
            _ => Vec::new(),
        };
        ForecastScheme {
            stream: crate::engine::name_stream(&name),
            name,
            scheme,
            capacity_moments,
        }
    }

    /// Whether the scheme is compute hours sized to a percentile of peak demand.
    pub fn sized_to_peak(&self) -> bool {
        matches!(&self.scheme, BillingScheme::ComputeHours(c) if matches!(c.sizing, Sizing::PeakPercentile(_)))
    }

    /// The part of `bill` that is a fixed charge (seat fees, commitment, reserved compute).
    pub fn fixed_charge(&self, bill: &Bill) -> f64 {
        match &self.scheme {
            BillingScheme::Tokens(_) => 0.0,
            BillingScheme::Seats(_) | BillingScheme::Commitment(_) => {
                bill.total_usd - bill.overage_usd
            }
            BillingScheme::ComputeHours(c) => match c.spill {
                crate::pricing::scheme::Spill::OnDemand => bill.total_usd - bill.overage_usd,
                crate::pricing::scheme::Spill::Drop => bill.total_usd,
            },
        }
    }
}

/// One task kind's month: its sums before drifts, and the pool indices of the tasks drawn one
/// by one (for hourly demand).
#[derive(Debug, Clone, Default)]
pub struct KindMonth {
    /// Tasks.
    pub count: u64,
    /// Sums of all its tasks.
    pub sums: TaskSums,
    /// Pool indices of the tasks summed one by one.
    pub drawn: Vec<usize>,
    /// Tasks not drawn one by one.
    pub undrawn: u64,
    /// Their sums.
    pub undrawn_sums: TaskSums,
}

impl KindMonth {
    /// Empties it.
    pub fn clear(&mut self) {
        self.count = 0;
        self.sums = TaskSums::default();
        self.drawn.clear();
        self.undrawn = 0;
        self.undrawn_sums = TaskSums::default();
    }

    /// Adds `n` tasks summing to `s`, of which the last `drawn` pushed on `self.drawn` were
    /// drawn one by one (all or none).
    pub fn add(&mut self, n: u64, s: &TaskSums, drawn_one_by_one: bool) {
        self.count += n;
        self.sums.add(s);
        if !drawn_one_by_one {
            self.undrawn += n;
            self.undrawn_sums.add(s);
        }
    }

    /// Sums `n` tasks of `pool` (one by one, keeping their indices, when `keep_drawn` and `n`
    /// is small enough to sum exactly), adds them, and returns their sums.
    pub fn sum_and_add(
        &mut self,
        rng: &mut TrialRng,
        extra_rng: &mut TrialRng,
        pool: &TaskPool,
        n: u64,
        agg: &Aggregation,
        keep_drawn: bool,
    ) -> TaskSums {
        let one_by_one = keep_drawn && n <= agg.exact_tasks_max;
        let drawn = one_by_one.then_some(&mut self.drawn);
        let s = sum_tasks_full(rng, extra_rng, pool, n, agg, drawn);
        self.add(n, &s, one_by_one);
        s
    }
}

/// Everything a scheme may need of one forecast month.
#[derive(Debug)]
pub struct MonthWork<'a> {
    /// Seats on the plan.
    pub seats: f64,
    /// Task counts' model (active users, working days, intensity).
    pub usage: MonthUsage,
    /// Working hours per day.
    pub hours_per_day: u32,
    /// Multiplier on tokens (drift and factors).
    pub token_mult: f64,
    /// Multiplier on prices (drift and factors).
    pub price_mult: f64,
    /// The mix.
    pub tasks: &'a [TaskMix],
    /// Each kind's month.
    pub kinds: &'a [KindMonth],
    /// The mix weights of the month.
    pub weights: &'a [f64],
    /// Each active user's usage (drifts applied), when users were simulated one by one.
    pub per_user: Option<&'a [SeatUsage]>,
}

impl MonthWork<'_> {
    /// List cost of the month.
    pub fn list_usd(&self) -> f64 {
        self.kinds.iter().map(|k| k.sums.cost).sum::<f64>() * self.token_mult * self.price_mult
    }

    /// Working hours of the month (at least 1).
    pub fn slots(&self) -> u32 {
        (self.usage.days * self.hours_per_day).max(1)
    }
}

/// The month's bill under `s`; `units` are the units provisioned this month for compute
/// hours sized to a peak percentile. `profile` is a reusable buffer.
pub fn bill_month(
    rng: &mut TrialRng,
    s: &ForecastScheme,
    units: Option<u64>,
    work: &MonthWork,
    profile: &mut DemandProfile,
) -> Bill {
    let list = work.list_usd();
    match &s.scheme {
        BillingScheme::Tokens(t) => {
            let batch: f64 = work
                .kinds
                .iter()
                .map(|k| k.sums.extra[Extra::BatchCost as usize])
                .sum::<f64>()
                * work.token_mult
                * work.price_mult;
            let priced = t.priced_usd(list, batch);
            let windows = match t.units {
                Some(u) => work.slots().div_ceil(u.metering_slots) as usize,
                None => 1,
            };
            t.bill_windows(list, &vec![priced / windows as f64; windows])
        }
        BillingScheme::Commitment(c) => c.bill_list_cost(list),
        BillingScheme::Seats(st) => {
            let seats = work.seats.clamp(0.0, u32::MAX as f64) as u32;
            match work.per_user {
                Some(users) => st.bill_seat_totals(seats, users),
                None => bill_seats_approx(rng, st, seats, list, work),
            }
        }
        BillingScheme::ComputeHours(c) => {
            let month = MonthDemand::new(c, &s.capacity_moments, work);
            let n = match (c.sizing, units) {
                (Sizing::Fixed(n), _) => n,
                (Sizing::PeakPercentile(_), Some(n)) => n,
                (Sizing::PeakPercentile(_), None) => {
                    // Unsized: this month's own peak (the same draws the bill then meets).
                    c.units_for(month.peak(&mut rng.clone(), c, work, profile))
                }
            };
            month.bill(rng, c, n, work, profile)
        }
    }
}

/// The month's peak hourly demand in tokens per minute under compute scheme `s` (what the
/// sizing pilot reads; 0 for other schemes).
pub fn peak_month(
    rng: &mut TrialRng,
    s: &ForecastScheme,
    work: &MonthWork,
    profile: &mut DemandProfile,
) -> f64 {
    match &s.scheme {
        BillingScheme::ComputeHours(c) => {
            MonthDemand::new(c, &s.capacity_moments, work).peak(rng, c, work, profile)
        }
        _ => 0.0,
    }
}

/// Seats on an organisation too large to simulate user by user ([`super::seat_usage`]).
fn bill_seats_approx(
    rng: &mut TrialRng,
    st: &SeatsScheme,
    seats: u32,
    list: f64,
    work: &MonthWork,
) -> Bill {
    let (tm, pm) = (work.token_mult, work.token_mult * work.price_mult);
    let (mut m1, mut m2, mut list_mean) = (0.0, 0.0, 0.0);
    for (t, &w) in work.tasks.iter().zip(work.weights) {
        let s = &t.pool.stats;
        let (mean, var) = match st.allowance {
            Allowance::Tokens(_) => (s.mean_tokens * tm, s.var_tokens * tm * tm),
            Allowance::Requests(_) => (
                s.extra_mean[Extra::Calls as usize],
                s.extra_var[Extra::Calls as usize],
            ),
            Allowance::Usd(_) => (s.mean_cost * pm, s.var_cost * pm * pm),
        };
        m1 += w * mean;
        m2 += w * (var + mean * mean);
        list_mean += w * s.mean_cost * pm;
    }
    let (e1, e2) = excess_per_user(&work.usage, m1, m2, st.allowance_units());
    let n = work.usage.active as f64;
    let z = standard_normal(rng);
    let excess = (n * e1 + (n * (e2 - e1 * e1).max(0.0)).sqrt() * z).max(0.0);
    let list_per_unit = if m1 > 0.0 { list_mean / m1 } else { 0.0 };
    st.bill_excess(seats, excess, excess * list_per_unit, list)
}
