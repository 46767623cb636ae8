//! The fan chart of a forecast: for each period (month), the P5–P95 and P25–P75 bands of the
//! simulated bill, the median line, and the budget as a line (a step per period when the budget
//! changes from period to period). Where the outer band crosses the budget, at least 5% of
//! futures pass it that period.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::legend::{LegendEntry, Swatch};
use super::style::{self, Unit};
use super::{Chart, DrawResult, all_finite};

/// A budget above this many times the highest P95 is named in the title, not drawn.
pub const BUDGET_HEADROOM: f64 = 4.0;

/// The percentiles of one period's value.
#[derive(Debug, Clone, PartialEq)]
pub struct FanPeriod {
    /// Axis label, e.g. `2027-01`.
    pub label: String,
    /// 5th percentile.
    pub p5: f64,
    /// 25th percentile.
    pub p25: f64,
    /// Median.
    pub p50: f64,
    /// 75th percentile.
    pub p75: f64,
    /// 95th percentile.
    pub p95: f64,
}

/// A fan chart over periods.
#[derive(Debug, Clone, PartialEq)]
pub struct FanChart {
    /// File stem, e.g. `forecast_fan`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What the y axis measures, e.g. `Monthly bill`.
    pub y_description: String,
    /// Unit of the y axis.
    pub unit: Unit,
    /// What the periods are, e.g. `Month`.
    pub x_description: String,
    /// The periods, in time order.
    pub periods: Vec<FanPeriod>,
    /// The budget of each period (empty: none), drawn as a line, stepping where it changes.
    pub budget: Vec<f64>,
    /// Other series drawn over the fan (e.g. a stress case's median), one value per period.
    pub lines: Vec<FanLine>,
}

/// A series drawn over the fan.
#[derive(Debug, Clone, PartialEq)]
pub struct FanLine {
    /// Name in the legend.
    pub name: String,
    /// One value per period.
    pub values: Vec<f64>,
    /// Drawn dashed (e.g. a P90 beside a solid median of the same colour).
    pub dashed: bool,
    /// Which colour of the palette (lines of one case share it).
    pub colour: usize,
}

