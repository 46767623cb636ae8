//! The assumptions section of the forecast report: the seats curve and its spread, usage, the
//! task mix with each kind's cost per task, the drifts, the rate card (every model's prices
//! with their source and as-of date), the billing schemes, the budgets, the stress cases and
//! how the simulation aggregates. The wording is [`crate::forecast::describe`]'s, shared with
//! `tokencast validate`.

use super::html::escape;
use super::page::{month_words, table, words};
use crate::dist::DistSpec;
use crate::forecast::describe;
use crate::forecast::{Forecast, ForecastSummary};
use crate::pricing::TokenKind;

/// The section's HTML.
pub fn assumptions(f: &Forecast, s: &ForecastSummary) -> String {
    let (spec, model) = (&f.spec, &f.model);
    let mut out = String::new();
    out.push_str("<h3>Seats</h3>\n<ul class=\"assumptions\">");
    out.push_str(&format!(
        "<li>Seats follow a {}.</li>",
        escape(&describe::seats_curve_with(f, DistSpec::words))
    ));
    if let Some(h) = model.headcount {
        out.push_str(&format!(
            "<li>Never more seats than the headcount, {}.</li>",
            crate::text::thousands(h)
        ));
    }
    out.push_str("</ul>\n");
    let spread: Vec<Vec<String>> = describe::seats_spread(f)
        .into_iter()
        .map(|r| {
            vec![
                escape(&month_words(&r.period)),
                crate::text::thousands(r.p10),
                crate::text::thousands(r.p50),
                crate::text::thousands(r.p90),
            ]
        })
        .collect();
    out.push_str(&table(
        &["month", "seats P10", "seats P50", "seats P90"],
        &spread,
    ));
    out.push_str(&format!(
        "<p class=\"note\">The spread of the curve alone, over {} draws of its uncertain inputs.</p>\n",
        crate::text::thousands(describe::SEAT_DRAWS as f64)
    ));

    let u = &spec.usage;
    let counts = describe::counts_with(u, DistSpec::words);
    out.push_str("<h3>Usage</h3>\n<ul class=\"assumptions\">");
    out.push_str(&format!(
        "<li>Share of seats active in a month: {}.</li><li>Tasks per active user per working day: {} ({}).</li>",
        escape(&u.active_share.words()),
        escape(&u.tasks_per_day.words()),
        escape(&counts)
    ));
    if let Some(sigma) = &u.intensity_sigma {
        out.push_str(&format!(
            "<li>Heavy and light users: each user's intensity each month is log-normal with sigma {}.</li>",
            escape(&sigma.words())
        ));
    }
    let days: Vec<String> = model.working_days.iter().map(u32::to_string).collect();
    out.push_str(&format!(
        "<li>Working days by month: {}; {} working hours a day.</li></ul>\n",
        days.join(", "),
        model.hours_per_day
    ));

    out.push_str("<h3>Task mix</h3>\n");
    let total_weight: f64 = model.tasks.iter().map(|t| t.weight).sum();
    let rows: Vec<Vec<String>> = model
        .tasks
        .iter()
        .zip(&spec.tasks)
        .map(|(t, ts)| {
            let summary = s.tasks.iter().find(|x| x.name == t.name);
            vec![
                escape(&t.name),
                format!("{:.1}%", 100.0 * t.weight / total_weight),
                summary.map_or("—".into(), |x| {
                    format!("${:.4} ± {:.4}", x.mean_cost, x.mean_cost_se)
                }),
                crate::text::thousands(t.pool.stats.mean_tokens),
                crate::text::thousands(t.pool.len() as f64),
                match &t.history {
                    Some(h) => format!(
                        "logs <code>{}</code>: {}",
                        escape(&h.path),
                        escape(&h.words())
                    ),
                    None => format!("<code>{}</code>", escape(ts.source())),
                },
            ]
        })
        .collect();
    out.push_str(&table(
        &[
            "task kind",
            "share of tasks (month 1)",
            "list cost per task",
            "tokens per task",
            "tasks drawn from (simulated or logged)",
            "task file",
        ],
        &rows,
    ));
    if model.tasks.iter().any(|t| t.history.is_some()) {
        out.push_str("<p class=\"note\">A task kind read from logs is resampled: a month's tasks of that kind are logged tasks drawn at random (with replacement), each priced from its logged tokens per model at the catalog's list prices. The other kinds are workflows the task engine simulates call by call (context growth, caching, retries); a month's tasks draw from these simulated tasks. Costs at list prices, before drifts and discounts.</p>\n");
    } else {
        out.push_str("<p class=\"note\">Each task kind is a workflow the task engine simulates call by call (context growth, caching, retries); a month's tasks draw from these simulated tasks. Costs at list prices, before drifts and discounts.</p>\n");
    }

    let d = &spec.drift;
    let show = |x: &Option<crate::dist::DistSpec>| {
        x.as_ref().map_or("no change".to_string(), |v| {
            format!("{} per month", v.words())
        })
    };
    out.push_str("<h3>Drifts (compounding from month 1)</h3>\n<ul class=\"assumptions\">");
    out.push_str(&format!(
        "<li>Tokens per task: {}.</li><li>Prices: {}.</li>",
        escape(&show(&d.tokens_per_task)),
        escape(&show(&d.price))
    ));
    for m in &d.mix_shift {
        out.push_str(&format!(
            "<li>From {} to {}: {} of its weight per month, at most {}.</li>",
            escape(&m.from),
            escape(&m.to),
            escape(&m.per_month.words()),
            m.max.unwrap_or(1.0)
        ));
    }
    out.push_str("</ul>\n");

    out.push_str("<h3>Rate card</h3>\n");
    out.push_str(&rate_card(f));

    out.push_str("<h3>Billing</h3>\n<ul class=\"assumptions\">");
    for (name, kind, text, headline) in describe::schemes(model) {
        out.push_str(&format!(
            "<li><b>{}</b>{}: {}{}.</li>",
            escape(&words(&name)),
            if kind == "basic" {
                String::new()
            } else {
                format!(" ({})", escape(&words(kind)))
            },
            escape(&text),
            if headline {
                " — the headline bill (budgets, stress cases and the fan chart use it)"
            } else {
                ""
            }
        ));
    }
    out.push_str("</ul>\n");

    let b = &model.budget;
    if b.monthly.is_some() || b.annual.is_some() {
        out.push_str("<h3>Budgets</h3>\n<ul class=\"assumptions\">");
        if let Some(m) = &b.monthly {
            out.push_str(&format!(
                "<li>Monthly: {}.</li>",
                escape(&describe::budget_amounts(m))
            ));
        }
        if let Some(a) = &b.annual {
            out.push_str(&format!(
                "<li>Annual: {}.</li>",
                escape(&describe::budget_amounts(a))
            ));
        }
        out.push_str(&format!(
            "<li>Years begin in {} ({}).</li></ul>\n",
            s.budget.fiscal_year_start_name,
            if s.budget.fiscal_year_start_set {
                "the fiscal year"
            } else {
                "calendar years"
            }
        ));
    }

    if !spec.stress.is_empty() {
        out.push_str("<h3>Stress cases</h3>\n<ul class=\"assumptions\">");
        for c in &spec.stress {
            let mut parts: Vec<String> = describe::stress_factors(c)
                .iter()
                .map(|p| escape(p))
                .collect();
            parts.extend(c.set.iter().map(|(k, v)| {
                format!(
                    "{} (<code>{}</code>) set to {}",
                    escape(&super::input_label::input_words(k)),
                    escape(k),
                    escape(&v.to_string())
                )
            }));
            out.push_str(&format!(
                "<li><b>{}</b>: {}.</li>",
                escape(&c.name),
                parts.join(", ")
            ));
        }
        out.push_str("</ul>\n");
    }
    let a = &model.aggregation;
    out.push_str(&format!(
        "<h3>Method</h3>\n<p class=\"note\">Each trial is one possible future of the organisation: its uncertain inputs are drawn once, then every month its seats, active users and their tasks. Users are drawn one by one up to {} active users and tasks summed one by one up to {} of a kind a month; beyond, a validated moment-matched aggregation. {} uncertain inputs.</p>\n",
        a.exact_users_max,
        a.exact_tasks_max,
        model.uncertain_inputs().len()
    ));
    out
}

