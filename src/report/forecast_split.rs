//! The bill by model and by task kind: `monthly_by_model.csv`, `monthly_by_task.csv` and the
//! tables on stdout, from the summary's `bill_by_model`, `bill_by_task` and `fixed_charges`.

use super::forecast::money;
use crate::engine::NamedMap;
use crate::forecast::ForecastSummary;
use crate::forecast::outcome::{Dist, MonthSummary, YearSummary};

/// Name of the fixed-charges part in the CSV files and tables.
pub const FIXED_PART: &str = "fixed charges";

/// Which split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitBy {
    /// By model.
    Model,
    /// By task kind.
    Task,
}

impl SplitBy {
    /// The CSV column naming the part, and the file name.
    pub fn names(self) -> (&'static str, &'static str) {
        match self {
            SplitBy::Model => ("model", "monthly_by_model.csv"),
            SplitBy::Task => ("task", "monthly_by_task.csv"),
        }
    }
}

/// Whether the headline bill has fixed charges in any month (a part of its own then).
pub fn has_fixed_charges(s: &ForecastSummary) -> bool {
    s.monthly.iter().any(|m| m.fixed_charges.max > 0.0)
}

fn parts_of<'a>(
    by: SplitBy,
    model: &'a NamedMap<Dist>,
    task: &'a NamedMap<Dist>,
) -> &'a NamedMap<Dist> {
    match by {
        SplitBy::Model => model,
        SplitBy::Task => task,
    }
}

impl SplitBy {
    /// A month's bill by model or by task kind.
    pub fn month(self, m: &MonthSummary) -> &NamedMap<Dist> {
        parts_of(self, &m.bill_by_model, &m.bill_by_task)
    }

    /// A year's bill by model or by task kind.
    pub fn year(self, y: &YearSummary) -> &NamedMap<Dist> {
        parts_of(self, &y.bill_by_model, &y.bill_by_task)
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// `monthly_by_model.csv` or `monthly_by_task.csv`: one row per month and part (the fixed
/// charges a part of their own when there are any), so that each month's `bill_mean` column
/// adds up to `monthly.csv`'s `bill_mean`; `share_of_bill` is the part's mean over the month's
/// mean bill.
pub fn split_csv(s: &ForecastSummary, by: SplitBy) -> String {
    let (column, _) = by.names();
    let mut out = format!(
        "month,period,{column},bill_mean,bill_se,bill_p5,bill_p50,bill_p90,bill_p95,bill_p99,share_of_bill\n"
    );
    let fixed = has_fixed_charges(s);
    for m in &s.monthly {
        let parts = by.month(m);
        let rows = parts
            .0
            .iter()
            .map(|(n, d)| (n.as_str(), d))
            .chain(fixed.then_some((FIXED_PART, &m.fixed_charges)));
        for (name, d) in rows {
            let share = if m.bill.mean > 0.0 {
                format!("{:.6}", d.mean / m.bill.mean)
            } else {
                String::new()
            };
            out.push_str(&format!(
                "{},{},{},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{share}\n",
                m.month,
                m.period,
                csv_field(name),
                d.mean,
                d.se,
                d.p5,
                d.p50,
                d.p90,
                d.p95,
                d.p99
            ));
        }
    }
    out
}

/// The split as tables for people: each month's mean per part, then each year's mean, P50,
/// P90, P99 and share per part.
pub fn split_table(s: &ForecastSummary, by: SplitBy) -> String {
    let fixed = has_fixed_charges(s);
    let Some(first) = s.monthly.first() else {
        return String::new();
    };
    let mut names: Vec<&str> = by.month(first).0.iter().map(|(n, _)| n.as_str()).collect();
    if fixed {
        names.push(FIXED_PART);
    }
    let width = names
        .iter()
        .map(|n| n.chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    let what = match by {
        SplitBy::Model => "model",
        SplitBy::Task => "task kind",
    };
    let mut out = format!(
        "\n  bill by {what}, mean per month (percentiles: {}; the parts add up to the bill)\n",
        by.names().1
    );
    out.push_str(&format!("  {:<8}", "month"));
    for n in &names {
        out.push_str(&format!(" {n:>width$}"));
    }
    out.push_str(&format!(" {:>14}\n", "bill"));
    for m in &s.monthly {
        out.push_str(&format!("  {:<8}", m.period));
        let parts = by.month(m);
        for (_, d) in &parts.0 {
            out.push_str(&format!(" {:>width$}", money(d.mean)));
        }
        if fixed {
            out.push_str(&format!(" {:>width$}", money(m.fixed_charges.mean)));
        }
        out.push_str(&format!(" {:>14}\n", money(m.bill.mean)));
    }
    for y in &s.years {
        out.push_str(&format!(
            "  {} ({} to {}), by {what}\n    {:<width$} {:>12} {:>12} {:>12} {:>12} {:>7}\n",
            y.label, y.periods[0], y.periods[1], "", "mean", "P50", "P90", "P99", "share"
        ));
        let parts = by.year(y);
        let rows = parts
            .0
            .iter()
            .map(|(n, d)| (n.as_str(), d))
            .chain(fixed.then_some((FIXED_PART, &y.fixed_charges)));
        for (name, d) in rows {
            let share = if y.bill.mean > 0.0 {
                format!("{:.1}%", 100.0 * d.mean / y.bill.mean)
            } else {
                "—".into()
            };
            out.push_str(&format!(
                "    {name:<width$} {:>12} {:>12} {:>12} {:>12} {share:>7}\n",
                money(d.mean),
                money(d.p50),
                money(d.p90),
                money(d.p99)
            ));
        }
    }
    out
}
