//! `report.html` of `tokencast forecast`: one page a finance team reads top to bottom and can
//! forward. The verdict in words first (year totals, the budgets), then the months (the fan
//! chart with its budget line, the chance of passing each month's budget, spend so far against
//! the annual budget and the month it runs out), where the money goes (by model and task
//! kind), the billing schemes side by side, the stress cases, what drives the bill, and last
//! the assumptions the figures rest on (see [`super::forecast_assumptions`]).
//!
//! Every figure comes from the run's summary; nothing here is recomputed from the trials.

use super::charts::{BarSeries, ChartError, FanChart, FanLine, FanPeriod, MonthlyBars, Unit};
use super::forecast_extras::{fan_chart, headcount_note, tornado_chart};
use super::forecast_split::{SplitBy, has_fixed_charges};
use super::html::escape;
use super::input_label::input_name;
use super::manifest::Manifest;
use super::page::{self, Figure, month_short, month_words, pct, pct_se, table, usd, usd_se, words};
use crate::forecast::Forecast;
use crate::forecast::ForecastSummary;
use crate::forecast::outcome::{Dist, YearSummary};
use crate::forecast::sensitivity::Sensitivity;
use crate::forecast::stress::StressResult;
use crate::stats::Z975;

/// What the page shows.
pub struct ForecastPage<'a> {
    /// The forecast as loaded (for its assumptions).
    pub forecast: &'a Forecast,
    /// The run's summary.
    pub summary: &'a ForecastSummary,
    /// The stress cases, the base case first (empty: none were run).
    pub stress: &'a [StressResult],
    /// The sensitivity analysis, when it was run.
    pub sensitivity: Option<&'a Sensitivity>,
    /// The run's manifest (tool, file, hash, seed, trials, date).
    pub manifest: &'a Manifest,
    /// The forecast against the actual months so far (`forecast --actuals`).
    pub track: Option<&'a crate::forecast::track::Track>,
}

/// The page's charts, drawn as SVG, in page order.
pub struct ForecastFigures {
    fan: Figure,
    p_over: Option<Figure>,
    year_to_date: Option<Figure>,
    runs_out: Option<Figure>,
    by_model: Figure,
    by_task: Figure,
    schemes: Option<Figure>,
    stress: Option<Figure>,
    tornado: Option<Figure>,
    track: Option<Figure>,
}

