//! Vertical bars per period, stacked when there are several series: the monthly bill split by
//! model or task kind, the probability of passing the monthly budget, the month in which the
//! annual budget runs out.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::style::{self, Unit};
use super::{Chart, DrawResult, all_finite};

/// One series: a value per period, stacked on the series before it.
#[derive(Debug, Clone, PartialEq)]
pub struct BarSeries {
    /// Name in the legend (an empty name draws no legend entry).
    pub name: String,
    /// One value (≥ 0) per period.
    pub values: Vec<f64>,
}

/// Bars over periods.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthlyBars {
    /// File stem, e.g. `forecast_by_model`.
    pub stem: String,
    /// Title.
    pub title: String,
    /// What the y axis measures, e.g. `Mean monthly bill`.
    pub y_description: String,
    /// Unit of the y axis.
    pub unit: Unit,
    /// What the periods are, e.g. `Month`.
    pub x_description: String,
    /// Period labels, in time order.
    pub periods: Vec<String>,
    /// The series, stacked bottom to top in this order.
    pub series: Vec<BarSeries>,
    /// A level drawn across the chart (e.g. a probability to compare against), with its name.
    pub level: Option<(String, f64)>,
}

impl MonthlyBars {
    fn totals(&self) -> Vec<f64> {
        (0..self.periods.len())
            .map(|i| self.series.iter().map(|s| s.values[i]).sum())
            .collect()
    }
}

impl Chart for MonthlyBars {
    fn file_stem(&self) -> &str {
        &self.stem
    }

    fn validate(&self) -> Result<(), String> {
        if self.periods.is_empty() || self.series.is_empty() {
            return Err("expected at least one period and one series".into());
        }
        super::one_per_period(
            "series",
            self.periods.len(),
            self.series
                .iter()
                .map(|s| (s.name.as_str(), s.values.len())),
        )?;
        all_finite(self.series.iter().flat_map(|s| &s.values))?;
        all_finite(self.level.iter().map(|(_, v)| v))?;
        if self.series.iter().flat_map(|s| &s.values).any(|&v| v < 0.0) {
            return Err("expected values >= 0".into());
        }
        Ok(())
    }

    fn draw<DB>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult
    where
        DB: DrawingBackend,
        DB::ErrorType: 'static,
    {
        let n = self.periods.len();
        let totals = self.totals();
        let top = totals
            .iter()
            .copied()
            .chain(self.level.iter().map(|(_, v)| *v))
            .fold(0.0, f64::max);
        let y_max = match (self.unit, top > 0.0) {
            // Probabilities keep their scale up to 100%.
            (Unit::Probability, _) => (top * 1.15).clamp(0.05, 1.0),
            (_, true) => top * 1.15,
            (_, false) => 1.0,
        };
        let unit = self.unit;
        let mut chart = super::fan::period_axes(
            area,
            Some(&self.title),
            &self.periods,
            &self.x_description,
            &self.y_description,
            unit,
            y_max,
            false,
        )?;
        let mut base = vec![0.0; n];
        for (j, s) in self.series.iter().enumerate() {
            let colour = style::series_colour(j);
            let bars: Vec<Rectangle<(f64, f64)>> = s
                .values
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let x = i as f64;
                    let r = Rectangle::new(
                        [(x - 0.38, base[i]), (x + 0.38, base[i] + v)],
                        colour.filled(),
                    );
                    base[i] += v;
                    r
                })
                .collect();
            let drawn = chart.draw_series(bars)?;
            if !s.name.is_empty() {
                drawn.label(s.name.clone()).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 20, y + 5)], colour.filled())
                });
            }
        }
        if let Some((name, v)) = &self.level {
            chart
                .draw_series(DashedLineSeries::new(
                    [(-0.5, *v), (n as f64 - 0.5, *v)],
                    10,
                    6,
                    style::LIMIT.stroke_width(2),
                ))?
                .label(format!("{name} {}", unit.format(*v)))
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], style::LIMIT.stroke_width(2))
                });
        }
        if self.series.iter().any(|s| !s.name.is_empty()) || self.level.is_some() {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .label_font(style::small_font().color(&style::INK))
                .background_style(style::BACKGROUND.mix(0.85))
                .border_style(style::GRID)
                .draw()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> MonthlyBars {
        MonthlyBars {
            stem: "b".into(),
            title: "Mean monthly bill by model".into(),
            y_description: "Mean monthly bill".into(),
            unit: Unit::Usd,
            x_description: "Month".into(),
            periods: vec!["2027-01".into(), "2027-02".into()],
            series: vec![
                BarSeries {
                    name: "sonnet".into(),
                    values: vec![1000.0, 3000.0],
                },
                BarSeries {
                    name: "opus".into(),
                    values: vec![500.0, 0.0],
                },
            ],
            level: Some(("budget".into(), 2500.0)),
        }
    }

    #[test]
    fn draws_stacked_series_with_their_legend_and_rejects_bad_data() {
        let svg = super::super::render_svg(&bars()).unwrap();
        for text in [
            "Mean monthly bill by model",
            "sonnet",
            "opus",
            "budget $2500",
            "2027-02",
        ] {
            assert!(svg.contains(text), "{text}");
        }
        // The tallest stack (3,000, not the 3,500 of adding the series' maxima) sets the axis.
        assert!(svg.contains("\n$3000\n"), "{svg}");
        assert!(!svg.contains("\n$4000\n"));
        let mut short = bars();
        short.series[1].values.pop();
        assert_eq!(
            super::super::render_svg(&short).unwrap_err().to_string(),
            "chart `b`: series `opus`: expected a value per period (2), found 1"
        );
        let mut negative = bars();
        negative.series[0].values[0] = -1.0;
        assert!(super::super::render_svg(&negative).is_err());
        let mut nan = bars();
        nan.level = Some(("budget".into(), f64::NAN));
        assert!(super::super::render_svg(&nan).is_err());
        let mut empty = bars();
        empty.series.clear();
        assert!(super::super::render_svg(&empty).is_err());
    }
}
