//! Break-even between every pair of a forecast's bills along one input (`--along PATH`): the
//! forecast is run at each value of the input (the file with `PATH = value`, as `--set` does),
//! all on the same seed, so every point bills the same futures (common random numbers) and the
//! difference curves are smooth in the input. At each point each pair's paired difference over
//! the horizon and each forecast year has its standard error ([`super::scheme_pairs`]); where a
//! difference changes sign, [`crate::stats::crossing`] places the crossing and its 95%
//! test-inversion confidence interval.

use std::path::Path;

use serde::Serialize;

use super::model::Headline;
use super::scheme_pairs::{self, BillPair, ComparedBill};
use super::simulate::{self, ForecastConfig};
use super::stress::StressError;
use super::{Forecast, Override};
use crate::engine::along::Along;
use crate::stats::Z975;
use crate::stats::crossing::{Crossing, CurvePoint, crossings, refinement_points};

/// One bill's mean at one point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct BillMean {
    /// Mean.
    pub mean: f64,
    /// Its standard error.
    pub se: f64,
}

/// The forecast at one value of the input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlongPoint {
    /// The input's value.
    pub x: f64,
    /// Each bill's mean over the horizon, in [`compared_bills`](scheme_pairs::compared_bills)
    /// order.
    pub totals: Vec<BillMean>,
    /// Each bill's mean per forecast year, `[year][bill]`.
    pub years: Vec<Vec<BillMean>>,
    /// Every pair (monthly figures left out).
    pub pairs: Vec<BillPair>,
}

/// Where two bills break even over one period (the horizon or a year).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PairBreakEven {
    /// First bill.
    pub a: String,
    /// Second bill.
    pub b: String,
    /// `total` or the year's label (`2028`, `FY2028`).
    pub period: String,
    /// Every crossing in the swept range, each with its 95% interval.
    pub crossings: Vec<Crossing>,
    /// Without a crossing, the bill that is cheaper at every point (none when they are equal
    /// somewhere).
    pub cheaper_throughout: Option<String>,
}

/// The break-even analysis along one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlongRun {
    /// The input's dotted path.
    pub path: String,
    /// Its value in the file (after `--set`), when the file gives a number.
    pub current: Option<f64>,
    /// Trials per point.
    pub trials: u64,
    /// Seed (every point).
    pub seed: u64,
    /// The bills, in pair order.
    pub bills: Vec<ComparedBill>,
    /// How people name the forecast years.
    pub year_labels: Vec<String>,
    /// The points, by increasing value.
    pub points: Vec<AlongPoint>,
    /// Every pair over the horizon, then every pair in each year.
    pub break_even: Vec<PairBreakEven>,
}

/// The number at `path` in the forecast `text`, and whether it is written as an integer; for
/// a distribution, its `fixed`, `mean` or `median` when it states one.
pub fn current_value(text: &str, path: &str) -> Option<(f64, bool)> {
    let doc = toml::Value::Table(text.parse::<toml::Table>().ok()?);
    let v = super::sweep::value_at(&doc, path)?;
    let num = |v: &toml::Value| match v {
        toml::Value::Integer(i) => Some((*i as f64, true)),
        toml::Value::Float(f) => Some((*f, false)),
        _ => None,
    };
    num(v).or_else(|| {
        let t = v.as_table()?;
        t.get("fixed").and_then(num).or_else(|| {
            let (family, d) = t
                .iter()
                .find_map(|(k, d)| Some((k.as_str(), d.as_table()?)))?;
            let key = |k: &str| d.get(k).and_then(num).map(|(x, _)| x);
            let centre = match family {
                "uniform" | "uniform_int" => Some((key("min")? + key("max")?) / 2.0),
                "triangular" | "pert" => key("mode"),
                _ => key("mean").or_else(|| key("median")),
            };
            centre.map(|x| (x, false))
        })
    })
}

