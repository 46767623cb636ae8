//! `tokencast merge DIR...`: reads the shard files of a sharded run (`--shard K/N`), checks that
//! they are the N shards of one run, and writes the outputs the single run writes, byte for
//! byte (see docs/guide/distributed.md for what "byte for byte" covers in manifest.json).
//!
//! Also here: what `run --shard` writes (the task-scenario run's shard state, then, for a
//! scenario with `[routing]`, the routing comparison's: `engine::routing_shard`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::anyhow;
use serde_json::json;
use tokencast::engine::routing_shard::{self, RoutingShardState};
use tokencast::engine::shard::{self, RunShardState, Shard};
use tokencast::engine::{RunConfig, Silent, Summary};
use tokencast::report::shard_file::{self, EXTENSION, ShardFile, ShardHeader};
use tokencast::scenario::Scenario;
use tokencast::stats::codec::{Decoder, Encoder};

use super::{Failure, Format, RunArgs, bad_input};

/// Arguments of `tokencast merge`.
#[derive(Debug, clap::Args)]
pub(crate) struct MergeArgs {
    /// Directories holding the shard files (shard-K-of-N.tcshard), or the shard files.
    #[arg(required = true, value_name = "DIR")]
    inputs: Vec<PathBuf>,
    /// Output directory (default: the first DIR).
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// What to print on stdout (`run`, `forecast` and `compare` shards).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// A merge that cannot go on: bad input, exit 2.
fn refuse(text: String) -> Failure {
    bad_input(anyhow!(text))
}

/// Merges the shards.
pub(crate) fn run(args: MergeArgs) -> Result<(), Failure> {
    let mut paths = Vec::new();
    for input in &args.inputs {
        if input.is_dir() {
            let entries = std::fs::read_dir(input)
                .map_err(|e| refuse(format!("{}: cannot list: {e}", input.display())))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == EXTENSION) && p.is_file())
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(refuse(format!(
                    "{}: holds no shard files (*.{EXTENSION}); run the command with --shard K/N and --out {} first",
                    input.display(),
                    input.display()
                )));
            }
            paths.extend(found);
        } else if input.is_file() {
            paths.push(input.clone());
        } else {
            return Err(refuse(format!(
                "{}: no such directory or shard file",
                input.display()
            )));
        }
    }
    let mut shards = Vec::new();
    for path in &paths {
        shards.push(shard_file::read(path).map_err(|e| refuse(e.to_string()))?);
    }
    let shards = check_set(shards)?;
    let out = match &args.out {
        Some(out) => out.clone(),
        None => {
            let first = &args.inputs[0];
            if first.is_dir() {
                first.clone()
            } else {
                first
                    .parent()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| PathBuf::from("."))
            }
        }
    };
    match shards[0].header.command.as_str() {
        "run" => merge_run(&shards, &out, args.format),
        "forecast" => super::forecast_shard::merge(&shards, &out, args.format),
        "sweep" => super::forecast_shard::merge_sweep(&shards, &out),
        "compare" => super::compare_shard::merge(&shards, &out, args.format),
        other => Err(refuse(format!(
            "{}: shards of `{other}`, which this tokencast cannot merge",
            shards[0].path.display()
        ))),
    }
}

