//! The routing comparison in every output of `run`: the printed table, `routing.csv`, a
//! section of `report.html` and the chart of the cost per resolved task by policy (one
//! writer per format, all reading [`RoutingSummary`]).

use std::fmt::Write as _;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::charts::style::{self, Unit};
use super::charts::{Chart, DrawResult};
use super::html::escape;
use crate::engine::Summary;
use crate::engine::routing_summary::{PairedDifference, RoutingSummary, money, money_se};

/// File stem of the routing chart.
pub const CHART_STEM: &str = "routing_cost_per_resolved";

/// What the routing chart tells.
pub const CHART_CAPTION: &str = "Cost per resolved task by routing policy (every task's cost over the share resolved), with its 95% confidence interval; every policy ran the same tasks.";

fn pm(mean: f64, se: f64) -> String {
    format!("{} ± {}", money(mean), money_se(se).trim_start_matches('$'))
}

fn pct(mean: f64, se: f64) -> String {
    format!("{:.2}% ± {:.2}%", 100.0 * mean, 100.0 * se)
}

fn signed_money(d: f64) -> String {
    if d >= 0.0 {
        format!("+{}", money(d))
    } else {
        money(d)
    }
}

fn interval_money(d: &PairedDifference) -> String {
    format!(
        "{} ({} to {})",
        signed_money(d.difference),
        signed_money(d.ci95_low),
        signed_money(d.ci95_high)
    )
}

fn interval_points(d: &PairedDifference) -> String {
    format!(
        "{:+.2} pt ({:+.2} to {:+.2})",
        100.0 * d.difference,
        100.0 * d.ci95_low,
        100.0 * d.ci95_high
    )
}

/// The printed table (empty without routing).
pub fn table(summary: &Summary) -> String {
    let Some(r) = &summary.routing else {
        return String::new();
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n  Routing: {} policies on the same {} tasks",
        r.policies.len(),
        crate::text::thousands(r.trials as f64)
    );
    let _ = writeln!(
        out,
        "  {:<34} {:>20} {:>10} {:>10} {:>10} {:>17} {:>22} {:>11}",
        "policy",
        "cost/task ± SE",
        "P50",
        "P90",
        "P99",
        "resolved ± SE",
        "cost/resolved ± SE",
        "escalated"
    );
    for p in &r.policies {
        let per_resolved = p
            .cost_per_resolved_usd
            .map_or("n/a".to_string(), |e| pm(e.mean, e.se));
        let _ = writeln!(
            out,
            "  {:<34} {:>20} {:>10} {:>10} {:>10} {:>17} {:>22} {:>10.1}%",
            crate::text::clip(&p.name, 34),
            pm(p.cost_usd.mean, p.cost_usd.se),
            money(p.cost_usd.p50),
            money(p.cost_usd.p90),
            money(p.cost_usd.p99),
            pct(p.resolved_share.mean, p.resolved_share.se),
            per_resolved,
            100.0 * p.escalated_share.mean
        );
    }
    if let Some(first) = r.policies.first() {
        let _ = writeln!(
            out,
            "  Against {} on the same tasks (difference, 95% CI):",
            first.name
        );
        for p in r.policies.iter().skip(1) {
            let Some(v) = &p.versus_first else { continue };
            let _ = writeln!(
                out,
                "    {:<32} cost/task {}   resolved {}   cost/resolved {}",
                crate::text::clip(&p.name, 32),
                interval_money(&v.cost_usd),
                interval_points(&v.resolved_share),
                v.cost_per_resolved_usd
                    .as_ref()
                    .map_or("n/a".into(), interval_money)
            );
        }
    }
    let _ = writeln!(out, "  {}", r.verdict);
    out
}