/// A value as TOML text: whole numbers without a decimal point when `integer`.
pub fn toml_number(x: f64, integer: bool) -> String {
    if integer {
        format!("{}", x.round() as i64)
    } else {
        let s = format!("{x}");
        if s.contains(['.', 'e', 'E']) {
            s
        } else {
            format!("{s}.0")
        }
    }
}

/// The values to sweep: `along`'s, else the default grid around the current value. `Err`
/// says why there is none.
pub fn values(along: &Along, current: Option<(f64, bool)>) -> Result<Vec<f64>, String> {
    match (&along.values, current) {
        (Some(v), Some((_, true))) => {
            let mut v: Vec<f64> = v.iter().map(|x| x.round()).collect();
            v.dedup();
            Ok(v)
        }
        (Some(v), _) => Ok(v.clone()),
        (None, Some((x, integer))) if x > 0.0 => Ok(Along::grid_around(x, integer)),
        (None, Some((x, _))) => Err(format!(
            "{} is {x} in the file: give the values to sweep, e.g. --along {}=0..10",
            along.path, along.path
        )),
        (None, None) => Err(format!(
            "{} is not a number in the file: give the values to sweep, e.g. --along {}=1..8",
            along.path, along.path
        )),
    }
}

/// Runs the forecast at every value (`values`, increasing) of `along.path` with `config`'s
/// trials and seed, and finds every pair's break-evens.
pub fn run(
    file: &Path,
    base: &[Override],
    path: &str,
    values: &[f64],
    integer: bool,
    config: &ForecastConfig,
    seed_override: Option<u64>,
) -> Result<AlongRun, StressError> {
    run_from(
        file,
        base,
        path,
        values,
        integer,
        config,
        seed_override,
        Vec::new(),
    )
}

/// [`run`], with the runs at the first of `values` already made (`given`, in `values` order:
/// merged from the shards of a sharded comparison); the other values and the refinement's
/// points are simulated.
#[allow(clippy::too_many_arguments)]
pub fn run_from(
    file: &Path,
    base: &[Override],
    path: &str,
    values: &[f64],
    integer: bool,
    config: &ForecastConfig,
    seed_override: Option<u64>,
    given: Vec<super::ForecastRun>,
) -> Result<AlongRun, StressError> {
    let mut given = given.into_iter();
    let base_text = super::sweep::base_text(file, base)?;
    let current = current_value(&base_text, path).map(|(x, _)| x);
    let mut bills = Vec::new();
    let mut year_labels = Vec::new();
    let mut point = |x: f64| -> Result<AlongPoint, StressError> {
        let mut sets = base.to_vec();
        sets.push(Override {
            path: path.to_string(),
            value: toml_number(x, integer),
        });
        let f = Forecast::load(file, &sets, seed_override, config.threads)?;
        let run = match given.next() {
            Some(run) => run,
            None => simulate::run(&f.model, config)?,
        };
        bills = scheme_pairs::compared_bills(&f.model);
        year_labels = (0..run.streams.years.len())
            .map(|y| f.model.year_label(y))
            .collect();
        Ok(at_point(x, &f, &run))
    };
    let mut points = values
        .iter()
        .map(|&x| point(x))
        .collect::<Result<Vec<_>, _>>()?;
    // Refine the crossings over the horizon (see `stats::crossing::refinement_points`).
    for _ in 0..REFINE_ROUNDS {
        let have: Vec<f64> = points.iter().map(|p| p.x).collect();
        let new = refinement_points(
            break_evens(&points, &[])
                .iter()
                .flat_map(|b| b.crossings.iter().copied()),
            &have,
            integer,
        );
        if new.is_empty() {
            break;
        }
        for x in new {
            points.push(point(x)?);
        }
        points.sort_by(|a, b| a.x.total_cmp(&b.x));
    }
    let break_even = break_evens(&points, &year_labels);
    Ok(AlongRun {
        path: path.to_string(),
        current,
        trials: config.trials,
        seed: config.seed,
        bills,
        year_labels,
        points,
        break_even,
    })
}

