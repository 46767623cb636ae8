//! `compare` outputs: the table on stdout, `compare.json`, three CSV files and two charts
//! (overlaid CDFs of the period's bill, cost against tasks per seat with break-even points).

use std::fmt::Write as _;
use std::io;
use std::path::Path;

use super::atomic::write_atomic;
use super::charts::{self, CdfOverlay, CdfSeries, ChartError, CostLine, Scale, Unit};
use super::page::words;
use crate::engine::compare::{Comparison, MeanSe};
use crate::stats::Z975;

/// `mean ± SE` with the SE to two significant digits and the mean to the same decimals.
fn pm(m: MeanSe) -> String {
    let d = decimals(m.se);
    format!("{:.*} ± {:.*}", d, m.mean, d, m.se)
}

fn decimals(se: f64) -> usize {
    if se > 0.0 && se.is_finite() {
        (1 - se.log10().floor() as i64).clamp(0, 8) as usize
    } else {
        2
    }
}

/// The table printed by `compare`.
pub fn render_table(name: &str, seats: u32, c: &Comparison) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{name} — {} simulated months, seed {}, {seats} seats; every scheme bills the same usage",
        c.periods, c.seed
    );
    if c.tasks_from == "pooled" {
        let _ = writeln!(
            out,
            "  tasks drawn from {} pre-simulated pools of {} tasks; SE by batch means over the pools",
            c.pools, c.pool_size
        );
    }
    let _ = writeln!(
        out,
        "  tasks per month {} (P50 {}, P90 {})\n",
        pm(MeanSe {
            mean: c.tasks.mean,
            se: c.tasks.se
        }),
        c.tasks.p50,
        c.tasks.p90
    );
    let _ = writeln!(
        out,
        "  {:<20} {:<13} {:>26} {:>12} {:>12} {:>12}",
        "scheme", "kind", "monthly bill USD mean ± SE", "P50", "P90", "P99"
    );
    for s in &c.schemes {
        let _ = writeln!(
            out,
            "  {:<20} {:<13} {:>26} {:>12.2} {:>12.2} {:>12.2}",
            s.name,
            s.kind,
            pm(MeanSe {
                mean: s.cost_usd.mean,
                se: s.cost_usd.se
            }),
            s.cost_usd.p50,
            s.cost_usd.p90,
            s.cost_usd.p99
        );
        let mut notes = Vec::new();
        if s.throttled_tasks.mean > 0.0 {
            notes.push(format!(
                "throttled {} tasks/month (list value ${})",
                pm(s.throttled_tasks),
                pm(s.throttled_list_usd)
            ));
        }
        if s.overage_usd.mean > 0.0 {
            notes.push(format!("overage ${}", pm(s.overage_usd)));
        }
        if s.unused_commitment_usd.mean > 0.0 {
            notes.push(format!(
                "unused commitment ${}",
                pm(s.unused_commitment_usd)
            ));
        }
        if s.kind == "compute_hours" {
            notes.push(
                format!(
                    "{} units, utilisation {}",
                    s.units.mean,
                    pm(MeanSe {
                        mean: 100.0 * s.utilisation.mean,
                        se: 100.0 * s.utilisation.se
                    })
                ) + "%",
            );
        } else if s.units.mean > 0.0 {
            notes.push(format!("{} consumption units", pm(s.units)));
        }
        if !notes.is_empty() {
            let _ = writeln!(out, "  {:<20} {}", "", notes.join("; "));
        }
    }
    let _ = writeln!(
        out,
        "\n  paired differences (same months)       a − b USD mean ± SE   P(a cheaper)"
    );
    for p in &c.pairs {
        let _ = writeln!(
            out,
            "  {:<38} {:>22} {:>14}",
            format!("{} − {}", p.a, p.b),
            pm(p.difference_usd),
            format!(
                "{:.1} ± {:.1}%",
                100.0 * p.p_a_cheaper.mean,
                100.0 * p.p_a_cheaper.se
            )
        );
    }
    if !c.break_even.is_empty() {
        let axis = &c.along_names;
        let _ = writeln!(
            out,
            "\n  break-even along {} (now {}; 95% CI by test inversion of the paired difference)",
            axis.unit_words,
            axis.format(c.along_current)
        );
        for b in &c.break_even {
            if b.crossings.is_empty() {
                let _ = writeln!(out, "  {}", b.note);
            }
            for x in &b.crossings {
                let _ = writeln!(out, "  {}", x.words);
            }
        }
    }
    out
}