/// Quotes a CSV field when it needs it.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// `routing.csv`: one row per policy (differences from the first policy empty on its row).
pub fn csv(r: &RoutingSummary) -> String {
    let mut out = String::from(
        "policy,models,rule,cost_usd_mean,cost_usd_se,cost_usd_p50,cost_usd_p90,cost_usd_p99,resolved_share,resolved_share_se,cost_per_resolved_usd,cost_per_resolved_usd_se,escalated_share,escalated_share_se,diff_cost_usd,diff_cost_usd_ci95_low,diff_cost_usd_ci95_high,diff_resolved_share,diff_resolved_share_ci95_low,diff_resolved_share_ci95_high,diff_cost_per_resolved_usd,diff_cost_per_resolved_usd_ci95_low,diff_cost_per_resolved_usd_ci95_high\n",
    );
    let num = |v: f64| format!("{v}");
    for p in &r.policies {
        let mut cells = vec![
            field(&p.name),
            field(&p.models.join(" > ")),
            field(&p.rule),
            num(p.cost_usd.mean),
            num(p.cost_usd.se),
            num(p.cost_usd.p50),
            num(p.cost_usd.p90),
            num(p.cost_usd.p99),
            num(p.resolved_share.mean),
            num(p.resolved_share.se),
        ];
        match p.cost_per_resolved_usd {
            Some(e) => cells.extend([num(e.mean), num(e.se)]),
            None => cells.extend([String::new(), String::new()]),
        }
        cells.extend([num(p.escalated_share.mean), num(p.escalated_share.se)]);
        let triple = |d: Option<&PairedDifference>| match d {
            Some(d) => [num(d.difference), num(d.ci95_low), num(d.ci95_high)],
            None => [String::new(), String::new(), String::new()],
        };
        let v = p.versus_first.as_ref();
        cells.extend(triple(v.map(|v| &v.cost_usd)));
        cells.extend(triple(v.map(|v| &v.resolved_share)));
        cells.extend(triple(v.and_then(|v| v.cost_per_resolved_usd.as_ref())));
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// The section of `report.html` (empty without routing).
pub fn html_section(summary: &Summary) -> String {
    let Some(r) = &summary.routing else {
        return String::new();
    };
    let mut h = String::new();
    let _ = write!(
        h,
        "<h2>Routing</h2>\n<p>{} policies, each run on the same {} tasks (the same difficulty draws; a task on a given model is the same run whichever policy sends it there). Skills: {}.</p>\n",
        r.policies.len(),
        crate::text::thousands(r.trials as f64),
        escape(
            &r.skill
                .iter()
                .map(|(m, s)| format!("{m} {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    );
    h.push_str("<table><tr><th>policy</th><th>what it does</th><th>cost per task ± SE</th><th>P50</th><th>P90</th><th>P99</th><th>resolved ± SE</th><th>cost per resolved task ± SE</th><th>escalated</th></tr>");
    for p in &r.policies {
        let _ = write!(
            h,
            "<tr><td>{}</td><td style=\"text-align:left\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><b>{}</b></td><td>{:.1}%</td></tr>",
            escape(&p.name),
            escape(&p.rule),
            pm(p.cost_usd.mean, p.cost_usd.se),
            money(p.cost_usd.p50),
            money(p.cost_usd.p90),
            money(p.cost_usd.p99),
            pct(p.resolved_share.mean, p.resolved_share.se),
            p.cost_per_resolved_usd
                .map_or("n/a".to_string(), |e| pm(e.mean, e.se)),
            100.0 * p.escalated_share.mean
        );
    }
    h.push_str("</table>\n");
    if r.policies.len() > 1 {
        let _ = write!(
            h,
            "<h3>Against “{}”, on the same tasks</h3><table><tr><th>policy</th><th>cost per task (95% CI)</th><th>resolved, points (95% CI)</th><th>cost per resolved task (95% CI)</th></tr>",
            escape(&r.policies[0].name)
        );
        for p in r.policies.iter().skip(1) {
            let Some(v) = &p.versus_first else { continue };
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&p.name),
                interval_money(&v.cost_usd),
                interval_points(&v.resolved_share),
                v.cost_per_resolved_usd
                    .as_ref()
                    .map_or("n/a".into(), interval_money)
            );
        }
        h.push_str("</table>\n");
    }
    let _ = writeln!(
        h,
        "<p><b>{}</b></p>\n<p class=\"note\">Cost per resolved task is the mean cost per task (resolved or not) over the share resolved; its standard error is the delta method's. Differences are paired: each task's cost under one policy minus its cost under the other. Percentiles are within {:.3}% of the exact order statistics. The file <code>routing.csv</code> holds these figures.</p>",
        escape(&r.verdict),
        100.0 * r.quantile_relative_error
    );
    h
}

/// The chart: one horizontal bar per policy, its cost per resolved task, with whiskers at
/// the 95% interval.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingChart {
    /// `(policy, cost per resolved task, its SE)`, top to bottom.
    pub bars: Vec<(String, f64, f64)>,
}

impl RoutingChart {
    /// The chart of a summary's routing section (`None` without routing or when no policy
    /// resolved a task).
    pub fn of(summary: &Summary) -> Option<RoutingChart> {
        let r = summary.routing.as_ref()?;
        let bars: Vec<(String, f64, f64)> = r
            .policies
            .iter()
            .filter_map(|p| {
                p.cost_per_resolved_usd
                    .map(|e| (p.name.clone(), e.mean, e.se))
            })
            .collect();
        (!bars.is_empty()).then_some(RoutingChart { bars })
    }
}

impl Chart for RoutingChart {
    fn file_stem(&self) -> &str {
        CHART_STEM
    }

    fn validate(&self) -> Result<(), String> {
        if self.bars.is_empty() {
            return Err("expected at least one policy, found none".into());
        }
        if self
            .bars
            .iter()
            .any(|b| !(b.1.is_finite() && b.2.is_finite() && b.1 >= 0.0))
        {
            return Err("expected finite, non-negative costs".into());
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let hi = self
            .bars
            .iter()
            .map(|b| b.1 + 1.96 * b.2)
            .fold(0.0, f64::max)
            .max(1e-9)
            * 1.12;
        let n = self.bars.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .caption(
                "Cost per resolved task by routing policy",
                style::title_font().color(&style::INK),
            )
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(16)
            .build_cartesian_2d(0.0..hi, 0.0..n)?;
        let unit = Unit::Usd;
        let x_fmt = move |v: &f64| unit.format(*v);
        chart
            .configure_mesh()
            .x_desc(style::axis_label("cost per resolved task", unit))
            .x_label_formatter(&x_fmt)
            .x_labels(8)
            .y_labels(0)
            .disable_y_mesh()
            .axis_desc_style(style::label_font().color(&style::INK))
            .label_style(style::small_font().color(&style::INK))
            .bold_line_style(style::GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(style::INK)
            .draw()?;
        let best = self.bars.iter().map(|b| b.1).fold(f64::INFINITY, f64::min);
        for (i, (name, mean, se)) in self.bars.iter().enumerate() {
            let base = n - i as f64 - 1.0;
            let (y0, y1) = (base + 0.1, base + 0.55);
            let colour = if *mean == best {
                style::PRIMARY
            } else {
                style::series_colour(1)
            };
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y0), (*mean, y1)],
                colour.filled(),
            )))?;
            let mid = (y0 + y1) / 2.0;
            let (lo, up) = ((mean - 1.96 * se).max(0.0), mean + 1.96 * se);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(lo, mid), (up, mid)],
                style::INK.stroke_width(2),
            )))?;
            for x in [lo, up] {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, y0 + 0.08), (x, y1 - 0.08)],
                    style::INK.stroke_width(2),
                )))?;
            }
            chart.draw_series(std::iter::once(Text::new(
                format!(
                    "{name}: {} ± {}",
                    money(*mean),
                    money_se(*se).trim_start_matches('$')
                ),
                (hi * 0.01, base + 0.85),
                style::small_font().color(&style::INK),
            )))?;
        }
        Ok(())
    }
}
