//! Billing schemes: how a period's usage becomes a bill.
//!
//! A [`BillingScheme`] is applied to a [`PeriodUsage`] (every task of a period, with its seat
//! and metering slot) and a [`RateCard`] (list and batch rates), and returns a [`Bill`]. The
//! same usage can be billed under every scheme (common random numbers), so differences
//! between schemes are differences of prices, not of simulated work.
//!
//! | scheme | bill |
//! |---|---|
//! | [`TokensScheme`] | list prices (tiers included), a batch share at batch rates, a negotiated discount, optionally converted to consumption units per metering window with stated rounding (discount first, then conversion) |
//! | [`SeatsScheme`] | seats × fee, an allowance per seat, beyond it throttling (the work is not done) or overage, with an optional cap on overage spend |
//! | [`CommitmentScheme`] | a committed spend buying usage at a discount; beyond it on-demand list prices; unused commitment is lost |
//! | [`ComputeHoursScheme`] | provisioned units × $/unit-hour for every hour of the period, each unit serving a token rate; demand above capacity spills to on-demand list prices (or is not served) |
//!
//! Use: build a scheme (from a scenario's `[billing.NAME]` tables, or directly), then
//! `scheme.bill(&period, &rates)` for each simulated period. A compute-hours scheme sized to a
//! percentile of peak demand must first be fixed with [`ComputeHoursScheme::sized_to`] given
//! the peaks of many simulated periods ([`peak_tokens_per_minute`]).

mod commitment;
mod compute;
mod seats;
mod tokens;

use serde::Serialize;

use super::{PeriodUsage, RateCard};

pub use commitment::CommitmentScheme;
pub(crate) use compute::weighted_tokens;
pub use compute::{ComputeHoursScheme, DemandProfile, Sizing, Spill, peak_tokens_per_minute};
pub use seats::{Allowance, OverAllowance, SeatUsage, SeatsScheme};
pub use tokens::{ConsumptionUnits, Rounding, TokensScheme};

/// One way of billing a period's usage.
#[derive(Debug, Clone, PartialEq)]
pub enum BillingScheme {
    /// Per-token billing: list, batch share, discount, consumption units.
    Tokens(TokensScheme),
    /// Flat per-seat subscription with an allowance.
    Seats(SeatsScheme),
    /// Committed monthly spend with overage.
    Commitment(CommitmentScheme),
    /// Provisioned capacity or self-hosted GPUs, billed by the hour.
    ComputeHours(ComputeHoursScheme),
}

impl BillingScheme {
    /// The bill for one period's usage.
    pub fn bill(&self, usage: &PeriodUsage, rates: &RateCard) -> Bill {
        match self {
            BillingScheme::Tokens(s) => s.bill(usage, rates),
            BillingScheme::Seats(s) => s.bill(usage, rates),
            BillingScheme::Commitment(s) => s.bill(usage, rates),
            BillingScheme::ComputeHours(s) => s.bill(usage, rates),
        }
    }

    /// The scheme's kind as written in scenarios (`tokens`, `seats`, `commitment`,
    /// `compute_hours`).
    pub fn kind(&self) -> &'static str {
        match self {
            BillingScheme::Tokens(_) => "tokens",
            BillingScheme::Seats(_) => "seats",
            BillingScheme::Commitment(_) => "commitment",
            BillingScheme::ComputeHours(_) => "compute_hours",
        }
    }
}

/// What a period costs under one scheme, with what the scheme did to the work.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Bill {
    /// The amount due in USD.
    pub total_usd: f64,
    /// The list-price value of the work that was done (tiers included, no discounts).
    pub list_usd: f64,
    /// Tasks not done because an allowance or a cap was exhausted (seats with throttling).
    pub throttled_tasks: u64,
    /// The list-price value of the work not done.
    pub throttled_list_usd: f64,
    /// Committed spend paid for but not used (commitment).
    pub unused_commitment_usd: f64,
    /// Usage billed at on-demand list prices beyond an allowance, commitment or capacity.
    pub overage_usd: f64,
    /// Provisioned units (compute hours), or consumption units billed (tokens with units).
    pub units: f64,
    /// Share of provisioned capacity used, in [0, 1] (compute hours; 0 otherwise).
    pub utilisation: f64,
}

/// A failure to build a scheme from its parameters (the scenario layer turns these into
/// located diagnostics).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SchemeError {
    /// A parameter outside its range.
    #[error("{field}: expected {expected}, found {found}")]
    OutOfRange {
        /// The parameter's name.
        field: &'static str,
        /// What is accepted.
        expected: &'static str,
        /// What was given.
        found: String,
    },
}

/// Checks that `value` is finite and within `[lo, hi]`.
pub(crate) fn check_range(
    field: &'static str,
    value: f64,
    lo: f64,
    hi: f64,
    expected: &'static str,
) -> Result<f64, SchemeError> {
    if value.is_finite() && value >= lo && value <= hi {
        Ok(value)
    } else {
        Err(SchemeError::OutOfRange {
            field,
            expected,
            found: value.to_string(),
        })
    }
}
