//! `tokencast diff BASE HEAD`: what a change to a scenario or forecast does to its cost, on
//! common random numbers, as a table, JSON, or a markdown summary for a pull-request comment.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use serde::Serialize;

use tokencast::diff::{Change, MAX_DIFF_TRIALS, QuantityDiff, compare_quantity, file_changes};
use tokencast::engine::{Observer, RunConfig, TrialBlock};
use tokencast::forecast::{self, Forecast, ForecastConfig, Record};
use tokencast::scenario::Scenario;

use super::{Failure, bad_input, prices, print_stdout};

/// Most forecast trials a diff runs (every trial's monthly bills are kept).
const MAX_FORECAST_DIFF_TRIALS: u64 = 50_000;
/// Default trials when neither the command line nor a file is more modest.
const DEFAULT_TASK_DIFF_TRIALS: u64 = 100_000;
const DEFAULT_FORECAST_DIFF_TRIALS: u64 = 10_000;

/// `tokencast diff` arguments.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The file before the change (a task scenario or a forecast).
    pub base: PathBuf,
    /// The file after the change (the same kind as BASE).
    pub head: PathBuf,
    /// Trials of each run (default: the base file's, at most 100,000 for task scenarios and
    /// 10,000 for forecasts).
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u64).range(1..=MAX_DIFF_TRIALS))]
    pub trials: Option<u64>,
    /// Seed shared by both runs (default: the base file's, else 1).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 't', value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = DiffFormat::Table)]
    pub format: DiffFormat,
    /// Also write the markdown summary to this file (for a pull-request comment).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Price file whose models task scenarios may name with `catalog = "..."`.
    #[arg(long)]
    pub prices: Option<PathBuf>,
}

/// `diff --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// A table for the terminal.
    Table,
    /// JSON.
    Json,
    /// Markdown, for a pull-request comment.
    Markdown,
}

/// What `diff --format json` prints.
#[derive(Debug, Serialize)]
struct DiffReport {
    base: String,
    head: String,
    kind: &'static str,
    trials: u64,
    seed: u64,
    pairing: &'static str,
    quantities: Vec<QuantityDiff>,
    changes: Vec<Change>,
    /// Task scenarios a forecast's `[[tasks]]` name, compared file by file.
    task_changes: Vec<TaskFileChanges>,
}

#[derive(Debug, Serialize)]
struct TaskFileChanges {
    task: String,
    base_file: String,
    head_file: String,
    changes: Vec<Change>,
}

const PAIRING: &str = "common random numbers: trial i of both runs draws from the stream of (seed, i); standard errors come from the paired differences";

/// Collects every trial's list-price cost, in trial order.
#[derive(Default)]
struct Costs(Vec<f64>);

impl Observer for Costs {
    fn wants_trials(&self) -> bool {
        true
    }
    fn trials(&mut self, block: &TrialBlock) -> Result<(), String> {
        if block.first != self.0.len() as u64 {
            return Err(format!(
                "trial rows arrived out of order (expected {}, got {})",
                self.0.len(),
                block.first
            ));
        }
        self.0.extend_from_slice(&block.cost);
        Ok(())
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    tokencast::input::read_text(path, tokencast::input::MAX_SCENARIO_BYTES).map_err(bad_input)
}

pub(super) fn run(args: DiffArgs) -> Result<(), Failure> {
    for file in [&args.base, &args.head] {
        super::expect_file(
            file,
            super::takes::TASK_OR_FORECAST,
            "tokencast diff",
            "two task scenarios or two forecasts",
        )?;
    }
    let (base_text, head_text) = (read(&args.base)?, read(&args.head)?);
    let base_is_forecast = forecast::is_forecast_text(&base_text);
    if base_is_forecast != forecast::is_forecast_text(&head_text) {
        let kind = |f: bool| if f { "a forecast" } else { "a task scenario" };
        return Err(bad_input(anyhow!(
            "{} is {} but {} is {}: diff compares two files of the same kind",
            args.base.display(),
            kind(base_is_forecast),
            args.head.display(),
            kind(!base_is_forecast)
        )));
    }
    let threads = args.threads.map(|t| t as usize);
    let mut report = if base_is_forecast {
        diff_forecasts(&args, threads)?
    } else {
        diff_tasks(&args, threads)?
    };
    report.changes = file_changes(&base_text, &head_text).map_err(|e| bad_input(anyhow!(e)))?;
    let markdown = render_markdown(&report);
    if let Some(path) = &args.markdown {
        tokencast::report::write_atomic(path, markdown.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    match args.format {
        DiffFormat::Json => print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).map_err(anyhow::Error::new)?
        )),
        DiffFormat::Markdown => print_stdout(&markdown),
        DiffFormat::Table => print_stdout(&render_table(&report)),
    }
}

