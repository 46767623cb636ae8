//! Forecast side outputs: the fan chart, stress cases side by side, the sensitivity table and
//! tornado chart, and sweeps (CSV and chart).

use std::path::Path;

use super::charts::style::readable;
use super::charts::{
    self, BreakEven, ChartError, CostLine, FanChart, FanPeriod, LimitLine, Tornado, TornadoBar,
    Unit,
};
use super::forecast::money;
use super::input_label::{input_label, input_name, input_words, value_words};
use crate::forecast::ForecastSummary;
use crate::forecast::sensitivity::Sensitivity;
use crate::forecast::stress::StressResult;
use crate::forecast::sweep::{ReplacedDistribution, SweepAxis, SweepPoint};

/// The monthly fan chart of the bill (`forecast_fan.png` / `.svg`).
pub fn fan_chart(s: &ForecastSummary) -> FanChart {
    FanChart {
        stem: "forecast_fan".into(),
        title: format!("{}: monthly bill (P5–P95, P25–P75, median)", s.scenario),
        y_description: "Monthly bill".into(),
        unit: Unit::Usd,
        x_description: "Month".into(),
        periods: s
            .monthly
            .iter()
            .map(|m| FanPeriod {
                label: m.period.clone(),
                p5: m.bill.p5,
                p25: m.bill.p25,
                p50: m.bill.p50,
                p75: m.bill.p75,
                p95: m.bill.p95,
            })
            .collect(),
        budget: s
            .monthly
            .iter()
            .filter_map(|m| m.monthly_budget.map(|b| b.budget))
            .collect(),
        lines: Vec::new(),
    }
}

/// Writes the fan chart into `dir`; returns the file names.
pub fn write_fan_chart(dir: &Path, s: &ForecastSummary) -> Result<[String; 2], ChartError> {
    charts::write_chart(dir, &fan_chart(s))
}

/// Stress cases side by side, one row per case (year totals, budget risks), then month by
/// month each case's median and P90 bill with its P(over the monthly budget), and a note for
/// each case whose seats the headcount capped.
pub fn stress_table(rows: &[StressResult]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let width = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(4)
        .max(4)
        + 2;
    let mut out = format!("  {:<width$}", "case");
    for y in &first.years {
        out.push_str(&format!(
            " {:>14} {:>14}",
            format!("{} mean", y.label),
            format!("{} P90", y.label)
        ));
    }
    out.push_str(&format!(" {:>14}", "total P90"));
    let annual = first.years.iter().any(|y| y.annual_budget.is_some());
    let monthly = first.p_any_month_over_budget.is_some();
    let limited = first.not_done.is_some();
    if limited {
        out.push_str(&format!(" {:>16} {:>14}", "tasks not done", "their value"));
    }
    if annual {
        out.push_str(&format!(" {:>14}", "P(over annual)"));
    }
    if monthly {
        out.push_str(&format!(
            " {:>16} {:>22}",
            "P(a month over)", "riskiest month"
        ));
    }
    out.push('\n');
    for r in rows {
        out.push_str(&format!("  {:<width$}", r.name));
        for y in &r.years {
            out.push_str(&format!(
                " {:>14} {:>14}",
                money(y.bill.mean),
                money(y.bill.p90)
            ));
        }
        out.push_str(&format!(" {:>14}", money(r.total.p90)));
        if limited {
            let (tasks, value) = r.not_done.as_ref().map_or(("—".into(), "—".into()), |n| {
                (crate::text::about(n.tasks.mean), money(n.list_usd.mean))
            });
            out.push_str(&format!(" {tasks:>16} {value:>14}"));
        }
        if annual {
            out.push_str(&format!(" {:>14}", percent(r.worst_annual())));
        }
        if monthly {
            let riskiest = r.riskiest_month().map_or("—".into(), |(period, b)| {
                format!("{period} {}", percent(Some(b.p_exceed)))
            });
            out.push_str(&format!(
                " {:>16} {:>22}",
                percent(r.p_any_month_over_budget.map(|p| p.p)),
                riskiest
            ));
        }
        out.push('\n');
    }
    out.push_str("\n  stress cases month by month: median and P90 bill");
    if monthly {
        out.push_str(", P(over the monthly budget)");
    }
    out.push('\n');
    // Each case's cell: P50, P90 and (with a monthly budget) P(over), at fixed widths.
    let cell = |p50: &str, p90: &str, over: &str| {
        if monthly {
            format!(" {p50:>10} {p90:>10} {over:>7}")
        } else {
            format!(" {p50:>10} {p90:>10}")
        }
    };
    let cell_width = if monthly { 30 } else { 22 };
    out.push_str(&format!("  {:<8}", ""));
    for r in rows {
        let name: String = r.name.chars().take(cell_width - 2).collect();
        out.push_str(&format!(" {name:>w$}", w = cell_width - 1));
    }
    out.push_str(&format!("\n  {:<8}", "month"));
    for _ in rows {
        out.push_str(&cell("P50", "P90", "P(over)"));
    }
    out.push('\n');
    for (m, month) in first.months.iter().enumerate() {
        out.push_str(&format!("  {:<8}", month.period));
        for r in rows {
            let Some(x) = r.months.get(m) else { continue };
            let over = percent(x.monthly_budget.map(|b| b.p_exceed));
            out.push_str(&cell(&money(x.bill.p50), &money(x.bill.p90), &over));
        }
        out.push('\n');
    }
    for r in rows.iter().filter(|r| r.capped()) {
        if let Some(h) = &r.headcount {
            out.push_str(&format!(
                "  note: {}: {}\n",
                r.name,
                headcount_note(h.headcount, h.capped_trials.p)
            ));
        }
    }
    out
}

