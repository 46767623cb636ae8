//! `report.html` of `tokencast compare FORECAST`: the forecast's bills on the same simulated
//! futures, for an analyst to forward. The verdict in words (the cheapest bill over the
//! horizon, how sure that is, each year's cheapest), the break-evens in words with their 95%
//! intervals and the chart, the bills side by side per year, the paired differences, what each
//! bill is, and the footer.

use super::charts::ChartError;
use super::compare_forecast::bill_words;
use super::compare_forecast::{break_even_chart, crossing_words, no_crossing_words};
use super::html::escape;
use super::manifest::Manifest;
use super::page::{self, Figure, pct_se, table, usd, usd_se};
use crate::forecast::scheme_pairs::ForecastComparison;

/// What the page shows.
pub struct Page<'a> {
    /// The forecast's description (may be empty).
    pub description: &'a str,
    /// The comparison.
    pub comparison: &'a ForecastComparison,
    /// The run's manifest.
    pub manifest: &'a Manifest,
}

/// The cheapest bill on average over `period` (`None`: the horizon; else a year) and, against
/// every other bill, P(it is cheaper) and the mean saving.
fn verdict(c: &ForecastComparison, year: Option<usize>) -> Option<(String, Vec<String>)> {
    let mean = |i: usize| match year {
        None => c.bills[i].total.mean,
        Some(y) => c.bills[i].years[y].mean,
    };
    let best = (0..c.bills.len()).min_by(|&a, &b| mean(a).total_cmp(&mean(b)))?;
    let name = &c.bills[best].bill.name;
    let lines = c
        .pairs
        .iter()
        .filter_map(|pair| {
            let v = match year {
                None => pair.total,
                Some(y) => pair.years[y],
            };
            if &pair.a == name {
                Some((&pair.b, v.p_cheaper, -v.mean_difference, v.se))
            } else if &pair.b == name {
                let p_b = match year {
                    None => pair.p_b_cheaper_total,
                    Some(y) => pair.p_b_cheaper_years[y],
                };
                Some((&pair.a, p_b, v.mean_difference, v.se))
            } else {
                None
            }
        })
        .map(|(other, p, saving, se)| {
            format!(
                "than {}: cheaper in {} of futures, by {} on average",
                bill_words(other),
                pct_se(p.p, p.se),
                usd_se(saving, se)
            )
        })
        .collect();
    Some((name.clone(), lines))
}

/// One period of a paired difference in a table cell: the mean difference ± SE over the
/// share of futures in which `a` is cheaper.
fn difference_cell(v: &crate::forecast::scheme_outcome::Versus) -> String {
    format!(
        "{}<br>{} cheaper",
        usd_se(v.mean_difference, v.se),
        pct_se(v.p_cheaper.p, v.p_cheaper.se)
    )
}

/// The headers of a table's paired-difference columns: one per year and the whole forecast.
fn difference_headers(c: &ForecastComparison) -> Vec<String> {
    c.year_labels
        .iter()
        .map(String::as_str)
        .chain(["whole forecast"])
        .map(|label| format!("{label}: a − b ± SE, P(a cheaper)"))
        .collect()
}

/// A bill's name in a sentence: `the basic bill`, `seat plan`.
fn the(name: &str) -> String {
    if name == "basic" {
        "the basic bill".into()
    } else {
        bill_words(name)
    }
}