fn diff_tasks(args: &DiffArgs, threads: Option<usize>) -> Result<DiffReport, Failure> {
    let catalog = prices::load_catalog(args.prices.as_deref())?;
    let base = Scenario::load_with_catalog(&args.base, &catalog).map_err(bad_input)?;
    let head = Scenario::load_with_catalog(&args.head, &catalog).map_err(bad_input)?;
    let trials = args
        .trials
        .unwrap_or_else(|| base.default_trials().min(DEFAULT_TASK_DIFF_TRIALS));
    let seed = args.seed.unwrap_or_else(|| base.default_seed());
    let config = RunConfig {
        trials,
        seed,
        threads,
    };
    let costs = |s: &Scenario| -> Result<Vec<f64>, Failure> {
        let mut c = Costs::default();
        tokencast::simulate_run(s, &config, &mut c)
            .map_err(|e| Failure::from(anyhow::Error::new(e).context("the run failed")))?;
        Ok(c.0)
    };
    let (b, h) = (costs(&base)?, costs(&head)?);
    Ok(DiffReport {
        base: args.base.display().to_string(),
        head: args.head.display().to_string(),
        kind: "task scenario",
        trials,
        seed,
        pairing: PAIRING,
        quantities: vec![compare_quantity("cost per task (USD)", &b, &h, seed)],
        changes: Vec::new(),
        task_changes: Vec::new(),
    })
}

fn diff_forecasts(args: &DiffArgs, threads: Option<usize>) -> Result<DiffReport, Failure> {
    let load = |p: &Path| {
        Forecast::load(p, &[], args.seed, threads).map_err(super::forecast::forecast_error)
    };
    let (base, head) = (load(&args.base)?, load(&args.head)?);
    let trials = args
        .trials
        .unwrap_or_else(|| base.default_trials().min(DEFAULT_FORECAST_DIFF_TRIALS));
    if trials > MAX_FORECAST_DIFF_TRIALS {
        return Err(bad_input(anyhow!(
            "--trials: a forecast diff keeps every trial's monthly bills and runs at most {MAX_FORECAST_DIFF_TRIALS} trials; found {trials}"
        )));
    }
    let seed = args.seed.unwrap_or_else(|| base.default_seed());
    let config = ForecastConfig {
        trials,
        seed,
        threads,
        record: Record::EveryTrial,
    };
    let run = |f: &Forecast| {
        forecast::simulate::run(&f.model, &config)
            .map_err(|e| Failure::from(anyhow::Error::new(e).context("the forecast failed")))
    };
    let (rb, rh) = (run(&base)?, run(&head)?);
    if rb.months != rh.months || base.spec.forecast.start != head.spec.forecast.start {
        return Err(bad_input(anyhow!(
            "the two forecasts cover different months ({} for {} months against {} for {}): diff compares the same months",
            base.spec.forecast.start,
            rb.months,
            head.spec.forecast.start,
            rh.months
        )));
    }
    let months = rb.months;
    let start = forecast::calendar::YearMonth::parse(&base.spec.forecast.start);
    let label =
        |m: usize| start.map_or(format!("month {}", m + 1), |s| s.plus(m as u32).to_string());
    let totals = |r: &forecast::ForecastRun, range: std::ops::Range<usize>| -> Vec<f64> {
        (0..r.trials as usize)
            .map(|t| {
                r.bill[t * months + range.start..t * months + range.end]
                    .iter()
                    .sum()
            })
            .collect()
    };
    let mut quantities = vec![compare_quantity(
        &format!(
            "bill over the horizon ({} to {})",
            label(0),
            label(months - 1)
        ),
        &totals(&rb, 0..months),
        &totals(&rh, 0..months),
        seed,
    )];
    for (y, range) in base.model.years().into_iter().enumerate() {
        quantities.push(compare_quantity(
            &format!(
                "bill of forecast year {} ({} to {})",
                y + 1,
                label(range.start),
                label(range.end - 1)
            ),
            &totals(&rb, range.clone()),
            &totals(&rh, range),
            seed,
        ));
    }
    // The task scenarios each [[tasks]] names: compared file by file, by position.
    let mut task_changes = Vec::new();
    for (i, (tb, th)) in base.spec.tasks.iter().zip(&head.spec.tasks).enumerate() {
        // Task scenarios only (a kind resampled from logs has no scenario file to compare).
        let (Some(sb), Some(sh)) = (&tb.scenario, &th.scenario) else {
            continue;
        };
        let (pb, ph) = (base.dir.join(sb), head.dir.join(sh));
        let read = |p: &Path| tokencast::input::read_text(p, tokencast::input::MAX_SCENARIO_BYTES);
        if let (Ok(b), Ok(h)) = (read(&pb), read(&ph)) {
            let changes = file_changes(&b, &h).map_err(|e| bad_input(anyhow!(e)))?;
            if !changes.is_empty() {
                task_changes.push(TaskFileChanges {
                    task: tb.name.clone().unwrap_or_else(|| format!("tasks[{i}]")),
                    base_file: pb.display().to_string(),
                    head_file: ph.display().to_string(),
                    changes,
                });
            }
        }
    }
    Ok(DiffReport {
        base: args.base.display().to_string(),
        head: args.head.display().to_string(),
        kind: "forecast",
        trials,
        seed,
        pairing: PAIRING,
        quantities,
        changes: Vec::new(),
        task_changes,
    })
}

