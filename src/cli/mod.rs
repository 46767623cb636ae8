//! The command line: a thin shell over the library. Exit codes: 0 success, 1 runtime failure,
//! 2 bad input (a scenario or an argument).

mod calibrate;
mod calibrate_org;
mod calibrate_totals;
mod check;
mod compare;
mod compare_forecast;
mod compare_input;
mod compare_progress;
mod compare_shard;
mod diff;
mod explain;
mod explain_billing;
mod explain_forecast;
mod explain_routing;
mod explain_work;
mod forecast;
mod forecast_shard;
mod merge;
mod prices;
mod progress;
mod shard;
mod track;

use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use tokencast::engine::{self, CHUNK_TRIALS, RunConfig};
use tokencast::report::run_files::{PublishError, RunFiles};
use tokencast::report::{self, Published, RunDir, RunDirError, TrialCsvWriter};
use tokencast::scenario::Scenario;

const EXAMPLES: &str = "\
Examples:
  tokencast run scenarios/reference-coding-task.toml
  tokencast run scenarios/reference-coding-task.toml --trials 1000000 --seed 7 --per-trial
  tokencast run scenarios/reference-coding-task.toml --format json > summary.json
  tokencast run scenarios/reference-coding-task.toml --precision 0.005
  tokencast validate scenarios/reference-coding-task.toml

User guide: docs/guide/run.md (options), docs/guide/outputs.md (every output file).";

/// The top-level help's epilogue: examples of every verb and where the user guide is.
const GUIDE: &str = "\
Examples:
  tokencast run scenarios/reference-coding-task.toml
  tokencast forecast scenarios/org-forecast.toml
  tokencast compare scenarios/pricing-comparison.toml
  tokencast validate scenarios/org-forecast.toml
  tokencast forecast scenarios/org-forecast.toml --shard 1/2 --out out/f   (and 2/2, on another machine)
  tokencast merge out/f                    (the single run's files, byte for byte)

User guide: docs/guide/README.md in the tokencast repository, one page per topic: every key of
a scenario (scenarios.md) and a forecast (forecast.md), every output file (outputs.md), the
methods and how exact they are (methods.md), errors and exit codes (reliability.md).";

/// Monte Carlo forecasts of what AI coding agents cost.
#[derive(Debug, Parser)]
#[command(name = "tokencast", version, about, after_help = GUIDE)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Neither read nor write the task-pool cache: simulate every task pool (also
    /// TOKENCAST_NO_CACHE=1; the cache is $TOKENCAST_CACHE_DIR, else ~/.cache/tokencast).
    #[arg(long, global = true)]
    no_cache: bool,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a scenario and report its cost distribution.
    #[command(after_help = EXAMPLES)]
    Run(RunArgs),
    /// Check a scenario and explain what it models, without running it.
    #[command(
        after_help = "User guide: docs/guide/scenarios.md (task scenarios), docs/guide/forecast.md (forecasts)."
    )]
    Validate {
        /// The scenario or forecast file (TOML).
        scenario: PathBuf,
        /// Price file whose models scenarios may name with `catalog = "..."` (see `prices`).
        #[arg(long)]
        prices: Option<PathBuf>,
    },
    /// List the price catalog (USD per million tokens), or show one model in full.
    #[command(after_help = "User guide: docs/guide/prices.md.")]
    Prices(prices::PricesArgs),
    /// Forecast an organisation's agent spend over months.
    #[command(
        after_help = "User guide: docs/guide/forecast.md (the file, every output, the methods)."
    )]
    Forecast(forecast::ForecastArgs),
    /// Run a forecast over a grid of one or two parameters (CSV and chart).
    #[command(after_help = "User guide: docs/guide/forecast.md (sweep.csv and sweep.png).")]
    Sweep(forecast::SweepArgs),
    /// Fit a scenario to usage logs and back-test it on held-out tasks.
    #[command(after_help = "User guide: docs/guide/calibrate.md.")]
    Calibrate(calibrate::CalibrateArgs),
    /// Fit the organisation (seats curve, active share, tasks per user per day, their spread)
    /// to per-user, per-day activity and write a forecast file.
    #[command(
        name = "calibrate-org",
        after_help = "User guide: docs/guide/calibrate.md (fitting the organisation)."
    )]
    CalibrateOrg(calibrate_org::CalibrateOrgArgs),
    /// Price the same simulated periods under every billing scheme of a scenario.
    #[command(
        after_help = "User guide: docs/guide/compare.md ([workload], every [billing.NAME] kind, the files); --shard and merge: docs/guide/distributed.md."
    )]
    Compare(compare::CompareArgs),
    /// Check spend gates (e.g. 'p95(cost_usd) <= 2.00') with their Monte Carlo uncertainty:
    /// exit 0 when all hold, 3 when one fails or stays undecided, 2 for bad input.
    #[command(after_help = "User guide: docs/guide/check-and-diff.md.")]
    Check(check::CheckArgs),
    /// Merge the shard files of a sharded run (`--shard K/N`) into the outputs the single run
    /// writes, byte for byte.
    #[command(after_help = "User guide: docs/guide/distributed.md.")]
    Merge(merge::MergeArgs),
    /// What a change to a scenario or forecast does to its cost: both files on common random
    /// numbers, side by side and as the paired difference, with the parameters that changed
    /// (table, JSON, or markdown for a pull-request comment).
    #[command(after_help = "User guide: docs/guide/check-and-diff.md.")]
    Diff(diff::DiffArgs),
    /// A forecast against the actual spend so far (a month,cost CSV or a FOCUS export): each
    /// month's rank in the forecast's band, months outside P5–P95 flagged, and the rest of the
    /// horizon forecast again from the months seen.
    #[command(after_help = "User guide: docs/guide/forecast.md (tracking against actuals).")]
    Track(track::TrackArgs),
}