/// A source as HTML: addresses and file paths (words with a `/`) set as code.
fn cite(source: &str) -> String {
    source
        .split(' ')
        .map(|w| {
            if w.contains('/') {
                let (word, tail) = match w.strip_suffix([';', ',', ')']) {
                    Some(word) => (word, &w[word.len()..]),
                    None => (w, ""),
                };
                format!("<code>{}</code>{}", escape(word), escape(tail))
            } else {
                escape(w)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every model the task kinds use, with its list prices per million tokens, its batch rates,
/// and where the prices come from.
fn rate_card(f: &Forecast) -> String {
    let mut rows = Vec::new();
    for (t, ts) in f.model.tasks.iter().zip(&f.spec.tasks) {
        for m in &t.rates {
            let source = match &m.catalog {
                Some(c) => format!(
                    "catalog entry <code>{}</code>{}: {} (as of {})",
                    escape(&c.name),
                    if m.inline {
                        ", some rates overridden in the task file"
                    } else {
                        ""
                    },
                    if c.source.is_empty() {
                        "no source stated".to_string()
                    } else {
                        cite(&c.source)
                    },
                    escape(if c.as_of.is_empty() {
                        "no date stated"
                    } else {
                        &c.as_of
                    })
                ),
                None => format!(
                    "written in <code>{}</code> (no source or date given there)",
                    escape(ts.source())
                ),
            };
            let rate = |k: TokenKind| {
                format!(
                    "${}",
                    super::charts::style::significant(m.prices.rate(k), 4)
                )
            };
            rows.push(vec![
                format!(
                    "{} <span class=\"note\">({})</span>",
                    escape(&m.name),
                    escape(&t.name)
                ),
                rate(TokenKind::Input),
                rate(TokenKind::Output),
                rate(TokenKind::CacheWrite),
                rate(TokenKind::CacheRead),
                rate(TokenKind::Reasoning),
                if m.prices.batch_per_mtok.is_some() {
                    "yes"
                } else {
                    "—"
                }
                .to_string(),
                format!("<div class=\"wrap\">{source}</div>"),
            ]);
        }
    }
    let mut out = table(
        &[
            "model (task kind)",
            "input",
            "output",
            "cache write",
            "cache read",
            "reasoning",
            "batch rates",
            "source",
        ],
        &rows,
    );
    out.push_str("<p class=\"note\">List prices in USD per million tokens (prompt-length tiers, where a model has them, are applied call by call). The price drift and each scheme's discounts apply on top.</p>\n");
    out
}