/// Decimals that show a standard error to two significant digits (whole dollars from $100 up).
fn decimals_for(v: f64, se: f64) -> usize {
    if se > 0.0 && se.is_finite() {
        (1.0 - se.log10().floor()).clamp(0.0, 8.0) as usize
    } else if v.abs() < 1.0 {
        4
    } else if v.abs() < 100.0 {
        2
    } else {
        0
    }
}

/// `$1,234` or `$0.2231` at `decimals`, with a sign when `signed`.
fn amount(v: f64, decimals: usize, signed: bool) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    let sign = match (signed, v < 0.0) {
        (_, true) => "−",
        (true, false) => "+",
        (false, false) => "",
    };
    let body = if decimals == 0 {
        tokencast::report::forecast::money(v.abs().round())
    } else {
        format!("{:.decimals$}", v.abs())
    };
    format!("{sign}${body}")
}

/// A standard error at `decimals`; an exact 0 reads `0`.
fn se_text(se: f64, decimals: usize) -> String {
    if se == 0.0 {
        "0".into()
    } else {
        amount(se, decimals, false)
            .trim_start_matches('$')
            .to_string()
    }
}

fn with_se(v: f64, se: f64) -> String {
    let d = decimals_for(v, se);
    format!("{} ± {}", amount(v, d, false), se_text(se, d))
}

fn signed(v: f64) -> String {
    amount(v, decimals_for(v, 0.0), true)
}

fn change_text(s: &tokencast::diff::StatisticDiff) -> String {
    let rel = s
        .relative_change
        .map(|r| {
            format!(
                " ({}{:.1}%)",
                if r < 0.0 { "−" } else { "+" },
                100.0 * r.abs()
            )
        })
        .unwrap_or_default();
    let d = decimals_for(s.change.value, s.change.se);
    format!(
        "{} ± {}{rel}",
        amount(s.change.value, d, true),
        se_text(s.change.se, d)
    )
}

fn statistic_label(s: &str) -> String {
    match s {
        "mean" => "mean".into(),
        p => p.to_uppercase(),
    }
}

fn unit(report: &DiffReport) -> &'static str {
    if report.kind == "forecast" {
        "possible futures"
    } else {
        "tasks"
    }
}