/// Draws every chart of the page.
pub fn figures(p: &ForecastPage) -> Result<ForecastFigures, ChartError> {
    let s = p.summary;
    let periods: Vec<String> = s.monthly.iter().map(|m| m.period.clone()).collect();
    let fan = Figure::new(
        &fan_chart(s),
        "The monthly bill: in 90% of the simulated futures it falls in the light band, in half of them in the dark band; the line is the median. The dashed line is the monthly budget.",
    )?;
    let p_over = if s.monthly.iter().any(|m| m.monthly_budget.is_some()) {
        let chart = MonthlyBars {
            stem: "forecast_p_over_budget".into(),
            title: "Chance that each month's bill exceeds its monthly budget".into(),
            y_description: "P(bill over budget)".into(),
            unit: Unit::Probability,
            x_description: "Month".into(),
            periods: periods.clone(),
            series: vec![BarSeries {
                name: String::new(),
                values: s
                    .monthly
                    .iter()
                    .map(|m| m.monthly_budget.map_or(0.0, |b| b.p_exceed))
                    .collect(),
            }],
            level: None,
        };
        Some(Figure::new(
            &chart,
            "Each bar is the share of simulated futures in which that month's bill passes the month's budget (counted exactly over every trial).",
        )?)
    } else {
        None
    };
    let annual: Vec<Option<f64>> = s
        .monthly
        .iter()
        .map(|m| {
            s.year_of(m.month)
                .and_then(|y| y.annual_budget.map(|b| b.budget))
        })
        .collect();
    let (year_to_date, runs_out) = if annual.iter().any(Option::is_some) {
        let ytd = FanChart {
            stem: "forecast_year_to_date".into(),
            title: "Spend so far in each year against the annual budget".into(),
            y_description: "Spend since the year began".into(),
            unit: Unit::Usd,
            x_description: "Month".into(),
            periods: s
                .monthly
                .iter()
                .map(|m| fan_period(&m.period, &m.year_to_date_bill))
                .collect(),
            budget: if annual.iter().all(Option::is_some) {
                annual.iter().flatten().copied().collect()
            } else {
                Vec::new()
            },
            lines: Vec::new(),
        };
        let first_over: Vec<f64> = s
            .monthly
            .iter()
            .map(|m| {
                s.year_of(m.month)
                    .and_then(|y| y.annual_budget_exhaustion.as_ref())
                    .and_then(|e| e.first_over.get(&m.period))
                    .map_or(0.0, |e| e.p)
            })
            .collect();
        let runs_out = MonthlyBars {
            stem: "forecast_budget_runs_out".into(),
            title: "Month in which the year's spend first passes its annual budget".into(),
            y_description: "Share of futures".into(),
            unit: Unit::Probability,
            x_description: "Month".into(),
            periods: periods.clone(),
            series: vec![BarSeries {
                name: String::new(),
                values: first_over,
            }],
            level: None,
        };
        (
            Some(Figure::new(
                &ytd,
                "Spend from the first month of each forecast year to the month shown, against that year's annual budget (dashed): where the band crosses the line, the budget runs out in some futures.",
            )?),
            Some(Figure::new(
                &runs_out,
                "The distribution of the month in which the annual budget runs out; what is missing from 100% in a year is the chance that it lasts the whole year.",
            )?),
        )
    } else {
        (None, None)
    };
    let split = |stem: &str, title: &str, by: SplitBy| -> Result<Figure, ChartError> {
        let names: Vec<String> = s.monthly.first().map_or_else(Vec::new, |m| {
            by.month(m).0.iter().map(|(n, _)| n.clone()).collect()
        });
        let mut series: Vec<BarSeries> = names
            .iter()
            .map(|n| BarSeries {
                name: n.clone(),
                values: s
                    .monthly
                    .iter()
                    .map(|m| by.month(m).get(n).map_or(0.0, |d| d.mean.max(0.0)))
                    .collect(),
            })
            .collect();
        if has_fixed_charges(s) {
            series.push(BarSeries {
                name: "fixed charges".into(),
                values: s
                    .monthly
                    .iter()
                    .map(|m| m.fixed_charges.mean.max(0.0))
                    .collect(),
            });
        }
        Figure::new(
            &MonthlyBars {
                stem: stem.into(),
                title: title.into(),
                y_description: "Mean monthly bill".into(),
                unit: Unit::Usd,
                x_description: "Month".into(),
                periods: periods.clone(),
                series,
                level: None,
            },
            "Mean bill per month, stacked; the parts add up to the mean bill (fixed charges, such as seat fees or an unused commitment, belong to no model or task kind).",
        )
    };
    let by_model = split(
        "forecast_by_model",
        "Mean monthly bill by model",
        SplitBy::Model,
    )?;
    let by_task = split(
        "forecast_by_task",
        "Mean monthly bill by task kind",
        SplitBy::Task,
    )?;
    let schemes = if s.schemes.is_empty() {
        None
    } else {
        let mut chart = fan_chart(s);
        chart.stem = "forecast_schemes".into();
        chart.title = format!(
            "Billing schemes: mean monthly bill over the {} bill's fan",
            words(&s.headline)
        );
        chart.budget = Vec::new();
        chart.lines = s
            .schemes
            .iter()
            .enumerate()
            .map(|(i, sc)| FanLine {
                name: format!("{} (mean)", words(&sc.name)),
                values: sc.monthly.iter().map(|m| m.bill.mean).collect(),
                dashed: false,
                colour: i,
            })
            .collect();
        Some(Figure::new(
            &chart,
            "Every scheme bills the same simulated months: the fan is the headline bill, each line another scheme's mean bill.",
        )?)
    };
    let stress = match p.stress.split_first() {
        Some((_, cases)) if !cases.is_empty() => {
            let mut chart = fan_chart(s);
            chart.stem = "forecast_stress".into();
            chart.title = "Stress cases: median and P90 over the base case's fan".into();
            chart.lines = cases
                .iter()
                .enumerate()
                .flat_map(|(i, r)| {
                    [
                        FanLine {
                            name: format!("{}: median", r.name),
                            values: r.months.iter().map(|m| m.bill.p50).collect(),
                            dashed: false,
                            colour: i,
                        },
                        FanLine {
                            name: format!("{}: P90", r.name),
                            values: r.months.iter().map(|m| m.bill.p90).collect(),
                            dashed: true,
                            colour: i,
                        },
                    ]
                })
                .collect();
            Some(Figure::new(
                &chart,
                "Each case runs the same simulated futures with one assumption changed (same seed: the differences are not noise). Solid: the case's median month; dashed: its P90.",
            )?)
        }
        _ => None,
    };
    let tornado = match p.sensitivity {
        Some(sens) if !sens.inputs.is_empty() => Some(Figure::new(
            &tornado_chart(sens),
            "Each bar pins one uncertain input at its low or high value and shows the P90 that results; the longest bars are the assumptions worth checking first.",
        )?),
        _ => None,
    };
    Ok(ForecastFigures {
        fan,
        p_over,
        year_to_date,
        runs_out,
        by_model,
        by_task,
        schemes,
        stress,
        tornado,
        track: p.track.map(super::track::figure).transpose()?,
    })
}