/// What `run` prints on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// A human-readable table.
    Table,
    /// The same JSON object as summary.json.
    Json,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The scenario file (TOML).
    scenario: PathBuf,
    /// Number of trials (default: the scenario's [scenario] trials, else 100000; at most
    /// 10,000,000,000).
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u64).range(1..=tokencast::scenario::MAX_TRIALS))]
    trials: Option<u64>,
    /// Seed (default: the scenario's [scenario] seed, else 1).
    #[arg(long, short = 's')]
    seed: Option<u64>,
    /// Worker threads (default: one per core; at most 4 per core are used). Results do not
    /// depend on it.
    #[arg(long, short = 't', value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Output directory (default: output/<scenario file stem>).
    #[arg(long, short = 'o')]
    out: Option<PathBuf>,
    /// Also write trials.csv, one row per trial (memory stays flat; the file grows).
    #[arg(long)]
    per_trial: bool,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Never show a progress bar.
    #[arg(long)]
    quiet: bool,
    /// Price file whose models scenarios may name with `catalog = "..."` (see `prices`).
    #[arg(long)]
    prices: Option<PathBuf>,
    /// Do not draw the charts (PNG and SVG); report.html is written without them.
    #[arg(long)]
    no_charts: bool,
    /// Run until the relative standard error of the mean cost and the relative half-width of
    /// P95's 95% interval are below P (e.g. 0.01), checked about four times per doubling of
    /// the trials; --trials (default 100,000,000) is then the most it runs.
    #[arg(long, value_name = "P")]
    precision: Option<f64>,
    #[arg(long, value_name = "K/N", help = shard::SHARD_HELP)]
    shard: Option<String>,
}

/// Most trials a `--precision` run makes when `--trials` is not given.
const PRECISION_MAX_TRIALS: u64 = 100_000_000;

/// An error with its exit code.
pub struct Failure {
    /// 1 for runtime failures, 2 for bad input.
    pub code: i32,
    /// What to print.
    pub error: anyhow::Error,
}

impl From<anyhow::Error> for Failure {
    fn from(error: anyhow::Error) -> Self {
        // Refusing to replace something that is not a regular file is the user's input.
        let refused = error.chain().any(|c| {
            c.downcast_ref::<report::NotARegularFile>().is_some()
                || c.downcast_ref::<RunDirError>()
                    .is_some_and(RunDirError::is_bad_input)
                || c.downcast_ref::<io::Error>().is_some_and(|e| {
                    e.get_ref()
                        .is_some_and(|i| i.downcast_ref::<report::NotARegularFile>().is_some())
                })
        });
        Failure {
            code: if refused { 2 } else { 1 },
            error,
        }
    }
}

impl From<RunDirError> for Failure {
    fn from(e: RunDirError) -> Self {
        dir_failure(e)
    }
}

/// What a command takes, for [`expect_file`].
pub(crate) mod takes {
    use tokencast::file_kind::FileKind::{self, *};
    /// A task scenario (with or without a billing comparison).
    pub const TASK: &[FileKind] = &[TaskScenario, BillingComparison];
    /// A task scenario or a forecast.
    pub const TASK_OR_FORECAST: &[FileKind] = &[TaskScenario, BillingComparison, Forecast];
    /// A forecast.
    pub const FORECAST: &[FileKind] = &[Forecast];
    /// A task scenario with `[workload]` and `[billing.NAME]`, or a forecast.
    pub const COMPARISON: &[FileKind] = &[BillingComparison, Forecast];
    /// A price file.
    pub const PRICES: &[FileKind] = &[PriceCatalog, PriceMap];
    /// A usage log.
    pub const LOG: &[FileKind] = &[UsageLog];
}

