//! Compute hours: provisioned capacity (e.g. provisioned-throughput model units) or
//! self-hosted GPUs, billed per unit-hour for every billed hour of the period whether used or
//! not.
//!
//! Each unit serves `tokens_per_minute_per_unit` tokens (output and reasoning tokens weigh
//! `output_weight` each; self-hosted GPUs: tokens per second × 60 × the utilisation they can
//! sustain). Demand is counted per metering slot (one hour): the weighted tokens of the tasks
//! that started in it, spread evenly over the hour. Demand above the slot's capacity either
//! spills to on-demand list prices (its share of the slot's list-price cost) or is not
//! served. Utilisation is served demand over capacity × billed hours.
//!
//! Sizing: a fixed number of units, or the smallest number whose capacity covers the `p`-th
//! percentile of the period's peak hourly demand over many simulated periods
//! ([`ComputeHoursScheme::sized_to`]), so that a share `p` of periods never spills.

use super::{Bill, PeriodUsage, RateCard, SchemeError, check_range};
use crate::pricing::TokenKind;

/// How many units are provisioned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Sizing {
    /// A fixed number of units.
    Fixed(u64),
    /// Enough units for this percentile (in (0, 100]) of the periods' peak hourly demand;
    /// resolved by [`ComputeHoursScheme::sized_to`] before billing.
    PeakPercentile(f64),
}

/// What happens to demand above capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spill {
    /// Served on demand at list prices.
    OnDemand,
    /// Not served (reported as throttled list value).
    Drop,
}

/// Provisioned capacity billed by the hour.
#[derive(Debug, Clone, PartialEq)]
pub struct ComputeHoursScheme {
    /// USD per unit-hour.
    pub usd_per_unit_hour: f64,
    /// Tokens per minute one unit serves.
    pub tokens_per_minute_per_unit: f64,
    /// Capacity used by one output or reasoning token (prompt tokens weigh 1).
    pub output_weight: f64,
    /// Units provisioned.
    pub sizing: Sizing,
    /// Hours billed per period (e.g. 730 for a month around the clock).
    pub billed_hours: f64,
    /// Demand above capacity.
    pub spill: Spill,
}

impl ComputeHoursScheme {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), SchemeError> {
        check_range(
            "usd_per_unit_hour",
            self.usd_per_unit_hour,
            0.0,
            1e9,
            "a non-negative price",
        )?;
        check_range(
            "tokens_per_minute_per_unit",
            self.tokens_per_minute_per_unit,
            1e-9,
            1e15,
            "a positive rate",
        )?;
        check_range(
            "output_weight",
            self.output_weight,
            0.0,
            1e6,
            "a non-negative weight",
        )?;
        check_range(
            "billed_hours",
            self.billed_hours,
            0.0,
            1e6,
            "a non-negative number of hours",
        )?;
        if let Sizing::PeakPercentile(p) = self.sizing {
            check_range(
                "size_to_peak_percentile",
                p,
                1e-9,
                100.0,
                "a percentile in (0, 100]",
            )?;
        }
        Ok(())
    }

    /// Tokens per minute of capacity one self-hosted GPU gives: tokens per second × 60 × the
    /// utilisation it can sustain (in (0, 1]).
    pub fn gpu_tokens_per_minute(tokens_per_second: f64, max_utilisation: f64) -> f64 {
        tokens_per_second * 60.0 * max_utilisation
    }

    /// Units needed to serve `tokens_per_minute`.
    pub fn units_for(&self, tokens_per_minute: f64) -> u64 {
        let units = tokens_per_minute / self.tokens_per_minute_per_unit;
        // Snap values within 1e-9 of a whole number (binary rounding), then round up.
        let snapped = if (units - units.round()).abs() <= 1e-9 * units.max(1.0) {
            units.round()
        } else {
            units
        };
        snapped.ceil().max(0.0) as u64
    }

    /// The scheme with a percentile sizing fixed from the peak hourly demands (tokens per
    /// minute, [`peak_tokens_per_minute`]) of many simulated periods: units for the
    /// `p`-th percentile (the smallest peak with at least `p`% of periods at or below it).
    /// Fixed sizings are returned unchanged.
    pub fn sized_to(&self, peaks: &[f64]) -> ComputeHoursScheme {
        let mut out = self.clone();
        if let Sizing::PeakPercentile(p) = self.sizing {
            let mut sorted: Vec<f64> = peaks.to_vec();
            sorted.sort_by(f64::total_cmp);
            let peak = if sorted.is_empty() {
                0.0
            } else {
                let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
                sorted[rank.clamp(1, sorted.len()) - 1]
            };
            out.sizing = Sizing::Fixed(self.units_for(peak));
        }
        out
    }

    /// Units provisioned for a period: the fixed count, or (an unresolved percentile) this
    /// period's own peak.
    fn units(&self, usage: &PeriodUsage) -> u64 {
        match self.sizing {
            Sizing::Fixed(n) => n,
            Sizing::PeakPercentile(_) => {
                self.units_for(peak_tokens_per_minute(usage, self.output_weight))
            }
        }
    }

    /// The bill of a period.
    pub fn bill(&self, usage: &PeriodUsage, rates: &RateCard) -> Bill {
        let units = self.units(usage);
        self.bill_profile(units, &DemandProfile::of(usage, rates, self.output_weight))
    }

    /// Capacity tokens `units` serve in one metering slot (an hour).
    pub fn capacity_per_slot(&self, units: u64) -> f64 {
        units as f64 * self.tokens_per_minute_per_unit * 60.0
    }

    /// The bill of a period given its demand profile and the units provisioned.
    pub fn bill_profile(&self, units: u64, profile: &DemandProfile) -> Bill {
        let capacity_per_slot = self.capacity_per_slot(units);
        let mut served = 0.0;
        let mut spilled_usd = 0.0;
        for (&d, &list) in profile.demand.iter().zip(&profile.list_usd) {
            served += d.min(capacity_per_slot);
            if d > capacity_per_slot {
                spilled_usd += list * (d - capacity_per_slot) / d;
            }
        }
        let list_usd: f64 = profile.list_usd.iter().sum();
        self.bill_served(units, served, list_usd, spilled_usd)
    }

    /// The bill of a period with `units` provisioned that served `served` capacity tokens, of
    /// work worth `list_usd` at list prices, of which `spilled_usd` was beyond capacity.
    pub fn bill_served(&self, units: u64, served: f64, list_usd: f64, spilled_usd: f64) -> Bill {
        let capacity_total = self.capacity_per_slot(units) * self.billed_hours;
        let mut bill = Bill {
            total_usd: units as f64 * self.usd_per_unit_hour * self.billed_hours,
            list_usd,
            units: units as f64,
            utilisation: if capacity_total > 0.0 {
                (served / capacity_total).min(1.0)
            } else {
                0.0
            },
            ..Bill::default()
        };
        match self.spill {
            Spill::OnDemand => {
                bill.overage_usd = spilled_usd;
                bill.total_usd += spilled_usd;
            }
            Spill::Drop => {
                bill.throttled_list_usd = spilled_usd;
                bill.list_usd -= spilled_usd;
            }
        }
        bill
    }
}

