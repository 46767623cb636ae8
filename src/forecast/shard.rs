//! Shards of a forecast run (DESIGN.md §7, "Shards"): shard K of N runs a fixed range of
//! [`CHUNK`]-trial chunks and keeps, per chunk, the order-dependent part of what the single
//! run absorbs from it (moments, paired differences, budget overruns, extremes' counts, the
//! per-trial series of the first trials); histogram counts, which merge exactly in any order,
//! are summed over the shard. The merge absorbs every chunk's part in chunk order into an empty
//! run, then adds the counts: the floating-point operations of the single run, in its order,
//! so the merged run has its bits.
//!
//! One traversal ([`visit`]) lists every accumulator of a run in a fixed order; writing a
//! chunk's part, merging it, taking and adding counts are operations ([`Op`]) applied along it,
//! so the four can never disagree on the order.
//!
//! The sizing pilot of compute-hours schemes sized to a percentile (the first
//! [`super::simulate::SIZING_TRIALS`] trials) is rerun by every shard: it is deterministic and
//! small, and every shard then bills with the single run's provisioned units.

use std::ops::Range;

use rayon::prelude::*;

use super::model::ForecastModel;
use super::simulate::per_trial_series;
use super::simulate::{
    BillDetails, CHUNK, ForecastConfig, ForecastRun, Pass, WINDOW_PER_THREAD, empty_run,
    kept_trials, sizing,
};
use super::trial::run_trials;
use crate::engine::shard::{Shard, ShardMismatch};
use crate::engine::{EngineError, worker_threads};
use crate::stats::codec::{DecodeError, Decoder, Encoder, Partial};
use crate::stats::{DistAccumulator, Moments, QuantileSketch};

/// What one shard of a forecast run keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct ForecastShardState {
    /// The chunks it ran.
    pub chunks: Range<u64>,
    /// The provisioned units of the sizing pilot (as [`ForecastRun::provisioned`]).
    pub provisioned: Vec<Vec<u64>>,
    /// Each chunk's order-dependent part, encoded, in chunk order.
    pub parts: Vec<Vec<u8>>,
    /// Every histogram's counts over the shard's trials, in traversal order.
    pub counts: Vec<[QuantileSketch; 2]>,
}

/// An operation applied to every accumulator of a run, in traversal order.
trait Op {
    fn dist(&mut self, a: &mut DistAccumulator) -> Result<(), DecodeError>;
    fn moments(&mut self, a: &mut Moments) -> Result<(), DecodeError>;
    /// An integer count (summed by the merge).
    fn count(&mut self, a: &mut u64) -> Result<(), DecodeError>;
    /// A float sum (summed by the merge, in chunk order).
    fn sum(&mut self, a: &mut f64) -> Result<(), DecodeError>;
    /// A per-trial series (appended by the merge).
    fn rows(&mut self, a: &mut Vec<f64>) -> Result<(), DecodeError>;
    /// A value the merge sets (the last chunk's).
    fn set(&mut self, a: &mut usize) -> Result<(), DecodeError>;
}

fn details(op: &mut dyn Op, b: &mut BillDetails) -> Result<(), DecodeError> {
    op.sum(&mut b.fixed)?;
    op.sum(&mut b.overage)?;
    op.sum(&mut b.unused_commitment)?;
    op.sum(&mut b.throttled_list)?;
    op.sum(&mut b.units)?;
    op.sum(&mut b.utilisation)
}

