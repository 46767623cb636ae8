//! `forecast --shard K/N` and the merge of its shards: the forecast's run and each stress
//! case's run are sharded alike (the same chunk range of each); the merge rebuilds them and
//! writes the forecast's outputs as the single run does.
//!
//! The merge reads the forecast file (and the task scenarios it names) again at the path the
//! shards were given, and refuses when its text differs from the shards'.

use std::path::Path;
use std::time::Instant;

use anyhow::anyhow;
use clap::{Parser, ValueEnum};
use serde_json::json;
use tokencast::engine::shard::Shard;
use tokencast::forecast::shard::{
    ForecastShardState, RunState, merge_shards, run_shard as run_forecast_shard,
};
use tokencast::forecast::sweep::SweepAxis;
use tokencast::forecast::{self, Forecast, ForecastConfig, Override};
use tokencast::report::shard_file::{ShardFile, ShardHeader};
use tokencast::stats::codec::{Decoder, Encoder};

use super::forecast::{ForecastArgs, Runs, SweepArgs, forecast_error, run_with};
use super::{Cli, Command, Failure, Format, bad_input};

fn value_name<T: ValueEnum>(v: &T) -> String {
    v.to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

/// The command line the merge replays: every option that shapes the outputs, as given (not
/// `--shard`, `--out`, `--threads`).
fn replay_args(args: &ForecastArgs) -> Vec<String> {
    let c = &args.common;
    let mut v = vec!["forecast".to_string(), c.scenario.display().to_string()];
    if let Some(n) = c.trials {
        v.extend(["--trials".into(), n.to_string()]);
    }
    if let Some(s) = c.seed {
        v.extend(["--seed".into(), s.to_string()]);
    }
    for s in &c.set {
        v.extend(["--set".into(), s.clone()]);
    }
    if args.focus {
        v.push("--focus".into());
    }
    v.extend(["--focus-schemes".into(), value_name(&args.focus_schemes)]);
    for st in &args.focus_statistic {
        v.extend(["--focus-statistic".into(), value_name(st)]);
    }
    v.extend(["--focus-version".into(), value_name(&args.focus_version)]);
    if args.no_stress {
        v.push("--no-stress".into());
    }
    v
}

/// Whether the stress cases run (as the single run decides).
fn stress_cases(args: &ForecastArgs, f: &Forecast) -> usize {
    if args.no_stress {
        0
    } else {
        f.spec.stress.len()
    }
}

/// `forecast --shard K/N`.
pub(super) fn run_shard(
    args: &ForecastArgs,
    f: &Forecast,
    config: &ForecastConfig,
    shard: Shard,
    clock: Instant,
) -> Result<(), Failure> {
    if args.sensitivity {
        return Err(bad_input(anyhow!(
            "--sensitivity cannot be sharded (it runs two further forecasts per uncertain input after the main one); run it without --shard, or shard the forecast and run --sensitivity apart"
        )));
    }
    let out_dir = args.common.out_dir();
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Failure::from(anyhow!("cannot create {}: {e}", out_dir.display())))?;
    let fail =
        |e: tokencast::engine::EngineError| Failure::from(anyhow!(e).context("the shard failed"));
    let mut states = vec![run_forecast_shard(&f.model, config, shard).map_err(fail)?];
    for i in 0..stress_cases(args, f) {
        let case = forecast::stress::case_forecast(f, i, config.seed, config.threads)
            .map_err(forecast_error)?;
        states.push(run_forecast_shard(&case.model.headline_only(), config, shard).map_err(fail)?);
    }
    let mut e = Encoder::new();
    e.put(&states);
    let inputs = json!({
        "forecast_text": f.text,
        "args": replay_args(args),
    });
    let header = ShardHeader::new(
        "forecast",
        &args.common.scenario,
        inputs,
        config.seed,
        config.trials,
        shard,
        states[0].chunks.clone(),
        config.trials.div_ceil(forecast::simulate::CHUNK),
        args.common.threads.unwrap_or(0) as usize,
    );
    super::shard::write_shard(&out_dir, &header, &e.into_bytes(), clock)?;
    Ok(())
}