/// The comparison as pretty JSON.
pub fn to_json(c: &Comparison) -> String {
    let mut s = serde_json::to_string_pretty(c).expect("a comparison serialises");
    s.push('\n');
    s
}

/// Writes `compare.json`, `compare_schemes.csv`, `compare_pairs.csv` and
/// `compare_sweep.csv` into `dir`, each atomically; returns the file names.
pub fn write_files(dir: &Path, c: &Comparison) -> io::Result<Vec<String>> {
    write_atomic(&dir.join("compare.json"), to_json(c).as_bytes())?;
    let mut schemes = String::from(
        "scheme,kind,cost_mean_usd,cost_se_usd,cost_sd_usd,cost_min_usd,cost_p50_usd,cost_p90_usd,cost_p99_usd,cost_max_usd,list_mean_usd,throttled_tasks_mean,throttled_list_mean_usd,unused_commitment_mean_usd,overage_mean_usd,units_mean,utilisation_mean\n",
    );
    for s in &c.schemes {
        let d = &s.cost_usd;
        let _ = writeln!(
            schemes,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            s.name,
            s.kind,
            d.mean,
            d.se,
            d.sd,
            d.min,
            d.p50,
            d.p90,
            d.p99,
            d.max,
            s.list_usd.mean,
            s.throttled_tasks.mean,
            s.throttled_list_usd.mean,
            s.unused_commitment_usd.mean,
            s.overage_usd.mean,
            s.units.mean,
            s.utilisation.mean
        );
    }
    write_atomic(&dir.join("compare_schemes.csv"), schemes.as_bytes())?;
    let mut pairs =
        String::from("a,b,difference_mean_usd,difference_se_usd,p_a_cheaper,p_a_cheaper_se\n");
    for p in &c.pairs {
        let _ = writeln!(
            pairs,
            "{},{},{},{},{},{}",
            p.a,
            p.b,
            p.difference_usd.mean,
            p.difference_usd.se,
            p.p_a_cheaper.mean,
            p.p_a_cheaper.se
        );
    }
    write_atomic(&dir.join("compare_pairs.csv"), pairs.as_bytes())?;
    // Along any other number of the scenario, its value comes first, named by its path.
    let input = crate::engine::compare::SweepAxis::from_path(&c.along).is_none();
    let mut sweep = if input {
        format!("{},tasks_per_seat,seats", c.along)
    } else {
        String::from("tasks_per_seat,seats")
    };
    for s in &c.schemes {
        let _ = write!(sweep, ",{0}_mean_usd,{0}_se_usd", s.name);
    }
    sweep.push('\n');
    for p in &c.sweep {
        if input {
            let _ = write!(sweep, "{},", p.x);
        }
        let _ = write!(sweep, "{},{}", p.tasks_per_seat, p.seats);
        for m in &p.cost_usd {
            let _ = write!(sweep, ",{},{}", m.mean, m.se);
        }
        sweep.push('\n');
    }
    write_atomic(&dir.join("compare_sweep.csv"), sweep.as_bytes())?;
    let mut files = vec![
        "compare.json".into(),
        "compare_schemes.csv".into(),
        "compare_pairs.csv".into(),
        "compare_sweep.csv".into(),
    ];
    if !c.break_even.is_empty() {
        write_atomic(
            &dir.join("compare_break_even.csv"),
            break_even_csv(c).as_bytes(),
        )?;
        files.push("compare_break_even.csv".into());
    }
    Ok(files)
}

