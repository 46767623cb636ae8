//! Legends drawn beside the plot, never over it: the title goes across the whole chart, a
//! column at the right is sized to the longest entry, and the plot gets the rest. A legend
//! inside the plot covers data wherever the data happen to be (a corner empty for one scenario
//! is full for the next); outside the plot area it cannot, whatever the data.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::DrawResult;
use super::style;

/// How an entry's sample is drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Swatch {
    /// A solid line of this colour and width.
    Line(RGBColor, u32),
    /// A dashed line of this colour and width.
    Dashed(RGBColor, u32),
    /// A filled block (a band), with its opacity.
    Block(RGBColor, f64),
    /// A dot of the first colour ringed by the second (a crossing of two lines).
    Ring(RGBColor, RGBColor),
}

/// One legend entry: its sample and its words.
#[derive(Debug, Clone, PartialEq)]
pub struct LegendEntry {
    /// The words, e.g. `list price`.
    pub label: String,
    /// The sample.
    pub swatch: Swatch,
}

impl LegendEntry {
    /// A solid line of width 3 in `colour`.
    pub fn line(label: impl Into<String>, colour: RGBColor) -> LegendEntry {
        LegendEntry {
            label: label.into(),
            swatch: Swatch::Line(colour, 3),
        }
    }
}

/// Sample width, gap to the words, inner padding, line height and outer margin, in pixels.
const SAMPLE: i32 = 24;
const GAP: i32 = 8;
const PAD: i32 = 10;
const LINE: i32 = 20;
const MARGIN: i32 = 12;

/// The widest the legend column may be, as a share of the chart's width.
const MAX_SHARE: f64 = 0.32;

/// Draws `title` across `area` and `entries` in a column at its right; returns the area left
/// for the plot (all of it below the title when there are no entries).
pub fn beside<DB>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[LegendEntry],
) -> Result<DrawingArea<DB, Shift>, Box<dyn std::error::Error + Send + Sync>>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    // The same top margin as a chart whose title plotters places (ChartBuilder's margin).
    let body = area
        .margin(16, 0, 0, 0)
        .titled(title, style::title_font().color(&style::INK))?;
    if entries.is_empty() {
        return Ok(body);
    }
    let font = style::annotation(style::INK);
    let mut widest = 0i32;
    for e in entries {
        let (w, _) = area.estimate_text_size(&e.label, &font)?;
        widest = widest.max(w as i32);
    }
    let (width, _) = body.dim_in_pixel();
    let column = (SAMPLE + GAP + widest + 2 * PAD + 2 * MARGIN)
        .min((MAX_SHARE * f64::from(width)) as i32)
        .max(0);
    let (plot, side) = body.split_horizontally(width as i32 - column);
    draw_entries(&side, entries)?;
    Ok(plot)
}

/// The legend's box and entries, from the column's top left.
fn draw_entries<DB>(side: &DrawingArea<DB, Shift>, entries: &[LegendEntry]) -> DrawResult
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
{
    let (w, _) = side.dim_in_pixel();
    let (x0, y0) = (MARGIN, MARGIN + 4);
    let x1 = w as i32 - MARGIN;
    let y1 = y0 + 2 * PAD + LINE * entries.len() as i32 - (LINE - 14);
    side.draw(&Rectangle::new(
        [(x0, y0), (x1, y1)],
        style::BACKGROUND.filled(),
    ))?;
    side.draw(&Rectangle::new([(x0, y0), (x1, y1)], style::GRID))?;
    let text = style::small_font()
        .color(&style::INK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (i, e) in entries.iter().enumerate() {
        let y = y0 + PAD + 7 + LINE * i as i32;
        let (sx0, sx1) = (x0 + PAD, x0 + PAD + SAMPLE);
        match e.swatch {
            Swatch::Line(c, width) => {
                side.draw(&PathElement::new(
                    vec![(sx0, y), (sx1, y)],
                    c.stroke_width(width),
                ))?;
            }
            Swatch::Dashed(c, width) => {
                for k in 0..3 {
                    let a = sx0 + 9 * k;
                    side.draw(&PathElement::new(
                        vec![(a, y), ((a + 6).min(sx1), y)],
                        c.stroke_width(width),
                    ))?;
                }
            }
            Swatch::Block(c, opacity) => {
                side.draw(&Rectangle::new(
                    [(sx0, y - 5), (sx1, y + 5)],
                    c.mix(opacity).filled(),
                ))?;
            }
            Swatch::Ring(inner, outer) => {
                let centre = ((sx0 + sx1) / 2, y);
                side.draw(&Circle::new(centre, 7, outer.filled()))?;
                side.draw(&Circle::new(centre, 4, inner.filled()))?;
            }
        }
        side.draw(&Text::new(e.label.clone(), (sx1 + GAP, y), text.clone()))?;
    }
    Ok(())
}
