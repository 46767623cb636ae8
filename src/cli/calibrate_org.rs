//! `tokencast calibrate-org ACTIVITY -o FORECAST --task NAME=SCENARIO`: fit the organisation
//! (seats curve, active share, tasks per active user per working day, their dispersion and the
//! spread of users' intensity) to per-user, per-day activity and write a runnable forecast file,
//! every estimate commented with its standard error and where it came from.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, anyhow};
use serde::Serialize;

use super::{Failure, bad_input, note_removed, open_run_dir, print_stdout, warn};
use tokencast::calibrate::org::{self, Activity, DatedTask, Estimate, SeatsFit, UsageFit};
use tokencast::calibrate::org_backtest::{MonthScore, Scores, quantile_sorted, run_rate};
use tokencast::calibrate::{self, ColumnMap, Logs};
use tokencast::report::forecast::money;
use tokencast::report::{self, Manifest};
use tokencast::text::thousands;

#[derive(Debug, clap::Args)]
pub struct CalibrateOrgArgs {
    /// Activity: a CSV with `date` and `user` columns (one row per task, or per user and day
    /// with a `tasks` column; an optional `kind` column weighs the task mix), or agent logs
    /// whose records name their user (OpenTelemetry spans with `user.id` or `enduser.id`).
    #[arg(required = true)]
    activity: Vec<PathBuf>,
    /// Seats held each month, a CSV `month,seats` (the licence roster); default: the users
    /// seen so far (a lower bound that lags new seats by their first active month).
    #[arg(long)]
    seats: Option<PathBuf>,
    /// A task kind of the mix, `NAME=SCENARIO` (repeat for several; with several, the
    /// activity's `kind` column gives their weights).
    #[arg(long = "task", required = true, value_name = "NAME=SCENARIO")]
    tasks: Vec<String>,
    /// Months the written forecast covers, from the month after the history.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(u32).range(1..=120))]
    months: u32,
    /// The forecast file to write.
    #[arg(long, short = 'o')]
    out: PathBuf,
    /// Directory of the fit's report (default: output/calibrate-org-<forecast file stem>).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Back-test against these actual monthly bills (a CSV `month,cost`, or a FOCUS export
    /// whose `BilledCost` is summed per month, covering every month of the activity): fit on all but the last `--holdout-months`, forecast those, and score
    /// the forecast and two baselines (run rate, bootstrap of past months) against the actuals.
    #[arg(long, value_name = "ACTUALS")]
    backtest: Option<PathBuf>,
    /// Months held out of the fit for the back-test.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=60))]
    holdout_months: u32,
    /// Trials of the back-test's forecast.
    #[arg(long, default_value_t = 4_000, value_parser = clap::value_parser!(u64).range(100..=200_000))]
    backtest_trials: u64,
}

/// `fit.json`: what was read, what was fitted.
#[derive(Debug, Serialize)]
struct FitReport {
    activity: Vec<String>,
    seats_source: String,
    history: History,
    usage: UsageFit,
    seats: SeatsFit,
    mix: Vec<MixEntry>,
    forecast: ForecastOut,
    #[serde(skip_serializing_if = "Option::is_none")]
    backtest: Option<Backtest>,
}

/// The back-test: fitted on the first months, scored on the rest.
#[derive(Debug, Serialize)]
struct Backtest {
    actuals: String,
    fit_months: usize,
    holdout_months: usize,
    trials: u64,
    method: &'static str,
    months: Vec<BacktestMonth>,
    forecast: Scores,
    run_rate: Scores,
    bootstrap: Scores,
}

#[derive(Debug, Serialize)]
struct BacktestMonth {
    month: String,
    actual: f64,
    forecast: MonthScore,
    run_rate: MonthScore,
    bootstrap: MonthScore,
    #[serde(skip)]
    quartiles: (f64, f64),
}

const BACKTEST_METHOD: &str = "the organisation fitted on the months before the held-out ones \
(the same fit as the forecast file's), its forecast of the held-out months run with the task \
scenarios of the mix, and each month's actual bill scored: inside P10-P90 and P5-P95, CRPS \
(continuous ranked probability score, lower is better, in dollars) and the pinball loss averaged \
over the levels 5% to 95%; the baselines from the fitted months' actual bills alone: a \
least-squares straight line extended with its normal prediction interval (run rate), and their \
empirical distribution (bootstrap of past months)";

