//! `focus.csv`: the forecast in the column layout of the FinOps Open Cost and Usage
//! Specification (FOCUS) 1.2 (<https://focus.finops.org>; `CommitmentDiscountQuantity` and
//! `CommitmentDiscountUnit` since 1.1), so a forecast loads into FinOps tools beside actual
//! bills.
//!
//! Exported: every billing scheme of the forecast ([`FocusSchemes::All`], the default: the
//! basic form when it is the headline, then each `[billing.NAME]`), or the headline alone
//! ([`FocusSchemes::Headline`]), told apart by `x_BillingScheme`. Per month and scheme, rows
//! for the statistic `x_Statistic` = `mean` (the mean over every trial: these rows add up); for
//! the headline also `P50`, `P90`, `P99` (each row that statistic of its own amount over the
//! first `detail_trials` trials: percentile rows do not add up; not for provisioned compute,
//! whose per-trial utilisation is not kept). The split of a month is
//! [`super::focus_charges`]'s.
//!
//! Rows, following the spec's column rules:
//! - **usage billed** per task kind: `Usage`, `Usage-Based`, `PricingCategory` `Standard`,
//!   `BilledCost` = `EffectiveCost` = `ContractedCost` = the usage charge after discounts,
//!   `ListCost` its list value, tokens as `ConsumedQuantity`, priced per `1M Tokens`;
//! - **purchases** (seat fees, a seat subscription, a spend commitment, provisioned capacity):
//!   `Purchase`, `Recurring`, no consumed quantity (null, as FOCUS requires for non-usage
//!   rows). A commitment's purchase has `EffectiveCost` 0 (its cost is amortised into the rows
//!   below) and the `CommitmentDiscount*` columns, status null; other purchases have
//!   `EffectiveCost` = `BilledCost`;
//! - **covered usage** per task kind (commitment-based schemes): `Usage`, `PricingCategory`
//!   `Committed`, `BilledCost` 0, `EffectiveCost` its amortised share of the commitment,
//!   `ListCost` = `ContractedCost` its list value (the contracted price excludes commitment
//!   discounts), `CommitmentDiscountStatus` `Used`;
//! - **unused commitment**: `Usage`, `BilledCost` 0, `EffectiveCost` the unused amortised
//!   amount, `ListCost` = `ContractedCost` = `ConsumedQuantity` = 0 (FOCUS: 0 for unused
//!   rows), `CommitmentDiscountStatus` `Unused`.
//!
//! So per month and scheme, over the mean rows, Σ `EffectiveCost` = Σ `BilledCost` = the
//! scheme's mean bill (amortisation moves cost between rows). `CommitmentDiscountId` is
//! `<scenario>/<scheme>/<type>`; `CommitmentDiscountCategory` `Spend` (committed spend, unit the
//! billing currency) or `Usage` (provisioned capacity, unit `Unit-Hours`). Empty cells are
//! nulls. Dates are UTC ISO 8601 with `Z`, periods are [start, end) of the calendar month;
//! amounts are plain decimals (no symbols, no exponents).

use super::focus_charges::{
    CommitmentTerms, ExportedScheme, MonthSplit, exported_schemes, mean_split, percentile_split,
    trial_split,
};
use crate::forecast::{Forecast, ForecastRun};

/// The columns in order: FOCUS columns first, then the `x_` custom columns.
pub const FOCUS_COLUMNS: &[&str] = &[
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeClass",
    "ChargeFrequency",
    "ChargeDescription",
    "PricingCategory",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingQuantity",
    "PricingUnit",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountCategory",
    "CommitmentDiscountType",
    "CommitmentDiscountStatus",
    "CommitmentDiscountQuantity",
    "CommitmentDiscountUnit",
    "ServiceName",
    "ServiceCategory",
    "ProviderName",
    "PublisherName",
    "InvoiceIssuerName",
    "x_Statistic",
    "x_TaskKind",
    "x_BillingScheme",
    "x_Scenario",
    "x_Trials",
    "x_Seed",
];

/// Number of FOCUS (non-`x_`) columns at the start of [`FOCUS_COLUMNS`].
pub const FOCUS_SPEC_COLUMNS: usize = 30;

/// Which schemes `focus.csv` holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FocusSchemes {
    /// Every scheme of the forecast (the basic form if it is the headline, and every
    /// `[billing.NAME]`).
    #[default]
    All,
    /// The headline bill alone.
    Headline,
}

