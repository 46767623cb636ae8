//! `report.html`: one self-contained page (inline CSS and SVG, no scripts, no network) with the
//! scenario's name and description, the key figures with their uncertainty, every chart, the
//! breakdown tables and the manifest.

use super::charts::RenderedChart;
use super::manifest::Manifest;
use crate::engine::{NamedMap, Summary};
use crate::stats::{MetricSummary, Share};

/// What the page shows besides the summary.
pub struct ReportPage<'a> {
    /// Scenario description (may be empty).
    pub description: &'a str,
    /// The run's summary.
    pub summary: &'a Summary,
    /// The run's manifest (version, seed, scenario hash).
    pub manifest: &'a Manifest,
    /// The charts, embedded as SVG in this order.
    pub charts: &'a [RenderedChart],
    /// A sentence about how the trial count was chosen (e.g. a precision target), if any.
    pub trials_note: Option<String>,
}

/// HTML-escapes text.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

pub(crate) const STYLE: &str = "body{font-family:'DejaVu Sans',Verdana,sans-serif;margin:2em auto;max-width:1000px;color:#212121;padding:0 1em}\
h1{margin-bottom:0.2em}table{border-collapse:collapse;margin:1em 0}th,td{padding:4px 10px;text-align:right;border-bottom:1px solid #e1e1e1}\
th:first-child,td:first-child{text-align:left}figure{margin:1.5em 0}figure svg{width:100%;height:auto;border:1px solid #e1e1e1}\
figcaption{color:#555;font-size:0.9em}.note{color:#555}code{font-size:0.9em}";

fn usd(v: f64) -> String {
    format!(
        "${}",
        grouped(crate::report::charts::style::significant(v, 4))
    )
}

/// Thousands separators in the whole part of a written number: `190230.5` → `190,230.5`.
fn grouped(s: String) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s.as_str()),
    };
    let (whole, frac) = rest.split_at(rest.find('.').unwrap_or(rest.len()));
    if whole.len() <= 3 || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return s;
    }
    let mut out = String::from(sign);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out.push_str(frac);
    out
}

/// A standard error: two significant digits are all it supports.
fn usd_se(v: f64) -> String {
    format!(
        "${}",
        grouped(crate::report::charts::style::significant(v, 2))
    )
}

fn figure_row(
    name: &str,
    m: &MetricSummary,
    value: fn(f64) -> String,
    se: fn(f64) -> String,
) -> String {
    format!(
        "<tr><td>{}</td><td>{} ± {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        escape(name),
        value(m.mean),
        se(m.se),
        value(m.p50),
        value(m.p90),
        value(m.p95),
        value(m.p99),
        value(m.mean_beyond_p95),
    )
}

/// A count (calls, tokens) to four significant digits.
fn count(v: f64) -> String {
    grouped(crate::report::charts::style::significant(v, 4))
}

/// A count's standard error to two significant digits.
fn count_se(v: f64) -> String {
    grouped(crate::report::charts::style::significant(v, 2))
}

/// The token kinds shown in the breakdown tables: those some task used, with their headers.
const TOKEN_COLUMNS: [(&str, &str); 6] = [
    ("input_tokens", "input tok"),
    ("output_tokens", "output tok"),
    ("reasoning_tokens", "reasoning tok"),
    ("cache_write_tokens", "cache write tok"),
    ("cache_write_1h_tokens", "cache write 1h tok"),
    ("cache_read_tokens", "cache read tok"),
];

