//! `focus.csv`: the forecast in the FinOps Open Cost and Usage Specification (FOCUS) column
//! layout, so a forecast loads into FinOps tools beside actual bills.
//!
//! The headline bill (`[billing] headline`) is exported. Per month and statistic
//! (`x_Statistic`: `mean`, `P50`, `P90`, `P99`), one `Usage` row per task kind (its usage
//! charges, `ChargeFrequency` `Usage-Based`, with tokens as the consumed quantity) and one
//! `Purchase` row per fixed charge of the month (seat fees, a commitment, reserved compute:
//! `Recurring`, no consumed quantity, as FOCUS requires for non-usage rows): a row's costs and
//! quantities are that statistic of the charge over the forecast trials. Percentile rows do not
//! add up (a sum of P90s is not the P90 of the sum); mean rows add up to the mean bill. Purchase
//! rows are not amortised into usage rows (`EffectiveCost` = `BilledCost`). Dates are UTC ISO
//! 8601 with `Z`, periods are [start, end) of the calendar month; amounts are plain decimals (no
//! symbols, no exponents). Means use every trial; percentiles of the per-kind figures and
//! fixed charges use the first `DETAIL_TRIALS` trials (`forecast::simulate`).

use crate::forecast::model::Headline;
use crate::forecast::outcome::Dist;
use crate::forecast::simulate::Detail;
use crate::forecast::{Forecast, ForecastRun};
use crate::pricing::scheme::BillingScheme;
use crate::stats::Moments;

