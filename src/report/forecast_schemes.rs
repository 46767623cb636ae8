//! A forecast's `[billing.NAME]` schemes side by side: `schemes.csv` (one row per month and
//! scheme) and a table of monthly mean and P90 bills per scheme.

use super::focus::decimal;
use super::forecast::money;
use crate::forecast::ForecastSummary;

/// The columns of `schemes.csv`.
pub const SCHEME_COLUMNS: &[&str] = &[
    "month",
    "period",
    "scheme",
    "kind",
    "headline",
    "bill_mean",
    "bill_se",
    "bill_p5",
    "bill_p50",
    "bill_p90",
    "bill_p95",
    "bill_p99",
    "fixed_mean",
    "overage_mean",
    "unused_commitment_mean",
    "not_done_list_mean",
    "units_mean",
    "utilisation_mean",
    "provisioned_units",
    "difference_vs_headline_mean",
    "difference_vs_headline_se",
    "p_cheaper_than_headline",
    "p_cheaper_than_headline_se",
];

/// `schemes.csv` as text (a header only when there are no schemes).
pub fn schemes_csv(s: &ForecastSummary) -> String {
    let mut out = SCHEME_COLUMNS.join(",");
    out.push('\n');
    for (m, month) in s.monthly.iter().enumerate() {
        for sc in &s.schemes {
            let x = &sc.monthly[m];
            let row = [
                x.month.to_string(),
                month.period.clone(),
                sc.name.clone(),
                sc.kind.to_string(),
                sc.headline.to_string(),
                decimal(x.bill.mean, 2),
                decimal(x.bill.se, 2),
                decimal(x.bill.p5, 2),
                decimal(x.bill.p50, 2),
                decimal(x.bill.p90, 2),
                decimal(x.bill.p95, 2),
                decimal(x.bill.p99, 2),
                decimal(x.fixed_mean, 2),
                decimal(x.overage_mean, 2),
                decimal(x.unused_commitment_mean, 2),
                decimal(x.not_done_list_mean, 2),
                decimal(x.units_mean, 2),
                decimal(x.utilisation_mean, 4),
                x.provisioned_units.map_or(String::new(), |u| u.to_string()),
            ];
            let versus = sc.versus_headline.as_ref().map(|v| v.monthly[m]);
            let versus = [
                versus.map_or(String::new(), |v| decimal(v.mean_difference, 2)),
                versus.map_or(String::new(), |v| decimal(v.se, 2)),
                versus.map_or(String::new(), |v| decimal(v.p_cheaper.p, 4)),
                versus.map_or(String::new(), |v| decimal(v.p_cheaper.se, 4)),
            ];
            let row: Vec<String> = row.into_iter().chain(versus).collect();
            out.push_str(&row.join(","));
            out.push('\n');
        }
    }
    out
}

/// The schemes as a table: per month each scheme's mean and P90 bill, then the totals.
pub fn schemes_table(s: &ForecastSummary) -> String {
    if s.schemes.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\n  billing schemes, same simulated months (headline: {}); mean / P90 per month\n  {:<8}",
        s.headline, "month"
    );
    for sc in &s.schemes {
        out.push_str(&format!(" {:>25}", format!("{} ({})", sc.name, sc.kind)));
    }
    out.push('\n');
    for (m, month) in s.monthly.iter().enumerate() {
        out.push_str(&format!("  {:<8}", month.period));
        for sc in &s.schemes {
            let b = &sc.monthly[m].bill;
            out.push_str(&format!(
                " {:>25}",
                format!("{} / {}", money(b.mean), money(b.p90))
            ));
        }
        out.push('\n');
    }
    out.push_str(&format!("  {:<8}", "total"));
    for sc in &s.schemes {
        out.push_str(&format!(
            " {:>25}",
            format!("{} / {}", money(sc.total.mean), money(sc.total.p90))
        ));
    }
    out.push_str(
        "\n  (schemes.csv: every percentile, fixed charges, overage, unused commitment, work not \
         done, units and utilisation)\n",
    );
    out
}