/// Refuses, with exit 2 and one line naming the command to use, a file whose kind the command
/// does not take. A file that cannot be read or whose kind is unknown passes: the command's
/// own loader reports it.
pub(crate) fn expect_file(
    path: &Path,
    accepted: &[tokencast::file_kind::FileKind],
    command: &'static str,
    takes: &'static str,
) -> Result<(), Failure> {
    use tokencast::file_kind::{FileKind, detect};
    let is_log_name = matches!(detect(path, ""), FileKind::UsageLog);
    let kind_ok = if is_log_name {
        // Logs are not read twice (they may be large): their extension says what they are.
        tokencast::file_kind::expect_kind(path, "", accepted, command, takes)
    } else {
        match tokencast::input::read_text(path, tokencast::input::MAX_PRICE_FILE_BYTES) {
            Ok(text) => tokencast::file_kind::expect_kind(path, &text, accepted, command, takes),
            Err(_) => return Ok(()),
        }
    };
    kind_ok.map(|_| ()).map_err(bad_input)
}

fn bad_input(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: 2,
        error: e.into(),
    }
}

/// Runs the parsed command line.
pub fn main(cli: Cli) -> Result<(), Failure> {
    tokencast::forecast::pool_cache::configure(tokencast::forecast::pool_cache::CacheSettings {
        dir: tokencast::forecast::pool_cache::dir_from_env(cli.no_cache),
        note: warn,
    });
    match cli.command {
        Command::Run(args) => run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::CalibrateOrg(args) => calibrate_org::run(args),
        Command::Validate { scenario, prices } => {
            expect_file(
                &scenario,
                takes::TASK_OR_FORECAST,
                "tokencast validate",
                "a task scenario or a forecast",
            )?;
            let text = tokencast::input::read_text(&scenario, tokencast::input::MAX_SCENARIO_BYTES)
                .map_err(bad_input)?;
            if tokencast::forecast::is_forecast_text(&text) {
                let f = tokencast::forecast::Forecast::load(&scenario, &[], None, None)
                    .map_err(forecast::forecast_error)?;
                let gates = file_gates(&scenario, &text, tokencast::gates::FileKind::Forecast)?;
                return print_stdout(&(explain_forecast::explain(&f) + &gates));
            }
            let catalog = prices::load_catalog(prices.as_deref())?;
            let s = Scenario::load_with_catalog(&scenario, &catalog).map_err(bad_input)?;
            let gates = file_gates(&scenario, &text, tokencast::gates::FileKind::Task)?;
            print_stdout(&(explain::explain(&s) + &gates))
        }
        Command::Prices(args) => print_stdout(&prices::render(&args)?),
        Command::Forecast(args) => forecast::run(args),
        Command::Sweep(args) => forecast::sweep(args),
        Command::Compare(args) => print_stdout(&compare::run(args)?),
        Command::Check(args) => check::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Track(args) => track::run(args),
        Command::Merge(args) => merge::run(args),
    }
}