fn fan_period(label: &str, d: &Dist) -> FanPeriod {
    FanPeriod {
        label: label.to_string(),
        p5: d.p5,
        p25: d.p25,
        p50: d.p50,
        p75: d.p75,
        p95: d.p95,
    }
}

/// A year's label with its months in words: `2027 (January to December 2027)`.
fn year_span(y: &YearSummary) -> String {
    format!(
        "{} ({} to {}{})",
        y.label,
        month_words(&y.periods[0]),
        month_words(&y.periods[1]),
        if y.partial { ", part of a year" } else { "" }
    )
}

/// The verdict in words: per year the expected spend and its range, the annual budget's risk
/// and when it runs out; then the monthly budget's risk.
fn verdict(s: &ForecastSummary) -> String {
    let mut out = String::from("<div class=\"verdict\">");
    for y in &s.years {
        let mut text = format!(
            "<b>{}</b>: expected spend <b>{}</b>; in half of the simulated futures it stays below {}, in 9 out of 10 below {}, in 99 out of 100 below {}.",
            escape(&year_span(y)),
            usd_se(y.bill.mean, y.bill.se),
            usd(y.bill.p50),
            usd(y.bill.p90),
            usd(y.bill.p99)
        );
        if let Some(b) = &y.annual_budget {
            text.push_str(&format!(
                " A <b>{}</b> chance that {} exceeds its {} budget",
                pct_se(b.p_exceed, b.p_exceed_se),
                escape(&y.label),
                usd(b.budget)
            ));
            if b.p_exceed > 0.0 {
                text.push_str(&format!(
                    " (expected overrun over all futures {})",
                    usd_se(b.expected_overrun, b.expected_overrun_se)
                ));
            }
            text.push('.');
        }
        if let Some(e) = &y.annual_budget_exhaustion
            && let Some(month) = &e.most_likely_month
        {
            let p = e.first_over.get(month).map_or(0.0, |m| m.p);
            text.push_str(&format!(
                " Where it runs out, it is most likely in {} ({} of futures); it lasts the whole year in {}.",
                escape(&month_words(month)),
                pct(p),
                pct_se(e.p_never, e.p_never_se)
            ));
        }
        if let Some(p) = &y.p_any_month_over_budget {
            text.push_str(&format!(
                " A {} chance that at least one of its months exceeds the monthly budget.",
                pct_se(p.p, p.se)
            ));
        }
        out.push_str(&format!("<p>{text}</p>"));
    }
    if let Some(r) = &s.budget.riskiest_month {
        out.push_str(&format!(
            "<p>Most likely month to break the monthly budget: <b>{}</b>, a {} chance of exceeding its {} budget.</p>",
            escape(&month_words(&r.period)),
            pct_se(r.p_exceed, r.p_exceed_se),
            usd(r.budget)
        ));
    }
    if let Some(p) = &s.budget.p_any_month_over {
        out.push_str(&format!(
            "<p>Over all {} months, a {} chance that at least one month exceeds its monthly budget.</p>",
            s.months,
            pct_se(p.p, p.se)
        ));
    }
    out.push_str(&format!(
        "<p>Over the {} months from {} to {}: expected {}, P90 {}, P99 {}.</p></div>\n",
        s.months,
        escape(
            &s.monthly
                .first()
                .map_or(String::new(), |m| month_words(&m.period))
        ),
        escape(
            &s.monthly
                .last()
                .map_or(String::new(), |m| month_words(&m.period))
        ),
        usd_se(s.total_bill.mean, s.total_bill.se),
        usd(s.total_bill.p90),
        usd(s.total_bill.p99)
    ));
    out
}

