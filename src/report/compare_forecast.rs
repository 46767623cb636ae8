//! `tokencast compare FORECAST` outputs: the table on stdout, `compare.json`,
//! `compare_pairs.csv` (every pair per month, year and horizon), `compare_along.csv` (each
//! bill's mean at each point of the break-even sweep), `compare_break_even.csv` (every pair's
//! crossings with their 95% intervals) and the break-even chart.

use std::fmt::Write as _;

use super::charts::{self, CostLine, Unit};
use super::forecast::money;
use super::input_label::input_words;
use super::page::words;
use crate::forecast::break_even::{AlongRun, PairBreakEven};
use crate::forecast::scheme_outcome::Versus;
use crate::forecast::scheme_pairs::ForecastComparison;
use crate::stats::Z975;
use crate::stats::crossing::Crossing;

/// A bill's name in words: `seat plan`; the basic bill is `basic bill`.
pub fn bill_words(name: &str) -> String {
    if name == "basic" {
        "basic bill".into()
    } else {
        words(name)
    }
}

/// `mean ± SE` in money.
fn pm(mean: f64, se: f64) -> String {
    format!("{} ± {}", money(mean), money(se))
}

/// A probability and its SE in percent, one decimal.
fn pct(p: f64, se: f64) -> String {
    format!("{:.1} ± {:.1}%", 100.0 * p, 100.0 * se)
}

/// A bill's name as people read it, marked when it is the headline.
fn bill_name(c: &ForecastComparison, name: &str) -> String {
    let headline = c
        .bills
        .iter()
        .any(|b| b.bill.name == name && b.bill.headline);
    if headline {
        format!("{} (headline)", bill_words(name))
    } else {
        bill_words(name)
    }
}

/// The swept input in words, first letter lower-case: `tasks per active user per working day`.
pub fn along_words(path: &str) -> String {
    let w = input_words(path);
    let mut chars = w.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => w,
    }
}

/// A value of the swept input, with as many decimals as the interval's width warrants (two
/// significant digits of the half-width), at most 4.
fn x_text(x: f64, width: Option<f64>) -> String {
    let d = match width {
        Some(w) if w > 0.0 && w.is_finite() => (1 - (w / 2.0).log10().floor() as i64).clamp(0, 4),
        _ => {
            if (x * 100.0).round() / 100.0 == x {
                return crate::text::number(x);
            }
            if x.abs() >= 100.0 {
                0
            } else if x.abs() >= 10.0 {
                1
            } else {
                2
            }
        }
    } as usize;
    let mut s = format!("{x:.d$}");
    if width.is_none_or(|w| w <= 0.0) && s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    if x.abs() >= 1000.0 {
        crate::text::number(s.parse().unwrap_or(x))
    } else {
        s
    }
}

/// One crossing in words: `seat plan is cheaper than basic below 2.41 tasks per active user
/// per working day (95% CI 2.30 to 2.52)`.
pub fn crossing_words(b: &PairBreakEven, c: &Crossing, run: &AlongRun) -> String {
    let (cheap_below, dear_below) = if c.a_cheaper_below {
        (&b.a, &b.b)
    } else {
        (&b.b, &b.a)
    };
    if let Some(step) = c.step {
        let [lo, hi] = c.bracket;
        let w = Some(hi - lo);
        return format!(
            "{} is cheaper than {} below about {} {}: a step, not a gradual crossing ({} is \
             cheaper by ${} at {}, {} by ${} at {}: the bill jumps in between, as when another \
             provisioned unit is needed), so its place is known to that range, not to a point",
            bill_words(cheap_below),
            bill_words(dear_below),
            x_text(c.x, w),
            along_words(&run.path),
            bill_words(cheap_below),
            money(step.below.abs()),
            x_text(lo, w),
            bill_words(dear_below),
            money(step.above.abs()),
            x_text(hi, w),
        );
    }
    let width = c.low.zip(c.high).map(|(l, h)| h - l);
    let first = run.points.first().map_or(c.x, |p| p.x);
    let last = run.points.last().map_or(c.x, |p| p.x);
    let low = c.low.map_or_else(
        || format!("below {}", x_text(first, width)),
        |l| x_text(l, width),
    );
    let high = c.high.map_or_else(
        || format!("beyond {}", x_text(last, width)),
        |h| x_text(h, width),
    );
    // A bracket much wider than the interval: the straight line between two sweep points
    // placed the crossing, which the interval does not cover.
    let bracket = match width {
        Some(w) if c.bracket[1] - c.bracket[0] > 2.0 * w => format!(
            "; interpolated between sweep points {} and {}",
            x_text(c.bracket[0], None),
            x_text(c.bracket[1], None)
        ),
        _ => String::new(),
    };
    format!(
        "{} is cheaper than {} below {} {} (95% CI {} to {}{bracket})",
        bill_words(cheap_below),
        bill_words(dear_below),
        x_text(c.x, width),
        along_words(&run.path),
        low,
        high
    )
}