impl Chart for FanChart {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        if self.periods.is_empty() {
            return Err("expected at least one period, found none".into());
        }
        all_finite(
            self.periods
                .iter()
                .flat_map(|p| [&p.p5, &p.p25, &p.p50, &p.p75, &p.p95]),
        )?;
        all_finite(self.budget.iter())?;
        all_finite(self.lines.iter().flat_map(|l| &l.values))?;
        // A line covers the first periods (all of them, or fewer: actuals so far).
        if let Some(l) = self
            .lines
            .iter()
            .find(|l| l.values.is_empty() || l.values.len() > self.periods.len())
        {
            return Err(format!(
                "line `{}`: expected a value for each of the first periods (1 to {}), found {}",
                l.name,
                self.periods.len(),
                l.values.len()
            ));
        }
        if !self.budget.is_empty() && self.budget.len() != self.periods.len() {
            return Err(format!(
                "expected a budget per period ({}), found {}",
                self.periods.len(),
                self.budget.len()
            ));
        }
        if self
            .periods
            .iter()
            .any(|p| !(p.p5 <= p.p25 && p.p25 <= p.p50 && p.p50 <= p.p75 && p.p75 <= p.p95))
        {
            return Err("expected P5 <= P25 <= P50 <= P75 <= P95 in every period".into());
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let data_top = self
            .periods
            .iter()
            .map(|p| p.p95)
            .chain(self.lines.iter().flat_map(|l| l.values.iter().copied()))
            .fold(0.0, f64::max);
        // A budget far above every band (more than BUDGET_HEADROOM times the highest P95) is
        // named in the title instead of stretching the axis until the bands are flat lines
        // (or, for a budget near f64::MAX, until the axis is infinite); in a schedule, only the
        // periods whose budget is that far up are left undrawn.
        let far = |b: f64| data_top > 0.0 && b > BUDGET_HEADROOM * data_top;
        let shown: Vec<Option<f64>> = self
            .budget
            .iter()
            .map(|&b| (!far(b)).then_some(b))
            .collect();
        let hidden: Vec<f64> = self.budget.iter().copied().filter(|&b| far(b)).collect();
        let title = if hidden.is_empty() {
            self.title.clone()
        } else if hidden.len() == self.budget.len() {
            let lowest = hidden.iter().copied().fold(f64::INFINITY, f64::min);
            format!(
                "{} (budget {} is far above)",
                self.title,
                self.unit.format(lowest)
            )
        } else {
            let highest = hidden.iter().copied().fold(0.0, f64::max);
            let periods = match hidden.len() {
                1 => "1 period".to_string(),
                n => format!("{n} periods"),
            };
            format!(
                "{} (budget up to {} in {periods} is far above)",
                self.title,
                self.unit.format(highest),
            )
        };
        let top = shown.iter().flatten().copied().fold(data_top, f64::max);
        let y_max = if top > 0.0 { top * 1.15 } else { 1.0 };
        let labels: Vec<String> = self.periods.iter().map(|p| p.label.clone()).collect();
        let unit = self.unit;
        let drawn: Vec<f64> = shown.iter().flatten().copied().collect();
        // The drawn budgets' range (a month far above is named in the title).
        let budget_label = drawn.first().map(|&first| {
            if drawn.iter().all(|&b| b == first) {
                format!("budget {}", unit.format(first))
            } else {
                format!(
                    "budget {} to {}",
                    unit.format(drawn.iter().copied().fold(f64::INFINITY, f64::min)),
                    unit.format(drawn.iter().copied().fold(0.0, f64::max))
                )
            }
        });
        let mut legend = vec![
            LegendEntry {
                label: "P5–P95".into(),
                swatch: Swatch::Block(style::PRIMARY, 0.18),
            },
            LegendEntry {
                label: "P25–P75".into(),
                swatch: Swatch::Block(style::PRIMARY, 0.38),
            },
            LegendEntry::line("median", style::PRIMARY),
        ];
        for line in &self.lines {
            let colour = style::series_colour(line.colour + 1);
            legend.push(LegendEntry {
                label: line.name.clone(),
                swatch: if line.dashed {
                    Swatch::Dashed(colour, 2)
                } else {
                    Swatch::Line(colour, 2)
                },
            });
        }
        if let Some(label) = &budget_label {
            legend.push(LegendEntry {
                label: label.clone(),
                swatch: Swatch::Dashed(style::LIMIT, 2),
            });
        }
        let area = &super::legend::beside(area, &title, &legend)?;
        let mut chart = period_axes(
            area,
            None,
            &labels,
            &self.x_description,
            &self.y_description,
            unit,
            y_max,
            true,
        )?;
        let at = |f: fn(&FanPeriod) -> f64| -> Vec<(f64, f64)> {
            self.periods
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64, f(p)))
                .collect()
        };
        let outer = super::axes::band_outline(&at(|p| p.p5), &at(|p| p.p95));
        let inner = super::axes::band_outline(&at(|p| p.p25), &at(|p| p.p75));
        let light = style::PRIMARY.mix(0.18);
        let dark = style::PRIMARY.mix(0.38);
        chart.draw_series(std::iter::once(Polygon::new(outer, light.filled())))?;
        chart.draw_series(std::iter::once(Polygon::new(inner, dark.filled())))?;
        chart.draw_series(LineSeries::new(
            at(|p| p.p50),
            style::PRIMARY.stroke_width(3),
        ))?;
        for line in &self.lines {
            // The palette's first colour is the fan's own.
            let colour = style::series_colour(line.colour + 1);
            let points: Vec<(f64, f64)> = line
                .values
                .iter()
                .enumerate()
                .map(|(i, &v)| (i as f64, v))
                .collect();
            // A line over part of the periods (observed values) is marked point by point.
            if line.values.len() < self.periods.len() {
                chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
            }
            if line.dashed {
                chart.draw_series(DashedLineSeries::new(points, 6, 4, colour.stroke_width(2)))?;
            } else {
                chart.draw_series(LineSeries::new(points, colour.stroke_width(2)))?;
            }
        }
        if budget_label.is_some() {
            // Across each period at its budget, stepping at the boundaries; a run of periods
            // whose budget is far above breaks the line.
            let mut runs: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
            for (i, b) in shown.iter().enumerate() {
                match b {
                    Some(b) => {
                        let run = runs.last_mut().expect("one run at least");
                        run.push((i as f64 - 0.5, *b));
                        run.push((i as f64 + 0.5, *b));
                    }
                    None if runs.last().is_some_and(|r| !r.is_empty()) => runs.push(Vec::new()),
                    None => {}
                }
            }
            for run in runs.into_iter().filter(|r| !r.is_empty()) {
                chart.draw_series(DashedLineSeries::new(
                    run,
                    10,
                    6,
                    style::LIMIT.stroke_width(2),
                ))?;
            }
        }
        Ok(())
    }
}

/// Axes over periods (one tick label per period, at most 13 shown) from 0 to `y_max` in
/// `unit`, with the chart's title (none: drawn already, e.g. by [`super::legend::beside`]): the frame of the fan chart and of [`super::MonthlyBars`].
#[allow(clippy::too_many_arguments)]
pub(super) fn period_axes<'a, DB>(
    area: &'a DrawingArea<DB, Shift>,
    title: Option<&str>,
    labels: &[String],
    x_description: &str,
    y_description: &str,
    unit: Unit,
    y_max: f64,
    x_grid: bool,
) -> Result<
    ChartContext<
        'a,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
    Box<dyn std::error::Error + Send + Sync>,
>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let n = labels.len();
    let mut builder = ChartBuilder::on(area);
    if let Some(title) = title {
        builder.caption(title, style::title_font().color(&style::INK));
    }
    let mut chart = builder
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(84)
        .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..y_max)?;
    let y_fmt = move |v: &f64| unit.format_on_axis(*v, y_max);
    let x_fmt = move |v: &f64| {
        let i = v.round();
        if (v - i).abs() < 1e-6 && i >= 0.0 {
            labels.get(i as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(x_description)
        .y_desc(style::axis_label(y_description, unit))
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_labels(n.min(13))
        .y_labels(8)
        .axis_desc_style(style::label_font().color(&style::INK))
        .label_style(style::small_font().color(&style::INK))
        .bold_line_style(style::GRID)
        .light_line_style(TRANSPARENT)
        .axis_style(style::INK);
    if !x_grid {
        mesh.disable_x_mesh();
    }
    mesh.draw()?;
    Ok(chart)
}
