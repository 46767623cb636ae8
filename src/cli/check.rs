//! `tokencast check`: spend gates for CI and cron. Runs a task scenario or a forecast, reads
//! each gate's statistic with its confidence interval, runs more trials while a verdict is
//! unsettled, and exits 0 (every gate holds), 3 (a gate fails or stays undecided) or 2 (bad
//! input).

use std::path::PathBuf;

use anyhow::anyhow;
use serde::Serialize;

use tokencast::engine::{RunConfig, Silent};
use tokencast::forecast::{self, Forecast, ForecastConfig};
use tokencast::gates::{
    self, FileKind, Gate, MAX_GATES, Reading, Statistic, Target, Verdict, z_for_looks,
};
use tokencast::scenario::Scenario;

use super::{Failure, Format, bad_input, dollars as money, prices, print_stdout};

/// Exit code of a check whose gates do not all hold.
pub const GATE_FAILED: i32 = 3;

/// Most trials a check runs on a task scenario, and on a forecast.
const MAX_TASK_TRIALS: u64 = 100_000_000;
const MAX_FORECAST_TRIALS: u64 = 10_000_000;

/// `tokencast check` arguments.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The task scenario or forecast file (TOML); its `[gates] require = [...]` are checked
    /// with those given here.
    pub file: PathBuf,
    /// A gate that must hold, e.g. 'p95(cost_usd) <= 2.00', 'success_rate >= 90%',
    /// 'p_over_budget(2028) <= 10%', 'p90(2028-03, seat_plan) <= 80K' (repeatable).
    #[arg(long = "gate", visible_alias = "max", value_name = "GATE")]
    pub gates: Vec<String>,
    /// Trials of the first look (default: the file's trials).
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u64).range(1..=MAX_TASK_TRIALS))]
    pub trials: Option<u64>,
    /// Most trials to run while a verdict is undecided (default: 16 × the first look; the
    /// trials are quadrupled at each look).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_TASK_TRIALS))]
    pub max_trials: Option<u64>,
    /// Seed (default: the file's seed, else 1).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 't', value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// What an undecided gate counts as once the trials are spent.
    #[arg(long, value_enum, default_value_t = Undecided::Fail)]
    pub undecided: Undecided,
    /// Price file whose models task scenarios may name with `catalog = "..."`.
    #[arg(long)]
    pub prices: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `--undecided`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Undecided {
    /// An undecided gate fails the check (exit 3).
    Fail,
    /// An undecided gate does not fail the check.
    Pass,
}

/// One gate's outcome.
#[derive(Debug, Serialize)]
struct GateOutcome {
    gate: String,
    statistic: String,
    comparison: &'static str,
    threshold: f64,
    #[serde(flatten)]
    reading: Reading,
    verdict: Verdict,
}

/// What `check --format json` prints.
#[derive(Debug, Serialize)]
struct CheckReport {
    file: String,
    kind: &'static str,
    seed: u64,
    looks: u32,
    confidence: String,
    z: f64,
    trials: u64,
    undecided: Undecided,
    passed: bool,
    gates: Vec<GateOutcome>,
}

/// The trials of each look: `first`, then ×4 up to `max` (the last look is `max` itself).
fn schedule(first: u64, max: u64) -> Vec<u64> {
    let mut looks = vec![first.min(max)];
    while *looks.last().expect("one look") < max {
        let next = looks.last().expect("one look").saturating_mul(4).min(max);
        looks.push(next);
    }
    looks
}

enum Loaded {
    Task(Box<Scenario>),
    Forecast(Box<Forecast>),
}

