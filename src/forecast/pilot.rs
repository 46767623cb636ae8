//! The sizing pilot billed, not rerun: compute-hours schemes sized to a percentile of peak
//! hourly demand (`size_to_peak_percentile`) provision each month's units from the peaks of the
//! first [`SIZING_TRIALS`] trials, and those same trials are then billed at those units.
//!
//! The first `min(trials, SIZING_TRIALS)` trials (rounded up to whole chunks of [`CHUNK`]) are
//! simulated once. Every output of such a trial is computed and kept in its chunk as usual,
//! except what depends on the units: the sized schemes' bills, their details, and when one of
//! them is the headline, the headline bill, its fixed charges, its split by kind and the
//! per-kind bill moments. For those the chunk keeps, per trial, month and sized scheme, what
//! the bill reads ([`Deferred`]), and the month's peak hourly demand. Once every pilot chunk
//! is run the units are sized from the peaks (as [`super::simulate::sizing`] does), each chunk
//! is billed at them in trial order and absorbed in chunk order, and the remaining trials run
//! as before. Each scheme draws from a stream of its own per month and trial
//! ([`scheme_rng`]), which the bill redraws from its start, so the outputs are bit-identical to
//! simulating the pilot's trials a second time (`scripts/forecast-identity.sh` compares them
//! with the binary before this module; `tests/forecast_pilot.rs`).
//!
//! **Memory.** Held until the units are sized: the pilot chunks' per-trial series (as a window
//! of chunks holds them), and per trial, month and sized scheme one [`Deferred`] (its size is
//! [`deferred_bytes`]: 104 bytes for a month without tasks placed one by one, plus 16 bytes per
//! working hour for a month with some) and one peak (8 bytes). It is bounded by
//! `SIZING_TRIALS` rounded up to a chunk, whatever the trial count.

use rayon::prelude::*;

use super::billing::{ForecastScheme, MonthWork};
use super::hourly_demand::MonthDemand;
use super::model::{ForecastModel, Headline, share_by_list};
use super::simulate::{
    BillDetails, CHUNK, ForecastConfig, ForecastRun, Pass, SIZING_TRIALS, empty_run, kept_trials,
    run_chunks,
};
use super::trial::{push, run_trials_deferring, scheme_rng};
use crate::engine::{EngineError, TrialRng, thread_pool, worker_threads};
use crate::pricing::scheme::{BillingScheme, DemandProfile, Sizing};

/// What a sized compute scheme's bill of one month reads, kept until its units are sized.
#[derive(Debug, Clone)]
pub(super) enum Deferred {
    /// No task placed one by one: the month's hourly law; the bill redraws the hours above
    /// capacity from the scheme's stream.
    Law(MonthDemand),
    /// Some tasks placed one by one: every hour's demand and list cost, drawn once (the peak
    /// and the bill draw the same hours from the stream's start).
    Hours(DemandProfile),
}

/// Heap and inline bytes of one deferred month.
pub(super) fn deferred_bytes(d: &Deferred) -> usize {
    std::mem::size_of::<Deferred>()
        + match d {
            Deferred::Law(_) => 0,
            Deferred::Hours(p) => (p.demand.len() + p.list_usd.len()) * 8,
        }
}

/// A pilot chunk's deferred bills and peaks, in trial, month and sized-scheme order.
#[derive(Debug, Default)]
pub(super) struct DeferredChunk {
    /// Trials (by index) whose peaks size the units: those below this.
    sizing_trials: u64,
    /// Per trial, month and sized scheme.
    months: Vec<Deferred>,
    /// Per trial below `sizing_trials`, month and sized scheme: the peak hourly demand in
    /// tokens per minute.
    peaks: Vec<f64>,
}