pub use crate::stats::crossing::{REFINE_POINTS, REFINE_ROUNDS};

/// The forecast `f`'s run `run` as one point of the sweep.
fn at_point(x: f64, f: &Forecast, run: &super::ForecastRun) -> AlongPoint {
    let streams = &run.streams;
    // Means and SEs only: the streamed moments, no percentiles.
    let mean = |acc: &crate::stats::DistAccumulator| BillMean {
        mean: acc.moments.mean,
        se: acc.moments.se(),
    };
    let basic = f.model.headline == Headline::Basic;
    let n = run.schemes;
    let totals = basic
        .then(|| mean(&streams.total))
        .into_iter()
        .chain(streams.scheme_total.iter().map(mean))
        .collect();
    let years = (0..streams.years.len())
        .map(|y| {
            basic
                .then(|| mean(&streams.yearly[y]))
                .into_iter()
                .chain((0..n).map(|s| mean(&streams.scheme_yearly[y * n + s])))
                .collect()
        })
        .collect();
    AlongPoint {
        x,
        totals,
        years,
        pairs: scheme_pairs::pairs_over_years(&f.model, run),
    }
}

/// Every pair's break-evens over the horizon, then in each year.
pub fn break_evens(points: &[AlongPoint], year_labels: &[String]) -> Vec<PairBreakEven> {
    let Some(first) = points.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let periods = std::iter::once(None).chain((0..year_labels.len()).map(Some));
    for period in periods {
        for (p, pair) in first.pairs.iter().enumerate() {
            let curve: Vec<CurvePoint> = points
                .iter()
                .map(|pt| {
                    let v = match period {
                        None => pt.pairs[p].total,
                        Some(y) => pt.pairs[p].years[y],
                    };
                    CurvePoint {
                        x: pt.x,
                        difference: v.mean_difference,
                        se: v.se,
                    }
                })
                .collect();
            let found = crossings(&curve, Z975);
            let cheaper_throughout = if found.is_empty() {
                if curve.iter().all(|c| c.difference < 0.0) {
                    Some(pair.a.clone())
                } else if curve.iter().all(|c| c.difference > 0.0) {
                    Some(pair.b.clone())
                } else {
                    None
                }
            } else {
                None
            };
            out.push(PairBreakEven {
                a: pair.a.clone(),
                b: pair.b.clone(),
                period: period.map_or_else(|| "total".to_string(), |y| year_labels[y].clone()),
                crossings: found,
                cheaper_throughout,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_values_are_read_from_numbers_and_stated_centres() {
        let text = "[usage]\ntasks_per_day = 3\nactive_share = 0.6\n\
                    dispersion = { lognormal = { median = 2.5, sigma = 0.3 } }\n\
                    [seats]\nfixed = { fixed = 40 }\n";
        assert_eq!(
            current_value(text, "usage.tasks_per_day"),
            Some((3.0, true))
        );
        assert_eq!(
            current_value(text, "usage.active_share"),
            Some((0.6, false))
        );
        assert_eq!(current_value(text, "usage.dispersion"), Some((2.5, false)));
        assert_eq!(current_value(text, "seats.fixed"), Some((40.0, true)));
        assert_eq!(current_value(text, "usage.nothing"), None);
        let drift = "[drift]\ntokens_per_task = { uniform = { min = 0.01, max = 0.03 } }\n\
                     price = { pert = { min = -0.03, mode = -0.01, max = 0.0 } }\n";
        assert_eq!(
            current_value(drift, "drift.tokens_per_task"),
            Some((0.02, false))
        );
        assert_eq!(current_value(drift, "drift.price"), Some((-0.01, false)));
    }

    #[test]
    fn values_as_toml_keep_their_type() {
        assert_eq!(toml_number(3.0, true), "3");
        assert_eq!(toml_number(3.0, false), "3.0");
        assert_eq!(toml_number(0.46875, false), "0.46875");
    }
}
