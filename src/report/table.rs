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

/// A share as `48.93% ± 0.12%`: the standard error (in percentage points) to two significant
/// digits and the share to the same decimal place (one to three decimals).
pub(crate) fn percent_se(share: f64, se: f64) -> String {
    let (share, se) = (100.0 * share, 100.0 * se);
    let decimals = if se > 0.0 && se.is_finite() {
        (1 - se.log10().floor() as i32).clamp(1, 3) as usize
    } else {
        1
    };
    format!("{share:.decimals$}% ± {se:.decimals$}%")
}

/// Mean prompt tokens (plain input, cache writes at both TTLs, cache reads) and mean output
/// tokens (output and reasoning) of a group of metrics.
fn prompt_and_output(metrics: &crate::engine::NamedMap<MetricSummary>) -> (f64, f64) {
    let get = |k: &str| metrics.get(k).map_or(0.0, |m| m.mean);
    let prompt = get("input_tokens")
        + get("cache_write_tokens")
        + get("cache_write_1h_tokens")
        + get("cache_read_tokens");
    (prompt, get("output_tokens") + get("reasoning_tokens"))
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
    let stops: Vec<String> = [
        ("stopped_at_max_calls", "max_calls"),
        ("stopped_at_max_cost", "max_cost_usd"),
    ]
    .into_iter()
    .filter_map(|(key, cap)| {
        let m = summary.metrics.get(key)?;
        Some(format!(
            "{cap} {}%",
            mean_se(100.0 * m.mean, 100.0 * m.se, false)
        ))
    })
    .collect();
    if !stops.is_empty() {
        let _ = writeln!(out, "  stopped by a cap      {}", stops.join("    "));
    }
    for r in &summary.rank_correlations {
        let _ = writeln!(
            out,
            "  rank correlation {} ~ {}: target {:.3}, achieved {:.4} ± {:.4} (Spearman, first {} trials)",
            r.between[0],
            r.between[1],
            r.target,
            r.achieved,
            r.se,
            group_thousands(r.trials as i64)
        );
    }
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
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<22} {:>22} {:>17} {:>11} {:>9} {:>11} {:>11} {:>13}",
        "by phase",
        "cost mean ± SE",
        "share of cost",
        "cost P90",
        "calls",
        "iterations",
        "output tok",
        "prompt tok"
    );
    for (name, metrics) in &summary.by_phase.0 {
        let (Some(cost), Some(calls), Some(iters), Some(share)) = (
            metrics.get("cost_usd"),
            metrics.get("calls"),
            metrics.get("iterations"),
            summary.cost_shares.phase(name),
        ) else {
            continue;
        };
        let (prompt, output) = prompt_and_output(metrics);
        let _ = writeln!(
            out,
            "  {name:<22} {:>22} {:>17} {:>11} {:>9} {:>11} {:>11} {:>13}",
            mean_se(cost.mean, cost.se, true),
            percent_se(share.share, share.se),
            num(cost.p90, true),
            num(calls.mean, false),
            num(iters.mean, false),
            num(output, false),
            num(prompt, false),
        );
    }
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<22} {:>22} {:>17} {:>11} {:>9} {:>11} {:>11} {:>13}",
        "by model",
        "cost mean ± SE",
        "share of cost",
        "cost P90",
        "calls",
        "",
        "output tok",
        "prompt tok"
    );
    for (name, metrics) in &summary.by_model.0 {
        let (Some(cost), Some(calls), Some(share)) = (
            metrics.get("cost_usd"),
            metrics.get("calls"),
            summary.cost_shares.model(name),
        ) else {
            continue;
        };
        let (prompt, output) = prompt_and_output(metrics);
        let _ = writeln!(
            out,
            "  {name:<22} {:>22} {:>17} {:>11} {:>9} {:>11} {:>11} {:>13}",
            mean_se(cost.mean, cost.se, true),
            percent_se(share.share, share.se),
            num(cost.p90, true),
            num(calls.mean, false),
            "",
            num(output, false),
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
    out.push_str(&super::routing::table(summary));
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
    fn shares_carry_the_precision_of_their_standard_error() {
        assert_eq!(percent_se(0.641_23, 0.002_04), "64.12% ± 0.20%");
        assert_eq!(percent_se(0.489_26, 0.000_54), "48.926% ± 0.054%");
        assert_eq!(percent_se(0.3, 0.03), "30.0% ± 3.0%");
        assert_eq!(percent_se(1.0, 0.0), "100.0% ± 0.0%");
        assert_eq!(percent_se(0.5, 1e-9), "50.000% ± 0.000%");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(1234567), "1,234,567");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(-1000), "-1,000");
    }
}