/// Applies `op` to every accumulator of `run` that absorbing a chunk changes, in a fixed order.
fn visit(run: &mut ForecastRun, op: &mut dyn Op) -> Result<(), DecodeError> {
    op.count(&mut run.headcount_capped_trials)?;
    let s = &mut run.streams;
    for a in s.monthly.iter_mut().flatten() {
        op.dist(a)?;
    }
    for a in s
        .scheme_monthly
        .iter_mut()
        .chain(&mut s.yearly)
        .chain(&mut s.scheme_yearly)
        .chain(std::iter::once(&mut s.total))
        .chain(&mut s.scheme_total)
    {
        op.dist(a)?;
    }
    for p in s
        .versus_monthly
        .iter_mut()
        .chain(&mut s.versus_yearly)
        .chain(&mut s.versus_total)
        .chain(&mut s.pairs_monthly)
        .chain(&mut s.pairs_yearly)
        .chain(&mut s.pairs_total)
    {
        op.moments(&mut p.difference)?;
        op.count(&mut p.cheaper)?;
        op.count(&mut p.costlier)?;
    }
    for b in s.monthly_budget.iter_mut().chain(&mut s.annual_budget) {
        op.count(&mut b.over)?;
        op.moments(&mut b.overrun)?;
    }
    for e in &mut s.exhaustion {
        for c in &mut e.first_over {
            op.count(c)?;
        }
        op.count(&mut e.never)?;
    }
    for c in &mut s.any_month_over_by_year {
        op.count(c)?;
    }
    op.count(&mut s.any_month_over)?;
    // The `[limits]` accumulators: shaped from the start by [`template`] (the single run
    // makes them at its first chunk).
    for a in s.limits_monthly.iter_mut().flatten() {
        op.dist(a)?;
    }
    for a in s.limits_yearly.iter_mut().flatten() {
        op.dist(a)?;
    }
    let sp = &mut run.split;
    for a in sp
        .task_monthly
        .iter_mut()
        .chain(&mut sp.model_monthly)
        .chain(&mut sp.task_yearly)
        .chain(&mut sp.model_yearly)
        .chain(&mut sp.fixed_yearly)
    {
        op.dist(a)?;
    }
    let sample = &mut run.sample;
    op.count(&mut sample.trials)?;
    op.set(&mut sample.input_count)?;
    op.set(&mut sample.years)?;
    op.rows(&mut sample.inputs)?;
    op.rows(&mut sample.year_bills)?;
    for m in run.kind_moments.iter_mut().flatten() {
        op.moments(m)?;
    }
    for v in per_trial_series!(run, &mut) {
        op.rows(v)?;
    }
    for b in &mut run.scheme_details {
        details(op, b)?;
    }
    Ok(())
}

/// Names every field of the run's types, with no `..`: a field added to them fails to compile
/// here until it is either visited by [`visit`] or listed as fixed by the model.
#[allow(dead_code)]
fn every_field_is_visited(run: &ForecastRun) {
    let ForecastRun {
        // Fixed by the model and the configuration (the template holds them):
        trials: _,
        seed: _,
        months: _,
        kinds: _,
        detail_trials: _,
        input_count: _,
        schemes: _,
        provisioned: _,
        // Visited:
        streams,
        split,
        sample,
        kind_moments: _,
        seats: _,
        active: _,
        tasks: _,
        tokens: _,
        list_cost: _,
        bill: _,
        bill_by_kind: _,
        tokens_by_kind: _,
        list_by_kind: _,
        inputs: _,
        fixed_charges: _,
        scheme_bill: _,
        scheme_details: _,
        limit_tasks: _,
        limit_list: _,
        limit_users: _,
        headcount_capped_trials: _,
    } = run;
    let super::streams::RunStreams {
        years: _,
        monthly: _,
        scheme_monthly: _,
        yearly: _,
        scheme_yearly: _,
        total: _,
        scheme_total: _,
        versus_monthly: _,
        versus_yearly: _,
        versus_total: _,
        pairs_monthly: _,
        pairs_yearly: _,
        pairs_total: _,
        monthly_budget: _,
        annual_budget: _,
        exhaustion: _,
        any_month_over_by_year: _,
        any_month_over: _,
        limits_monthly: _,
        limits_yearly: _,
    } = streams;
    let super::spend_split::SpendSplit {
        months: _,
        kinds: _,
        models: _,
        shares: _,
        years: _,
        task_monthly: _,
        model_monthly: _,
        task_yearly: _,
        model_yearly: _,
        fixed_yearly: _,
    } = split;
    let super::streams::TrialSample {
        trials: _,
        input_count: _,
        years: _,
        inputs: _,
        year_bills: _,
    } = sample;
}

