//! Forecast trials: one trial is one possible future of the organisation, month by month.
//!
//! Trial `i` draws its inputs from per-input streams `(seed, input, i)` and everything else
//! from `engine::trial_rng(seed, i)`; trials run in fixed chunks of [`CHUNK`] trials, a window
//! of chunks at a time in parallel, and each chunk is absorbed into the streamed summaries
//! ([`super::streams`]) in trial order, so results are bit-identical at any thread count and
//! memory does not grow with the trial count (unless every trial is recorded,
//! [`Record::EveryTrial`]).

use rayon::prelude::*;

use super::aggregate::{MonthUsage, TaskSums, month_tasks, split, sum_tasks, user_tasks};
use super::billing::{KindMonth, MonthWork, bill_month};
use super::model::{ForecastModel, Headline, SmallMonths, share_by_list};
use super::pool::Extra;
use super::streams::{RunStreams, TrialSample};
use crate::engine::{EngineError, mix64, trial_rng, worker_threads};
use crate::pricing::scheme::{BillingScheme, DemandProfile, SeatUsage, Sizing};
use crate::stats::Moments;

/// Trials per unit of parallel work.
pub const CHUNK: u64 = 64;

/// Chunks per worker thread run in parallel before they are absorbed in order (bounds the
/// chunks held at once).
const WINDOW_PER_THREAD: u64 = 8;

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
/// the horizon, per scheme, detail series, budgets), `month_moments`, `kind_moments`,
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
    /// Inputs and yearly bills of the first trials, paired (rank correlations).
    pub sample: TrialSample,
    /// Per month, moments over all trials of seats, active users, tasks, tokens, list cost and
    /// fixed charges (in [`Detail`] order).
    pub month_moments: Vec<[Moments; 6]>,
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
}

/// The detail series with moments in [`ForecastRun::month_moments`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Seats.
    Seats = 0,
    /// Active users.
    Active = 1,
    /// Tasks.
    Tasks = 2,
    /// Tokens.
    Tokens = 3,
    /// List cost.
    ListCost = 4,
    /// Fixed charges of the headline bill.
    Fixed = 5,
}

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
    fn add(&mut self, o: &BillDetails) {
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

/// Salt of the named schemes' stream.
const BILLING_SALT: u64 = 0x6269_6c6c_0000_0000;

/// What a pass over trials is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
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
        let per_trial = [
            &self.seats,
            &self.active,
            &self.tasks,
            &self.tokens,
            &self.list_cost,
            &self.bill,
            &self.bill_by_kind,
            &self.tokens_by_kind,
            &self.list_by_kind,
            &self.inputs,
            &self.fixed_charges,
            &self.scheme_bill,
        ]
        .iter()
        .map(|v| v.len() * 8)
        .sum::<usize>()
            + (self.sample.inputs.len() + self.sample.year_bills.len()) * 8;
        let acc = self.month_moments.len() * std::mem::size_of::<[Moments; 6]>()
            + self.kind_moments.len() * std::mem::size_of::<[Moments; 3]>()
            + self.scheme_details.len() * std::mem::size_of::<BillDetails>()
            + self.streams.heap_bytes();
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
    let mut out = run_pass(model, config, config.trials, Pass::Bill, &provisioned)?;
    out.provisioned = provisioned;
    Ok(out)
}

fn run_pass(
    model: &ForecastModel,
    config: &ForecastConfig,
    trials: u64,
    pass: Pass,
    provisioned: &[Vec<u64>],
) -> Result<ForecastRun, EngineError> {
    let chunks = trials.div_ceil(CHUNK);
    let threads = worker_threads(config.threads, chunks);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EngineError::ThreadPool {
            threads,
            message: e.to_string(),
        })?;
    let schemes = model.schemes.len();
    let kept = match config.record {
        Record::FirstTrials => trials.min(DETAIL_TRIALS),
        Record::EveryTrial => trials,
    };
    let mut out = ForecastRun {
        trials,
        seed: config.seed,
        months: model.months(),
        kinds: model.tasks.len(),
        input_count: model.params.len(),
        schemes,
        detail_trials: kept,
        scheme_details: vec![BillDetails::default(); model.months() * schemes],
        month_moments: vec![empty_moments(); model.months()],
        kind_moments: vec![empty_moments(); model.months() * model.tasks.len()],
        streams: RunStreams::new(
            model.months(),
            schemes,
            model.budget.monthly,
            model.budget.annual,
        ),
        ..ForecastRun::default()
    };
    let window = threads as u64 * WINDOW_PER_THREAD;
    let mut next = 0;
    while next < chunks {
        let end = (next + window).min(chunks);
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
    Ok(out)
}