fn run(args: RunArgs) -> Result<(), Failure> {
    expect_file(
        &args.scenario,
        takes::TASK,
        "tokencast run",
        "a task scenario",
    )?;
    let catalog = prices::load_catalog(args.prices.as_deref())?;
    let scenario = Scenario::load_with_catalog(&args.scenario, &catalog).map_err(bad_input)?;
    let precision = match args.precision {
        Some(p) if !(p > 0.0 && p < 1.0) => {
            return Err(bad_input(anyhow::anyhow!(
                "--precision: expected a relative precision between 0 and 1 (e.g. 0.01 for 1%), found {p}"
            )));
        }
        Some(p) => Some(engine::PrecisionTarget { relative: p }),
        None => None,
    };
    let charts = if args.no_charts {
        report::run_files::Charts::Skip
    } else {
        report::run_files::Charts::Draw
    };
    let default_trials = match precision {
        Some(_) => PRECISION_MAX_TRIALS,
        None => scenario.default_trials(),
    };
    let config = RunConfig {
        trials: args.trials.unwrap_or(default_trials),
        seed: args.seed.unwrap_or_else(|| scenario.default_seed()),
        threads: args.threads.map(|t| t as usize),
    };
    check_run_work(config.trials, &scenario)?;
    let threads = engine::worker_threads(config.threads, config.trials.div_ceil(CHUNK_TRIALS));
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| default_out_dir(&args.scenario));
    if let Some(text) = &args.shard {
        let shard = shard::from_arg(text)?;
        if args.per_trial {
            return Err(bad_input(anyhow::anyhow!(
                "--per-trial cannot be sharded (trials.csv is one file written in trial order); drop --per-trial, or run without --shard"
            )));
        }
        if precision.is_some() {
            return Err(bad_input(anyhow::anyhow!(
                "--precision cannot be sharded (where it stops depends on every trial before); give --trials instead (e.g. the trial count a --precision run reported)"
            )));
        }
        return merge::run_shard(&args, &scenario, &config, shard, &out_dir, threads);
    }
    // Locked, cleaned of a killed run's leftovers and writable before a long run starts.
    let run_dir = open_run_dir(&out_dir)?;

    let show_progress = !args.quiet && io::stderr().is_terminal() && config.trials >= 200_000;
    let csv = if args.per_trial {
        let path = run_dir.staging().join("trials.csv");
        Some(
            TrialCsvWriter::create(&path, &scenario.workflow.model_names)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )
    } else {
        None
    };
    let mut observer = progress::CliObserver::new(show_progress, config.trials, csv);

    let clock = Instant::now();
    let (simulation, precision_note) = match precision {
        None => (
            tokencast::simulate_run(&scenario, &config, &mut observer),
            None,
        ),
        Some(target) => {
            let mut stop = engine::StopAtPrecision::new(target, &mut observer);
            let sim = tokencast::simulate_run(&scenario, &config, &mut stop);
            let note = match (&sim, stop.met_at) {
                (Ok(_), Some(point)) => format!(
                    "Precision {}% reached after {} trials (relative SE of the mean cost {:.3}%, relative half-width of the P95 interval {:.3}%).",
                    100.0 * target.relative,
                    point.trials,
                    100.0 * point.relative_se(),
                    100.0 * point.p95_relative_half_width()
                ),
                (Ok(sim), None) => {
                    let last = sim.result.convergence.last();
                    format!(
                        "Precision {}% NOT reached after {} trials (relative SE {:.3}%, P95 half-width {:.3}%); raise --trials.",
                        100.0 * target.relative,
                        sim.summary.trials,
                        100.0 * last.map_or(f64::NAN, |c| c.relative_se()),
                        100.0 * last.map_or(f64::NAN, |c| c.p95_relative_half_width())
                    )
                }
                (Err(_), _) => String::new(),
            };
            (sim, Some(note))
        }
    };
    let simulation = simulation.context("the run failed")?;
    let wall = clock.elapsed().as_secs_f64();
    let csv = observer.finish();

    if let Some(csv) = csv {
        csv.commit().context("cannot write trials.csv")?;
    }
    publish_run_outputs(
        RunOutputs {
            run_dir,
            out_dir: &out_dir,
            scenario_path: args.scenario.display().to_string(),
            scenario: &scenario,
            charts,
            precision_note,
            seed: config.seed,
            threads,
            wall,
        },
        &simulation,
        args.format,
    )
}

/// What a run (or the merge of its shards) publishes, beside its simulation.
pub(crate) struct RunOutputs<'a> {
    pub(crate) run_dir: RunDir,
    pub(crate) out_dir: &'a Path,
    pub(crate) scenario_path: String,
    pub(crate) scenario: &'a Scenario,
    pub(crate) charts: report::run_files::Charts,
    pub(crate) precision_note: Option<String>,
    pub(crate) seed: u64,
    pub(crate) threads: usize,
    pub(crate) wall: f64,
}

/// Publishes a run's directory and prints its summary.
pub(crate) fn publish_run_outputs(
    o: RunOutputs,
    simulation: &tokencast::Simulation,
    format: Format,
) -> Result<(), Failure> {
    let summary = &simulation.summary;
    let (out_dir, precision_note, threads, wall) = (o.out_dir, o.precision_note, o.threads, o.wall);
    let trials_run = summary.trials;
    let scenario = o.scenario;
    let published = report::run_files::publish_run(
        o.run_dir,
        &RunFiles {
            scenario_path: o.scenario_path,
            scenario_name: &scenario.name,
            scenario_text: &scenario.text,
            description: scenario.spec.scenario.description.as_deref().unwrap_or(""),
            summary,
            result: &simulation.result,
            prices: &scenario.price_table(),
            charts: o.charts,
            trials_note: precision_note.clone(),
            seed: o.seed,
            threads,
            wall_time_seconds: wall,
        },
    )
    .map_err(publish_failure)?;
    note_removed(out_dir, &published);

    match format {
        Format::Json => {
            if let Some(note) = &precision_note {
                warn(note);
            }
            print_stdout(&report::summary_json(summary))
        }
        Format::Table => {
            let mut text = report::render_table(summary);
            if let Some(note) = &precision_note {
                text.push_str(&format!("\n  {note}\n"));
            }
            text.push_str(&format!(
                "\n  {} trials in {:.2} s on {} thread(s); wrote {}\n",
                trials_run,
                wall,
                threads,
                out_dir.display()
            ));
            print_stdout(&text)
        }
    }
}

