//! Convergence: the running mean and P95 of the cost against the number of trials, each with
//! its 95% confidence band (mean ± 1.96 SE; the distribution-free order-statistic interval of
//! P95). Checkpoints are recorded in chunk order, so the picture does not depend on threads.
//! When the bands are narrow against the final value, more trials would not change the answer.

use plotters::coord::Shift;
use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::axes::{self, Axis, Frame, PlotBody};
use super::style::{self, Scale, Unit};
use super::{Chart, DrawResult, all_finite};

/// The estimates after the first `trials` trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvergencePoint {
    /// Trials so far.
    pub trials: u64,
    /// Running mean.
    pub mean: f64,
    /// Lower end of the mean's 95% confidence interval.
    pub mean_lo: f64,
    /// Upper end of the mean's 95% confidence interval.
    pub mean_hi: f64,
    /// Running P95.
    pub p95: f64,
    /// Lower end of P95's 95% confidence interval.
    pub p95_lo: f64,
    /// Upper end of P95's 95% confidence interval.
    pub p95_hi: f64,
}

/// Two panels: the running mean and the running P95, against trials (logarithmic).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvergenceChart {
    /// File stem, e.g. `cost_convergence`.
    pub stem: String,
    /// Title prefix, e.g. `Cost per task`.
    pub title: String,
    /// Unit of the estimates.
    pub unit: Unit,
    /// Checkpoints, trials increasing.
    pub points: Vec<ConvergencePoint>,
}

impl Chart for ConvergenceChart {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        if self.points.is_empty() {
            return Err("expected at least one checkpoint, found none".into());
        }
        all_finite(self.points.iter().flat_map(|p| {
            [
                &p.mean, &p.mean_lo, &p.mean_hi, &p.p95, &p.p95_lo, &p.p95_hi,
            ]
        }))?;
        if self.points.iter().any(|p| p.trials == 0)
            || self.points.windows(2).any(|w| w[1].trials <= w[0].trials)
        {
            return Err("expected trial counts above 0, increasing".into());
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let (left, right) = area.split_horizontally(area.dim_in_pixel().0 / 2);
        let first = self.points.first().map_or(1, |p| p.trials) as f64;
        let last = self.points.last().map_or(2, |p| p.trials) as f64;
        for (panel, which) in [(&left, Panel::Mean), (&right, Panel::P95)] {
            let series = PanelSeries {
                points: self
                    .points
                    .iter()
                    .map(|p| {
                        let (lo, mid, hi) = which.pick(p);
                        (p.trials as f64, lo, mid, hi)
                    })
                    .collect(),
            };
            let (lo, hi) =
                axes::extent(series.points.iter().flat_map(|p| [p.1, p.3])).unwrap_or((0.0, 1.0));
            let frame = Frame {
                title: format!("{}: {}", self.title, which.name()),
                x: Axis {
                    range: style::padded(first, last.max(first * 2.0), Scale::Log),
                    scale: Scale::Log,
                    description: "Trials".into(),
                    unit: Unit::Count,
                },
                y: Axis {
                    range: style::padded(lo, hi, Scale::Linear),
                    scale: Scale::Linear,
                    description: which.name().into(),
                    unit: self.unit,
                },
            };
            axes::plot(panel, &frame, &series)?;
        }
        Ok(())
    }
}

#[derive(Clone, Copy)]
enum Panel {
    Mean,
    P95,
}

impl Panel {
    fn name(self) -> &'static str {
        match self {
            Panel::Mean => "running mean",
            Panel::P95 => "running P95",
        }
    }

    fn pick(self, p: &ConvergencePoint) -> (f64, f64, f64) {
        match self {
            Panel::Mean => (p.mean_lo, p.mean, p.mean_hi),
            Panel::P95 => (p.p95_lo, p.p95, p.p95_hi),
        }
    }
}

/// `(trials, lo, estimate, hi)` of one panel.
struct PanelSeries {
    points: Vec<(f64, f64, f64, f64)>,
}

impl PlotBody for PanelSeries {
    fn plot<'a, DB, X, Y>(&self, chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let lower: Vec<_> = self.points.iter().map(|p| (p.0, p.1)).collect();
        let upper: Vec<_> = self.points.iter().map(|p| (p.0, p.3)).collect();
        let band = style::PRIMARY.mix(0.2);
        chart
            .draw_series(std::iter::once(Polygon::new(
                axes::band_outline(&lower, &upper),
                band.filled(),
            )))?
            .label("95% confidence band")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], band.filled()));
        chart
            .draw_series(LineSeries::new(
                self.points.iter().map(|p| (p.0, p.2)),
                style::PRIMARY.stroke_width(2),
            ))?
            .label("estimate")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style::PRIMARY));
        // A single checkpoint (a run of few trials) has no line: a dot with its interval.
        if let [(x, lo, mid, hi)] = self.points[..] {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, lo), (x, hi)],
                band.stroke_width(8),
            )))?;
            chart.draw_series(std::iter::once(Circle::new(
                (x, mid),
                5,
                style::PRIMARY.filled(),
            )))?;
        }
        if let Some(last) = self.points.last() {
            let x0 = self.points.first().map_or(last.0, |p| p.0);
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, last.2), (last.0, last.2)],
                    6,
                    4,
                    style::MARK.stroke_width(1),
                ))?
                .label("final value")
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style::MARK));
        }
        axes::legend(chart)
    }
}
