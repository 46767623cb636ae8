//! The files of a `run`: `summary.json`, the charts (PNG and SVG), `report.html` and
//! `manifest.json` (plus `trials.csv`, streamed into the staging directory during the run),
//! staged and published through one [`RunDir`].

use super::charts::{ChartError, RenderedChart};
use super::run_dir::{Published, RunDir, RunDirError};
use super::{Manifest, ReportPage, iso8601_utc, render_html, render_run_charts, sha256_hex};
use super::{RunChartData, summary_json};
use crate::engine::{RunResult, Summary};
use crate::pricing::PriceTable;

/// Whether a run draws its charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charts {
    /// Draw them (PNG and SVG), and embed them in `report.html`.
    Draw,
    /// Skip them (`--no-charts`); `report.html` is written without them.
    Skip,
}

/// Everything the files of a `run` are made from.
pub struct RunFiles<'a> {
    /// The scenario file as given on the command line.
    pub scenario_path: String,
    /// The scenario's name.
    pub scenario_name: &'a str,
    /// The scenario's text, in full.
    pub scenario_text: &'a str,
    /// The scenario's description (may be empty).
    pub description: &'a str,
    /// The summary.
    pub summary: &'a Summary,
    /// The merged aggregates (for the charts).
    pub result: &'a RunResult,
    /// List prices (for the cost breakdown chart).
    pub prices: &'a PriceTable,
    /// Draw the charts or not.
    pub charts: Charts,
    /// A sentence about how the trial count was chosen, if any.
    pub trials_note: Option<String>,
    /// Seed.
    pub seed: u64,
    /// Worker threads used.
    pub threads: usize,
    /// Wall time of the simulation, seconds.
    pub wall_time_seconds: f64,
}

/// Why the files of a run could not be published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// A chart could not be drawn.
    #[error("cannot draw the charts: {0}")]
    Chart(#[from] ChartError),
    /// The directory refused or failed.
    #[error(transparent)]
    Dir(#[from] RunDirError),
}

/// Draws the charts, stages `summary.json`, the charts and `report.html` beside anything
/// already staged (`trials.csv`), and publishes the directory with its manifest last.
pub fn publish_run(dir: RunDir, run: &RunFiles) -> Result<Published, PublishError> {
    let mut rendered = match run.charts {
        Charts::Draw => render_run_charts(&RunChartData {
            summary: run.summary,
            result: run.result,
            prices: run.prices,
        })?,
        Charts::Skip => Vec::new(),
    };
    if run.charts == Charts::Draw
        && let Some(chart) = super::routing::RoutingChart::of(run.summary)
    {
        rendered.push(RenderedChart::new(&chart)?);
    }
    let mut files = vec!["summary.json".to_string(), "manifest.json".to_string()];
    if dir.staging().join("trials.csv").is_file() {
        files.push("trials.csv".into());
    }
    if run.summary.routing.is_some() {
        files.push("routing.csv".into());
    }
    for chart in &rendered {
        files.push(format!("{}.png", chart.stem));
        files.push(format!("{}.svg", chart.stem));
    }
    files.push("report.html".into());
    let mut manifest = Manifest {
        tool: "tokencast",
        version: env!("CARGO_PKG_VERSION"),
        scenario_path: run.scenario_path.clone(),
        scenario_name: run.scenario_name.to_string(),
        scenario_sha256: sha256_hex(run.scenario_text),
        scenario_text: run.scenario_text.to_string(),
        seed: run.seed,
        trials: run.summary.trials,
        threads: run.threads,
        started_at: iso8601_utc(dir.started()),
        wall_time_seconds: run.wall_time_seconds,
        files,
    };
    dir.stage_file("summary.json", summary_json(run.summary).as_bytes())?;
    if let Some(routing) = &run.summary.routing {
        dir.stage_file("routing.csv", super::routing::csv(routing).as_bytes())?;
    }
    stage_charts(&dir, &rendered)?;
    let page = render_html(&ReportPage {
        description: run.description,
        summary: run.summary,
        manifest: &manifest,
        charts: &rendered,
        trials_note: run.trials_note.clone(),
    });
    dir.stage_file("report.html", page.as_bytes())?;
    Ok(dir.publish(&mut manifest)?)
}

/// Stages `STEM.png` and `STEM.svg` of each chart.
pub fn stage_charts(dir: &RunDir, charts: &[RenderedChart]) -> Result<(), RunDirError> {
    for chart in charts {
        dir.stage_file(&format!("{}.png", chart.stem), &chart.png)?;
        dir.stage_file(&format!("{}.svg", chart.stem), chart.svg.as_bytes())?;
    }
    Ok(())
}
