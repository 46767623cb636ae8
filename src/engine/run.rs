//! Runs N trials in parallel with streaming, deterministic aggregation.
//!
//! Trials are grouped into fixed chunks of [`CHUNK_TRIALS`] consecutive indices. A chunk runs on
//! one thread, accumulating shifted sums per metric; chunk moments are merged in chunk order
//! (Chan's formula), so floating-point results do not depend on how rayon splits the work.
//! Quantile sketches hold integer counts and merge exactly in any order. Chunks run in batches
//! of a few per thread, so memory holds one batch, never the whole run (unless per-trial output
//! is asked for, which streams each batch to the observer in trial order).
//!
//! Convergence checkpoints (running mean, SE, P95 and its interval of the cost) are taken after
//! fixed chunk counts ([`checkpoint_after`]): batches are cut there, so checkpoints, and a run
//! stopped at one by its observer, do not depend on the thread count. A run stopped after `k`
//! chunks is identical to a run of `k · CHUNK_TRIALS` trials.

use std::sync::Mutex;

use rayon::prelude::*;

use super::metrics::{MetricLayout, Scope, TOKEN_METRICS, trial_metrics_used};
use super::seed::trial_rng;
use crate::pricing::{PriceTable, TokenKind};
use crate::stats::{Checkpoint, CoMoments, Moments, MomentsBlock, QuantileSketch};
use crate::workflow::{TrialUsage, Workflow};

/// Trials per chunk: the unit of work and of ordered merging.
pub const CHUNK_TRIALS: u64 = 1024;
/// Chunks per thread in one batch.
const CHUNKS_PER_THREAD: u64 = 16;

/// How to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Number of trials.
    pub trials: u64,
    /// Seed of the run.
    pub seed: u64,
    /// Worker threads (`None` or 0: one per core; capped, see [`worker_threads`]).
    pub threads: Option<usize>,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The thread pool could not be built.
    #[error("cannot start {threads} worker threads: {message}")]
    ThreadPool {
        /// Threads asked for.
        threads: usize,
        /// The cause.
        message: String,
    },
    /// The observer failed (e.g. writing per-trial rows).
    #[error("{0}")]
    Observer(String),
    /// Zero trials were asked for.
    #[error("expected at least 1 trial, found 0")]
    NoTrials,
    /// A trial's token count passed what 64-bit counters hold: the counts would be wrong.
    #[error(
        "trial {trial} consumed more than 2^64 {metric} (about 1.8e19): a count that large cannot be kept exactly, so the run stops rather than report a saturated, wrong figure; the scenario's repeats, loops or sub-agents multiply to an astronomical number of calls"
    )]
    CountOverflow {
        /// The first trial (by index) that overflowed.
        trial: u64,
        /// The token metric.
        metric: &'static str,
    },
}

/// Token counts at or above this (2^64 as a double, what a saturated 64-bit counter reads as)
/// are not exact.
const COUNT_LIMIT: f64 = 18_446_744_073_709_551_616.0;

/// Per-trial rows of one chunk, in trial order, for per-trial output.
#[derive(Debug, Clone, Default)]
pub struct TrialBlock {
    /// Index of the first trial.
    pub first: u64,
    /// Models per row.
    pub models: usize,
    /// Success of each trial.
    pub success: Vec<bool>,
    /// List-price cost of each trial in USD.
    pub cost: Vec<f64>,
    /// Calls of each trial.
    pub calls: Vec<u64>,
    /// Tokens, `[row][model][kind]` flattened (kinds in [`TokenKind::ALL`] order).
    pub tokens: Vec<u64>,
}

impl TrialBlock {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.cost.len()
    }

    /// Whether the block has no rows.
    pub fn is_empty(&self) -> bool {
        self.cost.is_empty()
    }

    /// Tokens of one kind for one row and model.
    pub fn tokens(&self, row: usize, model: usize, kind: TokenKind) -> u64 {
        self.tokens[(row * self.models + model) * TokenKind::COUNT + kind.index()]
    }
}

/// Whether a run goes on after a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Run the next batch.
    Continue,
    /// End the run here: its result covers the trials done so far.
    Stop,
}