pub(super) fn run(args: CheckArgs) -> Result<(), Failure> {
    super::expect_file(
        &args.file,
        super::takes::TASK_OR_FORECAST,
        "tokencast check",
        "a task scenario or a forecast",
    )?;
    let file = args.file.display().to_string();
    let text = tokencast::input::read_text(&args.file, tokencast::input::MAX_SCENARIO_BYTES)
        .map_err(bad_input)?;
    let kind = if forecast::is_forecast_text(&text) {
        FileKind::Forecast
    } else {
        FileKind::Task
    };
    let loaded = match kind {
        FileKind::Forecast => Loaded::Forecast(Box::new(
            Forecast::load(&args.file, &[], args.seed, args.threads.map(|t| t as usize))
                .map_err(super::forecast::forecast_error)?,
        )),
        FileKind::Task => {
            let catalog = prices::load_catalog(args.prices.as_deref())?;
            Loaded::Task(Box::new(
                Scenario::load_with_catalog(&args.file, &catalog).map_err(bad_input)?,
            ))
        }
    };
    let mut gates: Vec<Gate> = gates::gates_in_file(&file, &text, kind).map_err(bad_input)?;
    for g in &args.gates {
        gates.push(gates::parse_gate(g, kind).map_err(|e| bad_input(anyhow!("--gate: {e}")))?);
    }
    if gates.is_empty() {
        return Err(bad_input(anyhow!(
            "{file}: no gates to check: give --gate 'p95(cost_usd) <= 2.00' (or, for a forecast, \
             --gate 'p_over_budget(2028) <= 10%'), or list them in the file's [gates] require = [...]"
        )));
    }
    if gates.len() > MAX_GATES {
        return Err(bad_input(anyhow!(
            "at most {MAX_GATES} gates in one check; found {}",
            gates.len()
        )));
    }
    let (default_trials, default_seed, cap) = match &loaded {
        Loaded::Task(s) => (s.default_trials(), s.default_seed(), MAX_TASK_TRIALS),
        Loaded::Forecast(f) => (f.default_trials(), f.default_seed(), MAX_FORECAST_TRIALS),
    };
    let first = args.trials.unwrap_or(default_trials).min(cap);
    let max = args
        .max_trials
        .unwrap_or_else(|| first.saturating_mul(16))
        .clamp(first, cap);
    let seed = args.seed.unwrap_or(default_seed);
    let threads = args.threads.map(|t| t as usize);
    let looks = schedule(first, max);
    let z = z_for_looks(looks.len() as u32);

    // Resolve every gate against the file before any long run: a forecast gate naming a month
    // or scheme the file lacks is bad input, found on a one-trial run.
    evaluate_all(&loaded, &gates, 1, seed, threads, z)?;

    let mut outcomes = Vec::new();
    let mut trials = 0;
    for &n in &looks {
        trials = n;
        outcomes = evaluate_all(&loaded, &gates, n, seed, threads, z)?;
        // Settled: nothing undecided, or a gate fails outright (more trials cannot pass it).
        if outcomes.iter().all(|o| o.verdict != Verdict::Undecided)
            || outcomes.iter().any(|o| o.verdict == Verdict::Fails)
        {
            break;
        }
    }
    let looks_made = looks.iter().position(|&n| n == trials).map_or(1, |i| i + 1) as u32;
    let passed = outcomes.iter().all(|o| match o.verdict {
        Verdict::Holds => true,
        Verdict::Fails => false,
        Verdict::Undecided => args.undecided == Undecided::Pass,
    });
    let report = CheckReport {
        file: file.clone(),
        kind: match kind {
            FileKind::Task => "task scenario",
            FileKind::Forecast => "forecast",
        },
        seed,
        looks: looks.len() as u32,
        confidence: format!(
            "95% family-wise over up to {} look(s) (each at {:.2}%)",
            looks.len(),
            100.0 * (1.0 - 0.05 / looks.len() as f64)
        ),
        z,
        trials,
        undecided: args.undecided,
        passed,
        gates: outcomes,
    };
    match args.format {
        Format::Json => print_stdout(&format!(
            "{}\n",
            serde_json::to_string_pretty(&report).map_err(anyhow::Error::new)?
        ))?,
        Format::Table => print_stdout(&render(&report, &gates, looks_made))?,
    }
    if passed {
        Ok(())
    } else {
        let failed = report
            .gates
            .iter()
            .filter(|o| o.verdict != Verdict::Holds)
            .count();
        Err(Failure {
            code: GATE_FAILED,
            error: anyhow!(
                "{failed} of {} gate(s) of {file} did not hold",
                report.gates.len()
            ),
        })
    }
}

