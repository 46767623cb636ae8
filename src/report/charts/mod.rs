//! Charts drawn with plotters, each written as PNG (bitmap backend, bundled font) and SVG
//! (vector backend, text kept as `<text>` elements).
//!
//! The shape follows criterion's `plot` module: every chart is a plain data struct that
//! implements [`Chart`] (its file stem, title and how to draw itself on any plotters backend);
//! [`render_svg`], [`render_png`] and [`write_chart`] turn any chart into files. The data structs
//! are documented so that other commands (`compare`, `forecast`) fill them and get the same
//! look: one palette ([`style`]), one font ([`font`]), units on every axis ([`Unit`]).
//!
//! Charts validate their data first (finite, non-empty, ranges that are not degenerate) and
//! return [`ChartError`]; a panic inside plotters is caught and reported as an error too.

pub mod axes;
pub mod break_even;
pub mod cdf_overlay;
pub mod convergence;
pub mod exceedance;
pub mod fan;
pub mod font;
pub mod histogram;
pub mod legend;
pub mod monthly_bars;
pub mod qq;
pub mod stacked_bars;
pub mod style;
pub mod tornado;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use break_even::{BreakEven, CostLine, LimitLine, StepBracket};
pub use cdf_overlay::{CdfOverlay, CdfSeries};
pub use convergence::{ConvergenceChart, ConvergencePoint};
pub use exceedance::{Exceedance, ExceedanceMarker};
pub use fan::{FanChart, FanLine, FanPeriod};
pub use histogram::{CostHistogram, HistogramBar, Marker};
pub use legend::{LegendEntry, Swatch};
pub use monthly_bars::{BarSeries, MonthlyBars};
pub use qq::QqChart;
pub use stacked_bars::{Bar, Segment, StackedBars};
pub use style::{Scale, Unit};
pub use tornado::{Tornado, TornadoBar};

/// Width and height of every chart, in pixels (PNG) or user units (SVG).
pub const CHART_SIZE: (u32, u32) = (960, 540);

/// The error a chart's drawing code returns: plotters' own errors, boxed.
pub type DrawResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// Why a chart could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The data cannot be drawn (empty, not finite, a degenerate range).
    #[error("chart `{chart}`: {reason}")]
    BadData {
        /// File stem of the chart.
        chart: String,
        /// What is wrong with the data.
        reason: String,
    },
    /// Plotters failed while drawing.
    #[error("chart `{chart}`: drawing failed: {message}")]
    Draw {
        /// File stem of the chart.
        chart: String,
        /// The backend's message.
        message: String,
    },
    /// The PNG could not be encoded.
    #[error("chart `{chart}`: PNG encoding failed: {message}")]
    Encode {
        /// File stem of the chart.
        chart: String,
        /// The encoder's message.
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// A chart: data plus the code that draws it on any plotters backend.
pub trait Chart {
    /// File name without extension, e.g. `cost_histogram`.
    fn file_stem(&self) -> &str;

    /// Checks that the data can be drawn; called before [`Chart::draw`].
    fn validate(&self) -> Result<(), String>;

    /// Draws the chart on `area` (already filled with the background).
    fn draw<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static;
}

fn draw_checked<DB, C>(chart: &C, area: DrawingArea<DB, Shift>) -> Result<(), ChartError>
where
    C: Chart,
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let stem = chart.file_stem().to_string();
    chart.validate().map_err(|reason| ChartError::BadData {
        chart: stem.clone(),
        reason,
    })?;
    font::register();
    let drawn = catch_unwind(AssertUnwindSafe(|| -> DrawResult {
        area.fill(&style::BACKGROUND)?;
        chart.draw(&area)?;
        area.present()?;
        Ok(())
    }));
    match drawn {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(ChartError::Draw {
            chart: stem,
            message: e.to_string(),
        }),
        Err(_) => Err(ChartError::Draw {
            chart: stem,
            message: "the plotting library panicked".into(),
        }),
    }
}

/// Renders a chart as an SVG document (labels are `<text>` elements).
pub fn render_svg(chart: &impl Chart) -> Result<String, ChartError> {
    let mut svg = String::new();
    draw_checked(
        chart,
        SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area(),
    )?;
    Ok(svg)
}

/// Renders a chart as a PNG image (text drawn with the bundled font).
pub fn render_png(chart: &impl Chart) -> Result<Vec<u8>, ChartError> {
    let (w, h) = CHART_SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw_checked(
        chart,
        BitMapBackend::with_buffer(&mut rgb, CHART_SIZE).into_drawing_area(),
    )?;
    encode_png(&rgb, w, h).map_err(|e| ChartError::Encode {
        chart: chart.file_stem().to_string(),
        message: e.to_string(),
    })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Balanced);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// A chart rendered in both formats, ready to write or to embed.
#[derive(Debug, Clone)]
pub struct RenderedChart {
    /// File name without extension.
    pub stem: String,
    /// The SVG document.
    pub svg: String,
    /// The PNG image.
    pub png: Vec<u8>,
}

impl RenderedChart {
    /// Renders `chart` as SVG and PNG.
    pub fn new(chart: &impl Chart) -> Result<RenderedChart, ChartError> {
        Ok(RenderedChart {
            stem: chart.file_stem().to_string(),
            svg: render_svg(chart)?,
            png: render_png(chart)?,
        })
    }

    /// Writes `STEM.png` and `STEM.svg` into `dir`, each atomically; returns the file names.
    pub fn write(&self, dir: &Path) -> Result<[String; 2], ChartError> {
        let png = format!("{}.png", self.stem);
        let svg = format!("{}.svg", self.stem);
        for (name, bytes) in [(&png, &self.png[..]), (&svg, self.svg.as_bytes())] {
            let path = dir.join(name);
            super::write_atomic(&path, bytes).map_err(|source| ChartError::Io {
                path: path.display().to_string(),
                source,
            })?;
        }
        Ok([png, svg])
    }
}

/// Renders `chart` and writes `STEM.png` and `STEM.svg` into `dir`; returns the file names.
pub fn write_chart(dir: &Path, chart: &impl Chart) -> Result<[String; 2], ChartError> {
    RenderedChart::new(chart)?.write(dir)
}

/// Checks that every value is finite.
/// Checks that every named series has one value per period: `Err` names the first that
/// does not (`line \`P90\`: expected a value per period (12), found 11`).
pub(crate) fn one_per_period<'a>(
    what: &str,
    periods: usize,
    series: impl IntoIterator<Item = (&'a str, usize)>,
) -> Result<(), String> {
    match series.into_iter().find(|&(_, len)| len != periods) {
        Some((name, len)) => Err(format!(
            "{what} `{name}`: expected a value per period ({periods}), found {len}"
        )),
        None => Ok(()),
    }
}

pub(crate) fn all_finite<'a>(values: impl IntoIterator<Item = &'a f64>) -> Result<(), String> {
    match values.into_iter().find(|v| !v.is_finite()) {
        Some(v) => Err(format!("expected finite values, found {v}")),
        None => Ok(()),
    }
}
