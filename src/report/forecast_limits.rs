//! The work a forecast's `[limits]` leaves undone, in words, in a table and as `limits.csv`:
//! per year and over the horizon, tasks not done and their value at list prices with their
//! standard errors and their share of the work; per month, the users at the per-user limit.

use super::html::escape;
use super::page::{month_short, pct, table, usd, usd_se};
use crate::forecast::ForecastSummary;
use crate::forecast::outcome::{LimitsSummary, NotDone};
use crate::text::about;

/// The limits in words (see [`crate::forecast::describe::limits_words`]).
pub fn limits_words(l: &LimitsSummary) -> String {
    crate::forecast::describe::limits_words(l.per_user_monthly_usd, l.monthly_usd)
}

/// Share of the work not done: value not done over the value of all the work asked for.
fn share(not_done: &NotDone, list_done: f64) -> f64 {
    let asked = list_done + not_done.list_usd.mean;
    if asked > 0.0 {
        not_done.list_usd.mean / asked
    } else {
        0.0
    }
}

/// One line of the terminal table or the page: "12,345 ± 120 tasks not done, worth $61,234 ±
/// 600 at list prices (3.1% of the work)".
fn not_done_words(n: &NotDone, list_done: f64) -> String {
    format!(
        "{} ± {} tasks not done, worth {} at list prices ({} of the work asked for)",
        about(n.tasks.mean),
        about(n.tasks.se),
        usd_se(n.list_usd.mean, n.list_usd.se),
        pct(share(n, list_done))
    )
}

/// List value of the work done in months `first..=last` (1-based), the means summed.
fn list_done(s: &ForecastSummary, first: usize, last: usize) -> f64 {
    s.monthly[first - 1..last]
        .iter()
        .map(|m| m.list_cost.mean)
        .sum()
}

/// The terminal lines (empty without limits).
pub fn limits_lines(s: &ForecastSummary) -> String {
    let Some(l) = &s.limits else {
        return String::new();
    };
    let mut out = format!(
        "\n  spend limits ({}): work beyond them is not done\n",
        limits_words(l)
    );
    for y in &s.years {
        if let Some(n) = &y.not_done {
            out.push_str(&format!(
                "    {}: {}\n",
                y.label,
                not_done_words(n, list_done(s, y.months[0], y.months[1]))
            ));
        }
    }
    out.push_str(&format!(
        "    all {} months: {}\n",
        s.months,
        not_done_words(&l.not_done, list_done(s, 1, s.months))
    ));
    out
}

/// `limits.csv`: per month, users at the per-user limit, tasks not done and their list value
/// (mean, SE, P90); `None` without limits.
pub fn limits_csv(s: &ForecastSummary) -> Option<String> {
    s.limits.as_ref()?;
    let mut out = String::from(
        "month,period,users_at_limit_mean,tasks_not_done_mean,tasks_not_done_se,tasks_not_done_p90,list_not_done_mean_usd,list_not_done_se_usd,list_not_done_p90_usd,list_done_mean_usd\n",
    );
    for m in &s.monthly {
        let Some(n) = &m.not_done else { continue };
        out.push_str(&format!(
            "{},{},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2},{:.2}\n",
            m.month,
            m.period,
            n.users_at_limit.as_ref().map_or(0.0, |u| u.mean),
            n.tasks.mean,
            n.tasks.se,
            n.tasks.p90,
            n.list_usd.mean,
            n.list_usd.se,
            n.list_usd.p90,
            m.list_cost.mean
        ));
    }
    Some(out)
}

/// The page's section (empty without limits).
pub fn limits_section(s: &ForecastSummary) -> String {
    let Some(l) = &s.limits else {
        return String::new();
    };
    let mut html = format!(
        "<p>The organisation limits spend to {}. Work beyond a limit is not done: it is left out \
         of every bill above and counted here. Over the {} months the limits leave {}.</p>\n",
        escape(&limits_words(l)),
        s.months,
        escape(&not_done_words(&l.not_done, list_done(s, 1, s.months)))
    );
    let rows: Vec<Vec<String>> = s
        .years
        .iter()
        .filter_map(|y| {
            let n = y.not_done.as_ref()?;
            Some(vec![
                escape(&y.label),
                format!("{} ± {}", about(n.tasks.mean), about(n.tasks.se)),
                usd_se(n.list_usd.mean, n.list_usd.se),
                usd(n.list_usd.p90),
                pct(share(n, list_done(s, y.months[0], y.months[1]))),
            ])
        })
        .collect();
    html.push_str(&table(
        &[
            "year",
            "tasks not done ± SE",
            "their value at list prices ± SE",
            "P90 of that value",
            "share of the work asked for",
        ],
        &rows,
    ));
    if l.per_user_monthly_usd.is_some() {
        let rows: Vec<Vec<String>> = s
            .monthly
            .iter()
            .filter_map(|m| {
                let n = m.not_done.as_ref()?;
                let users = n.users_at_limit.as_ref()?;
                Some(vec![
                    escape(&month_short(&m.period)),
                    format!("{} ± {}", about(users.mean), about(users.se)),
                    format!("{} ± {}", about(n.tasks.mean), about(n.tasks.se)),
                    usd_se(n.list_usd.mean, n.list_usd.se),
                ])
            })
            .collect();
        html.push_str("<h3>Month by month</h3>\n");
        html.push_str(&table(
            &[
                "month",
                "users at the limit ± SE",
                "tasks not done ± SE",
                "their value ± SE",
            ],
            &rows,
        ));
    }
    html
}
