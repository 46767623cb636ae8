//! Shards of a comparison of billing schemes on a task scenario (DESIGN.md §7, "Shards"):
//! shard K of N bills a fixed range of the comparison's [`PERIOD_CHUNK`]-period chunks, and the
//! same share of every break-even sweep point's chunks; the merge puts the periods back in
//! period order and finishes exactly as the single run does.
//!
//! Every period is billed on its own (its tasks drawn from the pools on its own stream), so a
//! shard's periods have the single run's bills. What the single run computes over all periods
//! is left to the merge: it keeps each period's bills (its percentiles are exact order
//! statistics) and its batch-means standard errors group the periods by pool; compute-hours
//! schemes sized to a percentile of peak demand are sized from every period's peak. A shard
//! therefore keeps, per period, each scheme's [`Bill`] (for a scheme sized to a percentile, the
//! period's hourly [`DemandProfile`] instead) and its task count; the merge sizes those schemes
//! from all the periods' profiles and bills them, then computes every statistic and the
//! break-even crossings with the single run's code.
//!
//! Every shard simulates the task pools the periods draw from (by default 32 pools of 8,192
//! tasks): they are a fixed cost, deterministic (pool `k`'s task `i` has its own stream), and
//! every period of any shard needs them.

use std::ops::Range;

use super::EngineError;
use super::compare::{
    CompareSetup, Comparison, PERIOD_CHUNK, PeriodBills, Progress, bill_range, build_pools, finish,
    percentile_sized, pool_count, size_and_bill, sweep_point, thread_pool,
};
use super::shard::{Shard, ShardMismatch};
use crate::pricing::scheme::{Bill, DemandProfile};
use crate::stats::codec::{DecodeError, Decoder, Encoder, Partial};

/// What one shard of a comparison keeps.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareShardState {
    /// The chunks of the comparison's periods it billed.
    pub chunks: Range<u64>,
    /// Its periods' bills, in period order.
    pub(crate) periods: Vec<PeriodBills>,
    /// For each sweep point, in sweep order: the chunks of its periods it billed and their
    /// bills.
    pub(crate) sweep: Vec<(Range<u64>, Vec<PeriodBills>)>,
}

/// The periods of `chunks` of `periods`.
fn periods_of(chunks: &Range<u64>, periods: u64) -> Range<u64> {
    (chunks.start * PERIOD_CHUNK).min(periods)..(chunks.end * PERIOD_CHUNK).min(periods)
}

/// The chunks of `periods` periods.
pub fn chunk_count(periods: u64) -> u64 {
    periods.div_ceil(PERIOD_CHUNK)
}

/// Runs shard `shard` of the comparison of `periods` periods from `seed`.
pub fn run_shard(
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
    threads: Option<usize>,
    shard: Shard,
) -> Result<CompareShardState, EngineError> {
    if periods == 0 {
        return Err(EngineError::NoTrials);
    }
    let pool = thread_pool(threads, periods)?;
    let none = |_: u64| {};
    let progress = Progress::new(&none);
    Ok(pool.install(|| {
        let pools = build_pools(setup, periods, seed, &progress);
        let chunks = shard.range(chunk_count(periods));
        let own = bill_range(
            setup,
            &setup.workload,
            periods_of(&chunks, periods),
            seed,
            &pools,
            &progress,
        );
        let sweep_periods = setup.sweep_periods.max(1);
        let sweep = setup
            .sweep
            .iter()
            .map(|&x| {
                let w = setup.along.apply(&setup.workload, x);
                let c = shard.range(chunk_count(sweep_periods));
                let range = periods_of(&c, sweep_periods);
                (c, bill_range(setup, &w, range, seed, &pools, &progress))
            })
            .collect();
        CompareShardState {
            chunks,
            periods: own,
            sweep,
        }
    }))
}