fn years_table(s: &ForecastSummary) -> String {
    let annual = s.years.iter().any(|y| y.annual_budget.is_some());
    let monthly = s.years.iter().any(|y| y.p_any_month_over_budget.is_some());
    let mut headers = vec!["year", "expected ± SE", "P50", "P90", "P99"];
    if annual {
        headers.extend(["annual budget", "P(over the annual budget)"]);
    }
    if monthly {
        headers.push("P(some month over its budget)");
    }
    let rows: Vec<Vec<String>> = s
        .years
        .iter()
        .map(|y| {
            let mut row = vec![
                format!(
                    "{}<br><span class=\"note\">{} – {}{}</span>",
                    escape(&y.label),
                    escape(&month_short(&y.periods[0])),
                    escape(&month_short(&y.periods[1])),
                    if y.partial { ", part of a year" } else { "" }
                ),
                usd_se(y.bill.mean, y.bill.se),
                usd(y.bill.p50),
                usd(y.bill.p90),
                usd(y.bill.p99),
            ];
            if annual {
                match &y.annual_budget {
                    Some(b) => row.extend([usd(b.budget), pct_se(b.p_exceed, b.p_exceed_se)]),
                    None => row.extend(["—".into(), "—".into()]),
                }
            }
            if monthly {
                row.push(
                    y.p_any_month_over_budget
                        .map_or("—".into(), |p| pct_se(p.p, p.se)),
                );
            }
            row
        })
        .collect();
    table(&headers, &rows)
}

fn months_table(s: &ForecastSummary) -> String {
    let budget = s.monthly.iter().any(|m| m.monthly_budget.is_some());
    let mut headers = vec![
        "month",
        "seats",
        "tasks",
        "expected bill ± SE",
        "P50",
        "P90",
        "P99",
    ];
    if budget {
        headers.extend(["monthly budget", "P(over budget)"]);
    }
    let rows: Vec<Vec<String>> = s
        .monthly
        .iter()
        .map(|m| {
            let mut row = vec![
                escape(&month_short(&m.period)),
                crate::text::thousands(m.seats.mean),
                crate::text::thousands(m.tasks.mean),
                usd_se(m.bill.mean, m.bill.se),
                usd(m.bill.p50),
                usd(m.bill.p90),
                usd(m.bill.p99),
            ];
            if budget {
                match &m.monthly_budget {
                    Some(b) => row.extend([usd(b.budget), pct_se(b.p_exceed, b.p_exceed_se)]),
                    None => row.extend(["—".into(), "—".into()]),
                }
            }
            row
        })
        .collect();
    table(&headers, &rows)
}

