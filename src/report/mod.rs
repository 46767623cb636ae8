//! Reports: the table on stdout, `summary.json`, `manifest.json` and `trials.csv`, all written
//! atomically, into an output directory that holds one run at a time ([`run_dir::RunDir`]:
//! staged, published with the manifest last, locked while a run writes it). This layer formats
//! numbers; it never makes them.

mod atomic;
pub mod charts;
pub mod compare;
pub mod compare_forecast;
pub mod compare_forecast_page;
pub mod compare_page;
mod dir_lock;
pub mod focus;
pub mod focus_charges;
pub mod focus_rows;
pub mod focus_skus;
pub mod forecast;
pub mod forecast_assumptions;
pub mod forecast_extras;
pub mod forecast_limits;
pub mod forecast_page;
pub mod forecast_schemes;
pub mod forecast_split;
mod html;
pub mod input_label;
pub mod interrupt;
mod manifest;
pub mod page;
pub mod routing;
mod run_charts;
pub mod run_dir;
pub mod run_files;
pub mod shard_file;
pub mod sweep_page;
mod table;
pub mod track;
mod trials_csv;

use std::io;
use std::path::Path;

pub use atomic::{AtomicFile, NotARegularFile, check_output_file, write_atomic};
pub use html::{ReportPage, escape as html_escape, render as render_html};
pub use manifest::{Manifest, iso8601_utc, sha256_hex};
pub use run_charts::{
    LONG_TAIL_RATIO, RunChartData, cost_breakdown, cost_convergence, cost_exceedance,
    cost_histogram, cost_scale, exceedance_markers, render_run_charts,
};
pub use run_dir::{Published, RunDir, RunDirError};
pub use table::render as render_table;
pub use trials_csv::TrialCsvWriter;

use crate::engine::Summary;

/// The summary as pretty JSON (the shape of `summary.json` and `--format json`).
pub fn summary_json(summary: &Summary) -> String {
    let mut s = serde_json::to_string_pretty(summary).expect("a summary always serialises");
    s.push('\n');
    s
}

/// Writes `summary.json` into `dir` atomically.
pub fn write_summary(dir: &Path, summary: &Summary) -> io::Result<()> {
    write_atomic(&dir.join("summary.json"), summary_json(summary).as_bytes())
}

/// Writes `manifest.json` into `dir` atomically.
pub fn write_manifest(dir: &Path, manifest: &Manifest) -> io::Result<()> {
    let mut s = serde_json::to_string_pretty(manifest).map_err(io::Error::other)?;
    s.push('\n');
    write_atomic(&dir.join("manifest.json"), s.as_bytes())
}
