//! Forecast trials: one trial is one possible future of the organisation, month by month.
//!
//! Trial `i` draws its inputs from per-input streams `(seed, input, i)` and everything else
//! from `engine::trial_rng(seed, i)`; trials run in fixed chunks of [`CHUNK`] trials, a window
//! of chunks at a time in parallel, and each chunk is absorbed into the streamed summaries
//! ([`super::streams`]) in trial order, so results are bit-identical at any thread count and
//! memory does not grow with the trial count (unless every trial is recorded,
//! [`Record::EveryTrial`]).

use rayon::prelude::*;

use super::model::ForecastModel;
use super::spend_split::SpendSplit;
use super::streams::{RunStreams, TrialSample};
use super::trial::{empty_moments, run_trials};
use crate::engine::{EngineError, worker_threads};
use crate::pricing::scheme::{BillingScheme, Sizing};
use crate::stats::Moments;

/// Trials per unit of parallel work.
pub const CHUNK: u64 = 64;

/// Chunks per worker thread run in parallel before they are absorbed in order (bounds the
/// chunks held at once).
pub(super) const WINDOW_PER_THREAD: u64 = 8;

/// Which trials a run keeps per trial (every summary is streamed whatever this says).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Record {
    /// The first [`DETAIL_TRIALS`] trials (FOCUS per-kind percentiles, compute sizing): memory
    /// does not grow beyond them.
    #[default]
    FirstTrials,
    /// Every trial (memory grows with the trial count): for tests and analyses that ask for
    /// per-trial values.
    EveryTrial,
}

/// How to run a forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastConfig {
    /// Number of forecast trials.
    pub trials: u64,
    /// Seed.
    pub seed: u64,
    /// Worker threads (`None`: one per core). Results do not depend on it.
    pub threads: Option<usize>,
    /// Which trials are kept per trial.
    pub record: Record,
}

/// A forecast run. Every summary is streamed over all trials into accumulators whose size does
/// not grow with the trial count: `streams` (bills per month, cumulative, per year and over
/// the horizon, per scheme, detail series, budgets), `kind_moments`,
/// `scheme_details`, and `sample` (inputs and yearly bills of the first
/// [`super::streams::SAMPLE_TRIALS`] trials, for rank correlations). Per-trial series are kept
/// for the first `detail_trials` trials: [`DETAIL_TRIALS`] by default, every trial with
/// [`Record::EveryTrial`]. Per-trial values are laid out `[trial * months + month]`.
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
    /// Trials kept per trial: `min(trials, DETAIL_TRIALS)`, or every trial with
    /// [`Record::EveryTrial`].
    pub detail_trials: u64,
    /// Streamed summaries over every trial.
    pub streams: RunStreams,
    /// The bill by task kind and by model, streamed over every trial.
    pub split: SpendSplit,
    /// Inputs and yearly bills of the first trials, paired (rank correlations).
    pub sample: TrialSample,
    /// Per month and kind (`[month * kinds + kind]`), moments over all trials of the usage
    /// bill, tokens and list cost.
    pub kind_moments: Vec<[Moments; 3]>,
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
    /// The headline bill's fixed charges (seat fees, commitment, reserved compute), per trial
    /// and month.
    pub fixed_charges: Vec<f64>,
    /// Named schemes.
    pub schemes: usize,
    /// Each named scheme's bill, `[(trial * months + month) * schemes + scheme]`.
    pub scheme_bill: Vec<f64>,
    /// Per month and scheme, sums over trials of the bills' details, `[month * schemes +
    /// scheme]` (streamed: their size does not grow with trials).
    pub scheme_details: Vec<BillDetails>,
    /// Per scheme, the units provisioned each month (compute hours sized to a peak
    /// percentile; empty for other schemes).
    pub provisioned: Vec<Vec<u64>>,
    /// With `[limits]`, per trial and month: tasks not done, their list value, and users at
    /// the per-user limit (empty without limits).
    pub limit_tasks: Vec<f64>,
    /// See `limit_tasks`.
    pub limit_list: Vec<f64>,
    /// See `limit_tasks`.
    pub limit_users: Vec<f64>,
    /// Trials in which the headcount capped the seats of at least one month (counted over
    /// every trial).
    pub headcount_capped_trials: u64,
}

