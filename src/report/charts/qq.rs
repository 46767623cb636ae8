//! A quantile–quantile chart: quantiles of an observed sample (x) against the model's quantiles
//! at the same levels (y), with the line y = x (for `calibrate`'s back-test: held-out task costs
//! against simulated ones). Points on the line mean the two distributions agree there; points
//! above it mean the model's quantile is higher (it over-predicts), below it lower.

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::axes::{self, Axis, Frame, PlotBody};
use super::style::{self, Scale, Unit};
use super::{Chart, DrawResult, all_finite};

/// Quantile pairs of two samples on one scale.
#[derive(Debug, Clone, PartialEq)]
pub struct QqChart {
    /// File stem, e.g. `qq`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What the x axis holds, e.g. `Held-out task cost`.
    pub x_description: String,
    /// What the y axis holds, e.g. `Simulated task cost`.
    pub y_description: String,
    /// Unit of both axes.
    pub unit: Unit,
    /// Scale of both axes.
    pub scale: Scale,
    /// `(observed quantile, model quantile)` pairs.
    pub points: Vec<(f64, f64)>,
}

impl Chart for QqChart {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        if self.points.is_empty() {
            return Err("expected at least one quantile pair".into());
        }
        all_finite(self.points.iter().flat_map(|(x, y)| [x, y]))?;
        if self.scale == Scale::Log && self.points.iter().any(|&(x, y)| x <= 0.0 || y <= 0.0) {
            return Err("a logarithmic axis needs values above 0".into());
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (lo, hi) =
            axes::extent(self.points.iter().flat_map(|&(x, y)| [x, y])).unwrap_or((0.0, 1.0));
        let (lo, hi) = if hi > lo {
            (lo, hi)
        } else {
            (lo * 0.9, hi * 1.1 + 1e-9)
        };
        let range = style::padded(lo, hi, self.scale);
        let axis = |description: &str| Axis {
            range,
            scale: self.scale,
            description: description.to_string(),
            unit: self.unit,
        };
        let frame = Frame {
            title: self.title.clone(),
            x: axis(&self.x_description),
            y: axis(&self.y_description),
        };
        axes::plot(area, &frame, self)
    }
}

impl PlotBody for QqChart {
    fn plot<'a, DB, X, Y>(&self, chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let (lo, hi) =
            axes::extent(self.points.iter().flat_map(|&(x, y)| [x, y])).unwrap_or((0.0, 1.0));
        let line = style::series_colour(1);
        chart
            .draw_series(LineSeries::new([(lo, lo), (hi, hi)], line.stroke_width(2)))?
            .label("y = x (agreement)")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], line.stroke_width(2))
            });
        let dot = style::series_colour(0);
        chart
            .draw_series(
                self.points
                    .iter()
                    .map(|&(x, y)| Circle::new((x, y), 4, dot.mix(0.7).filled())),
            )?
            .label("quantile pairs")
            .legend(move |(x, y)| Circle::new((x + 12, y), 4, dot.filled()));
        axes::legend(chart)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts::render_svg;

    fn chart(points: Vec<(f64, f64)>) -> QqChart {
        QqChart {
            stem: "qq".into(),
            title: "t".into(),
            x_description: "Held-out".into(),
            y_description: "Simulated".into(),
            unit: Unit::Usd,
            scale: Scale::Linear,
            points,
        }
    }

    #[test]
    fn draws_every_pair_and_rejects_bad_data() {
        let svg = render_svg(&chart(vec![(0.1, 0.12), (0.2, 0.19), (0.35, 0.4)])).unwrap();
        // Three points plus the legend's marker.
        assert_eq!(svg.matches("<circle").count(), 4, "{svg}");
        assert!(svg.contains("Held-out"));
        assert!(render_svg(&chart(vec![(f64::NAN, 1.0)])).is_err());
        assert!(render_svg(&chart(Vec::new())).is_err());
        // One pair (one held-out task) still draws.
        assert!(render_svg(&chart(vec![(0.2, 0.2)])).is_ok());
    }
}
