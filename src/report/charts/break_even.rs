//! The break-even chart: the cost of each option (e.g. billing scheme) against a driver (e.g.
//! tasks per month), with optional confidence bands; where two lines cross, neither option is
//! cheaper and the crossing is marked and labelled with its x value (a step, a jump between
//! two sweep points, with those two points). An optional limit (a
//! budget) is drawn as a dashed horizontal line, and where a line passes it the crossing is
//! marked with its x value.

use plotters::coord::ranged1d::{Ranged, ValueFormatter};
use plotters::prelude::*;

use super::axes::{self, Axis, Frame, PlotBody};
use super::legend::{LegendEntry, Swatch};
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
    /// The driver's current value, marked by a dashed vertical line (none: no mark).
    pub current: Option<f64>,
    /// Crossings known to be steps (a bill's jump between two sweep points): the lines'
    /// crossing inside such a bracket is labelled with the bracket, as the text states it,
    /// not with the point where the straight segments happen to cross.
    pub steps: Vec<StepBracket>,
}

/// A step of the difference of lines `a` and `b` between two sweep points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepBracket {
    /// The first line (index into [`BreakEven::lines`]).
    pub a: usize,
    /// The second line.
    pub b: usize,
    /// The sweep points between which the bill jumps.
    pub bracket: [f64; 2],
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
        let xs = self
            .lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .chain(self.current);
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
        axes::plot_beside(area, &frame, &self.legend(), self)
    }
}

impl BreakEven {
    /// The legend: each line in its colour, the bands, the crossings' mark, the limit.
    fn legend(&self) -> Vec<LegendEntry> {
        let mut out: Vec<LegendEntry> = self
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| LegendEntry::line(l.name.clone(), style::series_colour(i)))
            .collect();
        let widest = self
            .lines
            .iter()
            .flat_map(|l| l.band.iter().map(|b| (b.2 - b.1) / 2.0))
            .fold(0.0, f64::max);
        if self.lines.iter().any(|l| l.band.len() >= 2) {
            out.push(LegendEntry {
                label: format!("95% band (± up to {})", self.y_unit.format(widest)),
                swatch: Swatch::Block(style::INK, BAND_OPACITY),
            });
        }
        if let Some((_, _, a, b)) = self.crossings().first() {
            out.push(LegendEntry {
                label: "two lines cross".into(),
                swatch: Swatch::Ring(style::series_colour(*a), style::series_colour(*b)),
            });
        }
        if let Some(limit) = &self.limit {
            out.push(LegendEntry {
                label: format!("{} {}", limit.name, self.y_unit.format(limit.value)),
                swatch: Swatch::Dashed(style::LIMIT, 2),
            });
        }
        if let Some(x) = self.current {
            out.push(LegendEntry {
                label: format!("current value {}", self.x_unit.format(x)),
                swatch: Swatch::Dashed(style::INK, 1),
            });
        }
        out
    }
}

