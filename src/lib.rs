//! tokencast: Monte Carlo forecasts of what AI coding agents cost.
//!
//! Data flows one way: scenario file → validated model → trials → usage → cost → statistics →
//! reports. Each module is one layer and knows only the layers below it.
#![warn(missing_docs)]

pub mod calibrate;
pub mod diff;
pub mod dist;
pub mod engine;
pub mod file_kind;
pub mod forecast;
pub mod gates;
pub mod input;
pub mod pricing;
pub mod report;
pub mod scenario;
pub mod stats;
pub mod text;
pub mod workflow;

use engine::{EngineError, Observer, RunConfig, RunResult, Summary};
use scenario::Scenario;

/// Runs a loaded scenario and summarises it: the whole pipeline below the reports, for
/// programs and tests that want numbers without the command line.
///
/// ```
/// use tokencast::{engine::{RunConfig, Silent}, scenario::Scenario};
/// let text = std::fs::read_to_string("scenarios/reference-coding-task.toml").unwrap();
/// let scenario = Scenario::from_text("reference", "reference", text).unwrap();
/// let config = RunConfig { trials: 2_000, seed: 1, threads: Some(1) };
/// let summary = tokencast::simulate(&scenario, &config, &mut Silent).unwrap();
/// assert!(summary.metric("cost_usd").unwrap().mean > 0.0);
/// ```
pub fn simulate(
    scenario: &Scenario,
    config: &RunConfig,
    observer: &mut dyn Observer,
) -> Result<Summary, EngineError> {
    simulate_run(scenario, config, observer).map(|s| s.summary)
}

/// A run's summary together with the merged aggregates it was built from (quantile sketches,
/// convergence checkpoints), which the charts read.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The summary (what `summary.json` holds).
    pub summary: Summary,
    /// The merged aggregates.
    pub result: RunResult,
}

/// [`simulate`], keeping the run's aggregates for charts and reports.
pub fn simulate_run(
    scenario: &Scenario,
    config: &RunConfig,
    observer: &mut dyn Observer,
) -> Result<Simulation, EngineError> {
    let result = engine::run(
        &scenario.workflow,
        &scenario.price_table(),
        config,
        observer,
    )?;
    let mut summary = Summary::new(&scenario.name, &scenario.workflow, &result);
    summary.routing = compare_routing(scenario, config, summary.trials)?;
    Ok(Simulation { summary, result })
}

/// The routing comparison of a scenario's `[routing]` over `trials` tasks (those the run
/// made), or `None` without `[routing]`.
pub fn compare_routing(
    scenario: &Scenario,
    config: &RunConfig,
    trials: u64,
) -> Result<Option<engine::routing_summary::RoutingSummary>, EngineError> {
    let Some(routing) = &scenario.routing else {
        return Ok(None);
    };
    let config = RunConfig {
        trials,
        ..config.clone()
    };
    let result = engine::routing::run_routing(
        &scenario.workflow,
        routing,
        &scenario.price_table(),
        &config,
    )?;
    Ok(Some(engine::routing_summary::summarise(
        routing,
        &scenario.workflow.model_names,
        &result,
    )))
}