/// Writes a chunk's part (of a run that absorbed that chunk alone).
struct Write<'a>(&'a mut Encoder);

impl Op for Write<'_> {
    fn dist(&mut self, a: &mut DistAccumulator) -> Result<(), DecodeError> {
        a.encode_ordered(self.0);
        Ok(())
    }
    fn moments(&mut self, a: &mut Moments) -> Result<(), DecodeError> {
        self.0.put(a);
        Ok(())
    }
    fn count(&mut self, a: &mut u64) -> Result<(), DecodeError> {
        self.0.u64(*a);
        Ok(())
    }
    fn sum(&mut self, a: &mut f64) -> Result<(), DecodeError> {
        self.0.f64(*a);
        Ok(())
    }
    fn rows(&mut self, a: &mut Vec<f64>) -> Result<(), DecodeError> {
        self.0.put(a);
        Ok(())
    }
    fn set(&mut self, a: &mut usize) -> Result<(), DecodeError> {
        self.0.u64(*a as u64);
        Ok(())
    }
}

/// Merges a chunk's part into a run, as [`ForecastRun`]'s absorption of that chunk does.
struct Merge<'a, 'b>(&'a mut Decoder<'b>);

impl Op for Merge<'_, '_> {
    fn dist(&mut self, a: &mut DistAccumulator) -> Result<(), DecodeError> {
        a.merge_ordered(self.0)
    }
    fn moments(&mut self, a: &mut Moments) -> Result<(), DecodeError> {
        a.merge(&self.0.get::<Moments>()?);
        Ok(())
    }
    fn count(&mut self, a: &mut u64) -> Result<(), DecodeError> {
        *a += self.0.u64()?;
        Ok(())
    }
    fn sum(&mut self, a: &mut f64) -> Result<(), DecodeError> {
        *a += self.0.f64()?;
        Ok(())
    }
    fn rows(&mut self, a: &mut Vec<f64>) -> Result<(), DecodeError> {
        a.extend(self.0.get::<Vec<f64>>()?);
        Ok(())
    }
    fn set(&mut self, a: &mut usize) -> Result<(), DecodeError> {
        *a = self.0.u64()? as usize;
        Ok(())
    }
}

/// Takes (`Some` list empty) or adds (from the list) every histogram's counts.
struct Counts<'a> {
    take: bool,
    list: &'a mut Vec<[QuantileSketch; 2]>,
    at: usize,
}

impl Op for Counts<'_> {
    fn dist(&mut self, a: &mut DistAccumulator) -> Result<(), DecodeError> {
        if self.take {
            self.list.push(a.take_counts());
        } else {
            let c = self.list.get(self.at).ok_or_else(|| DecodeError {
                at: self.at,
                what: "fewer histograms than the forecast has".into(),
            })?;
            a.add_counts(c);
            self.at += 1;
        }
        Ok(())
    }
    fn moments(&mut self, _: &mut Moments) -> Result<(), DecodeError> {
        Ok(())
    }
    fn count(&mut self, _: &mut u64) -> Result<(), DecodeError> {
        Ok(())
    }
    fn sum(&mut self, _: &mut f64) -> Result<(), DecodeError> {
        Ok(())
    }
    fn rows(&mut self, _: &mut Vec<f64>) -> Result<(), DecodeError> {
        Ok(())
    }
    fn set(&mut self, _: &mut usize) -> Result<(), DecodeError> {
        Ok(())
    }
}

/// An empty run of `trials` trials with every accumulator the run will hold already made (the
/// single run makes the `[limits]` ones when it absorbs its first chunk; merging into an empty
/// accumulator is the same as making it), so every traversal of a shard sees one shape.
fn template(model: &ForecastModel, config: &ForecastConfig, trials: u64) -> ForecastRun {
    let mut run = empty_run(model, config, trials);
    if model.limits.is_set() {
        let s = &mut run.streams;
        s.limits_monthly = vec![Default::default(); run.months];
        s.limits_yearly = vec![Default::default(); s.years.len() + 1];
    }
    run
}

