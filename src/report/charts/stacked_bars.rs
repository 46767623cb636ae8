//! Horizontal stacked bars: each bar splits one total (e.g. the mean cost per task) into parts
//! (token kinds, phases, models). Segments are labelled with their name and share when wide
//! enough; the narrow ones are named in the bar's caption.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Unit};
use super::{Chart, DrawResult, all_finite};

/// One part of a bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Name, e.g. `cache_read`.
    pub label: String,
    /// Value (≥ 0), in the chart's unit.
    pub value: f64,
}

/// One bar: a total split into segments, drawn left to right.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// What the bar splits by, e.g. `by token kind`.
    pub label: String,
    /// The parts.
    pub segments: Vec<Segment>,
}

impl Bar {
    /// The sum of the segments.
    pub fn total(&self) -> f64 {
        self.segments.iter().map(|s| s.value).sum()
    }
}

/// Stacked horizontal bars.
#[derive(Debug, Clone, PartialEq)]
pub struct StackedBars {
    /// File stem, e.g. `cost_breakdown`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What the x axis measures, e.g. `Mean cost per task`.
    pub x_description: String,
    /// Unit of the x axis.
    pub unit: Unit,
    /// The bars, top to bottom.
    pub bars: Vec<Bar>,
}

/// Segments narrower than this share of the axis are named in the caption, not inside.
const INSIDE_LABEL_SHARE: f64 = 0.10;

impl Chart for StackedBars {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        if self.bars.is_empty() || self.bars.iter().any(|b| b.segments.is_empty()) {
            return Err("expected bars with at least one segment each".into());
        }
        all_finite(
            self.bars
                .iter()
                .flat_map(|b| b.segments.iter().map(|s| &s.value)),
        )?;
        if self
            .bars
            .iter()
            .flat_map(|b| &b.segments)
            .any(|s| s.value < 0.0)
        {
            return Err("expected segment values >= 0".into());
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let widest = self.bars.iter().map(Bar::total).fold(0.0, f64::max);
        let x_max = if widest > 0.0 { widest * 1.05 } else { 1.0 };
        let n = self.bars.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, style::title_font().color(&style::INK))
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(16)
            .build_cartesian_2d(0.0..x_max, 0.0..n)?;
        let unit = self.unit;
        let x_fmt = move |v: &f64| unit.format(*v);
        chart
            .configure_mesh()
            .x_desc(style::axis_label(&self.x_description, unit))
            .x_label_formatter(&x_fmt)
            .x_labels(10)
            .y_labels(0)
            .disable_y_mesh()
            .axis_desc_style(style::label_font().color(&style::INK))
            .label_style(style::small_font().color(&style::INK))
            .bold_line_style(style::GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(style::INK)
            .draw()?;
        for (i, bar) in self.bars.iter().enumerate() {
            // Bar i from the top: its band is [n - i - 1, n - i).
            let base = n - i as f64 - 1.0;
            let (y0, y1) = (base + 0.1, base + 0.62);
            let total = bar.total();
            let mut left = 0.0;
            let mut narrow = Vec::new();
            for (j, seg) in bar.segments.iter().enumerate() {
                let right = left + seg.value;
                let colour = style::series_colour(j);
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(left, y0), (right, y1)],
                    colour.filled(),
                )))?;
                let share = if total > 0.0 { seg.value / total } else { 0.0 };
                let text = format!("{} {}", seg.label, Unit::Probability.format(share));
                if seg.value / x_max >= INSIDE_LABEL_SHARE {
                    chart.draw_series(std::iter::once(Text::new(
                        text,
                        (left + 0.01 * x_max, y0 + 0.5 * (y1 - y0)),
                        style::small_font().color(&style::BACKGROUND).pos(
                            plotters::style::text_anchor::Pos::new(
                                plotters::style::text_anchor::HPos::Left,
                                plotters::style::text_anchor::VPos::Center,
                            ),
                        ),
                    )))?;
                } else if seg.value > 0.0 {
                    narrow.push(text);
                }
                left = right;
            }
            let mut caption = format!("{} — total {}", bar.label, unit.format(total));
            if !narrow.is_empty() {
                caption.push_str(&format!("; also {}", narrow.join(", ")));
            }
            chart.draw_series(std::iter::once(Text::new(
                caption,
                (0.0, base + 0.9),
                style::label_font().color(&style::INK),
            )))?;
        }
        Ok(())
    }
}
