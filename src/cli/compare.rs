//! `tokencast compare SCENARIO`: the same simulated periods priced under every
//! `[billing.NAME]` scheme of the scenario (see `engine::compare`).

use std::io::IsTerminal;
use std::path::PathBuf;

use anyhow::{Context, anyhow};

use tokencast::engine::along::Along;
use tokencast::engine::compare::{self, CompareSetup, Method, SweepAxis};
use tokencast::report::shard_file::ShardFile;
use tokencast::report::{self, Manifest};
use tokencast::scenario::Scenario;

use super::{Failure, Format, bad_input, default_out_dir, note_removed, open_run_dir, prices};

/// Arguments of `compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// A task scenario with [workload] and [billing.NAME] sections, or a forecast file (its
    /// bills compared on the same simulated futures).
    pub scenario: PathBuf,
    /// Simulated periods (default: [workload] periods, else 1000); for a forecast, simulated
    /// futures (default: [forecast] trials).
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub periods: Option<u64>,
    /// Seed (default: the scenario's [scenario] seed, else 1).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (results do not depend on it).
    #[arg(long, short = 't', value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Output directory (default: output/<scenario file stem>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Skip the break-even sweep.
    #[arg(long, conflicts_with = "along")]
    pub no_sweep: bool,
    /// The input the break-even sweep varies, and its values: PATH, PATH=V1,V2,... or
    /// PATH=LO..HI[:POINTS] (default values: a quarter to four times the current). A task
    /// scenario: workload.tasks_per_seat (the default, over [workload] sweep), workload.seats,
    /// or any number of the file, e.g. a model's price (models.NAME.output) or a distribution's
    /// parameter (phases[0].steps[1].tool.tokens.lognormal.median). A forecast: any number of
    /// the file (default usage.tasks_per_day).
    #[arg(long, value_name = "PATH[=VALUES]")]
    pub along: Option<String>,
    /// Where a task scenario's tasks come from: drawn from pre-simulated pools (fast), or
    /// every task simulated (the slow reference path).
    #[arg(long, value_enum, default_value_t = TaskSource::Pooled)]
    pub tasks: TaskSource,
    /// Forecast: simulated futures per break-even point (default: a tenth of the comparison's,
    /// at least 1,000).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub along_trials: Option<u64>,
    /// Forecast: skip its stress cases (by default every bill is compared under each).
    #[arg(long)]
    pub no_stress: bool,
    /// Forecast: override any value of the file, as `forecast --set` (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Price file whose models scenarios may name with `catalog = "..."` (see `prices`).
    #[arg(long)]
    pub prices: Option<PathBuf>,
    #[arg(long, value_name = "K/N", help = super::compare_shard::SHARD_HELP)]
    pub shard: Option<String>,
}

/// Where `compare` gets each month's tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TaskSource {
    /// Uniform draws from 32 pools of 8,192 pre-simulated tasks (standard errors by batch
    /// means over the pools).
    Pooled,
    /// Every task of every month simulated.
    Simulate,
}

/// What the break-even sweep varies.
enum Sweep {
    /// Tasks per seat or seats, on the comparison's pools.
    Workload(SweepAxis, Vec<f64>),
    /// Any other number of the scenario, each value compared anew.
    Input(super::compare_input::InputAlong),
}

