//! `tokencast forecast` and `tokencast sweep`: thin shells over `tokencast::forecast`.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use tokencast::forecast::{
    self, Forecast, ForecastConfig, ForecastError, ForecastSummary, Override,
};
use tokencast::report::{self, Manifest, RunDir};

use super::{
    Failure, Format, bad_input, default_out_dir, dir_failure, note_removed, open_run_dir,
    print_stdout,
};

/// Options shared by `forecast` and `sweep`.
#[derive(Debug, clap::Args)]
pub struct ForecastCommon {
    /// The forecast file (TOML with a [forecast] table).
    pub scenario: PathBuf,
    /// Forecast trials (default: [forecast] trials, else 10000).
    #[arg(long, short = 'n', value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub trials: Option<u64>,
    /// Seed (default: [forecast] seed, else 1).
    #[arg(long, short = 's')]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core). Results do not depend on it.
    #[arg(long, short = 't', value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Output directory (default: output/<file stem>).
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
    /// Override any value of the file: --set usage.active_share=0.8 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    #[arg(long, value_name = "K/N", help = super::shard::SHARD_HELP)]
    pub shard: Option<String>,
}

/// `tokencast forecast` arguments.
#[derive(Debug, clap::Args)]
pub struct ForecastArgs {
    #[command(flatten)]
    pub common: ForecastCommon,
    /// Also write the FOCUS 1.2 export for FinOps tools: focus.csv, the headline bill's mean
    /// (one bill per file: summing BilledCost gives the forecast's mean bill; commitments
    /// amortised into the usage they cover).
    #[arg(long)]
    pub focus: bool,
    /// With --focus: `all` also writes every other billing scheme's mean, each in a file of its
    /// own (focus-<scheme>.csv); `headline` (the default) the headline bill alone.
    #[arg(long, value_enum, default_value_t = FocusSchemesArg::Headline, value_name = "WHICH")]
    pub focus_schemes: FocusSchemesArg,
    /// With --focus: also write the headline bill's percentile splits, each in a file of its
    /// own (focus-p50.csv, focus-p90.csv, focus-p99.csv); repeat or separate with commas.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "STAT")]
    pub focus_statistic: Vec<FocusStatisticArg>,
    /// With --focus: the FOCUS version of the files, 1.2 (the default, what FinOps platforms
    /// validate today) or 1.3 (adds ServiceProviderName, HostProviderName, ContractId,
    /// ContractApplied).
    #[arg(long, value_enum, default_value_t = FocusVersionArg::V1_2, value_name = "VERSION")]
    pub focus_version: FocusVersionArg,
    /// Also run the sensitivity analysis (two extra forecasts per uncertain input): table,
    /// sensitivity.csv and the tornado chart.
    #[arg(long)]
    pub sensitivity: bool,
    /// Skip the stress cases of the file.
    #[arg(long)]
    pub no_stress: bool,
    /// The actual monthly spend so far: a CSV with `month` (YYYY-MM) and `cost` columns, or a
    /// FOCUS export (ChargePeriodStart, BilledCost). The report then shows each month against
    /// its band and the rest of the horizon forecast again from them (as `tokencast track`),
    /// and track.json, track.csv and the track chart are written beside the forecast.
    #[arg(long, value_name = "FILE")]
    pub actuals: Option<PathBuf>,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// `--focus-schemes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FocusSchemesArg {
    /// Every billing scheme.
    All,
    /// The headline bill alone.
    Headline,
}

/// `--focus-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FocusVersionArg {
    /// FOCUS 1.2.
    #[value(name = "1.2")]
    V1_2,
    /// FOCUS 1.3.
    #[value(name = "1.3")]
    V1_3,
}

impl From<FocusVersionArg> for report::focus::FocusVersion {
    fn from(a: FocusVersionArg) -> Self {
        match a {
            FocusVersionArg::V1_2 => report::focus::FocusVersion::V1_2,
            FocusVersionArg::V1_3 => report::focus::FocusVersion::V1_3,
        }
    }
}

/// `--focus-statistic`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FocusStatisticArg {
    /// The mean (focus.csv, always written).
    Mean,
    /// Median.
    P50,
    /// 90th percentile.
    P90,
    /// 99th percentile.
    P99,
}

