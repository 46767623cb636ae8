//! Shards of a run (DESIGN.md §7): shard K of N runs a fixed range of trial chunks and keeps the
//! state the single run's fold needs; merging the shards in index order repeats that fold, so
//! the merged result has the single run's bits.
//!
//! Chan's update of moments is not associative in floating point, so a shard cannot fold its
//! chunks into one partial: it keeps each chunk's moments ([`ChunkMoments`], about 40 bytes per
//! metric per [`CHUNK_TRIALS`] trials) and the merge folds every chunk of every shard in chunk
//! order, exactly as [`super::run`] does. Quantile sketches hold integer counts, so a shard
//! keeps one sum per metric. The convergence checkpoints need the cost sketch of every prefix
//! that ends at a checkpoint: a shard keeps, for each checkpoint inside its range, the cost
//! sketch of its own chunks up to it; the merge adds the whole sketches of the shards before.

use std::ops::Range;

use super::run::{ChunkMoments, ChunkSink, Driver, RunFold, checkpoint_after, run_layout};
use super::{CHUNK_TRIALS, EngineError, Flow, Observer, RunConfig, RunResult};
use crate::pricing::PriceTable;
use crate::stats::codec::{DecodeError, Decoder, Encoder, Partial};
use crate::stats::{CoMoments, Moments, QuantileSketch};
use crate::workflow::Workflow;

/// Shard `index` (0-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index, below `count`.
    pub index: u64,
    /// Number of shards, at least 1.
    pub count: u64,
}

impl Shard {
    /// The units (chunks, cells, periods) of `total` this shard runs: the `index`-th of
    /// `count` contiguous ranges whose sizes differ by at most one (some may be empty when
    /// there are more shards than units).
    pub fn range(&self, total: u64) -> Range<u64> {
        let at = |k: u64| (u128::from(total) * u128::from(k) / u128::from(self.count)) as u64;
        at(self.index)..at(self.index + 1)
    }
}

/// What shard `shard` of a task-scenario run keeps: its chunks' moments in chunk order, its
/// sketches and its convergence prefixes.
#[derive(Debug, Clone, PartialEq)]
pub struct RunShardState {
    /// The chunks it ran.
    pub chunks: Range<u64>,
    /// Each chunk's moments, in chunk order.
    pub moments: Vec<ChunkMoments>,
    /// Per metric, the sketch of every trial it ran.
    pub sketches: Vec<QuantileSketch>,
    /// For each convergence checkpoint inside its range (`start < end <= chunks.end`), the
    /// checkpoint's chunk count and the cost sketch of the shard's chunks before it.
    pub checkpoints: Vec<(u64, QuantileSketch)>,
}

struct ShardSink {
    moments: Vec<ChunkMoments>,
    checkpoints: Vec<(u64, QuantileSketch)>,
}

impl ChunkSink for ShardSink {
    fn chunk(&mut self, chunk: ChunkMoments) {
        self.moments.push(chunk);
    }
    fn checkpoint(&mut self, end: u64, prefix: &QuantileSketch, _: &mut dyn Observer) -> Flow {
        self.checkpoints.push((end, prefix.clone()));
        Flow::Continue
    }
}

/// Runs shard `shard` of `config`'s run. The observer sees progress (of the shard's trials);
/// per-trial rows and stopping at a checkpoint are not available to shards.
pub fn run_shard(
    workflow: &Workflow,
    prices: &PriceTable,
    config: &RunConfig,
    shard: Shard,
    observer: &mut dyn Observer,
) -> Result<RunShardState, EngineError> {
    let layout = run_layout(workflow);
    let driver = Driver::new(workflow, prices, &layout, config, false)?;
    let chunks = shard.range(driver.total);
    let mut sink = ShardSink {
        moments: Vec::new(),
        checkpoints: Vec::new(),
    };
    driver.drive(chunks.clone(), observer, &mut sink)?;
    Ok(RunShardState {
        chunks,
        moments: sink.moments,
        sketches: driver.into_sketches(),
        checkpoints: sink.checkpoints,
    })
}