fn runs_out_table(s: &ForecastSummary) -> String {
    let mut out = String::new();
    for y in &s.years {
        let Some(e) = &y.annual_budget_exhaustion else {
            continue;
        };
        let rows: Vec<Vec<String>> = e
            .first_over
            .0
            .iter()
            .filter(|(_, m)| m.p_by_end > 0.0)
            .map(|(period, m)| {
                vec![
                    escape(&month_short(period)),
                    pct_se(m.p, m.se),
                    pct(m.p_by_end),
                ]
            })
            .collect();
        out.push_str(&format!(
            "<h3>{}: annual budget {}</h3>",
            escape(&y.label),
            usd(e.budget)
        ));
        if rows.is_empty() {
            out.push_str(&format!(
                "<p>The annual budget lasts the whole year in every simulated future ({}).</p>\n",
                pct_se(e.p_never, e.p_never_se)
            ));
        } else {
            out.push_str(&table(
                &[
                    "month",
                    "P(runs out in this month)",
                    "P(run out by the month's end)",
                ],
                &rows,
            ));
            out.push_str(&format!(
                "<p class=\"note\">It lasts the whole year in {}.</p>\n",
                pct_se(e.p_never, e.p_never_se)
            ));
        }
    }
    out
}

/// Spend by model or task kind per year: mean, share of the year's mean bill.
fn split_table(s: &ForecastSummary, by: SplitBy) -> String {
    let what = match by {
        SplitBy::Model => "model",
        SplitBy::Task => "task kind",
    };
    let mut headers: Vec<String> = vec![what.to_string()];
    for y in &s.years {
        headers.push(format!("{} expected", y.label));
        headers.push(format!("{} share", y.label));
    }
    let names: Vec<&str> = s.years.first().map_or_else(Vec::new, |y| {
        by.year(y).0.iter().map(|(n, _)| n.as_str()).collect()
    });
    let mut rows: Vec<Vec<String>> = names
        .iter()
        .map(|n| {
            let mut row = vec![escape(n)];
            for y in &s.years {
                match by.year(y).get(n) {
                    Some(d) => {
                        row.push(usd_se(d.mean, d.se));
                        row.push(pct(d.mean / y.bill.mean));
                    }
                    None => row.extend(["—".into(), "—".into()]),
                }
            }
            row
        })
        .collect();
    if has_fixed_charges(s) {
        let mut row = vec!["fixed charges".to_string()];
        for y in &s.years {
            row.push(usd_se(y.fixed_charges.mean, y.fixed_charges.se));
            row.push(pct(y.fixed_charges.mean / y.bill.mean));
        }
        rows.push(row);
    }
    let mut total = vec!["<b>total</b>".to_string()];
    for y in &s.years {
        total.push(format!("<b>{}</b>", usd_se(y.bill.mean, y.bill.se)));
        total.push("100%".into());
    }
    rows.push(total);
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    table(&headers, &rows)
}