/// `compare_break_even.csv`: one row per crossing of each pair (a pair without a crossing has
/// one row with empty x and its note); open interval ends are empty.
pub fn break_even_csv(c: &Comparison) -> String {
    let mut out =
        String::from("a,b,along,x,low,high,bracket_low,bracket_high,cheaper_below,note\n");
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| v.to_string());
    for b in &c.break_even {
        if b.crossings.is_empty() {
            let _ = writeln!(out, "{},{},{},,,,,,,\"{}\"", b.a, b.b, b.along, b.note);
        }
        for x in &b.crossings {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},\"{}\"",
                b.a,
                b.b,
                b.along,
                x.x,
                opt(x.low),
                opt(x.high),
                x.bracket[0],
                x.bracket[1],
                x.cheaper_below,
                x.words
            );
        }
    }
    out
}

/// Writes the overlaid CDF of the period's bill and the break-even chart (PNG and SVG).
pub fn write_charts(dir: &Path, c: &Comparison) -> Result<Vec<String>, ChartError> {
    let mut files = Vec::new();
    if let Some(cdf) = cdf_chart(c) {
        files.extend(charts::write_chart(dir, &cdf)?);
    }
    if let Some(chart) = break_even_chart(c) {
        files.extend(charts::write_chart(dir, &chart)?);
    }
    Ok(files)
}

/// The overlaid CDFs of the period's bill under each scheme (none without periods).
pub fn cdf_chart(c: &Comparison) -> Option<CdfOverlay> {
    let series = c
        .schemes
        .iter()
        .zip(&c.period_costs)
        .map(|(s, costs)| {
            let mut sorted = costs.clone();
            sorted.sort_by(f64::total_cmp);
            let n = sorted.len() as f64;
            CdfSeries {
                name: words(&s.name),
                points: sorted
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| (x, (i + 1) as f64 / n))
                    .collect(),
            }
        })
        .filter(|s| !s.points.is_empty())
        .collect::<Vec<_>>();
    (!series.is_empty()).then(|| CdfOverlay {
        stem: "compare_cdf".into(),
        title: "Monthly bill under each billing scheme (same simulated months)".into(),
        x_description: "Bill per month".into(),
        unit: Unit::Usd,
        x_scale: Scale::Linear,
        y_description: "Share of months at or below".into(),
        series,
    })
}

/// Each scheme's mean bill along the swept input with 95% bands, the current value marked
/// (none without a sweep of two points or more).
pub fn break_even_chart(c: &Comparison) -> Option<charts::BreakEven> {
    if c.sweep.len() < 2 {
        return None;
    }
    let axis = &c.along_names;
    let lines = c
        .schemes
        .iter()
        .enumerate()
        .map(|(i, s)| CostLine {
            name: words(&s.name),
            points: c.sweep.iter().map(|p| (p.x, p.cost_usd[i].mean)).collect(),
            band: c
                .sweep
                .iter()
                .map(|p| {
                    let m = p.cost_usd[i];
                    (p.x, m.mean - Z975 * m.se, m.mean + Z975 * m.se)
                })
                .collect(),
        })
        .collect();
    Some(charts::BreakEven {
        stem: "compare_break_even".into(),
        title: format!(
            "Mean monthly bill against {} (95% bands of the mean)",
            axis.short
        ),
        x_description: axis.title.clone(),
        x_unit: Unit::Count,
        y_description: "Bill per month".into(),
        y_unit: Unit::Usd,
        lines,
        limit: None,
        current: Some(c.along_current),
        steps: c
            .break_even
            .iter()
            .flat_map(|b| {
                let index = |name: &str| c.schemes.iter().position(|s| s.name == name);
                let pair = index(&b.a).zip(index(&b.b));
                b.crossings
                    .iter()
                    .filter(|x| x.step.is_some())
                    .filter_map(move |x| {
                        let (a, b) = pair?;
                        Some(charts::StepBracket {
                            a: a.min(b),
                            b: a.max(b),
                            bracket: x.bracket,
                        })
                    })
            })
            .collect(),
    })
}
