//! The break-even chart: the cost of each option (e.g. billing scheme) against a driver (e.g.
//! tasks per month), with optional confidence bands; where two lines cross, neither option is
//! cheaper and the crossing is marked and labelled with its x value. An optional limit (a
//! budget) is drawn as a dashed horizontal line, and where a line passes it the crossing is
//! marked with its x value.

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::axes::{self, Axis, Frame, PlotBody};
use super::style::{self, Scale, Unit};
use super::{Chart, DrawResult, all_finite};

/// The cost of one option along the driver.
#[derive(Debug, Clone, PartialEq)]
pub struct CostLine {
    /// Legend name, e.g. `seat subscription`.
    pub name: String,
    /// `(x, cost)`, x increasing (the same x for every line is not required).
    pub points: Vec<(f64, f64)>,
    /// Optional 95% band `(x, lo, hi)`, x increasing.
    pub band: Vec<(f64, f64, f64)>,
}

/// A horizontal limit across the chart, e.g. a budget.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitLine {
    /// Legend name, e.g. `annual budget 2027`.
    pub name: String,
    /// Its value on the y axis.
    pub value: f64,
}

/// Cost lines against a driver, crossings marked.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakEven {
    /// File stem, e.g. `compare_break_even`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What the x axis measures, e.g. `Tasks per month`.
    pub x_description: String,
    /// Unit of the x axis.
    pub x_unit: Unit,
    /// What the y axis measures, e.g. `Monthly cost`.
    pub y_description: String,
    /// Unit of the y axis.
    pub y_unit: Unit,
    /// The options.
    pub lines: Vec<CostLine>,
    /// A limit to draw (none: no line).
    pub limit: Option<LimitLine>,
}

impl BreakEven {
    /// Every crossing of two lines: `(x, y, first line, second line)`, by linear interpolation
    /// between the points of each line, sorted by x.
    pub fn crossings(&self) -> Vec<(f64, f64, usize, usize)> {
        let mut out = Vec::new();
        for a in 0..self.lines.len() {
            for b in a + 1..self.lines.len() {
                let (la, lb) = (&self.lines[a].points, &self.lines[b].points);
                let mut xs: Vec<f64> = la.iter().chain(lb).map(|p| p.0).collect();
                xs.sort_by(f64::total_cmp);
                xs.dedup();
                let diff = |x: f64| Some(interpolate(la, x)? - interpolate(lb, x)?);
                for w in xs.windows(2) {
                    let (Some(d0), Some(d1)) = (diff(w[0]), diff(w[1])) else {
                        continue;
                    };
                    if d0 == 0.0 {
                        if let Some(y) = interpolate(la, w[0]) {
                            out.push((w[0], y, a, b));
                        }
                    } else if d0 * d1 < 0.0 {
                        let x = w[0] + (w[1] - w[0]) * d0 / (d0 - d1);
                        if let Some(y) = interpolate(la, x) {
                            out.push((x, y, a, b));
                        }
                    }
                }
            }
        }
        out.sort_by(|p, q| p.0.total_cmp(&q.0));
        out
    }

    /// Where each line passes the limit: `(x, line)`, by linear interpolation, sorted by x.
    pub fn limit_crossings(&self) -> Vec<(f64, usize)> {
        let Some(limit) = &self.limit else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            for w in line.points.windows(2) {
                let (d0, d1) = (w[0].1 - limit.value, w[1].1 - limit.value);
                if d0 == 0.0 {
                    out.push((w[0].0, i));
                } else if d0 * d1 < 0.0 {
                    out.push((w[0].0 + (w[1].0 - w[0].0) * d0 / (d0 - d1), i));
                }
            }
            if let Some(last) = line.points.last()
                && last.1 == limit.value
                && line.points.len() > 1
            {
                out.push((last.0, i));
            }
        }
        out.sort_by(|p, q| p.0.total_cmp(&q.0));
        out
    }
}

/// The line's value at `x` by linear interpolation; `None` outside its points.
fn interpolate(points: &[(f64, f64)], x: f64) -> Option<f64> {
    let i = points.partition_point(|p| p.0 < x);
    let hi = points.get(i)?;
    if hi.0 == x {
        return Some(hi.1);
    }
    let lo = points.get(i.checked_sub(1)?)?;
    Some(lo.1 + (hi.1 - lo.1) * (x - lo.0) / (hi.0 - lo.0))
}

impl Chart for BreakEven {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        // A line of one point (a sweep of one value) is drawn as a dot.
        if self.lines.is_empty() || self.lines.iter().any(|l| l.points.is_empty()) {
            return Err("expected at least one line, each of at least 1 point".into());
        }
        if let Some(l) = &self.limit {
            all_finite(std::iter::once(&l.value))?;
        }
        for l in &self.lines {
            all_finite(l.points.iter().flat_map(|(x, y)| [x, y]))?;
            all_finite(l.band.iter().flat_map(|(x, lo, hi)| [x, lo, hi]))?;
            if l.points.windows(2).any(|w| w[1].0 <= w[0].0) {
                return Err(format!("line `{}`: expected x increasing", l.name));
            }
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, plotters::coord::Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let xs = self.lines.iter().flat_map(|l| l.points.iter().map(|p| p.0));
        let ys = self
            .lines
            .iter()
            .flat_map(|l| {
                l.points
                    .iter()
                    .map(|p| p.1)
                    .chain(l.band.iter().flat_map(|b| [b.1, b.2]))
            })
            .chain(self.limit.as_ref().map(|l| l.value));
        let (x0, x1) = axes::extent(xs).unwrap_or((0.0, 1.0));
        let (y0, y1) = axes::extent(ys).unwrap_or((0.0, 1.0));
        let frame = Frame {
            title: self.title.clone(),
            x: Axis {
                range: style::padded(x0, x1, Scale::Linear),
                scale: Scale::Linear,
                description: self.x_description.clone(),
                unit: self.x_unit,
            },
            y: Axis {
                range: style::padded(y0.min(0.0), y1 * 1.1, Scale::Linear),
                scale: Scale::Linear,
                description: self.y_description.clone(),
                unit: self.y_unit,
            },
        };
        axes::plot(area, &frame, self)
    }
}