fn schemes_section(s: &ForecastSummary) -> String {
    let mut headers = vec!["scheme".to_string(), "kind".to_string()];
    for y in &s.years {
        headers.push(format!("{} expected", y.label));
        headers.push(format!("{} P90", y.label));
    }
    headers.push(format!("{} months expected", s.months));
    let headline_label = |name: &str| format!("{} (headline)", words(name));
    let mut rows = Vec::new();
    // The headline bill is the summary's own; a named headline scheme is in `schemes` too.
    if !s.schemes.iter().any(|sc| sc.headline) {
        let mut row = vec![escape(&headline_label(&s.headline)), "basic".to_string()];
        for y in &s.years {
            row.push(usd_se(y.bill.mean, y.bill.se));
            row.push(usd(y.bill.p90));
        }
        row.push(usd_se(s.total_bill.mean, s.total_bill.se));
        rows.push(row);
    }
    for sc in &s.schemes {
        let name = if sc.headline {
            headline_label(&sc.name)
        } else {
            words(&sc.name)
        };
        let mut row = vec![escape(&name), escape(&words(sc.kind))];
        for d in &sc.years {
            row.push(usd_se(d.mean, d.se));
            row.push(usd(d.p90));
        }
        row.push(usd_se(sc.total.mean, sc.total.se));
        rows.push(row);
    }
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut out = table(&headers, &rows);
    // Each scheme against the headline, paired trial by trial: per year the expected
    // difference with its 95% interval and the chance the scheme costs less.
    let versus: Vec<_> = s
        .schemes
        .iter()
        .filter_map(|sc| sc.versus_headline.as_ref().map(|v| (sc, v)))
        .collect();
    if !versus.is_empty() {
        let mut headers = vec!["scheme against the headline".to_string()];
        for y in &s.years {
            headers.push(format!("{} difference (95% interval)", y.label));
            headers.push(format!("{} chance it costs less", y.label));
        }
        let rows: Vec<Vec<String>> = versus
            .iter()
            .map(|(sc, v)| {
                let mut row = vec![escape(&words(&sc.name))];
                for y in &v.years {
                    row.push(difference(y.mean_difference, y.se));
                    row.push(pct_se(y.p_cheaper.p, y.p_cheaper.se));
                }
                row
            })
            .collect();
        let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
        out.push_str(&table(&headers, &rows));
    }
    // Where each scheme is cheaper than the headline, month by month: the paired difference's
    // 95% interval below zero.
    let mut lines = Vec::new();
    for (sc, v) in &versus {
        let cheaper: Vec<usize> = (0..s.months)
            .filter(|&m| clearly_cheaper(&v.monthly[m]))
            .collect();
        let name = words(&sc.name);
        let text = match cheaper.first() {
            None => format!(
                "{name} never costs less than the headline bill in a month with 95% confidence"
            ),
            Some(_) if cheaper.len() == s.months => {
                format!("{name} costs less than the headline bill in every month (95% confidence)")
            }
            Some(&first) if cheaper == (first..s.months).collect::<Vec<_>>() => {
                let m = &v.monthly[first];
                format!(
                    "{name} costs less than the headline bill from {} on: its break-even (that month it costs {} less, and less in {} of trials)",
                    month_words(&s.monthly[first].period),
                    usd_se(-m.mean_difference, m.se),
                    pct(m.p_cheaper.p)
                )
            }
            Some(&first) => format!(
                "{name} costs less than the headline bill in {} of {} months (95% confidence), the first {}",
                cheaper.len(),
                s.months,
                month_words(&s.monthly[first].period)
            ),
        };
        lines.push(format!("<li>{}.</li>", escape(&text)));
    }
    if !lines.is_empty() {
        out.push_str(&format!("<ul>{}</ul>\n", lines.join("")));
    }
    out.push_str("<p class=\"note\">Means ± their standard error. Every scheme is billed on the same simulated months, so the differences are paired trial by trial: their intervals are narrow and a difference whose interval excludes zero is not noise. A difference is the scheme's bill less the headline's (negative: the scheme costs less). schemes.csv has every percentile, fixed charges, overage, unused commitment, units and utilisation.</p>\n");
    out
}

/// Whether the paired difference's 95% interval lies below zero.
fn clearly_cheaper(v: &crate::forecast::scheme_outcome::Versus) -> bool {
    v.mean_difference + Z975 * v.se < 0.0
}

/// A paired difference with its 95% interval: `−$1,234 (−$1,300 to −$1,168)`.
fn difference(mean: f64, se: f64) -> String {
    // `usd` writes a negative amount as −$…; a positive one gets its sign here.
    let signed = |v: f64| {
        if v < 0.0 {
            usd(v)
        } else {
            format!("+{}", usd(v))
        }
    };
    format!(
        "{} ({} to {})",
        signed(mean),
        signed(mean - Z975 * se),
        signed(mean + Z975 * se)
    )
}

