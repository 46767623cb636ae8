//! `report.html` of `tokencast compare`: the billing schemes priced on the same simulated
//! usage, for an analyst to forward. The verdict in words (the cheapest scheme on average, how
//! sure that is, the break-evens), the schemes side by side, the paired differences, both
//! charts inline, what each scheme is, and the footer.

use super::charts::ChartError;
use super::compare::{break_even_chart, cdf_chart};
use super::html::escape;
use super::manifest::Manifest;
use super::page::{self, Figure, pct_se, table, usd, usd_se, words};
use crate::engine::compare::{Comparison, NamedScheme, SweepAxis};
use crate::forecast::describe;

/// What the page shows.
pub struct ComparePage<'a> {
    /// The scenario's name.
    pub name: &'a str,
    /// Its description (may be empty).
    pub description: &'a str,
    /// Seats of the workload.
    pub seats: u32,
    /// The schemes as configured, in the comparison's order.
    pub schemes: &'a [NamedScheme],
    /// The comparison.
    pub comparison: &'a Comparison,
    /// The run's manifest.
    pub manifest: &'a Manifest,
}

/// Draws the page's charts and renders it.
pub fn render(p: &ComparePage) -> Result<String, ChartError> {
    let c = p.comparison;
    let mut figures = Vec::new();
    if let Some(cdf) = cdf_chart(c) {
        figures.push(Figure::new(
            &cdf,
            "For each bill x, the share of simulated months that cost at most x under each scheme: the curve furthest left is cheapest; where curves cross, which scheme is cheaper depends on the month.",
        )?);
    }
    if let Some(chart) = break_even_chart(c) {
        figures.push(Figure::new(
            &chart,
            format!("Each scheme's mean monthly bill against {} (95% bands of the mean, the widest stated in the legend): where two lines cross, the schemes break even, and the label names both; the dashed vertical line marks the current value.", c.along_names.unit_words),
        )?);
    }
    let mut html = page::head(
        p.name,
        p.description,
        &format!(
            "Billing schemes compared on the same simulated usage: {} months of {} seats, tasks per month {} (P50 {}, P90 {}).",
            crate::text::thousands(c.periods as f64),
            crate::text::thousands(p.seats as f64),
            crate::text::thousands(c.tasks.mean),
            crate::text::thousands(c.tasks.p50),
            crate::text::thousands(c.tasks.p90)
        ),
    );
    html.push_str("<h2>The answer</h2>\n<div class=\"verdict\">");
    let cheapest = c
        .schemes
        .iter()
        .min_by(|a, b| a.cost_usd.mean.total_cmp(&b.cost_usd.mean));
    if let Some(best) = cheapest {
        html.push_str(&format!(
            "<p>On average the cheapest scheme for this usage is <b>{}</b>, at {} a month.</p>",
            escape(&words(&best.name)),
            usd_se(best.cost_usd.mean, best.cost_usd.se)
        ));
        // Each pair seen from the cheapest scheme: the other scheme, P(best is cheaper) and
        // the mean saving (the pair's difference is a − b).
        let against: Vec<String> = c
            .pairs
            .iter()
            .filter_map(|pair| {
                let (p, d) = (pair.p_a_cheaper, pair.difference_usd);
                if pair.a == best.name {
                    Some((&pair.b, p.mean, p.se, -d.mean, d.se))
                } else if pair.b == best.name {
                    Some((&pair.a, 1.0 - p.mean, p.se, d.mean, d.se))
                } else {
                    None
                }
            })
            .map(|(other, p, p_se, saving, saving_se)| {
                format!(
                    "<li>than {}: cheaper in {} of months, by {} a month on average</li>",
                    escape(&words(other)),
                    pct_se(p, p_se),
                    usd_se(saving, saving_se)
                )
            })
            .collect();
        if !against.is_empty() {
            html.push_str(&format!("<ul>{}</ul>", against.join("")));
        }
    }
    let mut stated = Vec::new();
    for b in &c.break_even {
        for x in &b.crossings {
            stated.push(words(&x.words));
        }
    }
    if !stated.is_empty() {
        html.push_str(&format!(
            "<p>Break-even (current value {} {}):</p><ul>{}</ul>",
            escape(&c.along_names.format(c.along_current)),
            escape(&c.along_names.unit_words),
            stated
                .iter()
                .map(|t| format!("<li>{}.</li>", escape(t)))
                .collect::<String>()
        ));
    }
    html.push_str("</div>\n");

    html.push_str("<h2>The schemes side by side</h2>\n");
    let rows: Vec<Vec<String>> = c
        .schemes
        .iter()
        .map(|s| {
            let mut notes = Vec::new();
            if s.overage_usd.mean > 0.0 {
                notes.push(format!(
                    "overage {}",
                    usd_se(s.overage_usd.mean, s.overage_usd.se)
                ));
            }
            if s.unused_commitment_usd.mean > 0.0 {
                notes.push(format!(
                    "unused commitment {}",
                    usd_se(s.unused_commitment_usd.mean, s.unused_commitment_usd.se)
                ));
            }
            if s.throttled_tasks.mean > 0.0 {
                notes.push(format!(
                    "{} tasks a month throttled",
                    crate::text::thousands(s.throttled_tasks.mean)
                ));
            }
            if s.kind == "compute_hours" {
                notes.push(format!(
                    "{} units, utilisation {}",
                    crate::text::thousands(s.units.mean),
                    pct_se(s.utilisation.mean, s.utilisation.se)
                ));
            } else if s.units.mean > 0.0 {
                notes.push(format!(
                    "{} consumption units",
                    crate::text::thousands(s.units.mean)
                ));
            }
            vec![
                escape(&words(&s.name)),
                escape(&words(s.kind)),
                usd_se(s.cost_usd.mean, s.cost_usd.se),
                usd(s.cost_usd.p50),
                usd(s.cost_usd.p90),
                usd(s.cost_usd.p99),
                format!("<div class=\"wrap\">{}</div>", escape(&notes.join("; "))),
            ]
        })
        .collect();
    html.push_str(&table(
        &[
            "scheme",
            "kind",
            "monthly bill ± SE",
            "P50",
            "P90",
            "P99",
            "of which",
        ],
        &rows,
    ));
    if let Some(f) = figures.first() {
        html.push_str(&f.html());
    }
    html.push_str("<h2>Paired differences</h2>\n");
    let rows: Vec<Vec<String>> = c
        .pairs
        .iter()
        .map(|pair| {
            vec![
                escape(&format!("{} − {}", words(&pair.a), words(&pair.b))),
                usd_se(pair.difference_usd.mean, pair.difference_usd.se),
                pct_se(pair.p_a_cheaper.mean, pair.p_a_cheaper.se),
            ]
        })
        .collect();
    html.push_str(&table(
        &["a − b", "difference a month ± SE", "P(a cheaper)"],
        &rows,
    ));
    html.push_str("<p class=\"note\">Every scheme bills the same simulated months (common random numbers), so a difference's standard error is that of the paired differences, far smaller than either bill's spread.</p>\n");
    if figures.len() > 1 {
        html.push_str("<h2>Break-even</h2>\n");
        html.push_str(&figures[1].html());
    }
    html.push_str("<h2>Assumptions</h2>\n<ul class=\"assumptions\">");
    for s in p.schemes {
        html.push_str(&format!(
            "<li><b>{}</b> ({}): {}.</li>",
            escape(&words(&s.name)),
            escape(&words(s.scheme.kind())),
            escape(&describe::scheme(&s.scheme))
        ));
    }
    html.push_str("</ul>\n");
    html.push_str(&page::footer(
        p.manifest,
        &format!(
            "Means ± their standard error over {} simulated months{}; percentiles are the months' order statistics; probabilities ± their standard error. {}",
            crate::text::thousands(c.periods as f64),
            if c.tasks_from == "pooled" {
                format!(
                    " whose tasks are drawn from {} pre-simulated pools of {} tasks (standard errors by batch means over the pools, so they include the pools' own sampling error)",
                    c.pools,
                    crate::text::thousands(c.pool_size as f64)
                )
            } else {
                String::new()
            },
            if c.sweep.is_empty() {
                String::new()
            } else {
                format!(
                    "The break-even sweep reruns the usage at {} levels of {} {}; each crossing's 95% interval is where the band of the paired difference contains zero.",
                    c.sweep.len(),
                    c.along_names.unit_words,
                    if SweepAxis::from_path(&c.along).is_some() {
                        "on the same pools"
                    } else {
                        "with the scenario's seed at every level (its pools simulated anew from the same random streams, so the levels share their randomness)"
                    }
                )
            }
        ),
    ));
    Ok(html)
}
