//! Cartesian axes shared by the charts: title, axis descriptions with units, tick labels in the
//! axis's unit, grid, and either scale on either axis.
//!
//! plotters gives linear and logarithmic axes different types, so a chart's plotting code is a
//! [`PlotBody`], generic over the coordinate types, and [`plot`] picks the four combinations.

use std::ops::Range;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::prelude::*;

use super::DrawResult;
use super::legend::LegendEntry;
use super::style::{self, Scale, Unit};

/// One axis: its range, scale, description and unit.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Lowest and highest value shown.
    pub range: (f64, f64),
    /// Linear or logarithmic.
    pub scale: Scale,
    /// Description, without the unit.
    pub description: String,
    /// Unit of the values.
    pub unit: Unit,
}

/// The frame of a chart.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
}

/// The plotting code of a chart, run inside its frame.
pub trait PlotBody {
    /// Draws the data on a chart whose mesh is already drawn.
    fn plot<'a, DB, X, Y>(&self, chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>;
}

/// Draws `frame` on `area`, then `body` inside it.
pub fn plot<DB, B>(area: &DrawingArea<DB, Shift>, frame: &Frame, body: &B) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    B: PlotBody,
{
    dispatch(area, frame, Some(&frame.title), body)
}

/// Draws `frame` on `area` with `legend` in a column beside the plot (see [`super::legend`]),
/// then `body` inside the plot.
pub fn plot_beside<DB, B>(
    area: &DrawingArea<DB, Shift>,
    frame: &Frame,
    legend: &[LegendEntry],
    body: &B,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    B: PlotBody,
{
    let plot_area = super::legend::beside(area, &frame.title, legend)?;
    dispatch(&plot_area, frame, None, body)
}

fn dispatch<DB, B>(
    area: &DrawingArea<DB, Shift>,
    frame: &Frame,
    caption: Option<&str>,
    body: &B,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    B: PlotBody,
{
    let x = frame.x.range.0..frame.x.range.1;
    let y = frame.y.range.0..frame.y.range.1;
    match (frame.x.scale, frame.y.scale) {
        (Scale::Linear, Scale::Linear) => plot_with(area, frame, caption, x, y, body),
        (Scale::Log, Scale::Linear) => plot_with(area, frame, caption, x.log_scale(), y, body),
        (Scale::Linear, Scale::Log) => plot_with(area, frame, caption, x, y.log_scale(), body),
        (Scale::Log, Scale::Log) => {
            plot_with(area, frame, caption, x.log_scale(), y.log_scale(), body)
        }
    }
}

fn plot_with<DB, XS, YS, B>(
    area: &DrawingArea<DB, Shift>,
    frame: &Frame,
    caption: Option<&str>,
    x: XS,
    y: YS,
    body: &B,
) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    XS: AsRangedCoord<Value = f64>,
    YS: AsRangedCoord<Value = f64>,
    XS::CoordDescType: ValueFormatter<f64>,
    YS::CoordDescType: ValueFormatter<f64>,
    B: PlotBody,
{
    let mut builder = ChartBuilder::on(area);
    if let Some(title) = caption {
        builder.caption(title, style::title_font().color(&style::INK));
    }
    let mut chart = builder
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(84)
        .build_cartesian_2d(x, y)?;
    let x_fmt = tick_format(&frame.x);
    let y_fmt = tick_format(&frame.y);
    chart
        .configure_mesh()
        .x_desc(style::axis_label(&frame.x.description, frame.x.unit))
        .y_desc(style::axis_label(&frame.y.description, frame.y.unit))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_labels(labels_for(frame.x.scale, 10))
        .y_labels(labels_for(frame.y.scale, 8))
        .axis_desc_style(style::label_font().color(&style::INK))
        .label_style(style::small_font().color(&style::INK))
        .bold_line_style(style::GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(style::INK)
        .draw()?;
    body.plot(&mut chart)
}

/// How an axis writes its ticks: on a linear axis every tick in one format, the one its largest
/// value calls for (`$0, $5K, $10K`, never `$5000` beside `$10K`); on a logarithmic axis, whose
/// values span powers of ten, each tick in its own.
fn tick_format(axis: &Axis) -> impl Fn(&f64) -> String + use<> {
    let unit = axis.unit;
    let top = match axis.scale {
        Scale::Linear => Some(axis.range.0.abs().max(axis.range.1.abs())),
        Scale::Log => None,
    };
    move |v: &f64| match top {
        Some(top) => unit.format_on_axis(*v, top),
        None => unit.format(*v),
    }
}

/// Tick labels on an axis: fewer on a logarithmic one, whose ticks crowd towards each power
/// of ten.
fn labels_for(scale: Scale, linear: usize) -> usize {
    match scale {
        Scale::Linear => linear,
        Scale::Log => 6,
    }
}

/// Draws the legend of the labelled series in the upper right corner.
pub fn legend<'a, DB, X, Y>(chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font(style::small_font().color(&style::INK))
        .background_style(style::BACKGROUND.mix(0.85))
        .border_style(style::GRID)
        .draw()?;
    Ok(())
}

/// The range of `values` (finite ones), or `None` when there are none.
pub fn extent(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

/// A range as plotters takes it.
pub fn range(r: (f64, f64)) -> Range<f64> {
    r.0..r.1
}

/// The outline of the band between `lower` and `upper` (same x, same order), for a polygon.
pub fn band_outline(lower: &[(f64, f64)], upper: &[(f64, f64)]) -> Vec<(f64, f64)> {
    upper
        .iter()
        .copied()
        .chain(lower.iter().rev().copied())
        .collect()
}
