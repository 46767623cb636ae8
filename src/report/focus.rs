//! `focus.csv`: the forecast in the FinOps Open Cost and Usage Specification (FOCUS) column
//! layout, so a forecast loads into FinOps tools beside actual bills.
//!
//! One row per month, task kind and statistic (`x_Statistic`: `mean`, `P50`, `P90`, `P99`): a
//! row's costs and quantities are that statistic of the kind's monthly bill and tokens over the
//! forecast trials. Percentile rows do not add up across kinds (a sum of P90s is not the P90 of
//! the sum); mean rows do. Dates are UTC ISO 8601 with `Z`, periods are [start, end) of the
//! calendar month; amounts are plain decimals (no symbols, no exponents).

use crate::forecast::outcome::Dist;
use crate::forecast::{Forecast, ForecastRun};

/// The columns, FOCUS names first, then the `x_` custom columns.
pub const FOCUS_COLUMNS: &[&str] = &[
    "BillingPeriodStart",
    "BillingPeriodEnd",
    "ChargePeriodStart",
    "ChargePeriodEnd",
    "ChargeCategory",
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
    let mut out = FOCUS_COLUMNS.join(",");
    out.push('\n');
    let trials = run.trials as usize;
    for m in 0..run.months {
        let period = model.start.plus(m as u32);
        let (start, end) = (period.start_iso(), period.plus(1).start_iso());
        for (k, task) in model.tasks.iter().enumerate() {
            let at = |series: &[f64], t: usize| series[(t * run.months + m) * run.kinds + k];
            let bills: Vec<f64> = (0..trials).map(|t| at(&run.bill_by_kind, t)).collect();
            let tokens: Vec<f64> = (0..trials).map(|t| at(&run.tokens_by_kind, t)).collect();
            let lists: Vec<f64> = (0..trials).map(|t| at(&run.list_by_kind, t)).collect();
            let (bill, tok, list) = (Dist::of(&bills), Dist::of(&tokens), Dist::of(&lists));
            for (label, key) in STATISTICS {
                let billed = bill.get(key).unwrap_or(f64::NAN);
                let consumed = tok.get(key).unwrap_or(f64::NAN);
                let list = list.get(key).unwrap_or(f64::NAN);
                let row = [
                    start.clone(),
                    end.clone(),
                    start.clone(),
                    end.clone(),
                    "Usage".into(),
                    quote(&format!(
                        "Forecast {label} of {} agent tasks, {period}",
                        task.name
                    )),
                    decimal(billed, 6),
                    decimal(billed, 6),
                    decimal(list, 6),
                    decimal(billed, 6),
                    currency.clone(),
                    decimal(consumed, 0),
                    "Tokens".into(),
                    decimal(consumed / 1e6, 6),
                    "1M Tokens".into(),
                    quote(&format!("Coding agent: {}", task.name)),
                    "AI and Machine Learning".into(),
                    quote(&provider),
                    quote(&publisher),
                    quote(&provider),
                    label.into(),
                    quote(&task.name),
                    quote(&f.name),
                    run.trials.to_string(),
                    run.seed.to_string(),
                ];
                out.push_str(&row.join(","));
                out.push('\n');
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