/// A pair without a crossing in words.
pub fn no_crossing_words(b: &PairBreakEven, run: &AlongRun) -> String {
    let (first, last) = (
        run.points.first().map_or(0.0, |p| p.x),
        run.points.last().map_or(0.0, |p| p.x),
    );
    match &b.cheaper_throughout {
        Some(name) => format!(
            "{} is cheaper than {} at every point from {} to {}",
            bill_words(name),
            bill_words(if *name == b.a { &b.b } else { &b.a }),
            x_text(first, None),
            x_text(last, None)
        ),
        None => format!(
            "{} and {} cost the same at some point from {} to {} without crossing",
            bill_words(&b.a),
            bill_words(&b.b),
            x_text(first, None),
            x_text(last, None)
        ),
    }
}

/// The table printed by `compare FORECAST`.
pub fn render_table(c: &ForecastComparison) -> String {
    let mut out = String::new();
    let span = match (c.months.first(), c.months.last()) {
        (Some(a), Some(b)) => format!("{a} to {b}"),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "{} — {} simulated futures, seed {}, {span}; every bill is priced on the same futures\n",
        c.scenario,
        crate::text::thousands(c.trials as f64),
        c.seed
    );
    let width = c
        .bills
        .iter()
        .map(|b| bill_name(c, &b.bill.name).chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let _ = write!(out, "  {:<width$} {:<14}", "bill", "kind");
    for label in c.year_labels.iter().map(String::as_str).chain(["total"]) {
        let _ = write!(out, " {:>24} {:>12}", format!("{label} mean ± SE"), "P90");
    }
    out.push('\n');
    for b in &c.bills {
        let _ = write!(
            out,
            "  {:<width$} {:<14}",
            bill_name(c, &b.bill.name),
            b.bill.kind
        );
        for d in b.years.iter().chain([&b.total]) {
            let _ = write!(out, " {:>24} {:>12}", pm(d.mean, d.se), money(d.p90));
        }
        out.push('\n');
    }
    if !c.pairs.is_empty() {
        let pw = c
            .pairs
            .iter()
            .map(|p| bill_words(&p.a).chars().count() + bill_words(&p.b).chars().count() + 3)
            .max()
            .unwrap_or(5)
            .max(34);
        let _ = write!(out, "\n  {:<pw$}", "paired differences (same futures)");
        out.push_str(&difference_headers(c));
        for p in &c.pairs {
            let _ = write!(
                out,
                "  {:<pw$}",
                format!("{} − {}", bill_words(&p.a), bill_words(&p.b))
            );
            for v in p.years.iter().chain([&p.total]) {
                let _ = write!(
                    out,
                    " {:>22} {:>14}",
                    pm(v.mean_difference, v.se),
                    pct(v.p_cheaper.p, v.p_cheaper.se)
                );
            }
            out.push('\n');
        }
    }
    out.push_str(&levers_text(c));
    if let Some(run) = &c.along {
        out.push_str(&along_text(run));
    }
    out
}

/// The case of `c.levers` (not the base) whose difference over the horizon for pair `p` moves
/// furthest from the base's: the case, the base's difference and the case's.
pub fn biggest_lever(c: &ForecastComparison, p: usize) -> Option<(&str, f64, f64)> {
    let base = c.levers.first()?.pairs.get(p)?.total.mean_difference;
    c.levers
        .iter()
        .skip(1)
        .map(|l| (l.case.as_str(), base, l.pairs[p].total.mean_difference))
        .max_by(|a, b| (a.2 - base).abs().total_cmp(&(b.2 - base).abs()))
}

/// A signed amount of money: `-12,082,312`, `+26,474,626`.
fn signed_money(v: f64) -> String {
    format!("{}{}", if v < 0.0 { "-" } else { "+" }, money(v.abs()))
}

/// The levers section of the table: every pair under each stress case.
fn levers_text(c: &ForecastComparison) -> String {
    let mut out = String::new();
    let Some(first) = c.levers.first() else {
        return out;
    };
    let cw = c
        .levers
        .iter()
        .map(|l| l.case.chars().count())
        .max()
        .unwrap_or(4)
        .max(30);
    let _ = write!(
        out,
        "\n  levers: the stress cases, same seed (a − b ± SE, P(a cheaper))\n  {:<cw$}",
        ""
    );
    out.push_str(&difference_headers(c));
    for (p, pair) in first.pairs.iter().enumerate() {
        let _ = writeln!(out, "  {} − {}", bill_words(&pair.a), bill_words(&pair.b));
        for l in &c.levers {
            let v = &l.pairs[p];
            let _ = write!(out, "    {:<w$}", l.case, w = cw - 2);
            for x in v.years.iter().chain([&v.total]) {
                let _ = write!(
                    out,
                    " {:>22} {:>14}",
                    pm(x.mean_difference, x.se),
                    pct(x.p_cheaper.p, x.p_cheaper.se)
                );
            }
            out.push('\n');
        }
        if let Some((case, base, moved)) = biggest_lever(c, p) {
            let _ = writeln!(
                out,
                "    moves it most over the whole horizon: {case} (a − b from {} to {})",
                signed_money(base),
                signed_money(moved)
            );
        }
    }
    out
}

/// `compare_levers.csv`: one row per stress case, pair and period.
pub fn levers_csv(c: &ForecastComparison) -> String {
    let mut out =
        String::from("case,a,b,period,difference_mean,difference_se,p_a_cheaper,p_a_cheaper_se\n");
    for l in &c.levers {
        for p in &l.pairs {
            let periods = c.year_labels.iter().zip(&p.years);
            for (label, v) in periods.chain(std::iter::once((&"total".to_string(), &p.total))) {
                let _ = writeln!(
                    out,
                    "{},{},{},{label},{},{},{},{}",
                    csv_field(&l.case),
                    p.a,
                    p.b,
                    v.mean_difference,
                    v.se,
                    v.p_cheaper.p,
                    v.p_cheaper.se
                );
            }
        }
    }
    out
}

/// A CSV field, quoted when it holds a comma or a quote.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The column headers of a table of paired differences: each year's and the horizon's `a − b`
/// and `P(a cheaper)`, ending the line.
fn difference_headers(c: &ForecastComparison) -> String {
    let mut out = String::new();
    for label in c.year_labels.iter().map(String::as_str).chain(["total"]) {
        let _ = write!(
            out,
            " {:>22} {:>14}",
            format!("{label} a − b ± SE"),
            "P(a cheaper)"
        );
    }
    out.push('\n');
    out
}

/// The break-even lines of the table (over the horizon; each year's are in the CSV).
fn along_text(run: &AlongRun) -> String {
    let mut out = String::new();
    let (first, last) = (
        run.points.first().map_or(0.0, |p| p.x),
        run.points.last().map_or(0.0, |p| p.x),
    );
    let _ = writeln!(
        out,
        "\n  break-even along {} ({} = {} to {}, {} points of {} futures each, same seed; the file: {})",
        along_words(&run.path),
        run.path,
        x_text(first, None),
        x_text(last, None),
        run.points.len(),
        crate::text::thousands(run.trials as f64),
        run.current
            .map_or("not a number".to_string(), |x| x_text(x, None))
    );
    for b in run.break_even.iter().filter(|b| b.period == "total") {
        if b.crossings.is_empty() {
            let _ = writeln!(out, "    {}", no_crossing_words(b, run));
        }
        for c in &b.crossings {
            let _ = writeln!(out, "    {}", crossing_words(b, c, run));
        }
    }
    let _ = writeln!(
        out,
        "    (over the whole horizon; each year's break-evens are in compare_break_even.csv)"
    );
    out
}

/// `compare.json`.
pub fn to_json(c: &ForecastComparison) -> String {
    let mut s =
        serde_json::to_string_pretty(c).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

fn versus_row(out: &mut String, a: &str, b: &str, period: &str, v: &Versus) {
    let _ = writeln!(
        out,
        "{a},{b},{period},{},{},{},{}",
        v.mean_difference, v.se, v.p_cheaper.p, v.p_cheaper.se
    );
}

/// `compare_pairs.csv`: one row per pair and period (each month, each year, the horizon).
pub fn pairs_csv(c: &ForecastComparison) -> String {
    let mut out =
        String::from("a,b,period,difference_mean,difference_se,p_a_cheaper,p_a_cheaper_se\n");
    for p in &c.pairs {
        for (m, v) in c.months.iter().zip(&p.monthly) {
            versus_row(&mut out, &p.a, &p.b, m, v);
        }
        for (y, v) in c.year_labels.iter().zip(&p.years) {
            versus_row(&mut out, &p.a, &p.b, y, v);
        }
        versus_row(&mut out, &p.a, &p.b, "total", &p.total);
    }
    out
}

/// `compare_along.csv`: each bill's mean over the horizon and each year at every point.
pub fn along_csv(run: &AlongRun) -> String {
    let mut out = format!("{},bill,period,mean,se\n", run.path);
    for p in &run.points {
        for (i, b) in run.bills.iter().enumerate() {
            for (y, label) in run.year_labels.iter().enumerate() {
                let m = p.years[y][i];
                let _ = writeln!(out, "{},{},{label},{},{}", p.x, b.name, m.mean, m.se);
            }
            let m = p.totals[i];
            let _ = writeln!(out, "{},{},total,{},{}", p.x, b.name, m.mean, m.se);
        }
    }
    out
}

/// `compare_break_even.csv`: one row per crossing (or per pair without one). `step` is
/// `true` for a step (a jump between the bracket's points, whose interval is the bracket).
pub fn break_even_csv(run: &AlongRun) -> String {
    let mut out = String::from(
        "a,b,period,along,break_even,ci95_low,ci95_high,bracket_low,bracket_high,cheaper_below,cheaper_throughout,step\n",
    );
    let opt = |v: Option<f64>| v.map_or(String::new(), |x| x.to_string());
    for b in &run.break_even {
        if b.crossings.is_empty() {
            let _ = writeln!(
                out,
                "{},{},{},{},,,,,,,{},",
                b.a,
                b.b,
                b.period,
                run.path,
                b.cheaper_throughout.as_deref().unwrap_or("")
            );
        }
        for c in &b.crossings {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},,{}",
                b.a,
                b.b,
                b.period,
                run.path,
                c.x,
                opt(c.low),
                opt(c.high),
                c.bracket[0],
                c.bracket[1],
                if c.a_cheaper_below { &b.a } else { &b.b },
                c.step.is_some()
            );
        }
    }
    out
}