impl From<FocusStatisticArg> for report::focus::FocusStatistic {
    fn from(a: FocusStatisticArg) -> Self {
        match a {
            FocusStatisticArg::Mean => report::focus::FocusStatistic::Mean,
            FocusStatisticArg::P50 => report::focus::FocusStatistic::P50,
            FocusStatisticArg::P90 => report::focus::FocusStatistic::P90,
            FocusStatisticArg::P99 => report::focus::FocusStatistic::P99,
        }
    }
}

impl From<FocusSchemesArg> for report::focus::FocusSchemes {
    fn from(a: FocusSchemesArg) -> Self {
        match a {
            FocusSchemesArg::All => report::focus::FocusSchemes::All,
            FocusSchemesArg::Headline => report::focus::FocusSchemes::Headline,
        }
    }
}

pub(super) fn forecast_error(e: ForecastError) -> Failure {
    bad_input(anyhow::Error::new(e))
}

impl ForecastCommon {
    pub(super) fn overrides(&self) -> Result<Vec<Override>, Failure> {
        self.set
            .iter()
            .map(|s| Override::parse(s).map_err(|e| bad_input(anyhow::Error::new(e))))
            .collect()
    }

    pub(super) fn load(&self, extra: &[Override]) -> Result<Forecast, Failure> {
        let mut sets = self.overrides()?;
        sets.extend_from_slice(extra);
        Forecast::load(&self.scenario, &sets, self.seed, self.threads()).map_err(forecast_error)
    }

    pub(super) fn threads(&self) -> Option<usize> {
        self.threads.map(|t| t as usize)
    }

    pub(super) fn config(&self, f: &Forecast) -> ForecastConfig {
        ForecastConfig {
            trials: self.trials.unwrap_or_else(|| f.default_trials()),
            seed: self.seed.unwrap_or_else(|| f.default_seed()),
            threads: self.threads(),
            record: forecast::Record::FirstTrials,
        }
    }

    pub(super) fn out_dir(&self) -> PathBuf {
        self.out
            .clone()
            .unwrap_or_else(|| default_out_dir(&self.scenario))
    }

    /// The output directory, locked for this run, its files staged inside it.
    pub(super) fn open_out_dir(&self) -> Result<(PathBuf, RunDir), Failure> {
        let dir = self.out_dir();
        let run_dir = open_run_dir(&dir)?;
        Ok((dir, run_dir))
    }

    /// The manifest of a forecast or a sweep of this file (`files` in listing order).
    fn manifest(
        &self,
        f: &Forecast,
        config: &ForecastConfig,
        run_dir: &RunDir,
        wall: f64,
        files: Vec<String>,
    ) -> Manifest {
        Manifest {
            tool: "tokencast",
            version: env!("CARGO_PKG_VERSION"),
            scenario_path: self.scenario.display().to_string(),
            scenario_name: f.name.clone(),
            scenario_sha256: report::sha256_hex(&f.text),
            scenario_text: f.text.clone(),
            seed: config.seed,
            trials: config.trials,
            threads: tokencast::engine::worker_threads(config.threads, config.trials.div_ceil(64)),
            started_at: report::iso8601_utc(run_dir.started()),
            wall_time_seconds: wall,
            files,
        }
    }
}

pub(super) fn run(args: ForecastArgs) -> Result<(), Failure> {
    if !args.focus
        && (args.focus_schemes != FocusSchemesArg::Headline
            || !args.focus_statistic.is_empty()
            || args.focus_version != FocusVersionArg::V1_2)
    {
        return Err(bad_input(anyhow::anyhow!(
            "--focus-schemes, --focus-statistic and --focus-version choose the FOCUS files, which only --focus \
             writes: add --focus"
        )));
    }
    super::expect_file(
        &args.common.scenario,
        super::takes::FORECAST,
        "tokencast forecast",
        "a forecast",
    )?;
    let clock = Instant::now();
    let f = args.common.load(&[])?;
    let mut config = args.common.config(&f);
    if let Some(text) = &args.common.shard {
        if args.actuals.is_some() {
            return Err(bad_input(anyhow::anyhow!(
                "--actuals with --shard: the actuals weigh every trial of the forecast in one \
                 process; run the shards without --actuals, or the forecast whole with it"
            )));
        }
        let shard = super::shard::from_arg(text)?;
        return super::forecast_shard::run_shard(&args, &f, &config, shard, clock);
    }
    let actuals = match &args.actuals {
        None => None,
        Some(path) => Some(read_actuals(path, &f, &mut config, args.common.trials)?),
    };
    run_with(&args, &f, &config, Runs::Simulate, actuals, clock)
}

