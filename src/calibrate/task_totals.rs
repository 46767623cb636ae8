//! Calibration from per-task totals without token counts (`task_id, cost, calls?, resolved?`):
//! the agent-loop template (`agent_loop`) fitted by simulated moments (`simulated_moments`),
//! written as a scenario, loaded back, and back-tested on the held-out tasks for cost and, when
//! the file has them, calls.
//!
//! What the moments identify (docs/guide/calibrate.md, "Per-task totals"): the cost quantiles
//! fix the token scale and, with the calls, how cost grows with the loop's length (the output
//! per call against the observations that accumulate in the context); the call quantiles fix
//! the loop's length, the difficulty spread and the fix loop's pass probability; the success
//! share and the failed/successful cost ratio fix the hidden tests' pass probability and how
//! it falls with difficulty. Without calls the loop's length and the output per call are
//! fixed at stated values; without outcomes no failure is modelled.

use std::collections::BTreeMap;

use serde::Serialize;

use super::agent_loop::{self, Caps, Estimate, LoopParams, LoopText, PARAM_NAMES};
use super::backtest;
use super::fit::Rate;
use super::import::{ImportReport, TaskTotal};
use super::simulated_moments::{self as msm, MomentSet, Totals};
use super::{
    CalibrateError, CalibrateOptions, Calibration, FittedModel, PriceOrigin, PricedModel, Side,
    prices_from_catalog, side,
};
use crate::engine::{Observer, RunConfig, TrialBlock};
use crate::scenario::Scenario;

/// Fewest simulated tasks of the fit.
const MIN_SIMULATED: usize = 4000;
/// Most simulated tasks of the fit.
const MAX_SIMULATED: usize = 8_000;

/// One moment: data, its bootstrap SE, and the fitted scenario's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MomentRow {
    /// The moment, for people.
    pub name: String,
    /// The data's.
    pub data: f64,
    /// Its bootstrap standard error.
    pub se: f64,
    /// The fitted twin's.
    pub fitted: f64,
}

/// An agent loop fitted to per-task totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskTotalsFit {
    /// Tasks fitted.
    pub tasks: usize,
    /// The model.
    pub model: String,
    /// The estimates (every template parameter, fitted or fixed).
    pub estimates: Vec<Estimate>,
    /// The fitted parameters.
    pub params: LoopParams,
    /// The moments.
    pub moments: Vec<MomentRow>,
    /// The objective at the estimate (a weighted sum of squares; about the number of moments
    /// less the parameters when the model fits).
    pub objective: f64,
    /// Objective evaluations.
    pub evaluations: usize,
    /// Simulated tasks per evaluation.
    pub simulated_tasks: usize,
    /// The per-task caps written.
    pub caps: Caps,
    /// Logged success rate (when stated).
    pub success: Option<Rate>,
    /// Failed/successful mean cost ratio in the data (when both occur).
    pub failed_cost_ratio: Option<f64>,
}

/// Calibrates from task totals.
pub fn calibrate_totals(
    totals: Vec<TaskTotal>,
    import: ImportReport,
    options: &CalibrateOptions,
) -> Result<Calibration, CalibrateError> {
    let model = the_model(&totals, options)?;
    let priced = match options.prices.get(&model) {
        Some(p) => PricedModel {
            prices: *p,
            origin: PriceOrigin::CommandLine,
        },
        None => options
            .catalog
            .as_ref()
            .and_then(|c| prices_from_catalog(c, &model))
            .map(|(prices, origin)| PricedModel { prices, origin })
            .ok_or_else(|| CalibrateError::MissingPrices(vec![model.clone()]))?,
    };
    let origin = price_origin(&priced.origin);
    calibrate_loop(totals, None, &model, priced, origin, import, options)
}