/// The columns, FOCUS names first, then the `x_` custom columns.
pub const FOCUS_COLUMNS: &[&str] = &[
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
    "ChargeFrequency",
    "ChargeDescription",
    "BilledCost",
    "EffectiveCost",
    "ListCost",
    "ContractedCost",
    "BillingCurrency",
    "ConsumedQuantity",
    "ConsumedUnit",
    "PricingQuantity",
    "PricingUnit",
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

const STATISTICS: [(&str, &str); 4] = [
    ("mean", "mean"),
    ("P50", "p50"),
    ("P90", "p90"),
    ("P99", "p99"),
];

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

/// A fixed (`Purchase`) charge of the headline bill.
struct FixedCharge {
    /// What it is.
    description: &'static str,
    /// Its pricing unit.
    unit: &'static str,
    /// Per trial (the first `detail_trials`) and month, the amount; and the quantity per
    /// amount (e.g. 1 / seat fee).
    amount: Vec<f64>,
    per_amount: f64,
    /// Per month, the amount's moments over all trials.
    moments: Vec<Moments>,
}

/// The headline bill's fixed charges, each per trial and month.
fn fixed_charges(f: &Forecast, run: &ForecastRun) -> Vec<FixedCharge> {
    let model = &f.model;
    match model.headline {
        Headline::Basic => {
            let commit = model.commitment.as_ref().map_or(0.0, |c| c.commit_usd);
            let mut out = Vec::new();
            if model.seat_fee > 0.0 {
                out.push(FixedCharge {
                    description: "Seat fees",
                    unit: "Seats",
                    amount: run.seats.iter().map(|s| s * model.seat_fee).collect(),
                    per_amount: 1.0 / model.seat_fee,
                    moments: run
                        .month_moments
                        .iter()
                        .map(|mm| {
                            let s = &mm[Detail::Seats as usize];
                            Moments {
                                mean: s.mean * model.seat_fee,
                                m2: s.m2 * model.seat_fee * model.seat_fee,
                                min: s.min * model.seat_fee,
                                max: s.max * model.seat_fee,
                                ..*s
                            }
                        })
                        .collect(),
                });
            }
            if commit > 0.0 {
                out.push(FixedCharge {
                    description: "Committed spend",
                    unit: "Commitments",
                    amount: vec![commit; run.seats.len()],
                    per_amount: 1.0 / commit,
                    moments: vec![
                        Moments {
                            n: run.trials,
                            mean: commit,
                            m2: 0.0,
                            min: commit,
                            max: commit,
                        };
                        run.months
                    ],
                });
            }
            out
        }
        Headline::Scheme(i) => {
            let (description, unit, per_amount) = match &model.schemes[i].scheme {
                BillingScheme::Tokens(_) => return Vec::new(),
                BillingScheme::Seats(s) => ("Seat subscription", "Seats", 1.0 / s.usd_per_seat),
                BillingScheme::Commitment(c) => {
                    ("Committed spend", "Commitments", 1.0 / c.commit_usd)
                }
                BillingScheme::ComputeHours(c) => (
                    "Provisioned capacity",
                    "Unit-Hours",
                    1.0 / c.usd_per_unit_hour,
                ),
            };
            vec![FixedCharge {
                description,
                unit,
                amount: run.fixed_charges.clone(),
                per_amount: if per_amount.is_finite() {
                    per_amount
                } else {
                    0.0
                },
                moments: run
                    .month_moments
                    .iter()
                    .map(|mm| mm[Detail::Fixed as usize])
                    .collect(),
            }]
        }
    }
}

/// `focus.csv` as text.
pub fn focus_csv(f: &Forecast, run: &ForecastRun) -> String {
    let model = &f.model;
    let meta = &f.spec.forecast;
    let currency = meta.currency.clone().unwrap_or_else(|| "USD".into());
    let provider = meta
        .provider
        .clone()
        .unwrap_or_else(|| "unspecified".into());
    let publisher = meta.publisher.clone().unwrap_or_else(|| provider.clone());
    let scheme = match model.headline {
        Headline::Basic => "basic".to_string(),
        Headline::Scheme(i) => model.schemes[i].name.clone(),
    };
    let fixed = fixed_charges(f, run);
    let mut out = FOCUS_COLUMNS.join(",");
    out.push('\n');
    let trials = run.detail_trials as usize;
    for m in 0..run.months {
        let period = model.start.plus(m as u32);
        let (start, end) = (period.start_iso(), period.plus(1).start_iso());
        let mut row = |category: &str,
                       frequency: &str,
                       description: String,
                       costs: [f64; 2],
                       consumed: Option<f64>,
                       pricing: (f64, &str),
                       service: String,
                       label: &str,
                       kind: &str| {
            let [billed, list] = costs;
            let (consumed_quantity, consumed_unit) = match consumed {
                Some(c) => (decimal(c, 0), "Tokens".to_string()),
                None => (String::new(), String::new()),
            };
            let cells = [
                start.clone(),
                end.clone(),
                start.clone(),
                end.clone(),
                category.into(),
                frequency.into(),
                quote(&description),
                decimal(billed, 6),
                decimal(billed, 6),
                decimal(list, 6),
                decimal(billed, 6),
                currency.clone(),
                consumed_quantity,
                consumed_unit,
                decimal(pricing.0, 6),
                pricing.1.into(),
                quote(&service),
                "AI and Machine Learning".into(),
                quote(&provider),
                quote(&publisher),
                quote(&provider),
                label.into(),
                quote(kind),
                quote(&scheme),
                quote(&f.name),
                run.trials.to_string(),
                run.seed.to_string(),
            ];
            out.push_str(&cells.join(","));
            out.push('\n');
        };
        for (k, task) in model.tasks.iter().enumerate() {
            let at = |series: &[f64], t: usize| series[(t * run.months + m) * run.kinds + k];
            let bills: Vec<f64> = (0..trials).map(|t| at(&run.bill_by_kind, t)).collect();
            let tokens: Vec<f64> = (0..trials).map(|t| at(&run.tokens_by_kind, t)).collect();
            let lists: Vec<f64> = (0..trials).map(|t| at(&run.list_by_kind, t)).collect();
            let km = &run.kind_moments[m * run.kinds + k];
            let (bill, tok, list) = (
                Dist::with_moments(&bills, &km[0]),
                Dist::with_moments(&tokens, &km[1]),
                Dist::with_moments(&lists, &km[2]),
            );
            for (label, key) in STATISTICS {
                let billed = bill.get(key).unwrap_or(f64::NAN);
                let consumed = tok.get(key).unwrap_or(f64::NAN);
                let list = list.get(key).unwrap_or(f64::NAN);
                row(
                    "Usage",
                    "Usage-Based",
                    format!("Forecast {label} of {} agent tasks, {period}", task.name),
                    [billed, list],
                    Some(consumed),
                    (consumed / 1e6, "1M Tokens"),
                    format!("Coding agent: {}", task.name),
                    label,
                    &task.name,
                );
            }
        }
        for charge in &fixed {
            let values: Vec<f64> = (0..trials)
                .map(|t| charge.amount[t * run.months + m])
                .collect();
            let d = Dist::with_moments(&values, &charge.moments[m]);
            if d.max <= 0.0 {
                continue;
            }
            for (label, key) in STATISTICS {
                let billed = d.get(key).unwrap_or(f64::NAN);
                row(
                    "Purchase",
                    "Recurring",
                    format!("Forecast {label} of {}, {period}", charge.description),
                    [billed, billed],
                    None,
                    (billed * charge.per_amount, charge.unit),
                    format!("Coding agents: {}", charge.description),
                    label,
                    "",
                );
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