/// Every per-trial series of a [`ForecastRun`] (the first `detail_trials` trials' values), as
/// an array of references: `per_trial_series!(run, &)` or `per_trial_series!(run, &mut)`. One
/// list for the memory count, the shard state and its reset.
macro_rules! per_trial_series {
    ($run:expr, $($r:tt)+) => {
        [
            $($r)+ $run.seats,
            $($r)+ $run.active,
            $($r)+ $run.tasks,
            $($r)+ $run.tokens,
            $($r)+ $run.list_cost,
            $($r)+ $run.bill,
            $($r)+ $run.bill_by_kind,
            $($r)+ $run.tokens_by_kind,
            $($r)+ $run.list_by_kind,
            $($r)+ $run.inputs,
            $($r)+ $run.fixed_charges,
            $($r)+ $run.scheme_bill,
            $($r)+ $run.limit_tasks,
            $($r)+ $run.limit_list,
            $($r)+ $run.limit_users,
        ]
    };
}
pub(crate) use per_trial_series;

/// Trials kept per trial by default ([`Record::FirstTrials`]): every series (bills, scheme
/// bills, inputs, seats, tasks, tokens, list cost, fixed charges, per-kind figures) of these
/// trials; beyond them only streamed summaries grow nothing.
pub const DETAIL_TRIALS: u64 = 2000;

/// Sums over trials of what a scheme did in a month.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct BillDetails {
    /// Fixed charges (seat fees, commitment, reserved compute).
    pub fixed: f64,
    /// Billed beyond an allowance, commitment or capacity.
    pub overage: f64,
    /// Commitment paid for but unused.
    pub unused_commitment: f64,
    /// List value of work not done (throttled or dropped).
    pub throttled_list: f64,
    /// Units provisioned or consumption units billed.
    pub units: f64,
    /// Utilisation of provisioned capacity.
    pub utilisation: f64,
}

impl BillDetails {
    /// One month's details of `bill`, whose fixed charge is `fixed`.
    pub(super) fn of(bill: &crate::pricing::scheme::Bill, fixed: f64) -> BillDetails {
        BillDetails {
            fixed,
            overage: bill.overage_usd,
            unused_commitment: bill.unused_commitment_usd,
            throttled_list: bill.throttled_list_usd,
            units: bill.units,
            utilisation: bill.utilisation,
        }
    }

    pub(super) fn add(&mut self, o: &BillDetails) {
        self.fixed += o.fixed;
        self.overage += o.overage;
        self.unused_commitment += o.unused_commitment;
        self.throttled_list += o.throttled_list;
        self.units += o.units;
        self.utilisation += o.utilisation;
    }
}

/// Trials whose peak hourly demand sizes compute-hours schemes sized to a percentile: the
/// units of month `m` cover that percentile of month `m`'s peak over the first this many
/// trials (a plan made before the month, from the forecast itself).
pub const SIZING_TRIALS: u64 = 2000;

// The sizing pilot reads per-trial peaks, kept for the first DETAIL_TRIALS trials.
const _: () = assert!(SIZING_TRIALS <= DETAIL_TRIALS);

/// What a pass over trials is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// Record peak demand (tokens per minute) instead of bills, for sizing.
    Peaks,
    /// Bill.
    Bill,
}

impl ForecastRun {
    /// Values of one per-trial series for month `m`, over the trials it holds (the first
    /// `detail_trials`).
    pub fn month_values(&self, series: &[f64], m: usize) -> Vec<f64> {
        (0..series.len() / self.months.max(1))
            .map(|t| series[t * self.months + m])
            .collect()
    }

    /// Bytes held by the per-trial vectors (the first `detail_trials` trials, and the
    /// sensitivity sample) and by the streamed accumulators: (per-trial, accumulators).
    pub fn memory_bytes(&self) -> (usize, usize) {
        let per_trial = per_trial_series!(self, &)
            .iter()
            .map(|v| v.len() * 8)
            .sum::<usize>()
            + (self.sample.inputs.len() + self.sample.year_bills.len()) * 8;
        let acc = self.kind_moments.len() * std::mem::size_of::<[Moments; 3]>()
            + self.scheme_details.len() * std::mem::size_of::<BillDetails>()
            + self.streams.heap_bytes()
            + self.split.heap_bytes();
        (per_trial, acc)
    }

