//! The summary table printed on stdout.

use std::fmt::Write;

use crate::engine::Summary;
use crate::stats::MetricSummary;

/// Formats a value for the table: dollars with 4 decimals (2 from $100 up), counts as grouped
/// integers from 100 up, else with 2 decimals.
fn num(v: f64, dollars: bool) -> String {
    if dollars {
        if v.abs() >= 100.0 {
            fixed(v, 2)
        } else {
            format!("{v:.4}")
        }
    } else if v.abs() >= 100.0 || v.fract() == 0.0 {
        fixed(v, 0)
    } else {
        format!("{v:.2}")
    }
}

/// `mean ± se` with the standard error to two significant digits and the mean to the same
/// decimal place, so the printed precision is the precision there is.
fn mean_se(mean: f64, se: f64, dollars: bool) -> String {
    let prefix = if dollars { "$" } else { "" };
    if mean.is_nan() {
        return "n/a".to_string();
    }
    if se.is_nan() || se <= 0.0 || se.is_infinite() {
        return format!("{prefix}{} ± 0", num(mean, dollars));
    }
    let decimals = (1 - se.log10().floor() as i32).clamp(0, 8) as usize;
    format!(
        "{prefix}{} ± {}",
        fixed(mean, decimals),
        fixed(se, decimals)
    )
}

/// A number with `decimals` decimals and thousands separators in its integer part.
fn fixed(v: f64, decimals: usize) -> String {
    if !v.is_finite() || v.abs() >= 1e15 {
        return format!("{v:.3e}");
    }
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text
        .split_once('.')
        .map_or((text.as_str(), ""), |(i, f)| (i, f));
    let grouped = group_thousands(int.parse::<i64>().unwrap_or(0));
    let sign = if v < 0.0 { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// `part` as a percentage of `total` (0 when the total is 0).
fn percent_of(part: f64, total: f64) -> f64 {
    if total > 0.0 {
        100.0 * part / total
    } else {
        0.0
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

fn row(out: &mut String, label: &str, m: &MetricSummary, dollars: bool) {
    let mean = mean_se(m.mean, m.se, dollars);
    let _ = writeln!(
        out,
        "  {label:<22} {mean:>22} {:>11} {:>11} {:>11} {:>11} {:>11}",
        num(m.p50, dollars),
        num(m.p90, dollars),
        num(m.p95, dollars),
        num(m.p99, dollars),
        num(m.max, dollars),
    );
}

/// Renders the summary as a plain-text table.
pub fn render(summary: &Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} trials, seed {}",
        summary.scenario,
        group_thousands(summary.trials as i64),
        summary.seed
    );
    let sr = &summary.success_rate;
    let cps = &summary.cost_per_success_usd;
    let _ = writeln!(
        out,
        "  success rate {}%    cost per successful task {}",
        mean_se(100.0 * sr.mean, 100.0 * sr.se, false),
        if cps.mean.is_nan() {
            "n/a (no task succeeded)".to_string()
        } else {
            mean_se(cps.mean, cps.se, true)
        }
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<22} {:>22} {:>11} {:>11} {:>11} {:>11} {:>11}",
        "per task", "mean ± SE", "P50", "P90", "P95", "P99", "max"
    );
    let labels = [
        ("cost_usd", "cost (USD)"),
        ("calls", "calls"),
        ("input_tokens", "input tokens"),
        ("output_tokens", "output tokens"),
        ("reasoning_tokens", "reasoning tokens"),
        ("cache_write_tokens", "cache write tokens"),
        ("cache_write_1h_tokens", "cache write 1h tokens"),
        ("cache_read_tokens", "cache read tokens"),
        ("duration_s", "wall time (s)"),
        ("compactions", "compactions"),
        ("context_overflows", "context overflows"),
        ("failed_calls", "failed call attempts"),
        ("task_reruns", "task re-runs"),
        ("escalations", "escalations"),
        ("subagents", "sub-agents"),
    ];
    for (key, label) in labels {
        if let Some(m) = summary.metrics.get(key)
            && (key == "cost_usd" || key == "calls" || m.max > 0.0)
        {
            row(&mut out, label, m, key == "cost_usd");
        }
    }
    let total_cost = summary.metric("cost_usd").map_or(0.0, |m| m.mean);
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<22} {:>22} {:>7} {:>11} {:>11} {:>11}",
        "by phase", "cost mean ± SE", "share", "cost P90", "calls", "iterations"
    );
    for (name, metrics) in &summary.by_phase.0 {
        let (Some(cost), Some(calls), Some(iters)) = (
            metrics.get("cost_usd"),
            metrics.get("calls"),
            metrics.get("iterations"),
        ) else {
            continue;
        };
        let share = percent_of(cost.mean, total_cost);
        let _ = writeln!(
            out,
            "  {name:<22} {:>22} {:>6.1}% {:>11} {:>11} {:>11}",
            mean_se(cost.mean, cost.se, true),
            share,
            num(cost.p90, true),
            num(calls.mean, false),
            num(iters.mean, false),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<22} {:>22} {:>7} {:>11} {:>13} {:>13}",
        "by model", "cost mean ± SE", "share", "calls", "output tok", "prompt tok"
    );
    for (name, metrics) in &summary.by_model.0 {
        let get = |k: &str| metrics.get(k).map_or(0.0, |m| m.mean);
        let Some(cost) = metrics.get("cost_usd") else {
            continue;
        };
        let share = percent_of(cost.mean, total_cost);
        let prompt = get("input_tokens")
            + get("cache_write_tokens")
            + get("cache_write_1h_tokens")
            + get("cache_read_tokens");
        let _ = writeln!(
            out,
            "  {name:<22} {:>22} {:>6.1}% {:>11} {:>13} {:>13}",
            mean_se(cost.mean, cost.se, true),
            share,
            num(get("calls"), false),
            num(get("output_tokens") + get("reasoning_tokens"), false),
            num(prompt, false),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  ± is one standard error. Percentiles are within {:.3}% of the exact order statistic \
         (log-linear histogram); min/max are exact; 95% intervals are in summary.json.",
        100.0 * summary.quantile_method.relative_error
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_carry_the_precision_of_their_standard_error() {
        assert_eq!(mean_se(0.223_14, 0.000_31, true), "$0.22314 ± 0.00031");
        assert_eq!(mean_se(153_887.4, 307.2, false), "153,887 ± 307");
        assert_eq!(mean_se(9.3712, 0.0123, false), "9.371 ± 0.012");
        assert_eq!(mean_se(5.0, 0.0, false), "5 ± 0");
        assert_eq!(mean_se(0.0104, 0.0, true), "$0.0104 ± 0");
        assert_eq!(mean_se(f64::NAN, f64::NAN, true), "n/a");
        assert_eq!(mean_se(3e297, 1e295, true), "$3.000e297 ± 1.000e295");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(1234567), "1,234,567");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(-1000), "-1,000");
    }
}
