//! The exceedance curve: for each cost x, the probability that a trial costs more than x
//! (the survival function, read off the merged quantile sketch). The probability axis is
//! logarithmic so that the tail (1%, 0.1%) is as readable as the bulk.
//!
//! Each marked percentile states the share of trials that cost more, counted from the histogram
//! (not read off the drawn curve, whose points are a grid): trials in buckets above the
//! percentile's own are more expensive; trials in its bucket that rank above it are within the
//! bucket's width (0.1%) of it, and said apart when they would change the stated share.

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::axes::{self, Axis, Frame, PlotBody};
use super::style::{self, Scale, Unit};
use super::{Chart, DrawResult, all_finite};

/// An exceedance curve.
#[derive(Debug, Clone, PartialEq)]
pub struct Exceedance {
    /// File stem, e.g. `cost_exceedance`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What the x axis measures, e.g. `Cost per task`.
    pub x_description: String,
    /// Unit of the x axis.
    pub unit: Unit,
    /// Scale of the x axis.
    pub x_scale: Scale,
    /// `(x, P(X > x))`, x increasing, probabilities in (0, 1]. Points with probability 0 are
    /// left out (the axis is logarithmic).
    pub points: Vec<(f64, f64)>,
    /// The smallest probability the run can resolve (1 / trials): the bottom of the axis.
    pub resolution: f64,
    /// Percentiles to mark, e.g. P50, P90 and P99, with the shares of trials above them.
    pub markers: Vec<ExceedanceMarker>,
    /// A note after the title, e.g. that every trial cost the same.
    pub note: Option<String>,
}

/// A percentile marked on the exceedance curve, with the shares of trials above it counted from
/// the histogram.
#[derive(Debug, Clone, PartialEq)]
pub struct ExceedanceMarker {
    /// Short label, e.g. `P90`.
    pub label: String,
    /// The percentile's value.
    pub value: f64,
    /// Share of trials that cost more than `value` (those in histogram buckets above its own).
    pub more: f64,
    /// Share of trials in `value`'s bucket ranked above the percentile: each costs the same as
    /// it or more, within the bucket's relative width (`2^−10`, under 0.1%).
    pub near: f64,
    /// Share of trials that cost at least `value` to within that width (those in its bucket
    /// and above).
    pub at_least: f64,
}

/// A share as a percentage: one decimal, more for a small non-zero share.
fn percent(p: f64) -> String {
    let v = 100.0 * p;
    if v == 0.0 || v >= 0.1 {
        format!("{v:.1}%")
    } else {
        format!("{}%", super::style::significant(v, 2))
    }
}

impl ExceedanceMarker {
    /// The label drawn beside the marker, e.g. `P50 $0.703: 50.0% of trials cost more`; when
    /// trials tied with the percentile (to within its bucket) would change the stated share,
    /// the share costing at least as much is given too (`P50 $2: 25.0% of trials cost more,
    /// 60.0% at least as much (to within 0.1%)`).
    pub fn text(&self, unit: Unit) -> String {
        let head = format!("{} {}", self.label, unit.format(self.value));
        let more = percent(self.more);
        if more == percent(self.more + self.near) {
            format!("{head}: {more} of trials cost more")
        } else {
            format!(
                "{head}: {more} of trials cost more, {} at least as much (to within 0.1%)",
                percent(self.at_least)
            )
        }
    }
}

impl Chart for Exceedance {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        if self.points.len() < 2 {
            return Err(format!(
                "expected at least 2 points, found {}",
                self.points.len()
            ));
        }
        all_finite(self.points.iter().flat_map(|(x, p)| [x, p]))?;
        if self.points.iter().any(|&(_, p)| !(p > 0.0 && p <= 1.0)) {
            return Err("expected probabilities in (0, 1]".into());
        }
        if !(self.resolution > 0.0 && self.resolution <= 1.0) {
            return Err(format!(
                "expected a resolution in (0, 1], found {}",
                self.resolution
            ));
        }
        if self.x_scale == Scale::Log && self.points.iter().any(|&(x, _)| x <= 0.0) {
            return Err("a logarithmic axis needs values above 0".into());
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (lo, hi) = axes::extent(self.points.iter().map(|p| p.0)).unwrap_or((0.0, 1.0));
        let bottom = self
            .points
            .iter()
            .map(|p| p.1)
            .fold(1.0, f64::min)
            .min(self.resolution);
        let frame = Frame {
            title: match &self.note {
                Some(note) => format!("{} — {note}", self.title),
                None => self.title.clone(),
            },
            x: Axis {
                range: style::padded(lo, hi, self.x_scale),
                scale: self.x_scale,
                description: self.x_description.clone(),
                unit: self.unit,
            },
            y: Axis {
                range: (bottom * 0.7, 1.3),
                scale: Scale::Log,
                description: "Probability of exceeding".into(),
                unit: Unit::Probability,
            },
        };
        axes::plot(area, &frame, self)
    }
}

impl PlotBody for Exceedance {
    fn plot<'a, DB, X, Y>(&self, chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        chart.draw_series(LineSeries::new(
            self.points.iter().copied(),
            style::PRIMARY.stroke_width(3),
        ))?;
        let x_left = chart.x_range().start;
        for m in &self.markers {
            // At the counted share (the axis is logarithmic: none above sits at its bottom).
            let p = m.more.max(self.resolution);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x_left, p), (m.value, p), (m.value, chart.y_range().start)],
                style::MARK.mix(0.8).stroke_width(1),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(
                (m.value, p),
                5,
                style::MARK.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("  {}", m.text(self.unit)),
                (m.value, p),
                style::annotation(style::MARK),
            )))?;
        }
        Ok(())
    }
}
