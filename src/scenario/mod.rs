//! Scenario files: the TOML format, loading with precise diagnostics, and compiling into the
//! model the engine runs.

pub(crate) mod billing;
mod compile;
mod error;
mod factors;
mod mechanics;
pub mod numeric_input;
pub(crate) mod parse;
pub mod routing;
pub mod spec;
mod subagents;

use std::path::Path;

pub use billing::{Billing, DEFAULT_PERIODS};
pub use compile::{
    COMPACTION_PHASE, MAX_LOOP_ATTEMPTS, MAX_PRICE_PER_MTOK, MAX_REPEAT_COUNT,
    MAX_SUBAGENTS_PER_STEP, MAX_TOKENS_PER_DRAW,
};
pub use error::{Diagnostic, FieldPath, Location, ScenarioError, Segment, did_you_mean, number};
pub use factors::{MAX_DIFFICULTY_EXPONENT, MAX_DIFFICULTY_SPREAD};
pub use mechanics::{MAX_CONTEXT_WINDOW, MAX_RETRIES, MAX_TTFT_S};
pub use spec::ScenarioFile;

use crate::pricing::{ModelPrices, PriceCatalog, PriceTable};
use crate::workflow::Workflow;

/// Default number of trials when neither the file nor the command line gives one.
pub const DEFAULT_TRIALS: u64 = 100_000;
/// Most trials one run of a task scenario makes (`[scenario] trials`, `run --trials`): ten
/// billion, about an hour on two cores at the engine's 3 million trials a second per core.
pub const MAX_TRIALS: u64 = 10_000_000_000;
/// Default seed when neither the file nor the command line gives one.
pub const DEFAULT_SEED: u64 = 1;

/// A loaded, validated scenario: its text, its spec and its compiled model.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Display name (`[scenario] name`, else the file stem).
    pub name: String,
    /// The file it came from, as given.
    pub origin: String,
    /// The full text of the file.
    pub text: String,
    /// The spec as written.
    pub spec: ScenarioFile,
    /// The compiled workflow.
    pub workflow: Workflow,
    /// Its work per trial ([`Workflow::work_bound`]), computed once at load.
    pub work: crate::workflow::WorkBound,
    /// List prices of each model, in model index order.
    pub prices: Vec<ModelPrices>,
    /// The workload and billing schemes to compare, if the file has them.
    pub billing: Option<Billing>,
    /// The routing policies to compare, if the file has them.
    pub routing: Option<crate::workflow::Routing>,
}

impl Scenario {
    /// Reads and compiles a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        Scenario::load_with_catalog(path, &PriceCatalog::bundled())
    }

    /// Reads and compiles a scenario file, resolving `catalog = "..."` models in `catalog`.
    pub fn load_with_catalog(
        path: &Path,
        catalog: &PriceCatalog,
    ) -> Result<Scenario, ScenarioError> {
        let origin = path.display().to_string();
        let text = crate::input::read_text(path, crate::input::MAX_SCENARIO_BYTES)?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Scenario::from_text_with_catalog(&origin, &stem, text, catalog)
    }

    /// Compiles a scenario from its text. `origin` names it in messages; `default_name` is used
    /// when the file sets no `[scenario] name`.
    pub fn from_text(
        origin: &str,
        default_name: &str,
        text: String,
    ) -> Result<Scenario, ScenarioError> {
        Scenario::from_text_with_catalog(origin, default_name, text, &PriceCatalog::bundled())
    }

    /// [`Scenario::from_text`] resolving catalog models in `catalog`.
    pub fn from_text_with_catalog(
        origin: &str,
        default_name: &str,
        text: String,
        catalog: &PriceCatalog,
    ) -> Result<Scenario, ScenarioError> {
        let source = parse::Source::new(origin, &text);
        let spec = source.parse()?;
        if let Some(n) = spec.scenario.trials
            && !(1..=MAX_TRIALS).contains(&n)
        {
            return Err(source.error_at(
                FieldPath::default().key("scenario").key("trials"),
                format!(
                    "expected 1 to {} trials, found {}",
                    crate::text::thousands(MAX_TRIALS as f64),
                    crate::text::thousands(n as f64)
                ),
                None,
            ));
        }
        check_seed(
            spec.scenario.seed,
            FieldPath::default().key("scenario"),
            &source,
        )?;
        let (workflow, prices) = compile::compile(&spec, &source, catalog)?;
        let work = compile::check_work(&workflow, &spec, &source)?;
        let billing = billing::compile(&spec, &source, &prices, &workflow.model_names, work.steps)?;
        let routing = routing::compile(&spec, &source, &workflow)?;
        let name = spec
            .scenario
            .name
            .clone()
            .unwrap_or_else(|| default_name.to_string());
        Ok(Scenario {
            name,
            origin: origin.to_string(),
            text: text.clone(),
            spec,
            workflow,
            work,
            prices,
            billing,
            routing,
        })
    }

    /// The list-price table of the scenario's models.
    pub fn price_table(&self) -> PriceTable {
        PriceTable::new(&self.prices)
    }

    /// Trials to run by default.
    pub fn default_trials(&self) -> u64 {
        self.spec.scenario.trials.unwrap_or(DEFAULT_TRIALS)
    }

    /// Seed to use by default.
    pub fn default_seed(&self) -> u64 {
        self.spec.scenario.seed.unwrap_or(DEFAULT_SEED)
    }
}

/// Rejects a seed above TOML's largest integer (2^63 − 1) at its place: a TOML integer is a
/// signed 64-bit number, and the tools that edit the file (overrides, stress cases) cannot read
/// a larger one.
pub(crate) fn check_seed(
    seed: Option<u64>,
    table: FieldPath,
    source: &parse::Source,
) -> Result<(), ScenarioError> {
    match seed {
        Some(s) if s > i64::MAX as u64 => Err(source.error_at(
            table.key("seed"),
            format!(
                "expected a seed from 0 to 9,223,372,036,854,775,807 (the largest TOML integer), found {s}"
            ),
            None,
        )),
        _ => Ok(()),
    }
}
