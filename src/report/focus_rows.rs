//! The rows of one month of a FOCUS file, before formatting: usage per (task kind, model,
//! token kind) ([`super::focus_skus`]), fixed charges, covered and unused commitment (see
//! [`super::focus`] for the columns and the spec's rules), and the file's rounding.
//!
//! **Rounding that adds up.** Amounts are written with six decimals. Each money column of a
//! month is rounded by the largest-remainder method (Hamilton's apportionment) in millionths:
//! every row gets the floor of its amount, and the millionths the floors lose, the rounded sum
//! of the raw amounts minus the sum of the floors, go one each to the rows with the largest
//! remainders (ties to the earlier row). So the written rows of a month add up to the month's
//! amount rounded to six decimals, exactly, however many SKU rows share it.

use super::focus_charges::{CommitmentTerms, MonthSplit};
use super::focus_skus::Sku;
use crate::forecast::Forecast;

/// `PricingUnit` of token rows: rates are per million tokens (FOCUS unit format
/// `<quantity> <units>`).
pub const TOKEN_UNIT: &str = "1000000 Tokens";

/// A commitment's identity in one scheme.
pub(super) struct CommitmentRef {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) terms: CommitmentTerms,
}

/// The commitment columns of a row: the commitment, its status (null on purchases) and
/// quantity.
pub(super) type CommitmentCells<'a> = Option<(&'a CommitmentRef, Option<&'static str>, f64)>;

/// The SKU columns of a row.
pub(super) enum RowSku<'a> {
    /// A model and token kind.
    Tokens(&'a Sku),
    /// A fixed charge or a commitment: `SkuId` = `SkuPriceId`, `SkuMeter`, no details.
    Fixed(String, &'static str),
}

impl RowSku<'_> {
    /// The SKU of a fixed charge named `what` (`Seat fees` → `seat-fees`).
    fn fixed(what: &'static str) -> RowSku<'static> {
        RowSku::Fixed(what.to_lowercase().replace(' ', "-"), what)
    }
}

/// One row before formatting.
pub(super) struct Row<'a> {
    pub(super) category: &'static str,
    pub(super) frequency: &'static str,
    pub(super) description: String,
    pub(super) pricing_category: &'static str,
    /// Billed, effective, list, contracted.
    pub(super) costs: [f64; 4],
    /// The same in millionths, as written ([`round_month`]).
    pub(super) micros: [i64; 4],
    /// Consumed quantity and unit (null on purchases and unused commitment).
    pub(super) consumed: Option<(f64, &'static str)>,
    pub(super) pricing: (f64, &'a str),
    pub(super) commitment: CommitmentCells<'a>,
    pub(super) sku: RowSku<'a>,
    pub(super) kind: &'a str,
}

/// The rows of one split; `skus[k]` are task kind `k`'s SKUs.
pub(super) fn split_rows<'a>(
    f: &'a Forecast,
    split: &MonthSplit,
    skus: &'a [Vec<Sku>],
    commitment: Option<&'a CommitmentRef>,
    label: &str,
    period: &str,
) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    let usage = |description: String,
                 pricing_category: &'static str,
                 costs: [f64; 4],
                 tokens: f64,
                 commitment: CommitmentCells<'a>,
                 sku: &'a Sku,
                 kind: &'a str| Row {
        category: "Usage",
        frequency: "Usage-Based",
        description,
        pricing_category,
        costs,
        micros: [0; 4],
        consumed: Some((tokens, "Tokens")),
        pricing: (tokens / 1e6, TOKEN_UNIT),
        commitment,
        sku: RowSku::Tokens(sku),
        kind,
    };
    for (k, task) in f.model.tasks.iter().enumerate() {
        if let Some(c) = commitment {
            for s in &skus[k] {
                let (cost, list) = (split.covered[k] * s.cost_share, split.covered_list[k]);
                rows.push(usage(
                    format!(
                        "Forecast {label} of {} agent tasks on {} covered by {}, {period}",
                        task.name, s.id, c.name
                    ),
                    "Committed",
                    [0.0, cost, list * s.cost_share, list * s.cost_share],
                    split.covered_tokens[k] * s.token_share,
                    Some((c, Some("Used"), cost * c.terms.quantity_per_usd)),
                    s,
                    &task.name,
                ));
            }
        }
        let billed = split.billed[k];
        if commitment.is_some() && billed <= 0.0 && split.billed_tokens[k] <= 0.0 {
            continue;
        }
        let what = if commitment.is_some() {
            " beyond the commitment"
        } else {
            ""
        };
        let list = split.billed_list[k].max(billed);
        for s in &skus[k] {
            let (b, l) = (billed * s.cost_share, list * s.cost_share);
            rows.push(usage(
                format!(
                    "Forecast {label} of {} agent tasks on {}{what}, {period}",
                    task.name, s.id
                ),
                "Standard",
                [b, b, l, b],
                split.billed_tokens[k] * s.token_share,
                None,
                s,
                &task.name,
            ));
        }
    }
    for p in &split.purchases {
        let c = commitment.filter(|_| p.commitment);
        let description = format!("Forecast {label} of {}, {period}", p.description);
        if let Some(c) = c {
            rows.push(Row {
                category: "Purchase",
                frequency: "Recurring",
                description,
                pricing_category: "Standard",
                costs: [p.amount, 0.0, p.amount, p.amount],
                micros: [0; 4],
                consumed: None,
                pricing: (p.quantity, p.unit),
                commitment: Some((c, None, p.amount * c.terms.quantity_per_usd)),
                sku: RowSku::fixed(p.description),
                kind: "",
            });
        } else {
            // A fee for the month's seats, used in that month: usage, not a purchase of
            // future charges.
            rows.push(Row {
                category: "Usage",
                frequency: "Recurring",
                description,
                pricing_category: "Standard",
                costs: [p.amount; 4],
                micros: [0; 4],
                consumed: Some((p.quantity, p.unit)),
                pricing: (p.quantity, p.unit),
                commitment: None,
                sku: RowSku::fixed(p.description),
                kind: "",
            });
        }
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
            micros: [0; 4],
            // FOCUS: ConsumedQuantity is null on unused commitment.
            consumed: None,
            pricing: (0.0, TOKEN_UNIT),
            commitment: Some((c, Some("Unused"), split.unused * c.terms.quantity_per_usd)),
            sku: RowSku::fixed(c.terms.label),
            kind: "",
        });
    }
    rows
}

