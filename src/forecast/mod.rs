//! Organisation forecasts: seats adopting along a curve, active users running tasks, a mix of
//! task scenarios simulated by the task engine, monthly drifts and billing, over months.
//!
//! One forecast trial is one possible future of the organisation. This layer knows nothing of
//! the command line or of charts: it loads a forecast file, runs trials
//! ([`simulate::run`]) and summarises them ([`outcome`]).

pub mod adoption;
pub mod aggregate;
pub mod billing;
pub mod break_even;
pub mod budget_outcome;
pub mod calendar;
mod compile;
mod compile_billing;
mod compile_budget;
pub mod describe;
pub mod fiscal;
pub mod footprint;
pub mod history_kind;
pub mod hourly_demand;
pub mod limits;
pub mod model;
pub mod monthly_costs;
pub mod outcome;
pub mod overrides;
mod pilot;
pub mod pool;
pub mod pool_cache;
pub mod scheme_outcome;
pub mod scheme_pairs;
pub mod seat_usage;
pub mod sensitivity;
pub mod shard;
pub mod simulate;
pub mod spec;
pub mod spend_split;
pub mod streams;
pub mod stress;
pub mod sweep;
pub mod track;
mod trial;

use std::path::Path;

pub use compile::{DEFAULT_POOL_SIZE, MAX_BUDGET, MAX_MONTHS, MAX_STRESS_FACTOR};
pub use model::{Factors, ForecastModel};
pub use outcome::ForecastSummary;
pub use overrides::{Override, OverrideError};
pub use simulate::{ForecastConfig, ForecastRun, Record};
pub use spec::ForecastFile;

use crate::scenario::parse::Source;
use crate::scenario::{FieldPath, ScenarioError};

/// Default forecast trials.
pub const DEFAULT_TRIALS: u64 = 10_000;

/// Why a forecast could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ForecastError {
    /// The file (or a task scenario) is wrong.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// An override is wrong.
    #[error(transparent)]
    Override(#[from] OverrideError),
}

/// A loaded, validated forecast.
#[derive(Debug, Clone)]
pub struct Forecast {
    /// Display name.
    pub name: String,
    /// The file, as given.
    pub origin: String,
    /// The text after overrides.
    pub text: String,
    /// The spec.
    pub spec: ForecastFile,
    /// The compiled model.
    pub model: ForecastModel,
    /// The directory task scenarios are found in.
    pub dir: std::path::PathBuf,
}

/// Whether a TOML text is a forecast file (it has a `[forecast]` table) rather than a task
/// scenario.
pub fn is_forecast_text(text: &str) -> bool {
    // An integer beyond 64 bits does not parse: look past it, so that the forecast's own
    // parser reports it at its place (it fell through to the task-scenario parser, which
    // blamed another key).
    crate::scenario::parse::span_document(text)
        .is_some_and(|d| d.as_item().get("forecast").is_some())
}

impl Forecast {
    /// Reads a forecast file, applies overrides and compiles it. Task pools are simulated with
    /// `seed` (default: the file's) on `threads`.
    pub fn load(
        path: &Path,
        overrides: &[Override],
        seed: Option<u64>,
        threads: Option<usize>,
    ) -> Result<Forecast, ForecastError> {
        let origin = path.display().to_string();
        let text = crate::input::read_text(path, crate::input::MAX_SCENARIO_BYTES)
            .map_err(ScenarioError::from)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let dir = path.parent().unwrap_or(Path::new("."));
        Forecast::from_text(&origin, &stem, dir, &text, overrides, seed, threads)
    }

