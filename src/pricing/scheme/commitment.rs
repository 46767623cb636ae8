//! Committed spend: the customer commits to `commit_usd` per period and in exchange pays
//! discounted prices; the commitment buys `commit_usd / (1 - discount)` of list-price usage.
//! Usage beyond that is billed at on-demand list prices; a commitment not used up is still
//! paid (the shortfall is lost, reported as [`Bill::unused_commitment_usd`]).
//!
//! With list-price usage `L`, commitment `C` and discount `d`:
//! `bill = C + max(0, L - C / (1 - d))`, `unused = max(0, C - L (1 - d))`.

use super::{Bill, PeriodUsage, RateCard, SchemeError, check_range};

/// A committed-spend contract.
#[derive(Debug, Clone, PartialEq)]
pub struct CommitmentScheme {
    /// USD committed per period.
    pub commit_usd: f64,
    /// Discount off list prices on usage covered by the commitment, in [0, 1).
    pub discount: f64,
}

impl CommitmentScheme {
    /// A checked scheme.
    pub fn new(commit_usd: f64, discount: f64) -> Result<Self, SchemeError> {
        check_range("commit_usd", commit_usd, 0.0, 1e15, "a non-negative amount")?;
        check_range(
            "discount",
            discount,
            0.0,
            0.999_999,
            "a fraction from 0 to below 1",
        )?;
        Ok(CommitmentScheme {
            commit_usd,
            discount,
        })
    }

    /// The bill of a period.
    pub fn bill(&self, usage: &PeriodUsage, rates: &RateCard) -> Bill {
        let costs = usage.list_costs(rates);
        let list: f64 = (0..usage.task_count()).map(|i| costs.get(i)).sum();
        self.bill_list_cost(list)
    }

    /// The bill of a period whose usage is worth `list` USD at list prices (the scheme depends
    /// on usage only through it; forecasts use this on aggregated months).
    pub fn bill_list_cost(&self, list: f64) -> Bill {
        let covered = self.commit_usd / (1.0 - self.discount);
        let overage = (list - covered).max(0.0);
        Bill {
            total_usd: self.commit_usd + overage,
            list_usd: list,
            unused_commitment_usd: (self.commit_usd - list * (1.0 - self.discount)).max(0.0),
            overage_usd: overage,
            ..Bill::default()
        }
    }
}