/// A breakdown table (by phase or by model): mean cost ± SE, share of the mean cost ± SE, cost
/// P90, calls and the mean tokens of each kind used in the run.
fn breakdown_table(
    title: &str,
    group: &NamedMap<NamedMap<MetricSummary>>,
    shares: impl Fn(&str) -> Option<Share>,
    kinds: &[(&str, &str)],
) -> String {
    let mut rows = String::new();
    for (name, metrics) in &group.0 {
        let (Some(cost), Some(share)) = (metrics.get("cost_usd"), shares(name)) else {
            continue;
        };
        let calls = metrics.get("calls").map_or(0.0, |c| c.mean);
        let tokens: String = kinds
            .iter()
            .map(|(key, _)| {
                let m = metrics.get(key).map_or(0.0, |m| m.mean);
                format!("<td>{}</td>", count(m))
            })
            .collect();
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{} ± {}</td><td>{}</td><td>{}</td><td>{:.2}</td>{tokens}</tr>",
            escape(name),
            usd(cost.mean),
            usd_se(cost.se),
            super::table::percent_se(share.share, share.se),
            usd(cost.p90),
            calls
        ));
    }
    let headers: String = kinds
        .iter()
        .map(|(_, header)| format!("<th>{header}</th>"))
        .collect();
    format!(
        "<h3>{}</h3><table><tr><th>{}</th><th>mean cost ± SE</th><th>share of cost ± SE</th><th>cost P90</th><th>calls</th>{headers}</tr>{rows}</table>",
        escape(title),
        escape(title.trim_start_matches("By ")),
    )
}

/// What each chart tells, by file stem.
fn caption(stem: &str) -> &'static str {
    match stem {
        "cost_histogram" => {
            "Share of tasks in each cost bin; the lines mark P50, P90 and P99 (half, 90% and 99% of tasks cost at most that)."
        }
        "cost_exceedance" => {
            "For each cost x, the probability that a task costs more: read the budget on the x axis, the risk of passing it on the y axis."
        }
        "cost_breakdown" => {
            "The mean cost per task split by token kind, by phase and by model: where the money goes."
        }
        "cost_convergence" => {
            "Running mean and P95 against the number of trials, with 95% confidence bands: narrow bands around a flat line mean more trials would not change the answer."
        }
        super::routing::CHART_STEM => super::routing::CHART_CAPTION,
        _ => "",
    }
}