#[derive(Debug, Serialize)]
struct History {
    first_date: String,
    last_date: String,
    weekend_tasks: u64,
    months: Vec<HistoryMonth>,
}

#[derive(Debug, Serialize)]
struct HistoryMonth {
    month: String,
    working_days: u32,
    seats: u64,
    active_users: u64,
    tasks: u64,
}

#[derive(Debug, Serialize)]
struct MixEntry {
    name: String,
    scenario: String,
    tasks: Option<u64>,
    weight: f64,
}

#[derive(Debug, Serialize)]
struct ForecastOut {
    path: String,
    start: String,
    months: u32,
}

pub fn run(args: CalibrateOrgArgs) -> Result<(), Failure> {
    report::check_output_file(&args.out).map_err(bad_input)?;
    let mix = parse_tasks(&args.tasks)?;
    let activity = read_activity(&args.activity)?;
    let names: Vec<String> = args
        .activity
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let (seats, seats_source) = match &args.seats {
        Some(path) => {
            let text = tokencast::input::read_text(path, tokencast::input::MAX_LOG_BYTES)
                .map_err(bad_input)?;
            let seats = org::read_seats(&path.display().to_string(), &text, &activity)
                .map_err(|m| bad_input(anyhow!(m)))?;
            (seats, path.display().to_string())
        }
        None => {
            warn(
                "note: no --seats: the seats are the users seen so far, so the active share is \
                 measured against them (an upper bound: seats nobody used are not seen); give \
                 the licence roster with --seats month,seats",
            );
            (
                activity.users_so_far(),
                "the users seen so far (no --seats)".to_string(),
            )
        }
    };
    let weights = mix_weights(&mix, &activity)?;
    // The back-test's bills are input too: refused before any fit or trial.
    let bills = match &args.backtest {
        Some(path) => Some((path.clone(), read_bills(path, &activity)?)),
        None => None,
    };
    let usage = org::fit_usage(&activity, &seats).map_err(|m| bad_input(anyhow!(m)))?;
    let seats_fit = org::fit_seats(&seats);
    let n = activity.months.len();
    let start = activity.month(n);
    let stem = args
        .out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "organisation".into());
    let report_dir = args
        .report
        .clone()
        .unwrap_or_else(|| PathBuf::from("output").join(format!("calibrate-org-{stem}")));
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    let out_dir = args
        .out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut entries = Vec::new();
    for ((name, scenario), (tasks, weight)) in mix.iter().zip(&weights) {
        entries.push(MixEntry {
            name: name.clone(),
            scenario: relative_path(scenario, out_dir),
            tasks: *tasks,
            weight: *weight,
        });
    }
    let actives = activity.active_users();
    let tasks = activity.tasks();
    let history = History {
        first_date: activity.first_date.clone(),
        last_date: activity.last_date.clone(),
        weekend_tasks: activity.weekend_tasks(),
        months: (0..n)
            .map(|i| HistoryMonth {
                month: activity.month(i).to_string(),
                working_days: activity.month(i).weekdays(),
                seats: seats[i],
                active_users: actives[i],
                tasks: tasks[i],
            })
            .collect(),
    };
    let mut fit = FitReport {
        activity: names,
        seats_source,
        history,
        usage,
        seats: seats_fit,
        mix: entries,
        forecast: ForecastOut {
            path: args.out.display().to_string(),
            start: start.to_string(),
            months: args.months,
        },
        backtest: None,
    };
    let text = forecast_text(&fit, &stem);
    // The file must load: a fit this command writes and cannot run is its own failure.
    load_fitted(&args.out.display().to_string(), &stem, out_dir, &text)?;

    if let Some((path, bills)) = &bills {
        fit.backtest = Some(backtest(
            &args,
            (path, bills),
            &activity,
            &seats,
            &fit.mix,
            out_dir,
            &stem,
        )?);
    }

    let clock = std::time::Instant::now();
    let run_dir = open_run_dir(&report_dir)?;
    report::write_atomic(&args.out, text.as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    let json = serde_json::to_string_pretty(&fit).context("cannot serialise the report")?;
    run_dir.stage_file("fit.json", json.as_bytes())?;
    let mut files = vec!["fit.json".to_string()];
    if let Some(bt) = &fit.backtest {
        run_dir.stage_file("backtest.csv", backtest_csv(bt).as_bytes())?;
        files.push("backtest.csv".into());
        files.extend(
            report::charts::write_chart(run_dir.staging(), &backtest_chart(bt, &stem))
                .map_err(|e| anyhow!("cannot draw the back-test chart: {e}"))?,
        );
    }
    files.push("manifest.json".into());
    let mut manifest = Manifest {
        tool: "tokencast",
        version: env!("CARGO_PKG_VERSION"),
        scenario_path: args.out.display().to_string(),
        scenario_name: stem,
        scenario_sha256: report::sha256_hex(&text),
        scenario_text: text.clone(),
        seed: 0,
        trials: 0,
        threads: 1,
        started_at: report::iso8601_utc(run_dir.started()),
        wall_time_seconds: clock.elapsed().as_secs_f64(),
        files,
    };
    let published = run_dir.publish(&mut manifest)?;
    note_removed(&report_dir, &published);
    print_stdout(&render(&fit, &report_dir))
}