impl ForecastRun {
    /// Absorbs chunk `p` (every one of its trials recorded), whose first trial is `first`: its
    /// accumulators are merged and its trials streamed (in trial order), and its trials below
    /// `kept` are kept per trial.
    fn absorb(&mut self, p: ForecastRun, first: u64, kept: u64, pass: Pass) {
        let out = self;
        if pass == Pass::Bill {
            out.streams.absorb(&p);
            out.sample.absorb(&p, first);
        }
        let n = kept.saturating_sub(first).min(CHUNK) as usize;
        let (months, kinds, schemes) = (out.months, out.kinds, out.schemes);
        let keep = |v: &mut Vec<f64>, from: &[f64], per_trial: usize| {
            v.extend_from_slice(&from[..(n * per_trial).min(from.len())]);
        };
        for (a, b) in out.month_moments.iter_mut().zip(&p.month_moments) {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y);
            }
        }
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
        keep(&mut out.scheme_bill, &p.scheme_bill, months * schemes);
        for (a, b) in out.scheme_details.iter_mut().zip(&p.scheme_details) {
            a.add(b);
        }
    }
}

/// Empty accumulators.
fn empty_moments<const N: usize>() -> [Moments; N] {
    std::array::from_fn(|_| Moments::default())
}

/// Adds one value to an accumulator.
fn push(m: &mut Moments, x: f64) {
    m.merge(&Moments::of(&[x]));
}

/// Reusable buffers of one worker.
#[derive(Default)]
struct Buffers {
    inputs: Vec<f64>,
    weights: Vec<f64>,
    counts: Vec<u64>,
    user_counts: Vec<u64>,
    bills: Vec<f64>,
    list_kind: Vec<f64>,
    tokens_kind: Vec<f64>,
    kinds: Vec<KindMonth>,
    users: Vec<SeatUsage>,
    profile: DemandProfile,
}