/// Opacity of a line's 95% band (its edges are drawn too, so that a thin band still shows).
pub const BAND_OPACITY: f64 = 0.3;

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
                    colour.mix(BAND_OPACITY).filled(),
                )))?;
                for edge in [lower, upper] {
                    chart.draw_series(LineSeries::new(edge, colour.mix(0.6).stroke_width(1)))?;
                }
            }
        }
        for (i, line) in self.lines.iter().enumerate() {
            let colour = style::series_colour(i);
            chart.draw_series(LineSeries::new(
                line.points.iter().copied(),
                colour.stroke_width(2),
            ))?;
            if let [point] = line.points[..] {
                chart.draw_series(std::iter::once(Circle::new(point, 6, colour.filled())))?;
            }
        }
        if let Some(x) = self.current {
            let (y0, y1) = (chart.y_range().start, chart.y_range().end);
            chart.draw_series(DashedLineSeries::new(
                [(x, y0), (x, y1)],
                4,
                4,
                style::INK.mix(0.7).stroke_width(1),
            ))?;
        }
        if let Some(limit) = &self.limit {
            let (x0, x1) = (chart.x_range().start, chart.x_range().end);
            chart.draw_series(DashedLineSeries::new(
                [(x0, limit.value), (x1, limit.value)],
                10,
                6,
                style::LIMIT.stroke_width(2),
            ))?;
        }
        // Marks first, then every label where it overlaps no other label and no mark.
        let mut marks: Vec<((f64, f64), String, RGBColor, RGBColor)> = Vec::new();
        for (x, y, a, b) in self.crossings() {
            let step = self.steps.iter().find(|s| {
                (s.a, s.b) == (a.min(b), a.max(b)) && s.bracket[0] <= x && x <= s.bracket[1]
            });
            let label = match step {
                Some(s) => format!(
                    "{} = {}: a step between {} and {}",
                    self.lines[a].name,
                    self.lines[b].name,
                    self.x_unit.format(s.bracket[0]),
                    self.x_unit.format(s.bracket[1])
                ),
                None => format!(
                    "{} = {} at {}",
                    self.lines[a].name,
                    self.lines[b].name,
                    self.x_unit.format(x)
                ),
            };
            marks.push((
                (x, y),
                label,
                style::series_colour(a),
                style::series_colour(b),
            ));
        }
        if let Some(limit) = &self.limit {
            for (x, i) in self.limit_crossings() {
                marks.push((
                    (x, limit.value),
                    format!(
                        "{} passes it at {}",
                        self.lines[i].name,
                        self.x_unit.format(x)
                    ),
                    style::series_colour(i),
                    style::LIMIT,
                ));
            }
        }
        for &(p, _, inner, outer) in &marks {
            chart.draw_series(std::iter::once(Circle::new(p, MARK_RADIUS, outer.filled())))?;
            chart.draw_series(std::iter::once(Circle::new(p, 4, inner.filled())))?;
        }
        let font = style::annotation(style::INK);
        let (xr, yr) = chart.plotting_area().get_pixel_range();
        let bounds = (xr.start, yr.start, xr.end, yr.end);
        let dots: Vec<(i32, i32)> = marks.iter().map(|m| chart.backend_coord(&m.0)).collect();
        let segments: Vec<Stroke> = self
            .lines
            .iter()
            .flat_map(|l| l.points.windows(2))
            .map(|w| (chart.backend_coord(&w[0]), chart.backend_coord(&w[1])))
            .collect();
        let mut placed: Vec<Bbox> = Vec::new();
        for (k, (p, text, _, _)) in marks.iter().enumerate() {
            let (w, h) = chart.plotting_area().estimate_text_size(text, &font)?;
            let size = (w as i32 + 2 * LABEL_PAD, h as i32 + 2 * LABEL_PAD);
            // Near the mark and over no line if there is such a place, else anywhere free.
            let Some(bbox) = place_label(dots[k], size, bounds, &placed, &dots, &segments, 8)
                .or_else(|| place_label(dots[k], size, bounds, &placed, &dots, &[], i32::MAX))
            else {
                continue;
            };
            placed.push(bbox);
            let anchor = dots[k];
            let (dx, dy) = (bbox.0 - anchor.0, bbox.1 - anchor.1);
            let (bw, bh) = (bbox.2 - bbox.0, bbox.3 - bbox.1);
            // A leader from the mark to the label's nearest corner when it sits away from it.
            let lx = if dx < 0 { dx + bw } else { dx };
            let ly = if dy < 0 { dy + bh } else { dy };
            let leader = (lx.abs() > MARK_RADIUS + 6) || (ly.abs() > MARK_RADIUS + 6);
            let label = EmptyElement::at(*p)
                + Rectangle::new(
                    [(dx, dy), (dx + bw, dy + bh)],
                    style::BACKGROUND.mix(0.9).filled(),
                )
                + Text::new(
                    text.clone(),
                    (dx + LABEL_PAD, dy + LABEL_PAD),
                    style::annotation(style::INK),
                );
            if leader {
                chart.draw_series(std::iter::once(
                    EmptyElement::at(*p)
                        + PathElement::new(vec![(0, 0), (lx, ly)], style::INK.stroke_width(1)),
                ))?;
            }
            chart.draw_series(std::iter::once(label))?;
        }
        Ok(())
    }
}

