//! What a forecast costs to run, estimated from the compiled model before it runs: the steps
//! of pre-simulating its task pools, and the memory its largest parts take.
//!
//! Memory that grows with the model (never with the trial count beyond
//! [`super::simulate::DETAIL_TRIALS`]):
//! - the task pools: per pooled task its list cost, tokens and three extras (40 bytes);
//! - the detail trials' per-kind series: bill, tokens and list cost per trial, month and kind
//!   (24 bytes each) for the first [`super::simulate::DETAIL_TRIALS`] trials;
//! - the streamed split by task kind and by model: one distribution per month and per year
//!   for each kind and each model, each a log-linear histogram of about 1,024 counters per
//!   doubling of its range ([`SKETCH_BYTES`] assumes 16 doublings).

use super::model::ForecastModel;
use super::simulate::DETAIL_TRIALS;

/// Bytes one pooled task takes: cost, tokens and three extras.
pub const POOL_TASK_BYTES: f64 = 40.0;
/// Bytes one streamed distribution of the split takes, for a range of 16 doublings.
pub const SKETCH_BYTES: f64 = 16.0 * 1024.0 * 8.0;
/// Most task kinds in a mix.
pub const MAX_TASK_KINDS: usize = 256;
/// Most steps the task pools may take to pre-simulate, all kinds together (about two minutes
/// on two cores).
pub const MAX_POOL_STEPS: f64 = 1e10;
/// Most memory a forecast may need by its estimate: 8 GiB.
pub const MAX_FORECAST_BYTES: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;

/// A forecast's estimated memory, by part, in bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Footprint {
    /// Pooled tasks, all kinds.
    pub pool_tasks: f64,
    /// The task pools.
    pub pools: f64,
    /// The detail trials' per-kind series.
    pub detail: f64,
    /// The streamed split by kind and by model.
    pub split: f64,
}

impl Footprint {
    /// The estimate for `model`.
    pub fn of(model: &ForecastModel) -> Footprint {
        let mut names: Vec<&str> = Vec::new();
        for t in &model.tasks {
            for m in &t.pool.models {
                if !names.contains(&m.name.as_str()) {
                    names.push(&m.name);
                }
            }
        }
        let pool_tasks: f64 = model.tasks.iter().map(|t| t.pool.len() as f64).sum();
        Footprint::estimate(
            model.tasks.len(),
            names.len().max(1),
            model.months(),
            model.years().len(),
            pool_tasks,
        )
    }

    /// The estimate for `kinds` task kinds using `models` models over `months` months in
    /// `years` forecast years, with `pool_tasks` pooled tasks in all.
    pub fn estimate(
        kinds: usize,
        models: usize,
        months: usize,
        years: usize,
        pool_tasks: f64,
    ) -> Footprint {
        let (kinds, months) = (kinds as f64, months as f64);
        Footprint {
            pool_tasks,
            pools: pool_tasks * POOL_TASK_BYTES,
            detail: DETAIL_TRIALS as f64 * months * kinds * 24.0,
            split: (months + years as f64) * (kinds + models as f64) * SKETCH_BYTES,
        }
    }

    /// The error when the estimate passes [`MAX_FORECAST_BYTES`]: its figures by part.
    pub fn check(&self, kinds: usize, months: usize) -> Result<(), String> {
        if self.total() <= MAX_FORECAST_BYTES {
            return Ok(());
        }
        Err(format!(
            "expected a forecast that needs at most {} of memory, found about {} ({} task kinds over {} months: task pools {}, per-kind detail {}, per-kind distributions {})",
            bytes(MAX_FORECAST_BYTES),
            bytes(self.total()),
            kinds,
            months,
            bytes(self.pools),
            bytes(self.detail),
            bytes(self.split),
        ))
    }

    /// All parts.
    pub fn total(&self) -> f64 {
        self.pools + self.detail + self.split
    }
}

/// The suggestion that goes with a footprint beyond its limit.
pub const FOOTPRINT_HELP: &str =
    "use fewer task kinds (merge similar ones), fewer months, or a smaller [aggregation] pool_size";

/// Bytes as people read them: `512 KB`, `1.4 GB` (powers of 1,000).
pub fn bytes(v: f64) -> String {
    let (value, unit) = if v >= 1e9 {
        (v / 1e9, "GB")
    } else if v >= 1e6 {
        (v / 1e6, "MB")
    } else {
        (v / 1e3, "KB")
    };
    if value >= 100.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}