fn stress_section(rows: &[StressResult]) -> String {
    let Some(first) = rows.first() else {
        return String::new();
    };
    let mut headers = vec!["case".to_string()];
    for y in &first.years {
        headers.push(format!("{} expected", y.label));
        headers.push(format!("{} P90", y.label));
    }
    let annual = first.years.iter().any(|y| y.annual_budget.is_some());
    let monthly = first.p_any_month_over_budget.is_some();
    if annual {
        headers.push("P(over an annual budget), worst year".into());
    }
    if monthly {
        headers.push("P(some month over its budget)".into());
        headers.push("riskiest month".into());
    }
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![escape(&r.name)];
            for y in &r.years {
                row.push(usd_se(y.bill.mean, y.bill.se));
                row.push(usd(y.bill.p90));
            }
            if annual {
                row.push(r.worst_annual().map_or("—".into(), pct));
            }
            if monthly {
                row.push(
                    r.p_any_month_over_budget
                        .map_or("—".into(), |p| pct_se(p.p, p.se)),
                );
                row.push(r.riskiest_month().map_or("—".into(), |(period, b)| {
                    format!("{} ({})", escape(&month_short(period)), pct(b.p_exceed))
                }));
            }
            row
        })
        .collect();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut out = table(&headers, &table_rows);
    if first.not_done.is_some() {
        // The work the spend limits leave undone, case by case (a table of its own: the
        // budget table is already as wide as the page).
        let rows: Vec<Vec<String>> = rows
            .iter()
            .map(|r| match &r.not_done {
                Some(n) => vec![
                    escape(&r.name),
                    format!(
                        "{} ± {}",
                        crate::text::about(n.tasks.mean),
                        crate::text::about(n.tasks.se)
                    ),
                    usd_se(n.list_usd.mean, n.list_usd.se),
                ],
                None => vec![escape(&r.name), "—".into(), "—".into()],
            })
            .collect();
        out.push_str("<h3>Work the spend limits leave undone, case by case</h3>\n");
        out.push_str(&table(
            &[
                "case",
                "tasks not done over the horizon ± SE",
                "their value at list prices ± SE",
            ],
            &rows,
        ));
    }
    for r in rows.iter().filter(|r| r.capped()) {
        if let Some(h) = &r.headcount {
            out.push_str(&format!(
                "<p class=\"note\">{}: {}.</p>\n",
                escape(&r.name),
                escape(&headcount_note(h.headcount, h.capped_trials.p))
            ));
        }
    }
    out
}

fn sensitivity_section(sens: &Sensitivity) -> String {
    // Contribution to variance: each input's squared rank correlation over their sum (the
    // usual normalisation of @RISK and Crystal Ball), an approximation that ignores
    // interactions between inputs.
    let total: f64 = sens
        .inputs
        .iter()
        .map(|i| i.rank_correlation * i.rank_correlation)
        .sum();
    let rows: Vec<Vec<String>> = sens
        .inputs
        .iter()
        .map(|i| {
            vec![
                format!(
                    "{}<br><span class=\"note\"><code>{}</code></span>",
                    escape(&input_name(&i.input, i.label.as_deref())),
                    escape(&i.input)
                ),
                super::charts::style::readable(i.low_value),
                super::charts::style::readable(i.high_value),
                usd(i.outcome_p90_low),
                usd(i.outcome_p90_high),
                usd(i.swing),
                format!("{:+.3} ± {:.3}", i.rank_correlation, i.rank_correlation_se),
                if total > 0.0 {
                    pct(i.rank_correlation * i.rank_correlation / total)
                } else {
                    "—".into()
                },
            ]
        })
        .collect();
    let mut out = format!(
        "<p>What moves the P90 of the {} (base P90 {}): each input pinned at its P{:.0} and P{:.0}.</p>\n",
        escape(&sens.outcome),
        usd(sens.base_p90),
        100.0 * sens.low_high_quantiles[0],
        100.0 * sens.low_high_quantiles[1]
    );
    out.push_str(&table(
        &[
            "input",
            "low",
            "high",
            "P90 if low",
            "P90 if high",
            "swing",
            "rank correlation ± SE",
            "share of variance",
        ],
        &rows,
    ));
    out.push_str(&format!(
        "<p class=\"note\">Rank correlations from the first {} trials' (input, outcome) pairs; the share of variance is each input's squared rank correlation over their sum (it ignores interactions between inputs).</p>\n",
        crate::text::thousands(sens.rank_correlation_trials as f64)
    ));
    out
}