/// Receives progress and, if it asks, per-trial rows in trial order.
pub trait Observer {
    /// Called at each convergence checkpoint of the cost (in trial order); returning
    /// [`Flow::Stop`] ends the run there.
    fn checkpoint(&mut self, _point: &Checkpoint) -> Flow {
        Flow::Continue
    }
    /// Called after each batch with the trials done so far.
    fn progress(&mut self, _done: u64, _total: u64) {}
    /// Whether to collect per-trial rows.
    fn wants_trials(&self) -> bool {
        false
    }
    /// Receives a chunk of rows; an error stops the run.
    fn trials(&mut self, _block: &TrialBlock) -> Result<(), String> {
        Ok(())
    }
}

/// An observer that ignores everything.
pub struct Silent;
impl Observer for Silent {}

/// The merged aggregates of a run: everything a summary is built from.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// Worker threads actually used (results never depend on it).
    pub threads: usize,
    /// Trials run (fewer than asked when the observer stopped the run at a checkpoint).
    pub trials: u64,
    /// Seed used.
    pub seed: u64,
    /// The metrics recorded.
    pub layout: MetricLayout,
    /// Moments per metric.
    pub moments: Vec<Moments>,
    /// Quantile sketch per metric.
    pub sketches: Vec<QuantileSketch>,
    /// Successful trials.
    pub successes: u64,
    /// Moments of the cost of successful trials times 1 (and 0 for failures): gives the
    /// covariance of cost and success for the cost-per-success standard error.
    pub cost_times_success: Moments,
    /// Moments of the success indicator.
    pub success_indicator: Moments,
    /// The parts of the cost whose shares carry a standard error ([`MetricLayout::share_columns`]),
    /// each with its co-moment with the total cost.
    pub cost_comoments: Vec<(Scope, CoMoments)>,
    /// Convergence checkpoints of the cost, trials increasing; the last one is the whole run.
    pub convergence: Vec<Checkpoint>,
}

struct ChunkOut {
    moments: ChunkMoments,
    block: Option<TrialBlock>,
    /// The first trial of the chunk whose token count passed [`COUNT_LIMIT`], and the metric.
    overflow: Option<(u64, &'static str)>,
}

/// Most worker threads per core: more only add memory (each worker keeps its own sketches)
/// and scheduling overhead.
pub const MAX_THREADS_PER_CORE: usize = 4;

/// The worker threads a run uses: as asked (`None` or 0: one per core), at most
/// [`MAX_THREADS_PER_CORE`] per core and at most one per chunk.
pub fn worker_threads(asked: Option<usize>, chunks: u64) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = match asked {
        None | Some(0) => cores,
        Some(n) => n,
    };
    wanted
        .min(cores * MAX_THREADS_PER_CORE)
        .min(usize::try_from(chunks).unwrap_or(usize::MAX))
        .max(1)
}

/// A worker pool of `threads` threads (from [`worker_threads`]) that every run, comparison and
/// forecast pass installs its chunks on.
pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, EngineError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| EngineError::ThreadPool {
            threads,
            message: e.to_string(),
        })
}

/// The chunk count of the checkpoint after `chunks` chunks: every chunk up to 8, then about
/// four per doubling (×2^¼, rounded up). Integer-exact and independent of threads.
pub fn checkpoint_after(chunks: u64) -> u64 {
    if chunks < 8 {
        chunks + 1
    } else {
        // × 1.189207 ≈ 2^(1/4), in integers (u128: no overflow) so that it is exact everywhere.
        let next = (u128::from(chunks) * 1_189_207).div_ceil(1_000_000);
        u64::try_from(next)
            .unwrap_or(u64::MAX)
            .max(chunks.saturating_add(1))
    }
}

/// One chunk's order-dependent aggregates: what the run merges chunk by chunk, in chunk order
/// (Chan's update is not associative in floating point, so a shard keeps these per chunk and
/// the merge repeats the single run's fold).
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkMoments {
    /// Moments per metric.
    pub moments: Vec<Moments>,
    /// Moments of cost × success.
    pub cost_times_success: Moments,
    /// Moments of the success indicator.
    pub success_indicator: Moments,
    /// Co-moments of each share column with the cost.
    pub cost_comoments: Vec<CoMoments>,
    /// Successful trials.
    pub successes: u64,
}

/// The ordered fold of chunks into a [`RunResult`]: the single run and the merge of shards
/// both go through it, so their floating-point operations are the same, in the same order.
pub(crate) struct RunFold {
    result: RunResult,
}

