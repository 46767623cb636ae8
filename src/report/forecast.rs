//! Forecast outputs: `monthly.csv`, `summary.json` and the table on stdout.

use std::io;
use std::path::Path;

use super::atomic::write_atomic;
use super::forecast_split::{SplitBy, split_csv, split_table};
use crate::forecast::ForecastSummary;
use crate::forecast::budget_outcome::BudgetExhaustion;
use crate::forecast::outcome::{BudgetCheck, Dist};

/// The columns of `monthly.csv`.
pub const MONTHLY_COLUMNS: &[&str] = &[
    "month",
    "period",
    "working_days",
    "seats_mean",
    "active_users_mean",
    "tasks_mean",
    "tokens_mean",
    "tokens_p90",
    "list_cost_mean",
    "bill_mean",
    "bill_se",
    "bill_p5",
    "bill_p50",
    "bill_p90",
    "bill_p95",
    "bill_p99",
    "cumulative_mean",
    "cumulative_p50",
    "cumulative_p90",
    "cumulative_p99",
    "p_over_monthly_budget",
    "expected_overrun",
    "monthly_budget",
    "year",
    "annual_budget",
    "p_annual_budget_first_passed",
    "p_annual_budget_passed_by_end",
];

/// `monthly.csv` as text: one row per month, plain decimals.
pub fn monthly_csv(summary: &ForecastSummary) -> String {
    let mut out = MONTHLY_COLUMNS.join(",");
    out.push('\n');
    for m in &summary.monthly {
        let (p, o, budget) = match &m.monthly_budget {
            Some(b) => (
                format!("{:.6}", b.p_exceed),
                format!("{:.2}", b.expected_overrun),
                format!("{:.2}", b.budget),
            ),
            None => (String::new(), String::new(), String::new()),
        };
        let row = [
            m.month.to_string(),
            m.period.clone(),
            m.working_days.to_string(),
            format!("{:.1}", m.seats.mean),
            format!("{:.1}", m.active_users.mean),
            format!("{:.1}", m.tasks.mean),
            format!("{:.0}", m.tokens.mean),
            format!("{:.0}", m.tokens.p90),
            format!("{:.2}", m.list_cost.mean),
            format!("{:.2}", m.bill.mean),
            format!("{:.2}", m.bill.se),
            format!("{:.2}", m.bill.p5),
            format!("{:.2}", m.bill.p50),
            format!("{:.2}", m.bill.p90),
            format!("{:.2}", m.bill.p95),
            format!("{:.2}", m.bill.p99),
            format!("{:.2}", m.cumulative_bill.mean),
            format!("{:.2}", m.cumulative_bill.p50),
            format!("{:.2}", m.cumulative_bill.p90),
            format!("{:.2}", m.cumulative_bill.p99),
            p,
            o,
            budget,
        ];
        // The month's forecast year, its annual budget, and the probability that year-to-date
        // spend first passes it in this month, and has passed it by this month's end.
        let year = summary.year_of(m.month);
        let exhaustion = year
            .and_then(|y| y.annual_budget_exhaustion.as_ref())
            .and_then(|e| e.first_over.get(&m.period));
        let row: Vec<String> = row
            .into_iter()
            .chain([
                year.map_or(String::new(), |y| csv_text(&y.label)),
                year.and_then(|y| y.annual_budget)
                    .map_or(String::new(), |b| format!("{:.2}", b.budget)),
                exhaustion.map_or(String::new(), |e| format!("{:.6}", e.p)),
                exhaustion.map_or(String::new(), |e| format!("{:.6}", e.p_by_end)),
            ])
            .collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

/// A CSV field, quoted when it holds a comma or a quote.
fn csv_text(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The summary as pretty JSON.
pub fn forecast_json(summary: &ForecastSummary) -> String {
    let mut s = serde_json::to_string_pretty(summary).expect("a summary always serialises");
    s.push('\n');
    s
}

/// Writes `summary.json`, `monthly.csv`, `monthly_by_model.csv`, `monthly_by_task.csv` and
/// (with `[billing.NAME]` schemes) `schemes.csv` into `dir`, atomically; returns the file
/// names written.
pub fn write_forecast(dir: &Path, summary: &ForecastSummary) -> io::Result<Vec<String>> {
    write_atomic(&dir.join("summary.json"), forecast_json(summary).as_bytes())?;
    write_atomic(&dir.join("monthly.csv"), monthly_csv(summary).as_bytes())?;
    let mut files = vec!["summary.json".to_string(), "monthly.csv".to_string()];
    for by in [SplitBy::Model, SplitBy::Task] {
        let name = by.names().1;
        write_atomic(&dir.join(name), split_csv(summary, by).as_bytes())?;
        files.push(name.into());
    }
    if let Some(csv) = super::forecast_limits::limits_csv(summary) {
        write_atomic(&dir.join("limits.csv"), csv.as_bytes())?;
        files.push("limits.csv".into());
    }
    if !summary.schemes.is_empty() {
        let csv = super::forecast_schemes::schemes_csv(summary);
        write_atomic(&dir.join("schemes.csv"), csv.as_bytes())?;
        files.push("schemes.csv".into());
    }
    Ok(files)
}

/// A money amount with thousands separators and no decimals (at least 3 significant digits).
pub fn money(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v.abs() < 100.0 {
        return format!("{v:.2}");
    }
    crate::text::thousands(v)
}

fn budget_text(b: &BudgetCheck) -> String {
    format!(
        "P(over {}) = {:.1} ± {:.1}%, expected overrun {} ± {}",
        money(b.budget),
        100.0 * b.p_exceed,
        100.0 * b.p_exceed_se,
        money(b.expected_overrun),
        money(b.expected_overrun_se)
    )
}

/// When the annual budget runs out, in words.
fn exhaustion_text(e: &BudgetExhaustion) -> String {
    let by_end = e.first_over.0.last().map_or(0.0, |(_, m)| m.p_by_end);
    match &e.most_likely_month {
        None => format!(
            "the annual budget of {} never runs out (in every trial)",
            money(e.budget)
        ),
        Some(month) => {
            let p = e.first_over.get(month).map_or(0.0, |m| m.p);
            format!(
                "annual budget runs out: most likely in {month} ({:.1}% of trials){}; by the year's end in {:.1}%, never in {:.1} ± {:.1}%",
                100.0 * p,
                e.median_month.as_ref().map_or(String::new(), |m| format!(
                    ", in half the trials by the end of {m}"
                )),
                100.0 * by_end,
                100.0 * e.p_never,
                100.0 * e.p_never_se
            )
        }
    }
}

fn dist_cells(d: &Dist) -> String {
    format!(
        "{:>12} {:>12} {:>12} {:>12} {:>12}",
        money(d.p5),
        money(d.p50),
        money(d.p90),
        money(d.p95),
        money(d.p99)
    )
}

/// The forecast as a table for people.
pub fn render_forecast_table(s: &ForecastSummary) -> String {
    let cur = &s.currency;
    let mut out = format!(
        "{} — {} trials, seed {}, {} months from {} ({cur}{})\n\n",
        s.scenario,
        s.trials,
        s.seed,
        s.months,
        s.start,
        if s.headline != "basic" {
            format!(", headline bill: {}", s.headline)
        } else if s.discount > 0.0 {
            format!(", {:.1}% discount", 100.0 * s.discount)
        } else {
            String::new()
        }
    );
    out.push_str(&format!(
        "  {:<8} {:>9} {:>10} {:>20} {:>12} {:>12} {:>12} {:>12} {:>12} {:>14}\n",
        "month", "seats", "tasks", "bill mean ± SE", "P5", "P50", "P90", "P95", "P99", "cumulative"
    ));
    for m in &s.monthly {
        out.push_str(&format!(
            "  {:<8} {:>9} {:>10} {:>20} {} {:>14}\n",
            m.period,
            money(m.seats.mean),
            money(m.tasks.mean),
            format!("{} ± {}", money(m.bill.mean), money(m.bill.se)),
            dist_cells(&m.bill),
            money(m.cumulative_bill.mean),
        ));
    }
    out.push('\n');
    for y in &s.years {
        out.push_str(&format!(
            "  {} ({}months {}–{}): mean {} ± {}, P50 {}, P90 {}, P99 {}\n",
            y.label,
            if y.partial { "partial year, " } else { "" },
            y.months[0],
            y.months[1],
            money(y.bill.mean),
            money(y.bill.se),
            money(y.bill.p50),
            money(y.bill.p90),
            money(y.bill.p99)
        ));
        if let Some(b) = &y.annual_budget {
            out.push_str(&format!("    annual budget: {}\n", budget_text(b)));
        }
        if let Some(e) = &y.annual_budget_exhaustion {
            out.push_str(&format!("    {}\n", exhaustion_text(e)));
        }
        if let Some(p) = &y.p_any_month_over_budget {
            out.push_str(&format!(
                "    P(some month over its monthly budget) = {:.1} ± {:.1}%\n",
                100.0 * p.p,
                100.0 * p.se
            ));
        }
    }
    let worst = s.budget.riskiest_month.as_ref().and_then(|r| {
        s.monthly
            .iter()
            .find(|m| m.period == r.period)
            .and_then(|m| m.monthly_budget.map(|b| (m, b)))
    });
    if let Some((m, b)) = worst {
        out.push_str(&format!(
            "  monthly budget, riskiest month {}: {}\n",
            m.period,
            budget_text(&b)
        ));
    }
    if let Some(p) = &s.budget.p_any_month_over {
        out.push_str(&format!(
            "  P(some month of the {} months over its monthly budget) = {:.1} ± {:.1}%\n",
            s.months,
            100.0 * p.p,
            100.0 * p.se
        ));
    }
    out.push_str(&format!(
        "  total over {} months: mean {} ± {}, P90 {}, P99 {}\n",
        s.months,
        money(s.total_bill.mean),
        money(s.total_bill.se),
        money(s.total_bill.p90),
        money(s.total_bill.p99)
    ));
    out.push_str(&super::forecast_limits::limits_lines(s));
    out.push_str(&split_table(s, SplitBy::Model));
    out.push_str(&split_table(s, SplitBy::Task));
    out.push_str(&super::forecast_schemes::schemes_table(s));
    out.push_str(&format!(
        "\n  Every figure uses all {} trials, streamed: percentiles are within {:.3}% of the exact\n  \
         order statistics (histogram resolution); min, max, means and budget checks are exact.\n  \
         Large task counts and sums use a validated moment-matched aggregation (summary.json:\n  \
         aggregation).\n",
        s.trials,
        100.0 * s.percentile_relative_error
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_groups_thousands() {
        assert_eq!(money(1_234_567.4), "1,234,567");
        assert_eq!(money(12.345), "12.35");
        assert_eq!(money(-1000.0), "-1,000");
    }
}
