//! Named stress cases run side by side with the base case on the same seed (common random
//! numbers: every case sees the same trials, so differences between cases are not noise).

use serde::Serialize;

use super::outcome::{BudgetCheck, Dist};
use super::simulate::{self, ForecastConfig, ForecastRun};
use super::{Forecast, ForecastError, model::Factors, stress_overrides};
use crate::engine::EngineError;

/// One case's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressResult {
    /// Case name (`base` for the file as written).
    pub name: String,
    /// The multipliers applied.
    pub seats_factor: f64,
    /// On tokens per task.
    pub tokens_factor: f64,
    /// On prices.
    pub prices_factor: f64,
    /// On tasks per day.
    pub tasks_factor: f64,
    /// Values set, as `path=value`.
    pub set: Vec<String>,
    /// Total bill of each forecast year.
    pub years: Vec<Dist>,
    /// Total bill over the horizon.
    pub total: Dist,
    /// Each year against the annual budget.
    pub annual_budget: Vec<BudgetCheck>,
}

/// Why a stress case could not run.
#[derive(Debug, thiserror::Error)]
pub enum StressError {
    /// Its overrides are wrong.
    #[error(transparent)]
    Load(#[from] ForecastError),
    /// The run failed.
    #[error(transparent)]
    Run(#[from] EngineError),
}

/// The model of stress case `i` (its overrides applied, its factors set).
pub fn case_forecast(
    base: &Forecast,
    i: usize,
    seed: u64,
    threads: Option<usize>,
) -> Result<Forecast, ForecastError> {
    let case = &base.spec.stress[i];
    let sets = stress_overrides(&base.spec, i);
    let mut f = if sets.is_empty() {
        base.clone()
    } else {
        Forecast::compile_text(
            &base.origin,
            &base.name,
            &base.dir,
            &base.text,
            &sets,
            Some(seed),
            threads,
        )?
    };
    f.model.factors = Factors {
        seats: case.seats.unwrap_or(1.0),
        tokens: case.tokens_per_task.unwrap_or(1.0),
        prices: case.prices.unwrap_or(1.0),
        tasks: case.tasks_per_day.unwrap_or(1.0),
    };
    Ok(f)
}

/// Summarises one run as a stress row.
pub fn result(name: &str, f: &Forecast, run: &ForecastRun, set: Vec<String>) -> StressResult {
    let streams = &run.streams;
    StressResult {
        name: name.to_string(),
        seats_factor: f.model.factors.seats,
        tokens_factor: f.model.factors.tokens,
        prices_factor: f.model.factors.prices,
        tasks_factor: f.model.factors.tasks,
        set,
        years: streams
            .yearly
            .iter()
            .map(|y| Dist::streamed(y, false))
            .collect(),
        total: Dist::streamed(&streams.total, false),
        annual_budget: streams
            .annual_budget
            .iter()
            .map(BudgetCheck::streamed)
            .collect(),
    }
}

/// Runs every stress case of `base` with `config`; `base_run` is the base case's run.
pub fn run_all(
    base: &Forecast,
    base_run: &ForecastRun,
    config: &ForecastConfig,
) -> Result<Vec<StressResult>, StressError> {
    let mut out = vec![result("base", base, base_run, Vec::new())];
    for i in 0..base.spec.stress.len() {
        let f = case_forecast(base, i, config.seed, config.threads)?;
        let run = simulate::run(&f.model.headline_only(), config)?;
        let set = stress_overrides(&base.spec, i)
            .into_iter()
            .map(|o| format!("{}={}", o.path, o.value))
            .collect();
        out.push(result(&base.spec.stress[i].name, &f, &run, set));
    }
    Ok(out)
}
