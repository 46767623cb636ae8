//! `compare --shard K/N` and the merge of its shards, for both forms of `compare`:
//!
//! - a task scenario with `[billing.NAME]` schemes: shard K bills a fixed range of the months'
//!   4-month chunks and the same share of each break-even point's months
//!   (`engine::compare_shard`); the merge sizes provisioned compute from every month's peak,
//!   computes the statistics and break-evens, and writes what `compare` writes;
//! - a forecast: shard K runs a fixed range of the 64-trial chunks of the forecast, of each
//!   stress case and of each break-even point (`forecast::shard`); the merge rebuilds those
//!   runs and then refines the break-evens itself, as the single run does (the refinement's
//!   points depend on every trial of the points before them, so no shard can run them).
//!
//! The merge replays the command line the shards were given; a task scenario's text (and price
//! file) travel in the shards, a forecast file is read again and must not have changed.

use std::path::Path;
use std::time::Instant;

use anyhow::anyhow;
use clap::ValueEnum;
use serde_json::json;
use tokencast::engine::compare::{CompareSetup, Comparison};
use tokencast::engine::compare_shard::{self, CompareShardState};
use tokencast::engine::shard::Shard;
use tokencast::forecast::shard::{self as forecast_shard, ForecastShardState};
use tokencast::forecast::{self, Forecast, ForecastConfig, ForecastRun, Override, break_even};
use tokencast::report::shard_file::{ShardFile, ShardHeader};
use tokencast::scenario::Scenario;
use tokencast::stats::codec::{Decoder, Encoder};

use super::compare::CompareArgs;
use super::compare_forecast::{AlongSweep, Runs, load_at, stress_cases};
use super::{Command, Failure, Format, bad_input};

/// Help text of `compare --shard`.
pub(crate) const SHARD_HELP: &str = "Run shard K of N (1-based: 1/3, 2/3, 3/3) and write its partial state to \
shard-K-of-N.tcshard in the output directory instead of the outputs; `tokencast merge DIR` \
then writes the comparison's outputs, byte for byte. A task scenario's shard bills its share of \
the months (and of each break-even point's months); a forecast's runs its share of the \
forecast's, each stress case's and each break-even point's trials, and the merge refines the \
break-evens itself. auto/N reads the 0-based index of JOB_COMPLETION_INDEX, \
SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX";

fn value_name<T: ValueEnum>(v: &T) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

/// The command line the merge replays: every option that shapes the outputs, as given (not
/// `--shard`, `--out`, `--threads`, `--format`, nor `--prices`, whose text the shard holds; the
/// seed and the months or futures are the header's, so that shards differing only in them are
/// told apart by name).
fn replay_args(args: &CompareArgs) -> Vec<String> {
    let mut v = vec!["compare".to_string(), args.scenario.display().to_string()];
    if args.no_sweep {
        v.push("--no-sweep".into());
    }
    if let Some(a) = &args.along {
        v.extend(["--along".into(), a.clone()]);
    }
    v.extend(["--tasks".into(), value_name(&args.tasks)]);
    if let Some(n) = args.along_trials {
        v.extend(["--along-trials".into(), n.to_string()]);
    }
    if args.no_stress {
        v.push("--no-stress".into());
    }
    for s in &args.set {
        v.extend(["--set".into(), s.clone()]);
    }
    v
}

/// `compare --shard K/N` on a task scenario: bills the shard's months and writes its state.
pub(super) fn run_shard(
    args: &CompareArgs,
    scenario: &Scenario,
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
    shard: Shard,
    out_dir: &Path,
) -> Result<(), Failure> {
    let prices = match &args.prices {
        Some(path) => {
            let text = tokencast::input::read_text(path, tokencast::input::MAX_PRICE_FILE_BYTES)
                .map_err(|e| bad_input(anyhow!("cannot read the price file: {e}")))?;
            json!({ "path": path.display().to_string(), "text": text })
        }
        None => serde_json::Value::Null,
    };
    let inputs = json!({
        "form": "scenario",
        "scenario_text": scenario.text,
        "prices": prices,
        "args": replay_args(args),
    });
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Failure::from(anyhow!("cannot create {}: {e}", out_dir.display())))?;
    let clock = Instant::now();
    let threads = args.threads.map(|t| t as usize);
    let state = compare_shard::run_shard(setup, periods, seed, threads, shard)
        .map_err(|e| Failure::from(anyhow!(e).context("the shard failed")))?;
    let mut e = Encoder::new();
    e.put(&state);
    let header = ShardHeader::new(
        "compare",
        &args.scenario,
        inputs,
        seed,
        periods,
        shard,
        state.chunks.clone(),
        compare_shard::chunk_count(periods),
        args.threads.unwrap_or(0) as usize,
    );
    super::shard::write_shard(out_dir, &header, &e.into_bytes(), clock)?;
    Ok(())
}