/// Opens an output directory for one run (locked, leftovers of a killed run removed); says
/// what it removed.
pub(crate) fn open_run_dir(dir: &Path) -> Result<RunDir, Failure> {
    let run_dir = RunDir::open(dir).map_err(dir_failure)?;
    if !run_dir.leftovers().is_empty() {
        warn(&format!(
            "note: removed what an interrupted run left in {}: {}",
            dir.display(),
            run_dir.leftovers().join(", ")
        ));
    }
    Ok(run_dir)
}

/// Says which files of the previous run were removed because this run did not write them.
pub(crate) fn note_removed(dir: &Path, published: &Published) {
    if !published.removed.is_empty() {
        warn(&format!(
            "note: removed {} of an earlier run in {} (this run did not write them)",
            published.removed.join(", "),
            dir.display()
        ));
    }
}

/// Exit code 2 for a path the user gave that cannot take the files, 1 otherwise.
pub(crate) fn dir_failure(e: RunDirError) -> Failure {
    Failure {
        code: if e.is_bad_input() { 2 } else { 1 },
        error: e.into(),
    }
}

pub(crate) fn publish_failure(e: PublishError) -> Failure {
    match e {
        PublishError::Dir(e) => dir_failure(e),
        e @ PublishError::Chart(_) => Failure {
            code: 1,
            error: e.into(),
        },
    }
}

/// The file's `[gates]`, checked, as `validate` lists them (empty when it has none).
fn file_gates(
    path: &Path,
    text: &str,
    kind: tokencast::gates::FileKind,
) -> Result<String, Failure> {
    let gates = tokencast::gates::gates_in_file(&path.display().to_string(), text, kind)
        .map_err(bad_input)?;
    if gates.is_empty() {
        return Ok(String::new());
    }
    let mut out = format!(
        "\nGates (`tokencast check {}` tests them):\n",
        path.display()
    );
    for g in &gates {
        out.push_str(&format!("  - {}\n", g.text));
    }
    Ok(out)
}

/// Dollars as people read them: `$0.2231` below $1, `$12.50` below $100, then whole dollars
/// with thousands separators (`$1,681,356`).
pub(crate) fn dollars(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v.abs() < 100.0 {
        let digits = if v.abs() < 1.0 { 4 } else { 2 };
        return format!("${v:.digits$}");
    }
    format!("${}", report::forecast::money(v))
}

/// Prints a line on stderr; a closed stderr is not worth failing for.
pub fn warn(text: &str) {
    let _ = writeln!(io::stderr(), "{text}");
}

fn default_out_dir(scenario: &Path) -> PathBuf {
    let stem = scenario
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    PathBuf::from("output").join(stem)
}

/// Prints to stdout; a closed pipe (e.g. `| head`) is not an error.
fn print_stdout(text: &str) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(anyhow::Error::new(e)
            .context("cannot write to stdout")
            .into()),
        Ok(()) => Ok(()),
    }
}

/// Refuses a run whose trials × average steps per trial pass
/// [`tokencast::workflow::MAX_RUN_STEPS`], before any work.
fn check_run_work(trials: u64, scenario: &Scenario) -> Result<(), Failure> {
    // A routing comparison runs each task once more on each routed workflow.
    let runs = 1 + scenario.routing.as_ref().map_or(0, |r| r.variants.len());
    let steps = scenario.work.steps * runs as f64;
    let work = trials as f64 * steps;
    if work <= tokencast::workflow::MAX_RUN_STEPS {
        return Ok(());
    }
    Err(bad_input(anyhow::anyhow!(
        "{}: expected at most {} steps in one run (about a day on two cores), found about {} ({} trials × about {} steps per task); lower --trials, or use --precision to stop when the mean is known well enough",
        scenario.origin,
        tokencast::text::about(tokencast::workflow::MAX_RUN_STEPS),
        tokencast::text::about(work),
        tokencast::text::thousands(trials as f64),
        tokencast::text::about(steps),
    )))
}