/// Checks that `bills` are the bills of `setup`'s schemes (a profile exactly for the schemes
/// sized to a percentile), so that the merge cannot fail on them.
fn check_bills(setup: &CompareSetup, bills: &[PeriodBills]) -> Result<(), String> {
    let percentile = percentile_sized(setup);
    for (i, p) in bills.iter().enumerate() {
        let fits = p.bills.len() == percentile.len()
            && p.profiles.len() == percentile.len()
            && percentile.iter().zip(&p.bills).zip(&p.profiles).all(
                |((&pct, b), prof)| match prof {
                    Some(prof) => pct && b.is_none() && prof.demand.len() == prof.list_usd.len(),
                    None => !pct && b.is_some(),
                },
            );
        if !fits {
            return Err(format!(
                "period {i} of its range does not hold a bill for each of the scenario's {} schemes",
                percentile.len()
            ));
        }
    }
    Ok(())
}

/// Joins the shards' ranges of one run of periods (`which` of each shard), in shard order,
/// checking that they tile `periods`.
fn join<'a>(
    setup: &CompareSetup,
    shards: impl Iterator<Item = (&'a Range<u64>, &'a Vec<PeriodBills>)>,
    periods: u64,
    what: &str,
) -> Result<Vec<PeriodBills>, ShardMismatch> {
    let total = chunk_count(periods);
    let mut out = Vec::new();
    let mut next = 0;
    let mut last = 0;
    for (i, (chunks, bills)) in shards.enumerate() {
        last = i;
        let bad = |what: String| ShardMismatch { shard: i, what };
        let range = periods_of(chunks, periods);
        if chunks.start != next
            || chunks.end < chunks.start
            || chunks.end > total
            || bills.len() as u64 != range.end - range.start
        {
            return Err(bad(format!(
                "holds chunks {}..{} of {what} ({} periods), expected chunks from {next} (of {total})",
                chunks.start,
                chunks.end,
                bills.len()
            )));
        }
        check_bills(setup, bills).map_err(|e| bad(format!("{what}: {e}")))?;
        out.extend(bills.iter().cloned());
        next = chunks.end;
    }
    if next != total {
        return Err(ShardMismatch {
            shard: last,
            what: format!("the shards end at chunk {next} of {what}, expected {total}"),
        });
    }
    Ok(out)
}

/// Merges the shards (in shard order) of the comparison of `periods` periods from `seed` into
/// the comparison the single run gives.
pub fn merge_shards(
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
    shards: &[CompareShardState],
) -> Result<Comparison, ShardMismatch> {
    for (i, s) in shards.iter().enumerate() {
        if s.sweep.len() != setup.sweep.len() {
            return Err(ShardMismatch {
                shard: i,
                what: format!(
                    "holds {} break-even sweep points, expected {}",
                    s.sweep.len(),
                    setup.sweep.len()
                ),
            });
        }
    }
    let pools = pool_count(setup.method, periods);
    let all = join(
        setup,
        shards.iter().map(|s| (&s.chunks, &s.periods)),
        periods,
        "the comparison's periods",
    )?;
    let billed = size_and_bill(setup, all);
    let sweep_periods = setup.sweep_periods.max(1);
    let mut sweep = Vec::new();
    for (j, &x) in setup.sweep.iter().enumerate() {
        let w = setup.along.apply(&setup.workload, x);
        let all = join(
            setup,
            shards.iter().map(|s| (&s.sweep[j].0, &s.sweep[j].1)),
            sweep_periods,
            &format!("sweep point {}", j + 1),
        )?;
        let b = size_and_bill(setup, all);
        sweep.push(sweep_point(setup, x, &w, &b, pools));
    }
    Ok(finish(setup, periods, seed, pools, &billed, sweep))
}

