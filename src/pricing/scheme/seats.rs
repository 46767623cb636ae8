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
        let limit = self.allowance_units();
        let mut bill = Bill {
            total_usd: self.usd_per_seat * f64::from(usage.seats()),
            ..Bill::default()
        };
        let mut overage = 0.0;
        let costs = usage.list_costs(rates);
        for i in 0..usage.task_count() {
            let seat = usage.task_seat(i) as usize;
            let list = costs.get(i);
            let need = match self.allowance {
                Allowance::Tokens(_) => usage.task_token_total(i) as f64,
                Allowance::Requests(_) => usage.task_calls(i) as f64,
                Allowance::Usd(_) => list,
            };
            let left = (limit - used[seat]).max(0.0);
            let excess = (need - left).max(0.0);
            let excess_list = if need > 0.0 {
                list * excess / need
            } else {
                0.0
            };
            let charge = match self.overage_charge(excess, excess_list) {
                Some(c) => c,
                None => {
                    if left <= 0.0 && need > 0.0 {
                        bill.throttled_tasks += 1;
                        bill.throttled_list_usd += list;
                        continue;
                    }
                    0.0
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

    /// What usage beyond the allowance (`excess_units` in the allowance's unit, worth
    /// `excess_list_usd` at list prices) is charged; `None` when it is throttled.
    fn overage_charge(&self, excess_units: f64, excess_list_usd: f64) -> Option<f64> {
        match self.over {
            OverAllowance::Throttle => None,
            OverAllowance::Rate(rate) => {
                let per_unit = match self.allowance {
                    Allowance::Tokens(_) => rate / 1e6,
                    _ => rate,
                };
                Some(excess_units * per_unit)
            }
            OverAllowance::ApiPrices { discount } => Some(excess_list_usd * (1.0 - discount)),
        }
    }

    /// The allowance in its own unit (tokens, requests or USD).
    pub fn allowance_units(&self) -> f64 {
        match self.allowance {
            Allowance::Tokens(n) | Allowance::Requests(n) => n as f64,
            Allowance::Usd(v) => v,
        }
    }

    /// What a seat's usage counts against the allowance: its tokens, requests or list USD.
    pub fn units_of(&self, usage: &SeatUsage) -> f64 {
        match self.allowance {
            Allowance::Tokens(_) => usage.tokens,
            Allowance::Requests(_) => usage.requests,
            Allowance::Usd(_) => usage.list_usd,
        }
    }

    /// The bill of a period from each seat's totals (`per_seat`; seats without usage may be
    /// left out): a seat's usage beyond its allowance is its excess, valued at its own list
    /// price per unit. Unlike [`SeatsScheme::bill`], which follows tasks in start order, this
    /// reads a period as per-seat totals (the task that crosses the allowance is not treated
    /// apart); forecasts use it on aggregated months.
    pub fn bill_seat_totals(&self, seats: u32, per_seat: &[SeatUsage]) -> Bill {
        let limit = self.allowance_units();
        let (mut excess, mut excess_list, mut list) = (0.0, 0.0, 0.0);
        for u in per_seat {
            let need = self.units_of(u);
            list += u.list_usd;
            if need > limit {
                excess += need - limit;
                excess_list += u.list_usd * (need - limit) / need;
            }
        }
        self.bill_excess(seats, excess, excess_list, list)
    }

    /// The bill of a period in which the seats' usage beyond their allowances totals
    /// `excess_units` (in the allowance's unit) worth `excess_list_usd` at list prices, out of
    /// `list_usd` of usage in all: fees, plus the overage at the plan's rate (up to the cap,
    /// beyond which work is throttled), or all of the excess throttled.
    pub fn bill_excess(
        &self,
        seats: u32,
        excess_units: f64,
        excess_list_usd: f64,
        list_usd: f64,
    ) -> Bill {
        let mut bill = Bill {
            total_usd: self.usd_per_seat * f64::from(seats),
            list_usd,
            ..Bill::default()
        };
        let Some(charge) = self.overage_charge(excess_units, excess_list_usd) else {
            bill.throttled_list_usd = excess_list_usd;
            bill.list_usd -= excess_list_usd;
            return bill;
        };
        let billed = match self.overage_cap_usd {
            Some(cap) if charge > cap => {
                let unserved = excess_list_usd * (charge - cap) / charge;
                bill.throttled_list_usd = unserved;
                bill.list_usd -= unserved;
                cap
            }
            _ => charge,
        };
        bill.overage_usd = billed;
        bill.total_usd += billed;
        bill
    }
}

/// One seat's usage over a period, in every unit an allowance can count.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeatUsage {
    /// Tokens of every kind.
    pub tokens: f64,
    /// Requests (calls).
    pub requests: f64,
    /// List-price USD.
    pub list_usd: f64,
}
