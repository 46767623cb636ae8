//! The engine: runs N trials in parallel with per-trial random streams and streaming,
//! mergeable aggregation, and builds the run's [`Summary`].

pub mod along;
pub mod compare;
pub mod compare_break_even;
pub mod compare_input;
mod compare_pool;
pub mod compare_shard;
mod compare_stats;
mod metrics;
mod period;
mod precision;
pub mod routing;
pub mod routing_shard;
pub mod routing_summary;
mod run;
mod seed;
pub mod shard;
mod summary;

pub use metrics::{
    MetricDef, MetricLayout, PHASE_METRICS, Scope, TOKEN_METRICS, TRIAL_METRICS, USAGE_METRICS,
    trial_metrics_used,
};
pub use period::{PeriodSimulator, Workload};
pub use precision::{MIN_PRECISION_TRIALS, PrecisionTarget, StopAtPrecision};
pub use run::{
    CHUNK_TRIALS, ChunkMoments, EngineError, Flow, MAX_THREADS_PER_CORE, Observer, RunConfig,
    RunResult, Silent, TrialBlock, checkpoint_after, run, thread_pool, worker_threads,
};
pub use seed::{TrialRng, mix64, name_stream, trial_rng};
pub use summary::{
    AchievedRank, CostShares, MAX_RANKED_TRIALS, NamedMap, QuantileMethod, Summary, achieved_ranks,
};
