//! Forecast trials: one trial is one possible future of the organisation, month by month.
//!
//! Trial `i` draws its inputs from per-input streams `(seed, input, i)` and everything else
//! from `engine::trial_rng(seed, i)`; trials run in fixed chunks whose results are
//! concatenated in trial order, so results are bit-identical at any thread count.

use rayon::prelude::*;

use super::aggregate::{MonthUsage, month_tasks, split, sum_tasks};
use super::model::ForecastModel;
use crate::engine::{EngineError, trial_rng, worker_threads};

/// Trials per unit of parallel work.
const CHUNK: u64 = 64;

/// How to run a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastConfig {
    /// Number of forecast trials.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Worker threads (`None`: one per core). Results do not depend on it.
    pub threads: Option<usize>,
}

/// Every trial's months: per-trial values, `[trial * months + month]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForecastRun {
    /// Trials run.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Months per trial.
    pub months: usize,
    /// Task kinds in the mix.
    pub kinds: usize,
    /// Seats.
    pub seats: Vec<f64>,
    /// Active users.
    pub active: Vec<f64>,
    /// Tasks run.
    pub tasks: Vec<f64>,
    /// Tokens consumed (all kinds).
    pub tokens: Vec<f64>,
    /// Cost at list prices (after price drift and factors).
    pub list_cost: Vec<f64>,
    /// The bill (discount or commitment, plus seat fees).
    pub bill: Vec<f64>,
    /// The usage bill by task kind, `[(trial * months + month) * kinds + kind]` (seat fees
    /// are not attributed to a kind).
    pub bill_by_kind: Vec<f64>,
    /// Tokens by task kind, same layout.
    pub tokens_by_kind: Vec<f64>,
    /// List cost by task kind, same layout.
    pub list_by_kind: Vec<f64>,
    /// Drawn inputs, `[trial * inputs + input]` (every input of the model, fixed ones too).
    pub inputs: Vec<f64>,
    /// Inputs per trial.
    pub input_count: usize,
}

impl ForecastRun {
    /// Values of one per-trial series for month `m`, over all trials.
    pub fn month_values(&self, series: &[f64], m: usize) -> Vec<f64> {
        (0..self.trials as usize)
            .map(|t| series[t * self.months + m])
            .collect()
    }

    /// Each trial's bill summed over months `range`.
    pub fn bill_total(&self, range: std::ops::Range<usize>) -> Vec<f64> {
        (0..self.trials as usize)
            .map(|t| {
                self.bill[t * self.months + range.start..t * self.months + range.end]
                    .iter()
                    .sum()
            })
            .collect()
    }
}

/// Runs the forecast.
pub fn run(model: &ForecastModel, config: &ForecastConfig) -> Result<ForecastRun, EngineError> {
    if config.trials == 0 {
        return Err(EngineError::NoTrials);
    }
    let chunks = config.trials.div_ceil(CHUNK);
    let threads = worker_threads(config.threads, chunks);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EngineError::ThreadPool {
            threads,
            message: e.to_string(),
        })?;
    let parts: Vec<ForecastRun> = pool.install(|| {
        (0..chunks)
            .into_par_iter()
            .map(|c| {
                let first = c * CHUNK;
                let last = (first + CHUNK).min(config.trials);
                run_trials(model, config.seed, first..last)
            })
            .collect()
    });
    let mut out = ForecastRun {
        trials: config.trials,
        seed: config.seed,
        months: model.months(),
        kinds: model.tasks.len(),
        input_count: model.params.len(),
        ..ForecastRun::default()
    };
    for p in parts {
        out.seats.extend(p.seats);
        out.active.extend(p.active);
        out.tasks.extend(p.tasks);
        out.tokens.extend(p.tokens);
        out.list_cost.extend(p.list_cost);
        out.bill.extend(p.bill);
        out.bill_by_kind.extend(p.bill_by_kind);
        out.tokens_by_kind.extend(p.tokens_by_kind);
        out.list_by_kind.extend(p.list_by_kind);
        out.inputs.extend(p.inputs);
    }
    Ok(out)
}

fn run_trials(model: &ForecastModel, seed: u64, range: std::ops::Range<u64>) -> ForecastRun {
    let months = model.months();
    let kinds = model.tasks.len();
    let n = (range.end - range.start) as usize;
    let mut out = ForecastRun {
        seats: Vec::with_capacity(n * months),
        active: Vec::with_capacity(n * months),
        tasks: Vec::with_capacity(n * months),
        tokens: Vec::with_capacity(n * months),
        list_cost: Vec::with_capacity(n * months),
        bill: Vec::with_capacity(n * months),
        bill_by_kind: Vec::with_capacity(n * months * kinds),
        tokens_by_kind: Vec::with_capacity(n * months * kinds),
        list_by_kind: Vec::with_capacity(n * months * kinds),
        ..ForecastRun::default()
    };
    let mut inputs = Vec::new();
    let mut weights = Vec::new();
    let mut counts = Vec::new();
    let mut bills = Vec::new();
    let f = model.factors;
    for index in range {
        model.draw_inputs(seed, index, &mut inputs);
        out.inputs.extend_from_slice(&inputs);
        let mut rng = trial_rng(seed, index);
        let curve = model.curve(&inputs);
        let share = inputs[model.active_share];
        let token_growth = 1.0 + inputs[model.token_drift];
        let price_growth = 1.0 + inputs[model.price_drift];
        for m in 0..months {
            let seats = (curve.seats((m + 1) as f64) * f.seats).round().max(0.0);
            let active = (seats * share).round();
            let usage = MonthUsage {
                active: active as u64,
                days: model.working_days[m],
                per_day: inputs[model.tasks_per_day] * f.tasks,
                dispersion: inputs[model.dispersion],
                sigma: inputs[model.intensity_sigma],
                counts: model.counts,
            };
            let total = month_tasks(&mut rng, &usage, &model.aggregation);
            model.mix_weights(&inputs, m, &mut weights);
            split(&mut rng, total, &weights, &mut counts);
            let token_mult = token_growth.powi(m as i32) * f.tokens;
            let price_mult = price_growth.powi(m as i32) * f.prices;
            let (mut list, mut tokens) = (0.0, 0.0);
            let first = out.list_by_kind.len();
            for (task, &count) in model.tasks.iter().zip(&counts) {
                let (c, t) = sum_tasks(&mut rng, &task.pool, count, &model.aggregation);
                let kind_list = c * token_mult * price_mult;
                let kind_tokens = t * token_mult;
                out.list_by_kind.push(kind_list);
                out.tokens_by_kind.push(kind_tokens);
                list += kind_list;
                tokens += kind_tokens;
            }
            bills.clear();
            bills.resize(kinds, 0.0);
            let bill = model.bill_month(&out.list_by_kind[first..], seats, &mut bills);
            out.bill_by_kind.extend_from_slice(&bills);
            out.seats.push(seats);
            out.active.push(active);
            out.tasks.push(total as f64);
            out.tokens.push(tokens);
            out.list_cost.push(list);
            out.bill.push(bill);
        }
    }
    out
}