fn evaluate_all(
    loaded: &Loaded,
    gates: &[Gate],
    trials: u64,
    seed: u64,
    threads: Option<usize>,
    z: f64,
) -> Result<Vec<GateOutcome>, Failure> {
    let readings: Vec<Result<Reading, String>> = match loaded {
        Loaded::Task(scenario) => {
            let config = RunConfig {
                trials,
                seed,
                threads,
            };
            let sim = tokencast::simulate_run(scenario, &config, &mut Silent)
                .map_err(|e| Failure::from(anyhow::Error::new(e).context("the run failed")))?;
            gates
                .iter()
                .map(|g| gates::evaluate_run(g, &sim, z))
                .collect()
        }
        Loaded::Forecast(f) => {
            let config = ForecastConfig {
                trials,
                seed,
                threads,
                record: forecast::Record::FirstTrials,
            };
            let run = forecast::simulate::run(&f.model, &config)
                .map_err(|e| Failure::from(anyhow::Error::new(e).context("the forecast failed")))?;
            gates
                .iter()
                .map(|g| gates::evaluate_forecast(g, f, &run, z))
                .collect()
        }
    };
    gates
        .iter()
        .zip(readings)
        .map(|(g, r)| {
            let reading = r.map_err(|e| bad_input(anyhow!("gate `{}`: {e}", g.text)))?;
            Ok(GateOutcome {
                gate: g.text.clone(),
                statistic: g.statistic.label(),
                comparison: g.comparison.symbol(),
                threshold: g.threshold,
                verdict: Verdict::of(&reading, g.comparison, g.threshold),
                reading,
            })
        })
        .collect()
}

/// How a gate's values read: a probability in percent, money in dollars, a count.
fn formatter(gate: &Gate) -> fn(f64) -> String {
    match (&gate.target, gate.statistic) {
        (_, Statistic::POverBudget | Statistic::SuccessRate) => |v| format!("{:.1}%", 100.0 * v),
        (_, Statistic::CostPerSuccess) => money,
        (Target::Metric(m), _) if m == "cost_usd" => money,
        (Target::Metric(_), _) => count,
        _ => money,
    }
}

fn count(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v.fract() == 0.0 || v.abs() >= 1000.0 {
        tokencast::report::forecast::money(v.round())
    } else {
        format!("{v:.2}")
    }
}

fn render(report: &CheckReport, gates: &[Gate], looks_made: u32) -> String {
    let mut rows: Vec<[String; 4]> = vec![[
        "gate".into(),
        "value".into(),
        "95% interval".into(),
        "verdict".into(),
    ]];
    for (o, g) in report.gates.iter().zip(gates) {
        let f = formatter(g);
        rows.push([
            o.gate.clone(),
            f(o.reading.value),
            match o.reading.interval {
                Some((lo, hi)) => format!("{} to {}", f(lo), f(hi)),
                None => "exact for these trials".into(),
            },
            match o.verdict {
                Verdict::Holds => "holds".into(),
                Verdict::Fails => "FAILS".into(),
                Verdict::Undecided => "undecided".into(),
            },
        ]);
    }
    let widths: Vec<usize> = (0..4)
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let unit = if report.kind == "forecast" {
        "forecast trials (possible futures)"
    } else {
        "tasks"
    };
    let mut out = format!(
        "{} ({}): {} simulated {unit}, seed {}, {} look(s) of at most {}\n\n",
        report.file,
        report.kind,
        tokencast::report::forecast::money(report.trials as f64),
        report.seed,
        looks_made,
        report.looks,
    );
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&format!(
            "  {:<w0$}  {:>w1$}  {:<w2$}  {}\n",
            r[0],
            r[1],
            r[2],
            r[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
        if i == 0 {
            out.push('\n');
        }
    }
    let undecided = report
        .gates
        .iter()
        .filter(|o| o.verdict == Verdict::Undecided)
        .count();
    out.push_str(&format!(
        "\n  Intervals are {}; a gate holds or fails only when its whole interval is on one side.\n",
        report.confidence
    ));
    if undecided > 0 {
        out.push_str(&format!(
            "  {undecided} gate(s) undecided after {} {unit}: raise --max-trials, or move the threshold away from the value; --undecided {} counts them as {}.\n",
            tokencast::report::forecast::money(report.trials as f64),
            match report.undecided {
                Undecided::Fail => "fail",
                Undecided::Pass => "pass",
            },
            match report.undecided {
                Undecided::Fail => "failing",
                Undecided::Pass => "passing",
            },
        ));
    }
    out.push_str(if report.passed {
        "  PASS: every gate holds.\n"
    } else {
        "  FAIL: not every gate holds (exit 3).\n"
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_quadruple_up_to_the_cap() {
        assert_eq!(schedule(1000, 16_000), vec![1000, 4000, 16_000]);
        assert_eq!(schedule(1000, 10_000), vec![1000, 4000, 10_000]);
        assert_eq!(schedule(1000, 1000), vec![1000]);
        assert_eq!(schedule(5000, 1000), vec![1000]);
    }
}