impl DeferredChunk {
    /// Records the month of trial `index` of sized compute scheme `s`, whose stream for that
    /// month and trial is `rng` (untouched).
    pub(super) fn record(
        &mut self,
        mut rng: TrialRng,
        s: &ForecastScheme,
        index: u64,
        work: &MonthWork,
        profile: &mut DemandProfile,
    ) {
        let BillingScheme::ComputeHours(c) = &s.scheme else {
            unreachable!("only compute schemes are sized to a peak");
        };
        let month = MonthDemand::new(c, &s.capacity_moments, work);
        let sizes = index < self.sizing_trials;
        if month.any_drawn() {
            // `MonthDemand::peak` and `MonthDemand::bill` both draw these hours first.
            month.hours(&mut rng, c, work, profile);
            if sizes {
                self.peaks.push(profile.peak_tokens_per_minute());
            }
            self.months.push(Deferred::Hours(profile.clone()));
        } else {
            if sizes {
                self.peaks.push(month.largest(&mut rng) / 60.0);
            }
            self.months.push(Deferred::Law(month));
        }
    }

    /// Bytes held (what the pilot keeps per trial, for the docs and tests).
    pub(super) fn bytes(&self) -> usize {
        self.months.iter().map(deferred_bytes).sum::<usize>() + self.peaks.len() * 8
    }
}

/// Indices of the schemes sized to a peak percentile.
fn sized(model: &ForecastModel) -> Vec<usize> {
    (0..model.schemes.len())
        .filter(|&i| model.schemes[i].sized_to_peak())
        .collect()
}

/// Runs the forecast of a model with compute schemes sized to a peak percentile.
pub(super) fn run(
    model: &ForecastModel,
    config: &ForecastConfig,
) -> Result<ForecastRun, EngineError> {
    let (run, _) = run_measured(model, config)?;
    Ok(run)
}

/// [`run`], and the bytes the pilot chunks' deferred bills and peaks held.
pub(super) fn run_measured(
    model: &ForecastModel,
    config: &ForecastConfig,
) -> Result<(ForecastRun, usize), EngineError> {
    let trials = config.trials;
    let sizing_trials = trials.min(SIZING_TRIALS);
    let pilot_chunks = sizing_trials.div_ceil(CHUNK);
    let pool = thread_pool(worker_threads(config.threads, pilot_chunks))?;
    let not_sized = vec![Vec::new(); model.schemes.len()];
    let parts: Vec<(ForecastRun, DeferredChunk)> = pool.install(|| {
        (0..pilot_chunks)
            .into_par_iter()
            .map(|c| {
                let first = c * CHUNK;
                let last = (first + CHUNK).min(trials);
                let mut d = DeferredChunk {
                    sizing_trials,
                    ..DeferredChunk::default()
                };
                let p = run_trials_deferring(model, config.seed, first..last, &not_sized, &mut d);
                (p, d)
            })
            .collect()
    });
    let held = parts.iter().map(|(_, d)| d.bytes()).sum();
    let provisioned = units(model, &parts);
    let billed: Vec<ForecastRun> = pool.install(|| {
        parts
            .into_par_iter()
            .enumerate()
            .map(|(c, (p, d))| bill(model, config.seed, c as u64 * CHUNK, p, d, &provisioned))
            .collect()
    });
    let kept = kept_trials(config, trials);
    let mut out = empty_run(model, config, trials);
    for (c, p) in billed.into_iter().enumerate() {
        out.absorb(p, c as u64 * CHUNK, kept, Pass::Bill);
    }
    run_chunks(
        model,
        config,
        Pass::Bill,
        &provisioned,
        &mut out,
        pilot_chunks..trials.div_ceil(CHUNK),
    )?;
    out.provisioned = provisioned;
    Ok((out, held))
}