const PERCENTILES: [(&str, &str); 3] = [("P50", "p50"), ("P90", "p90"), ("P99", "p99")];

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A plain decimal: fixed notation, no symbol, no exponent.
pub fn decimal(v: f64, places: usize) -> String {
    let v = if v == 0.0 { 0.0 } else { v };
    format!("{v:.places$}")
}

/// A commitment's identity in one scheme.
struct CommitmentRef {
    id: String,
    name: String,
    terms: CommitmentTerms,
}

/// The commitment columns of a row: the commitment, its status (null on purchases) and
/// quantity.
type CommitmentCells<'a> = Option<(&'a CommitmentRef, Option<&'static str>, f64)>;

/// One row before formatting.
struct Row<'a> {
    category: &'static str,
    frequency: &'static str,
    description: String,
    pricing_category: &'static str,
    /// Billed, effective, list, contracted.
    costs: [f64; 4],
    consumed: Option<f64>,
    pricing: (f64, &'a str),
    commitment: CommitmentCells<'a>,
    service: String,
    kind: &'a str,
}

/// What every row of one scheme, month and statistic shares.
struct Context<'a> {
    start: String,
    end: String,
    currency: &'a str,
    provider: &'a str,
    publisher: &'a str,
    statistic: &'a str,
    scheme: &'a str,
    scenario: &'a str,
    trials: String,
    seed: String,
}

impl Context<'_> {
    fn write(&self, r: &Row, out: &mut String) {
        let (consumed_quantity, consumed_unit) = match r.consumed {
            Some(c) => (decimal(c, 0), "Tokens".to_string()),
            None => (String::new(), String::new()),
        };
        let (cid, cname, ccat, ctype, cstatus, cqty, cunit) = match r.commitment {
            Some((c, status, qty)) => (
                quote(&c.id),
                quote(&c.name),
                c.terms.category.to_string(),
                quote(c.terms.label),
                status.unwrap_or("").to_string(),
                decimal(qty, 6),
                quote(&c.terms.unit),
            ),
            None => Default::default(),
        };
        let [billed, effective, list, contracted] = r.costs;
        let cells = [
            self.start.clone(),
            self.end.clone(),
            self.start.clone(),
            self.end.clone(),
            r.category.into(),
            String::new(),
            r.frequency.into(),
            quote(&r.description),
            r.pricing_category.into(),
            decimal(billed, 6),
            decimal(effective, 6),
            decimal(list, 6),
            decimal(contracted, 6),
            quote(self.currency),
            consumed_quantity,
            consumed_unit,
            decimal(r.pricing.0, 6),
            quote(r.pricing.1),
            cid,
            cname,
            ccat,
            ctype,
            cstatus,
            cqty,
            cunit,
            quote(&r.service),
            "AI and Machine Learning".into(),
            quote(self.provider),
            quote(self.publisher),
            quote(self.provider),
            self.statistic.into(),
            quote(r.kind),
            quote(self.scheme),
            quote(self.scenario),
            self.trials.clone(),
            self.seed.clone(),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
}

/// The rows of one split.
fn split_rows<'a>(
    f: &'a Forecast,
    split: &'a MonthSplit,
    commitment: Option<&'a CommitmentRef>,
    label: &str,
    period: &str,
) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for (k, task) in f.model.tasks.iter().enumerate() {
        let service = format!("Coding agent: {}", task.name);
        if let Some(c) = commitment {
            let tokens = split.covered_tokens[k];
            rows.push(Row {
                category: "Usage",
                frequency: "Usage-Based",
                description: format!(
                    "Forecast {label} of {} agent tasks covered by {}, {period}",
                    task.name, c.name
                ),
                pricing_category: "Committed",
                costs: [
                    0.0,
                    split.covered[k],
                    split.covered_list[k],
                    split.covered_list[k],
                ],
                consumed: Some(tokens),
                pricing: (tokens / 1e6, "1M Tokens"),
                commitment: Some((c, Some("Used"), split.covered[k] * c.terms.quantity_per_usd)),
                service: service.clone(),
                kind: &task.name,
            });
        }
        let billed = split.billed[k];
        if commitment.is_some() && billed <= 0.0 && split.billed_tokens[k] <= 0.0 {
            continue;
        }
        let tokens = split.billed_tokens[k];
        let what = if commitment.is_some() {
            " beyond the commitment"
        } else {
            ""
        };
        rows.push(Row {
            category: "Usage",
            frequency: "Usage-Based",
            description: format!(
                "Forecast {label} of {} agent tasks{what}, {period}",
                task.name
            ),
            pricing_category: "Standard",
            costs: [billed, billed, split.billed_list[k].max(billed), billed],
            consumed: Some(tokens),
            pricing: (tokens / 1e6, "1M Tokens"),
            commitment: None,
            service,
            kind: &task.name,
        });
    }
    for p in &split.purchases {
        let c = commitment.filter(|_| p.commitment);
        rows.push(Row {
            category: "Purchase",
            frequency: "Recurring",
            description: format!("Forecast {label} of {}, {period}", p.description),
            pricing_category: "Standard",
            costs: [
                p.amount,
                if c.is_some() { 0.0 } else { p.amount },
                p.amount,
                p.amount,
            ],
            consumed: None,
            pricing: (p.quantity, p.unit),
            commitment: c.map(|c| (c, None, p.amount * c.terms.quantity_per_usd)),
            service: format!("Coding agents: {}", p.description),
            kind: "",
        });
    }
    // An unused part within rounding of nothing (the mean's identities in floating point) is
    // no row.
    let committed: f64 = split
        .purchases
        .iter()
        .filter(|p| p.commitment)
        .map(|p| p.amount)
        .sum();
    if let Some(c) = commitment
        && split.unused > 1e-9 * committed.max(1.0)
    {
        rows.push(Row {
            category: "Usage",
            frequency: "Usage-Based",
            description: format!("Forecast {label} of {} left unused, {period}", c.name),
            pricing_category: "Committed",
            costs: [0.0, split.unused, 0.0, 0.0],
            consumed: Some(0.0),
            pricing: (0.0, "1M Tokens"),
            commitment: Some((c, Some("Unused"), split.unused * c.terms.quantity_per_usd)),
            service: format!("Coding agents: {}", c.terms.label),
            kind: "",
        });
    }
    rows
}