    /// Compiles a forecast from its text; task scenarios are found relative to `dir`. Every
    /// stress case is compiled too, so a case that cannot run is reported (at its place in the
    /// file) before anything runs.
    pub fn from_text(
        origin: &str,
        default_name: &str,
        dir: &Path,
        text: &str,
        overrides: &[Override],
        seed: Option<u64>,
        threads: Option<usize>,
    ) -> Result<Forecast, ForecastError> {
        let f = Self::compile_text(origin, default_name, dir, text, overrides, seed, threads)?;
        let source = Source::new(origin, &f.text);
        let seed = seed.or(f.spec.forecast.seed).unwrap_or(1);
        for (i, case) in f.spec.stress.iter().enumerate() {
            let sets = stress_overrides(&f.spec, i);
            if sets.is_empty() {
                continue;
            }
            let at_case = |key: Option<&str>, message: String, help: Option<String>| {
                let mut path = FieldPath::default().key("stress").index(i).key("set");
                if let Some(k) = key {
                    path = path.key(k);
                }
                ForecastError::Scenario(source.error_at(
                    path,
                    format!("stress case `{}`: {message}", case.name),
                    help,
                ))
            };
            let stressed = overrides::apply(&f.text, &sets)
                .map_err(|e| at_case(Some(&e.path), e.message, e.help))?;
            let s = Source::new(origin, &stressed);
            let checked = s.parse_as::<ForecastFile>().and_then(|spec| {
                compile_billing::check_keys(&stressed, &s)?;
                compile::compile(&spec, &s, dir, seed, threads).map(|_| ())
            });
            if let Err(e) = checked {
                let Some(d) = e.diagnostic() else {
                    return Err(ForecastError::Scenario(e));
                };
                let at = d.path.to_string();
                let set = sets.iter().find(|o| {
                    at == o.path
                        || at.starts_with(&format!("{}.", o.path))
                        || at.starts_with(&format!("{}[", o.path))
                        || (o.path.starts_with(&at) && !at.is_empty())
                });
                return Err(match set {
                    Some(o) => at_case(
                        Some(&o.path),
                        format!("setting `{}` = {}: {at}: {}", o.path, o.value, d.message),
                        d.help.clone(),
                    ),
                    None => at_case(None, format!("{at}: {}", d.message), d.help.clone()),
                });
            }
        }
        Ok(f)
    }

    /// [`Forecast::from_text`] without compiling the stress cases (a stress case's own model
    /// is made this way, from the checked base).
    pub(crate) fn compile_text(
        origin: &str,
        default_name: &str,
        dir: &Path,
        text: &str,
        overrides: &[Override],
        seed: Option<u64>,
        threads: Option<usize>,
    ) -> Result<Forecast, ForecastError> {
        let text = overrides::apply(text, overrides)?;
        let source = Source::new(origin, &text);
        compile_billing::check_keys(&text, &source).map_err(|e| blame_override(e, overrides))?;
        let spec: ForecastFile = source
            .parse_as()
            .map_err(|e| blame_override(e, overrides))?;
        crate::scenario::check_seed(
            spec.forecast.seed,
            crate::scenario::FieldPath::default().key("forecast"),
            &source,
        )?;
        let seed = seed.or(spec.forecast.seed).unwrap_or(1);
        let model = compile::compile(&spec, &source, dir, seed, threads)
            .map_err(|e| blame_override(e, overrides))?;
        let name = spec
            .forecast
            .name
            .clone()
            .unwrap_or_else(|| default_name.to_string());
        Ok(Forecast {
            name,
            origin: origin.to_string(),
            text,
            spec,
            model,
            dir: dir.to_path_buf(),
        })
    }

    /// Trials to run by default.
    pub fn default_trials(&self) -> u64 {
        self.spec.forecast.trials.unwrap_or(DEFAULT_TRIALS)
    }

    /// Seed by default.
    pub fn default_seed(&self) -> u64 {
        self.spec.forecast.seed.unwrap_or(1)
    }
}

/// The `set` overrides of stress case `i`.
pub fn stress_overrides(spec: &ForecastFile, i: usize) -> Vec<Override> {
    spec.stress[i]
        .set
        .iter()
        .map(|(path, value)| Override {
            path: path.clone(),
            value: value.to_string(),
        })
        .collect()
}

/// A diagnostic about a key an override wrote is reported as the override's error.
fn blame_override(e: ScenarioError, overrides: &[Override]) -> ForecastError {
    if let Some(d) = e.diagnostic() {
        let at = d.path.to_string();
        if let Some(o) = overrides.iter().find(|o| {
            at == o.path
                || at.starts_with(&format!("{}.", o.path))
                || o.path.starts_with(&at) && !at.is_empty()
        }) {
            return ForecastError::Override(OverrideError {
                path: o.path.clone(),
                message: format!("{}: {}", at, d.message),
                help: d.help.clone(),
            });
        }
    }
    ForecastError::Scenario(e)
}
