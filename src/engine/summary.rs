//! The one serialisable result of a run that every writer reads.
//!
//! The JSON shape is stable (documented in the README): `scenario`, `trials`, `seed`,
//! `success_rate {mean, se}`, `cost_per_success_usd {mean, se}`, `quantile_method`,
//! `metrics {NAME: MetricSummary}`, `by_model {MODEL: {NAME: MetricSummary}}` and
//! `by_phase {PHASE: {NAME: MetricSummary}}`. Nothing in it depends on threads or the clock.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::metrics::{MetricLayout, PHASE_METRICS, Scope, USAGE_METRICS};
use super::run::RunResult;
use crate::stats::{Estimate, MetricSummary, RELATIVE_ERROR};
use crate::workflow::Workflow;

/// A map that keeps its insertion order when serialised.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NamedMap<T>(pub Vec<(String, T)>);

impl<T> NamedMap<T> {
    /// The value under `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
}

impl<T: Serialize> Serialize for NamedMap<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// How percentiles were computed and how exact they are.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantileMethod {
    /// The method.
    pub method: &'static str,
    /// Largest relative error of a reported percentile against the exact order statistic.
    pub relative_error: f64,
    /// Which order statistic a percentile is.
    pub definition: &'static str,
    /// How the `ci95` intervals are made.
    pub intervals: &'static str,
}

/// The summary of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Scenario name.
    pub scenario: String,
    /// Trials run.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Share of tasks that succeeded.
    pub success_rate: Estimate,
    /// Total cost divided by the number of successful tasks (failures' cost included).
    pub cost_per_success_usd: Estimate,
    /// How the percentiles were computed.
    pub quantile_method: QuantileMethod,
    /// Whole-trial metrics.
    pub metrics: NamedMap<MetricSummary>,
    /// The same metrics for each model.
    pub by_model: NamedMap<NamedMap<MetricSummary>>,
    /// Cost, calls and iterations of each phase.
    pub by_phase: NamedMap<NamedMap<MetricSummary>>,
}

impl Summary {
    /// Builds the summary of a run of `workflow` named `scenario`.
    pub fn new(scenario: &str, workflow: &Workflow, result: &RunResult) -> Summary {
        let layout: &MetricLayout = &result.layout;
        let metric = |scope: Scope, name: &str| -> MetricSummary {
            let i = layout
                .index_of(scope, name)
                .expect("metric present in the layout");
            MetricSummary::new(
                &result.moments[i],
                &result.sketches[i],
                layout.defs[i].integer,
            )
        };
        let group = |scope: Scope, names: &[&str]| {
            NamedMap(
                names
                    .iter()
                    .map(|&n| (n.to_string(), metric(scope, n)))
                    .collect(),
            )
        };
        let cost_index = layout
            .index_of(Scope::Total, "cost_usd")
            .expect("cost metric");
        let cost = &result.moments[cost_index];
        Summary {
            scenario: scenario.to_string(),
            trials: result.trials,
            seed: result.seed,
            success_rate: Estimate::proportion(result.successes, result.trials),
            cost_per_success_usd: Estimate::ratio_of_means(
                cost,
                &result.success_indicator,
                result.cost_times_success.mean,
            ),
            quantile_method: QuantileMethod {
                method: "log-linear histogram (1,024 buckets per power of two), merged exactly",
                relative_error: RELATIVE_ERROR,
                definition: "order statistic of rank ceil(q n); min and max are exact",
                intervals: "95% distribution-free order-statistic interval (ranks n q -/+ 1.96 sqrt(n q (1 - q)))",
            },
            metrics: group(Scope::Total, &USAGE_METRICS),
            by_model: NamedMap(
                workflow
                    .model_names
                    .iter()
                    .enumerate()
                    .map(|(m, name)| (name.clone(), group(Scope::Model(m), &USAGE_METRICS)))
                    .collect(),
            ),
            by_phase: NamedMap(
                workflow
                    .phase_names
                    .iter()
                    .enumerate()
                    .map(|(p, name)| (name.clone(), group(Scope::Phase(p), &PHASE_METRICS)))
                    .collect(),
            ),
        }
    }

    /// A whole-trial metric by name.
    pub fn metric(&self, name: &str) -> Option<&MetricSummary> {
        self.metrics.get(name)
    }
}