impl Partial for Bill {
    fn encode(&self, e: &mut Encoder) {
        e.f64(self.total_usd);
        e.f64(self.list_usd);
        e.u64(self.throttled_tasks);
        e.f64(self.throttled_list_usd);
        e.f64(self.unused_commitment_usd);
        e.f64(self.overage_usd);
        e.f64(self.units);
        e.f64(self.utilisation);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        Ok(Bill {
            total_usd: d.f64()?,
            list_usd: d.f64()?,
            throttled_tasks: d.u64()?,
            throttled_list_usd: d.f64()?,
            unused_commitment_usd: d.f64()?,
            overage_usd: d.f64()?,
            units: d.f64()?,
            utilisation: d.f64()?,
        })
    }
}

impl Partial for DemandProfile {
    fn encode(&self, e: &mut Encoder) {
        e.put(&self.demand);
        e.put(&self.list_usd);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        Ok(DemandProfile {
            demand: d.get()?,
            list_usd: d.get()?,
        })
    }
}

/// An optional value: a flag word (0 none, 1 some), then the value.
fn put_option<T: Partial>(e: &mut Encoder, v: &Option<T>) {
    match v {
        None => e.u64(0),
        Some(v) => {
            e.u64(1);
            e.put(v);
        }
    }
}

fn get_option<T: Partial>(d: &mut Decoder) -> Result<Option<T>, DecodeError> {
    match d.u64()? {
        0 => Ok(None),
        1 => Ok(Some(d.get()?)),
        other => Err(d.error(format!("expected an option flag 0 or 1, found {other}"))),
    }
}

impl Partial for PeriodBills {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.bills.len() as u64);
        for b in &self.bills {
            put_option(e, b);
        }
        e.u64(self.profiles.len() as u64);
        for p in &self.profiles {
            put_option(e, p);
        }
        e.f64(self.tasks);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        let n = d.len(8)?;
        let bills = (0..n).map(|_| get_option(d)).collect::<Result<_, _>>()?;
        let n = d.len(8)?;
        let profiles = (0..n).map(|_| get_option(d)).collect::<Result<_, _>>()?;
        Ok(PeriodBills {
            bills,
            profiles,
            tasks: d.f64()?,
        })
    }
}

impl Partial for CompareShardState {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.chunks.start);
        e.u64(self.chunks.end);
        e.put(&self.periods);
        e.u64(self.sweep.len() as u64);
        for (chunks, bills) in &self.sweep {
            e.u64(chunks.start);
            e.u64(chunks.end);
            e.put(bills);
        }
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        let chunks = d.u64()?..d.u64()?;
        let periods = d.get()?;
        let n = d.len(24)?;
        let sweep = (0..n)
            .map(|_| Ok((d.u64()?..d.u64()?, d.get()?)))
            .collect::<Result<_, DecodeError>>()?;
        Ok(CompareShardState {
            chunks,
            periods,
            sweep,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_bills_round_trip_bit_for_bit() {
        let p = PeriodBills {
            bills: vec![
                Some(Bill {
                    total_usd: 0.1 + 0.2,
                    throttled_tasks: 7,
                    utilisation: -0.0,
                    ..Bill::default()
                }),
                None,
            ],
            profiles: vec![
                None,
                Some(DemandProfile {
                    demand: vec![1e-300, 3.5],
                    list_usd: vec![0.0, 2.25],
                }),
            ],
            tasks: 42.0,
        };
        let state = CompareShardState {
            chunks: 2..5,
            periods: vec![p.clone()],
            sweep: vec![(1..2, vec![p.clone(), p])],
        };
        let mut e = Encoder::new();
        e.put(&state);
        let bytes = e.into_bytes();
        let mut d = Decoder::new(&bytes);
        let back: CompareShardState = d.get().unwrap();
        d.finish().unwrap();
        assert_eq!(back, state);
        let b = back.periods[0].bills[0].unwrap();
        assert_eq!(b.utilisation.to_bits(), (-0.0f64).to_bits());
        for cut in 0..bytes.len() {
            assert!(
                Decoder::new(&bytes[..cut])
                    .get::<CompareShardState>()
                    .is_err()
            );
        }
    }
}