/// The comparison the shards of a task scenario's comparison give.
pub(super) fn merge_states(
    shards: &[ShardFile],
    setup: &CompareSetup,
    periods: u64,
    seed: u64,
) -> Result<Comparison, Failure> {
    let mut states = Vec::new();
    for s in shards {
        if s.header.trials != periods || s.header.seed != seed {
            return Err(bad_input(anyhow!(
                "{}: a shard of {} months from seed {}, but its command line gives {periods} months from seed {seed}",
                s.path.display(),
                s.header.trials,
                s.header.seed
            )));
        }
        let mut d = Decoder::new(&s.state);
        let state = d
            .get::<CompareShardState>()
            .and_then(|st| d.finish().map(|()| st))
            .map_err(|e| bad_input(anyhow!("{}: {e}", s.path.display())))?;
        states.push(state);
    }
    compare_shard::merge_shards(setup, periods, seed, &states)
        .map_err(|e| bad_input(anyhow!("{}: {}", shards[e.shard].path.display(), e.what)))
}

/// Merges `compare` shards into `out`.
pub(super) fn merge(shards: &[ShardFile], out: &Path, format: Format) -> Result<(), Failure> {
    let first = &shards[0];
    let Command::Compare(mut args) = super::forecast_shard::replay(first, out)? else {
        return Err(bad_input(anyhow!(
            "{}: not the shard of a comparison",
            first.path.display()
        )));
    };
    args.format = format;
    // The resolved seed and count: the same run as the defaults they were resolved from.
    args.seed = Some(first.header.seed);
    args.periods = Some(first.header.trials);
    let text = match first.header.inputs.get("form").and_then(|f| f.as_str()) {
        Some("scenario") => {
            let scenario = super::merge::run_scenario(first)?;
            super::compare::run_scenario(&args, &scenario, Some(shards))?
        }
        Some("forecast") => super::compare_forecast::run_merged(&args, shards)?,
        _ => {
            return Err(bad_input(anyhow!(
                "{}: its inputs do not say whether it compares a task scenario or a forecast",
                first.path.display()
            )));
        }
    };
    super::print_stdout(&text)
}

/// A comparison of a forecast, as the single run sets it up.
pub(super) struct ForecastJob<'a> {
    /// The command line.
    pub args: &'a CompareArgs,
    /// The forecast (with `--set`).
    pub f: &'a Forecast,
    /// The `--set` overrides.
    pub sets: &'a [Override],
    /// The forecast's and the stress cases' runs.
    pub config: &'a ForecastConfig,
    /// The break-even sweep, if any.
    pub along: Option<&'a AlongSweep>,
    /// Each break-even point's run.
    pub along_config: &'a ForecastConfig,
}

impl ForecastJob<'_> {
    /// Every run a shard takes its share of, in order: the forecast, each stress case, each
    /// break-even point; with the configuration of each.
    fn models(&self) -> Result<Vec<(Forecast, &ForecastConfig)>, Failure> {
        let threads = self.args.threads.map(|t| t as usize);
        let mut out = vec![(self.f.clone(), self.config)];
        for i in 0..stress_cases(self.args, self.f) {
            let cf = forecast::stress::case_forecast(self.f, i, self.config.seed, threads)
                .map_err(|e| bad_input(anyhow::Error::new(e)))?;
            out.push((cf, self.config));
        }
        if let Some((path, values, integer)) = self.along {
            for &x in values {
                let fx = load_at(self.args, self.sets, path, x, *integer)
                    .map_err(|e| bad_input(anyhow::Error::new(e)))?;
                out.push((fx, self.along_config));
            }
        }
        Ok(out)
    }
}