/// Runs shard `shard` of the forecast run `config` of `model`.
pub fn run_shard(
    model: &ForecastModel,
    config: &ForecastConfig,
    shard: Shard,
) -> Result<ForecastShardState, EngineError> {
    if config.trials == 0 {
        return Err(EngineError::NoTrials);
    }
    let provisioned = sizing(model, config)?;
    let trials = config.trials;
    let total = trials.div_ceil(CHUNK);
    let chunks = shard.range(total);
    let threads = worker_threads(config.threads, total);
    let pool = crate::engine::thread_pool(threads)?;
    let kept = kept_trials(config, trials);
    let template = template(model, config, trials);
    let mut counts_run = template.clone();
    let mut parts = Vec::new();
    let window = threads as u64 * WINDOW_PER_THREAD;
    let mut next = chunks.start;
    while next < chunks.end {
        let end = (next + window).min(chunks.end);
        let done: Vec<(Vec<u8>, Vec<[QuantileSketch; 2]>)> = pool.install(|| {
            (next..end)
                .into_par_iter()
                .map(|c| {
                    let first = c * CHUNK;
                    let last = (first + CHUNK).min(trials);
                    let p = run_trials(model, config.seed, first..last, Pass::Bill, &provisioned);
                    let mut alone = template.clone();
                    alone.absorb(p, first, kept, Pass::Bill);
                    let mut counts = Vec::new();
                    let mut take = Counts {
                        take: true,
                        list: &mut counts,
                        at: 0,
                    };
                    visit(&mut alone, &mut take).expect("taking counts cannot fail");
                    let mut e = Encoder::new();
                    visit(&mut alone, &mut Write(&mut e)).expect("writing cannot fail");
                    (e.into_bytes(), counts)
                })
                .collect()
        });
        for (part, mut counts) in done {
            parts.push(part);
            let mut add = Counts {
                take: false,
                list: &mut counts,
                at: 0,
            };
            visit(&mut counts_run, &mut add).expect("the same forecast's histograms");
        }
        next = end;
    }
    let mut counts = Vec::new();
    visit(
        &mut counts_run,
        &mut Counts {
            take: true,
            list: &mut counts,
            at: 0,
        },
    )
    .expect("taking counts cannot fail");
    Ok(ForecastShardState {
        chunks,
        provisioned,
        parts,
        counts,
    })
}

/// Merges the shards (in shard order) of the forecast run `config` of `model` into the run the
/// single process gives.
pub fn merge_shards(
    model: &ForecastModel,
    config: &ForecastConfig,
    shards: &[ForecastShardState],
) -> Result<ForecastRun, ShardMismatch> {
    let total = config.trials.div_ceil(CHUNK);
    let mut out = template(model, config, config.trials);
    let mut next = 0;
    for (i, s) in shards.iter().enumerate() {
        let bad = |what: String| ShardMismatch { shard: i, what };
        if s.chunks.start != next
            || s.chunks.end < s.chunks.start
            || s.chunks.end > total
            || s.parts.len() as u64 != s.chunks.end - s.chunks.start
        {
            return Err(bad(format!(
                "holds chunks {}..{} ({} parts), expected chunks from {next} (of {total})",
                s.chunks.start,
                s.chunks.end,
                s.parts.len()
            )));
        }
        for (c, part) in (s.chunks.start..).zip(&s.parts) {
            let mut d = Decoder::new(part);
            visit(&mut out, &mut Merge(&mut d))
                .and_then(|()| d.finish())
                .map_err(|e| bad(format!("chunk {c}: {e}")))?;
        }
        next = s.chunks.end;
    }
    if next != total {
        return Err(ShardMismatch {
            shard: shards.len().saturating_sub(1),
            what: format!("the shards end at chunk {next}, expected {total}"),
        });
    }
    for (i, s) in shards.iter().enumerate() {
        let mut list = s.counts.clone();
        let mut add = Counts {
            take: false,
            list: &mut list,
            at: 0,
        };
        visit(&mut out, &mut add).map_err(|e| ShardMismatch {
            shard: i,
            what: e.to_string(),
        })?;
        if add.at != s.counts.len() {
            return Err(ShardMismatch {
                shard: i,
                what: "more histograms than the forecast has".into(),
            });
        }
    }
    out.provisioned = shards
        .first()
        .map(|s| s.provisioned.clone())
        .unwrap_or_default();
    Ok(out)
}

