//! `report.html` of `tokencast sweep`: the forecast rerun at each value of one or two inputs,
//! for a planner to forward. The inputs in words, a table of every point (the first year's
//! bill, the annual budget's risk, the monthly budget's risk and riskiest month), the chart,
//! and a note for each swept input whose distribution the sweep replaced by fixed values.

use super::charts::ChartError;
use super::forecast_extras::sweep_chart;
use super::html::escape;
use super::input_label::{input_words, value_words};
use super::manifest::Manifest;
use super::page::{self, Figure, month_short, pct, pct_se, table, usd, usd_se};
use crate::forecast::sweep::{ReplacedDistribution, SweepAxis, SweepPoint};

/// What the page shows.
pub struct SweepPage<'a> {
    /// The forecast's name.
    pub name: &'a str,
    /// Its description (may be empty).
    pub description: &'a str,
    /// The swept inputs.
    pub axes: &'a [SweepAxis],
    /// Every point, in sweep order.
    pub points: &'a [SweepPoint],
    /// Swept inputs the file gives as distributions.
    pub replaced: &'a [ReplacedDistribution],
    /// The run's manifest.
    pub manifest: &'a Manifest,
}

/// Draws the chart and renders the page.
pub fn render(p: &SweepPage) -> Result<String, ChartError> {
    let inputs: Vec<String> = p
        .axes
        .iter()
        .map(|a| format!("{} ({})", input_words(&a.path), a.values.join(", ")))
        .collect();
    let mut html = page::head(
        p.name,
        p.description,
        &format!(
            "The forecast rerun at {} points: {}. Every point uses the same seed and {} trials, so the differences between points are not noise.",
            p.points.len(),
            inputs.join("; "),
            crate::text::thousands(p.manifest.trials as f64)
        ),
    );
    for r in p.replaced {
        html.push_str(&format!(
            "<p class=\"note\">{} (<code>{}</code>) is uncertain in the file (<code>{}</code>); each point replaces that distribution by the fixed value swept, so its uncertainty is not in these results.</p>\n",
            escape(&input_words(&r.path)),
            escape(&r.path),
            escape(&r.distribution)
        ));
    }
    let year = p
        .points
        .first()
        .map_or("year 1".to_string(), |x| x.year1_label.clone());
    let annual = p.points.iter().any(|x| x.year1_budget.is_some());
    let monthly = p.points.iter().any(|x| x.p_any_month_over.is_some());
    // The verdict: the points whose first year passes its annual budget in more than half of
    // the futures, or the lowest and highest expected bills.
    html.push_str("<h2>The answer</h2>\n<div class=\"verdict\">");
    if let (Some(lo), Some(hi)) = (
        p.points
            .iter()
            .min_by(|a, b| a.year1.mean.total_cmp(&b.year1.mean)),
        p.points
            .iter()
            .max_by(|a, b| a.year1.mean.total_cmp(&b.year1.mean)),
    ) {
        html.push_str(&format!(
            "<p>Expected spend in {} ranges from <b>{}</b> ({}) to <b>{}</b> ({}).</p>",
            escape(&year),
            usd_se(lo.year1.mean, lo.year1.se),
            escape(&point_words(p.axes, lo)),
            usd_se(hi.year1.mean, hi.year1.se),
            escape(&point_words(p.axes, hi))
        ));
    }
    if annual {
        let over: Vec<String> = p
            .points
            .iter()
            .filter(|x| x.year1_budget.is_some_and(|b| b.p_exceed > 0.5))
            .map(|x| point_words(p.axes, x))
            .collect();
        let budget = p
            .points
            .iter()
            .find_map(|x| x.year1_budget.map(|b| b.budget))
            .unwrap_or(0.0);
        html.push_str(&if over.is_empty() {
            format!(
                "<p>At none of the points is {} more likely than not to exceed its {} budget.</p>",
                escape(&year),
                usd(budget)
            )
        } else {
            format!(
                "<p>{} is more likely than not to exceed its {} budget at {}.</p>",
                escape(&year),
                usd(budget),
                escape(&over.join("; "))
            )
        });
    }
    html.push_str("</div>\n");
    let mut headers: Vec<String> = p.axes.iter().map(|a| input_words(&a.path)).collect();
    headers.extend([
        format!("{year} expected ± SE"),
        format!("{year} P50"),
        format!("{year} P90"),
        "all months, expected".to_string(),
        "all months, P90".to_string(),
    ]);
    if annual {
        headers.push(format!("P({year} over its annual budget)"));
    }
    if monthly {
        headers.push("P(some month over its budget)".into());
        headers.push("riskiest month".into());
    }
    let rows: Vec<Vec<String>> = p
        .points
        .iter()
        .map(|x| {
            let mut row: Vec<String> = x.values.iter().map(|v| escape(v)).collect();
            row.extend([
                usd_se(x.year1.mean, x.year1.se),
                usd(x.year1.p50),
                usd(x.year1.p90),
                usd_se(x.total.mean, x.total.se),
                usd(x.total.p90),
            ]);
            if annual {
                row.push(
                    x.year1_budget
                        .map_or("—".into(), |b| pct_se(b.p_exceed, b.p_exceed_se)),
                );
            }
            if monthly {
                row.push(x.p_any_month_over.map_or("—".into(), |q| pct_se(q.p, q.se)));
                row.push(x.riskiest_month.as_ref().map_or("—".into(), |r| {
                    format!("{} ({})", escape(&month_short(&r.period)), pct(r.p_exceed))
                }));
            }
            row
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    if let Some(chart) = sweep_chart(p.axes, p.points, p.replaced) {
        html.push_str(&Figure::new(
            &chart,
            format!("The expected bill of {year} at each point, with the annual budget where there is one."),
        )?
        .html());
    }
    html.push_str("<h2>Every point</h2>\n");
    html.push_str(&table(&headers, &rows));
    html.push_str(&page::footer(
        p.manifest,
        &format!(
            "Means ± their standard error; percentiles within {:.3}% of the exact order statistics of all trials; probabilities counted exactly over every trial, ± their standard error.",
            100.0 * crate::stats::RELATIVE_ERROR
        ),
    ));
    Ok(html)
}

/// A point in words: `Tasks per active user per working day 4`.
fn point_words(axes: &[SweepAxis], x: &SweepPoint) -> String {
    axes.iter()
        .zip(&x.values)
        .map(|(a, v)| format!("{} {}", input_words(&a.path), value_words(v)))
        .collect::<Vec<_>>()
        .join(", ")
}