/// `compare --shard K/N` on a forecast: runs the shard's chunks of the forecast, of each stress
/// case and of each break-even point, and writes their states.
pub(super) fn run_forecast_shard(
    job: &ForecastJob,
    shard: Shard,
    out_dir: &Path,
    clock: Instant,
) -> Result<(), Failure> {
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Failure::from(anyhow!("cannot create {}: {e}", out_dir.display())))?;
    let mut states = Vec::new();
    for (f, config) in job.models()? {
        states.push(
            forecast_shard::run_shard(&f.model, config, shard)
                .map_err(|e| Failure::from(anyhow!(e).context("the shard failed")))?,
        );
    }
    let mut e = Encoder::new();
    e.put(&states);
    let inputs = json!({
        "form": "forecast",
        "forecast_text": job.f.text,
        "args": replay_args(job.args),
    });
    let header = ShardHeader::new(
        "compare",
        &job.args.scenario,
        inputs,
        job.config.seed,
        job.config.trials,
        shard,
        states[0].chunks.clone(),
        job.config.trials.div_ceil(forecast::simulate::CHUNK),
        job.args.threads.unwrap_or(0) as usize,
    );
    super::shard::write_shard(out_dir, &header, &e.into_bytes(), clock)?;
    Ok(())
}

/// The runs the shards of a forecast's comparison give: the forecast's, each stress case's and
/// each break-even point's merged; the break-even refinement's points are then run here, as the
/// single run runs them (they depend on every trial of the points before).
pub(super) fn merge_forecast(job: &ForecastJob, shards: &[ShardFile]) -> Result<Runs, Failure> {
    let first = &shards[0];
    let stored = first
        .header
        .inputs
        .get("forecast_text")
        .and_then(|t| t.as_str());
    if stored != Some(job.f.text.as_str()) {
        return Err(bad_input(anyhow!(
            "{}: the forecast file changed since the shards ran (its text differs from the one the shards hold); merge with the file the shards ran, or run the shards again",
            job.args.scenario.display()
        )));
    }
    let models = job.models()?;
    let mut per_run: Vec<Vec<ForecastShardState>> = vec![Vec::new(); models.len()];
    for s in shards {
        let mut d = Decoder::new(&s.state);
        let states: Vec<ForecastShardState> = d
            .get()
            .and_then(|st| d.finish().map(|()| st))
            .map_err(|e| bad_input(anyhow!("{}: {e}", s.path.display())))?;
        if states.len() != models.len() {
            return Err(bad_input(anyhow!(
                "{}: holds {} runs, expected {} (the forecast, its stress cases and its break-even points)",
                s.path.display(),
                states.len(),
                models.len()
            )));
        }
        for (all, st) in per_run.iter_mut().zip(states) {
            all.push(st);
        }
    }
    let mut runs = Vec::new();
    for ((f, config), states) in models.into_iter().zip(&per_run) {
        let run = forecast_shard::merge_shards(&f.model, config, states)
            .map_err(|e| bad_input(anyhow!("{}: {}", shards[e.shard].path.display(), e.what)))?;
        runs.push((f, run));
    }
    let mut runs = runs.into_iter();
    let (_, main) = runs.next().expect("the forecast's run");
    let stress: Vec<(Forecast, ForecastRun)> =
        runs.by_ref().take(stress_cases(job.args, job.f)).collect();
    let along = match job.along {
        None => None,
        Some((path, values, integer)) => {
            let given: Vec<ForecastRun> = runs.map(|(_, r)| r).collect();
            let along = break_even::run_from(
                &job.args.scenario,
                job.sets,
                path,
                values,
                *integer,
                job.along_config,
                job.args.seed,
                given,
            )
            .map_err(super::compare_forecast::load_error)?;
            let refined = along.points.len() - values.len();
            if refined > 0 {
                super::warn(&format!(
                    "merge: ran the break-even refinement's {refined} points ({} trials each) here, as the single run does",
                    along.trials
                ));
            }
            Some(along)
        }
    };
    Ok(Runs {
        main,
        along,
        stress,
    })
}
