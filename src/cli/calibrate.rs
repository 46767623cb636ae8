//! `tokencast calibrate LOGS... -o SCENARIO`: fit a scenario to usage logs, write it, and
//! back-test it on the tasks held out of the fit.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::ValueEnum;

use super::{Failure, bad_input, note_removed, open_run_dir, print_stdout, warn};
use tokencast::calibrate::{
    self, CalibrateError, CalibrateOptions, Calibration, ColumnMap, FittedModel, LogFormat, Prices,
    Quantity,
};
use tokencast::engine::RunConfig;
use tokencast::report::{
    self, Manifest,
    charts::{self, CdfOverlay, CdfSeries, QqChart, Scale, Unit},
};

/// Malformed lines printed on stderr before the rest are left to calibration.json.
const SHOWN_MALFORMED: usize = 20;

/// The format of the log files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// By content (JSON logs: the agent whose records they hold) and CSV header (a `calls`
    /// column: per task).
    Auto,
    /// Claude Code session transcripts (JSONL).
    ClaudeCode,
    /// CSV, one row per call.
    CallsCsv,
    /// CSV, one row per task.
    TasksCsv,
    /// Codex CLI session rollouts (JSONL).
    Codex,
    /// Gemini CLI chat recordings (JSON).
    Gemini,
    /// OpenHands evaluation output, trajectories or metrics (JSON or JSONL).
    Openhands,
    /// OpenTelemetry GenAI spans as OTLP JSON.
    Otlp,
}

#[derive(Debug, clap::Args)]
pub struct CalibrateArgs {
    /// Usage log files (Claude Code, Codex CLI, Gemini CLI, OpenHands, OTLP JSON spans,
    /// per-call CSV or per-task CSV).
    #[arg(required = true)]
    logs: Vec<PathBuf>,
    /// The scenario file to write.
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Format of the logs.
    #[arg(long, value_enum, default_value_t = FormatArg::Auto)]
    format: FormatArg,
    /// CSV column mapping, `field=header,...`; fields: task, timestamp, model, input, output,
    /// cache_read, cache_write, cost, success, calls.
    #[arg(long)]
    columns: Option<String>,
    /// Prices of a model, `MODEL=input,output,cache_write,cache_read` in USD per million tokens
    /// (repeat for several models; default: recovered from the logs' cost column, else the
    /// price catalog's list rates).
    #[arg(long = "price")]
    prices: Vec<String>,
    /// Price file added to the bundled catalog (TOML catalog or LiteLLM JSON; see `prices`),
    /// consulted for models with neither --price nor a logged cost.
    #[arg(long = "prices", value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// Share of tasks held out of the fit for the back-test (0 to below 1).
    #[arg(long, default_value_t = 0.3)]
    holdout: f64,
    /// Seed of the held-out split (a hash of seed and task id decides each task's side).
    #[arg(long, default_value_t = 1)]
    split_seed: u64,
    /// Trials of the back-test simulation.
    #[arg(long, short = 'n', default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    trials: u64,
    /// Seed of the back-test simulation.
    #[arg(long, short = 's', default_value_t = 1)]
    seed: u64,
    /// Worker threads of the simulation (results do not depend on it).
    #[arg(long, short = 't', value_parser = clap::value_parser!(u64).range(1..=1024))]
    threads: Option<u64>,
    /// Directory of the calibration report (default: output/calibrate-<scenario file stem>).
    #[arg(long)]
    report: Option<PathBuf>,
    /// The harness's step limit per task (per-task totals: written as `[limits] max_calls`;
    /// default: the most calls of a fitted task).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    task_step_limit: Option<u64>,
    /// The harness's spend limit per task in USD (per-task totals: written as `[limits]
    /// max_cost_usd`; default: the highest cost of a fitted task).
    #[arg(long, value_name = "USD")]
    task_cost_limit: Option<f64>,
}