/// The swept input and its values from `--along` (default: tasks per seat over the
/// scenario's `[workload] sweep`).
fn sweep_of(along: Option<&str>, scenario: &Scenario) -> Result<Sweep, Failure> {
    let billing = scenario.billing.as_ref().expect("checked");
    let Some(arg) = along else {
        return Ok(Sweep::Workload(
            SweepAxis::TasksPerSeat,
            billing.sweep.clone(),
        ));
    };
    let along = Along::parse(arg).map_err(bad_input)?;
    let Some(axis) = SweepAxis::from_path(&along.path) else {
        return super::compare_input::resolve(arg, along, scenario).map(Sweep::Input);
    };
    let current = axis.current(&billing.workload);
    let values = match (along.values, axis) {
        (Some(v), SweepAxis::Seats) => {
            if let Some(bad) = v.iter().find(|x| x.fract() != 0.0 || **x < 1.0) {
                return Err(bad_input(anyhow!(
                    "--along {arg:?}: workload.seats takes whole numbers of at least 1, found {bad}"
                )));
            }
            v
        }
        (Some(v), SweepAxis::TasksPerSeat) => {
            if let Some(bad) = v.iter().find(|x| **x < 0.0) {
                return Err(bad_input(anyhow!(
                    "--along {arg:?}: workload.tasks_per_seat cannot be negative, found {bad}"
                )));
            }
            v
        }
        (None, SweepAxis::TasksPerSeat) if !billing.sweep.is_empty() => billing.sweep.clone(),
        (None, axis) => Along::grid_around(current, axis.is_integer()),
    };
    Ok(Sweep::Workload(axis, values))
}

/// Runs `compare`: prints the table (or JSON) and writes the files.
pub fn run(args: CompareArgs) -> Result<String, Failure> {
    super::expect_file(
        &args.scenario,
        super::takes::COMPARISON,
        "tokencast compare",
        "a task scenario with [workload] and [billing.NAME] schemes, or a forecast",
    )?;
    let is_forecast =
        tokencast::input::read_text(&args.scenario, tokencast::input::MAX_SCENARIO_BYTES)
            .is_ok_and(|t| tokencast::forecast::is_forecast_text(&t));
    if is_forecast {
        return super::compare_forecast::run(&args);
    }
    if !args.set.is_empty() || args.along_trials.is_some() || args.no_stress {
        return Err(bad_input(anyhow!(
            "--set, --along-trials and --no-stress apply to forecasts; for a task scenario, edit [workload]"
        )));
    }
    let catalog = prices::load_catalog(args.prices.as_deref())?;
    let scenario = Scenario::load_with_catalog(&args.scenario, &catalog).map_err(bad_input)?;
    run_scenario(&args, &scenario, None)
}