/// `text` with its first letter upper-case.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Draws the page's chart and renders it.
pub fn render(p: &Page) -> Result<String, ChartError> {
    let c = p.comparison;
    let span = match (c.months.first(), c.months.last()) {
        (Some(a), Some(b)) => format!("{} to {}", page::month_words(a), page::month_words(b)),
        _ => String::new(),
    };
    let mut html = page::head(
        &c.scenario,
        p.description,
        &format!(
            "The forecast's bills compared on the same {} simulated futures, {span}.",
            crate::text::thousands(c.trials as f64)
        ),
    );
    html.push_str("<h2>The answer</h2>\n<div class=\"verdict\">");
    if let Some((best, lines)) = verdict(c, None) {
        let b = c.bills.iter().find(|b| b.bill.name == best);
        html.push_str(&format!(
            "<p>Over the whole forecast the cheapest bill on average is <b>{}</b>, at {}.</p>",
            escape(&the(&best)),
            b.map_or(String::new(), |b| usd_se(b.total.mean, b.total.se))
        ));
        if !lines.is_empty() {
            let items: Vec<String> = lines
                .iter()
                .map(|l| format!("<li>{}</li>", escape(l)))
                .collect();
            html.push_str(&format!("<ul>{}</ul>", items.join("")));
        }
    }
    for (y, label) in c.year_labels.iter().enumerate() {
        if let Some((best, _)) = verdict(c, Some(y)) {
            let b = c.bills.iter().find(|b| b.bill.name == best);
            html.push_str(&format!(
                "<p>In {}: <b>{}</b> is cheapest on average, at {}.</p>",
                escape(label),
                escape(&the(&best)),
                b.map_or(String::new(), |b| usd_se(b.years[y].mean, b.years[y].se))
            ));
        }
    }
    if let Some(run) = &c.along {
        let lines: Vec<String> = run
            .break_even
            .iter()
            .filter(|b| b.period == "total")
            .flat_map(|b| {
                if b.crossings.is_empty() {
                    vec![no_crossing_words(b, run)]
                } else {
                    b.crossings
                        .iter()
                        .map(|x| crossing_words(b, x, run))
                        .collect()
                }
            })
            .map(|l| format!("<li>{}.</li>", escape(&capitalised(&l))))
            .collect();
        html.push_str(&format!(
            "<p>Break-even over the whole forecast, as {} varies:</p><ul>{}</ul>",
            escape(&super::compare_forecast::along_words(&run.path)),
            lines.join("")
        ));
    }
    html.push_str("</div>\n");

    html.push_str("<h2>The bills side by side</h2>\n");
    let mut headers: Vec<String> = vec!["bill".into(), "kind".into()];
    for label in c
        .year_labels
        .iter()
        .map(String::as_str)
        .chain(["whole forecast"])
    {
        headers.push(format!("{label} ± SE"));
    }
    headers.push("whole forecast P90".into());
    let rows: Vec<Vec<String>> = c
        .bills
        .iter()
        .map(|b| {
            let mut row = vec![
                escape(&format!(
                    "{}{}",
                    bill_words(&b.bill.name),
                    if b.bill.headline { " (headline)" } else { "" }
                )),
                escape(&bill_words(b.bill.kind)),
            ];
            for d in b.years.iter().chain([&b.total]) {
                row.push(usd_se(d.mean, d.se));
            }
            row.push(usd(b.total.p90));
            row
        })
        .collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    html.push_str(&table(&header_refs, &rows));

    if let Some(run) = &c.along
        && let Some(chart) = break_even_chart(run)
    {
        let figure = Figure::new(
            &chart,
            format!(
                "Each bill's mean over the whole forecast as {} varies ({} points of {} futures on the same seed; 95% bands of the mean): where two lines cross, the bills break even, and the label names both.",
                super::compare_forecast::along_words(&run.path),
                run.points.len(),
                crate::text::thousands(run.trials as f64)
            ),
        )?;
        html.push_str("<h2>Break-even</h2>\n");
        html.push_str(&figure.html());
    }

    html.push_str("<h2>Paired differences</h2>\n");
    let mut headers: Vec<String> = vec!["a − b".into()];
    headers.extend(difference_headers(c));
    let rows: Vec<Vec<String>> = c
        .pairs
        .iter()
        .map(|pair| {
            let mut row = vec![escape(&format!(
                "{} − {}",
                bill_words(&pair.a),
                bill_words(&pair.b)
            ))];
            for v in pair.years.iter().chain([&pair.total]) {
                row.push(difference_cell(v));
            }
            row
        })
        .collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    html.push_str(&table(&header_refs, &rows));
    html.push_str("<p class=\"note\">Every bill is priced on the same simulated futures (common random numbers), so a difference's standard error is that of the paired differences, far smaller than either bill's spread. Month-by-month differences are in compare_pairs.csv.</p>\n");

    if let Some(first) = c.levers.first() {
        html.push_str("<h2>Levers: the stress cases</h2>\n");
        let mut headers: Vec<String> = vec!["case".into()];
        headers.extend(difference_headers(c));
        let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
        let mut most = Vec::new();
        for (i, pair) in first.pairs.iter().enumerate() {
            let rows: Vec<Vec<String>> = c
                .levers
                .iter()
                .map(|l| {
                    let v = &l.pairs[i];
                    let mut row = vec![escape(&l.case)];
                    for x in v.years.iter().chain([&v.total]) {
                        row.push(difference_cell(x));
                    }
                    row
                })
                .collect();
            html.push_str(&format!(
                "<h3>a − b = {} − {}</h3>\n",
                escape(&bill_words(&pair.a)),
                escape(&bill_words(&pair.b))
            ));
            html.push_str(&table(&header_refs, &rows));
            if let Some((case, base, moved)) = super::compare_forecast::biggest_lever(c, i) {
                most.push(format!(
                    "<li>{a} − {b}: <b>{}</b> moves it most over the whole forecast, from {} to {} ({} is cheaper by {} on average under it).</li>",
                    escape(case),
                    usd(base),
                    usd(moved),
                    escape(&if moved < 0.0 { the(&pair.a) } else { the(&pair.b) }),
                    usd(moved.abs()),
                    a = escape(&bill_words(&pair.a)),
                    b = escape(&bill_words(&pair.b)),
                ));
            }
        }
        html.push_str(&format!(
            "<p>Each case reruns the forecast with its change on the same seed, so its differences from the base are the change's effect, not noise.</p><ul>{}</ul>\n",
            most.join("")
        ));
    }
    html.push_str("<h2>Assumptions</h2>\n<ul class=\"assumptions\">");
    for b in &c.bills {
        html.push_str(&format!(
            "<li><b>{}</b> ({}): {}.</li>",
            escape(&bill_words(&b.bill.name)),
            escape(&bill_words(b.bill.kind)),
            escape(&b.bill.description)
        ));
    }
    html.push_str("</ul>\n");
    html.push_str(&page::footer(
        p.manifest,
        &format!(
            "Means ± their standard error over {} simulated futures; P90 from the streamed distribution of every future; probabilities ± their standard error.{}",
            crate::text::thousands(c.trials as f64),
            c.along.as_ref().map_or(String::new(), |r| format!(
                " The break-even sweep reruns the forecast at {} values of {} ({}), {} futures each, on the same seed; each crossing's 95% interval is where the paired difference's 95% band contains zero.",
                r.points.len(),
                super::compare_forecast::along_words(&r.path),
                r.path,
                crate::text::thousands(r.trials as f64)
            ))
        ),
    ));
    Ok(html)
}
