//! The one serialisable result of a run that every writer reads.
//!
//! The JSON shape is stable (documented in the README): `scenario`, `trials`, `seed`,
//! `success_rate {mean, se}`, `cost_per_success_usd {mean, se}`, `quantile_method`,
//! `metrics {NAME: MetricSummary}`, `by_model {MODEL: {NAME: MetricSummary}}` and
//! `by_phase {PHASE: {NAME: MetricSummary}}`. Nothing in it depends on threads or the clock.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::metrics::{MetricLayout, PHASE_METRICS, Scope, TRIAL_METRICS, USAGE_METRICS};
use super::run::RunResult;
use crate::stats::{ChunkSums, Estimate, MetricSummary, QuantileSketch, RELATIVE_ERROR};
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
    /// Each phase's and each model's share of the mean cost.
    pub cost_shares: CostShares,
}

/// Where the money goes: each part's mean cost divided by the mean total cost (a ratio of two
/// means, each with the SE the summary gives; shares of phases add up to 1, as do models').
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostShares {
    /// Share of each phase, in phase order.
    pub by_phase: NamedMap<f64>,
    /// Share of each model, in model order.
    pub by_model: NamedMap<f64>,
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
        // Mechanics metrics a workflow cannot make non-zero are not recorded; they are 0 in
        // every trial.
        let zero = || {
            let mut sketch = QuantileSketch::new();
            sketch.insert_repeated(0.0, result.trials);
            MetricSummary::new(
                &ChunkSums::constant(result.trials, 0.0).finish(),
                &sketch,
                true,
            )
        };
        let mut metrics = group(Scope::Total, &USAGE_METRICS);
        for name in TRIAL_METRICS {
            let summary = match layout.index_of(Scope::Total, name) {
                Some(_) => metric(Scope::Total, name),
                None => zero(),
            };
            metrics.0.push((name.to_string(), summary));
        }
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
            metrics,
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
            cost_shares: CostShares {
                by_phase: NamedMap(Vec::new()),
                by_model: NamedMap(Vec::new()),
            },
        }
        .with_cost_shares()
    }

    fn with_cost_shares(mut self) -> Summary {
        let total = self.metric("cost_usd").map_or(0.0, |m| m.mean);
        let share = |group: &NamedMap<NamedMap<MetricSummary>>| {
            NamedMap(
                group
                    .0
                    .iter()
                    .map(|(name, m)| {
                        let cost = m.get("cost_usd").map_or(0.0, |c| c.mean);
                        (name.clone(), if total > 0.0 { cost / total } else { 0.0 })
                    })
                    .collect(),
            )
        };
        self.cost_shares = CostShares {
            by_phase: share(&self.by_phase),
            by_model: share(&self.by_model),
        };
        self
    }

    /// A whole-trial metric by name.
    pub fn metric(&self, name: &str) -> Option<&MetricSummary> {
        self.metrics.get(name)
    }
}