/// A period's demand per metering slot: weighted tokens and their list-price cost.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DemandProfile {
    /// Capacity tokens demanded in each slot.
    pub demand: Vec<f64>,
    /// List-price USD of each slot's tasks.
    pub list_usd: Vec<f64>,
}

impl DemandProfile {
    /// The profile of a period with output tokens weighted by `output_weight`.
    pub fn of(usage: &PeriodUsage, rates: &RateCard, output_weight: f64) -> DemandProfile {
        let slots = usage.slots() as usize;
        let mut p = DemandProfile {
            demand: vec![0.0; slots],
            list_usd: vec![0.0; slots],
        };
        let costs = usage.list_costs(rates);
        let weighted = usage.weighted_tokens(output_weight);
        // Tasks come in start order: the current slot's sums stay in registers (the same
        // additions in the same order as adding into the arrays).
        let (mut current, mut demand, mut list) = (0usize, 0.0f64, 0.0f64);
        for i in 0..usage.task_count() {
            let slot = usage.task_slot(i) as usize;
            if slot != current {
                (p.demand[current], p.list_usd[current]) = (demand, list);
                current = slot;
                (demand, list) = (p.demand[slot], p.list_usd[slot]);
            }
            demand += weighted.get(i);
            list += costs.get(i);
        }
        if slots > 0 {
            (p.demand[current], p.list_usd[current]) = (demand, list);
        }
        p
    }

    /// The peak slot's demand in tokens per minute.
    pub fn peak_tokens_per_minute(&self) -> f64 {
        self.demand.iter().copied().fold(0.0, f64::max) / 60.0
    }
}

/// Capacity tokens of one task: prompt tokens count 1, output and reasoning `output_weight`.
pub(crate) fn weighted_tokens(tokens: &[u64], output_weight: f64) -> f64 {
    tokens
        .chunks_exact(TokenKind::COUNT)
        .map(|cell| {
            // In kind order (input, cache writes, cache read, output, reasoning), summed left
            // to right: the prompt kinds count 1, output and reasoning `output_weight`.
            let n = |kind: TokenKind| cell[kind.index()] as f64;
            let prompt = n(TokenKind::Input)
                + n(TokenKind::CacheWrite)
                + n(TokenKind::CacheWrite1h)
                + n(TokenKind::CacheRead);
            prompt + n(TokenKind::Output) * output_weight + n(TokenKind::Reasoning) * output_weight
        })
        .sum()
}

/// The period's peak hourly demand in tokens per minute: the largest over slots of the
/// weighted tokens of the tasks started in that slot, divided by 60.
pub fn peak_tokens_per_minute(usage: &PeriodUsage, output_weight: f64) -> f64 {
    let mut demand = vec![0.0f64; usage.slots() as usize];
    let weighted = usage.weighted_tokens(output_weight);
    for i in 0..usage.task_count() {
        demand[usage.task_slot(i) as usize] += weighted.get(i);
    }
    demand.into_iter().fold(0.0, f64::max) / 60.0
}