/// Renders the page.
pub fn render(p: &ForecastPage, figs: &ForecastFigures) -> String {
    let s = p.summary;
    let first = s
        .monthly
        .first()
        .map_or(String::new(), |m| month_words(&m.period));
    let last = s
        .monthly
        .last()
        .map_or(String::new(), |m| month_words(&m.period));
    let description = p
        .forecast
        .spec
        .forecast
        .description
        .clone()
        .unwrap_or_default();
    let mut html = page::head(
        &s.scenario,
        &description,
        &format!(
            "Forecast of the monthly bill for AI coding agents, {} months from {first} to {last}, in {}. Headline bill: {}.",
            s.months,
            s.currency,
            words(&s.headline)
        ),
    );
    html.push_str("<h2>The answer</h2>\n");
    html.push_str(&verdict(s));
    html.push_str(&years_table(s));
    html.push_str("<h2>Month by month</h2>\n");
    html.push_str(&figs.fan.html());
    if let Some(f) = &figs.p_over {
        html.push_str(&f.html());
    }
    html.push_str(&months_table(s));
    if let (Some(t), Some(f)) = (p.track, &figs.track) {
        html.push_str("<h2>Against the actual spend so far</h2>\n");
        html.push_str(&super::track::sections(t, f, 3));
    }
    if figs.year_to_date.is_some() || figs.runs_out.is_some() {
        html.push_str("<h2>The annual budget</h2>\n");
        for f in [&figs.year_to_date, &figs.runs_out].into_iter().flatten() {
            html.push_str(&f.html());
        }
        html.push_str(&runs_out_table(s));
    }
    if s.limits.is_some() {
        html.push_str("<h2>Work the spend limits leave undone</h2>\n");
        html.push_str(&super::forecast_limits::limits_section(s));
    }
    html.push_str("<h2>Where the money goes</h2>\n");
    html.push_str(&figs.by_model.html());
    html.push_str("<h3>By model</h3>\n");
    html.push_str(&split_table(s, SplitBy::Model));
    html.push_str(&figs.by_task.html());
    html.push_str("<h3>By task kind</h3>\n");
    html.push_str(&split_table(s, SplitBy::Task));
    if !s.schemes.is_empty() {
        html.push_str("<h2>Billing schemes side by side</h2>\n");
        if let Some(f) = &figs.schemes {
            html.push_str(&f.html());
        }
        html.push_str(&schemes_section(s));
    }
    if !p.stress.is_empty() {
        html.push_str("<h2>Stress cases</h2>\n");
        if let Some(f) = &figs.stress {
            html.push_str(&f.html());
        }
        html.push_str(&stress_section(p.stress));
    }
    if let Some(sens) = p.sensitivity.filter(|s| !s.inputs.is_empty()) {
        html.push_str("<h2>What drives the bill</h2>\n");
        if let Some(f) = &figs.tornado {
            html.push_str(&f.html());
        }
        html.push_str(&sensitivity_section(sens));
    }
    html.push_str("<h2>Assumptions</h2>\n");
    html.push_str(&super::forecast_assumptions::assumptions(p.forecast, s));
    html.push_str(&page::footer(
        p.manifest,
        &format!(
            "Expected values are means ± their standard error; percentiles (P50: half of the futures cost less, P90: 9 in 10) are within {:.3}% of the exact order statistics of all trials; probabilities are counted exactly over every trial, ± their standard error.",
            100.0 * s.percentile_relative_error
        ),
    ));
    html
}
