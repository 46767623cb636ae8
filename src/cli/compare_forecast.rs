//! `tokencast compare FORECAST`: every bill of a forecast (the basic bill when it is the
//! headline, every `[billing.NAME]` scheme) on the same simulated futures, month by month and
//! year by year, every pair's paired difference, and the break-even of every pair along one
//! input (see `forecast::scheme_pairs` and `forecast::break_even`).

use std::time::Instant;

use anyhow::{Context, anyhow};

use tokencast::engine::along::Along;
use tokencast::forecast::{
    self, Forecast, ForecastConfig, ForecastSummary, Override, break_even, scheme_pairs,
};
use tokencast::report::shard_file::ShardFile;
use tokencast::report::{self, Manifest};

use super::compare::CompareArgs;
use super::{Failure, Format, bad_input, default_out_dir, note_removed, open_run_dir};

/// The input a forecast's break-even sweeps when `--along` is not given.
pub const DEFAULT_ALONG: &str = "usage.tasks_per_day";

/// Trials per break-even point: a tenth of the comparison's, at least 1,000 (at most the
/// comparison's own).
fn along_trials(args: &CompareArgs, trials: u64) -> u64 {
    args.along_trials
        .unwrap_or_else(|| (trials / 10).max(1000).min(trials))
}

pub(super) fn load_error(e: forecast::stress::StressError) -> Failure {
    match e {
        forecast::stress::StressError::Load(e) => bad_input(anyhow::Error::new(e)),
        other => Failure::from(anyhow::Error::new(other).context("the break-even sweep failed")),
    }
}

/// A value of `--along` the forecast refuses, said as the `--along` it came from.
fn along_error(path: &str, x: f64, e: forecast::ForecastError) -> Failure {
    match e {
        forecast::ForecastError::Override(o) => bad_input(anyhow!(
            "--along {path}: the value {x} is refused: {}{}",
            o.message,
            o.help.map(|h| format!("\nhelp: {h}")).unwrap_or_default()
        )),
        other => bad_input(anyhow::Error::new(other)),
    }
}

/// Runs `compare` on a forecast file.
pub fn run(args: &CompareArgs) -> Result<String, Failure> {
    run_with(args, None)
}

/// Merges the shards of `compare --shard` on a forecast file (`args` replayed from them).
pub(super) fn run_merged(args: &CompareArgs, shards: &[ShardFile]) -> Result<String, Failure> {
    run_with(args, Some(shards))
}

/// The runs a comparison of a forecast is made of.
pub(super) struct Runs {
    /// The forecast's.
    pub main: forecast::ForecastRun,
    /// The break-even sweep's.
    pub along: Option<break_even::AlongRun>,
    /// Each stress case's forecast and run (empty when they are skipped).
    pub stress: Vec<(Forecast, forecast::ForecastRun)>,
}

/// The break-even sweep of a comparison: the input's path, its values and whether they are
/// whole numbers.
pub(super) type AlongSweep = (String, Vec<f64>, bool);

/// Whether the stress cases run.
pub(super) fn stress_cases(args: &CompareArgs, f: &Forecast) -> usize {
    if args.no_stress {
        0
    } else {
        f.spec.stress.len()
    }
}

/// The forecast at `x` of the input `path` (the file with `--set` and `PATH = x`).
pub(super) fn load_at(
    args: &CompareArgs,
    sets: &[Override],
    path: &str,
    x: f64,
    integer: bool,
) -> Result<Forecast, forecast::ForecastError> {
    let mut sets = sets.to_vec();
    sets.push(Override {
        path: path.to_string(),
        value: break_even::toml_number(x, integer),
    });
    Forecast::load(
        &args.scenario,
        &sets,
        args.seed,
        args.threads.map(|t| t as usize),
    )
}