/// `NAME=SCENARIO` pairs, names unique, scenarios existing.
fn parse_tasks(flags: &[String]) -> Result<Vec<(String, PathBuf)>, Failure> {
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for flag in flags {
        let Some((name, path)) = flag.split_once('=') else {
            return Err(bad_input(anyhow!(
                "--task: expected NAME=SCENARIO (e.g. --task \"bug fix=scenarios/reference-coding-task.toml\"), found \"{flag}\""
            )));
        };
        let (name, path) = (name.trim(), PathBuf::from(path.trim()));
        if name.is_empty() {
            return Err(bad_input(anyhow!(
                "--task: the name before `=` is empty in \"{flag}\""
            )));
        }
        if out.iter().any(|(n, _)| n == name) {
            return Err(bad_input(anyhow!(
                "--task: the name \"{name}\" is given twice"
            )));
        }
        if !path.is_file() {
            return Err(bad_input(anyhow!(
                "--task {name}: the scenario {} is not a file (write one with `tokencast calibrate LOGS -o SCENARIO`, or name a bundled one such as scenarios/reference-coding-task.toml)",
                path.display()
            )));
        }
        out.push((name.to_string(), path));
    }
    Ok(out)
}

/// Each kind's tasks and weight: from the `kind` column, or the single kind.
fn mix_weights(
    mix: &[(String, PathBuf)],
    activity: &Activity,
) -> Result<Vec<(Option<u64>, f64)>, Failure> {
    if activity.kinds.is_empty() {
        if mix.len() > 1 {
            return Err(bad_input(anyhow!(
                "--task is given {} times but the activity has no `kind` column to weigh them: \
                 add a `kind` column naming each row's task kind, or give one --task",
                mix.len()
            )));
        }
        return Ok(vec![(None, 1.0)]);
    }
    let names: Vec<&str> = mix.iter().map(|(n, _)| n.as_str()).collect();
    let unknown: Vec<&String> = activity
        .kinds
        .keys()
        .filter(|k| !names.contains(&k.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(bad_input(anyhow!(
            "the activity's `kind` column names {} that no --task names; give each kind its \
             scenario with --task \"KIND=SCENARIO\"",
            unknown
                .iter()
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let total: u64 = activity.kinds.values().sum();
    if total == 0 {
        return Err(bad_input(anyhow!("the activity logs no task of any kind")));
    }
    Ok(mix
        .iter()
        .map(|(n, _)| {
            let t = activity.kinds.get(n).copied().unwrap_or(0);
            (Some(t), t as f64 / total as f64)
        })
        .collect())
}

/// Reads activity CSVs (merged) or agent logs with their users.
fn read_activity(paths: &[PathBuf]) -> Result<Activity, Failure> {
    let mut csv_rows = String::new();
    let mut logs = Vec::new();
    let mut header: Option<String> = None;
    for path in paths {
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if !is_csv {
            logs.push(path.as_path());
            continue;
        }
        let text = tokencast::input::read_text(path, tokencast::input::MAX_LOG_BYTES)
            .map_err(bad_input)?;
        let first = text.lines().next().unwrap_or("").to_ascii_lowercase();
        let cols: Vec<&str> = first.split(',').map(str::trim).collect();
        if !(cols.contains(&"date") && cols.contains(&"user")) {
            // A per-call CSV of the calibrate kind: read as logs.
            logs.push(path.as_path());
            continue;
        }
        let name = path.display().to_string();
        // Each file is checked on its own (lines are its own), then merged.
        Activity::from_csv(&name, &text).map_err(|m| bad_input(anyhow!(m)))?;
        match &header {
            None => {
                header = Some(first.clone());
                csv_rows.push_str(&text);
            }
            Some(h) if *h == first => {
                csv_rows.push('\n');
                csv_rows.push_str(text.split_once('\n').map_or("", |(_, rest)| rest));
            }
            Some(h) => {
                return Err(bad_input(anyhow!(
                    "{name}:1: expected the same columns as the first activity file ({h}), found {first}"
                )));
            }
        }
    }
    let mut dated = Vec::new();
    if !logs.is_empty() {
        let (imported, report) =
            calibrate::import_logs(&logs, None, &ColumnMap::default()).map_err(bad_input)?;
        for line in report.malformed.iter().take(20) {
            warn(&format!("skipped {line}"));
        }
        let Logs::Calls(calls) = imported else {
            return Err(bad_input(anyhow!(
                "per-task totals carry no user or date: give the activity as a CSV with `date` \
                 and `user` columns"
            )));
        };
        let mut tasks: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
        for c in calls {
            let e = tasks.entry(c.task).or_default();
            if e.0.is_none() {
                e.0 = c.user;
            }
            if let Some(t) = c.timestamp
                && e.1.as_ref().is_none_or(|w| t < *w)
            {
                e.1 = Some(t);
            }
        }
        let missing = tasks
            .values()
            .filter(|(u, w)| u.is_none() || w.is_none())
            .count();
        if missing > 0 {
            return Err(bad_input(anyhow!(
                "{missing} of the logs' {} tasks name no user or no time (only OpenTelemetry \
                 spans with `user.id` or `enduser.id` name their user); give the activity as a \
                 CSV with `date`, `user` and `tasks` columns (an admin console's usage export)",
                tasks.len()
            )));
        }
        for (_, (user, when)) in tasks {
            if let (Some(user), Some(when)) = (user, when) {
                dated.push(DatedTask { user, when });
            }
        }
    }
    match (header.is_some(), dated.is_empty()) {
        (true, true) => Activity::from_csv("activity", &csv_rows),
        (false, false) => Activity::from_tasks(&dated),
        (false, true) => Err("no activity: the files hold no task".to_string()),
        (true, false) => {
            Err("give the activity either as CSV files or as agent logs, not both".to_string())
        }
    }
    .map_err(|m| bad_input(anyhow!(m)))
}

/// `target` relative to `base` (both made absolute), for the forecast's `scenario = "..."`.
fn relative_path(target: &Path, base: &Path) -> String {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (t, b) = (abs(target), abs(base));
    let tc: Vec<Component> = t.components().collect();
    let bc: Vec<Component> = b.components().collect();
    let common = tc.iter().zip(&bc).take_while(|(x, y)| x == y).count();
    // Nothing in common but the root: the absolute path reads better than a climb to it.
    if common <= 1 {
        return t.display().to_string();
    }
    let mut out = PathBuf::new();
    for _ in common..bc.len() {
        out.push("..");
    }
    for c in &tc[common..] {
        out.push(c.as_os_str());
    }
    out.display().to_string().replace('\\', "/")
}

/// A number in at most 6 significant digits, as TOML.
fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return "0".into();
    }
    let digits = (5 - v.abs().log10().floor() as i32).clamp(0, 12) as usize;
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s.contains('.') || s.contains('e') {
        s
    } else {
        format!("{s}.0")
    }
}

/// `v ± se` for people: the SE to two significant digits, the estimate to the same place.
fn pm(e: &Estimate) -> String {
    if !e.se.is_finite() || e.se <= 0.0 {
        return format!("{} (standard error not available)", num(e.value));
    }
    let places = (1 - e.se.log10().floor() as i32).clamp(0, 10) as usize;
    if places == 0 {
        return format!("{} ± {}", thousands(e.value), thousands(e.se));
    }
    format!("{:.places$} ± {:.places$}", e.value, e.se)
}

/// An uncertain positive input: log-normal, median the estimate, sigma SE/estimate.
fn positive(e: &Estimate) -> String {
    if !e.se.is_finite() || e.se <= 0.0 || e.se < 1e-6 * e.value {
        return num(e.value);
    }
    format!(
        "{{ lognormal = {{ median = {}, sigma = {} }} }}",
        num(e.value),
        num(e.se / e.value)
    )
}

/// An uncertain input on a range: PERT over ±√7 SE (its SD is the SE), clipped to `[lo, hi]`.
fn bounded(e: &Estimate, lo: f64, hi: f64) -> String {
    if !e.se.is_finite() || e.se <= 0.0 {
        return num(e.value);
    }
    let half = 7f64.sqrt() * e.se;
    format!(
        "{{ pert = {{ min = {}, mode = {}, max = {} }} }}",
        num((e.value - half).max(lo)),
        num(e.value),
        num((e.value + half).min(hi))
    )
}

fn forecast_text(fit: &FitReport, stem: &str) -> String {
    let h = &fit.history;
    let n = h.months.len();
    let total_tasks: u64 = h.months.iter().map(|m| m.tasks).sum();
    let first = &h.months[0].month;
    let last = &h.months[n - 1].month;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Fitted by `tokencast calibrate-org` from {} ({} to {}: {n} month{}, {} tasks).",
        fit.activity.join(", "),
        h.first_date,
        h.last_date,
        if n == 1 { "" } else { "s" },
        thousands(total_tasks as f64),
    );
    let _ = writeln!(t, "# Seats: {}.", fit.seats_source);
    t.push_str(
        "# Each estimate is written with its standard error (SE). An input with an SE is uncertain:\n\
         # it is drawn once per forecast trial (log-normal with the estimate as median and SE/estimate\n\
         # as sigma; a share or a month as PERT over ±√7 SE, whose SD is the SE), so the forecast's\n\
         # bands carry the fit's own uncertainty. The fit and its method: docs/guide/calibrate.md.\n\n",
    );
    t.push_str("[forecast]\n");
    let _ = writeln!(t, "name = \"{}\"", stem.replace('"', "'"));
    let _ = writeln!(
        t,
        "description = \"The organisation fitted to {n} months of activity ({first} to {last}), forecast from {}.\"",
        fit.forecast.start
    );
    let _ = writeln!(t, "start = \"{}\"", fit.forecast.start);
    let _ = writeln!(t, "months = {}", fit.forecast.months);
    t.push_str("trials = 10000\nseed = 1\ncurrency = \"USD\"\n\n[seats]\n");
    match &fit.seats {
        SeatsFit::Logistic {
            capacity,
            midpoint,
            rate,
            residual_sd,
        } => {
            // The forecast counts months from its own first month, n months after the history's.
            let shifted = Estimate {
                value: midpoint.value - n as f64,
                se: midpoint.se,
            };
            let _ = writeln!(
                t,
                "# A logistic S-curve fitted by least squares to the {n} months' seats (residual SD\n\
                 # {residual_sd:.1} seats): capacity {} seats, midpoint month {} of the history\n\
                 # ({:.2} counted from the forecast's first month), rate {} a month.",
                pm(capacity),
                pm(midpoint),
                shifted.value,
                pm(rate),
            );
            let _ = writeln!(
                t,
                "logistic = {{ capacity = {}, midpoint = {}, rate = {} }}\n",
                positive(capacity),
                bounded(&shifted, -1e4, 1e4),
                positive(rate)
            );
        }
        SeatsFit::Flat { seats, reason } => {
            let _ = writeln!(
                t,
                "# No curve fitted ({reason}): the last month's {} seats, held flat.",
                thousands(*seats as f64)
            );
            let _ = writeln!(t, "table = [{{ month = 1, seats = {seats} }}]\n");
        }
    }
    let u = &fit.usage;
    t.push_str("[usage]\n");
    let _ = writeln!(
        t,
        "# Maximum likelihood over {} seat-months, {} of them with a task.",
        thousands(u.seat_months as f64),
        thousands(u.user_months as f64)
    );
    let _ = writeln!(t, "# active share: {}", pm(&u.active_share));
    let _ = writeln!(t, "active_share = {}", bounded(&u.active_share, 0.0, 1.0));
    let _ = writeln!(
        t,
        "# tasks per active user per working day: {}",
        pm(&u.tasks_per_day)
    );
    let _ = writeln!(t, "tasks_per_day = {}", positive(&u.tasks_per_day));
    match &u.dispersion {
        Some(k) => {
            let _ = writeln!(
                t,
                "# dispersion of a user's daily count (variance = mean + mean²/dispersion): {}",
                pm(k)
            );
            let _ = writeln!(t, "dispersion = {}", positive(k));
        }
        None => t.push_str("# dispersion: above 10,000, i.e. Poisson days (omitted)\n"),
    }
    match &u.intensity_sigma {
        Some(s) => {
            let _ = writeln!(
                t,
                "# spread of users' monthly intensity (log-sd): {}",
                pm(s)
            );
            let _ = writeln!(t, "intensity_sigma = {}", positive(s));
        }
        None => t.push_str("# spread of users' intensity: below 0.005, none (omitted)\n"),
    }
    t.push_str("\n[calendar]\nworking_days = \"weekdays\"\n");
    if h.weekend_tasks > 0 {
        let _ = writeln!(
            t,
            "# {} of the history's tasks were on weekends; they are counted in their month's total.",
            thousands(h.weekend_tasks as f64)
        );
    }
    for m in &fit.mix {
        t.push_str("\n[[tasks]]\n");
        let _ = writeln!(t, "name = \"{}\"", m.name.replace('"', "'"));
        let _ = writeln!(t, "scenario = \"{}\"", m.scenario.replace('"', "\\\""));
        match m.tasks {
            Some(n) => {
                let _ = writeln!(
                    t,
                    "weight = {}  # {} of the history's tasks",
                    num(m.weight),
                    thousands(n as f64)
                );
            }
            None => t.push_str("weight = 1.0\n"),
        }
    }
    t
}

fn render(fit: &FitReport, report_dir: &Path) -> String {
    let h = &fit.history;
    let u = &fit.usage;
    let mut s = String::new();
    let total: u64 = h.months.iter().map(|m| m.tasks).sum();
    let _ = writeln!(
        s,
        "organisation fitted to {} month{} ({} to {}), {} tasks; seats: {}",
        h.months.len(),
        if h.months.len() == 1 { "" } else { "s" },
        h.first_date,
        h.last_date,
        thousands(total as f64),
        fit.seats_source
    );
    let _ = writeln!(s, "  {:<42} {}", "active share", pm(&u.active_share));
    let _ = writeln!(
        s,
        "  {:<42} {}",
        "tasks per active user per working day",
        pm(&u.tasks_per_day)
    );
    let _ = writeln!(
        s,
        "  {:<42} {}",
        "dispersion of a user's daily count",
        u.dispersion.as_ref().map_or("Poisson".into(), pm)
    );
    let _ = writeln!(
        s,
        "  {:<42} {}",
        "spread of users' intensity (log-sd)",
        u.intensity_sigma.as_ref().map_or("none".into(), pm)
    );
    match &fit.seats {
        SeatsFit::Logistic {
            capacity,
            midpoint,
            rate,
            ..
        } => {
            let _ = writeln!(
                s,
                "  {:<42} capacity {}, midpoint month {}, rate {} a month",
                "seats (logistic)",
                pm(capacity),
                pm(midpoint),
                pm(rate)
            );
        }
        SeatsFit::Flat { seats, reason } => {
            let _ = writeln!(
                s,
                "  {:<42} {} held flat ({reason})",
                "seats",
                thousands(*seats as f64)
            );
        }
    }
    if h.weekend_tasks > 0 {
        let _ = writeln!(
            s,
            "  {} tasks were on weekends (counted in their month; the forecast models working days)",
            thousands(h.weekend_tasks as f64)
        );
    }
    if let Some(bt) = &fit.backtest {
        render_backtest(&mut s, bt);
    }
    let _ = writeln!(
        s,
        "wrote {} (from {}, {} months); report in {}",
        fit.forecast.path,
        fit.forecast.start,
        fit.forecast.months,
        report_dir.display()
    );
    s
}

/// Reads one bill per month of `activity`: `month,cost` rows, or a FOCUS export's
/// `BilledCost` summed per `ChargePeriodStart` month (the reader `track --actuals` uses; months
/// outside the activity are left out).
fn read_bills(path: &Path, activity: &Activity) -> Result<Vec<f64>, Failure> {
    use tokencast::forecast::monthly_costs::{Outside, read_monthly_costs};
    let name = path.display().to_string();
    let text =
        tokencast::input::read_text(path, tokencast::input::MAX_LOG_BYTES).map_err(bad_input)?;
    let n = activity.months.len();
    let read = read_monthly_costs(&name, &text, activity.start, n, Outside::Skip)
        .map_err(|m| bad_input(anyhow!(m)))?;
    read.sums
        .into_iter()
        .enumerate()
        .map(|(i, b)| match b {
            Some(b) if b >= 0.0 => Ok(b),
            Some(b) => Err(bad_input(anyhow!(
                "{name}: BilledCost: expected the bill of {} to be at least 0, found its rows summing to {b}",
                activity.month(i)
            ))),
            None => Err(bad_input(anyhow!(
                "{name}: month: expected the bill of every month of the activity ({} to {}), found none for {}",
                activity.start,
                activity.month(n - 1),
                activity.month(i)
            ))),
        })
        .collect()
}

/// Fits on all but the last `--holdout-months`, forecasts them, and scores it and the baselines.
fn backtest(
    args: &CalibrateOrgArgs,
    (path, bills): (&Path, &[f64]),
    activity: &Activity,
    seats: &[u64],
    mix: &[MixEntry],
    out_dir: &Path,
    stem: &str,
) -> Result<Backtest, Failure> {
    let n = activity.months.len();
    let h = args.holdout_months as usize;
    if n < h + 3 {
        return Err(bad_input(anyhow!(
            "--holdout-months {h}: the history has {n} months; a back-test needs at least 3 to fit \
             on before the {h} held out (give fewer held-out months or a longer history)"
        )));
    }
    let k = n - h;
    let mut head = activity.clone();
    head.months.truncate(k);
    let head_tasks = head.tasks();
    let head_active = head.active_users();
    let usage = org::fit_usage(&head, &seats[..k]).map_err(|m| bad_input(anyhow!(m)))?;
    let fit = FitReport {
        activity: vec![format!("the first {k} months of the activity")],
        seats_source: "as the full fit's".into(),
        history: History {
            first_date: activity.first_date.clone(),
            last_date: activity.month(k - 1).to_string(),
            weekend_tasks: 0,
            months: (0..k)
                .map(|i| HistoryMonth {
                    month: activity.month(i).to_string(),
                    working_days: activity.month(i).weekdays(),
                    seats: seats[i],
                    active_users: head_active[i],
                    tasks: head_tasks[i],
                })
                .collect(),
        },
        usage,
        seats: org::fit_seats(&seats[..k]),
        mix: mix
            .iter()
            .map(|m| MixEntry {
                name: m.name.clone(),
                scenario: m.scenario.clone(),
                tasks: m.tasks,
                weight: m.weight,
            })
            .collect(),
        forecast: ForecastOut {
            path: String::new(),
            start: activity.month(k).to_string(),
            months: h as u32,
        },
        backtest: None,
    };
    let text = forecast_text(&fit, stem);
    let f = load_fitted(
        &format!("{} (back-test)", args.out.display()),
        stem,
        out_dir,
        &text,
    )?;
    let config = tokencast::forecast::ForecastConfig {
        trials: args.backtest_trials,
        seed: 1,
        threads: None,
        record: tokencast::forecast::Record::EveryTrial,
    };
    let run = tokencast::forecast::simulate::run(&f.model, &config)
        .map_err(|e| anyhow!("the back-test's forecast failed: {e}"))?;
    let trials = run.bill.len() / run.months.max(1);
    let rate = run_rate(&bills[..k], h);
    let mut months = Vec::with_capacity(h);
    for j in 0..h {
        let y = bills[k + j];
        let mut sample: Vec<f64> = (0..trials).map(|t| run.bill[t * run.months + j]).collect();
        let forecast = MonthScore::of_sample(&mut sample, y);
        let quartiles = (
            quantile_sorted(&sample, 0.25),
            quantile_sorted(&sample, 0.75),
        );
        let mut past = bills[..k].to_vec();
        months.push(BacktestMonth {
            month: activity.month(k + j).to_string(),
            actual: y,
            forecast,
            run_rate: MonthScore::of_normal(rate[j].0, rate[j].1, y),
            bootstrap: MonthScore::of_sample(&mut past, y),
            quartiles,
        });
    }
    let scores = |pick: fn(&BacktestMonth) -> MonthScore| {
        Scores::of(
            &months
                .iter()
                .map(|m| (pick(m), m.actual))
                .collect::<Vec<_>>(),
        )
    };
    Ok(Backtest {
        actuals: path.display().to_string(),
        fit_months: k,
        holdout_months: h,
        trials: trials as u64,
        method: BACKTEST_METHOD,
        forecast: scores(|m| m.forecast),
        run_rate: scores(|m| m.run_rate),
        bootstrap: scores(|m| m.bootstrap),
        months,
    })
}

fn backtest_csv(bt: &Backtest) -> String {
    let mut s = String::from(
        "month,actual_usd,forecaster,p5_usd,p10_usd,p50_usd,p90_usd,p95_usd,in_p10_p90,in_p5_p95,crps_usd,pinball_usd\n",
    );
    for m in &bt.months {
        for (name, sc) in [
            ("forecast", &m.forecast),
            ("run_rate", &m.run_rate),
            ("bootstrap", &m.bootstrap),
        ] {
            let (a, b) = sc.covers(m.actual);
            let _ = writeln!(
                s,
                "{},{:.2},{name},{:.2},{:.2},{:.2},{:.2},{:.2},{a},{b},{:.2},{:.2}",
                m.month, m.actual, sc.p5, sc.p10, sc.p50, sc.p90, sc.p95, sc.crps, sc.pinball
            );
        }
    }
    s
}

fn backtest_chart(bt: &Backtest, stem: &str) -> report::charts::FanChart {
    use report::charts::{FanChart, FanLine, FanPeriod, Unit};
    FanChart {
        stem: "backtest_fan".into(),
        title: format!(
            "{stem}: the forecast fitted on {} months (P5–P95, P25–P75, median) against the {} held out",
            bt.fit_months, bt.holdout_months
        ),
        y_description: "Monthly bill".into(),
        unit: Unit::Usd,
        x_description: "Month".into(),
        periods: bt
            .months
            .iter()
            .map(|m| FanPeriod {
                label: m.month.clone(),
                p5: m.forecast.p5,
                p25: m.quartiles.0,
                p50: m.forecast.p50,
                p75: m.quartiles.1,
                p95: m.forecast.p95,
            })
            .collect(),
        budget: Vec::new(),
        lines: vec![
            FanLine {
                name: "actual".into(),
                values: bt.months.iter().map(|m| m.actual).collect(),
                dashed: false,
                colour: 1,
            },
            FanLine {
                name: "run rate (straight line)".into(),
                values: bt.months.iter().map(|m| m.run_rate.p50).collect(),
                dashed: true,
                colour: 2,
            },
            FanLine {
                name: "bootstrap of past months (median)".into(),
                values: bt.months.iter().map(|m| m.bootstrap.p50).collect(),
                dashed: true,
                // Reddish purple: the palette's sky blue is too close to the fan's median.
                colour: 4,
            },
        ],
    }
}

fn render_backtest(s: &mut String, bt: &Backtest) {
    let _ = writeln!(
        s,
        "\nback-test: fitted on the first {} months, {} held out, against {} ({} trials)",
        bt.fit_months,
        bt.holdout_months,
        bt.actuals,
        thousands(bt.trials as f64)
    );
    let _ = writeln!(
        s,
        "  {:<9} {:>12} {:>12} {:>12} {:>12} {:>12}",
        "month", "actual", "forecast P50", "P10", "P90", "run rate"
    );
    for m in &bt.months {
        let _ = writeln!(
            s,
            "  {:<9} {:>12} {:>12} {:>12} {:>12} {:>12}",
            m.month,
            money(m.actual),
            money(m.forecast.p50),
            money(m.forecast.p10),
            money(m.forecast.p90),
            money(m.run_rate.p50)
        );
    }
    let _ = writeln!(
        s,
        "  {:<34} {:>10} {:>10} {:>12} {:>12}",
        "", "in P10-P90", "in P5-P95", "CRPS", "pinball"
    );
    for (name, sc) in [
        ("forecast", &bt.forecast),
        ("run rate (straight line)", &bt.run_rate),
        ("bootstrap of past months", &bt.bootstrap),
    ] {
        let _ = writeln!(
            s,
            "  {:<34} {:>9.0}% {:>9.0}% {:>12} {:>12}",
            name,
            100.0 * sc.coverage_80,
            100.0 * sc.coverage_90,
            money(sc.crps),
            money(sc.pinball)
        );
    }
}

/// Compiles a forecast this command wrote; one that does not load is a runtime failure.
fn load_fitted(
    origin: &str,
    stem: &str,
    dir: &Path,
    text: &str,
) -> Result<tokencast::forecast::Forecast, Failure> {
    tokencast::forecast::Forecast::from_text(origin, stem, dir, text, &[], None, None).map_err(
        |e| Failure {
            code: 1,
            error: anyhow!("the fitted forecast ({origin}) does not load: {e}"),
        },
    )
}