impl RunFold {
    /// An empty fold of a run of `trials` trials.
    pub(crate) fn new(layout: &MetricLayout, trials: u64, seed: u64, threads: usize) -> RunFold {
        let metrics = layout.len();
        RunFold {
            result: RunResult {
                threads,
                trials,
                seed,
                layout: layout.clone(),
                moments: vec![Moments::default(); metrics],
                sketches: vec![QuantileSketch::new(); metrics],
                successes: 0,
                cost_times_success: Moments::default(),
                success_indicator: Moments::default(),
                cost_comoments: layout
                    .share_columns()
                    .iter()
                    .map(|&(scope, _)| (scope, CoMoments::default()))
                    .collect(),
                convergence: Vec::new(),
            },
        }
    }

    /// Merges the next chunk (in chunk order).
    pub(crate) fn push(&mut self, out: &ChunkMoments) {
        let result = &mut self.result;
        for (a, b) in result.moments.iter_mut().zip(&out.moments) {
            a.merge(b);
        }
        result.cost_times_success.merge(&out.cost_times_success);
        result.success_indicator.merge(&out.success_indicator);
        for ((_, a), b) in result.cost_comoments.iter_mut().zip(&out.cost_comoments) {
            a.merge(b);
        }
        result.successes += out.successes;
    }

    /// Number of share columns paired with the cost.
    pub(crate) fn share_columns(&self) -> usize {
        self.result.cost_comoments.len()
    }

    /// Records the convergence checkpoint after the chunks pushed so far, whose cost sketch is
    /// `prefix`.
    pub(crate) fn checkpoint(&mut self, prefix: &QuantileSketch) -> Checkpoint {
        let point = Checkpoint::new(&self.result.moments[COST_INDEX], prefix, false);
        self.result.convergence.push(point);
        point
    }

    /// The result, with the run's `sketches` (summed over every chunk) and the trials run.
    pub(crate) fn finish(mut self, sketches: Vec<QuantileSketch>, trials: u64) -> RunResult {
        self.result.sketches = sketches;
        self.result.trials = trials;
        self.result
    }
}

/// The cost's column in every layout.
const COST_INDEX: usize = 0;

/// The chunks `range` of a run of `total` chunks, run in batches cut at the convergence
/// checkpoints; what each chunk and each checkpoint gives goes to the callbacks.
pub(crate) struct Driver<'a> {
    ctx: ChunkContext<'a>,
    pool: rayon::ThreadPool,
    workers: Vec<Mutex<Worker>>,
    /// Worker threads.
    pub(crate) threads: usize,
    /// Chunks of the whole run.
    pub(crate) total: u64,
}

