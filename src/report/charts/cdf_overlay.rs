//! Overlaid cumulative distributions, one per series (for `compare`: one per billing scheme,
//! priced from the same simulated usage). A curve to the left is cheaper at that probability;
//! curves that cross mean neither scheme is cheaper everywhere. The legend stands beside the
//! plot ([`super::legend`]), so that it covers no curve.

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::axes::{self, Axis, Frame, PlotBody};
use super::legend::LegendEntry;
use super::style::{self, Scale, Unit};
use super::{Chart, DrawResult, all_finite};

/// One cumulative distribution.
#[derive(Debug, Clone, PartialEq)]
pub struct CdfSeries {
    /// Legend name, e.g. the billing scheme.
    pub name: String,
    /// `(x, P(X <= x))`, x increasing, probabilities in [0, 1] and non-decreasing.
    pub points: Vec<(f64, f64)>,
}

/// Several cumulative distributions on one axis.
#[derive(Debug, Clone, PartialEq)]
pub struct CdfOverlay {
    /// File stem, e.g. `compare_cdf`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What the x axis measures, e.g. `Cost per task`.
    pub x_description: String,
    /// Unit of the x axis.
    pub unit: Unit,
    /// Scale of the x axis.
    pub x_scale: Scale,
    /// What the y axis counts, e.g. `Share of trials at or below` or `Share of months at or
    /// below`.
    pub y_description: String,
    /// The distributions, drawn in the palette's order.
    pub series: Vec<CdfSeries>,
}

impl Chart for CdfOverlay {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        // A series of one point (one simulated period) is drawn as a dot.
        if self.series.is_empty() || self.series.iter().any(|s| s.points.is_empty()) {
            return Err("expected at least one series, each of at least 1 point".into());
        }
        for s in &self.series {
            all_finite(s.points.iter().flat_map(|(x, p)| [x, p]))?;
            if s.points.iter().any(|&(_, p)| !(0.0..=1.0).contains(&p))
                || s.points
                    .windows(2)
                    .any(|w| w[1].1 < w[0].1 || w[1].0 < w[0].0)
            {
                return Err(format!(
                    "series `{}`: expected x and probabilities in [0, 1] both non-decreasing",
                    s.name
                ));
            }
            if self.x_scale == Scale::Log && s.points.iter().any(|&(x, _)| x <= 0.0) {
                return Err("a logarithmic axis needs values above 0".into());
            }
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (lo, hi) = axes::extent(
            self.series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0)),
        )
        .unwrap_or((0.0, 1.0));
        let frame = Frame {
            title: self.title.clone(),
            x: Axis {
                range: style::padded(lo, hi, self.x_scale),
                scale: self.x_scale,
                description: self.x_description.clone(),
                unit: self.unit,
            },
            y: Axis {
                range: (0.0, 1.02),
                scale: Scale::Linear,
                description: self.y_description.clone(),
                unit: Unit::Probability,
            },
        };
        let legend: Vec<LegendEntry> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendEntry::line(s.name.clone(), style::series_colour(i)))
            .collect();
        axes::plot_beside(area, &frame, &legend, self)
    }
}

impl PlotBody for CdfOverlay {
    fn plot<'a, DB, X, Y>(&self, chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        for (i, s) in self.series.iter().enumerate() {
            let colour = style::series_colour(i);
            chart.draw_series(LineSeries::new(
                s.points.iter().copied(),
                colour.stroke_width(3),
            ))?;
            if let [point] = s.points[..] {
                chart.draw_series(std::iter::once(Circle::new(point, 6, colour.filled())))?;
            }
        }
        Ok(())
    }
}