impl PlotBody for BreakEven {
    fn plot<'a, DB, X, Y>(&self, chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>) -> DrawResult
    where
        DB: DrawingBackend + 'a,
        DB::ErrorType: 'static,
        X: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        for (i, line) in self.lines.iter().enumerate() {
            let colour = style::series_colour(i);
            if line.band.len() >= 2 {
                let lower: Vec<_> = line.band.iter().map(|b| (b.0, b.1)).collect();
                let upper: Vec<_> = line.band.iter().map(|b| (b.0, b.2)).collect();
                chart.draw_series(std::iter::once(Polygon::new(
                    axes::band_outline(&lower, &upper),
                    colour.mix(0.18).filled(),
                )))?;
            }
            chart
                .draw_series(LineSeries::new(
                    line.points.iter().copied(),
                    colour.stroke_width(3),
                ))?
                .label(line.name.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
                });
            if let [point] = line.points[..] {
                chart.draw_series(std::iter::once(Circle::new(point, 6, colour.filled())))?;
            }
        }
        if let Some(limit) = &self.limit {
            let (x0, x1) = (chart.x_range().start, chart.x_range().end);
            chart
                .draw_series(DashedLineSeries::new(
                    [(x0, limit.value), (x1, limit.value)],
                    10,
                    6,
                    style::LIMIT.stroke_width(2),
                ))?
                .label(format!(
                    "{} {}",
                    limit.name,
                    self.y_unit.format(limit.value)
                ))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], style::LIMIT.stroke_width(2))
                });
            for (x, i) in self.limit_crossings() {
                chart.draw_series(std::iter::once(Circle::new(
                    (x, limit.value),
                    6,
                    style::LIMIT.filled(),
                )))?;
                chart.draw_series(std::iter::once(Text::new(
                    format!(
                        "  {} passes it at {}",
                        self.lines[i].name,
                        self.x_unit.format(x)
                    ),
                    (x, limit.value),
                    style::annotation(style::LIMIT),
                )))?;
            }
        }
        for (x, y, _, _) in self.crossings() {
            chart.draw_series(std::iter::once(Circle::new(
                (x, y),
                6,
                style::MARK.filled(),
            )))?;
            chart.draw_series(std::iter::once(Text::new(
                format!("  break-even at {}", self.x_unit.format(x)),
                (x, y),
                style::annotation(style::MARK),
            )))?;
        }
        axes::legend(chart)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_of_one_point_are_drawn_as_dots() {
        let chart = BreakEven {
            stem: "one".into(),
            title: "A sweep of one value".into(),
            x_description: "Share".into(),
            x_unit: Unit::Count,
            y_description: "Cost".into(),
            y_unit: Unit::Usd,
            lines: vec![
                CostLine {
                    name: "mean".into(),
                    points: vec![(0.5, 1_000.0)],
                    band: Vec::new(),
                },
                CostLine {
                    name: "P90".into(),
                    points: vec![(0.5, 1_500.0)],
                    band: Vec::new(),
                },
            ],
            limit: None,
        };
        assert!(chart.crossings().is_empty());
        let svg = crate::report::charts::render_svg(&chart).unwrap();
        assert_eq!(svg.matches("<circle").count(), 2, "one dot per line");
        let empty = BreakEven {
            lines: vec![CostLine {
                name: "none".into(),
                points: Vec::new(),
                band: Vec::new(),
            }],
            ..chart
        };
        assert!(crate::report::charts::render_svg(&empty).is_err());
    }

    #[test]
    fn two_lines_cross_where_their_costs_are_equal() {
        // Flat $100 against $2 per task: equal at 50 tasks.
        let chart = BreakEven {
            stem: "b".into(),
            title: "t".into(),
            x_description: "Tasks".into(),
            x_unit: Unit::Count,
            y_description: "Cost".into(),
            y_unit: Unit::Usd,
            lines: vec![
                CostLine {
                    name: "flat".into(),
                    points: vec![(0.0, 100.0), (100.0, 100.0)],
                    band: vec![],
                },
                CostLine {
                    name: "per task".into(),
                    points: vec![(0.0, 0.0), (30.0, 60.0), (100.0, 200.0)],
                    band: vec![],
                },
            ],
            limit: None,
        };
        let c = chart.crossings();
        assert_eq!(c.len(), 1);
        assert!((c[0].0 - 50.0).abs() < 1e-12 && (c[0].1 - 100.0).abs() < 1e-12);
        // A budget of $150: the per-task line passes it at 75 tasks; the flat one never.
        let chart = BreakEven {
            limit: Some(LimitLine {
                name: "budget".into(),
                value: 150.0,
            }),
            ..chart
        };
        assert_eq!(chart.limit_crossings(), vec![(75.0, 1)]);
        let svg = crate::report::charts::render_svg(&chart).unwrap();
        assert!(svg.contains("budget $150"), "the legend names it");
        assert!(svg.contains("per task passes it at 75"), "{svg}");
    }
}