    /// Each kept trial's (the first `detail_trials`) bill summed over months `range`.
    pub fn bill_total(&self, range: std::ops::Range<usize>) -> Vec<f64> {
        (0..self.detail_trials as usize)
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
    if model.schemes.iter().any(|s| s.sized_to_peak()) {
        // The sizing pilot's trials are simulated once and billed once sized.
        return super::pilot::run(model, config);
    }
    let provisioned = vec![Vec::new(); model.schemes.len()];
    let mut out = run_pass(model, config, config.trials, Pass::Bill, &provisioned)?;
    out.provisioned = provisioned;
    Ok(out)
}

/// [`run`] as it was before the sizing pilot's trials were billed rather than rerun
/// ([`super::pilot`]): the pilot's trials are simulated for their peaks, then every trial is
/// simulated and billed. The same outputs bit for bit, at more cost; for the tests and the
/// bench (`benches/forecast_schemes.rs`) that compare the two.
pub fn run_simulating_pilot_twice(
    model: &ForecastModel,
    config: &ForecastConfig,
) -> Result<ForecastRun, EngineError> {
    if config.trials == 0 {
        return Err(EngineError::NoTrials);
    }
    let provisioned = sizing(model, config)?;
    let mut out = run_pass(model, config, config.trials, Pass::Bill, &provisioned)?;
    out.provisioned = provisioned;
    Ok(out)
}

/// The units each compute-hours scheme sized to a peak percentile provisions per month, from a
/// pilot over the first [`SIZING_TRIALS`] trials (empty for other schemes), by simulating them
/// (what a shard that does not run those trials needs; [`run`] bills the pilot's trials
/// instead, [`super::pilot`]).
pub(super) fn sizing(
    model: &ForecastModel,
    config: &ForecastConfig,
) -> Result<Vec<Vec<u64>>, EngineError> {
    let mut provisioned = vec![Vec::new(); model.schemes.len()];
    if model.schemes.iter().any(|s| s.sized_to_peak()) {
        let pilot = run_pass(
            model,
            config,
            config.trials.min(SIZING_TRIALS),
            Pass::Peaks,
            &provisioned,
        )?;
        let (months, n) = (model.months(), model.schemes.len());
        for (i, s) in model.schemes.iter().enumerate() {
            if let BillingScheme::ComputeHours(c) = &s.scheme
                && s.sized_to_peak()
            {
                provisioned[i] = (0..months)
                    .map(|m| {
                        let peaks: Vec<f64> = (0..pilot.trials as usize)
                            .map(|t| pilot.scheme_bill[(t * months + m) * n + i])
                            .collect();
                        match c.sized_to(&peaks).sizing {
                            Sizing::Fixed(u) => u,
                            Sizing::PeakPercentile(_) => 0,
                        }
                    })
                    .collect();
            }
        }
    }
    Ok(provisioned)
}

/// Trials kept per trial in a run of `trials` trials.
pub(super) fn kept_trials(config: &ForecastConfig, trials: u64) -> u64 {
    match config.record {
        Record::FirstTrials => trials.min(DETAIL_TRIALS),
        Record::EveryTrial => trials,
    }
}

/// A run of `trials` trials before any trial is absorbed.
pub(super) fn empty_run(
    model: &ForecastModel,
    config: &ForecastConfig,
    trials: u64,
) -> ForecastRun {
    let schemes = model.schemes.len();
    ForecastRun {
        trials,
        seed: config.seed,
        months: model.months(),
        kinds: model.tasks.len(),
        input_count: model.params.len(),
        schemes,
        detail_trials: kept_trials(config, trials),
        scheme_details: vec![BillDetails::default(); model.months() * schemes],
        kind_moments: vec![empty_moments(); model.months() * model.tasks.len()],
        streams: RunStreams::new(
            model.months(),
            schemes,
            &model.years(),
            model.budget.monthly.as_deref(),
            model.budget.annual.as_deref(),
        ),
        split: SpendSplit::new(model, &model.years()),
        ..ForecastRun::default()
    }
}

fn run_pass(
    model: &ForecastModel,
    config: &ForecastConfig,
    trials: u64,
    pass: Pass,
    provisioned: &[Vec<u64>],
) -> Result<ForecastRun, EngineError> {
    let mut out = empty_run(model, config, trials);
    run_chunks(
        model,
        config,
        pass,
        provisioned,
        &mut out,
        0..trials.div_ceil(CHUNK),
    )?;
    Ok(out)
}

/// Runs chunks `chunks` of `out`'s trials and absorbs them into `out` in order.
pub(super) fn run_chunks(
    model: &ForecastModel,
    config: &ForecastConfig,
    pass: Pass,
    provisioned: &[Vec<u64>],
    out: &mut ForecastRun,
    chunks: std::ops::Range<u64>,
) -> Result<(), EngineError> {
    let trials = out.trials;
    let threads = worker_threads(config.threads, chunks.end - chunks.start);
    let pool = crate::engine::thread_pool(threads)?;
    let kept = kept_trials(config, trials);
    let window = threads as u64 * WINDOW_PER_THREAD;
    let mut next = chunks.start;
    while next < chunks.end {
        let end = (next + window).min(chunks.end);
        let parts: Vec<ForecastRun> = pool.install(|| {
            (next..end)
                .into_par_iter()
                .map(|c| {
                    let first = c * CHUNK;
                    let last = (first + CHUNK).min(trials);
                    run_trials(model, config.seed, first..last, pass, provisioned)
                })
                .collect()
        });
        for (c, p) in (next..end).zip(parts) {
            out.absorb(p, c * CHUNK, kept, pass);
        }
        next = end;
    }
    Ok(())
}

impl ForecastRun {
    /// Absorbs chunk `p` (every one of its trials recorded), whose first trial is `first`: its
    /// accumulators are merged and its trials streamed (in trial order), and its trials below
    /// `kept` are kept per trial.
    pub(super) fn absorb(&mut self, p: ForecastRun, first: u64, kept: u64, pass: Pass) {
        let out = self;
        if pass == Pass::Bill {
            out.headcount_capped_trials += p.headcount_capped_trials;
            out.streams.absorb(&p);
            out.split.absorb(&p);
            out.sample.absorb(&p, first, &out.streams.years);
        }
        let n = kept.saturating_sub(first).min(CHUNK) as usize;
        let (months, kinds, schemes) = (out.months, out.kinds, out.schemes);
        let keep = |v: &mut Vec<f64>, from: &[f64], per_trial: usize| {
            v.extend_from_slice(&from[..(n * per_trial).min(from.len())]);
        };
        for (a, b) in out.kind_moments.iter_mut().zip(&p.kind_moments) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
        keep(&mut out.seats, &p.seats, months);
        keep(&mut out.active, &p.active, months);
        keep(&mut out.tasks, &p.tasks, months);
        keep(&mut out.tokens, &p.tokens, months);
        keep(&mut out.list_cost, &p.list_cost, months);
        keep(&mut out.bill, &p.bill, months);
        keep(&mut out.bill_by_kind, &p.bill_by_kind, months * kinds);
        keep(&mut out.tokens_by_kind, &p.tokens_by_kind, months * kinds);
        keep(&mut out.list_by_kind, &p.list_by_kind, months * kinds);
        keep(&mut out.inputs, &p.inputs, out.input_count);
        keep(&mut out.fixed_charges, &p.fixed_charges, months);
        keep(&mut out.limit_tasks, &p.limit_tasks, months);
        keep(&mut out.limit_list, &p.limit_list, months);
        keep(&mut out.limit_users, &p.limit_users, months);
        keep(&mut out.scheme_bill, &p.scheme_bill, months * schemes);
        for (a, b) in out.scheme_details.iter_mut().zip(&p.scheme_details) {
            a.add(b);
        }
    }
}