/// Renders the page.
pub fn render(page: &ReportPage) -> String {
    let s = page.summary;
    let m = page.manifest;
    let mut html = String::new();
    html.push_str(&format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} — tokencast report</title><style>{STYLE}</style></head><body>\n",
        escape(&s.scenario)
    ));
    html.push_str(&format!("<h1>{}</h1>\n", escape(&s.scenario)));
    if !page.description.is_empty() {
        html.push_str(&format!("<p>{}</p>\n", escape(page.description)));
    }
    html.push_str(&format!(
        "<p class=\"note\">{} trials, seed {}.{}</p>\n",
        crate::text::thousands(s.trials as f64),
        s.seed,
        page.trials_note
            .as_ref()
            .map(|n| format!(" {}", escape(n)))
            .unwrap_or_default()
    ));
    html.push_str("<h2>Key figures</h2>\n<table><tr><th>per task</th><th>mean ± SE</th><th>P50</th><th>P90</th><th>P95</th><th>P99</th><th>mean beyond P95</th></tr>");
    if let Some(cost) = s.metric("cost_usd") {
        html.push_str(&figure_row("cost (USD)", cost, usd, usd_se));
    }
    // Calls and every token kind a task uses, in their own units.
    for (name, m) in &s.metrics.0 {
        if name != "cost_usd" && m.max > 0.0 {
            html.push_str(&figure_row(&name.replace('_', " "), m, count, count_se));
        }
    }
    html.push_str("</table>\n");
    if let Some(cost) = s.metric("cost_usd") {
        html.push_str(
            "<table><tr><th>percentile</th><th>cost</th><th>95% confidence interval</th></tr>",
        );
        for (name, v, ci) in [
            ("P50", cost.p50, cost.ci95.p50),
            ("P90", cost.p90, cost.ci95.p90),
            ("P95", cost.p95, cost.ci95.p95),
            ("P99", cost.p99, cost.ci95.p99),
        ] {
            html.push_str(&format!(
                "<tr><td>{name}</td><td>{}</td><td>{} – {}</td></tr>",
                usd(v),
                usd(ci.lo),
                usd(ci.hi)
            ));
        }
        html.push_str("</table>\n");
    }
    let cps = if s.cost_per_success_usd.mean.is_finite() {
        format!(
            "{} ± {}",
            usd(s.cost_per_success_usd.mean),
            usd_se(s.cost_per_success_usd.se)
        )
    } else {
        "n/a (no task succeeded)".into()
    };
    html.push_str(&format!(
        "<p>Success rate <b>{:.3}% ± {:.3}%</b>; cost per successful task <b>{cps}</b>. Percentiles are within {:.3}% of the exact order statistics.</p>\n",
        100.0 * s.success_rate.mean,
        100.0 * s.success_rate.se,
        100.0 * s.quantile_method.relative_error
    ));
    html.push_str(&stops_in_words(s));
    html.push_str(&super::routing::html_section(s));
    html.push_str("<h2>Charts</h2>\n");
    for chart in page.charts {
        html.push_str(&format!(
            "<figure id=\"{}\">{}<figcaption>{}</figcaption></figure>\n",
            escape(&chart.stem),
            strip_xml_declaration(&chart.svg),
            escape(caption(&chart.stem))
        ));
    }
    html.push_str("<h2>Breakdown</h2>\n");
    // Mean tokens per task of each kind some task used (the JSON has every kind).
    let kinds: Vec<(&str, &str)> = TOKEN_COLUMNS
        .into_iter()
        .filter(|(key, _)| s.metric(key).is_some_and(|m| m.max > 0.0))
        .collect();
    html.push_str(&breakdown_table(
        "By phase",
        &s.by_phase,
        |n| s.cost_shares.phase(n),
        &kinds,
    ));
    html.push_str(&breakdown_table(
        "By model",
        &s.by_model,
        |n| s.cost_shares.model(n),
        &kinds,
    ));
    html.push_str(
        "<p class=\"note\">Tokens are means per task. A share is the part's mean cost over the mean total cost; its standard error is the ratio estimator's (delta method).</p>\n",
    );
    html.push_str(&format!(
        "<h2>Manifest</h2>\n<table><tr><td>tool</td><td>{} {}</td></tr><tr><td>scenario</td><td>{}</td></tr><tr><td>scenario SHA-256</td><td><code>{}</code></td></tr><tr><td>seed</td><td>{}</td></tr><tr><td>trials</td><td>{}</td></tr><tr><td>started</td><td>{}</td></tr></table>\n",
        escape(m.tool),
        escape(m.version),
        escape(&m.scenario_path),
        escape(&m.scenario_sha256),
        m.seed,
        crate::text::thousands(m.trials as f64),
        escape(&m.started_at)
    ));
    html.push_str("</body></html>\n");
    html
}

/// The share of tasks each per-task cap stopped, in a sentence (empty without caps).
fn stops_in_words(s: &Summary) -> String {
    let parts: Vec<String> = [
        (
            "stopped_at_max_calls",
            "the call cap (<code>max_calls</code>)",
        ),
        (
            "stopped_at_max_cost",
            "the spend cap (<code>max_cost_usd</code>)",
        ),
    ]
    .into_iter()
    .filter_map(|(key, cap)| {
        let m = s.metric(key)?;
        Some(format!(
            "<b>{:.3}% ± {:.3}%</b> of tasks were stopped by {cap}",
            100.0 * m.mean,
            100.0 * m.se
        ))
    })
    .collect();
    if parts.is_empty() {
        return String::new();
    }
    format!(
        "<p>{}. A stopped task made no further request; whether it counts as failed is the scenario's <code>on_limit</code>.</p>\n",
        parts.join("; ")
    )
}

pub(crate) fn strip_xml_declaration(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn whole_parts_get_thousands_separators() {
        assert_eq!(grouped("190230".into()), "190,230");
        assert_eq!(grouped("1234.5".into()), "1,234.5");
        assert_eq!(grouped("-1234567".into()), "-1,234,567");
        assert_eq!(grouped("999.25".into()), "999.25");
        assert_eq!(grouped("inf".into()), "inf");
    }
}
