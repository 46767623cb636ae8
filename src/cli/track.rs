//! `tokencast track FORECAST --actuals FILE`: the forecast against the actual spend so far,
//! and the rest of the horizon forecast again from it (see `forecast::track`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, anyhow};

use tokencast::forecast::{self, Record};
use tokencast::report::{self, Manifest};

use super::forecast::ForecastCommon;
use super::{Failure, Format, bad_input, default_out_dir, note_removed, open_run_dir};

/// Most trials `track` keeps (every trial's months are kept to weight them).
pub const MAX_TRACK_TRIALS: u64 = 200_000;

/// Default trials: the forecast's, at most this.
const DEFAULT_TRACK_TRIALS: u64 = 20_000;

/// `tokencast track` arguments.
#[derive(Debug, clap::Args)]
pub struct TrackArgs {
    #[command(flatten)]
    pub common: ForecastCommon,
    /// The actual monthly spend: a CSV with `month` (YYYY-MM) and `cost` columns, or a FOCUS
    /// export (ChargePeriodStart, BilledCost), from the forecast's first month on.
    #[arg(long, value_name = "FILE")]
    pub actuals: PathBuf,
    /// What to print on stdout.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// The actual months of `path` (a `month,cost` CSV or a FOCUS export) over the forecast's
/// months, refused at their line (exit 2); what `track` and `forecast --actuals` read.
pub(super) fn read_actuals(
    path: &std::path::Path,
    f: &forecast::Forecast,
) -> Result<Vec<forecast::track::Actual>, Failure> {
    // A FOCUS export is a log-sized file: read with the logs' bound.
    let text =
        tokencast::input::read_text(path, tokencast::input::MAX_LOG_BYTES).map_err(bad_input)?;
    forecast::track::read_actuals(&path.display().to_string(), &text, &f.model)
        .map_err(|m| bad_input(anyhow!(m)))
}

pub(super) fn run(args: TrackArgs) -> Result<(), Failure> {
    super::expect_file(
        &args.common.scenario,
        super::takes::FORECAST,
        "tokencast track",
        "a forecast",
    )?;
    if args.common.shard.is_some() {
        return Err(bad_input(anyhow!(
            "--shard: track weighs every trial against the actuals in one process and is not \
             sharded; run it without --shard (20,000 trials take seconds)"
        )));
    }
    let clock = Instant::now();
    let f = args.common.load(&[])?;
    let actuals = read_actuals(&args.actuals, &f)?;
    let mut config = args.common.config(&f);
    if args.common.trials.is_none() {
        config.trials = config.trials.min(DEFAULT_TRACK_TRIALS);
    }
    if config.trials > MAX_TRACK_TRIALS {
        return Err(bad_input(anyhow!(
            "-n {}: expected at most {} trials for track (it keeps every trial's months to weigh \
             them against the actuals); 20,000 give percentiles to about 0.3%",
            config.trials,
            tokencast::text::thousands(MAX_TRACK_TRIALS as f64)
        )));
    }
    config.record = Record::EveryTrial;
    let out_dir = args.common.out.clone().unwrap_or_else(|| {
        let dir = default_out_dir(&args.common.scenario);
        let name = format!(
            "{}-track",
            dir.file_name()
                .map_or("scenario".into(), |n| n.to_string_lossy())
        );
        dir.with_file_name(name)
    });
    let run_dir = open_run_dir(&out_dir)?;
    let run = forecast::simulate::run(&f.model, &config).context("the forecast failed")?;
    let track = forecast::track::track(&f.name, &f.model, &run, &actuals);
    let staging = run_dir.staging();
    let mut files = Vec::new();
    for (name, text) in [
        ("track.json", report::track::to_json(&track)),
        ("track.csv", report::track::to_csv(&track)),
    ] {
        run_dir.stage_file(name, text.as_bytes())?;
        files.push(name.to_string());
    }
    files.extend(
        report::charts::write_chart(staging, &report::track::chart(&track))
            .map_err(|e| anyhow!("cannot draw the chart: {e}"))?,
    );
    files.push("report.html".into());
    files.push("manifest.json".into());
    let mut manifest = Manifest {
        tool: "tokencast",
        version: env!("CARGO_PKG_VERSION"),
        scenario_path: args.common.scenario.display().to_string(),
        scenario_name: f.name.clone(),
        scenario_sha256: report::sha256_hex(&f.text),
        scenario_text: f.text.clone(),
        seed: config.seed,
        trials: config.trials,
        threads: tokencast::engine::worker_threads(config.threads, config.trials.div_ceil(64)),
        started_at: report::iso8601_utc(run_dir.started()),
        wall_time_seconds: clock.elapsed().as_secs_f64(),
        files,
    };
    let page = report::track::render_page(&track, &manifest)
        .map_err(|e| anyhow!("cannot draw the report's chart: {e}"))?;
    run_dir.stage_file("report.html", page.as_bytes())?;
    let published = run_dir.publish(&mut manifest)?;
    note_removed(&out_dir, &published);
    let text = match args.format {
        Format::Json => report::track::to_json(&track),
        Format::Table => format!(
            "{}\n  wrote {} into {} ({:.1} s)\n",
            report::track::render_table(&track),
            published.files.join(", "),
            out_dir.display(),
            clock.elapsed().as_secs_f64()
        ),
    };
    super::print_stdout(&text)
}
