//! The tornado chart of a sensitivity analysis: one horizontal bar per input, from the outcome
//! with the input pinned low to the outcome with it pinned high, around the base outcome (a
//! vertical line); inputs sorted by swing, the widest on top.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Unit};
use super::{Chart, DrawResult, all_finite};

/// One input's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct TornadoBar {
    /// Input name and its low/high values, e.g. `usage.active_share (0.6 / 0.8)`.
    pub label: String,
    /// Outcome with the input low.
    pub low: f64,
    /// Outcome with the input high.
    pub high: f64,
}

/// A tornado chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Tornado {
    /// File stem, e.g. `forecast_tornado`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What the x axis measures, e.g. `P90 of the year-1 bill`.
    pub x_description: String,
    /// Unit of the x axis.
    pub unit: Unit,
    /// The outcome with every input uncertain.
    pub base: f64,
    /// Bars, top to bottom.
    pub bars: Vec<TornadoBar>,
}

impl Chart for Tornado {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        if self.bars.is_empty() {
            return Err("expected at least one input, found none".into());
        }
        all_finite(
            self.bars
                .iter()
                .flat_map(|b| [&b.low, &b.high])
                .chain(std::iter::once(&self.base)),
        )
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let lo = self
            .bars
            .iter()
            .map(|b| b.low.min(b.high))
            .fold(self.base, f64::min);
        let hi = self
            .bars
            .iter()
            .map(|b| b.low.max(b.high))
            .fold(self.base, f64::max);
        let pad = ((hi - lo) * 0.08).max(hi.abs() * 0.01).max(1e-9);
        let n = self.bars.len() as f64;
        let mut chart = ChartBuilder::on(area)
            .caption(&self.title, style::title_font().color(&style::INK))
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(16)
            .build_cartesian_2d((lo - pad)..(hi + pad), 0.0..n)?;
        let unit = self.unit;
        let x_fmt = move |v: &f64| unit.format(*v);
        chart
            .configure_mesh()
            .x_desc(style::axis_label(&self.x_description, unit))
            .x_label_formatter(&x_fmt)
            .x_labels(8)
            .y_labels(0)
            .disable_y_mesh()
            .axis_desc_style(style::label_font().color(&style::INK))
            .label_style(style::small_font().color(&style::INK))
            .bold_line_style(style::GRID)
            .light_line_style(TRANSPARENT)
            .axis_style(style::INK)
            .draw()?;
        for (i, bar) in self.bars.iter().enumerate() {
            let base = n - i as f64 - 1.0;
            let (y0, y1) = (base + 0.1, base + 0.55);
            // Low side in the secondary colour, high side in the primary one.
            for (value, colour, name) in [
                (bar.low, style::series_colour(1), "input at its low value"),
                (bar.high, style::PRIMARY, "input at its high value"),
            ] {
                let drawn = chart.draw_series(std::iter::once(Rectangle::new(
                    [(self.base.min(value), y0), (self.base.max(value), y1)],
                    colour.filled(),
                )))?;
                if i == 0 {
                    drawn.label(name).legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 20, y + 5)], colour.filled())
                    });
                }
            }
            chart.draw_series(std::iter::once(Text::new(
                format!(
                    "{}: low {} / high {}",
                    bar.label,
                    unit.format(bar.low),
                    unit.format(bar.high)
                ),
                (lo - pad * 0.9, base + 0.85),
                style::small_font().color(&style::INK),
            )))?;
        }
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(self.base, 0.0), (self.base, n)],
                style::INK.stroke_width(2),
            )))?
            .label(format!("every input uncertain: {}", unit.format(self.base)))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], style::INK.stroke_width(2))
            });
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(style::small_font().color(&style::INK))
            .background_style(style::BACKGROUND.mix(0.85))
            .border_style(style::GRID)
            .draw()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_svg_and_rejects_bad_data() {
        let t = Tornado {
            stem: "t".into(),
            title: "What drives the bill".into(),
            x_description: "P90 bill".into(),
            unit: Unit::Usd,
            base: 100.0,
            bars: vec![
                TornadoBar {
                    label: "a".into(),
                    low: 80.0,
                    high: 130.0,
                },
                TornadoBar {
                    label: "b".into(),
                    low: 95.0,
                    high: 104.0,
                },
            ],
        };
        let svg = super::super::render_svg(&t).unwrap();
        assert!(svg.contains("What drives the bill"));
        // The legend says which side is which and what the line is.
        assert!(svg.contains("input at its low value"));
        assert!(svg.contains("input at its high value"));
        assert!(svg.contains("every input uncertain: $100"));
        let mut bad = t.clone();
        bad.bars[0].low = f64::NAN;
        assert!(super::super::render_svg(&bad).is_err());
    }
}