/// The break-even chart: each bill's mean over the horizon against the swept input, with 95%
/// bands of the mean.
pub fn break_even_chart(run: &AlongRun) -> Option<charts::BreakEven> {
    if run.points.len() < 2 {
        return None;
    }
    let lines = run
        .bills
        .iter()
        .enumerate()
        .map(|(i, b)| CostLine {
            name: bill_words(&b.name),
            points: run.points.iter().map(|p| (p.x, p.totals[i].mean)).collect(),
            band: run
                .points
                .iter()
                .map(|p| {
                    let m = p.totals[i];
                    (p.x, m.mean - Z975 * m.se, m.mean + Z975 * m.se)
                })
                .collect(),
        })
        .collect();
    let x_description = input_words(&run.path);
    Some(charts::BreakEven {
        stem: "compare_break_even".into(),
        title: "Mean bill over the horizon against the swept input (95% bands of the mean)".into(),
        x_description,
        x_unit: Unit::Count,
        y_description: "Bill over the horizon".into(),
        y_unit: Unit::Usd,
        lines,
        limit: None,
        current: run.current,
        steps: run
            .break_even
            .iter()
            .filter(|b| b.period == "total")
            .flat_map(|b| {
                let index = |name: &str| run.bills.iter().position(|x| x.name == name);
                let pair = index(&b.a).zip(index(&b.b));
                b.crossings
                    .iter()
                    .filter(|c| c.step.is_some())
                    .filter_map(move |c| {
                        let (a, b) = pair?;
                        Some(charts::StepBracket {
                            a: a.min(b),
                            b: a.max(b),
                            bracket: c.bracket,
                        })
                    })
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swept_values_show_the_decimals_their_interval_warrants() {
        assert_eq!(x_text(2.4137, Some(0.22)), "2.41");
        assert_eq!(x_text(224.71, Some(11.0)), "224.7");
        assert_eq!(x_text(224.71, Some(110.0)), "225");
        assert_eq!(x_text(76.73, Some(2.4)), "76.7");
        assert_eq!(x_text(3.0, None), "3");
        assert_eq!(x_text(0.46875, None), "0.47");
        assert_eq!(x_text(4.500000001, Some(0.0)), "4.5");
        assert_eq!(x_text(12_345.0, None), "12,345");
    }
}