/// Millionths of `v` rounded half away from zero (negative amounts, which no row has, are 0).
fn to_micros(v: f64) -> i64 {
    (v.max(0.0) * 1e6).round() as i64
}

/// `values` (each ≥ 0) in millionths adding up to their rounded sum: largest remainders.
pub fn apportion_micros(values: &[f64]) -> Vec<i64> {
    let scaled: Vec<f64> = values.iter().map(|v| v.max(0.0) * 1e6).collect();
    let mut out: Vec<i64> = scaled.iter().map(|v| v.floor() as i64).collect();
    let target = to_micros(values.iter().map(|v| v.max(0.0)).sum());
    let missing = target - out.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..values.len()).collect();
    // Largest remainder first; ties to the earlier row (a stable sort).
    order.sort_by(|&a, &b| {
        let (ra, rb) = (scaled[a] - scaled[a].floor(), scaled[b] - scaled[b].floor());
        rb.total_cmp(&ra)
    });
    for &i in order.iter().take(missing.max(0) as usize) {
        out[i] += 1;
    }
    out
}

/// Rounds a month's rows: BilledCost and EffectiveCost by largest remainders (their sums are
/// the month's bill); ListCost and ContractedCost row by row, kept equal to a rounded column
/// of the same amount (contracted = billed on billed usage, list = contracted on covered
/// usage) and never below ContractedCost.
pub(super) fn round_month(rows: &mut [Row]) {
    for col in 0..2 {
        let values: Vec<f64> = rows.iter().map(|r| r.costs[col]).collect();
        for (r, m) in rows.iter_mut().zip(apportion_micros(&values)) {
            r.micros[col] = m;
        }
    }
    for r in rows.iter_mut() {
        let [billed, effective, list, contracted] = r.costs;
        r.micros[3] = match contracted {
            c if c == billed => r.micros[0],
            c if c == effective => r.micros[1],
            c => to_micros(c),
        };
        r.micros[2] = match list {
            l if l == contracted => r.micros[3],
            l => to_micros(l).max(r.micros[3]),
        };
    }
}

/// Millionths as a plain decimal with six places.
pub fn micros_text(m: i64) -> String {
    let m = m.max(0);
    format!("{}.{:06}", m / 1_000_000, m % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainders_add_up_to_the_rounded_sum() {
        // 1.4 millionths three times: each rounds to 1, the sum 4.2 to 4; the earliest of the
        // tied remainders gets the missing millionth.
        assert_eq!(apportion_micros(&[0.0000014; 3]), vec![2, 1, 1]);
        // Remainders .4, .4 and .3: 0.6 + .. rounds the sum up by one, to the first .4.
        assert_eq!(
            apportion_micros(&[0.0000024, 0.0000014, 0.0000013]),
            vec![3, 1, 1]
        );
        assert_eq!(micros_text(1_234_567), "1.234567");
        assert_eq!(micros_text(5), "0.000005");
    }
}