/// The actual months of `--actuals`, read and checked before any trial runs; the run then keeps
/// every trial (at most [`super::track::MAX_TRACK_TRIALS`]) to weigh them against the actuals.
fn read_actuals(
    path: &std::path::Path,
    f: &Forecast,
    config: &mut ForecastConfig,
    trials_asked: Option<u64>,
) -> Result<Vec<forecast::track::Actual>, Failure> {
    let actuals = super::track::read_actuals(path, f)?;
    let most = super::track::MAX_TRACK_TRIALS;
    if config.trials > most {
        let (what, fix) = match trials_asked {
            Some(_) => ("-n", "ask for fewer"),
            None => ("the file's trials", "pass -n 20000"),
        };
        return Err(bad_input(anyhow::anyhow!(
            "{what} {}: expected at most {} trials with --actuals (every trial's months are kept \
             to weigh them against the actuals); {fix} (20,000 give percentiles to about 0.3%)",
            tokencast::text::thousands(config.trials as f64),
            tokencast::text::thousands(most as f64),
        )));
    }
    config.record = forecast::Record::EveryTrial;
    Ok(actuals)
}

/// Where a forecast's runs come from.
pub(super) enum Runs {
    /// Simulated here.
    Simulate,
    /// Merged from the shards of a sharded run: the forecast's, then each stress case's.
    Merged {
        /// The forecast's run.
        main: Box<forecast::simulate::ForecastRun>,
        /// Each stress case's run, in the file's order (empty with --no-stress).
        stress: Vec<forecast::simulate::ForecastRun>,
    },
}

