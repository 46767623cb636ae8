//! The one serialisable result of a run that every writer reads.
//!
//! The JSON shape is stable (documented in docs/guide/outputs.md): `scenario`, `trials`, `seed`,
//! `success_rate {mean, se}`, `cost_per_success_usd {mean, se}`, `quantile_method`,
//! `metrics {NAME: MetricSummary}`, `by_model {MODEL: {NAME: MetricSummary}}`,
//! `by_phase {PHASE: {NAME: MetricSummary}}` and `cost_shares {by_phase, by_model, by_phase_se,
//! by_model_se}` (each share a ratio of means with its delta-method SE, see
//! [`crate::stats::Share`]), and, for a scenario with `[[correlation]]` only,
//! `rank_correlations [{between, target, achieved, se, trials}]`. Nothing in it depends on threads or the clock.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::metrics::{
    CAP_STOP_METRICS, MetricLayout, PHASE_METRICS, Scope, TRIAL_METRICS, USAGE_METRICS,
};
use super::run::RunResult;
use crate::stats::rank;
use crate::stats::{ChunkSums, Estimate, MetricSummary, QuantileSketch, RELATIVE_ERROR, Share};
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
    /// Cost, calls, iterations and tokens of each kind of each phase.
    pub by_phase: NamedMap<NamedMap<MetricSummary>>,
    /// Each phase's and each model's share of the mean cost.
    pub cost_shares: CostShares,
    /// The rank correlations a scenario's `[[correlation]]` asks for, and those its trials
    /// achieved (absent without correlations, so other scenarios keep their summary).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rank_correlations: Vec<AchievedRank>,
    /// The routing policies of a scenario's `[routing]`, compared on the same tasks (absent
    /// without `[routing]`, so other scenarios keep their summary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<super::routing_summary::RoutingSummary>,
}

/// Most trials the achieved rank correlations are measured over (the first ones of the run):
/// ranking needs every value in memory.
pub const MAX_RANKED_TRIALS: u64 = 1_000_000;

/// A target rank correlation and the one the trials achieved.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AchievedRank {
    /// The two inputs, as the scenario names them.
    pub between: [String; 2],
    /// The Spearman correlation asked for.
    pub target: f64,
    /// Spearman's correlation of the values the trials used.
    pub achieved: f64,
    /// Its standard error (Fieller, Hartley & Pearson 1957).
    pub se: f64,
    /// The trials it is measured over (the first ones, at most 1,000,000).
    pub trials: u64,
}

/// The achieved rank correlations of the first trials of a run of `workflow` with `seed`:
/// each trial's factors are drawn again from its own stream (they depend on the seed and the
/// trial index alone), so these are the values the trials used.
pub fn achieved_ranks(workflow: &Workflow, seed: u64, trials: u64) -> Vec<AchievedRank> {
    let Some(factors) = &workflow.factors else {
        return Vec::new();
    };
    if factors.targets.is_empty() {
        return Vec::new();
    }
    let n = trials.min(MAX_RANKED_TRIALS);
    let k = factors.inputs.len();
    let mut columns = vec![Vec::with_capacity(n as usize); k];
    let mut values = Vec::with_capacity(k);
    for i in 0..n {
        let f = factors.draw(&super::seed::trial_rng(seed, i));
        workflow.correlated_values(&f, &mut values);
        for (c, v) in columns.iter_mut().zip(&values) {
            c.push(*v);
        }
    }
    let ranks: Vec<Vec<f64>> = columns.iter().map(|c| rank::average_ranks(c)).collect();
    factors
        .targets
        .iter()
        .map(|t| {
            let (a, b) = t.pair;
            let achieved = rank::pearson(&ranks[a], &ranks[b]);
            AchievedRank {
                between: [factors.names[a].clone(), factors.names[b].clone()],
                target: t.spearman,
                achieved,
                se: rank::spearman_se(achieved, n),
                trials: n,
            }
        })
        .collect()
}

/// Where the money goes: each part's mean cost divided by the mean total cost, a ratio
/// estimator `Σ part / Σ total` with its delta-method standard error (shares of phases add up
/// to 1, as do models').
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostShares {
    /// Share of each phase, in phase order.
    pub by_phase: NamedMap<f64>,
    /// Share of each model, in model order.
    pub by_model: NamedMap<f64>,
    /// Standard error of each phase's share, in phase order.
    pub by_phase_se: NamedMap<f64>,
    /// Standard error of each model's share, in model order (0 with a single model, whose
    /// share is 1 exactly).
    pub by_model_se: NamedMap<f64>,
}

impl CostShares {
    /// The share of a phase with its standard error.
    pub fn phase(&self, name: &str) -> Option<Share> {
        Some(Share {
            share: *self.by_phase.get(name)?,
            se: *self.by_phase_se.get(name)?,
        })
    }

    /// The share of a model with its standard error.
    pub fn model(&self, name: &str) -> Option<Share> {
        Some(Share {
            share: *self.by_model.get(name)?,
            se: *self.by_model_se.get(name)?,
        })
    }

    /// The shares of a run: each part's cost moments against the total's, with their
    /// co-moment.
    fn new(workflow: &Workflow, result: &RunResult) -> CostShares {
        let layout = &result.layout;
        let moments = |scope| {
            let i = layout
                .index_of(scope, "cost_usd")
                .expect("cost metric in the layout");
            &result.moments[i]
        };
        let total = moments(Scope::Total);
        let share = |scope| match result.cost_comoments.iter().find(|(s, _)| *s == scope) {
            Some((_, co)) => Share::of(moments(scope), total, co),
            // A single model: its cost is the total, trial by trial.
            None => Share {
                share: if total.mean > 0.0 { 1.0 } else { 0.0 },
                se: 0.0,
            },
        };
        let phases: Vec<(String, Share)> = (workflow.phase_names.iter().enumerate())
            .map(|(p, name)| (name.clone(), share(Scope::Phase(p))))
            .collect();
        let models: Vec<(String, Share)> = (workflow.model_names.iter().enumerate())
            .map(|(m, name)| (name.clone(), share(Scope::Model(m))))
            .collect();
        let pick = |parts: &[(String, Share)], f: fn(&Share) -> f64| {
            NamedMap(parts.iter().map(|(n, s)| (n.clone(), f(s))).collect())
        };
        CostShares {
            by_phase: pick(&phases, |s| s.share),
            by_model: pick(&models, |s| s.share),
            by_phase_se: pick(&phases, |s| s.se),
            by_model_se: pick(&models, |s| s.se),
        }
    }
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
                // The shares stopped by a cap are listed only when the scenario has that cap,
                // so a scenario without `[limits]` keeps its summary byte for byte.
                None if CAP_STOP_METRICS.contains(&name) => continue,
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
                    .map(|(p, name)| {
                        // Token kinds the workflow never produces are not recorded per phase.
                        let metrics = PHASE_METRICS
                            .iter()
                            .map(|&n| {
                                let summary = match layout.index_of(Scope::Phase(p), n) {
                                    Some(_) => metric(Scope::Phase(p), n),
                                    None => zero(),
                                };
                                (n.to_string(), summary)
                            })
                            .collect();
                        (name.clone(), NamedMap(metrics))
                    })
                    .collect(),
            ),
            cost_shares: CostShares::new(workflow, result),
            rank_correlations: achieved_ranks(workflow, result.seed, result.trials),
            routing: None,
        }
    }

    /// A whole-trial metric by name.
    pub fn metric(&self, name: &str) -> Option<&MetricSummary> {
        self.metrics.get(name)
    }
}