fn run_with(args: &CompareArgs, merged: Option<&[ShardFile]>) -> Result<String, Failure> {
    if args.tasks != super::compare::TaskSource::Pooled {
        return Err(bad_input(anyhow!(
            "--tasks applies to task scenarios; a forecast draws its tasks from its pools"
        )));
    }
    if args.prices.is_some() {
        return Err(bad_input(anyhow!(
            "--prices applies to task scenarios; a forecast's task scenarios name their own prices"
        )));
    }
    let sets: Vec<Override> = args
        .set
        .iter()
        .map(|s| Override::parse(s).map_err(|e| bad_input(anyhow::Error::new(e))))
        .collect::<Result<_, _>>()?;
    let threads = args.threads.map(|t| t as usize);
    let clock = Instant::now();
    let f = Forecast::load(&args.scenario, &sets, args.seed, threads)
        .map_err(|e| bad_input(anyhow::Error::new(e)))?;
    let bills = scheme_pairs::compared_bills(&f.model);
    if bills.len() < 2 {
        return Err(bad_input(anyhow!(
            "{}: expected at least two bills to compare, found one ({}): add [billing.NAME] \
             schemes (e.g. [billing.seat_plan] seats = {{ usd_per_seat = 19 }}); see docs/guide/compare.md",
            args.scenario.display(),
            bills
                .first()
                .map_or("none".to_string(), |b| b.description.clone())
        )));
    }
    let config = ForecastConfig {
        trials: args.periods.unwrap_or_else(|| f.default_trials()),
        seed: args.seed.unwrap_or_else(|| f.default_seed()),
        threads,
        record: forecast::Record::FirstTrials,
    };
    // The sweep's input and values, checked before anything runs.
    let along = if args.no_sweep {
        None
    } else {
        let along = match &args.along {
            Some(a) => Along::parse(a).map_err(|e| bad_input(anyhow::Error::new(e)))?,
            None => Along {
                path: DEFAULT_ALONG.into(),
                values: None,
            },
        };
        let base_text = forecast::sweep::base_text(&args.scenario, &sets)
            .map_err(|e| bad_input(anyhow::Error::new(e)))?;
        let current = break_even::current_value(&base_text, &along.path);
        let load_at = |x: f64, integer: bool| load_at(args, &sets, &along.path, x, integer);
        // Written as an integer: whole values only if the file refuses a fraction there.
        let integer =
            current.is_some_and(|(x, written)| written && load_at(x + 0.5, false).is_err());
        let values = break_even::values(&along, current.map(|(x, _)| (x, integer)))
            .map_err(|m| bad_input(anyhow!("{}: --along {m}", args.scenario.display())))?;
        // Every value must load (a wrong path, or a value the file refuses) before any trial
        // runs; the task pools are remembered, so this is cheap. The refinement's points lie
        // between two of these, inside any range the file allows.
        for &x in &values {
            load_at(x, integer).map_err(|e| along_error(&along.path, x, e))?;
        }
        Some((along.path, values, integer))
    };
    // Beside the forecast's own output, not over it: output/<stem>-compare.
    let out_dir = args.out.clone().unwrap_or_else(|| {
        let dir = default_out_dir(&args.scenario);
        let name = format!(
            "{}-compare",
            dir.file_name()
                .map_or("scenario".into(), |n| n.to_string_lossy())
        );
        dir.with_file_name(name)
    });
    let along_config = ForecastConfig {
        trials: along_trials(args, config.trials),
        ..config
    };
    if merged.is_none()
        && let Some(text) = &args.shard
    {
        let shard = super::shard::from_arg(text)?;
        let job = super::compare_shard::ForecastJob {
            args,
            f: &f,
            sets: &sets,
            config: &config,
            along: along.as_ref(),
            along_config: &along_config,
        };
        super::compare_shard::run_forecast_shard(&job, shard, &out_dir, clock)?;
        return Ok(String::new());
    }
    let run_dir = open_run_dir(&out_dir)?;
    let runs = match merged {
        Some(shards) => {
            let job = super::compare_shard::ForecastJob {
                args,
                f: &f,
                sets: &sets,
                config: &config,
                along: along.as_ref(),
                along_config: &along_config,
            };
            super::compare_shard::merge_forecast(&job, shards)?
        }
        None => {
            let main = forecast::simulate::run(&f.model, &config).context("the forecast failed")?;
            let along = match &along {
                None => None,
                Some((path, values, integer)) => Some(
                    break_even::run(
                        &args.scenario,
                        &sets,
                        path,
                        values,
                        *integer,
                        &along_config,
                        args.seed,
                    )
                    .map_err(load_error)?,
                ),
            };
            let mut stress = Vec::new();
            for (i, case) in f
                .spec
                .stress
                .iter()
                .enumerate()
                .take(stress_cases(args, &f))
            {
                let cf = forecast::stress::case_forecast(&f, i, config.seed, threads)
                    .map_err(|e| bad_input(anyhow::Error::new(e)))?;
                let case_run = forecast::simulate::run(&cf.model, &config)
                    .with_context(|| format!("the stress case `{}` failed", case.name))?;
                stress.push((cf, case_run));
            }
            Runs {
                main,
                along,
                stress,
            }
        }
    };
    let run = runs.main;
    let summary = ForecastSummary::new(&f, &run);
    let mut comparison =
        scheme_pairs::ForecastComparison::new(&f.model, &run, &summary, runs.along);
    if !runs.stress.is_empty() {
        comparison
            .levers
            .push(scheme_pairs::LeverRow::new("base", &f.model, &run));
        for (case, (cf, case_run)) in f.spec.stress.iter().zip(&runs.stress) {
            comparison
                .levers
                .push(scheme_pairs::LeverRow::new(&case.name, &cf.model, case_run));
        }
    }
    let staging = run_dir.staging();
    let mut files = Vec::new();
    let mut stage = |name: &str, text: String| -> Result<(), Failure> {
        run_dir.stage_file(name, text.as_bytes())?;
        files.push(name.to_string());
        Ok(())
    };
    stage(
        "compare.json",
        report::compare_forecast::to_json(&comparison),
    )?;
    stage(
        "compare_pairs.csv",
        report::compare_forecast::pairs_csv(&comparison),
    )?;
    if !comparison.levers.is_empty() {
        stage(
            "compare_levers.csv",
            report::compare_forecast::levers_csv(&comparison),
        )?;
    }
    if let Some(a) = &comparison.along {
        stage("compare_along.csv", report::compare_forecast::along_csv(a))?;
        stage(
            "compare_break_even.csv",
            report::compare_forecast::break_even_csv(a),
        )?;
        if let Some(chart) = report::compare_forecast::break_even_chart(a) {
            files.extend(
                report::charts::write_chart(staging, &chart)
                    .map_err(|e| anyhow!("cannot draw the break-even chart: {e}"))?,
            );
        }
    }
    files.push("report.html".into());
    files.push("manifest.json".into());
    let mut manifest = Manifest {
        tool: "tokencast",
        version: env!("CARGO_PKG_VERSION"),
        scenario_path: args.scenario.display().to_string(),
        scenario_name: f.name.clone(),
        scenario_sha256: report::sha256_hex(&f.text),
        scenario_text: f.text.clone(),
        seed: config.seed,
        trials: config.trials,
        threads: tokencast::engine::worker_threads(threads, config.trials.div_ceil(64)),
        started_at: report::iso8601_utc(run_dir.started()),
        wall_time_seconds: clock.elapsed().as_secs_f64(),
        files,
    };
    let page = report::compare_forecast_page::render(&report::compare_forecast_page::Page {
        description: f.spec.forecast.description.as_deref().unwrap_or(""),
        comparison: &comparison,
        manifest: &manifest,
    })
    .map_err(|e| anyhow!("cannot draw the report's charts: {e}"))?;
    run_dir.stage_file("report.html", page.as_bytes())?;
    let published = run_dir.publish(&mut manifest)?;
    note_removed(&out_dir, &published);
    Ok(match args.format {
        Format::Json => report::compare_forecast::to_json(&comparison),
        Format::Table => {
            let mut text = report::compare_forecast::render_table(&comparison);
            text.push_str(&format!(
                "\n  wrote {} into {} ({:.1} s)\n",
                published.files.join(", "),
                out_dir.display(),
                clock.elapsed().as_secs_f64()
            ));
            text
        }
    })
}