/// The shards of a run do not fit together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("shard {shard}: {what}")]
pub struct ShardMismatch {
    /// 0-based index of the shard at fault.
    pub shard: usize,
    /// What does not fit.
    pub what: String,
}

/// Merges the shards of `config`'s run, in shard order, into the result the single run gives:
/// every chunk folded in chunk order, the sketches summed, the checkpoints rebuilt.
pub fn merge_run_shards(
    workflow: &Workflow,
    config: &RunConfig,
    threads: usize,
    shards: &[RunShardState],
) -> Result<RunResult, ShardMismatch> {
    let layout = run_layout(workflow);
    let total = config.trials.div_ceil(CHUNK_TRIALS);
    let metrics = layout.len();
    let mut fold = RunFold::new(&layout, config.trials, config.seed, threads);
    let mut sketches = vec![QuantileSketch::new(); metrics];
    let mut next = 0;
    let mut checkpoint = checkpoint_after(0);
    for (i, s) in shards.iter().enumerate() {
        let bad = |what: String| ShardMismatch { shard: i, what };
        if s.chunks.start != next || s.chunks.end < s.chunks.start || s.chunks.end > total {
            return Err(bad(format!(
                "holds chunks {}..{}, expected chunks from {next} (of {total})",
                s.chunks.start, s.chunks.end
            )));
        }
        let len = (s.chunks.end - s.chunks.start) as usize;
        if s.moments.len() != len
            || s.sketches.len() != metrics
            || s.moments.iter().any(|c| {
                c.moments.len() != metrics || c.cost_comoments.len() != fold.share_columns()
            })
        {
            return Err(bad(format!(
                "its state does not match the scenario's {metrics} metrics and {len} chunks"
            )));
        }
        let mut points = s.checkpoints.iter();
        for (c, chunk) in (s.chunks.start..).zip(&s.moments) {
            fold.push(chunk);
            let end = c + 1;
            if end == checkpoint || end == total {
                checkpoint = checkpoint_after(end);
                let Some((at, own)) = points.next().filter(|(at, _)| *at == end) else {
                    return Err(bad(format!("has no convergence checkpoint at chunk {end}")));
                };
                debug_assert_eq!(*at, end);
                let mut prefix = sketches[0].clone();
                prefix.merge(own);
                fold.checkpoint(&prefix);
            }
        }
        if points.next().is_some() {
            return Err(bad(
                "has more convergence checkpoints than its chunks".into()
            ));
        }
        for (a, b) in sketches.iter_mut().zip(&s.sketches) {
            a.merge(b);
        }
        next = s.chunks.end;
    }
    if next != total {
        return Err(ShardMismatch {
            shard: shards.len().saturating_sub(1),
            what: format!("the shards end at chunk {next}, expected {total}"),
        });
    }
    Ok(fold.finish(sketches, config.trials))
}

impl Partial for ChunkMoments {
    fn encode(&self, e: &mut Encoder) {
        e.put(&self.moments);
        e.put(&self.cost_times_success);
        e.put(&self.success_indicator);
        e.put(&self.cost_comoments);
        e.u64(self.successes);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        Ok(ChunkMoments {
            moments: d.get::<Vec<Moments>>()?,
            cost_times_success: d.get()?,
            success_indicator: d.get()?,
            cost_comoments: d.get::<Vec<CoMoments>>()?,
            successes: d.u64()?,
        })
    }
}

impl Partial for RunShardState {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.chunks.start);
        e.u64(self.chunks.end);
        e.put(&self.moments);
        e.put(&self.sketches);
        e.put(&self.checkpoints);
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        Ok(RunShardState {
            chunks: d.u64()?..d.u64()?,
            moments: d.get()?,
            sketches: d.get()?,
            checkpoints: d.get()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_tile_the_units_in_order() {
        for total in [0u64, 1, 2, 7, 8, 9, 100] {
            for count in 1..=10 {
                let mut next = 0;
                for index in 0..count {
                    let r = Shard { index, count }.range(total);
                    assert_eq!(r.start, next);
                    assert!(r.end - r.start <= total.div_ceil(count));
                    next = r.end;
                }
                assert_eq!(next, total);
            }
        }
    }
}
