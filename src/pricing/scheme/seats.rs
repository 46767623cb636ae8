//! Flat per-seat subscriptions: seats × a monthly fee, each seat with an allowance of usage
//! per period (tokens, requests or dollars of list-price usage). Beyond the allowance the
//! plan either throttles (the work is not done) or bills overage, at a rate per allowance
//! unit or at API list prices, optionally up to a cap on the period's total overage.
//!
//! Tasks are taken in the order they started. A task that starts while its seat has
//! allowance left is done in full; with throttling, the part beyond the allowance is
//! forgiven, and every later task of that seat is not done (counted in
//! [`Bill::throttled_tasks`] with its list value). With overage, the part of a task beyond
//! the allowance is billed; if that would pass the cap, the task is not done.

use super::{Bill, PeriodUsage, RateCard, SchemeError, check_range};

/// What a seat's allowance counts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Allowance {
    /// Tokens of every kind, per seat per period.
    Tokens(u64),
    /// Requests (calls), per seat per period.
    Requests(u64),
    /// Dollars of usage at list prices, per seat per period.
    Usd(f64),
}

/// What happens to usage beyond a seat's allowance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OverAllowance {
    /// The work is not done.
    Throttle,
    /// Billed at a rate per allowance unit: USD per million tokens, per request, or per
    /// dollar of list-price usage.
    Rate(f64),
    /// Billed at API list prices times `(1 - discount)`.
    ApiPrices {
        /// Discount off list prices, in [0, 1).
        discount: f64,
    },
}

/// A per-seat plan.
#[derive(Debug, Clone, PartialEq)]
pub struct SeatsScheme {
    /// USD per seat per period.
    pub usd_per_seat: f64,
    /// Usage included per seat per period.
    pub allowance: Allowance,
    /// What happens beyond it.
    pub over: OverAllowance,
    /// Most overage the whole team may be billed per period (beyond it work is throttled).
    pub overage_cap_usd: Option<f64>,
}

impl SeatsScheme {
    /// A checked scheme.
    pub fn new(
        usd_per_seat: f64,
        allowance: Allowance,
        over: OverAllowance,
        overage_cap_usd: Option<f64>,
    ) -> Result<Self, SchemeError> {
        check_range(
            "usd_per_seat",
            usd_per_seat,
            0.0,
            1e9,
            "a price from 0 to 1e9 USD",
        )?;
        if let Allowance::Usd(v) = allowance {
            check_range("allowance_usd", v, 0.0, 1e12, "a non-negative amount")?;
        }
        match over {
            OverAllowance::Rate(r) => {
                check_range("overage_rate", r, 0.0, 1e9, "a non-negative rate")?;
            }
            OverAllowance::ApiPrices { discount } => {
                check_range(
                    "overage_discount",
                    discount,
                    0.0,
                    0.999_999,
                    "a fraction below 1",
                )?;
            }
            OverAllowance::Throttle => {}
        }
        if let Some(cap) = overage_cap_usd {
            check_range("overage_cap_usd", cap, 0.0, 1e15, "a non-negative amount")?;
        }
        Ok(SeatsScheme {
            usd_per_seat,
            allowance,
            over,
            overage_cap_usd,
        })
    }

    /// The bill of a period.
    pub fn bill(&self, usage: &PeriodUsage, rates: &RateCard) -> Bill {
        let mut used = vec![0.0f64; usage.seats().max(1) as usize];
        let limit = match self.allowance {
            Allowance::Tokens(n) | Allowance::Requests(n) => n as f64,
            Allowance::Usd(v) => v,
        };
        let mut bill = Bill {
            total_usd: self.usd_per_seat * f64::from(usage.seats()),
            ..Bill::default()
        };
        let mut overage = 0.0;
        for i in 0..usage.task_count() {
            let seat = usage.task_seat(i) as usize;
            let list = rates.list_cost(usage.task_tokens(i));
            let need = match self.allowance {
                Allowance::Tokens(_) => usage.task_token_total(i) as f64,
                Allowance::Requests(_) => usage.task_calls(i) as f64,
                Allowance::Usd(_) => list,
            };
            let left = (limit - used[seat]).max(0.0);
            let excess = (need - left).max(0.0);
            let charge = match self.over {
                OverAllowance::Throttle => {
                    if left <= 0.0 && need > 0.0 {
                        bill.throttled_tasks += 1;
                        bill.throttled_list_usd += list;
                        continue;
                    }
                    0.0
                }
                OverAllowance::Rate(rate) => {
                    let per_unit = match self.allowance {
                        Allowance::Tokens(_) => rate / 1e6,
                        _ => rate,
                    };
                    excess * per_unit
                }
                OverAllowance::ApiPrices { discount } => {
                    if need > 0.0 {
                        list * (excess / need) * (1.0 - discount)
                    } else {
                        0.0
                    }
                }
            };
            if let Some(cap) = self.overage_cap_usd
                && overage + charge > cap * (1.0 + 1e-12)
            {
                bill.throttled_tasks += 1;
                bill.throttled_list_usd += list;
                continue;
            }
            overage += charge;
            used[seat] += need;
            bill.list_usd += list;
        }
        bill.overage_usd = overage;
        bill.total_usd += overage;
        bill
    }
}