fn run_trials(
    model: &ForecastModel,
    seed: u64,
    range: std::ops::Range<u64>,
    pass: Pass,
    provisioned: &[Vec<u64>],
) -> ForecastRun {
    let months = model.months();
    let kinds = model.tasks.len();
    let schemes = model.schemes.len();
    let n = (range.end - range.start) as usize;
    let mut out = ForecastRun {
        months,
        kinds,
        schemes,
        input_count: model.params.len(),
        seats: Vec::with_capacity(n * months),
        active: Vec::with_capacity(n * months),
        tasks: Vec::with_capacity(n * months),
        tokens: Vec::with_capacity(n * months),
        list_cost: Vec::with_capacity(n * months),
        bill: Vec::with_capacity(n * months),
        fixed_charges: Vec::with_capacity(n * months),
        bill_by_kind: Vec::with_capacity(n * months * kinds),
        tokens_by_kind: Vec::with_capacity(n * months * kinds),
        list_by_kind: Vec::with_capacity(n * months * kinds),
        scheme_bill: Vec::with_capacity(n * months * schemes),
        scheme_details: vec![BillDetails::default(); months * schemes],
        month_moments: vec![empty_moments(); months],
        kind_moments: vec![empty_moments(); months * kinds],
        ..ForecastRun::default()
    };
    let mut b = Buffers {
        kinds: vec![KindMonth::default(); kinds],
        ..Buffers::default()
    };
    let needs_extras = !model.schemes.is_empty();
    let needs_users = model.small_months == SmallMonths::UserByUser;
    let needs_drawn = model
        .schemes
        .iter()
        .any(|s| matches!(s.scheme, BillingScheme::ComputeHours(_)));
    let f = model.factors;
    for index in range {
        model.draw_inputs(seed, index, &mut b.inputs);
        out.inputs.extend_from_slice(&b.inputs);
        let inputs = &b.inputs;
        let mut rng = trial_rng(seed, index);
        // Named schemes draw from a stream of their own, so that billing them (or not) leaves
        // the usage and the basic bill's draws unchanged.
        let mut bill_rng = trial_rng(mix64(seed ^ BILLING_SALT), index);
        let curve = model.curve(inputs);
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
            model.mix_weights(inputs, m, &mut b.weights);
            let token_mult = token_growth.powi(m as i32) * f.tokens;
            let price_mult = price_growth.powi(m as i32) * f.prices;
            for k in b.kinds.iter_mut() {
                k.clear();
            }
            b.users.clear();
            let per_user = needs_users && usage.active <= model.aggregation.exact_users_max;
            let total = if per_user {
                // Seat allowances: every active user's month, kind by kind.
                let mut total = 0;
                for _ in 0..usage.active {
                    let n = user_tasks(&mut rng, &usage);
                    total += n;
                    split(&mut rng, n, &b.weights, &mut b.user_counts);
                    let mut user = TaskSums::default();
                    for ((task, &count), k) in model
                        .tasks
                        .iter()
                        .zip(&b.user_counts)
                        .zip(b.kinds.iter_mut())
                    {
                        let s = k.sum_and_add(
                            &mut rng,
                            &mut bill_rng,
                            &task.pool,
                            count,
                            &model.aggregation,
                            needs_drawn,
                        );
                        user.add(&s);
                    }
                    b.users.push(SeatUsage {
                        tokens: user.tokens * token_mult,
                        requests: user.extra[Extra::Calls as usize],
                        list_usd: user.cost * token_mult * price_mult,
                    });
                }
                total
            } else {
                let total = month_tasks(&mut rng, &usage, &model.aggregation);
                split(&mut rng, total, &b.weights, &mut b.counts);
                for ((task, &count), k) in model.tasks.iter().zip(&b.counts).zip(b.kinds.iter_mut())
                {
                    if needs_extras {
                        k.sum_and_add(
                            &mut rng,
                            &mut bill_rng,
                            &task.pool,
                            count,
                            &model.aggregation,
                            needs_drawn,
                        );
                    } else {
                        let (cost, tokens) =
                            sum_tasks(&mut rng, &task.pool, count, &model.aggregation);
                        let s = TaskSums {
                            cost,
                            tokens,
                            ..TaskSums::default()
                        };
                        k.add(count, &s, false);
                    }
                }
                total
            };
            b.list_kind.clear();
            b.tokens_kind.clear();
            for k in &b.kinds {
                b.list_kind.push(k.sums.cost * token_mult * price_mult);
                b.tokens_kind.push(k.sums.tokens * token_mult);
            }
            let list: f64 = b.list_kind.iter().sum();
            let tokens: f64 = b.tokens_kind.iter().sum();
            b.bills.clear();
            b.bills.resize(kinds, 0.0);
            let (mut bill, mut fixed) = model.bill_month(&b.list_kind, seats, &mut b.bills);
            let work = MonthWork {
                seats,
                usage,
                hours_per_day: model.hours_per_day,
                token_mult,
                price_mult,
                tasks: &model.tasks,
                kinds: &b.kinds,
                weights: &b.weights,
                per_user: per_user.then_some(&b.users[..]),
            };
            for (i, s) in model.schemes.iter().enumerate() {
                let units = provisioned.get(i).and_then(|u| u.get(m)).copied();
                let billed = bill_month(&mut bill_rng, s, units, &work, &mut b.profile);
                if pass == Pass::Peaks {
                    out.scheme_bill.push(b.profile.peak_tokens_per_minute());
                    continue;
                }
                let scheme_fixed = s.fixed_charge(&billed);
                out.scheme_bill.push(billed.total_usd);
                out.scheme_details[m * schemes + i].add(&BillDetails {
                    fixed: scheme_fixed,
                    overage: billed.overage_usd,
                    unused_commitment: billed.unused_commitment_usd,
                    throttled_list: billed.throttled_list_usd,
                    units: billed.units,
                    utilisation: billed.utilisation,
                });
                if model.headline == Headline::Scheme(i) {
                    bill = billed.total_usd;
                    fixed = scheme_fixed;
                    share_by_list(bill - fixed, &b.list_kind, &mut b.bills);
                }
            }
            out.bill.push(bill);
            let scalars = [seats, active, total as f64, tokens, list, fixed];
            for (acc, &x) in out.month_moments[m].iter_mut().zip(&scalars) {
                push(acc, x);
            }
            for k in 0..kinds {
                let acc = &mut out.kind_moments[m * kinds + k];
                push(&mut acc[0], b.bills[k]);
                push(&mut acc[1], b.tokens_kind[k]);
                push(&mut acc[2], b.list_kind[k]);
            }
            out.bill_by_kind.extend_from_slice(&b.bills);
            out.tokens_by_kind.extend_from_slice(&b.tokens_kind);
            out.list_by_kind.extend_from_slice(&b.list_kind);
            out.seats.push(seats);
            out.active.push(active);
            out.tasks.push(total as f64);
            out.tokens.push(tokens);
            out.list_cost.push(list);
            out.fixed_charges.push(fixed);
        }
    }
    out
}