impl Partial for ForecastShardState {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.chunks.start);
        e.u64(self.chunks.end);
        e.put(&self.provisioned);
        e.u64(self.parts.len() as u64);
        for p in &self.parts {
            e.bytes(p);
        }
        e.u64(self.counts.len() as u64);
        for [a, b] in &self.counts {
            e.put(a);
            e.put(b);
        }
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        let chunks = d.u64()?..d.u64()?;
        let provisioned = d.get()?;
        let n = d.len(8)?;
        let parts = (0..n)
            .map(|_| d.bytes().map(<[u8]>::to_vec))
            .collect::<Result<_, _>>()?;
        let c = d.len(16)?;
        let counts = (0..c)
            .map(|_| Ok([d.get()?, d.get()?]))
            .collect::<Result<_, DecodeError>>()?;
        Ok(ForecastShardState {
            chunks,
            provisioned,
            parts,
            counts,
        })
    }
}

/// A whole run, kept exactly: what [`visit`] writes of it and its histogram counts (for units
/// that are whole runs, such as a sweep's cells). Its per-trial series are dropped (only the
/// streamed summaries are kept).
#[derive(Debug, Clone, PartialEq)]
pub struct RunState {
    /// The run's order-dependent part.
    pub part: Vec<u8>,
    /// Its histogram counts.
    pub counts: Vec<[QuantileSketch; 2]>,
}

impl RunState {
    /// Keeps `run`'s streamed summaries.
    pub fn of(mut run: ForecastRun) -> RunState {
        for v in per_trial_series!(run, &mut) {
            v.clear();
        }
        run.sample.inputs.clear();
        run.sample.year_bills.clear();
        let mut counts = Vec::new();
        visit(
            &mut run,
            &mut Counts {
                take: true,
                list: &mut counts,
                at: 0,
            },
        )
        .expect("taking counts cannot fail");
        let mut e = Encoder::new();
        visit(&mut run, &mut Write(&mut e)).expect("writing cannot fail");
        RunState {
            part: e.into_bytes(),
            counts,
        }
    }

    /// The run of `model` (as `config` runs it) this state keeps: merged into an empty run, it
    /// gives the same values (merging into an empty accumulator copies).
    pub fn run(
        &self,
        model: &ForecastModel,
        config: &ForecastConfig,
    ) -> Result<ForecastRun, DecodeError> {
        let mut run = template(model, config, config.trials);
        let mut d = Decoder::new(&self.part);
        visit(&mut run, &mut Merge(&mut d))?;
        d.finish()?;
        let mut list = self.counts.clone();
        let mut add = Counts {
            take: false,
            list: &mut list,
            at: 0,
        };
        visit(&mut run, &mut add)?;
        if add.at != self.counts.len() {
            return Err(DecodeError {
                at: add.at,
                what: "more histograms than the forecast has".into(),
            });
        }
        Ok(run)
    }
}

impl Partial for RunState {
    fn encode(&self, e: &mut Encoder) {
        e.bytes(&self.part);
        e.u64(self.counts.len() as u64);
        for [a, b] in &self.counts {
            e.put(a);
            e.put(b);
        }
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        let part = d.bytes()?.to_vec();
        let c = d.len(16)?;
        let counts = (0..c)
            .map(|_| Ok([d.get()?, d.get()?]))
            .collect::<Result<_, DecodeError>>()?;
        Ok(RunState { part, counts })
    }
}