/// Radius of a crossing's mark (its inner dot is 4), and the padding around a label's words.
const MARK_RADIUS: i32 = 7;
const LABEL_PAD: i32 = 2;

/// A box in pixels: left, top, right, bottom.
type Bbox = (i32, i32, i32, i32);

/// A segment of a line in pixels: from, to.
type Stroke = ((i32, i32), (i32, i32));

fn overlaps(a: Bbox, b: Bbox) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// Whether the segment from `p` to `q` passes through `b` (Liang–Barsky clipping).
fn crosses(p: (i32, i32), q: (i32, i32), b: Bbox) -> bool {
    let (px, py) = (f64::from(p.0), f64::from(p.1));
    let (dx, dy) = (f64::from(q.0) - px, f64::from(q.1) - py);
    let (mut t0, mut t1) = (0.0f64, 1.0f64);
    for (den, num) in [
        (-dx, px - f64::from(b.0)),
        (dx, f64::from(b.2) - px),
        (-dy, py - f64::from(b.1)),
        (dy, f64::from(b.3) - py),
    ] {
        if den == 0.0 {
            if num < 0.0 {
                return false;
            }
        } else {
            let t = num / den;
            if den < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
        }
    }
    t0 <= t1
}

/// Where a label of `size` goes for the mark at `at`: the first box within `max_rows` steps of
/// it that no segment of `lines` crosses, nearest the mark first,
/// beside it, right then left, then ever further above or below, inside `bounds` that overlaps no placed label and
/// no mark; `None` when there is none (the mark stays, unlabelled).
fn place_label(
    at: (i32, i32),
    size: (i32, i32),
    bounds: Bbox,
    placed: &[Bbox],
    dots: &[(i32, i32)],
    lines: &[Stroke],
    max_rows: i32,
) -> Option<Bbox> {
    let (w, h) = size;
    let gap = MARK_RADIUS + 2;
    let step = h + 2;
    let rows = ((bounds.3 - bounds.1) / step).clamp(1, max_rows);
    for k in 0..rows {
        for sign in [-1, 1] {
            if k == 0 && sign == 1 {
                continue;
            }
            for right in [true, false] {
                let x = if right { at.0 + gap } else { at.0 - gap - w };
                let y = at.1 - h / 2 + sign * k * step;
                let bbox = (x, y, x + w, y + h);
                let inside = bbox.0 >= bounds.0
                    && bbox.1 >= bounds.1
                    && bbox.2 <= bounds.2
                    && bbox.3 <= bounds.3;
                let clear = placed.iter().all(|&p| !overlaps(p, bbox))
                    && dots.iter().all(|&(dx, dy)| {
                        let r = MARK_RADIUS;
                        !overlaps((dx - r, dy - r, dx + r, dy + r), bbox)
                    });
                if inside && clear && !lines.iter().any(|&(p, q)| crosses(p, q, bbox)) {
                    return Some(bbox);
                }
            }
        }
    }
    None
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
            current: None,
            steps: Vec::new(),
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
            current: None,
            steps: Vec::new(),
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
            current: None,
            ..chart
        };
        assert_eq!(chart.limit_crossings(), vec![(75.0, 1)]);
        let svg = crate::report::charts::render_svg(&chart).unwrap();
        assert!(svg.contains("budget $150"), "the legend names it");
        assert!(svg.contains("per task passes it at 75"), "{svg}");
        // Known to be a step between 40 and 60: labelled with its bracket, not the point.
        let chart = BreakEven {
            limit: None,
            steps: vec![StepBracket {
                a: 0,
                b: 1,
                bracket: [40.0, 60.0],
            }],
            ..chart
        };
        let svg = crate::report::charts::render_svg(&chart).unwrap();
        assert!(
            svg.contains("flat = per task: a step between 40 and 60"),
            "{svg}"
        );
        assert!(!svg.contains("flat = per task at 50"), "{svg}");
    }
}
