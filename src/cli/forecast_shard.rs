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
    ForecastShardState, merge_shards, run_shard as run_forecast_shard,
};
use tokencast::forecast::{self, Forecast, ForecastConfig};
use tokencast::report::shard_file::{ShardFile, ShardHeader};
use tokencast::stats::codec::{Decoder, Encoder};

use super::forecast::{ForecastArgs, Runs, forecast_error, run_with};
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
    let header = ShardHeader {
        tokencast_version: env!("CARGO_PKG_VERSION").to_string(),
        command: "forecast".into(),
        scenario_path: args.common.scenario.display().to_string(),
        inputs_sha256: ShardHeader::hash_inputs(&inputs),
        inputs,
        seed: config.seed,
        trials: config.trials,
        shard: shard.index + 1,
        shards: shard.count,
        unit_start: states[0].chunks.start,
        unit_end: states[0].chunks.end,
        units: config.trials.div_ceil(forecast::simulate::CHUNK),
        threads: args.common.threads.unwrap_or(0) as usize,
        wall_time_seconds: 0.0,
    };
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
        clock,
    )
}