/// Writes a forecast's outputs, its runs simulated or merged.
pub(super) fn run_with(
    args: &ForecastArgs,
    f: &Forecast,
    config: &ForecastConfig,
    runs: Runs,
    actuals: Option<Vec<forecast::track::Actual>>,
    clock: Instant,
) -> Result<(), Failure> {
    let (f, config) = (f, *config);
    let (out_dir, run_dir) = args.common.open_out_dir()?;
    let staging = run_dir.staging();
    let (run, mut stress_runs) = match runs {
        Runs::Simulate => (
            forecast::simulate::run(&f.model, &config).context("the forecast failed")?,
            None,
        ),
        Runs::Merged { main, stress } => (
            *main,
            Some(stress.into_iter().map(Some).collect::<Vec<_>>()),
        ),
    };
    let summary = ForecastSummary::new(f, &run);
    if let Some(h) = f.model.headcount
        && run.headcount_capped_trials > 0
    {
        eprintln!(
            "warning: {}",
            report::forecast_extras::headcount_note(
                h,
                run.headcount_capped_trials as f64 / run.trials as f64
            )
        );
    }
    let mut files = report::forecast::write_forecast(staging, &summary)
        .with_context(|| format!("cannot write into {}", out_dir.display()))?;
    let mut extra_text = String::new();
    let fan = report::forecast_extras::write_fan_chart(staging, &summary)
        .context("cannot draw the fan chart")?;
    files.extend(fan);
    if args.focus {
        let statistics: Vec<report::focus::FocusStatistic> =
            args.focus_statistic.iter().map(|&s| s.into()).collect();
        let written = report::focus::focus_files_of_version(
            f,
            &run,
            args.focus_schemes.into(),
            &statistics,
            args.focus_version.into(),
        );
        for st in &statistics {
            if !written.iter().any(|w| w.statistic == *st) {
                eprintln!(
                    "note: no FOCUS file for the headline's {}: its scheme (provisioned \
                     compute) keeps no per-trial split",
                    st.label()
                );
            }
        }
        for file in written {
            run_dir.stage_file(&file.name, file.text.as_bytes())?;
            files.push(file.name);
        }
    }
    let mut stress_rows = Vec::new();
    if !args.no_stress && !f.spec.stress.is_empty() {
        let rows = match stress_runs.as_mut() {
            None => forecast::stress::run_all(f, &run, &config),
            Some(runs) => forecast::stress::run_all_with(f, &run, &config, &mut |i, _| {
                Ok(runs[i].take().expect("one merged run per stress case"))
            }),
        }
        .map_err(|e| match e {
            forecast::stress::StressError::Load(e) => forecast_error(e),
            other => Failure::from(anyhow::Error::new(other).context("a stress case failed")),
        })?;
        for r in rows.iter().skip(1).filter(|r| r.capped()) {
            if let Some(h) = &r.headcount {
                eprintln!(
                    "warning: stress case `{}`: {}",
                    r.name,
                    report::forecast_extras::headcount_note(h.headcount, h.capped_trials.p)
                );
            }
        }
        extra_text.push_str("\n  stress cases (same seed: differences are not noise)\n");
        extra_text.push_str(&report::forecast_extras::stress_table(&rows));
        let mut json = serde_json::to_string_pretty(&rows).context("cannot serialise")?;
        json.push('\n');
        run_dir.stage_file("stress.json", json.as_bytes())?;
        run_dir.stage_file(
            "stress.csv",
            report::forecast_extras::stress_csv(&rows).as_bytes(),
        )?;
        files.extend(["stress.json".to_string(), "stress.csv".to_string()]);
        stress_rows = rows;
    }
    let track = actuals.map(|a| forecast::track::track(&f.name, &f.model, &run, &a));
    if let Some(t) = &track {
        extra_text.push('\n');
        extra_text.push_str(&report::track::render_table(t));
        for (name, text) in [
            ("track.json", report::track::to_json(t)),
            ("track.csv", report::track::to_csv(t)),
        ] {
            run_dir.stage_file(name, text.as_bytes())?;
            files.push(name.to_string());
        }
        files.extend(
            report::charts::write_chart(staging, &report::track::chart(t))
                .context("cannot draw the track chart")?,
        );
    }
    let mut sensitivity = None;
    if args.sensitivity {
        let s = forecast::sensitivity::analyse(f, &run, &config)
            .context("the sensitivity analysis failed")?;
        extra_text.push('\n');
        extra_text.push_str(&report::forecast_extras::sensitivity_table(&s));
        let mut json = serde_json::to_string_pretty(&s).context("cannot serialise")?;
        json.push('\n');
        run_dir.stage_file("sensitivity.json", json.as_bytes())?;
        run_dir.stage_file(
            "sensitivity.csv",
            report::forecast_extras::sensitivity_csv(&s).as_bytes(),
        )?;
        files.extend([
            "sensitivity.json".to_string(),
            "sensitivity.csv".to_string(),
        ]);
        if !s.inputs.is_empty() {
            let t =
                report::charts::write_chart(staging, &report::forecast_extras::tornado_chart(&s))
                    .context("cannot draw the tornado chart")?;
            files.extend(t);
        }
        sensitivity = Some(s);
    }
    files.push("report.html".into());
    let wall = clock.elapsed().as_secs_f64();
    files.push("manifest.json".into());
    let mut manifest = args.common.manifest(f, &config, &run_dir, wall, files);
    let page = report::forecast_page::ForecastPage {
        forecast: f,
        summary: &summary,
        stress: &stress_rows,
        sensitivity: sensitivity.as_ref(),
        manifest: &manifest,
        track: track.as_ref(),
    };
    let figures =
        report::forecast_page::figures(&page).context("cannot draw the report's charts")?;
    run_dir.stage_file(
        "report.html",
        report::forecast_page::render(&page, &figures).as_bytes(),
    )?;
    let published = run_dir.publish(&mut manifest).map_err(dir_failure)?;
    note_removed(&out_dir, &published);
    match args.format {
        Format::Json => print_stdout(&report::forecast::forecast_json(&summary)),
        Format::Table => {
            let mut text = report::forecast::render_forecast_table(&summary);
            text.push_str(&extra_text);
            text.push_str(&format!(
                "\n  {} trials × {} months in {:.2} s (task pools included); wrote {}\n",
                config.trials,
                summary.months,
                wall,
                out_dir.display()
            ));
            print_stdout(&text)
        }
    }
}

/// `tokencast sweep` arguments.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub common: ForecastCommon,
    /// A parameter and its values: --param usage.active_share=0.5,0.6,0.7 (once or twice).
    #[arg(long = "param", value_name = "PATH=V1,V2,...", required = true)]
    pub params: Vec<String>,
}

