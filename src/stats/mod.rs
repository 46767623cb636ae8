//! Pure statistics: mergeable moments and co-moments (shares with their SE), a quantile sketch with a stated relative error, the
//! summaries built from them, and maximum-likelihood fits. No I/O, no randomness, no knowledge
//! of tokens.

pub mod codec;
mod comoments;
mod convergence;
pub mod crossing;
mod dist_accumulator;
pub mod fit;
mod moments;
pub mod rank;
mod sketch;
pub mod special;
mod summary;

pub use comoments::{CoMoments, Share};
pub use convergence::Checkpoint;
pub use dist_accumulator::DistAccumulator;
pub use moments::{ChunkSums, Moments, MomentsBlock};
pub use sketch::{QuantileSketch, RELATIVE_ERROR, SUB_BITS};
pub use summary::{
    Estimate, Interval, MetricSummary, QUANTILES, QuantileIntervals, Z975, interval_ranks,
    quantile_interval,
};