/// Fits the agent loop to `totals` (with each task's prompt and output tokens when `tokens`
/// holds them, in the same order), writes the scenario and back-tests it.
pub(super) fn calibrate_loop(
    totals: Vec<TaskTotal>,
    tokens: Option<Vec<(f64, f64)>>,
    model: &str,
    priced: PricedModel,
    origin: String,
    import: ImportReport,
    options: &CalibrateOptions,
) -> Result<Calibration, CalibrateError> {
    let model = model.to_string();
    if !(priced.prices.input > 0.0 || priced.prices.output > 0.0) {
        return Err(CalibrateError::Totals(format!(
            "{model}: its input and output prices are 0, so no token count can make its logged costs"
        )));
    }
    let has_tokens = tokens.is_some();
    let tokens = tokens.unwrap_or_else(|| vec![(0.0, 0.0); totals.len()]);
    let (held, fitted): (Vec<_>, Vec<_>) = totals
        .into_iter()
        .zip(tokens)
        .partition(|(t, _)| side(&t.task, options.split_seed, options.holdout) == Side::HeldOut);
    let (fitted, fitted_tokens): (Vec<TaskTotal>, Vec<(f64, f64)>) = fitted.into_iter().unzip();
    let held: Vec<TaskTotal> = held.into_iter().map(|(t, _)| t).collect();
    if fitted.len() < 20 {
        return Err(CalibrateError::Totals(format!(
            "{} tasks to fit: simulated moments need at least 20 (quantiles of fewer say little)",
            fitted.len()
        )));
    }
    if fitted.iter().all(|t| t.cost == 0.0) {
        return Err(CalibrateError::Totals(
            "every fitted task costs 0: there is nothing to fit".into(),
        ));
    }
    let fit = fit_totals(
        &fitted,
        has_tokens.then_some(fitted_tokens.as_slice()),
        &options.task_limits,
        &model,
        &priced,
        options.run.seed,
    )?;
    let prices = (priced.prices.input, priced.prices.output);
    let mut header = vec![format!(
        "Calibrated by `tokencast calibrate` (agent loop from per-task totals{}) from {} tasks in:",
        if has_tokens { " with token counts" } else { "" },
        fit.tasks
    )];
    header.extend(import.files.iter().map(|f| format!("  {f}")));
    header.push(format!(
        "{} further tasks ({}% by a seeded hash of the task id) were held out of the fit for the back-test.",
        held.len(),
        super::number(options.holdout * 100.0)
    ));
    let moments: Vec<(String, f64, f64, f64)> = fit
        .moments
        .iter()
        .map(|m| (m.name.clone(), m.data, m.se, m.fitted))
        .collect();
    let caps_origin = caps_origin(&options.task_limits, &fit.caps);
    let text = agent_loop::scenario_text(
        &fit.params,
        &LoopText {
            name: &options.name,
            header: &header,
            model: &model,
            prices,
            price_origin: &origin,
            estimates: &fit.estimates,
            moments: &moments,
            caps: fit.caps,
            caps_origin: &caps_origin,
            tasks: fit.tasks,
        },
    );
    let scenario = Scenario::from_text(
        &format!("{}.toml", options.name),
        &options.name,
        text.clone(),
    )
    .map_err(|e| CalibrateError::Scenario(e.to_string()))?;
    let held_cost: Vec<f64> = held.iter().map(|t| t.cost).collect();
    let held_calls: Vec<f64> = held
        .iter()
        .filter_map(|t| t.calls.map(|c| c as f64))
        .collect();
    let (bt, calls_bt) = if held.is_empty() {
        (None, None)
    } else {
        let (cost, calls) = simulate_scenario(&scenario, &options.run)?;
        let calls_bt = if held_calls.len() == held.len() {
            backtest::compare(&held_calls, calls, &options.run)
        } else {
            None
        };
        (backtest::compare(&held_cost, cost, &options.run), calls_bt)
    };
    let mut price_map = BTreeMap::new();
    price_map.insert(model, priced);
    Ok(Calibration {
        import,
        fitted_tasks: fit.tasks,
        held_out_tasks: held.len(),
        prices: price_map,
        model: FittedModel::Totals(fit),
        backtest: bt,
        calls_backtest: calls_bt,
        scenario_text: text,
    })
}