pub(super) fn sweep(args: SweepArgs) -> Result<(), Failure> {
    super::expect_file(
        &args.common.scenario,
        super::takes::FORECAST,
        "tokencast sweep",
        "a forecast",
    )?;
    if args.params.len() > 2 {
        return Err(bad_input(anyhow::anyhow!(
            "expected one or two --param, found {}",
            args.params.len()
        )));
    }
    let axes: Vec<forecast::sweep::SweepAxis> = args
        .params
        .iter()
        .map(|p| forecast::sweep::SweepAxis::parse(p).map_err(|e| bad_input(anyhow::Error::new(e))))
        .collect::<Result<_, _>>()?;
    // Validate the file with the first grid point before running anything.
    let first: Vec<Override> = axes
        .iter()
        .map(|a| Override {
            path: a.path.clone(),
            value: a.values[0].clone(),
        })
        .collect();
    let clock = Instant::now();
    let f = args.common.load(&first)?;
    let config = args.common.config(&f);
    if let Some(text) = &args.common.shard {
        let shard = super::shard::from_arg(text)?;
        return super::forecast_shard::sweep_shard(&args, &axes, &config, shard, clock);
    }
    sweep_with(&args, &axes, &f, &config, None, clock)
}

/// Writes a sweep's outputs, its cells' runs simulated (`cells` `None`) or merged from shards.
pub(super) fn sweep_with(
    args: &SweepArgs,
    axes: &[forecast::sweep::SweepAxis],
    f: &Forecast,
    config: &ForecastConfig,
    cells: Option<Vec<forecast::simulate::ForecastRun>>,
    clock: Instant,
) -> Result<(), Failure> {
    let config = *config;
    let (out_dir, run_dir) = args.common.open_out_dir()?;
    let base = args.common.overrides()?;
    let points = match cells {
        None => forecast::sweep::run(
            &args.common.scenario,
            &base,
            axes,
            &config,
            args.common.seed,
        ),
        Some(cells) => {
            let mut cells: Vec<_> = cells.into_iter().map(Some).collect();
            forecast::sweep::run_with(
                &args.common.scenario,
                &base,
                axes,
                &config,
                args.common.seed,
                &mut |i, _| Ok(cells[i].take().expect("one merged run per cell")),
            )
        }
    }
    .map_err(|e| match e {
        forecast::stress::StressError::Load(e) => forecast_error(e),
        other => Failure::from(anyhow::Error::new(other).context("the sweep failed")),
    })?;
    // The file as the sweep's points start from (with --set, before the swept values).
    let base_text =
        forecast::sweep::base_text(&args.common.scenario, &base).map_err(forecast_error)?;
    let replaced = forecast::sweep::replaced_distributions(&base_text, axes);
    let csv = report::forecast_extras::sweep_csv(axes, &points);
    run_dir.stage_file("sweep.csv", csv.as_bytes())?;
    let mut files = vec!["sweep.csv".to_string()];
    let mut replaced_note = String::new();
    for r in &replaced {
        replaced_note.push_str(&format!(
            "note: {} is uncertain in the file ({}); each sweep point replaces that distribution by the swept fixed value, so its uncertainty is not in the results\n",
            r.path, r.distribution
        ));
    }
    let mut note = format!("wrote {}", out_dir.join("sweep.csv").display());
    if let Some(chart) = report::forecast_extras::sweep_chart(axes, &points, &replaced) {
        files.extend(
            report::charts::write_chart(run_dir.staging(), &chart)
                .context("cannot draw the sweep chart")?,
        );
        note.push_str(" and sweep.png / sweep.svg");
    }
    files.push("report.html".into());
    files.push("manifest.json".into());
    let wall = clock.elapsed().as_secs_f64();
    let mut manifest = args.common.manifest(f, &config, &run_dir, wall, files);
    let page = report::sweep_page::render(&report::sweep_page::SweepPage {
        name: &f.name,
        description: f.spec.forecast.description.as_deref().unwrap_or(""),
        axes,
        points: &points,
        replaced: &replaced,
        manifest: &manifest,
    })
    .context("cannot draw the report's chart")?;
    run_dir.stage_file("report.html", page.as_bytes())?;
    note.push_str(" and report.html");
    let published = run_dir.publish(&mut manifest).map_err(dir_failure)?;
    note_removed(&out_dir, &published);
    print_stdout(&format!(
        "{csv}\n{replaced_note}{} trials per point, seed {}; {note}\n",
        config.trials, config.seed
    ))
}
