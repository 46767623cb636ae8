//! `compare SCENARIO --along PATH` for any number of a task scenario other than
//! `workload.tasks_per_seat` and `workload.seats` (which reuse the comparison's pools): a model's
//! price, a parameter of a distribution of tokens, a `[workload]` or `[billing.NAME]` value.
//! Each value is the scenario with that number changed, compiled and validated like the file,
//! and compared on the same seed (see `engine::compare_input`).

use anyhow::anyhow;

use tokencast::engine::along::Along;
use tokencast::engine::compare::{self, AlongNames, CompareSetup, Method, ValueStyle};
use tokencast::engine::compare_input::{InputPoint, InputSweep, sweep_input};
use tokencast::pricing::PriceCatalog;
use tokencast::scenario::Scenario;
use tokencast::scenario::numeric_input::{
    NumericInput, input_words, not_an_input, numeric_inputs, with_value,
};

use super::{Failure, bad_input};

/// The input `--along` names, and its values.
pub struct InputAlong {
    /// The number swept.
    pub input: NumericInput,
    /// Its values, increasing.
    pub values: Vec<f64>,
    /// How it reads.
    pub names: AlongNames,
}

/// Resolves `--along arg` (parsed as `along`) against the numbers of `scenario`: exit 2 naming
/// the path, what was expected and the nearest paths when it is no number of the file.
pub fn resolve(arg: &str, along: Along, scenario: &Scenario) -> Result<InputAlong, Failure> {
    let inputs = numeric_inputs(
        &scenario.text,
        &scenario.workflow.model_names,
        &scenario.prices,
    );
    let Some(input) = inputs.iter().find(|i| i.path == along.path).cloned() else {
        return Err(bad_input(anyhow!(
            "--along {arg:?}: {}",
            not_an_input(&along.path, &inputs)
        )));
    };
    let values =
        tokencast::forecast::break_even::values(&along, Some((input.current, input.integer)))
            .map_err(|m| bad_input(anyhow!("--along {arg:?}: {m}")))?;
    if values.len() < 2 {
        return Err(bad_input(anyhow!(
            "--along {arg:?}: {} is a whole number in the file; give at least two distinct whole values",
            input.path
        )));
    }
    let words = input_words(&scenario.text, &input.path);
    let names = AlongNames {
        path: input.path.clone(),
        unit_words: words.unit_words,
        short: words.short,
        title: words.title,
        style: if input.integer {
            ValueStyle::Whole
        } else {
            ValueStyle::Significant
        },
    };
    Ok(InputAlong {
        input,
        values,
        names,
    })
}

/// What every point of the sweep shares with the comparison.
pub struct PointSettings<'a> {
    /// The price catalog the scenario was loaded with.
    pub catalog: &'a PriceCatalog,
    /// Where the tasks come from.
    pub method: Method,
    /// Seed (every point).
    pub seed: u64,
    /// Worker threads.
    pub threads: Option<usize>,
}

/// Compares the scenario at every value of the input (and the refinement's), every point on
/// the same seed, and finds every pair's break-evens.
pub fn sweep(
    scenario: &Scenario,
    along: &InputAlong,
    settings: &PointSettings,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<InputSweep, Failure> {
    let base = scenario.billing.as_ref().expect("a comparison has billing");
    let names: Vec<&str> = base.schemes.iter().map(|s| s.name.as_str()).collect();
    let path = &along.input.path;
    let mut done = 0u64;
    let mut point = |x: f64| -> Result<InputPoint, Failure> {
        let shown = along.names.format(x);
        let text = with_value(&scenario.text, path, x, along.input.integer)
            .map_err(|m| bad_input(anyhow!("--along {path}={shown}: {m}")))?;
        let origin = format!("{} (with {path} = {shown})", scenario.origin);
        let s = Scenario::from_text_with_catalog(&origin, &scenario.name, text, settings.catalog)
            .map_err(|e| bad_input(anyhow!("--along {path}={shown}: {e}")))?;
        let billing = s.billing.as_ref().ok_or_else(|| {
            bad_input(anyhow!(
                "--along {path}={shown}: the scenario has no [workload] then"
            ))
        })?;
        let periods = base.sweep_periods.max(1);
        let steps = match settings.method {
            Method::Simulate => s.work.steps,
            Method::Pooled { .. } => 0.0,
        };
        billing
            .check_work(periods, false, steps)
            .map_err(|m| bad_input(anyhow!("--along {path}={shown}: {m}")))?;
        let setup = CompareSetup {
            workflow: &s.workflow,
            prices: &s.prices,
            workload: billing.workload.clone(),
            schemes: billing.schemes.clone(),
            baseline: billing.baseline,
            along: compare::SweepAxis::TasksPerSeat,
            sweep: Vec::new(),
            sweep_periods: billing.sweep_periods,
            method: settings.method,
        };
        let before = done;
        let comparison = compare::compare_with_progress(
            &setup,
            periods,
            settings.seed,
            settings.threads,
            &|d| progress(before + d),
        )
        .map_err(|e| Failure {
            code: 1,
            error: anyhow!("the comparison at {path} = {shown} failed: {e}"),
        })?;
        done += compare::work_steps(&setup, periods);
        Ok(InputPoint {
            comparison,
            workload: billing.workload.clone(),
        })
    };
    sweep_input(
        &names,
        &along.names,
        &along.values,
        along.input.integer,
        &mut point,
    )
}
