//! The exceedance curve: for each cost x, the probability that a trial costs more than x
//! (the survival function, read off the merged quantile sketch). The probability axis is
//! logarithmic so that the tail (1%, 0.1%) is as readable as the bulk.

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::axes::{self, Axis, Frame, PlotBody};
use super::histogram::Marker;
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
    /// Costs to mark, e.g. P90 and P99 (drawn at the probability the curve has there).
    pub markers: Vec<Marker>,
    /// A note after the title, e.g. that every trial cost the same.
    pub note: Option<String>,
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

impl Exceedance {
    /// The curve's probability at `x` (the last point at or left of it).
    fn probability_at(&self, x: f64) -> f64 {
        self.points
            .iter()
            .take_while(|p| p.0 <= x)
            .last()
            .map_or(1.0, |p| p.1)
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
            let p = self.probability_at(m.value);
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
                format!(
                    "  {} {}: {} of trials cost more",
                    m.label,
                    self.unit.format(m.value),
                    Unit::Probability.format(p)
                ),
                (m.value, p),
                style::annotation(style::MARK),
            )))?;
        }
        Ok(())
    }
}