/// Checks that `shards` are the N shards of one run, and puts them in shard order.
fn check_set(shards: Vec<ShardFile>) -> Result<Vec<ShardFile>, Failure> {
    let first = shards[0].clone();
    let h0 = &first.header;
    for s in &shards[1..] {
        let h = &s.header;
        let differ = |what: &str, a: String, b: String| {
            refuse(format!(
                "{}: {what} {b}, but {} has {a}: the shards of one run share the tokencast version, command, inputs (scenario, overrides, options), seed, trial count and shard count; merge the shards of one run at a time",
                s.path.display(),
                first.path.display()
            ))
        };
        if h.tokencast_version != h0.tokencast_version {
            return Err(differ(
                "tokencast version",
                h0.tokencast_version.clone(),
                h.tokencast_version.clone(),
            ));
        }
        if h.command != h0.command {
            return Err(differ("command", h0.command.clone(), h.command.clone()));
        }
        if h.inputs_sha256 != h0.inputs_sha256 {
            return Err(differ(
                "different inputs (scenario, overrides or options): SHA-256",
                h0.inputs_sha256[..12].to_string(),
                h.inputs_sha256[..12].to_string(),
            ));
        }
        if h.seed != h0.seed {
            return Err(differ("seed", h0.seed.to_string(), h.seed.to_string()));
        }
        if h.trials != h0.trials {
            return Err(differ(
                "trials",
                h0.trials.to_string(),
                h.trials.to_string(),
            ));
        }
        if h.shards != h0.shards {
            return Err(differ(
                "shard count",
                h0.shards.to_string(),
                h.shards.to_string(),
            ));
        }
    }
    for s in &shards {
        if ShardHeader::hash_inputs(&s.header.inputs) != s.header.inputs_sha256 {
            return Err(refuse(format!(
                "{}: corrupt: its inputs do not match their SHA-256",
                s.path.display()
            )));
        }
        if s.header.shard == 0 || s.header.shard > s.header.shards {
            return Err(refuse(format!(
                "{}: shard {} of {}, expected 1 to {}",
                s.path.display(),
                s.header.shard,
                s.header.shards,
                s.header.shards
            )));
        }
    }
    let mut by_index: BTreeMap<u64, ShardFile> = BTreeMap::new();
    for s in shards {
        if let Some(other) = by_index.get(&s.header.shard) {
            return Err(refuse(format!(
                "{}: duplicated shard {} of {}: {} is the same shard; give each shard once",
                s.path.display(),
                s.header.shard,
                s.header.shards,
                other.path.display()
            )));
        }
        by_index.insert(s.header.shard, s);
    }
    let n = h0.shards;
    let missing: Vec<String> = (1..=n)
        .filter(|k| !by_index.contains_key(k))
        .map(|k| shard_file::file_name(k, n))
        .collect();
    if !missing.is_empty() {
        return Err(refuse(format!(
            "missing {} of {n} shards: {} (found {}); run the missing shards (--shard K/{n}) into the same directory, then merge again",
            missing.len(),
            missing.join(", "),
            by_index
                .values()
                .map(|s| s.path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    Ok(by_index.into_values().collect())
}

/// The inputs of a `run` shard: everything the merge needs to rebuild the scenario and write
/// the outputs.
fn run_inputs(args: &RunArgs, scenario: &Scenario) -> Result<serde_json::Value, Failure> {
    let prices = match &args.prices {
        Some(path) => {
            let text = tokencast::input::read_text(path, tokencast::input::MAX_PRICE_FILE_BYTES)
                .map_err(|e| bad_input(anyhow!("cannot read the price file: {e}")))?;
            json!({ "path": path.display().to_string(), "text": text })
        }
        None => serde_json::Value::Null,
    };
    Ok(json!({
        "scenario_text": scenario.text,
        "prices": prices,
        "charts": !args.no_charts,
    }))
}

/// `run --shard K/N`: runs the shard's chunks and writes its state into `out_dir`.
pub(crate) fn run_shard(
    args: &RunArgs,
    scenario: &Scenario,
    config: &RunConfig,
    shard: Shard,
    out_dir: &Path,
    threads: usize,
) -> Result<(), Failure> {
    let inputs = run_inputs(args, scenario)?;
    std::fs::create_dir_all(out_dir)
        .map_err(|e| Failure::from(anyhow!("cannot create {}: {e}", out_dir.display())))?;
    let clock = Instant::now();
    let state = shard::run_shard(
        &scenario.workflow,
        &scenario.price_table(),
        config,
        shard,
        &mut Silent,
    )
    .map_err(|e| Failure::from(anyhow!(e).context("the shard failed")))?;
    let mut e = Encoder::new();
    e.put(&state);
    if let Some(routing) = &scenario.routing {
        let compared = routing_shard::run_routing_shard(
            &scenario.workflow,
            routing,
            &scenario.price_table(),
            config,
            shard,
        )
        .map_err(|e| Failure::from(anyhow!(e).context("the shard's routing comparison failed")))?;
        e.put(&compared);
    }
    let header = ShardHeader::new(
        "run",
        &args.scenario,
        inputs,
        config.seed,
        config.trials,
        shard,
        state.chunks.clone(),
        config.trials.div_ceil(tokencast::engine::CHUNK_TRIALS),
        threads,
    );
    super::shard::write_shard(out_dir, &header, &e.into_bytes(), clock)?;
    Ok(())
}

/// Rebuilds a `run` shard's scenario from its inputs.
pub(super) fn run_scenario(first: &ShardFile) -> Result<Scenario, Failure> {
    let h = &first.header;
    let field = |name: &str| {
        h.inputs.get(name).ok_or_else(|| {
            refuse(format!(
                "{}: its inputs lack `{name}`",
                first.path.display()
            ))
        })
    };
    let text = field("scenario_text")?.as_str().ok_or_else(|| {
        refuse(format!(
            "{}: scenario_text is not text",
            first.path.display()
        ))
    })?;
    let prices = field("prices")?;
    let prices = match prices {
        serde_json::Value::Null => None,
        p => Some((
            PathBuf::from(p.get("path").and_then(|v| v.as_str()).unwrap_or("prices")),
            p.get("text")
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string(),
        )),
    };
    let catalog =
        super::prices::catalog_from_text(prices.as_ref().map(|(p, t)| (p.as_path(), t.as_str())))?;
    let path = Path::new(&h.scenario_path);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Scenario::from_text_with_catalog(&h.scenario_path, &stem, text.to_string(), &catalog)
        .map_err(bad_input)
}

fn merge_run(shards: &[ShardFile], out: &Path, format: Format) -> Result<(), Failure> {
    let first = &shards[0];
    let h = &first.header;
    let scenario = run_scenario(first)?;
    let charts = if h.inputs.get("charts").and_then(|v| v.as_bool()) == Some(false) {
        tokencast::report::run_files::Charts::Skip
    } else {
        tokencast::report::run_files::Charts::Draw
    };
    let mut states: Vec<RunShardState> = Vec::new();
    let mut compared: Vec<RoutingShardState> = Vec::new();
    for s in shards {
        let mut d = Decoder::new(&s.state);
        let decoded = d.get::<RunShardState>().and_then(|st| {
            let routing = match &scenario.routing {
                Some(_) => Some(d.get::<RoutingShardState>()?),
                None => None,
            };
            d.finish().map(|()| (st, routing))
        });
        let (state, routing) = decoded.map_err(|e| refuse(format!("{}: {e}", s.path.display())))?;
        states.push(state);
        compared.extend(routing);
    }
    let config = RunConfig {
        trials: h.trials,
        seed: h.seed,
        threads: None,
    };
    let result = shard::merge_run_shards(&scenario.workflow, &config, h.threads, &states)
        .map_err(|e| refuse(format!("{}: {}", shards[e.shard].path.display(), e.what)))?;
    let mut summary = Summary::new(&scenario.name, &scenario.workflow, &result);
    if let Some(routing) = &scenario.routing {
        let merged =
            routing_shard::merge_routing_shards(routing.policies.len(), h.trials, &compared)
                .map_err(|e| refuse(format!("{}: {}", shards[e.shard].path.display(), e.what)))?;
        summary.routing = Some(tokencast::engine::routing_summary::summarise(
            routing,
            &scenario.workflow.model_names,
            &merged,
        ));
    }
    let simulation = tokencast::Simulation { summary, result };
    let run_dir = super::open_run_dir(out)?;
    let wall = shards.iter().map(|s| s.header.wall_time_seconds).sum();
    super::publish_run_outputs(
        super::RunOutputs {
            run_dir,
            out_dir: out,
            scenario_path: h.scenario_path.clone(),
            scenario: &scenario,
            charts,
            precision_note: None,
            seed: h.seed,
            threads: h.threads,
            wall,
        },
        &simulation,
        format,
    )
}
