//! The cost histogram: the share of trials in each cost bin, with percentiles marked and
//! labelled. Bins come from the run's merged quantile sketch (exact counts in log-linear
//! buckets of relative width 2^-10), regrouped into display bins.

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::axes::{self, Axis, Frame, PlotBody};
use super::style::{self, Scale, Unit};
use super::{Chart, DrawResult, all_finite};

/// One bar: the trials whose value lies in `[lo, hi)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistogramBar {
    /// Lower edge.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// Share of all trials in the bar (0–1).
    pub share: f64,
}

/// A labelled vertical line, e.g. `P90` at $0.35.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// Short label, e.g. `P90`.
    pub label: String,
    /// Where it stands on the x axis.
    pub value: f64,
}

/// A histogram with markers.
#[derive(Debug, Clone, PartialEq)]
pub struct CostHistogram {
    /// File stem, e.g. `cost_histogram`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What the x axis measures, e.g. `Cost per task`.
    pub x_description: String,
    /// Unit of the x axis.
    pub unit: Unit,
    /// Linear, or logarithmic for long tails (bars then have equal widths in log space).
    pub scale: Scale,
    /// The bars, in increasing order.
    pub bars: Vec<HistogramBar>,
    /// Lines to mark (percentiles, the mean).
    pub markers: Vec<Marker>,
    /// A note under the title, e.g. how many trials lie beyond the range shown.
    pub note: Option<String>,
}

impl Chart for CostHistogram {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        if self.bars.is_empty() {
            return Err("expected at least one bar, found none".into());
        }
        all_finite(self.bars.iter().flat_map(|b| [&b.lo, &b.hi, &b.share]))?;
        all_finite(self.markers.iter().map(|m| &m.value))?;
        if self.bars.iter().any(|b| b.hi <= b.lo || b.share < 0.0) {
            return Err("expected bars with lo < hi and a share >= 0".into());
        }
        if self.scale == Scale::Log && self.bars.iter().any(|b| b.lo <= 0.0) {
            return Err("a logarithmic axis needs bars above 0".into());
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let lo = self.bars.first().map_or(0.0, |b| b.lo);
        let hi = self.bars.last().map_or(1.0, |b| b.hi);
        let top = self.bars.iter().map(|b| b.share).fold(0.0, f64::max);
        let title = match &self.note {
            Some(note) => format!("{} — {note}", self.title),
            None => self.title.clone(),
        };
        let frame = Frame {
            title,
            x: Axis {
                range: style::padded(lo, hi, self.scale),
                scale: self.scale,
                description: self.x_description.clone(),
                unit: self.unit,
            },
            y: Axis {
                range: (0.0, if top > 0.0 { top * 1.25 } else { 1.0 }),
                scale: Scale::Linear,
                description: "Share of trials".into(),
                unit: Unit::Probability,
            },
        };
        axes::plot(area, &frame, self)
    }
}

impl PlotBody for CostHistogram {
    fn plot<'a, DB, X, Y>(&self, chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        chart.draw_series(self.bars.iter().map(|b| {
            Rectangle::new(
                [(b.lo, 0.0), (b.hi, b.share)],
                style::PRIMARY.mix(0.75).filled(),
            )
        }))?;
        let y_top = chart.y_range().end;
        for (i, m) in self.markers.iter().enumerate() {
            let colour = style::MARK;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(m.value, 0.0), (m.value, y_top * 0.97)],
                colour.stroke_width(2),
            )))?;
            // Labels step down so that neighbouring percentiles do not overprint.
            let y = y_top * (0.96 - 0.07 * i as f64);
            chart.draw_series(std::iter::once(Text::new(
                format!(" {} {}", m.label, self.unit.format(m.value)),
                (m.value, y),
                style::annotation(colour),
            )))?;
        }
        Ok(())
    }
}
