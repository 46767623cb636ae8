//! Per-token billing: list prices (prompt-length tiers included), a share of the work sent
//! through the batch API at batch rates, a negotiated discount, and optionally conversion to
//! consumption units (e.g. 1 unit = $0.01) metered per window of slots with a stated rounding.
//!
//! Order of operations (as consumption-unit contracts state it): per metering window, the
//! dollar amount at list/batch prices is discounted first, then converted to units, then
//! rounded; the bill is units × the unit price.

use super::{Bill, PeriodUsage, RateCard, SchemeError, check_range};

/// How a metering window's fractional units are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Up to the next whole unit (the usual contract term).
    Up,
    /// To the nearest whole unit (halves up).
    Nearest,
    /// Down to a whole unit.
    Down,
    /// No rounding: fractional units are billed.
    None,
}

impl Rounding {
    /// Rounds `units`. Dollars divided by a decimal unit price carry binary rounding error
    /// (0.07 / 0.01 = 7.000000000000001), so values within 1e-9 relative of a whole number
    /// count as that whole number before rounding up or down.
    pub fn apply(self, units: f64) -> f64 {
        let whole = units.round();
        let snapped = if (units - whole).abs() <= 1e-9 * units.abs().max(1.0) {
            whole
        } else {
            units
        };
        match self {
            Rounding::Up => snapped.ceil(),
            Rounding::Nearest => (snapped + 0.5).floor(),
            Rounding::Down => snapped.floor(),
            Rounding::None => units,
        }
    }
}

/// Conversion of dollars to consumption units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConsumptionUnits {
    /// USD per unit (e.g. 0.01).
    pub usd_per_unit: f64,
    /// Metering window in slots (hours): units are counted and rounded per window.
    pub metering_slots: u32,
    /// How each window's units are rounded.
    pub rounding: Rounding,
}

/// Per-token billing.
#[derive(Debug, Clone, PartialEq)]
pub struct TokensScheme {
    /// Negotiated discount off list (and batch) prices, in [0, 1).
    pub discount: f64,
    /// Share of every task's tokens billed at batch rates, in [0, 1].
    pub batch_share: f64,
    /// Conversion to consumption units, if the contract bills in units.
    pub units: Option<ConsumptionUnits>,
}

impl TokensScheme {
    /// A checked scheme.
    pub fn new(
        discount: f64,
        batch_share: f64,
        units: Option<ConsumptionUnits>,
    ) -> Result<Self, SchemeError> {
        check_range(
            "discount",
            discount,
            0.0,
            0.999_999,
            "a fraction from 0 to below 1",
        )?;
        check_range(
            "batch_share",
            batch_share,
            0.0,
            1.0,
            "a fraction from 0 to 1",
        )?;
        if let Some(u) = units {
            check_range(
                "usd_per_unit",
                u.usd_per_unit,
                1e-12,
                1e12,
                "a positive price",
            )?;
            if u.metering_slots == 0 {
                return Err(SchemeError::OutOfRange {
                    field: "metering_hours",
                    expected: "at least 1 hour",
                    found: "0".into(),
                });
            }
        }
        Ok(TokensScheme {
            discount,
            batch_share,
            units,
        })
    }

    /// Plain list prices: no discount, no batch, no units.
    pub fn list() -> Self {
        TokensScheme {
            discount: 0.0,
            batch_share: 0.0,
            units: None,
        }
    }

    /// The bill of a period.
    pub fn bill(&self, usage: &PeriodUsage, rates: &RateCard) -> Bill {
        let windows = match self.units {
            Some(u) => usage.slots().div_ceil(u.metering_slots) as usize,
            None => 1,
        };
        let mut window_usd = vec![0.0; windows];
        let mut list_usd = 0.0;
        let costs = usage.list_costs(rates);
        // The metering window of each slot (a table, not a division per task).
        let window_of: Vec<u32> = match self.units {
            Some(u) => (0..usage.slots()).map(|s| s / u.metering_slots).collect(),
            None => vec![0; usage.slots() as usize],
        };
        let (mut current, mut sum) = (0usize, 0.0f64);
        for i in 0..usage.task_count() {
            let list = costs.get(i);
            list_usd += list;
            let batch = if self.batch_share > 0.0 {
                rates.batch_cost(usage.task_tokens(i))
            } else {
                list
            };
            let window = window_of[usage.task_slot(i) as usize] as usize;
            // Tasks come in start order: keep the current window's sum in a register (the
            // same additions in the same order as adding into the array).
            if window != current {
                window_usd[current] = sum;
                current = window;
                sum = window_usd[window];
            }
            sum += self.priced_usd(list, batch);
        }
        window_usd[current] = sum;
        self.bill_windows(list_usd, &window_usd)
    }

    /// The undiscounted price of work worth `list` USD at list rates and `batch` USD at batch
    /// rates: the batch share at batch rates, the rest at list.
    pub fn priced_usd(&self, list: f64, batch: f64) -> f64 {
        if self.batch_share > 0.0 {
            (1.0 - self.batch_share) * list + self.batch_share * batch
        } else {
            list
        }
    }

    /// The bill of a period whose work is worth `list_usd` at list prices and
    /// `window_priced_usd` ([`TokensScheme::priced_usd`], before the discount) in each
    /// metering window (one window when the scheme has no units). Forecasts use this on
    /// aggregated months.
    pub fn bill_windows(&self, list_usd: f64, window_priced_usd: &[f64]) -> Bill {
        let keep = 1.0 - self.discount;
        let (total_usd, units) = match self.units {
            None => (window_priced_usd.iter().sum::<f64>() * keep, 0.0),
            Some(u) => {
                let units: f64 = window_priced_usd
                    .iter()
                    .map(|usd| u.rounding.apply(usd * keep / u.usd_per_unit))
                    .sum();
                (units * u.usd_per_unit, units)
            }
        };
        Bill {
            total_usd,
            list_usd,
            units,
            ..Bill::default()
        }
    }
}
