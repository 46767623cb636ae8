//! `tokencast sweep`: the forecast over a grid of one or two parameters, each point the file
//! with `--set PATH=VALUE` applied, all on the same seed (common random numbers).

use std::path::Path;

use serde::Serialize;

use super::budget_outcome::{BudgetSummary, Probability, RiskiestMonth};
use super::outcome::{BudgetCheck, Dist};
use super::simulate::{self, ForecastConfig, ForecastRun};
use super::stress::StressError;
use super::{Forecast, Override, OverrideError};

/// One swept parameter and its values.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepAxis {
    /// Dotted path.
    pub path: String,
    /// Values as TOML text.
    pub values: Vec<String>,
}

impl SweepAxis {
    /// Parses `PATH=V1,V2,...`.
    pub fn parse(arg: &str) -> Result<SweepAxis, OverrideError> {
        let o = Override::parse(arg)?;
        let values: Vec<String> = o
            .value
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        if values.is_empty() {
            return Err(OverrideError {
                path: o.path,
                message: "expected PATH=V1,V2,... with at least one value".into(),
                help: None,
            });
        }
        Ok(SweepAxis {
            path: o.path,
            values,
        })
    }
}

/// One grid point's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The value of each axis, as written.
    pub values: Vec<String>,
    /// How people name the first forecast year (`2027`, `FY2028`, `year 1`).
    pub year1_label: String,
    /// First forecast year's total bill.
    pub year1: Dist,
    /// The horizon's total bill.
    pub total: Dist,
    /// First year against the annual budget, if any.
    pub year1_budget: Option<BudgetCheck>,
    /// Probability that some month of the horizon passes its monthly budget (none without a
    /// monthly budget).
    pub p_any_month_over: Option<Probability>,
    /// The month most likely to pass its monthly budget, with that probability (none when no
    /// trial passes any month's budget).
    pub riskiest_month: Option<RiskiestMonth>,
}

/// A swept input that the file gives as a distribution: every sweep point replaces the
/// distribution by the swept fixed value (its uncertainty is gone from the point's results).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplacedDistribution {
    /// Dotted path.
    pub path: String,
    /// The distribution as the file writes it, e.g. `{ lognormal = { median = 3, sigma = 0.3 } }`.
    pub distribution: String,
}

/// The text of the forecast file at `file` with the `base` overrides applied: what every sweep
/// point starts from, before its swept values.
pub fn base_text(file: &Path, base: &[Override]) -> Result<String, super::ForecastError> {
    let text = crate::input::read_text(file, crate::input::MAX_SCENARIO_BYTES)
        .map_err(crate::scenario::ScenarioError::from)?;
    Ok(super::overrides::apply(&text, base)?)
}

/// The axes of a sweep of the forecast `text` (after `--set` overrides) whose value in the file
/// is a distribution (a table naming a family other than `fixed`).
pub fn replaced_distributions(text: &str, axes: &[SweepAxis]) -> Vec<ReplacedDistribution> {
    let Ok(doc) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let doc = toml::Value::Table(doc);
    axes.iter()
        .filter_map(|a| {
            let v = value_at(&doc, &a.path)?;
            let t = v.as_table()?;
            // A distribution names one family (besides modifiers such as `shift`).
            let uncertain = t
                .keys()
                .any(|k| k != "fixed" && crate::dist::FAMILY_NAMES.contains(&k.as_str()));
            uncertain.then(|| ReplacedDistribution {
                path: a.path.clone(),
                distribution: inline(v),
            })
        })
        .collect()
}

pub(crate) use crate::scenario::numeric_input::value_at;

/// A TOML value written inline: `{ lognormal = { median = 3, sigma = 0.3 } }`.
fn inline(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(inline).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// The grid's cells, each the value of every axis (the first axis varies slowest).
pub fn grid(axes: &[SweepAxis]) -> Vec<Vec<String>> {
    let mut grid: Vec<Vec<String>> = vec![Vec::new()];
    for axis in axes {
        grid = grid
            .into_iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    grid
}

/// The forecast of one cell: the file with `base` and the cell's `values` applied.
pub fn cell_forecast(
    file: &Path,
    base: &[Override],
    axes: &[SweepAxis],
    values: &[String],
    seed_override: Option<u64>,
    threads: Option<usize>,
) -> Result<Forecast, StressError> {
    let mut sets = base.to_vec();
    sets.extend(axes.iter().zip(values).map(|(a, v)| Override {
        path: a.path.clone(),
        value: v.clone(),
    }));
    Ok(Forecast::load(file, &sets, seed_override, threads)?)
}

/// Runs the grid (the first axis varies slowest).
pub fn run(
    file: &Path,
    base: &[Override],
    axes: &[SweepAxis],
    config: &ForecastConfig,
    seed_override: Option<u64>,
) -> Result<Vec<SweepPoint>, StressError> {
    run_with(file, base, axes, config, seed_override, &mut |_, f| {
        Ok(simulate::run(&f.model.headline_only(), config)?)
    })
}

/// [`run`], each cell's run (`i`: the cell's index, with its forecast) made by `simulate`
/// (e.g. merged from the shards of a sharded sweep).
pub fn run_with(
    file: &Path,
    base: &[Override],
    axes: &[SweepAxis],
    config: &ForecastConfig,
    seed_override: Option<u64>,
    simulate: &mut dyn FnMut(usize, &Forecast) -> Result<ForecastRun, StressError>,
) -> Result<Vec<SweepPoint>, StressError> {
    let grid = grid(axes);
    let mut out = Vec::with_capacity(grid.len());
    for (i, values) in grid.into_iter().enumerate() {
        let f = cell_forecast(file, base, axes, &values, seed_override, config.threads)?;
        let run = simulate(i, &f)?;
        let streams = &run.streams;
        let budget = BudgetSummary::new(&f.model, streams, run.trials);
        out.push(SweepPoint {
            values,
            year1_label: f.model.year_label(0),
            year1: Dist::streamed(&streams.yearly[0], false),
            total: Dist::streamed(&streams.total, false),
            year1_budget: streams.annual_budget.first().map(BudgetCheck::streamed),
            p_any_month_over: budget.p_any_month_over,
            riskiest_month: budget.riskiest_month.filter(|r| r.p_exceed > 0.0),
        });
    }
    Ok(out)
}