/// Replays a shard's command line with `out` (and the shards' `--threads`).
pub(super) fn replay(first: &ShardFile, out: &Path) -> Result<Command, Failure> {
    let h = &first.header;
    let args: Vec<String> = h
        .inputs
        .get("args")
        .and_then(|a| serde_json::from_value(a.clone()).ok())
        .ok_or_else(|| {
            bad_input(anyhow!(
                "{}: its inputs lack the command line",
                first.path.display()
            ))
        })?;
    let mut argv = vec!["tokencast".to_string()];
    argv.extend(args);
    argv.extend(["--out".into(), out.display().to_string()]);
    if h.threads > 0 {
        argv.extend(["--threads".into(), h.threads.to_string()]);
    }
    let cli = Cli::try_parse_from(&argv).map_err(|e| {
        bad_input(anyhow!(
            "{}: its command line cannot be read by this tokencast: {e}",
            first.path.display()
        ))
    })?;
    Ok(cli.command)
}

/// Merges `forecast` shards into `out`.
pub(super) fn merge(shards: &[ShardFile], out: &Path, format: Format) -> Result<(), Failure> {
    let clock = Instant::now();
    let first = &shards[0];
    let Command::Forecast(mut args) = replay(first, out)? else {
        return Err(bad_input(anyhow!(
            "{}: not the shard of a forecast",
            first.path.display()
        )));
    };
    args.format = format;
    let f = args.common.load(&[])?;
    let stored = first
        .header
        .inputs
        .get("forecast_text")
        .and_then(|t| t.as_str());
    if stored != Some(f.text.as_str()) {
        return Err(bad_input(anyhow!(
            "{}: the forecast file changed since the shards ran (its text differs from the one the shards hold); merge with the file the shards ran, or run the shards again",
            args.common.scenario.display()
        )));
    }
    let config = args.common.config(&f);
    let cases = stress_cases(&args, &f);
    let mut per_run: Vec<Vec<ForecastShardState>> = vec![Vec::new(); 1 + cases];
    for s in shards {
        let mut d = Decoder::new(&s.state);
        let states: Vec<ForecastShardState> = d
            .get()
            .and_then(|st| d.finish().map(|()| st))
            .map_err(|e| bad_input(anyhow!("{}: {e}", s.path.display())))?;
        if states.len() != 1 + cases {
            return Err(bad_input(anyhow!(
                "{}: holds {} runs, expected {} (the forecast and its {cases} stress cases)",
                s.path.display(),
                states.len(),
                1 + cases
            )));
        }
        for (all, st) in per_run.iter_mut().zip(states) {
            all.push(st);
        }
    }
    let refuse = |e: tokencast::engine::shard::ShardMismatch| {
        bad_input(anyhow!("{}: {}", shards[e.shard].path.display(), e.what))
    };
    let main = merge_shards(&f.model, &config, &per_run[0]).map_err(refuse)?;
    let mut stress = Vec::new();
    for (i, states) in per_run.iter().enumerate().skip(1) {
        let case = forecast::stress::case_forecast(&f, i - 1, config.seed, config.threads)
            .map_err(forecast_error)?;
        stress.push(merge_shards(&case.model.headline_only(), &config, states).map_err(refuse)?);
    }
    run_with(
        &args,
        &f,
        &config,
        Runs::Merged {
            main: Box::new(main),
            stress,
        },
        None,
        clock,
    )
}

/// The command line a sweep's merge replays.
fn sweep_replay_args(args: &SweepArgs) -> Vec<String> {
    let c = &args.common;
    let mut v = vec!["sweep".to_string(), c.scenario.display().to_string()];
    if let Some(n) = c.trials {
        v.extend(["--trials".into(), n.to_string()]);
    }
    if let Some(s) = c.seed {
        v.extend(["--seed".into(), s.to_string()]);
    }
    for s in &c.set {
        v.extend(["--set".into(), s.clone()]);
    }
    for p in &args.params {
        v.extend(["--param".into(), p.clone()]);
    }
    v
}

/// The forecast file's text with the `--set` overrides (what every cell starts from): what the
/// merge checks it reads again.
fn sweep_texts(args: &SweepArgs, _axes: &[SweepAxis]) -> Result<Vec<String>, Failure> {
    let base = args.common.overrides()?;
    let text = forecast::sweep::base_text(&args.common.scenario, &base).map_err(forecast_error)?;
    Ok(vec![text])
}

fn stress_failure(e: forecast::stress::StressError) -> Failure {
    match e {
        forecast::stress::StressError::Load(e) => forecast_error(e),
        other => Failure::from(anyhow!(other).context("the sweep failed")),
    }
}