/// Largest `--task-cost-limit`: $1,000,000 per task (an agent's task cap is dollars).
const MAX_TASK_COST_LIMIT: f64 = 1e6;

pub fn run(args: CalibrateArgs) -> Result<(), Failure> {
    if !(0.0..1.0).contains(&args.holdout) {
        return Err(bad_input(anyhow::anyhow!(
            "--holdout: expected a share from 0 to below 1, found {}",
            args.holdout
        )));
    }
    if let Some(c) = args.task_cost_limit
        && !(c.is_finite() && c > 0.0 && c <= MAX_TASK_COST_LIMIT)
    {
        return Err(bad_input(anyhow::anyhow!(
            "--task-cost-limit: expected a spend limit per task in USD above 0 and at most {MAX_TASK_COST_LIMIT:.0}, found {c}; e.g. --task-cost-limit 3"
        )));
    }
    for log in &args.logs {
        super::expect_file(log, super::takes::LOG, "tokencast calibrate", "usage logs")?;
    }
    // Before any work: the scenario file replaces only a regular file (or nothing).
    report::check_output_file(&args.out).map_err(bad_input)?;
    let columns = match &args.columns {
        Some(text) => {
            ColumnMap::parse(text).map_err(|e| bad_input(anyhow::anyhow!("--columns: {e}")))?
        }
        None => ColumnMap::default(),
    };
    let mut prices = BTreeMap::new();
    for flag in &args.prices {
        let (model, p): (String, Prices) =
            Prices::parse_flag(flag).map_err(|e| bad_input(anyhow::anyhow!("--price: {e}")))?;
        prices.insert(model, p);
    }
    let stem = args
        .out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "calibrated".into());
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("calibrate-{stem}")));

    let format = match args.format {
        FormatArg::Auto => None,
        FormatArg::ClaudeCode => Some(LogFormat::ClaudeCode),
        FormatArg::CallsCsv => Some(LogFormat::CallsCsv),
        FormatArg::TasksCsv => Some(LogFormat::TasksCsv),
        FormatArg::Codex => Some(LogFormat::Codex),
        FormatArg::Gemini => Some(LogFormat::Gemini),
        FormatArg::Openhands => Some(LogFormat::Openhands),
        FormatArg::Otlp => Some(LogFormat::Otlp),
    };
    let paths: Vec<&Path> = args.logs.iter().map(PathBuf::as_path).collect();
    let (logs, import) = calibrate::import_logs(&paths, format, &columns).map_err(classify)?;
    for line in import.malformed.iter().take(SHOWN_MALFORMED) {
        warn(&format!("skipped {line}"));
    }
    // The rest are listed in calibration.json, which only a calibration that succeeds writes:
    // say where they are once it is written, and how many there were if it is not.
    let more_malformed = import.malformed.len().saturating_sub(SHOWN_MALFORMED);
    let options = CalibrateOptions {
        name: stem,
        holdout: args.holdout,
        split_seed: args.split_seed,
        run: RunConfig {
            trials: args.trials,
            seed: args.seed,
            threads: args.threads.map(|t| t as usize),
        },
        prices,
        catalog: Some(super::prices::load_catalog(args.catalog.as_deref())?),
        task_limits: calibrate::agent_loop::Caps {
            max_calls: args.task_step_limit,
            max_cost_usd: args.task_cost_limit,
        },
    };
    let result = calibrate::calibrate(logs, import, &options).map_err(|e| {
        if more_malformed > 0 {
            warn(&format!("skipped {more_malformed} more malformed lines"));
        }
        classify(e)
    })?;

    if (args.task_step_limit.is_some() || args.task_cost_limit.is_some())
        && !matches!(result.model, FittedModel::Totals(_))
    {
        warn(
            "--task-step-limit and --task-cost-limit set the caps of an agent loop fitted to per-task data (20 tasks or more); this calibration fits no such loop and does not use them",
        );
    }
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    let clock = std::time::Instant::now();
    let run_dir = open_run_dir(&report_dir)?;
    report::write_atomic(&args.out, result.scenario_text.as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let json = serde_json::to_string_pretty(&result).context("cannot serialise the report")?;
    run_dir.stage_file("calibration.json", json.as_bytes())?;
    let mut files = vec!["calibration.json".to_string(), "manifest.json".to_string()];
    if let Some(bt) = &result.backtest {
        let qq = QqChart {
            stem: "qq".into(),
            title: "Per-task cost quantiles: held-out logs vs fitted scenario".into(),
            x_description: "Held-out task cost".into(),
            y_description: "Simulated task cost".into(),
            unit: Unit::Usd,
            scale: Scale::Linear,
            points: bt.qq.clone(),
        };
        let cdf = CdfOverlay {
            stem: "backtest_cdf".into(),
            title: "Per-task cost: held-out logs vs fitted scenario".into(),
            x_description: "Cost per task".into(),
            unit: Unit::Usd,
            x_scale: Scale::Linear,
            y_description: "Share of trials at or below".into(),
            series: vec![
                CdfSeries {
                    name: format!("held-out logs ({} tasks)", bt.held_out.n),
                    points: bt.held_out_cdf.clone(),
                },
                CdfSeries {
                    name: format!("fitted scenario ({} trials)", bt.trials),
                    points: bt.simulated_cdf.clone(),
                },
            ],
        };
        files.extend(
            charts::write_chart(run_dir.staging(), &qq).context("cannot draw the QQ chart")?,
        );
        // A single held-out task has no curve to draw; the QQ chart still shows it.
        if bt.held_out_cdf.len() >= 2 {
            files.extend(
                charts::write_chart(run_dir.staging(), &cdf)
                    .context("cannot draw the CDF chart")?,
            );
        }
    }
    let mut manifest = Manifest {
        tool: "tokencast",
        version: env!("CARGO_PKG_VERSION"),
        scenario_path: args.out.display().to_string(),
        scenario_name: options.name.clone(),
        scenario_sha256: report::sha256_hex(&result.scenario_text),
        scenario_text: result.scenario_text.clone(),
        seed: args.seed,
        trials: args.trials,
        threads: tokencast::engine::worker_threads(
            options.run.threads,
            args.trials.div_ceil(tokencast::engine::CHUNK_TRIALS),
        ),
        started_at: report::iso8601_utc(run_dir.started()),
        wall_time_seconds: clock.elapsed().as_secs_f64(),
        files,
    };
    let published = run_dir.publish(&mut manifest)?;
    note_removed(&report_dir, &published);
    if more_malformed > 0 {
        warn(&format!(
            "skipped {more_malformed} more malformed lines (all listed in {})",
            report_dir.join("calibration.json").display()
        ));
    }
    print_stdout(&render(&result, &args.out, &report_dir))
}