impl<'a> Driver<'a> {
    /// A driver of `config`'s run (`want_rows`: build per-trial rows).
    pub(crate) fn new(
        workflow: &'a Workflow,
        prices: &'a PriceTable,
        layout: &'a MetricLayout,
        config: &RunConfig,
        want_rows: bool,
    ) -> Result<Driver<'a>, EngineError> {
        if config.trials == 0 {
            return Err(EngineError::NoTrials);
        }
        let total = config.trials.div_ceil(CHUNK_TRIALS);
        let threads = worker_threads(config.threads, total);
        let pool = thread_pool(threads)?;
        let metrics = layout.len();
        debug_assert_eq!(layout.defs[COST_INDEX].name, "cost_usd");
        let ctx = ChunkContext {
            active: (0..metrics)
                .filter(|&j| !layout.defs[j].always_zero)
                .collect(),
            share_columns: layout.share_columns().iter().map(|&(_, j)| j).collect(),
            workflow,
            prices,
            layout,
            seed: config.seed,
            trials: config.trials,
            want_rows,
            token_columns: TOKEN_METRICS
                .iter()
                .filter_map(|&name| layout.index_of(Scope::Total, name).map(|j| (j, name)))
                .collect(),
        };
        // Sketches hold integer counts, so each worker keeps its own set for the whole run and
        // they merge exactly at the end, in any order. Locks are per worker, hence uncontended.
        let workers = (0..threads)
            .map(|_| Mutex::new(Worker::new(workflow, metrics)))
            .collect();
        Ok(Driver {
            ctx,
            pool,
            workers,
            threads,
            total,
        })
    }

    /// Runs chunks `range`: `sink` receives each chunk's moments in chunk order (the observer
    /// its rows); at each checkpoint in the range (after [`checkpoint_after`] chunk counts, and
    /// at the run's last chunk) the sink receives the checkpoint's chunk count and the cost
    /// sketch of the chunks of `range` run so far, and may stop the run.
    /// Returns the chunk after the last one run.
    pub(crate) fn drive(
        &self,
        range: std::ops::Range<u64>,
        observer: &mut dyn Observer,
        sink: &mut dyn ChunkSink,
    ) -> Result<u64, EngineError> {
        let trials = self.ctx.trials;
        let batch = (self.threads as u64 * CHUNKS_PER_THREAD).max(1);
        let mut start = range.start;
        let mut next_checkpoint = checkpoint_after(0);
        while next_checkpoint <= start {
            next_checkpoint = checkpoint_after(next_checkpoint);
        }
        while start < range.end {
            let end = (start + batch).min(range.end).min(next_checkpoint);
            // `collect` keeps chunk order, whatever thread ran each chunk.
            let outs: Vec<ChunkOut> = self.pool.install(|| {
                (start..end)
                    .into_par_iter()
                    .map(|chunk| {
                        let worker = rayon::current_thread_index().unwrap_or(0) % self.threads;
                        let mut worker = self.workers[worker]
                            .lock()
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                        self.ctx.run_chunk(chunk, &mut worker)
                    })
                    .collect()
            });
            for out in outs {
                if let Some((trial, metric)) = out.overflow {
                    return Err(EngineError::CountOverflow { trial, metric });
                }
                if let Some(block) = &out.block {
                    observer.trials(block).map_err(EngineError::Observer)?;
                }
                sink.chunk(out.moments);
            }
            start = end;
            let first = range.start * CHUNK_TRIALS;
            observer.progress(
                (start * CHUNK_TRIALS).min(trials) - first,
                (range.end * CHUNK_TRIALS).min(trials) - first,
            );
            if end == next_checkpoint || end == self.total {
                next_checkpoint = checkpoint_after(end);
                // Every chunk of the range before `end` is in some worker's sketches.
                let prefix = self.sketch_sum(COST_INDEX);
                if sink.checkpoint(end, &prefix, observer) == Flow::Stop && end < self.total {
                    return Ok(end);
                }
            }
        }
        Ok(start)
    }

    fn sketch_sum(&self, metric: usize) -> QuantileSketch {
        let mut sum = QuantileSketch::new();
        for worker in &self.workers {
            let worker = worker
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            sum.merge(&worker.sketches[metric]);
        }
        sum
    }

    /// Every metric's sketch over the chunks run.
    pub(crate) fn into_sketches(self) -> Vec<QuantileSketch> {
        let metrics = self.ctx.layout.len();
        let mut sketches = vec![QuantileSketch::new(); metrics];
        for worker in self.workers {
            let worker = worker
                .into_inner()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (a, b) in sketches.iter_mut().zip(&worker.sketches) {
                a.merge(b);
            }
        }
        sketches
    }
}

/// Where a [`Driver`] sends what it runs.
pub(crate) trait ChunkSink {
    /// The next chunk's moments, in chunk order.
    fn chunk(&mut self, chunk: ChunkMoments);
    /// A checkpoint after `end` chunks of the run; `prefix`: the cost sketch of the chunks run.
    fn checkpoint(
        &mut self,
        end: u64,
        prefix: &QuantileSketch,
        observer: &mut dyn Observer,
    ) -> Flow;
}

/// A single run's sink: folds every chunk, records and reports every checkpoint.
struct FoldSink {
    fold: RunFold,
    total: u64,
}

impl ChunkSink for FoldSink {
    fn chunk(&mut self, chunk: ChunkMoments) {
        self.fold.push(&chunk);
    }

    fn checkpoint(
        &mut self,
        end: u64,
        prefix: &QuantileSketch,
        observer: &mut dyn Observer,
    ) -> Flow {
        let point = self.fold.checkpoint(prefix);
        if end < self.total {
            observer.checkpoint(&point)
        } else {
            Flow::Continue
        }
    }
}

/// The metric layout of `workflow`'s runs.
pub(crate) fn run_layout(workflow: &Workflow) -> MetricLayout {
    MetricLayout::new(
        workflow.model_count(),
        workflow.phase_count(),
        workflow.kinds_used(),
    )
    .with_trial_metrics(trial_metrics_used(workflow))
}

/// Runs `config.trials` trials of `workflow` priced with `prices`.
pub fn run(
    workflow: &Workflow,
    prices: &PriceTable,
    config: &RunConfig,
    observer: &mut dyn Observer,
) -> Result<RunResult, EngineError> {
    let layout = run_layout(workflow);
    let driver = Driver::new(workflow, prices, &layout, config, observer.wants_trials())?;
    let mut sink = FoldSink {
        fold: RunFold::new(&layout, config.trials, config.seed, driver.threads),
        total: driver.total,
    };
    let end = driver.drive(0..driver.total, observer, &mut sink)?;
    let trials = (end * CHUNK_TRIALS).min(config.trials);
    Ok(sink.fold.finish(driver.into_sketches(), trials))
}