/// Compares the schemes of `scenario` and writes the outputs; with `merged`, the shards of a
/// sharded comparison (`--shard`) give the periods' bills instead of simulating them.
pub(super) fn run_scenario(
    args: &CompareArgs,
    scenario: &Scenario,
    merged: Option<&[ShardFile]>,
) -> Result<String, Failure> {
    let billing = scenario.billing.as_ref().ok_or_else(|| {
        bad_input(anyhow!(
            "{}: expected a [workload] section and [billing.NAME] schemes to compare, found none",
            args.scenario.display()
        ))
    })?;
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.scenario));
    let plan = sweep_of(args.along.as_deref(), scenario)?;
    let (along, sweep) = match &plan {
        Sweep::Workload(axis, values) => (*axis, values.clone()),
        Sweep::Input(_) => (SweepAxis::TasksPerSeat, Vec::new()),
    };
    if matches!(plan, Sweep::Input(_)) && (args.shard.is_some() || merged.is_some()) {
        return Err(bad_input(anyhow!(
            "--shard with --along {}: a break-even along a number of the scenario (not \
             workload.seats or workload.tasks_per_seat) compares the whole scenario again at \
             each value and is not sharded; run it without --shard",
            args.along.as_deref().unwrap_or("")
        )));
    }
    let method = match args.tasks {
        TaskSource::Pooled => Method::DEFAULT,
        TaskSource::Simulate => Method::Simulate,
    };
    let setup = CompareSetup {
        workflow: &scenario.workflow,
        prices: &scenario.prices,
        workload: billing.workload.clone(),
        schemes: billing.schemes.clone(),
        baseline: billing.baseline,
        along,
        sweep: if args.no_sweep { Vec::new() } else { sweep },
        sweep_periods: billing.sweep_periods,
        method,
    };
    let periods = args.periods.unwrap_or(billing.periods);
    // The work bound counts tasks at the sweep's workloads; a pooled run simulates only its
    // pools, so only the count of drawn tasks is bounded then.
    let checked = tokencast::scenario::Billing {
        sweep: setup
            .sweep
            .iter()
            .map(|&x| along.apply(&billing.workload, x))
            .map(|w| {
                w.tasks_per_seat * f64::from(w.seats) / f64::from(billing.workload.seats.max(1))
            })
            .collect(),
        ..billing.clone()
    };
    let steps_per_task = match method {
        Method::Simulate => scenario.work.steps,
        Method::Pooled { .. } => 0.0,
    };
    checked
        .check_work(periods, !setup.sweep.is_empty(), steps_per_task)
        .map_err(|m| bad_input(anyhow::anyhow!("{}: {m}", args.scenario.display())))?;
    let seed = args.seed.unwrap_or_else(|| scenario.default_seed());
    let threads = args.threads.map(|t| t as usize);
    if merged.is_none()
        && let Some(text) = &args.shard
    {
        let shard = super::shard::from_arg(text)?;
        super::compare_shard::run_shard(args, scenario, &setup, periods, seed, shard, &out_dir)?;
        return Ok(String::new());
    }
    let clock = std::time::Instant::now();
    let run_dir = open_run_dir(&out_dir)?;
    let result = if let Some(shards) = merged {
        super::compare_shard::merge_states(shards, &setup, periods, seed)?
    } else {
        let input_steps = match &plan {
            Sweep::Input(input) if !args.no_sweep => {
                input.values.len() as u64
                    * compare::work_steps(&setup, billing.sweep_periods.max(1))
            }
            _ => 0,
        };
        let bar = super::compare_progress::DelayedBar::new(
            std::io::stderr().is_terminal(),
            compare::work_steps(&setup, periods) + input_steps,
        );
        let mut result =
            compare::compare_with_progress(&setup, periods, seed, threads, &|done| bar.set(done))
                .context("the comparison failed")?;
        if let Sweep::Input(input) = &plan {
            let catalog = prices::load_catalog(args.prices.as_deref())?;
            let before = compare::work_steps(&setup, periods);
            let settings = super::compare_input::PointSettings {
                catalog: &catalog,
                method,
                seed,
                threads,
            };
            let swept =
                super::compare_input::sweep(scenario, input, &settings, &|d| bar.set(before + d))?;
            result = result.with_input_sweep(input.names.clone(), input.input.current, swept);
        }
        bar.finish();
        result
    };
    let mut files = report::compare::write_files(run_dir.staging(), &result)
        .with_context(|| format!("cannot write into {}", out_dir.display()))?;
    files.extend(
        report::compare::write_charts(run_dir.staging(), &result)
            .map_err(|e| anyhow!("cannot write the charts: {e}"))?,
    );
    files.push("report.html".into());
    files.push("manifest.json".into());
    let mut manifest = Manifest {
        tool: "tokencast",
        version: env!("CARGO_PKG_VERSION"),
        scenario_path: args.scenario.display().to_string(),
        scenario_name: scenario.name.clone(),
        scenario_sha256: report::sha256_hex(&scenario.text),
        scenario_text: scenario.text.clone(),
        seed,
        trials: periods,
        threads: tokencast::engine::worker_threads(threads, periods.div_ceil(4).max(64)),
        started_at: report::iso8601_utc(run_dir.started()),
        wall_time_seconds: clock.elapsed().as_secs_f64(),
        files,
    };
    let page = report::compare_page::render(&report::compare_page::ComparePage {
        name: &scenario.name,
        description: scenario.spec.scenario.description.as_deref().unwrap_or(""),
        seats: billing.workload.seats,
        schemes: &setup.schemes,
        comparison: &result,
        manifest: &manifest,
    })
    .map_err(|e| anyhow!("cannot draw the report's charts: {e}"))?;
    run_dir.stage_file("report.html", page.as_bytes())?;
    let published = run_dir.publish(&mut manifest)?;
    note_removed(&out_dir, &published);
    let files = published.files;
    Ok(match args.format {
        Format::Json => report::compare::to_json(&result),
        Format::Table => {
            let mut text =
                report::compare::render_table(&scenario.name, billing.workload.seats, &result);
            text.push_str(&format!(
                "\n  wrote {} into {}\n",
                files.join(", "),
                out_dir.display()
            ));
            text
        }
    })
}