fn classify(e: CalibrateError) -> Failure {
    match e {
        CalibrateError::Scenario(_) | CalibrateError::Engine(_) => Failure {
            code: 1,
            error: e.into(),
        },
        CalibrateError::Import(calibrate::ImportError::Io { .. }) => Failure {
            code: 2,
            error: e.into(),
        },
        _ => bad_input(e),
    }
}

fn quantity_row(out: &mut String, q: &Quantity) {
    let best = q.best();
    let params: Vec<String> = best
        .params
        .iter()
        .map(|p| {
            format!(
                "{} {} ± {}",
                p.name,
                calibrate::number(p.value),
                calibrate::number(p.se)
            )
        })
        .collect();
    let family = serde_json::to_value(best.fitted)
        .ok()
        .and_then(|v| v.get("family").and_then(|f| f.as_str().map(String::from)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {:<52} {:>7}  {:<17} {}  (KS {})",
        q.what,
        q.n,
        family,
        params.join(", "),
        calibrate::number(best.ks)
    );
}

fn render(c: &Calibration, out: &Path, report_dir: &Path) -> String {
    let mut s = String::new();
    let i = &c.import;
    let _ = writeln!(
        s,
        "read {} lines from {} file(s): {} records, {} malformed (skipped)",
        i.lines,
        i.files.len(),
        i.records,
        i.malformed.len()
    );
    for (why, n) in &i.set_aside {
        let _ = writeln!(s, "  set aside {n}: {why}");
    }
    for (what, n) in &i.assumed {
        let _ = writeln!(s, "  {n} records: {what}");
    }
    if i.sub_agent_calls > 0 {
        let _ = writeln!(
            s,
            "  {} of the records are sub-agents' calls, attributed to their parent's task",
            i.sub_agent_calls
        );
    }
    let _ = writeln!(
        s,
        "{} tasks fitted, {} held out for the back-test\n",
        c.fitted_tasks, c.held_out_tasks
    );
    if let FittedModel::Totals(f) = &c.model {
        super::calibrate_totals::render_fit(&mut s, f);
    } else {
        let _ = writeln!(
            s,
            "  {:<52} {:>7}  {:<17} estimates ± SE",
            "fitted (maximum likelihood, family by AIC)", "n", "family"
        );
    }
    let success = match &c.model {
        FittedModel::Totals(_) => None,
        FittedModel::Calls(f) => {
            quantity_row(&mut s, &f.first_prompt);
            for m in &f.models {
                quantity_row(&mut s, &m.repeat);
                quantity_row(&mut s, &m.output);
                if let Some(r) = &m.reasoning {
                    quantity_row(&mut s, r);
                }
            }
            quantity_row(&mut s, &f.tool);
            let _ = writeln!(
                s,
                "  cache-read share of prompt tokens: {}%",
                calibrate::number(f.cache_read_share * 100.0)
            );
            if f.cache_write_1h_share > 0.0 {
                let _ = writeln!(
                    s,
                    "  1-hour share of cache-write tokens: {}%",
                    calibrate::number(f.cache_write_1h_share * 100.0)
                );
            }
            if let Some(sub) = &f.sub_agents {
                quantity_row(&mut s, &sub.runs_per_task);
                let _ = writeln!(s, "  sub-agent runs ({}):", sub.runs);
                quantity_row(&mut s, &sub.run.first_prompt);
                for m in &sub.run.models {
                    quantity_row(&mut s, &m.repeat);
                    quantity_row(&mut s, &m.output);
                }
                quantity_row(&mut s, &sub.run.tool);
            }
            f.success
        }
        FittedModel::Tasks(f) => {
            quantity_row(&mut s, &f.prompt);
            quantity_row(&mut s, &f.output);
            if let Some(calls) = &f.calls {
                quantity_row(&mut s, calls);
            }
            f.success
        }
    };
    if let Some(r) = success {
        let _ = writeln!(
            s,
            "  success rate: {} ± {} ({} of {})",
            calibrate::number(r.rate),
            calibrate::number(r.se),
            r.successes,
            r.known
        );
    }
    match &c.backtest {
        Some(bt) => {
            super::calibrate_totals::backtest_table(&mut s, bt, "per-task cost (USD)", 5);
            let _ = writeln!(
                s,
                "  KS distance {:.4} (asymptotic p-value {:.3}); charts: {} and backtest_cdf.png",
                bt.ks_distance,
                bt.ks_p_value,
                report_dir.join("qq.png").display()
            );
        }
        None => {
            let _ = writeln!(
                s,
                "\nback-test: no task was held out (--holdout 0 or too few tasks)"
            );
        }
    }
    if let Some(bt) = &c.calls_backtest {
        super::calibrate_totals::render_calls_backtest(&mut s, bt);
    }
    let _ = writeln!(
        s,
        "\nwrote {} and {}",
        out.display(),
        report_dir.join("calibration.json").display()
    );
    s
}