/// What a worker thread keeps from chunk to chunk: its sketches, and buffers reused rather
/// than allocated (and zeroed) per chunk.
struct Worker {
    sketches: Vec<QuantileSketch>,
    usage: TrialUsage,
    /// A chunk's rows (see [`ChunkContext::run_chunk`]); every value is written before it is
    /// read.
    rows: Vec<f64>,
}

impl Worker {
    fn new(workflow: &Workflow, metrics: usize) -> Worker {
        Worker {
            sketches: vec![QuantileSketch::new(); metrics],
            usage: TrialUsage::new(workflow.phase_count(), workflow.model_count()),
            rows: Vec::new(),
        }
    }
}

struct ChunkContext<'a> {
    /// The metrics aggregated value by value (the others are zero by construction, counted in
    /// bulk).
    active: Vec<usize>,
    /// The part-cost columns paired with the total cost (column 0) in co-moments.
    share_columns: Vec<usize>,
    workflow: &'a Workflow,
    prices: &'a PriceTable,
    layout: &'a MetricLayout,
    seed: u64,
    trials: u64,
    want_rows: bool,
    /// The whole-trial token metrics' columns, with their names (checked for overflow).
    token_columns: Vec<(usize, &'static str)>,
}

impl ChunkContext<'_> {
    fn run_chunk(&self, chunk: u64, worker: &mut Worker) -> ChunkOut {
        let first = chunk * CHUNK_TRIALS;
        let last = (first + CHUNK_TRIALS).min(self.trials);
        let metrics = self.layout.len();
        let models = self.workflow.model_count();
        let Worker {
            sketches,
            usage,
            rows,
        } = worker;
        // Each row: the layout's metrics, then the success indicator and cost x success (the
        // moments behind the success rate and the cost-per-success standard error). The chunk's
        // rows are kept and aggregated column by column at the end, where the loops vectorise
        // and keep their state in registers.
        let width = metrics + 2;
        rows.resize((last - first) as usize * width, 0.0);
        let rows = &mut rows[..];
        let mut successes = 0;
        let mut block = self.want_rows.then(|| TrialBlock {
            first,
            models,
            ..TrialBlock::default()
        });
        for (index, values) in (first..last).zip(rows.chunks_exact_mut(width)) {
            let mut rng = trial_rng(self.seed, index);
            self.workflow.run_trial(&mut rng, usage);
            self.layout.fill(usage, self.prices, &mut values[..metrics]);
            values[metrics] = usage.success as u64 as f64;
            values[metrics + 1] = if usage.success { values[0] } else { 0.0 };
            successes += usage.success as u64;
            if let Some(b) = block.as_mut() {
                b.success.push(usage.success);
                b.cost.push(values[0]);
                b.calls.push(usage.total_calls());
                for m in 0..models {
                    for kind in TokenKind::ALL {
                        b.tokens.push(usage.model_tokens(m, kind));
                    }
                }
            }
        }
        let mut sums = MomentsBlock::new(width);
        sums.push_rows(rows);
        for &j in &self.active {
            sketches[j].insert_column(rows, j, width);
        }
        let n = last - first;
        for (j, def) in self.layout.defs.iter().enumerate() {
            if def.always_zero {
                sketches[j].insert_repeated(0.0, n);
            }
        }
        let cost_comoments = self
            .share_columns
            .iter()
            .map(|&j| CoMoments::of_columns(rows, width, j, 0))
            .collect();
        let mut moments = sums.finish();
        // A saturated counter reads 2^64: the column's exact maximum finds it at no cost per
        // trial; only then are the rows scanned for the first such trial.
        let overflow = self
            .token_columns
            .iter()
            .find(|&&(j, _)| moments[j].max >= COUNT_LIMIT)
            .and_then(|&(j, name)| {
                rows.chunks_exact(width)
                    .position(|row| row[j] >= COUNT_LIMIT)
                    .map(|i| (first + i as u64, name))
            });
        let cost_times_success = moments.pop().expect("cost x success column");
        let success_indicator = moments.pop().expect("success column");
        ChunkOut {
            moments: ChunkMoments {
                moments,
                cost_times_success,
                success_indicator,
                cost_comoments,
                successes,
            },
            block,
            overflow,
        }
    }
}
