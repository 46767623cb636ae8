//! `tokencast sweep`: the forecast over a grid of one or two parameters, each point the file
//! with `--set PATH=VALUE` applied, all on the same seed (common random numbers).

use std::path::Path;

use serde::Serialize;

use super::outcome::{BudgetCheck, Dist};
use super::simulate::{self, ForecastConfig};
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
    /// First forecast year's total bill.
    pub year1: Dist,
    /// The horizon's total bill.
    pub total: Dist,
    /// First year against the annual budget, if any.
    pub year1_budget: Option<BudgetCheck>,
}

/// Runs the grid (the first axis varies slowest).
pub fn run(
    file: &Path,
    base: &[Override],
    axes: &[SweepAxis],
    config: &ForecastConfig,
    seed_override: Option<u64>,
) -> Result<Vec<SweepPoint>, StressError> {
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
    let mut out = Vec::with_capacity(grid.len());
    for values in grid {
        let mut sets = base.to_vec();
        sets.extend(axes.iter().zip(&values).map(|(a, v)| Override {
            path: a.path.clone(),
            value: v.clone(),
        }));
        let f = Forecast::load(file, &sets, seed_override, config.threads)?;
        let run = simulate::run(&f.model.headline_only(), config)?;
        let streams = &run.streams;
        out.push(SweepPoint {
            values,
            year1: Dist::streamed(&streams.yearly[0], false),
            total: Dist::streamed(&streams.total, false),
            year1_budget: streams.annual_budget.first().map(BudgetCheck::streamed),
        });
    }
    Ok(out)
}