/// The units each sized scheme provisions per month: the scheme's percentile of the month's
/// peaks over the pilot's trials, in trial order (empty for other schemes).
fn units(model: &ForecastModel, parts: &[(ForecastRun, DeferredChunk)]) -> Vec<Vec<u64>> {
    let months = model.months();
    let sized = sized(model);
    let mut provisioned = vec![Vec::new(); model.schemes.len()];
    for (j, &i) in sized.iter().enumerate() {
        let BillingScheme::ComputeHours(c) = &model.schemes[i].scheme else {
            unreachable!("only compute schemes are sized to a peak");
        };
        provisioned[i] = (0..months)
            .map(|m| {
                let peaks: Vec<f64> = parts
                    .iter()
                    .flat_map(|(_, d)| {
                        d.peaks
                            .iter()
                            .skip(m * sized.len() + j)
                            .step_by(months * sized.len())
                            .copied()
                    })
                    .collect();
                match c.sized_to(&peaks).sizing {
                    Sizing::Fixed(u) => u,
                    Sizing::PeakPercentile(_) => 0,
                }
            })
            .collect();
    }
    provisioned
}

/// Bills pilot chunk `p` (first trial `first`) at the sized units: the sized schemes' bills
/// and details, and with a sized headline the headline's bill, fixed charges and split, then
/// the per-kind bill moments, trial by trial in order.
fn bill(
    model: &ForecastModel,
    seed: u64,
    first: u64,
    mut p: ForecastRun,
    d: DeferredChunk,
    provisioned: &[Vec<u64>],
) -> ForecastRun {
    let (months, kinds, schemes) = (p.months, p.kinds, p.schemes);
    let sized = sized(model);
    let trials = p.bill.len() / months.max(1);
    let mut deferred = d.months.into_iter();
    for t in 0..trials {
        let index = first + t as u64;
        for m in 0..months {
            let at = t * months + m;
            for &i in &sized {
                let s = &model.schemes[i];
                let BillingScheme::ComputeHours(c) = &s.scheme else {
                    unreachable!("only compute schemes are sized to a peak");
                };
                let units = *provisioned[i].get(m).expect("sized units every month");
                let billed = match deferred.next().expect("one deferred bill per sized month") {
                    Deferred::Law(month) => {
                        month.bill_undrawn(&mut scheme_rng(seed, s.stream, m, index), c, units)
                    }
                    Deferred::Hours(hours) => c.bill_profile(units, &hours),
                };
                let fixed = s.fixed_charge(&billed);
                p.scheme_bill[at * schemes + i] = billed.total_usd;
                p.scheme_details[m * schemes + i].add(&BillDetails::of(&billed, fixed));
                if model.headline == Headline::Scheme(i) {
                    p.bill[at] = billed.total_usd;
                    p.fixed_charges[at] = fixed;
                    let by_kind = at * kinds..(at + 1) * kinds;
                    share_by_list(
                        billed.total_usd - fixed,
                        &p.list_by_kind[by_kind.clone()],
                        &mut p.bill_by_kind[by_kind],
                    );
                }
            }
            for k in 0..kinds {
                push(
                    &mut p.kind_moments[m * kinds + k][0],
                    p.bill_by_kind[at * kinds + k],
                );
            }
        }
    }
    debug_assert!(deferred.next().is_none());
    p
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::forecast::simulate::Record;
    use crate::forecast::{Forecast, Override};

    /// 30 seats, all active, over 3 months (per-user months: the seat plan bills every user;
    /// fewer than `exact_tasks_max` tasks of a kind are placed one by one, so the compute
    /// months are [`Deferred::Hours`]; with `exact_tasks_max = 0`, [`Deferred::Law`]). The
    /// compute scheme `gpu` is sized to its P90 peak; `gpu_fixed` and the seat plan are not.
    const ORG: &str = r#"
[forecast]
start = "2027-01"
months = 3
[seats]
table = [ { month = 1, seats = 30 } ]
[usage]
active_share = 1
tasks_per_day = 2
dispersion = 1.5
intensity_sigma = 0.8
[calendar]
working_days = 20
hours_per_day = 8
[[tasks]]
name = "bug fix"
scenario = "../../scenarios/reference-coding-task.toml"
weight = 0.7
[[tasks]]
name = "feature"
scenario = "../../scenarios/tasks/feature-opus.toml"
weight = 0.3
[billing]
discount = 0.1
[billing.gpu]
compute_hours = { usd_per_unit_hour = 1, tokens_per_minute_per_unit = 20000, size_to_peak_percentile = 90 }
[billing.gpu_fixed]
compute_hours = { usd_per_unit_hour = 1, tokens_per_minute_per_unit = 20000, units = 3 }
[billing.plan]
seats = { usd_per_seat = 20, allowance = { usd = 5 }, beyond = "api_prices" }
[aggregation]
pool_size = 512
"#;

    fn load(sets: &[&str]) -> Forecast {
        let sets: Vec<Override> = sets.iter().map(|s| Override::parse(s).unwrap()).collect();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/forecasts");
        Forecast::from_text("t.toml", "t", &dir, ORG, &sets, None, Some(1))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn config(trials: u64, threads: usize, record: Record) -> ForecastConfig {
        ForecastConfig {
            trials,
            seed: 7,
            threads: Some(threads),
            record,
        }
    }

    fn simulated_twice(model: &ForecastModel, config: &ForecastConfig) -> ForecastRun {
        crate::forecast::simulate::run_simulating_pilot_twice(model, config).unwrap()
    }

    #[test]
    fn billing_the_pilot_equals_simulating_it_twice() {
        // Hours (tasks placed one by one) and laws, the basic headline and the sized scheme as
        // headline; 130 trials (a partial chunk) and 2,100 (past SIZING_TRIALS, inside a
        // chunk: trials 2,000 to 2,047 are deferred without sizing); 1 and 2 threads; the
        // first trials kept and every trial kept.
        for sets in [
            &[][..],
            &["aggregation.exact_tasks_max=0"][..],
            &["billing.headline=\"gpu\""][..],
            &[
                "billing.headline=\"gpu\"",
                "aggregation.exact_tasks_max=0",
                "aggregation.exact_users_max=0",
            ][..],
        ] {
            let f = load(sets);
            for (trials, record) in [
                (130, Record::EveryTrial),
                (SIZING_TRIALS + 100, Record::FirstTrials),
            ] {
                let want = simulated_twice(&f.model, &config(trials, 2, record));
                assert!(want.provisioned[0].iter().all(|&u| u > 0), "{sets:?}");
                assert!(want.provisioned[1].is_empty() && want.provisioned[2].is_empty());
                for threads in [1, 2] {
                    let got = run(&f.model, &config(trials, threads, record)).unwrap();
                    assert!(got == want, "{sets:?}, {trials} trials, {threads} threads");
                }
            }
        }
    }

    #[test]
    fn deferred_bills_are_bounded_by_the_pilot_and_take_both_forms() {
        let bytes = |sets: &[&str], trials: u64| {
            run_measured(&load(sets).model, &config(trials, 2, Record::FirstTrials))
                .unwrap()
                .1
        };
        let months = 3;
        let pilot = SIZING_TRIALS.div_ceil(CHUNK) * CHUNK;
        // Laws only: one deferred month per trial and month, one peak per sizing trial and
        // month.
        let law = ["aggregation.exact_tasks_max=0"];
        let per_law = std::mem::size_of::<Deferred>();
        assert_eq!(
            per_law, 104,
            "the figure in the module's docs and performance.md"
        );
        assert_eq!(
            bytes(&law, 100),
            100 * months * (per_law + 8),
            "100 trials, laws"
        );
        assert_eq!(
            bytes(&law, 10_000),
            (pilot as usize * per_law + SIZING_TRIALS as usize * 8) * months
        );
        // With tasks placed one by one every hour is kept (160 working hours, 2 × 8 bytes
        // each): more, and still the same at any trial count past the pilot.
        let hours = bytes(&[], SIZING_TRIALS + 100);
        assert!(hours >= (pilot as usize * (per_law + 160 * 16)) * months);
        assert_eq!(hours, bytes(&[], 10_000));
    }
}