/// `focus.csv` as text, with the schemes `which` selects.
pub fn focus_csv(f: &Forecast, run: &ForecastRun, which: FocusSchemes) -> String {
    let model = &f.model;
    let meta = &f.spec.forecast;
    let currency = meta.currency.clone().unwrap_or_else(|| "USD".into());
    let provider = meta
        .provider
        .clone()
        .unwrap_or_else(|| "unspecified".into());
    let publisher = meta.publisher.clone().unwrap_or_else(|| provider.clone());
    let schemes: Vec<ExportedScheme> = exported_schemes(model)
        .into_iter()
        .filter(|s| which == FocusSchemes::All || s.is_headline(model))
        .collect();
    let names: Vec<String> = schemes.iter().map(|s| s.name(model)).collect();
    let commitments: Vec<Option<CommitmentRef>> = schemes
        .iter()
        .zip(&names)
        .map(|(s, name)| {
            s.commitment(f).map(|terms| CommitmentRef {
                id: format!(
                    "{}/{name}/{}",
                    f.name,
                    terms.label.to_lowercase().replace(' ', "-")
                ),
                name: format!("{} ({name})", terms.label),
                terms,
            })
        })
        .collect();
    let mut out = FOCUS_COLUMNS.join(",");
    out.push('\n');
    let detail = run.detail_trials as usize;
    for m in 0..run.months {
        let period = model.start.plus(m as u32);
        let label_period = period.to_string();
        for ((s, name), commitment) in schemes.iter().zip(&names).zip(&commitments) {
            let ctx = |statistic| Context {
                start: period.start_iso(),
                end: period.plus(1).start_iso(),
                currency: &currency,
                provider: &provider,
                publisher: &publisher,
                statistic,
                scheme: name,
                scenario: &f.name,
                trials: run.trials.to_string(),
                seed: run.seed.to_string(),
            };
            let mean = mean_split(f, run, *s, m);
            let c = ctx("mean");
            for r in split_rows(f, &mean, commitment.as_ref(), "mean", &label_period) {
                c.write(&r, &mut out);
            }
            if !s.is_headline(model) {
                continue;
            }
            let per_trial: Option<Vec<MonthSplit>> =
                (0..detail).map(|t| trial_split(f, run, m, t)).collect();
            let Some(per_trial) = per_trial else { continue };
            for (label, key) in PERCENTILES {
                let split = percentile_split(&per_trial, key);
                let c = ctx(label);
                for r in split_rows(f, &split, commitment.as_ref(), label, &label_period) {
                    c.write(&r, &mut out);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_plain() {
        assert_eq!(decimal(1.5e-7, 6), "0.000000");
        assert_eq!(decimal(12345678901.25, 2), "12345678901.25");
        assert_eq!(decimal(-0.0, 2), "0.00");
    }
}