fn render_table(report: &DiffReport) -> String {
    let mut out = format!(
        "{} → {} ({}): {} {} each, seed {}, on common random numbers\n",
        report.base,
        report.head,
        report.kind,
        tokencast::report::forecast::money(report.trials as f64),
        unit(report),
        report.seed
    );
    for q in &report.quantities {
        let rows: Vec<[String; 4]> = q
            .statistics
            .iter()
            .map(|s| {
                [
                    statistic_label(s.statistic),
                    with_se(s.base.value, s.base.se),
                    with_se(s.head.value, s.head.se),
                    change_text(s),
                ]
            })
            .collect();
        let w = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
        let (w1, w2) = (w(1).max(4), w(2).max(4));
        out.push_str(&format!(
            "\n  {}\n  {:<6}  {:>w1$}  {:>w2$}  change\n",
            q.quantity, "", "base", "head"
        ));
        for r in &rows {
            out.push_str(&format!(
                "  {:<6}  {:>w1$}  {:>w2$}  {}\n",
                r[0], r[1], r[2], r[3]
            ));
        }
        out.push_str(&format!(
            "  one trial's change: {}; the head costs more in {:.1}% of {}\n",
            q.difference_percentiles
                .iter()
                .map(|(n, v)| format!("{} {}", statistic_label(n), signed(*v)))
                .collect::<Vec<_>>()
                .join(", "),
            100.0 * q.share_head_costs_more,
            unit(report)
        ));
    }
    out.push_str(&changes_text(report));
    out
}

fn changes_text(report: &DiffReport) -> String {
    let mut out = String::new();
    let line = |c: &Change| {
        format!(
            "    {}: {} → {}\n",
            c.path,
            c.base.as_deref().unwrap_or("(not set)"),
            c.head.as_deref().unwrap_or("(not set)")
        )
    };
    out.push_str(&format!(
        "\n  what changed in the file ({} parameter(s))\n",
        report.changes.len()
    ));
    for c in &report.changes {
        out.push_str(&line(c));
    }
    for t in &report.task_changes {
        out.push_str(&format!(
            "  task {} ({} → {}, {} parameter(s))\n",
            t.task,
            t.base_file,
            t.head_file,
            t.changes.len()
        ));
        for c in &t.changes {
            out.push_str(&line(c));
        }
    }
    out
}

/// Markdown cells may not hold a pipe.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

fn render_markdown(report: &DiffReport) -> String {
    let mut out = format!(
        "### tokencast diff: `{}` → `{}`\n\n{} {} per file, seed {}, on common random numbers (trial *i* of both runs shares its random stream; ± is one standard error).\n",
        cell(&report.base),
        cell(&report.head),
        tokencast::report::forecast::money(report.trials as f64),
        unit(report),
        report.seed
    );
    for q in &report.quantities {
        out.push_str(&format!(
            "\n**{}**\n\n| | base | head | change |\n|---|---:|---:|---:|\n",
            cell(&q.quantity)
        ));
        for s in &q.statistics {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                statistic_label(s.statistic),
                with_se(s.base.value, s.base.se),
                with_se(s.head.value, s.head.se),
                change_text(s)
            ));
        }
        out.push_str(&format!(
            "\nThe head costs more in {:.1}% of {}.\n",
            100.0 * q.share_head_costs_more,
            unit(report)
        ));
    }
    let total = report.changes.len()
        + report
            .task_changes
            .iter()
            .map(|t| t.changes.len())
            .sum::<usize>();
    out.push_str(&format!(
        "\n<details><summary>What changed ({total} parameter(s))</summary>\n\n| parameter | base | head |\n|---|---|---|\n"
    ));
    let row = |prefix: &str, c: &Change| {
        format!(
            "| `{}{}` | {} | {} |\n",
            prefix,
            cell(&c.path),
            cell(c.base.as_deref().unwrap_or("(not set)")),
            cell(c.head.as_deref().unwrap_or("(not set)"))
        )
    };
    for c in &report.changes {
        out.push_str(&row("", c));
    }
    for t in &report.task_changes {
        for c in &t.changes {
            out.push_str(&row(&format!("{} › ", cell(&t.task)), c));
        }
    }
    out.push_str("\n</details>\n");
    out
}