/// The one model the tasks ran: the file's `model` column, else the only `--price` given.
fn the_model(totals: &[TaskTotal], options: &CalibrateOptions) -> Result<String, CalibrateError> {
    let named: std::collections::BTreeSet<&str> =
        totals.iter().filter_map(|t| t.model.as_deref()).collect();
    match named.len() {
        1 if totals.iter().all(|t| t.model.is_some()) => {
            Ok(named.into_iter().next().unwrap_or_default().to_string())
        }
        0 if options.prices.len() == 1 => {
            Ok(options.prices.keys().next().cloned().unwrap_or_default())
        }
        0 => Err(CalibrateError::Totals(
            "the per-task totals name no model: add a `model` column, or give the model's prices with one --price MODEL=input,output,cache_write,cache_read".into(),
        )),
        1 => Err(CalibrateError::Totals(
            "some tasks name a model and some do not: give every task its model".into(),
        )),
        _ => Err(CalibrateError::Totals(format!(
            "the per-task totals name {} models ({}): an agent loop is fitted to one model's tasks; calibrate each model's tasks on their own",
            named.len(),
            named.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

pub(super) fn price_origin(o: &PriceOrigin) -> String {
    match o {
        PriceOrigin::CommandLine => "given with --price".into(),
        PriceOrigin::Catalog {
            entry,
            as_of,
            reference,
        } => format!(
            "list rates of the catalog entry `{entry}` as of {as_of} ({reference}; prompt-length tiers not applied)"
        ),
        other => format!("{other:?}"),
    }
}

/// Where the written caps come from: the harness's, as stated (`--task-step-limit`,
/// `--task-cost-limit`), else inferred from the highest observed.
fn caps_origin(stated: &Caps, caps: &Caps) -> String {
    let part = |given: bool, what: &str| {
        if given {
            format!("{what} as stated (the harness's limit)")
        } else {
            format!("{what} inferred from the highest observed in a fitted task")
        }
    };
    let mut parts = Vec::new();
    if caps.max_calls.is_some() {
        parts.push(part(stated.max_calls.is_some(), "calls"));
    }
    if caps.max_cost_usd.is_some() {
        parts.push(part(stated.max_cost_usd.is_some(), "cost"));
    }
    parts.join("; ")
}

/// Template values used when the data cannot identify them.
const DEFAULTS: LoopParams = LoopParams {
    explore_turns: 25.0,
    spread: 0.4,
    fix_pass: 0.6,
    output: 300.0,
    observation: 800.0,
    resolve: 0.75,
    resolve_link: 1.0,
    observation_link: 0.0,
};

/// Fits the template to `tasks` (all on the fit side).
pub fn fit_totals(
    tasks: &[TaskTotal],
    tokens: Option<&[(f64, f64)]>,
    stated: &Caps,
    model: &str,
    priced: &PricedModel,
    seed: u64,
) -> Result<TaskTotalsFit, CalibrateError> {
    let n = tasks.len();
    let has_calls = tasks.iter().all(|t| t.calls.is_some());
    let known: Vec<bool> = tasks.iter().filter_map(|t| t.success).collect();
    let successes = known.iter().filter(|s| **s).count();
    let success = (known.len() == n).then(|| {
        let rate = successes as f64 / n as f64;
        Rate {
            successes,
            known: n,
            rate,
            se: (rate * (1.0 - rate) / n as f64).sqrt(),
        }
    });
    if success.is_some() && successes == 0 {
        return Err(CalibrateError::Totals(
            "no fitted task succeeded: the hidden tests' pass probability would be 0".into(),
        ));
    }
    // Outcome moments need both outcomes, a handful of each.
    let has_outcomes = success.is_some() && successes >= 5 && n - successes >= 5;
    let set = MomentSet {
        calls: has_calls,
        outcomes: has_outcomes,
        tokens: tokens.is_some(),
    };
    let data = Totals {
        cost: tasks.iter().map(|t| t.cost).collect(),
        calls: if has_calls {
            tasks
                .iter()
                .enumerate()
                .map(|(i, t)| t.calls.unwrap_or(0) as f64 + msm::jitter(seed, i as u64))
                .collect()
        } else {
            Vec::new()
        },
        success: if has_outcomes {
            tasks.iter().map(|t| t.success.unwrap_or(true)).collect()
        } else {
            Vec::new()
        },
        prompt: tokens.map_or_else(Vec::new, |v| v.iter().map(|x| x.0).collect()),
        output: tokens.map_or_else(Vec::new, |v| v.iter().map(|x| x.1).collect()),
    };
    let failed_cost_ratio = if success.is_some() && successes < n {
        let mean = |ok: bool| {
            let v: Vec<f64> = tasks
                .iter()
                .filter(|t| t.success == Some(ok))
                .map(|t| t.cost)
                .collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        Some(mean(false) / mean(true))
    } else {
        None
    };
    let caps = Caps {
        max_calls: stated
            .max_calls
            .or_else(|| has_calls.then(|| tasks.iter().filter_map(|t| t.calls).max().unwrap_or(1))),
        max_cost_usd: stated
            .max_cost_usd
            .or_else(|| Some(tasks.iter().map(|t| t.cost).fold(0.0, f64::max))),
    };
    let prices = (priced.prices.input, priced.prices.output);
    let s = (5 * n).clamp(MIN_SIMULATED, MAX_SIMULATED);
    let sim_seed = seed ^ 0x1f83_d9ab_fb41_bd6b;

    // Which parameters the moments identify.
    let mut active = vec![1usize, 4];
    if has_calls {
        active.extend([0, 2, 3, 7]);
    }
    if has_outcomes {
        active.extend([5, 6]);
    }
    if tokens.is_some() && !has_calls {
        // The output share splits the volume between outputs and observations.
        active.push(3);
    }
    active.sort_unstable();
    let mut start = DEFAULTS;
    if !has_outcomes {
        start.resolve = match &success {
            Some(r) if r.successes == r.known => 1.0,
            Some(r) => r.rate.clamp(1e-6, 1.0),
            None => 1.0,
        };
        start.resolve_link = 0.0;
    }
    // Draws per task for at most 1,000 calls (a task that makes more reuses them cyclically),
    // so a stated step limit does not size memory.
    let bound = caps.max_calls.map_or(400, |c| c.min(1000) as usize);
    let draws = agent_loop::Draws::new(sim_seed, s, bound);
    let twin = |p: &LoopParams| agent_loop::simulate_with(&draws, p, &caps, prices);
    let sim_moments = |p: &LoopParams| -> Vec<f64> {
        let tw = twin(p);
        let t = Totals {
            cost: tw.iter().map(|x| x.cost).collect(),
            calls: if has_calls {
                tw.iter()
                    .enumerate()
                    .map(|(i, x)| x.calls as f64 + msm::jitter(sim_seed, i as u64))
                    .collect()
            } else {
                Vec::new()
            },
            success: if has_outcomes {
                tw.iter().map(|x| x.success).collect()
            } else {
                Vec::new()
            },
            prompt: if set.tokens {
                tw.iter().map(|x| x.prompt).collect()
            } else {
                Vec::new()
            },
            output: if set.tokens {
                tw.iter().map(|x| x.output).collect()
            } else {
                Vec::new()
            },
        };
        msm::moments(set, &t, None)
    };
    // Start: the loop's length from the median calls, the token scale from the median cost.
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    if has_calls {
        let want = median(data.calls.clone());
        let got = median(twin(&start).iter().map(|x| x.calls as f64).collect());
        if got > 0.0 {
            start.explore_turns = (start.explore_turns * want / got).clamp(1.0, 1000.0);
        }
    }
    let want = median(data.cost.clone());
    let got = median(twin(&start).iter().map(|x| x.cost).collect());
    if got > 0.0 && want > 0.0 {
        start.output *= want / got;
        start.observation *= want / got;
    }
    let full = |theta: &[f64]| -> LoopParams {
        let mut v = start.to_fit();
        for (k, &i) in active.iter().enumerate() {
            v[i] = theta[k];
        }
        let mut p = LoopParams::from_fit(&v);
        // Fixed values keep their exact start (the transforms may round them).
        let s = start.to_vec();
        let mut q = p.to_vec();
        for i in 0..8 {
            if !active.contains(&i) {
                q[i] = s[i];
            }
        }
        p = LoopParams::from_slice(&q);
        p
    };
    let start_fit = start.to_fit();
    let theta0: Vec<f64> = active.iter().map(|&i| start_fit[i]).collect();
    let step: Vec<f64> = active.iter().map(|_| 0.3).collect();
    let m_data = msm::moments(set, &data, None);
    let omega = msm::bootstrap_covariance(set, &data, seed);
    let result = msm::fit(
        &m_data,
        &omega,
        |theta| sim_moments(&full(theta)),
        &theta0,
        &step,
        n,
        s,
    );
    let params = full(&result.theta);
    let jac = params.to_vec();
    let jac_d = params.jacobian();
    let from = if tokens.is_some() {
        [
            "the call quantiles",
            "the spread of calls, tokens and costs, and the failed/successful cost ratio",
            "the upper call quantiles",
            "the output tokens per task (given the calls)",
            "the prompt tokens per task given the calls",
            "the success share",
            "the failed/successful cost ratio",
            "the prompt tokens per task given the calls",
        ]
    } else {
        [
            "the call quantiles",
            "the spread of calls and costs, and the failed/successful cost ratio",
            "the upper call quantiles",
            "how cost grows with calls (the slope of log cost on log calls)",
            "the cost quantiles given the calls",
            "the success share",
            "the failed/successful cost ratio",
            "how cost grows with calls (the slope of log cost on log calls)",
        ]
    };
    let fixed_why = [
        "no calls in the data: the loop's length is not identified",
        "",
        "no calls in the data",
        if tokens.is_some() {
            ""
        } else {
            "no calls in the data: output and context growth are not told apart"
        },
        "",
        "no outcomes in the data",
        "no outcomes in the data",
        "no calls in the data: observations are not scaled by difficulty",
    ];
    let estimates = (0..8)
        .map(|i| {
            let k = active.iter().position(|&a| a == i);
            let se = k.map(|k| match &result.covariance {
                Some(c) => jac_d[i].abs() * c[k][k].sqrt(),
                None => f64::INFINITY,
            });
            Estimate {
                name: PARAM_NAMES[i].into(),
                value: jac[i],
                se,
                from: if k.is_some() { from[i] } else { fixed_why[i] }.into(),
            }
        })
        .collect();
    let moments = set
        .names()
        .into_iter()
        .enumerate()
        .map(|(j, name)| MomentRow {
            name,
            data: result.data[j],
            se: result.data_se[j],
            fitted: result.fitted[j],
        })
        .collect();
    Ok(TaskTotalsFit {
        tasks: n,
        model: model.to_string(),
        estimates,
        params,
        moments,
        objective: result.objective,
        evaluations: result.evaluations,
        simulated_tasks: s,
        caps,
        success,
        failed_cost_ratio,
    })
}

struct CostCalls(Vec<f64>, Vec<f64>);

impl Observer for CostCalls {
    fn wants_trials(&self) -> bool {
        true
    }
    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        self.0.extend_from_slice(&block.cost);
        self.1.extend(block.calls.iter().map(|&c| c as f64));
        Ok(())
    }
}

/// The per-trial costs and calls of `scenario`.
pub fn simulate_scenario(
    scenario: &Scenario,
    config: &RunConfig,
) -> Result<(Vec<f64>, Vec<f64>), CalibrateError> {
    let mut c = CostCalls(Vec::new(), Vec::new());
    crate::simulate(scenario, config, &mut c)?;
    Ok((c.0, c.1))
}
