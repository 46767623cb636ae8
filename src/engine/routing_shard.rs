//! Shards of a routing comparison (`run --shard K/N` on a scenario with `[routing]`): shard K
//! runs the same range of trial chunks as the run's own shard ([`super::shard::Shard::range`])
//! and keeps what the single comparison's fold needs; merging the shards in index order repeats
//! that fold, so the merged comparison has the single run's bits.
//!
//! As for the run ([`super::shard`]), co-moments and moments merge by Chan's update, which is
//! not associative in floating point: a shard keeps each chunk's co-moments and each policy's
//! cost moments (with the exact counts at the minimum and maximum), and the merge folds them in
//! chunk order, exactly as [`super::routing::run_routing`] does. The cost histograms hold
//! integer counts, so a shard keeps one sum per policy.

use std::ops::Range;

use super::routing::{COLUMNS_PER_POLICY, RoutingResult, empty, run_chunks};
use super::shard::{Shard, ShardMismatch};
use super::{CHUNK_TRIALS, EngineError, RunConfig};
use crate::pricing::PriceTable;
use crate::stats::codec::{DecodeError, Decoder, Encoder, Partial};
use crate::stats::{CoMoments, DistAccumulator, QuantileSketch};
use crate::workflow::{Routing, Workflow};

/// Most policies a decoded shard may hold (bounds the work of decoding a damaged file).
const MAX_DECODED_POLICIES: u64 = crate::workflow::MAX_POLICIES as u64;

/// What shard `shard` of a routing comparison keeps.
#[derive(Debug, Clone)]
pub struct RoutingShardState {
    /// The chunks it ran.
    pub chunks: Range<u64>,
    /// Each chunk's aggregates without their cost histograms, in chunk order.
    pub parts: Vec<RoutingResult>,
    /// Per policy, the cost histograms of every trial it ran.
    pub counts: Vec<[QuantileSketch; 2]>,
}

/// Runs shard `shard` of the routing comparison of `config`'s run.
pub fn run_routing_shard(
    workflow: &Workflow,
    routing: &Routing,
    prices: &PriceTable,
    config: &RunConfig,
    shard: Shard,
) -> Result<RoutingShardState, EngineError> {
    if config.trials == 0 {
        return Err(EngineError::NoTrials);
    }
    let chunks = shard.range(config.trials.div_ceil(CHUNK_TRIALS));
    let mut counts = empty(routing.policies.len());
    let mut parts = Vec::with_capacity((chunks.end - chunks.start) as usize);
    run_chunks(
        workflow,
        routing,
        prices,
        config,
        chunks.clone(),
        |mut out| {
            for (sum, acc) in counts.costs.iter_mut().zip(out.costs.iter_mut()) {
                sum.add_counts(&acc.take_counts());
            }
            parts.push(out);
        },
    )?;
    Ok(RoutingShardState {
        chunks,
        parts,
        counts: counts.costs.iter_mut().map(|a| a.take_counts()).collect(),
    })
}

/// Merges the shards of a routing comparison of `trials` trials with `policies` policies, in
/// shard order, into the result the single comparison gives.
pub fn merge_routing_shards(
    policies: usize,
    trials: u64,
    shards: &[RoutingShardState],
) -> Result<RoutingResult, ShardMismatch> {
    let total_chunks = trials.div_ceil(CHUNK_TRIALS);
    let width = policies * COLUMNS_PER_POLICY;
    let mut total = empty(policies);
    let mut next = 0;
    for (i, s) in shards.iter().enumerate() {
        let bad = |what: String| ShardMismatch { shard: i, what };
        if s.chunks.start != next || s.chunks.end < s.chunks.start || s.chunks.end > total_chunks {
            return Err(bad(format!(
                "its routing comparison holds chunks {}..{}, expected chunks from {next} (of {total_chunks})",
                s.chunks.start, s.chunks.end
            )));
        }
        let len = (s.chunks.end - s.chunks.start) as usize;
        if s.parts.len() != len
            || s.counts.len() != policies
            || s.parts
                .iter()
                .any(|p| p.width != width || p.costs.len() != policies)
        {
            return Err(bad(format!(
                "its routing comparison does not match the scenario's {policies} policies and {len} chunks"
            )));
        }
        for part in &s.parts {
            total.merge(part);
        }
        next = s.chunks.end;
    }
    if next != total_chunks {
        return Err(ShardMismatch {
            shard: shards.len().saturating_sub(1),
            what: format!(
                "the routing comparison's shards end at chunk {next}, expected {total_chunks}"
            ),
        });
    }
    for s in shards {
        for (acc, c) in total.costs.iter_mut().zip(&s.counts) {
            acc.add_counts(c);
        }
    }
    Ok(total)
}

/// One chunk's part: its trials, the co-moments of columns `a ≤ b`, each policy's cost
/// moments and extremes' counts.
fn encode_part(p: &RoutingResult, e: &mut Encoder) {
    let policies = p.costs.len();
    e.u64(policies as u64);
    e.u64(p.trials);
    for a in 0..p.width {
        for b in a..p.width {
            e.put(p.co(a, b));
        }
    }
    for acc in &p.costs {
        acc.encode_ordered(e);
    }
}

fn decode_part(d: &mut Decoder) -> Result<RoutingResult, DecodeError> {
    let policies = d.u64()?;
    if policies > MAX_DECODED_POLICIES {
        return Err(d.error(format!(
            "a routing comparison of {policies} policies (at most {MAX_DECODED_POLICIES})"
        )));
    }
    let mut p = empty(policies as usize);
    p.trials = d.u64()?;
    for a in 0..p.width {
        for b in a..p.width {
            p.comoments[a * p.width + b] = d.get::<CoMoments>()?;
        }
    }
    for acc in &mut p.costs {
        let mut part = DistAccumulator::default();
        part.merge_ordered(d)?;
        *acc = part;
    }
    Ok(p)
}

impl Partial for RoutingShardState {
    fn encode(&self, e: &mut Encoder) {
        e.u64(self.chunks.start);
        e.u64(self.chunks.end);
        e.u64(self.parts.len() as u64);
        for p in &self.parts {
            encode_part(p, e);
        }
        e.u64(self.counts.len() as u64);
        for [below, above] in &self.counts {
            e.put(below);
            e.put(above);
        }
    }
    fn decode(d: &mut Decoder) -> Result<Self, DecodeError> {
        let chunks = d.u64()?..d.u64()?;
        let parts = (0..d.len(16)?)
            .map(|_| decode_part(d))
            .collect::<Result<Vec<_>, _>>()?;
        let counts = (0..d.len(16)?)
            .map(|_| Ok([d.get()?, d.get()?]))
            .collect::<Result<Vec<_>, DecodeError>>()?;
        Ok(RoutingShardState {
            chunks,
            parts,
            counts,
        })
    }
}
