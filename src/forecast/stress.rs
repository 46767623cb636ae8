//! Named stress cases run side by side with the base case on the same seed (common random
//! numbers: every case sees the same trials, so differences between cases are not noise).

use serde::Serialize;

use super::budget_outcome::Probability;
use super::outcome::{BudgetCheck, Dist, NotDone};
use super::simulate::{self, ForecastConfig, ForecastRun};
use super::streams::Series;
use super::{Forecast, ForecastError, model::Factors, stress_overrides};
use crate::engine::EngineError;

/// One month of a case: its bill and its check against the monthly budget.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressMonth {
    /// Calendar month, `YYYY-MM`.
    pub period: String,
    /// The month's bill (mean ± SE, percentiles).
    pub bill: Dist,
    /// Against the month's budget (none without a monthly budget).
    pub monthly_budget: Option<BudgetCheck>,
}

/// One forecast year of a case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressYear {
    /// How people name the year (`2027`, `FY2028`, `year 1`).
    pub label: String,
    /// First and last calendar month, `YYYY-MM`.
    pub periods: [String; 2],
    /// The year's total bill.
    pub bill: Dist,
    /// Against the annual budget (none without one).
    pub annual_budget: Option<BudgetCheck>,
    /// Probability that at least one month of the year passes its monthly budget (none
    /// without a monthly budget).
    pub p_any_month_over_budget: Option<Probability>,
    /// The work the spend limits leave undone in the year (none without `[limits]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_done: Option<NotDone>,
}

/// How a headcount capped a case's seats.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeadcountCap {
    /// `[forecast] headcount`: most seats in any month.
    pub headcount: f64,
    /// Share of trials in which the curve passed the headcount in at least one month (those
    /// months were billed for the headcount), with its binomial SE.
    pub capped_trials: Probability,
}

/// One case's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StressResult {
    /// Case name (`base` for the file as written).
    pub name: String,
    /// The multipliers applied: on seats.
    pub seats_factor: f64,
    /// On the adoption curve's speed (seats in month `t` are the curve's at `speed × t`).
    pub adoption_speed: f64,
    /// On tokens per task.
    pub tokens_factor: f64,
    /// On prices.
    pub prices_factor: f64,
    /// On tasks per day.
    pub tasks_factor: f64,
    /// Values set, as `path=value`.
    pub set: Vec<String>,
    /// The headcount and how often it capped seats (none without `[forecast] headcount`).
    pub headcount: Option<HeadcountCap>,
    /// Each month's bill and budget check.
    pub months: Vec<StressMonth>,
    /// Each forecast year's total bill and budget checks.
    pub years: Vec<StressYear>,
    /// Total bill over the horizon.
    pub total: Dist,
    /// Probability that at least one month of the horizon passes its monthly budget.
    pub p_any_month_over_budget: Option<Probability>,
    /// The work the spend limits leave undone over the horizon (none without `[limits]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_done: Option<NotDone>,
}

impl StressResult {
    /// The largest probability that a year passes its annual budget.
    pub fn worst_annual(&self) -> Option<f64> {
        self.years
            .iter()
            .filter_map(|y| y.annual_budget.map(|b| b.p_exceed))
            .reduce(f64::max)
    }

    /// The month most likely to pass its monthly budget (the earliest among equals).
    pub fn riskiest_month(&self) -> Option<(&str, BudgetCheck)> {
        let mut best: Option<(&str, BudgetCheck)> = None;
        for m in &self.months {
            if let Some(b) = m.monthly_budget
                && best.is_none_or(|(_, w)| b.p_exceed > w.p_exceed)
            {
                best = Some((m.period.as_str(), b));
            }
        }
        best
    }

    /// Whether the headcount capped seats in some trial.
    pub fn capped(&self) -> bool {
        self.headcount
            .as_ref()
            .is_some_and(|h| h.capped_trials.p > 0.0)
    }
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
        adoption_speed: case.adoption_speed.unwrap_or(1.0),
        tokens: case.tokens_per_task.unwrap_or(1.0),
        prices: case.prices.unwrap_or(1.0),
        tasks: case.tasks_per_day.unwrap_or(1.0),
    };
    Ok(f)
}

/// Summarises one run as a stress row.
pub fn result(name: &str, f: &Forecast, run: &ForecastRun, set: Vec<String>) -> StressResult {
    let model = &f.model;
    let streams = &run.streams;
    let period = |m: usize| model.start.plus(m as u32).to_string();
    let any_over = |count: u64| Probability::of(count, run.trials);
    StressResult {
        name: name.to_string(),
        seats_factor: model.factors.seats,
        adoption_speed: model.factors.adoption_speed,
        tokens_factor: model.factors.tokens,
        prices_factor: model.factors.prices,
        tasks_factor: model.factors.tasks,
        set,
        headcount: model.headcount.map(|headcount| HeadcountCap {
            headcount,
            capped_trials: Probability::of(run.headcount_capped_trials, run.trials),
        }),
        months: (0..run.months)
            .map(|m| StressMonth {
                period: period(m),
                bill: Dist::streamed(&streams.monthly[m][Series::Bill as usize], false),
                monthly_budget: streams.monthly_budget.get(m).map(BudgetCheck::streamed),
            })
            .collect(),
        years: streams
            .years
            .iter()
            .enumerate()
            .map(|(y, range)| StressYear {
                label: model.year_label(y),
                periods: [period(range.start), period(range.end - 1)],
                bill: Dist::streamed(&streams.yearly[y], false),
                annual_budget: streams.annual_budget.get(y).map(BudgetCheck::streamed),
                p_any_month_over_budget: streams
                    .any_month_over_by_year
                    .get(y)
                    .map(|&c| any_over(c)),
                not_done: streams.limits_yearly.get(y).map(|a| NotDone::of(a)),
            })
            .collect(),
        total: Dist::streamed(&streams.total, false),
        p_any_month_over_budget: (!streams.monthly_budget.is_empty())
            .then(|| any_over(streams.any_month_over)),
        not_done: streams.limits_yearly.last().map(|a| NotDone::of(a)),
    }
}

/// Runs every stress case of `base` with `config`; `base_run` is the base case's run.
pub fn run_all(
    base: &Forecast,
    base_run: &ForecastRun,
    config: &ForecastConfig,
) -> Result<Vec<StressResult>, StressError> {
    run_all_with(base, base_run, config, &mut |_, f| {
        Ok(simulate::run(&f.model.headline_only(), config)?)
    })
}

/// [`run_all`], each stress case's run (`i`: the case's index, with its forecast) made by
/// `simulate` (e.g. merged from the shards of a sharded run).
pub fn run_all_with(
    base: &Forecast,
    base_run: &ForecastRun,
    config: &ForecastConfig,
    simulate: &mut dyn FnMut(usize, &Forecast) -> Result<ForecastRun, StressError>,
) -> Result<Vec<StressResult>, StressError> {
    let mut out = vec![result("base", base, base_run, Vec::new())];
    for i in 0..base.spec.stress.len() {
        let f = case_forecast(base, i, config.seed, config.threads)?;
        let run = simulate(i, &f)?;
        let set = stress_overrides(&base.spec, i)
            .into_iter()
            .map(|o| format!("{}={}", o.path, o.value))
            .collect();
        out.push(result(&base.spec.stress[i].name, &f, &run, set));
    }
    Ok(out)
}