/// `sweep --shard K/N`: runs the shard's cells of the grid whole and keeps each cell's run.
pub(super) fn sweep_shard(
    args: &SweepArgs,
    axes: &[SweepAxis],
    config: &ForecastConfig,
    shard: Shard,
    clock: Instant,
) -> Result<(), Failure> {
    let out_dir = args.common.out_dir();
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| Failure::from(anyhow!("cannot create {}: {e}", out_dir.display())))?;
    let base = args.common.overrides()?;
    let grid = forecast::sweep::grid(axes);
    let cells = shard.range(grid.len() as u64);
    let mut states = Vec::new();
    for values in &grid[cells.start as usize..cells.end as usize] {
        let f = forecast::sweep::cell_forecast(
            &args.common.scenario,
            &base,
            axes,
            values,
            args.common.seed,
            config.threads,
        )
        .map_err(stress_failure)?;
        let run = forecast::simulate::run(&f.model.headline_only(), config)
            .map_err(|e| Failure::from(anyhow!(e).context("the shard failed")))?;
        states.push(RunState::of(run));
    }
    let mut e = Encoder::new();
    e.put(&states);
    let inputs = json!({
        "forecast_texts": sweep_texts(args, axes)?,
        "args": sweep_replay_args(args),
    });
    let header = ShardHeader::new(
        "sweep",
        &args.common.scenario,
        inputs,
        config.seed,
        config.trials,
        shard,
        cells.clone(),
        grid.len() as u64,
        args.common.threads.unwrap_or(0) as usize,
    );
    super::shard::write_shard(&out_dir, &header, &e.into_bytes(), clock)?;
    Ok(())
}

/// Merges `sweep` shards into `out`.
pub(super) fn merge_sweep(shards: &[ShardFile], out: &Path) -> Result<(), Failure> {
    let clock = Instant::now();
    let first = &shards[0];
    let Command::Sweep(args) = replay(first, out)? else {
        return Err(bad_input(anyhow!(
            "{}: not the shard of a sweep",
            first.path.display()
        )));
    };
    let axes: Vec<SweepAxis> = args
        .params
        .iter()
        .map(|p| SweepAxis::parse(p).map_err(|e| bad_input(anyhow!(e))))
        .collect::<Result<_, _>>()?;
    let stored: Option<Vec<String>> = first
        .header
        .inputs
        .get("forecast_texts")
        .and_then(|t| serde_json::from_value(t.clone()).ok());
    if stored != Some(sweep_texts(&args, &axes)?) {
        return Err(bad_input(anyhow!(
            "{}: the forecast file (or a file it names) changed since the shards ran; merge with the files the shards ran, or run the shards again",
            args.common.scenario.display()
        )));
    }
    let base = args.common.overrides()?;
    let grid = forecast::sweep::grid(&axes);
    let first_cell: Vec<Override> = axes
        .iter()
        .map(|a| Override {
            path: a.path.clone(),
            value: a.values[0].clone(),
        })
        .collect();
    let f = args.common.load(&first_cell)?;
    let config = args.common.config(&f);
    let mut runs = Vec::new();
    for s in shards {
        let mut d = Decoder::new(&s.state);
        let states: Vec<RunState> = d
            .get()
            .and_then(|st| d.finish().map(|()| st))
            .map_err(|e| bad_input(anyhow!("{}: {e}", s.path.display())))?;
        let h = &s.header;
        if h.unit_start != runs.len() as u64
            || h.unit_end - h.unit_start != states.len() as u64
            || h.units != grid.len() as u64
        {
            return Err(bad_input(anyhow!(
                "{}: holds cells {}..{} of {}, expected cells from {} of {}",
                s.path.display(),
                h.unit_start,
                h.unit_end,
                h.units,
                runs.len(),
                grid.len()
            )));
        }
        for (state, values) in states.iter().zip(&grid[runs.len()..]) {
            let cf = forecast::sweep::cell_forecast(
                &args.common.scenario,
                &base,
                &axes,
                values,
                args.common.seed,
                config.threads,
            )
            .map_err(stress_failure)?;
            runs.push(
                state
                    .run(&cf.model.headline_only(), &config)
                    .map_err(|e| bad_input(anyhow!("{}: {e}", s.path.display())))?,
            );
        }
    }
    super::forecast::sweep_with(&args, &axes, &f, &config, Some(runs), clock)
}