/// What a headcount cap did, in words.
pub fn headcount_note(headcount: f64, share: f64) -> String {
    format!(
        "seats held at the headcount ({}) in {:.1}% of trials, where the curve would pass it",
        crate::text::thousands(headcount),
        100.0 * share
    )
}

fn percent(p: Option<f64>) -> String {
    p.map_or("—".into(), |p| format!("{:.1}%", 100.0 * p))
}

/// `stress.csv`: one row per case and month, then one per case and year (`span` says which):
/// the bill's mean ± SE and percentiles, the budget and the probability of passing it.
pub fn stress_csv(rows: &[StressResult]) -> String {
    let mut out = String::from(
        "case,span,period,first_month,last_month,bill_mean,bill_se,bill_p50,bill_p90,bill_p99,budget,p_over_budget,p_over_budget_se,tasks_not_done_mean,not_done_list_usd_mean\n",
    );
    let budget = |b: Option<crate::forecast::outcome::BudgetCheck>| {
        b.map_or(",,".to_string(), |b| {
            format!("{:.2},{:.6},{:.6}", b.budget, b.p_exceed, b.p_exceed_se)
        })
    };
    for r in rows {
        let name = csv_field(&r.name);
        for m in &r.months {
            let d = &m.bill;
            out.push_str(&format!(
                "{name},month,{},{},{},{:.2},{:.2},{:.2},{:.2},{:.2},{},,\n",
                m.period,
                m.period,
                m.period,
                d.mean,
                d.se,
                d.p50,
                d.p90,
                d.p99,
                budget(m.monthly_budget)
            ));
        }
        for y in &r.years {
            let d = &y.bill;
            out.push_str(&format!(
                "{name},year,{},{},{},{:.2},{:.2},{:.2},{:.2},{:.2},{},{}\n",
                csv_field(&y.label),
                y.periods[0],
                y.periods[1],
                d.mean,
                d.se,
                d.p50,
                d.p90,
                d.p99,
                budget(y.annual_budget),
                y.not_done.as_ref().map_or(",".to_string(), |n| format!(
                    "{:.2},{:.2}",
                    n.tasks.mean, n.list_usd.mean
                ))
            ));
        }
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The sensitivity table.
pub fn sensitivity_table(s: &Sensitivity) -> String {
    let mut out = format!(
        "  what drives the P90 of the {} (base P90 {}); inputs pinned at their P{:.0} / P{:.0}\n",
        s.outcome,
        money(s.base_p90),
        100.0 * s.low_high_quantiles[0],
        100.0 * s.low_high_quantiles[1]
    );
    out.push_str(&format!(
        "  {:<34} {:>12} {:>12} {:>14} {:>14} {:>12} {:>16}\n",
        "input", "low", "high", "P90 if low", "P90 if high", "swing", "rank corr ± SE"
    ));
    for i in &s.inputs {
        out.push_str(&format!(
            "  {:<34} {:>12.4} {:>12.4} {:>14} {:>14} {:>12} {:>16}\n",
            i.input,
            i.low_value,
            i.high_value,
            money(i.outcome_p90_low),
            money(i.outcome_p90_high),
            money(i.swing),
            format!("{:+.3} ± {:.3}", i.rank_correlation, i.rank_correlation_se)
        ));
    }
    out.push_str(&format!(
        "  rank correlations from the first {} trials' (input, outcome) pairs (SE at most {:.4});
           P90s from every trial, within {:.3}% (histogram resolution)
",
        s.rank_correlation_trials,
        s.rank_correlation_se_max,
        100.0 * crate::stats::RELATIVE_ERROR
    ));
    out
}

/// `sensitivity.csv`.
pub fn sensitivity_csv(s: &Sensitivity) -> String {
    let mut out = String::from(
        "input,low_value,high_value,outcome_p90_low,outcome_p90_high,swing,rank_correlation,rank_correlation_se\n",
    );
    for i in &s.inputs {
        out.push_str(&format!(
            "{},{},{},{:.2},{:.2},{:.2},{:.6},{:.6}\n",
            i.input,
            i.low_value,
            i.high_value,
            i.outcome_p90_low,
            i.outcome_p90_high,
            i.swing,
            i.rank_correlation,
            i.rank_correlation_se
        ));
    }
    out
}

/// The tornado chart (`forecast_tornado.png` / `.svg`).
pub fn tornado_chart(s: &Sensitivity) -> Tornado {
    Tornado {
        stem: "forecast_tornado".into(),
        title: "What moves the P90 bill".into(),
        x_description: format!("P90 of the {}", s.outcome),
        unit: Unit::Usd,
        base: s.base_p90,
        bars: s
            .inputs
            .iter()
            .map(|i| TornadoBar {
                label: format!(
                    "{} ({} / {})",
                    input_name(&i.input, i.label.as_deref()),
                    readable(i.low_value),
                    readable(i.high_value)
                ),
                low: i.outcome_p90_low,
                high: i.outcome_p90_high,
            })
            .collect(),
    }
}

/// `sweep.csv`: the swept values, the first year's bill and annual budget check, the horizon's
/// total, and the monthly budget's risks (P(some month over), the riskiest month and its P).
pub fn sweep_csv(axes: &[SweepAxis], points: &[SweepPoint]) -> String {
    let mut out: Vec<String> = axes.iter().map(|a| csv_field(&a.path)).collect();
    out.extend(
        [
            "year1",
            "year1_mean",
            "year1_se",
            "year1_p50",
            "year1_p90",
            "year1_p99",
            "total_mean",
            "total_p90",
            "p_over_annual_budget_year1",
            "p_any_month_over_budget",
            "p_any_month_over_budget_se",
            "riskiest_month",
            "riskiest_month_budget",
            "riskiest_month_p_over",
            "riskiest_month_p_over_se",
        ]
        .map(String::from),
    );
    let mut text = out.join(",");
    text.push('\n');
    for p in points {
        let mut row: Vec<String> = p.values.iter().map(|v| csv_field(v)).collect();
        let (any, any_se) = p
            .p_any_month_over
            .map_or((String::new(), String::new()), |q| {
                (format!("{:.6}", q.p), format!("{:.6}", q.se))
            });
        let riskiest = p.riskiest_month.as_ref();
        row.extend([
            csv_field(&p.year1_label),
            format!("{:.2}", p.year1.mean),
            format!("{:.2}", p.year1.se),
            format!("{:.2}", p.year1.p50),
            format!("{:.2}", p.year1.p90),
            format!("{:.2}", p.year1.p99),
            format!("{:.2}", p.total.mean),
            format!("{:.2}", p.total.p90),
            p.year1_budget
                .map_or(String::new(), |b| format!("{:.6}", b.p_exceed)),
            any,
            any_se,
            riskiest.map_or(String::new(), |r| r.period.clone()),
            riskiest.map_or(String::new(), |r| format!("{:.2}", r.budget)),
            riskiest.map_or(String::new(), |r| format!("{:.6}", r.p_exceed)),
            riskiest.map_or(String::new(), |r| format!("{:.6}", r.p_exceed_se)),
        ]);
        text.push_str(&row.join(","));
        text.push('\n');
    }
    text
}

/// The sweep chart (`sweep.png` / `.svg`): the first year's mean and P90 bill against the first
/// axis (named in words, its path beside them), one pair of lines per value of the second axis,
/// and the first year's annual budget as a dashed line. Needs numeric values on the first axis.
/// `replaced` are the swept inputs whose distribution each point replaces by its value: the
/// title says so.
pub fn sweep_chart(
    axes: &[SweepAxis],
    points: &[SweepPoint],
    replaced: &[ReplacedDistribution],
) -> Option<BreakEven> {
    let first = axes.first()?;
    let xs: Vec<f64> = first
        .values
        .iter()
        .map(|v| v.parse::<f64>().ok())
        .collect::<Option<_>>()?;
    let groups: Vec<Option<&String>> = match axes.get(1) {
        Some(a) => a.values.iter().map(Some).collect(),
        None => vec![None],
    };
    let mut lines = Vec::new();
    for g in &groups {
        for (stat, pick) in [("mean", 0usize), ("P90", 1)] {
            let points: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| g.is_none_or(|v| p.values.get(1) == Some(v)))
                .zip(&xs)
                .map(|(p, &x)| (x, if pick == 0 { p.year1.mean } else { p.year1.p90 }))
                .collect();
            let name = match (g, axes.get(1)) {
                (Some(v), Some(a)) => {
                    format!(
                        "{stat}, {} = {}",
                        input_words(&a.path).to_lowercase(),
                        value_words(v)
                    )
                }
                _ => stat.to_string(),
            };
            lines.push(CostLine {
                name,
                points,
                band: Vec::new(),
            });
        }
    }
    let year = points
        .first()
        .map_or("year 1".to_string(), |p| p.year1_label.clone());
    let fixed = if replaced.is_empty() {
        ""
    } else {
        ", at fixed values replacing the file's distribution"
    };
    Some(BreakEven {
        stem: "sweep".into(),
        title: format!(
            "{year} bill against {}{fixed}",
            input_words(&first.path).to_lowercase()
        ),
        x_description: input_label(&first.path),
        x_unit: Unit::Count,
        y_description: format!("{year} bill"),
        y_unit: Unit::Usd,
        lines,
        limit: points
            .iter()
            .find_map(|p| p.year1_budget)
            .map(|b| LimitLine {
                name: format!("annual budget {year}"),
                value: b.budget,
            }),
        current: None,
        steps: Vec::new(),
    })
}
